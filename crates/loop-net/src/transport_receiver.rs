//! The two ways a connection hands received bytes to its protocol: a borrowed slice of a
//! shared read buffer ([`Protocol`]) or the protocol's own buffer ([`BufferedProtocol`]).
//! Every callback runs under `catch_unwind`, so a panicking protocol is a fault of its
//! connection and never of the loop.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use crate::buffered_protocol::BufferedProtocol;
use crate::protocol::Protocol;
use crate::transport::Transport;
use crate::transport_io::TransportIo;

/// Bytes asked for per read. asyncio and uvloop read up to 256 KiB at a time; one buffer per
/// thread serves every connection, so its size costs nothing per connection.
pub(crate) const READ_SIZE: usize = 256 * 1024;

/// The size hint given to [`BufferedProtocol::get_buffer`].
const BUFFER_HINT: usize = 64 * 1024;

thread_local! {
    static READ_BUFFER: Cell<Option<Box<[u8]>>> = const { Cell::new(None) };
}

/// Borrows this thread's read buffer (or a fresh one if it is already out) and returns it
/// when dropped.
pub(crate) struct ReadBuffer(Option<Box<[u8]>>);

impl ReadBuffer {
    pub(crate) fn take() -> ReadBuffer {
        let buf = READ_BUFFER
            .with(Cell::take)
            .unwrap_or_else(|| vec![0; READ_SIZE].into_boxed_slice());
        ReadBuffer(Some(buf))
    }

    pub(crate) fn get(&mut self) -> &mut [u8] {
        self.0.as_deref_mut().expect("buffer present until drop")
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let buf = self.0.take();
        READ_BUFFER.with(|slot| slot.set(buf));
    }
}

/// Why a connection must end because of its protocol or its stream.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The stream failed.
    Io(io::Error),
    /// A protocol callback panicked, or broke the rules (an empty buffer, a borrow held
    /// across an await). Reported to the exception handler.
    Protocol {
        callback: &'static str,
        detail: String,
    },
}

impl Fault {
    pub(crate) fn into_error(self) -> io::Error {
        match self {
            Fault::Io(e) => e,
            Fault::Protocol { callback, detail } => {
                io::Error::other(format!("protocol {callback}() failed: {detail}"))
            }
        }
    }
}

fn panic_detail(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Runs one protocol callback, turning a panic into a [`Fault`].
pub(crate) fn guarded<R>(callback: &'static str, f: impl FnOnce() -> R) -> Result<R, Fault> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Fault::Protocol {
        callback,
        detail: panic_detail(&*payload),
    })
}

fn borrowed(callback: &'static str) -> Fault {
    Fault::Protocol {
        callback,
        detail: "the protocol was already borrowed (a RefCell borrow held across an await?)"
            .to_owned(),
    }
}

/// What one read step did.
pub(crate) enum Received {
    Data,
    Eof,
}

pub(crate) trait Receiver: 'static {
    fn connection_made(&self, transport: Transport) -> Result<(), Fault>;

    /// Reads once and delivers what came.
    fn poll_receive<S: TransportIo>(
        &self,
        io: &RefCell<Option<S>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Received, Fault>>;

    fn eof_received(&self) -> Result<bool, Fault>;

    fn connection_lost(&self, error: Option<io::Error>) -> Result<(), Fault>;

    /// `pause_writing` (`pause`) or `resume_writing`; `None` when the protocol is borrowed.
    fn flow(&self, pause: bool) -> Option<Result<(), Fault>>;
}

/// Calls `f` on the protocol, or fails if it is borrowed.
fn with<P: ?Sized, R>(
    protocol: &RefCell<P>,
    callback: &'static str,
    f: impl FnOnce(&mut P) -> R,
) -> Result<R, Fault> {
    let mut p = protocol.try_borrow_mut().map_err(|_| borrowed(callback))?;
    guarded(callback, || f(&mut p))
}

/// The receiver methods that [`Protocol`] and [`BufferedProtocol`] share by name and meaning,
/// for an impl on a wrapper of `Rc<RefCell<P>>`.
macro_rules! shared_callbacks {
    () => {
        fn connection_made(&self, transport: Transport) -> Result<(), Fault> {
            with(&self.0, "connection_made", |p| p.connection_made(transport))
        }

        fn eof_received(&self) -> Result<bool, Fault> {
            with(&self.0, "eof_received", |p| p.eof_received())
        }

        fn connection_lost(&self, error: Option<io::Error>) -> Result<(), Fault> {
            with(&self.0, "connection_lost", |p| p.connection_lost(error))
        }

        fn flow(&self, pause: bool) -> Option<Result<(), Fault>> {
            let mut p = self.0.try_borrow_mut().ok()?;
            Some(if pause {
                guarded("pause_writing", || p.pause_writing())
            } else {
                guarded("resume_writing", || p.resume_writing())
            })
        }
    };
}

/// A [`Protocol`] as a receiver.
pub(crate) struct SliceReceiver<P>(pub(crate) Rc<RefCell<P>>);

impl<P: Protocol> Receiver for SliceReceiver<P> {
    shared_callbacks!();

    fn poll_receive<S: TransportIo>(
        &self,
        io: &RefCell<Option<S>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Received, Fault>> {
        let mut guard = io.borrow_mut();
        let Some(stream) = guard.as_mut() else {
            return Poll::Pending;
        };
        let mut buf = ReadBuffer::take();
        let n = match ready!(stream.poll_read(cx, buf.get())) {
            Ok(0) => return Poll::Ready(Ok(Received::Eof)),
            Ok(n) => n,
            Err(e) => return Poll::Ready(Err(Fault::Io(e))),
        };
        drop(guard);
        let data = &buf.get()[..n];
        Poll::Ready(
            with(&self.0, "data_received", |p| p.data_received(data)).map(|()| Received::Data),
        )
    }
}

/// A [`BufferedProtocol`] as a receiver.
pub(crate) struct BufferReceiver<P>(pub(crate) Rc<RefCell<P>>);

impl<P: BufferedProtocol> Receiver for BufferReceiver<P> {
    shared_callbacks!();

    fn poll_receive<S: TransportIo>(
        &self,
        io: &RefCell<Option<S>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Received, Fault>> {
        // Ask for a buffer only once a read may find something.
        {
            let mut guard = io.borrow_mut();
            let Some(stream) = guard.as_mut() else {
                return Poll::Pending;
            };
            if let Err(e) = ready!(stream.poll_read_ready(cx)) {
                return Poll::Ready(Err(Fault::Io(e)));
            }
        }
        // `get_buffer` runs with the stream free, so it may use its transport.
        let read = with(&self.0, "get_buffer", |p| {
            let buf = p.get_buffer(BUFFER_HINT);
            if buf.is_empty() {
                return None;
            }
            let mut guard = io.borrow_mut();
            Some(match guard.as_mut() {
                Some(stream) => stream.poll_read(cx, buf),
                None => Poll::Pending,
            })
        });
        let n = match read {
            Err(fault) => return Poll::Ready(Err(fault)),
            Ok(None) => {
                return Poll::Ready(Err(Fault::Protocol {
                    callback: "get_buffer",
                    detail: "it returned an empty buffer".to_owned(),
                }));
            }
            Ok(Some(Poll::Pending)) => return Poll::Pending,
            Ok(Some(Poll::Ready(Err(e)))) => return Poll::Ready(Err(Fault::Io(e))),
            Ok(Some(Poll::Ready(Ok(0)))) => return Poll::Ready(Ok(Received::Eof)),
            Ok(Some(Poll::Ready(Ok(n)))) => n,
        };
        Poll::Ready(
            with(&self.0, "buffer_updated", |p| p.buffer_updated(n)).map(|()| Received::Data),
        )
    }
}
