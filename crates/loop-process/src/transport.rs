//! Pipe transports and protocols: asyncio's `connect_read_pipe` / `connect_write_pipe`, and
//! the per-fd pipes of a [`SubprocessTransport`](crate::SubprocessTransport).
//!
//! Each transport is driven by one local task on the loop. Protocol methods are always called
//! from that task, never from inside a transport method, so a protocol may call its transport
//! (write, pause, close) from any callback.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_lite::io::{AsyncRead, AsyncWrite};
use loop_core::{Loop, get_running_loop};

use crate::pipe::{PipeReader, PipeWriter};

/// Chunk size of a read pipe transport: asyncio's `max_size`.
const READ_CHUNK: usize = 256 * 1024;
/// Chunks read in a row before the reader yields to the rest of the loop.
const READS_PER_TURN: usize = 16;

/// What the task behind a transport and the transport's handles share.
#[derive(Default)]
struct Control {
    closing: Cell<bool>,
    paused: Cell<bool>,
    finished: Cell<bool>,
    waker: Cell<Option<Waker>>,
    buffer: RefCell<Vec<u8>>,
}

impl Control {
    fn wake(&self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    fn park(&self, cx: &Context<'_>) {
        self.waker.set(Some(cx.waker().clone()));
    }
}

/// The read side of a pipe on the loop: pause, resume, close. Cloning gives another handle to
/// the same pipe.
///
/// ```
/// use loop_process::{ReadPipeProtocol, connect_read_pipe};
///
/// #[derive(Default)]
/// struct Collect(Vec<u8>, bool);
/// impl ReadPipeProtocol for Collect {
///     fn data_received(&mut self, data: &[u8]) { self.0.extend_from_slice(data) }
///     fn connection_lost(&mut self, _error: Option<std::io::Error>) { self.1 = true }
/// }
///
/// loop_core::run(async {
///     let (read, write) = std::os::unix::net::UnixStream::pair()?;
///     let (_transport, protocol) = connect_read_pipe(Collect::default, read)?;
///     std::io::Write::write_all(&mut &write, b"hello")?;
///     drop(write);
///     while !protocol.borrow().1 {
///         loop_core::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(protocol.borrow().0, b"hello");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct ReadPipeTransport {
    control: Rc<Control>,
}

impl ReadPipeTransport {
    /// Stops delivering data until [`resume_reading`](Self::resume_reading); the writer
    /// blocks once the pipe's buffer fills.
    ///
    /// ```
    /// # use loop_process::{ReadPipeProtocol, connect_read_pipe};
    /// # struct Ignore;
    /// # impl ReadPipeProtocol for Ignore { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let (read, _write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_read_pipe(|| Ignore, read)?;
    ///     transport.pause_reading();
    ///     assert!(!transport.is_reading());
    ///     transport.resume_reading();
    ///     assert!(transport.is_reading());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pause_reading(&self) {
        self.control.paused.set(true);
    }

    /// Resumes delivering data after [`pause_reading`](Self::pause_reading).
    ///
    /// ```
    /// # use loop_process::{ReadPipeProtocol, connect_read_pipe};
    /// # struct Ignore;
    /// # impl ReadPipeProtocol for Ignore { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let (read, _write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_read_pipe(|| Ignore, read)?;
    ///     transport.resume_reading();
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn resume_reading(&self) {
        self.control.paused.set(false);
        self.control.wake();
    }

    /// Whether data is being delivered (not paused, not closed).
    ///
    /// ```
    /// # use loop_process::{ReadPipeProtocol, connect_read_pipe};
    /// # struct Ignore;
    /// # impl ReadPipeProtocol for Ignore { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let (read, _write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_read_pipe(|| Ignore, read)?;
    ///     assert!(transport.is_reading());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_reading(&self) -> bool {
        !self.control.paused.get() && !self.is_closing()
    }

    /// Closes the pipe; the protocol's `connection_lost(None)` follows on a later loop turn.
    ///
    /// ```
    /// # use loop_process::{ReadPipeProtocol, connect_read_pipe};
    /// # struct Ignore;
    /// # impl ReadPipeProtocol for Ignore { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let (read, _write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_read_pipe(|| Ignore, read)?;
    ///     transport.close();
    ///     assert!(transport.is_closing());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        self.control.closing.set(true);
        self.control.wake();
    }

    /// Whether [`close`](Self::close) was called or the pipe reached its end.
    ///
    /// ```
    /// # use loop_process::{ReadPipeProtocol, connect_read_pipe};
    /// # struct Ignore;
    /// # impl ReadPipeProtocol for Ignore { fn data_received(&mut self, _: &[u8]) {} }
    /// loop_core::run(async {
    ///     let (read, _write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_read_pipe(|| Ignore, read)?;
    ///     assert!(!transport.is_closing());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closing(&self) -> bool {
        self.control.closing.get() || self.control.finished.get()
    }
}

impl fmt::Debug for ReadPipeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadPipeTransport")
            .field("reading", &self.is_reading())
            .field("closing", &self.is_closing())
            .finish()
    }
}

/// How a read pipe ended: `None` at EOF or after `close`, else the error.
pub(crate) type ReadEnd = Option<io::Error>;

/// Starts the task that reads `pipe` and hands chunks to `on_data`, then calls `on_end` once.
pub(crate) fn start_reader(
    lp: &Loop,
    mut pipe: PipeReader,
    mut on_data: impl FnMut(&[u8]) + 'static,
    on_end: impl FnOnce(bool, ReadEnd) + 'static,
) -> ReadPipeTransport {
    let control = Rc::new(Control::default());
    let shared = control.clone();
    lp.spawn_local(async move {
        let mut buf = vec![0u8; READ_CHUNK];
        let end = poll_fn(|cx| {
            for _ in 0..READS_PER_TURN {
                if shared.closing.get() {
                    return Poll::Ready((false, None));
                }
                if shared.paused.get() {
                    shared.park(cx);
                    return Poll::Pending;
                }
                shared.park(cx);
                match Pin::new(&mut pipe).poll_read(cx, &mut buf) {
                    Poll::Ready(Ok(0)) => return Poll::Ready((true, None)),
                    Poll::Ready(Ok(n)) => on_data(&buf[..n]),
                    Poll::Ready(Err(e)) => return Poll::Ready((false, Some(e))),
                    Poll::Pending => return Poll::Pending,
                }
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        drop(pipe);
        shared.finished.set(true);
        on_end(end.0, end.1);
    })
    .detach();
    ReadPipeTransport { control }
}

/// The write side of a pipe on the loop: buffered writes that never block, then EOF.
/// Cloning gives another handle to the same pipe.
///
/// ```
/// use loop_process::{WritePipeProtocol, connect_write_pipe};
/// struct Quiet;
/// impl WritePipeProtocol for Quiet {}
///
/// loop_core::run(async {
///     let (read, write) = std::os::unix::net::UnixStream::pair()?;
///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
///     transport.write(b"buffered")?;
///     transport.close();
///     let mut got = Vec::new();
///     loop_core::unblock(move || std::io::Read::read_to_end(&mut &read, &mut got).map(|_| got))
///         .await
///         .map(|got| assert_eq!(got, b"buffered"))
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct WritePipeTransport {
    control: Rc<Control>,
}

impl WritePipeTransport {
    /// Queues `data`; the loop writes it as the pipe accepts it.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` once the transport is closing or the pipe has failed (its reader left).
    ///
    /// ```
    /// # use loop_process::{WritePipeProtocol, connect_write_pipe};
    /// # struct Quiet;
    /// # impl WritePipeProtocol for Quiet {}
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
    ///     transport.write(b"x")?;
    ///     assert_eq!(transport.get_write_buffer_size(), 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        if self.is_closing() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the write pipe transport is closing or closed",
            ));
        }
        if !data.is_empty() {
            self.control.buffer.borrow_mut().extend_from_slice(data);
            self.control.wake();
        }
        Ok(())
    }

    /// Bytes queued and not yet written.
    ///
    /// ```
    /// # use loop_process::{WritePipeProtocol, connect_write_pipe};
    /// # struct Quiet;
    /// # impl WritePipeProtocol for Quiet {}
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
    ///     assert_eq!(transport.get_write_buffer_size(), 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_write_buffer_size(&self) -> usize {
        self.control.buffer.borrow().len()
    }

    /// Closes the pipe once the queued data is written (the reader then sees EOF); the
    /// same as [`close`](Self::close) for a pipe.
    ///
    /// ```
    /// # use loop_process::{WritePipeProtocol, connect_write_pipe};
    /// # struct Quiet;
    /// # impl WritePipeProtocol for Quiet {}
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
    ///     transport.write_eof();
    ///     assert!(transport.is_closing());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_eof(&self) {
        self.close();
    }

    /// Closes the pipe once the queued data is written; `connection_lost` follows.
    ///
    /// ```
    /// # use loop_process::{WritePipeProtocol, connect_write_pipe};
    /// # struct Quiet;
    /// # impl WritePipeProtocol for Quiet {}
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
    ///     transport.close();
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        self.control.closing.set(true);
        self.control.wake();
    }

    /// Closes the pipe now, dropping whatever is queued.
    ///
    /// ```
    /// # use loop_process::{WritePipeProtocol, connect_write_pipe};
    /// # struct Quiet;
    /// # impl WritePipeProtocol for Quiet {}
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
    ///     transport.write(b"lost")?;
    ///     transport.abort();
    ///     assert_eq!(transport.get_write_buffer_size(), 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn abort(&self) {
        self.control.buffer.borrow_mut().clear();
        self.close();
    }

    /// Whether the transport is closing or closed.
    ///
    /// ```
    /// # use loop_process::{WritePipeProtocol, connect_write_pipe};
    /// # struct Quiet;
    /// # impl WritePipeProtocol for Quiet {}
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     let (transport, _) = connect_write_pipe(|| Quiet, write)?;
    ///     assert!(!transport.is_closing());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closing(&self) -> bool {
        self.control.closing.get() || self.control.finished.get()
    }
}

impl fmt::Debug for WritePipeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WritePipeTransport")
            .field("buffered", &self.get_write_buffer_size())
            .field("closing", &self.is_closing())
            .finish()
    }
}

/// Starts the task that writes a transport's queue to `pipe`, then calls `on_end` once.
pub(crate) fn start_writer(
    lp: &Loop,
    mut pipe: PipeWriter,
    on_end: impl FnOnce(Option<io::Error>) + 'static,
) -> WritePipeTransport {
    let control = Rc::new(Control::default());
    let shared = control.clone();
    lp.spawn_local(async move {
        let end = poll_fn(|cx| {
            loop {
                shared.park(cx);
                let mut buffer = shared.buffer.borrow_mut();
                if buffer.is_empty() {
                    if shared.closing.get() {
                        return Poll::Ready(None);
                    }
                    // Idle: the reader leaving ends the pipe too (asyncio watches for it the
                    // same way), so a child that exits closes its stdin transport.
                    return match pipe.poll_reader_gone(cx) {
                        Poll::Ready(Ok(())) => Poll::Ready(None),
                        Poll::Ready(Err(e)) => Poll::Ready(Some(e)),
                        Poll::Pending => Poll::Pending,
                    };
                }
                match Pin::new(&mut pipe).poll_write(cx, &buffer) {
                    Poll::Ready(Ok(n)) => drop(buffer.drain(..n)),
                    Poll::Ready(Err(e)) => {
                        buffer.clear();
                        return Poll::Ready(Some(e));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await;
        drop(pipe);
        shared.finished.set(true);
        on_end(end);
    })
    .detach();
    WritePipeTransport { control }
}

/// asyncio's read-pipe `Protocol`: what a [`connect_read_pipe`] pipe reports.
pub trait ReadPipeProtocol: 'static {
    /// The transport is ready; called once, first.
    fn connection_made(&mut self, transport: &ReadPipeTransport) {
        let _ = transport;
    }
    /// A chunk of data arrived.
    fn data_received(&mut self, data: &[u8]);
    /// The writer closed its end (EOF); `connection_lost(None)` follows.
    fn eof_received(&mut self) {}
    /// The pipe is closed: `None` after EOF or `close`, else the read error.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }
}

/// asyncio's write-pipe `Protocol`: what a [`connect_write_pipe`] pipe reports.
pub trait WritePipeProtocol: 'static {
    /// The transport is ready; called once, first.
    fn connection_made(&mut self, transport: &WritePipeTransport) {
        let _ = transport;
    }
    /// The pipe is closed: `None` after `close`, else the write error (`BrokenPipe` when the
    /// reader left).
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }
}

/// Puts a readable fd on the running loop with a protocol (asyncio's `connect_read_pipe`):
/// the protocol gets `connection_made`, then `data_received` per chunk, `eof_received`, and
/// `connection_lost`.
///
/// # Errors
///
/// When no loop runs on this thread, or the fd cannot be registered.
///
/// See [`ReadPipeTransport`] for an example.
pub fn connect_read_pipe<P: ReadPipeProtocol>(
    protocol_factory: impl FnOnce() -> P,
    pipe: impl Into<OwnedFd>,
) -> io::Result<(ReadPipeTransport, Rc<RefCell<P>>)> {
    let lp = get_running_loop().map_err(io::Error::other)?;
    let pipe = PipeReader::with_loop(&lp, pipe)?;
    let protocol = Rc::new(RefCell::new(protocol_factory()));
    let (on_data, on_end) = (protocol.clone(), protocol.clone());
    let transport = start_reader(
        &lp,
        pipe,
        move |data| on_data.borrow_mut().data_received(data),
        move |eof, error| {
            let mut protocol = on_end.borrow_mut();
            if eof {
                protocol.eof_received();
            }
            protocol.connection_lost(error);
        },
    );
    protocol.borrow_mut().connection_made(&transport);
    Ok((transport, protocol))
}

/// Puts a writable fd on the running loop with a protocol (asyncio's `connect_write_pipe`).
///
/// # Errors
///
/// When no loop runs on this thread, or the fd cannot be registered.
///
/// See [`WritePipeTransport`] for an example.
pub fn connect_write_pipe<P: WritePipeProtocol>(
    protocol_factory: impl FnOnce() -> P,
    pipe: impl Into<OwnedFd>,
) -> io::Result<(WritePipeTransport, Rc<RefCell<P>>)> {
    let lp = get_running_loop().map_err(io::Error::other)?;
    let pipe = PipeWriter::with_loop(&lp, pipe)?;
    let protocol = Rc::new(RefCell::new(protocol_factory()));
    let on_end = protocol.clone();
    let transport = start_writer(&lp, pipe, move |error| {
        on_end.borrow_mut().connection_lost(error)
    });
    protocol.borrow_mut().connection_made(&transport);
    Ok((transport, protocol))
}
