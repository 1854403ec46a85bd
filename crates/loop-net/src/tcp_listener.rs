//! [`TcpListener`]: a listening TCP socket, and [`Incoming`], an accept loop that survives
//! descriptor exhaustion and aborted connections.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::Stream;
use loop_core::Async;
use socket2::{Domain, Protocol, Socket, Type};

use crate::accept_loop::AcceptLoop;
use crate::addr::{ToSocketAddrs, lookup_host};
use crate::sys;
use crate::tcp_stream::TcpStream;

/// How a [`TcpListener`] is bound: backlog, `SO_REUSEADDR` (on by default, as asyncio does on
/// Unix), `SO_REUSEPORT` (off by default), `IPV6_V6ONLY`.
///
/// ```
/// use loop_net::TcpListenOptions;
///
/// loop_core::run(async {
///     let a = TcpListenOptions::new().reuse_port(true).bind("127.0.0.1:0").await?;
///     let port = a.local_addr()?.port();
///     // A second socket may share the port because both asked for SO_REUSEPORT.
///     let b = TcpListenOptions::new().reuse_port(true).bind(("127.0.0.1", port)).await?;
///     assert_eq!(b.local_addr()?.port(), port);
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct TcpListenOptions {
    backlog: i32,
    reuse_address: bool,
    reuse_port: bool,
    only_v6: Option<bool>,
}

impl Default for TcpListenOptions {
    fn default() -> TcpListenOptions {
        TcpListenOptions::new()
    }
}

impl TcpListenOptions {
    /// The defaults: backlog 1024 (asyncio's 100 is small for a busy server; the kernel caps
    /// it at `net.core.somaxconn`), `SO_REUSEADDR` on, `SO_REUSEPORT` off, the system's
    /// `IPV6_V6ONLY` default.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListenOptions::new().bind("127.0.0.1:0").await?;
    ///     assert!(socket2::SockRef::from(&l).reuse_address()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> TcpListenOptions {
        TcpListenOptions {
            backlog: 1024,
            reuse_address: true,
            reuse_port: false,
            only_v6: None,
        }
    }

    /// The length of the queue of connections not yet accepted.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListenOptions::new().backlog(16).bind("127.0.0.1:0").await?;
    ///     let _c = std::net::TcpStream::connect(l.local_addr()?)?;
    ///     l.accept().await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn backlog(mut self, backlog: u32) -> TcpListenOptions {
        self.backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self
    }

    /// `SO_REUSEADDR`: rebind a port whose old connections linger in TIME_WAIT.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListenOptions::new().reuse_address(false).bind("127.0.0.1:0").await?;
    ///     assert!(!socket2::SockRef::from(&l).reuse_address()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reuse_address(mut self, on: bool) -> TcpListenOptions {
        self.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT`: several sockets bound to one port, the kernel spreading connections.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListenOptions::new().reuse_port(true).bind("127.0.0.1:0").await?;
    ///     assert!(socket2::SockRef::from(&l).reuse_port()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reuse_port(mut self, on: bool) -> TcpListenOptions {
        self.reuse_port = on;
        self
    }

    /// `IPV6_V6ONLY` for IPv6 addresses: whether `[::]` also accepts IPv4 connections.
    ///
    /// ```
    /// loop_core::run(async {
    ///     // Where IPv6 exists, [::1] with only_v6 takes no IPv4 connections.
    ///     if let Ok(l) = loop_net::TcpListenOptions::new().only_v6(true).bind("[::1]:0").await {
    ///         assert!(socket2::SockRef::from(&l).only_v6()?);
    ///     }
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn only_v6(mut self, on: bool) -> TcpListenOptions {
        self.only_v6 = Some(on);
        self
    }

    /// Binds and listens on one numeric address, on the running loop.
    ///
    /// # Errors
    ///
    /// The OS's (`AddrInUse`, `PermissionDenied`, ...), or no running loop.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListenOptions::new().listen("127.0.0.1:0".parse().unwrap())?;
    ///     assert!(l.local_addr()?.port() != 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn listen(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking(),
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(self.reuse_address)?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        if let (Some(only), SocketAddr::V6(_)) = (self.only_v6, addr) {
            socket.set_only_v6(only)?;
        }
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        TcpListener::from_std(socket.into())
    }

    /// Resolves `addr` and listens on the first address that binds (std's rule; to listen on
    /// every address, [`lookup_host`] and [`listen`](TcpListenOptions::listen) on each).
    ///
    /// # Errors
    ///
    /// A malformed address or a failed lookup; when no address binds, the last bind error.
    ///
    /// ```
    /// loop_core::run(async {
    ///     // The first address that binds wins; here the second, as the first is taken.
    ///     let taken = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addrs = vec![taken.local_addr()?, "127.0.0.1:0".parse().unwrap()];
    ///     let opts = loop_net::TcpListenOptions::new().reuse_address(false);
    ///     let l = opts.bind(addrs).await?;
    ///     assert_ne!(l.local_addr()?, taken.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn bind(&self, addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in lookup_host(addr).await? {
            match self.listen(addr) {
                Ok(listener) => return Ok(listener),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to bind to")
        }))
    }
}

/// A TCP socket listening for connections, registered with the running loop.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use loop_net::{TcpListener, TcpStream};
///
/// loop_core::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = loop_core::spawn(async move {
///         let mut s = TcpStream::connect(addr).await?;
///         s.write_all(b"hi").await?;
///         std::io::Result::Ok(())
///     });
///     let (mut conn, peer) = listener.accept().await?;
///     let mut buf = [0; 2];
///     conn.read_exact(&mut buf).await?;
///     assert_eq!((&buf, peer.ip()), (b"hi", addr.ip()));
///     client.await.unwrap()
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    io: Async<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds with the default [`TcpListenOptions`] (backlog 1024, `SO_REUSEADDR`).
    ///
    /// # Errors
    ///
    /// See [`TcpListenOptions::bind`].
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = l.local_addr()?;
    ///     assert!(addr.ip().is_loopback() && addr.port() != 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListenOptions::new().bind(addr).await
    }

    /// Adopts a listening std socket (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let std = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let l = loop_net::TcpListener::from_std(std)?;
    ///     assert!(l.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: Async::new(listener)?,
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
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let std_listener = l.into_std()?;
    ///     assert!(std_listener.local_addr()?.port() != 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }

    /// The bound address (with the port the OS chose, after binding port 0).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     assert_eq!(l.local_addr()?.ip().to_string(), "127.0.0.1");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Waits for a connection and accepts it. Every error is returned as is;
    /// [`incoming`](TcpListener::incoming) is the accept loop that rides out the transient ones.
    ///
    /// # Errors
    ///
    /// The OS's (`EMFILE`, `ECONNABORTED`, ...).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = std::net::TcpStream::connect(l.local_addr()?)?;
    ///     let (conn, peer) = l.accept().await?;
    ///     assert_eq!(conn.peer_addr()?, peer);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection (see [`accept`](TcpListener::accept)).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = std::net::TcpStream::connect(l.local_addr()?)?;
    ///     let (conn, _) = std::future::poll_fn(|cx| l.poll_accept(cx)).await?;
    ///     assert_eq!(conn.local_addr()?, l.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = ready!(sys::poll_read_with(&self.io, cx, |l| l.accept()))?;
        Poll::Ready(TcpStream::from_std(stream).map(|s| (s, peer)))
    }

    /// The connections, as a never-ending stream: connections reset or aborted before they
    /// were accepted are skipped, and when descriptors or buffers run out (`EMFILE`, `ENFILE`,
    /// `ENOBUFS`, `ENOMEM`) it waits (10 ms, doubling to 1 s) and tries again instead of
    /// spinning or failing. Other errors are yielded.
    ///
    /// ```
    /// use futures_lite::StreamExt;
    ///
    /// loop_core::run(async {
    ///     let listener = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let _c = std::net::TcpStream::connect(addr)?; // finishes in the kernel's backlog
    ///     let conn = listener.incoming().next().await.unwrap()?;
    ///     assert_eq!(conn.local_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            listener: self,
            accept: AcceptLoop::new(),
        }
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(l.ttl()? > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL` on connections accepted from now on.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
    ///     l.set_ttl(9)?;
    ///     assert_eq!(l.ttl()?, 9);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }
}

crate::socket_impls::impl_socket!(TcpListener, local_addr);

/// The stream of [`TcpListener::incoming`].
///
/// ```
/// use futures_lite::StreamExt;
/// loop_core::run(async {
///     let l = loop_net::TcpListener::bind("127.0.0.1:0").await?;
///     let _c = std::net::TcpStream::connect(l.local_addr()?)?;
///     let mut incoming = l.incoming();
///     let conn = incoming.next().await.unwrap()?;
///     assert!(conn.peer_addr().is_ok());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
    accept: AcceptLoop,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let listener = this.listener;
        let conn = ready!(this.accept.poll(cx, |cx| listener.poll_accept(cx)));
        Poll::Ready(Some(conn.map(|(stream, _)| stream)))
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", self.listener)
            .field("backing_off", &self.accept.is_backing_off())
            .finish()
    }
}
