//! [`UnixDatagram`]: a Unix datagram socket registered with the running loop.

use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use loop_core::Async;
use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::sys;
use crate::unix_path;

/// A Unix datagram socket: bound to a path (stale socket files removed, as for
/// [`UnixListener`](crate::UnixListener)), an abstract name, or nothing.
///
/// ```
/// loop_core::run(async {
///     let (a, b) = loop_net::UnixDatagram::pair()?;
///     a.send(b"one").await?;
///     a.send(b"two").await?;
///     let mut buf = [0; 8];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one");
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"two");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixDatagram {
    io: Async<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path` (a leading NUL byte: a Linux abstract name).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the path holds something other than a socket; the OS's otherwise.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let s = loop_net::UnixDatagram::bind(&name)?; // an abstract name: no file
    ///     assert!(s.local_addr()?.as_pathname().is_none());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let addr = unix_path::bind_target(path.as_ref())?;
        let socket = Socket::new(Domain::UNIX, Type::DGRAM.nonblocking(), None)?;
        socket.bind(&addr)?;
        UnixDatagram::from_std(socket.into())
    }

    /// A socket bound to no address (it can send, and receive replies only if connected).
    ///
    /// # Errors
    ///
    /// The OS's, or no running loop.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let s = loop_net::UnixDatagram::bind(&name)?;
    ///     let u = loop_net::UnixDatagram::unbound()?;
    ///     u.send_to(b"hi", &name).await?;
    ///     assert_eq!(s.recv(&mut [0; 2]).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS's, or no running loop.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     a.send(b"x").await?;
    ///     assert_eq!(b.recv(&mut [0; 1]).await?, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Adopts a std socket (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixDatagram::pair()?;
    /// loop_core::run(async move {
    ///     let a = loop_net::UnixDatagram::from_std(a)?;
    ///     a.send(b"x").await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new(socket)?,
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
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     let std_socket = a.into_std()?;
    ///     assert!(std_socket.peer_addr().is_ok());
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }

    /// The registered socket, for readiness and hand-made I/O.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     a.as_async().writable().await?;
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn as_async(&self) -> &Async<std::os::unix::net::UnixDatagram> {
        &self.io
    }

    /// Sets the default destination (a path or abstract name).
    ///
    /// # Errors
    ///
    /// The OS's (`NotFound`, `ConnectionRefused`).
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let s = loop_net::UnixDatagram::bind(&name)?;
    ///     let u = loop_net::UnixDatagram::unbound()?;
    ///     u.connect(&name)?;
    ///     u.send(b"hi").await?;
    ///     assert_eq!(s.recv(&mut [0; 2]).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).connect(&SockAddr::unix(path)?)
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UnixDatagram::connect).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed()); // connected to an unnamed peer
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sends a datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     assert_eq!(a.send(b"dgram").await?, 5);
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// Polls [`send`](UnixDatagram::send).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     let n = std::future::poll_fn(|cx| a.poll_send(cx, b"x")).await?;
    ///     assert_eq!(n, 1);
    /// #   drop(b);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        sys::poll_write_with(&self.io, cx, |s| sys::send(s, buf))
    }

    /// Receives a datagram into `buf` (a longer one is truncated).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     a.send(b"abc").await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 3);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// Polls [`recv`](UnixDatagram::recv).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     a.send(b"x").await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        sys::poll_read_with(&self.io, cx, |s| s.recv(buf))
    }

    /// Sends a datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let s = loop_net::UnixDatagram::bind(&name)?;
    ///     let u = loop_net::UnixDatagram::unbound()?;
    ///     assert_eq!(u.send_to(b"hi", &name).await?, 2);
    ///     assert_eq!(s.recv(&mut [0; 2]).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let addr = SockAddr::unix(path)?;
        poll_fn(|cx| self.poll_send_to(cx, buf, &addr)).await
    }

    /// Polls a send to `addr`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let s = loop_net::UnixDatagram::bind(&name)?;
    ///     let u = loop_net::UnixDatagram::unbound()?;
    ///     let to = socket2::SockAddr::unix(&name)?;
    ///     std::future::poll_fn(|cx| u.poll_send_to(cx, b"hi", &to)).await?;
    ///     assert_eq!(s.recv(&mut [0; 2]).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        addr: &SockAddr,
    ) -> Poll<io::Result<usize>> {
        sys::poll_write_with(&self.io, cx, |s| {
            SockRef::from(s).send_to_with_flags(buf, addr, libc::MSG_NOSIGNAL)
        })
    }

    /// Receives a datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     a.send(b"x").await?;
    ///     let (n, from) = b.recv_from(&mut [0; 4]).await?;
    ///     assert_eq!(n, 1);
    ///     assert!(from.is_unnamed());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls [`recv_from`](UnixDatagram::recv_from).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixDatagram::pair()?;
    ///     a.send(b"x").await?;
    ///     let mut buf = [0; 4];
    ///     let (n, _) = std::future::poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        sys::poll_read_with(&self.io, cx, |s| s.recv_from(buf))
    }
}

crate::socket_impls::impl_socket!(UnixDatagram, local_addr);
