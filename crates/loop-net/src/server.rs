//! [`Server`]: listening sockets that run a protocol per accepted connection (asyncio's
//! `loop.create_server` and `Server`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use loop_core::{ExceptionContext, Task};

use crate::accept_loop::AcceptLoop;
use crate::addr::{ToSocketAddrs, lookup_host};
use crate::tcp_listener::{TcpListenOptions, TcpListener};
use crate::tcp_stream::TcpStream;
use crate::transport::{AttachParts, ProtocolFactory, Transport};
use crate::transport_conn::Setup;
use crate::transport_info::{Extras, StreamInfo, TransportAddr};
use crate::transport_io::{AnyIo, SocketIo, Stream, StreamIo};
use crate::unix_listener::UnixListener;
use crate::unix_stream::UnixStream;

/// asyncio's default listen backlog.
const BACKLOG: u32 = 100;

/// Pause after an accept error that is neither transient nor resource exhaustion (the
/// listener's own accept loop handles those), so a persistent error cannot spin the loop.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

type WrapFuture = Pin<Box<dyn Future<Output = io::Result<(Box<dyn Stream>, StreamInfo)>>>>;
type Wrap = Rc<dyn Fn(Box<dyn Stream>, StreamInfo) -> WrapFuture>;
/// Makes a protocol and a transport for a stream: server, stream, extras, no-write-eof.
type AttachFn = Box<dyn Fn(&Rc<Inner>, AnyIo, Extras, bool)>;

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

enum Accepted {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Listener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
        match self {
            Listener::Tcp(l) => l.poll_accept(cx).map_ok(|(s, _)| Accepted::Tcp(s)),
            Listener::Unix(l) => l.poll_accept(cx).map_ok(|(s, _)| Accepted::Unix(s)),
        }
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok().map(TransportAddr::Inet),
            Listener::Unix(l) => l.local_addr().ok().map(TransportAddr::Unix),
        }
    }
}

struct Inner {
    listeners: RefCell<Vec<Listener>>,
    accept_tasks: RefCell<Vec<Task<()>>>,
    serving: Cell<bool>,
    closed: Cell<bool>,
    /// Connections accepted and not yet lost, wrapping ones included.
    active: Cell<usize>,
    transports: RefCell<HashMap<u64, Transport>>,
    next_id: Cell<u64>,
    waiters: RefCell<Vec<Waker>>,
    wrap: Option<Wrap>,
    /// Makes a protocol and a transport for a connected stream.
    attach: AttachFn,
}

impl Inner {
    fn wake_waiters(&self) {
        for waker in self.waiters.borrow_mut().drain(..) {
            waker.wake();
        }
    }

    fn close(&self) {
        self.closed.set(true);
        self.serving.set(false);
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        let tasks = std::mem::take(&mut *self.accept_tasks.borrow_mut());
        drop((listeners, tasks));
        self.wake_waiters();
    }

    /// Runs a protocol on a new connection, after the wrap if there is one.
    fn accepted(self: &Rc<Self>, accepted: Accepted) {
        self.active.set(self.active.get() + 1);
        let Some(wrap) = &self.wrap else {
            let io = match accepted {
                Accepted::Tcp(s) => {
                    // asyncio sets TCP_NODELAY on every TCP transport.
                    let _ = s.set_nodelay(true);
                    AnyIo::Tcp(SocketIo(s))
                }
                Accepted::Unix(s) => AnyIo::Unix(SocketIo(s)),
            };
            (self.attach)(self, io, Extras::default(), false);
            return;
        };
        let (stream, info) = boxed_with_info(accepted);
        let wrapping = wrap(stream, info);
        let weak = Rc::downgrade(self);
        let task = async move {
            let result = wrapping.await;
            let Some(inner) = weak.upgrade() else { return };
            match result {
                Ok((stream, info)) => {
                    let io = AnyIo::Stream(Box::new(StreamIo {
                        stream,
                        peer: info.peer,
                        local: info.local,
                    }));
                    (inner.attach)(&inner, io, info.extras, info.no_write_eof);
                }
                Err(e) => {
                    report(
                        "Error on transport creation for incoming connection",
                        Some(e),
                    );
                    inner.connection_ended(None);
                }
            }
        };
        match loop_core::get_running_loop() {
            Ok(lp) => lp.spawn_local(task).detach(),
            Err(_) => self.connection_ended(None),
        }
    }

    fn connection_ended(&self, id: Option<u64>) {
        if let Some(id) = id {
            let transport = self.transports.borrow_mut().remove(&id);
            drop(transport);
        }
        self.active.set(self.active.get() - 1);
        if self.active.get() == 0 {
            self.wake_waiters();
        }
    }
}

/// Listening sockets plus the connections they accepted (asyncio's `Server`).
///
/// Made by [`create_server`], [`create_unix_server`] or a [`ServerBuilder`]. Each accepted
/// connection gets a new protocol from the factory and a [`Transport`]. Dropping the last
/// handle closes the listening sockets, as [`close`](Server::close) does; connections
/// already accepted live on.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use loop_net::{Protocol, Transport, create_server};
///
/// #[derive(Default)]
/// struct Echo(Option<Transport>);
/// impl Protocol for Echo {
///     fn connection_made(&mut self, t: Transport) { self.0 = Some(t); }
///     fn data_received(&mut self, data: &[u8]) { self.0.as_ref().unwrap().write(data); }
/// }
///
/// loop_core::run(async {
///     let server = create_server(Echo::default, "127.0.0.1:0").await?;
///     let addr = server.sockets()[0].as_inet().unwrap();
///     let client = loop_core::unblock(move || {
///         let mut s = std::net::TcpStream::connect(addr)?;
///         s.write_all(b"ping")?;
///         let mut buf = [0; 4];
///         s.read_exact(&mut buf)?;
///         std::io::Result::Ok(buf)
///     });
///     assert_eq!(&client.await?, b"ping");
///     server.close();
///     server.wait_closed().await;
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct Server {
    inner: Rc<Inner>,
}

/// Listens on every address `addr` resolves to and serves `protocol_factory`'s protocol on
/// each connection (asyncio's `loop.create_server`, with `reuse_address` on and backlog 100).
/// [`Server::builder`] has the options.
///
/// # Errors
///
/// A malformed address, a failed lookup, a bind error (`AddrInUse`), or no running loop.
///
/// ```
/// use loop_net::{Protocol, create_server};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
/// loop_core::run(async {
///     let server = create_server(|| Nop, "127.0.0.1:0").await?;
///     assert!(server.is_serving());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_server<F: ProtocolFactory>(
    protocol_factory: F,
    addr: impl ToSocketAddrs,
) -> io::Result<Server> {
    Server::builder(protocol_factory).bind(addr).await
}

/// Listens on the Unix socket `path` (removing a stale socket file first, never anything
/// else) and serves `protocol_factory`'s protocol (asyncio's `loop.create_unix_server`).
///
/// # Errors
///
/// `AddrInUse` when `path` exists and is not a socket; the OS's otherwise.
///
/// ```
/// use loop_net::{Protocol, create_unix_server};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
/// let dir = std::env::temp_dir().join(format!("loop-net-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("server.sock");
/// loop_core::run(async {
///     let server = create_unix_server(|| Nop, &path)?;
///     assert!(server.is_serving());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
pub fn create_unix_server<F: ProtocolFactory>(
    protocol_factory: F,
    path: impl AsRef<Path>,
) -> io::Result<Server> {
    Server::builder(protocol_factory).bind_unix(path)
}

/// Options for a [`Server`]: listen options, start serving later, and a transform applied
/// to each accepted stream before the protocol attaches (a TLS handshake).
///
/// ```
/// use loop_net::{Protocol, Server, TcpListenOptions};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
/// loop_core::run(async {
///     let server = Server::builder(|| Nop)
///         .listen_options(TcpListenOptions::new().backlog(1024))
///         .start_serving(false)
///         .bind("127.0.0.1:0")
///         .await?;
///     assert!(!server.is_serving());
///     server.start_serving()?;
///     assert!(server.is_serving());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct ServerBuilder<F> {
    factory: F,
    options: TcpListenOptions,
    start_serving: bool,
    wrap: Option<Wrap>,
}

impl<F: ProtocolFactory> ServerBuilder<F> {
    /// Backlog, `SO_REUSEADDR`, `SO_REUSEPORT` (default: backlog 100, reuse-address on).
    ///
    /// ```
    /// # use loop_net::{Protocol, Server, TcpListenOptions};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// let b = Server::builder(|| Nop).listen_options(TcpListenOptions::new().reuse_port(true));
    /// # let _ = b;
    /// ```
    pub fn listen_options(mut self, options: TcpListenOptions) -> ServerBuilder<F> {
        self.options = options;
        self
    }

    /// Whether to accept at once (the default) or only after [`Server::start_serving`] or
    /// [`Server::serve_forever`]; meanwhile connections wait in the kernel's backlog.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// let b = Server::builder(|| Nop).start_serving(false);
    /// # let _ = b;
    /// ```
    pub fn start_serving(mut self, yes: bool) -> ServerBuilder<F> {
        self.start_serving = yes;
        self
    }

    /// Runs `wrap` on each accepted stream, with what is known about it, before the protocol
    /// attaches: the protocol is made and `connection_made` called only once the returned
    /// future gives the stream to use (asyncio's `ssl=`; loop-tls does its handshake here).
    /// If it fails, the error goes to the loop's exception handler and the connection is
    /// dropped; the server serves on. A connection counts as active for
    /// [`Server::wait_closed`] from its accept.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// // The identity transform: the stream as accepted.
    /// let b = Server::builder(|| Nop).wrap(|stream, info| async move { Ok((stream, info)) });
    /// # let _ = b;
    /// ```
    pub fn wrap<W, Fut, S>(mut self, wrap: W) -> ServerBuilder<F>
    where
        W: Fn(Box<dyn Stream>, StreamInfo) -> Fut + 'static,
        Fut: Future<Output = io::Result<(S, StreamInfo)>> + 'static,
        S: Stream,
    {
        self.wrap = Some(Rc::new(move |stream, info| {
            let fut = wrap(stream, info);
            Box::pin(async move {
                let (stream, info) = fut.await?;
                Ok((Box::new(stream) as Box<dyn Stream>, info))
            })
        }));
        self
    }

    /// Listens on every address `addr` resolves to.
    ///
    /// # Errors
    ///
    /// A malformed address, a failed lookup or any bind error (then nothing stays bound).
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = Server::builder(|| Nop).bind("127.0.0.1:0").await?;
    ///     assert_eq!(s.sockets().len(), 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        let mut listeners = Vec::new();
        for addr in lookup_host(addr).await? {
            listeners.push(Listener::Tcp(self.options.listen(addr)?));
        }
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no address to listen on",
            ));
        }
        self.serve(listeners)
    }

    /// Listens on a Unix socket path (see [`create_unix_server`]).
    ///
    /// # Errors
    ///
    /// As [`UnixListener::bind`].
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = Server::builder(|| Nop).bind_unix("\0loop-net-doc-builder")?; // abstract name
    ///     assert!(s.is_serving());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_unix(self, path: impl AsRef<Path>) -> io::Result<Server> {
        let listener = UnixListener::bind(path)?;
        self.serve(vec![Listener::Unix(listener)])
    }

    /// Serves on a listener made elsewhere (asyncio's `sock=`).
    ///
    /// # Errors
    ///
    /// No running loop.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server, TcpListener};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").await?;
    ///     let s = Server::builder(|| Nop).serve_listener(l)?;
    ///     assert!(s.is_serving());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn serve_listener(self, listener: TcpListener) -> io::Result<Server> {
        self.serve(vec![Listener::Tcp(listener)])
    }

    /// Serves on a Unix listener made elsewhere.
    ///
    /// # Errors
    ///
    /// No running loop.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server, UnixListener};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let l = UnixListener::bind("\0loop-net-doc-serve-unix")?;
    ///     let s = Server::builder(|| Nop).serve_unix_listener(l)?;
    ///     assert!(s.is_serving());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn serve_unix_listener(self, listener: UnixListener) -> io::Result<Server> {
        self.serve(vec![Listener::Unix(listener)])
    }

    fn serve(self, listeners: Vec<Listener>) -> io::Result<Server> {
        loop_core::get_running_loop().map_err(io::Error::other)?;
        let factory = RefCell::new(self.factory);
        let attach = move |inner: &Rc<Inner>, io: AnyIo, extras: Extras, no_write_eof: bool| {
            let made = catch_unwind(AssertUnwindSafe(|| factory.borrow_mut().make()));
            let protocol = match made {
                Ok(p) => Rc::new(RefCell::new(p)),
                Err(_) => {
                    report("Exception in protocol factory", None);
                    inner.connection_ended(None);
                    return;
                }
            };
            let id = inner.next_id.get();
            inner.next_id.set(id + 1);
            let weak = Rc::downgrade(inner);
            let setup = Setup {
                extras,
                no_write_eof,
                on_finish: Some(Box::new(move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.connection_ended(Some(id));
                    }
                })),
                connection_made: true,
            };
            match F::attach(AttachParts { io, setup }, protocol) {
                Ok(transport) => {
                    inner.transports.borrow_mut().insert(id, transport);
                }
                Err(e) => {
                    report(
                        "Error on transport creation for incoming connection",
                        Some(e),
                    );
                    inner.connection_ended(None);
                }
            }
        };
        let inner = Rc::new(Inner {
            listeners: RefCell::new(listeners),
            accept_tasks: RefCell::new(Vec::new()),
            serving: Cell::new(false),
            closed: Cell::new(false),
            active: Cell::new(0),
            transports: RefCell::new(HashMap::new()),
            next_id: Cell::new(0),
            waiters: RefCell::new(Vec::new()),
            wrap: self.wrap,
            attach: Box::new(attach),
        });
        let server = Server { inner };
        if self.start_serving {
            server.start_serving()?;
        }
        Ok(server)
    }
}

fn report(message: &str, error: Option<io::Error>) {
    if let Ok(lp) = loop_core::get_running_loop() {
        let mut ctx = ExceptionContext::from_message(message);
        ctx.detail = error.map(|e| e.to_string());
        lp.call_exception_handler(ctx);
    }
}

fn boxed_with_info(accepted: Accepted) -> (Box<dyn Stream>, StreamInfo) {
    match accepted {
        Accepted::Tcp(s) => {
            let mut info = StreamInfo::new();
            info.peer = s.peer_addr().ok().map(TransportAddr::Inet);
            info.local = s.local_addr().ok().map(TransportAddr::Inet);
            (Box::new(s), info)
        }
        Accepted::Unix(s) => {
            let mut info = StreamInfo::new();
            info.peer = s.peer_addr().ok().map(TransportAddr::Unix);
            info.local = s.local_addr().ok().map(TransportAddr::Unix);
            (Box::new(s), info)
        }
    }
}

/// Accepts on listener `index` of the server until the server closes or goes away.
async fn accept_loop(server: Weak<Inner>, index: usize) {
    let mut resilient = AcceptLoop::new();
    loop {
        let accepted = poll_fn(|cx| {
            let Some(inner) = server.upgrade() else {
                return Poll::Ready(None);
            };
            let listeners = inner.listeners.borrow();
            let Some(listener) = listeners.get(index) else {
                return Poll::Ready(None);
            };
            resilient
                .poll(cx, |cx| listener.poll_accept(cx))
                .map(|r| Some((inner.clone(), r)))
        })
        .await;
        match accepted {
            None => return,
            Some((inner, Ok(stream))) => inner.accepted(stream),
            Some((inner, Err(e))) => {
                drop(inner);
                report("Error accepting a connection", Some(e));
                loop_core::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
}

impl Server {
    /// A builder, for options [`create_server`] does not take.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// let builder = Server::builder(|| Nop);
    /// # let _ = builder;
    /// ```
    pub fn builder<F: ProtocolFactory>(protocol_factory: F) -> ServerBuilder<F> {
        ServerBuilder {
            factory: protocol_factory,
            options: TcpListenOptions::new().backlog(BACKLOG),
            start_serving: true,
            wrap: None,
        }
    }

    /// Starts accepting, if not yet. Idempotent.
    ///
    /// # Errors
    ///
    /// When the server is closed, or no loop runs.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = Server::builder(|| Nop).start_serving(false).bind("127.0.0.1:0").await?;
    ///     s.start_serving()?;
    ///     s.close();
    ///     assert!(s.start_serving().is_err());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn start_serving(&self) -> io::Result<()> {
        let inner = &self.inner;
        if inner.closed.get() {
            return Err(closed_error());
        }
        if inner.serving.get() {
            return Ok(());
        }
        let lp = loop_core::get_running_loop().map_err(io::Error::other)?;
        let count = inner.listeners.borrow().len();
        let tasks = (0..count)
            .map(|i| lp.spawn_local(accept_loop(Rc::downgrade(inner), i)))
            .collect();
        *inner.accept_tasks.borrow_mut() = tasks;
        inner.serving.set(true);
        Ok(())
    }

    /// Whether the server is accepting connections.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = create_server(|| Nop, "127.0.0.1:0").await?;
    ///     assert!(s.is_serving());
    ///     s.close();
    ///     assert!(!s.is_serving());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_serving(&self) -> bool {
        self.inner.serving.get()
    }

    /// The addresses the server listens on (asyncio's `server.sockets`); empty once closed.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = create_server(|| Nop, "127.0.0.1:0").await?;
    ///     assert_ne!(s.sockets()[0].as_inet().unwrap().port(), 0);
    ///     s.close();
    ///     assert!(s.sockets().is_empty());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn sockets(&self) -> Vec<TransportAddr> {
        let listeners = self.inner.listeners.borrow();
        listeners.iter().filter_map(Listener::local_addr).collect()
    }

    /// Stops listening: the sockets are closed now, so new connections are refused. Accepted
    /// connections are left alone (see [`close_clients`](Server::close_clients)). Idempotent.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = create_server(|| Nop, "127.0.0.1:0").await?;
    ///     let addr = s.sockets()[0].as_inet().unwrap();
    ///     s.close();
    ///     assert!(std::net::TcpStream::connect(addr).is_err());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        self.inner.close();
    }

    /// Closes every accepted connection (flushing each), as asyncio 3.13's `close_clients`.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// let server = create_server(|| Nop, "127.0.0.1:0").await?;
    /// let addr = server.sockets()[0].as_inet().unwrap();
    /// let _client = std::net::TcpStream::connect(addr)?;
    /// while server.active_connections() == 0 {
    ///     loop_core::sleep(std::time::Duration::from_millis(1)).await;
    /// }
    /// server.close();
    /// server.close_clients();
    /// server.wait_closed().await; // the connection is gone too
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close_clients(&self) {
        let all: Vec<Transport> = self.inner.transports.borrow().values().cloned().collect();
        for t in all {
            t.close();
        }
    }

    /// Aborts every accepted connection, as asyncio 3.13's `abort_clients`.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// let server = create_server(|| Nop, "127.0.0.1:0").await?;
    /// let addr = server.sockets()[0].as_inet().unwrap();
    /// let _client = std::net::TcpStream::connect(addr)?;
    /// while server.active_connections() == 0 {
    ///     loop_core::sleep(std::time::Duration::from_millis(1)).await;
    /// }
    /// server.close();
    /// server.abort_clients();
    /// server.wait_closed().await;
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn abort_clients(&self) {
        let all: Vec<Transport> = self.inner.transports.borrow().values().cloned().collect();
        for t in all {
            t.abort();
        }
    }

    /// Connections accepted and not yet lost.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// let server = create_server(|| Nop, "127.0.0.1:0").await?;
    /// let addr = server.sockets()[0].as_inet().unwrap();
    /// assert_eq!(server.active_connections(), 0);
    /// let _client = std::net::TcpStream::connect(addr)?;
    /// while server.active_connections() == 0 {
    ///     loop_core::sleep(std::time::Duration::from_millis(1)).await;
    /// }
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn active_connections(&self) -> usize {
        self.inner.active.get()
    }

    /// Waits until the server is closed and every connection it accepted has been lost
    /// (asyncio 3.12's semantics). Before [`close`](Server::close) it waits for the close.
    ///
    /// ```
    /// # use loop_net::{Protocol, create_server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = create_server(|| Nop, "127.0.0.1:0").await?;
    ///     s.close();
    ///     s.wait_closed().await;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn wait_closed(&self) -> WaitClosed {
        WaitClosed {
            inner: self.inner.clone(),
        }
    }

    /// Serves until the server is closed: starts serving if needed, then waits. Dropping the
    /// future (cancelling it) closes the server, as asyncio does.
    ///
    /// # Errors
    ///
    /// When the server is already closed.
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let s = Server::builder(|| Nop).start_serving(false).bind("127.0.0.1:0").await?;
    ///     let serving = loop_core::timeout(std::time::Duration::from_millis(10), s.serve_forever()).await;
    ///     assert!(serving.is_err()); // timed out, and dropping it closed the server
    ///     assert!(s.sockets().is_empty());
    ///     assert!(s.serve_forever().await.is_err());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn serve_forever(&self) -> io::Result<()> {
        self.start_serving()?;
        let guard = CloseOnDrop(&self.inner);
        poll_fn(|cx| {
            if guard.0.closed.get() {
                return Poll::Ready(());
            }
            guard.0.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await;
        Ok(())
    }
}

fn closed_error() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the server is closed")
}

struct CloseOnDrop<'a>(&'a Rc<Inner>);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("sockets", &self.sockets())
            .field("serving", &self.is_serving())
            .field("active_connections", &self.active_connections())
            .finish()
    }
}

impl<F> fmt::Debug for ServerBuilder<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("options", &self.options)
            .field("start_serving", &self.start_serving)
            .field("wrap", &self.wrap.is_some())
            .finish_non_exhaustive()
    }
}

/// Future of [`Server::wait_closed`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitClosed {
    inner: Rc<Inner>,
}

impl Future for WaitClosed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.inner;
        if inner.closed.get() && inner.active.get() == 0 {
            return Poll::Ready(());
        }
        let mut waiters = inner.waiters.borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl fmt::Debug for WaitClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitClosed").finish_non_exhaustive()
    }
}
