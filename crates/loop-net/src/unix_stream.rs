//! [`UnixStream`]: a Unix stream connection registered with the running loop.

use std::io::{self, IoSlice, Read};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use loop_core::{Async, sleep};
use socket2::{Domain, SockAddr, Socket, Type};

use crate::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::sys;

/// A Unix stream connection, with the same I/O surface as [`TcpStream`](crate::TcpStream):
/// `AsyncRead` / `AsyncWrite` on the value and on `&UnixStream`, writes that never raise
/// SIGPIPE, `poll_close` as `shutdown(Write)`, borrowed and owned halves.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// loop_core::run(async {
///     let (mut a, mut b) = loop_net::UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     a.close().await?;
///     let mut got = String::new();
///     b.read_to_string(&mut got).await?;
///     assert_eq!(got, "ping");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixStream {
    io: Async<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path` (a leading NUL byte: a Linux abstract name). While the
    /// listener's backlog is full, it retries after a short pause rather than fail.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is at the path, `ConnectionRefused` when nobody listens there.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     let s = loop_net::UnixStream::connect(&name).await?;
    ///     let (peer, _) = l.accept().await?;
    ///     assert!(peer.local_addr()?.as_pathname().is_none());
    /// #   drop(s);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SockAddr::unix(path)?;
        let mut pause = Duration::from_millis(1);
        loop {
            let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
            match socket.connect(&addr) {
                Ok(()) => return UnixStream::from_std(socket.into()),
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
                    let stream = UnixStream::from_std(socket.into())?;
                    stream.io.writable().await?;
                    return match stream.io.get_ref().take_error()? {
                        Some(e) => Err(e),
                        None => Ok(stream),
                    };
                }
                // A non-blocking Unix connect says EAGAIN when the backlog is full.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A connected pair of streams.
    ///
    /// # Errors
    ///
    /// The OS's, or no running loop.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     use futures_lite::{AsyncReadExt, AsyncWriteExt};
    ///     (&a).write_all(b"x").await?;
    ///     (&b).read_exact(&mut [0; 1]).await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Adopts a connected std stream (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// loop_core::run(async move {
    ///     let a = loop_net::UnixStream::from_std(a)?;
    ///     assert!(a.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
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
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     let std_stream = a.into_std()?;
    ///     assert!(std_stream.peer_addr().is_ok());
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner()
    }

    /// The registered socket, for readiness and hand-made I/O.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     a.as_async().writable().await?;
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn as_async(&self) -> &Async<std::os::unix::net::UnixStream> {
        &self.io
    }

    /// Reads what is there without waiting: `WouldBlock` when nothing is (for code driven by
    /// readiness, such as a transport; it forgets cached readability, so
    /// [`as_async`](UnixStream::as_async)`().readable()` then waits for new data). `Ok(0)` is the end
    /// of the stream.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
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
    /// its buffer is full, and then [`as_async`](UnixStream::as_async)`().writable()` waits for room.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the OS's (`BrokenPipe`, `ConnectionReset` once the peer is gone).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
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

    /// [`try_write`](UnixStream::try_write) from several buffers in one `sendmsg`.
    ///
    /// # Errors
    ///
    /// As for [`try_write`](UnixStream::try_write).
    ///
    /// ```
    /// use std::io::IoSlice;
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
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
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    /// #   drop(b);
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
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     assert!(b.local_addr()?.is_unnamed());
    /// #   drop(a);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Shuts down reading, writing or both (`Write`: the peer reads EOF).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     use futures_lite::AsyncReadExt;
    ///     a.shutdown(std::net::Shutdown::Write)?;
    ///     let mut rest = Vec::new();
    ///     (&b).read_to_end(&mut rest).await?; // EOF at once
    ///     assert!(rest.is_empty());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Borrowed read and write halves.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     use futures_lite::{AsyncReadExt, AsyncWriteExt};
    ///     let (_ar, mut aw) = a.split();
    ///     aw.write_all(b"x").await?;
    ///     (&b).read_exact(&mut [0; 1]).await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn split(&self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        split::split(self)
    }

    /// Owned read and write halves; dropping the write half shuts down writing.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     use futures_lite::AsyncReadExt;
    ///     let (_r, w) = a.into_split();
    ///     drop(w); // shuts down writing
    ///     let mut rest = Vec::new();
    ///     (&b).read_to_end(&mut rest).await?;
    ///     assert!(rest.is_empty());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::into_split(self)
    }
}

crate::socket_impls::impl_socket_stream!(UnixStream);
