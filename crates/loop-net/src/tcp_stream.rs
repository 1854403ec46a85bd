//! [`TcpStream`]: a TCP connection registered with the running loop.

use std::io::{self, IoSlice, Read};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use loop_core::Async;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use crate::addr::ToSocketAddrs;
use crate::connect::TcpConnectOptions;
use crate::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::sys;

/// A TCP connection: futures-io [`AsyncRead`](futures_lite::AsyncRead) and
/// [`AsyncWrite`](futures_lite::AsyncWrite) (vectored writes included) on both `TcpStream` and
/// `&TcpStream`, so one task may read while another writes.
///
/// Writes never raise SIGPIPE: a peer that has gone is an error on this connection only.
/// [`poll_close`](futures_lite::AsyncWrite::poll_close) (and so `AsyncWriteExt::close`)
/// half-closes with `shutdown(Write)`, asyncio's `write_eof`; dropping the stream closes it.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use std::io::{Read, Write};
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// let peer = std::thread::spawn(move || {
///     let (mut s, _) = server.accept().unwrap();
///     let mut buf = [0; 4];
///     s.read_exact(&mut buf).unwrap();
///     s.write_all(&buf).unwrap();
/// });
/// loop_core::run(async {
///     let mut s = loop_net::TcpStream::connect(addr).await?;
///     s.set_nodelay(true)?;
///     s.write_all(b"ping").await?;
///     let mut back = Vec::new();
///     s.read_to_end(&mut back).await?; // the peer echoes, then closes
///     assert_eq!(back, b"ping");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// peer.join().unwrap();
/// # std::io::Result::Ok(())
/// ```
pub struct TcpStream {
    io: Async<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`: numeric addresses at once, host names resolved on the blocking pool,
    /// several addresses raced with Happy Eyeballs (see [`TcpConnectOptions`] for a timeout and
    /// the other knobs).
    ///
    /// # Errors
    ///
    /// A malformed address is [`InvalidInput`](io::ErrorKind::InvalidInput); a closed port is
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused); when several addresses all fail,
    /// the error names each attempt.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     let err = loop_net::TcpStream::connect("127.0.0.1").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput); // no port
    ///     assert_eq!(s.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        TcpConnectOptions::new().connect(addr).await
    }

    /// Connects to one address; the socket is closed if this future is dropped first.
    pub(crate) async fn connect_addr(
        addr: SocketAddr,
        local: Option<SocketAddr>,
    ) -> io::Result<TcpStream> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        )?;
        if let Some(local) = local {
            socket.bind(&local.into())?;
        }
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        // Registered only now: an unconnected socket polls as writable (and hung up).
        let stream = TcpStream::from_std(socket.into())?;
        loop {
            stream.io.writable().await?;
            if let Some(e) = stream.io.get_ref().take_error()? {
                return Err(e);
            }
            match stream.io.get_ref().peer_addr() {
                Ok(_) => return Ok(stream),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => stream.io.clear_writable()?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Adopts a connected std stream (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(server.local_addr()?)?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::from_std(std_stream)?;
    ///     assert_eq!(s.peer_addr()?, server.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Async::new(stream)?,
        })
    }

    /// Deregisters the socket and returns it (still non-blocking).
    ///
    /// # Errors
    ///
    /// When the poller refuses to let go of it.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     let std_stream = s.into_std()?;
    ///     assert_eq!(std_stream.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner()
    }

    /// The registered socket, for readiness (`readable()`, `writable()`) and hand-made I/O.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     s.as_async().writable().await?; // a fresh connection has room to write
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn as_async(&self) -> &Async<std::net::TcpStream> {
        &self.io
    }

    /// Reads what is there without waiting: `WouldBlock` when nothing is (for code driven by
    /// readiness, such as a transport; it forgets cached readability, so
    /// [`as_async`](TcpStream::as_async)`().readable()` then waits for new data). `Ok(0)` is the end
    /// of the stream.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let listener = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let a = loop_net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (b, _) = listener.accept().await?;
    ///     assert_eq!(a.try_read(&mut [0; 4]).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    ///     b.try_write(b"ping")?;
    ///     a.as_async().readable().await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(a.try_read(&mut buf)?, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        sys::try_read_with(&self.io, |mut s| s.read(buf))
    }

    /// Writes what the socket takes without waiting (never raising SIGPIPE): `WouldBlock` when
    /// its buffer is full, and then [`as_async`](TcpStream::as_async)`().writable()` waits for room.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the OS's (`BrokenPipe`, `ConnectionReset` once the peer is gone).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let listener = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let a = loop_net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (b, _) = listener.accept().await?;
    ///     assert_eq!(a.try_write(b"hello")?, 5);
    ///     b.as_async().readable().await?;
    ///     assert_eq!(b.try_read(&mut [0; 8])?, 5);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        sys::try_write_with(&self.io, |s| sys::send(s, buf))
    }

    /// [`try_write`](TcpStream::try_write) from several buffers in one `sendmsg`.
    ///
    /// # Errors
    ///
    /// As for [`try_write`](TcpStream::try_write).
    ///
    /// ```
    /// use std::io::IoSlice;
    /// loop_core::run(async {
    ///     let listener = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let a = loop_net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (b, _) = listener.accept().await?;
    ///     let n = a.try_write_vectored(&[IoSlice::new(b"SP"), IoSlice::new(b"AM")])?;
    ///     assert_eq!(n, 4);
    ///     b.as_async().readable().await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.try_read(&mut buf)?, 4);
    ///     assert_eq!(&buf, b"SPAM");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        sys::try_write_with(&self.io, |s| sys::send_vectored(s, bufs))
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// The OS's (`NotConnected` once the connection is gone).
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     assert_eq!(s.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     assert_eq!(s.local_addr()?.ip(), addr.ip());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Shuts down reading, writing or both. `shutdown(Shutdown::Write)` is asyncio's
    /// `write_eof`: the peer reads EOF, and this side can still read.
    ///
    /// # Errors
    ///
    /// The OS's (`NotConnected` when the peer has already gone).
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     s.shutdown(std::net::Shutdown::Write)?; // the peer reads EOF
    ///     let (mut peer, _) = server.accept()?;
    ///     let mut rest = Vec::new();
    ///     std::io::Read::read_to_end(&mut peer, &mut rest)?;
    ///     assert!(rest.is_empty());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// `TCP_NODELAY`: whether Nagle's algorithm is off.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     assert!(!s.nodelay()?); // Nagle is on by default
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `TCP_NODELAY` (send small writes at once).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     s.set_nodelay(true)?;
    ///     assert!(s.nodelay()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     assert!(s.ttl()? > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     s.set_ttl(16)?;
    ///     assert_eq!(s.ttl()?, 16);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `SO_LINGER`: how long a close waits for unsent data (`Some(0)`: reset at once).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     assert_eq!(s.linger()?, None);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self.io.get_ref()).linger()
    }

    /// Sets `SO_LINGER`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     s.set_linger(Some(std::time::Duration::ZERO))?; // close will reset
    ///     assert_eq!(s.linger()?, Some(std::time::Duration::ZERO));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_linger(linger)
    }

    /// Whether `SO_KEEPALIVE` is on.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     assert!(!s.keepalive()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn keepalive(&self) -> io::Result<bool> {
        SockRef::from(self.io.get_ref()).keepalive()
    }

    /// Turns keep-alive probes on after `idle` without traffic, or off with `None`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// loop_core::run(async {
    ///     let s = loop_net::TcpStream::connect(server.local_addr()?).await?;
    ///     s.set_keepalive(Some(Duration::from_secs(60)))?;
    ///     assert!(s.keepalive()?);
    ///     s.set_keepalive(None)?;
    ///     assert!(!s.keepalive()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        let socket = SockRef::from(self.io.get_ref());
        match idle {
            Some(idle) => socket.set_tcp_keepalive(&TcpKeepalive::new().with_time(idle)),
            None => socket.set_keepalive(false),
        }
    }

    /// Borrowed read and write halves, for reading and writing from two futures at once.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     use futures_lite::AsyncWriteExt;
    ///     let (_r, mut w) = s.split();
    ///     w.write_all(b"via the write half").await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn split(&self) -> (ReadHalf<'_, TcpStream>, WriteHalf<'_, TcpStream>) {
        split::split(self)
    }

    /// Owned read and write halves, which may move to different tasks. Dropping the write half
    /// shuts down writing; [`OwnedReadHalf::reunite`] puts them back together.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::TcpStream::connect(addr).await?;
    ///     use futures_lite::AsyncWriteExt;
    ///     let (r, mut w) = s.into_split();
    ///     let writer = loop_core::spawn(async move { w.write_all(b"hi").await });
    ///     writer.await.unwrap()?;
    ///     assert_eq!(r.stream().peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split::into_split(self)
    }
}

crate::socket_impls::impl_socket_stream!(TcpStream);

#[cfg(test)]
mod tests {
    #[test]
    fn a_stream_stays_small() {
        // The fd, the reactor slot key and the loop's shared state: no buffers, no locks.
        assert!(std::mem::size_of::<super::TcpStream>() <= 32);
    }
}
