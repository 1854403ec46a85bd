//! [`UnixDatagram`]: a Unix datagram socket registered with the running loop.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
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
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS's, or no running loop.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Adopts a std socket (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
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
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }

    /// The registered socket, for readiness and hand-made I/O.
    pub fn as_async(&self) -> &Async<std::os::unix::net::UnixDatagram> {
        &self.io
    }

    /// Sets the default destination (a path or abstract name).
    ///
    /// # Errors
    ///
    /// The OS's (`NotFound`, `ConnectionRefused`).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).connect(&SockAddr::unix(path)?)
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UnixDatagram::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sends a datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// Polls [`send`](UnixDatagram::send).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        sys::poll_write_with(&self.io, cx, |s| sys::send(s, buf))
    }

    /// Receives a datagram into `buf` (a longer one is truncated).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// Polls [`recv`](UnixDatagram::recv).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        sys::poll_read_with(&self.io, cx, |s| s.recv(buf))
    }

    /// Sends a datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let addr = SockAddr::unix(path)?;
        poll_fn(|cx| self.poll_send_to(cx, buf, &addr)).await
    }

    /// Polls a send to `addr`.
    ///
    /// # Errors
    ///
    /// The OS's.
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
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls [`recv_from`](UnixDatagram::recv_from).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        sys::poll_read_with(&self.io, cx, |s| s.recv_from(buf))
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local_addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}
