//! [`UnixListener`]: a listening Unix stream socket.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::Stream;
use loop_core::Async;
use socket2::{Domain, Socket, Type};

use crate::accept_loop::AcceptLoop;
use crate::sys;
use crate::unix_path;
use crate::unix_stream::UnixStream;

/// A Unix stream socket listening for connections, registered with the running loop.
///
/// Binding removes a stale socket file left at the path, and refuses a path that holds
/// anything else (asyncio's rule). Dropping the listener removes the socket file it created,
/// if that file is still there (asyncio's `cleanup_socket`, on by default since Python 3.13). A path starting with a NUL byte is a Linux abstract name:
/// no file at all.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use loop_net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("loop-net-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// loop_core::run(async {
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut conn, _) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     conn.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixListener {
    io: Async<std::os::unix::net::UnixListener>,
    /// The socket file `bind` created, removed on drop if it is still that file.
    file: Option<unix_path::SocketFile>,
}

impl UnixListener {
    /// Binds to `path` (backlog 1024), on the running loop.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when the path holds something other than a socket; the OS's otherwise.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     let _c = loop_net::UnixStream::connect(&name).await?;
    ///     l.accept().await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let addr = unix_path::bind_target(path.as_ref())?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
        socket.bind(&addr)?;
        let file = unix_path::SocketFile::created(path.as_ref());
        socket.listen(1024)?;
        let mut listener = UnixListener::from_std(socket.into())?;
        listener.file = file;
        Ok(listener)
    }

    /// Adopts a listening std socket (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("loop-net-doc-from-std-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let std_listener = std::os::unix::net::UnixListener::bind(dir.join("s"))?;
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::from_std(std_listener)?;
    ///     assert!(l.local_addr()?.as_pathname().is_some());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Async::new(listener)?,
            file: None,
        })
    }

    /// Deregisters the socket and returns it (still non-blocking). The socket file stays.
    ///
    /// # Errors
    ///
    /// When the poller refuses to let go of it.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     let std_listener = l.into_std()?;
    ///     assert!(std_listener.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let UnixListener { io, file } = self;
        if let Some(file) = file {
            file.keep();
        }
        io.into_inner()
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     assert!(l.local_addr()?.as_pathname().is_none()); // abstract: no path
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Waits for a connection and accepts it; every error is returned as is.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     let c = loop_net::UnixStream::connect(&name).await?;
    ///     let (conn, _) = l.accept().await?;
    ///     assert!(conn.peer_addr()?.is_unnamed());
    /// #   drop(c);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     let _c = loop_net::UnixStream::connect(&name).await?;
    ///     std::future::poll_fn(|cx| l.poll_accept(cx)).await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, peer) = ready!(sys::poll_read_with(&self.io, cx, |l| l.accept()))?;
        Poll::Ready(UnixStream::from_std(stream).map(|s| (s, peer)))
    }

    /// The connections, as a never-ending stream that rides out transient errors (see
    /// [`TcpListener::incoming`](crate::TcpListener::incoming)).
    ///
    /// ```
    /// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
    /// loop_core::run(async move {
    ///     let l = loop_net::UnixListener::bind(&name)?;
    ///     use futures_lite::StreamExt;
    ///     let _c = loop_net::UnixStream::connect(&name).await?;
    ///     let conn = l.incoming().next().await.unwrap()?;
    ///     assert!(conn.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming {
            listener: self,
            accept: AcceptLoop::new(),
        }
    }
}

crate::socket_impls::impl_socket!(UnixListener, local_addr);

/// The stream of [`UnixListener::incoming`].
///
/// ```
/// use futures_lite::StreamExt;
/// let name = format!("\0loop-net-doc-{}-{:?}", std::process::id(), std::thread::current().id());
/// loop_core::run(async move {
///     let l = loop_net::UnixListener::bind(&name)?;
///     let _c = loop_net::UnixStream::connect(&name).await?;
///     let conn = l.incoming().next().await.unwrap()?;
///     assert!(conn.peer_addr().is_ok());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
    accept: AcceptLoop,
}

impl Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let listener = this.listener;
        let conn = ready!(this.accept.poll(cx, |cx| listener.poll_accept(cx)));
        Poll::Ready(Some(conn.map(|(stream, _)| stream)))
    }
}

impl fmt::Debug for UnixIncoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixIncoming")
            .field("listener", self.listener)
            .field("backing_off", &self.accept.is_backing_off())
            .finish()
    }
}
