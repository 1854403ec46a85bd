// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers for the transport/protocol tests: a protocol that records what it is told, and
//! blocking peers on threads. Each such test file says `mod proto;`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use loop_core::{EventLoop, ExceptionContext};
use loop_net::{Protocol, Transport};

/// Generous: a broken test fails after this instead of hanging; a working one never waits it.
pub(crate) const WATCHDOG: Duration = Duration::from_secs(60);

/// One protocol callback, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev {
    Made,
    Data(Vec<u8>),
    Eof,
    Lost(Option<String>),
    Pause,
    Resume,
}

/// State shared between a [`Rec`] protocol and the test.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) events: RefCell<Vec<Ev>>,
    pub(crate) transport: RefCell<Option<Transport>>,
    /// What `eof_received` answers.
    pub(crate) keep_open: Cell<bool>,
    /// Write back whatever arrives.
    pub(crate) echo: Cell<bool>,
    /// Bytes received in total.
    pub(crate) received: Cell<usize>,
}

impl Shared {
    pub(crate) fn new() -> Rc<Shared> {
        Rc::new(Shared::default())
    }

    pub(crate) fn transport(&self) -> Transport {
        self.transport
            .borrow()
            .clone()
            .expect("connection_made was called")
    }

    pub(crate) fn events(&self) -> Vec<Ev> {
        self.events.borrow().clone()
    }

    /// Received data concatenated.
    pub(crate) fn data(&self) -> Vec<u8> {
        self.events
            .borrow()
            .iter()
            .filter_map(|e| match e {
                Ev::Data(d) => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub(crate) fn lost(&self) -> bool {
        self.events
            .borrow()
            .iter()
            .any(|e| matches!(e, Ev::Lost(_)))
    }

    pub(crate) fn count(&self, ev: &Ev) -> usize {
        self.events.borrow().iter().filter(|e| *e == ev).count()
    }

    /// The events with consecutive data chunks merged, for order checks.
    pub(crate) fn shape(&self) -> Vec<Ev> {
        let mut out: Vec<Ev> = Vec::new();
        for e in self.events.borrow().iter() {
            match (out.last_mut(), e) {
                (Some(Ev::Data(acc)), Ev::Data(d)) => acc.extend_from_slice(d),
                _ => out.push(e.clone()),
            }
        }
        out
    }
}

/// A protocol that records every callback into its [`Shared`].
pub(crate) struct Rec(pub(crate) Rc<Shared>);

impl std::fmt::Debug for Rec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Rec").field(&self.0.events()).finish()
    }
}

impl Rec {
    /// A factory making `Rec`s that all record into `shared`.
    pub(crate) fn factory(shared: &Rc<Shared>) -> impl FnMut() -> Rec + 'static {
        let shared = shared.clone();
        move || Rec(shared.clone())
    }
}

impl Protocol for Rec {
    fn connection_made(&mut self, transport: Transport) {
        self.0.events.borrow_mut().push(Ev::Made);
        *self.0.transport.borrow_mut() = Some(transport);
    }

    fn data_received(&mut self, data: &[u8]) {
        self.0.events.borrow_mut().push(Ev::Data(data.to_vec()));
        self.0.received.set(self.0.received.get() + data.len());
        if self.0.echo.get() {
            self.0.transport().write(data);
        }
    }

    fn eof_received(&mut self) -> bool {
        self.0.events.borrow_mut().push(Ev::Eof);
        self.0.keep_open.get()
    }

    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.0
            .events
            .borrow_mut()
            .push(Ev::Lost(error.map(|e| e.to_string())));
    }

    fn pause_writing(&mut self) {
        self.0.events.borrow_mut().push(Ev::Pause);
    }

    fn resume_writing(&mut self) {
        self.0.events.borrow_mut().push(Ev::Resume);
    }
}

/// Runs `future` on a fresh loop whose exception reports are recorded and returned; fails
/// the test instead of hanging after the watchdog.
pub(crate) fn run<T>(future: impl Future<Output = T>) -> (T, Vec<ExceptionContext>) {
    let lp = EventLoop::new().unwrap();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |ctx| sink.borrow_mut().push(ctx.clone()));
    let out = lp
        .block_on(async {
            match loop_core::timeout(WATCHDOG, future).await {
                Ok(out) => out,
                Err(_) => panic!("watchdog: the test did not finish in time"),
            }
        })
        .unwrap();
    let reports = reports.borrow().clone();
    (out, reports)
}

/// Waits (yielding to the loop, 1 ms at a time) until `cond` holds; the watchdog bounds it.
pub(crate) async fn until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        loop_core::sleep(Duration::from_millis(1)).await;
    }
}

/// A blocking client connected to `addr`, with the watchdog as its read/write timeout.
pub(crate) fn client(addr: SocketAddr) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WATCHDOG)).unwrap();
    s.set_write_timeout(Some(WATCHDOG)).unwrap();
    s
}

/// Reads until EOF (blocking, bounded by the socket's timeout).
pub(crate) fn read_to_end(s: &mut std::net::TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    io::Read::read_to_end(s, &mut out).unwrap();
    out
}

/// A blocking peer, started now on another thread; the loop side awaits its result without
/// blocking.
pub(crate) fn on_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> impl Future<Output = T> {
    loop_core::unblock(f)
}

/// The first listening address of a server.
pub(crate) fn addr_of(server: &loop_net::Server) -> SocketAddr {
    server.sockets()[0].as_inet().unwrap()
}
