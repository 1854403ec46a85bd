//! One connection: its state, shared by the [`Transport`] handles and the task that drives
//! it (reads, flushes, ends it).
//!
//! Hot path of an echo: the loop wakes the driver once; it reads into the shared buffer and
//! calls `data_received`; the protocol's `write` sends straight to the socket (nothing is
//! copied when the socket takes it all); a short read already told the driver the socket is
//! drained, so it goes back to sleep without another syscall.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use loop_core::ExceptionContext;

use crate::driver_waker::DriverWaker;
use crate::transport::Transport;
use crate::transport_info::{Extras, StreamFlags, StreamInfo, TransportAddr};
use crate::transport_io::{AnyIo, TransportIo};
use crate::transport_receiver::{Fault, Received, Receiver};
use crate::transport_upgrade::{Detached, DetachedProtocol};
use crate::transport_write_buffer::WriteBuffer;
use crate::write_flow::WriteFlow;

/// Reads delivered in one poll before the driver lets other tasks run.
const READ_BUDGET: u32 = 16;

/// The operations a [`Transport`] handle needs, independent of the protocol type.
pub(crate) trait ConnOps {
    fn write(&self, bufs: &[IoSlice<'_>]);
    fn write_eof(&self) -> io::Result<()>;
    fn can_write_eof(&self) -> bool;
    fn close(&self);
    fn abort(&self);
    fn is_closing(&self) -> bool;
    fn set_reading(&self, on: bool);
    fn is_reading(&self) -> bool;
    fn peer_addr(&self) -> Option<TransportAddr>;
    fn local_addr(&self) -> Option<TransportAddr>;
    fn extras(&self) -> &Extras;
    fn set_write_buffer_limits(&self, high: usize, low: usize);
    fn write_buffer_limits(&self) -> (usize, usize);
    fn write_buffer_size(&self) -> usize;
    fn writing_paused(&self) -> bool;
    fn dropped_writes(&self) -> u64;
    fn start_detach(&self, unconsumed: &[u8]);
    fn poll_detach(&self, cx: &mut Context<'_>) -> Poll<io::Result<Detached>>;
}

enum DetachState {
    No,
    Waiting {
        unread: Vec<u8>,
        waker: Option<Waker>,
    },
    Done(Box<io::Result<Detached>>),
    Taken,
}

/// Everything a connection needs besides its stream and protocol.
pub(crate) struct Setup {
    pub(crate) extras: Extras,
    pub(crate) flags: StreamFlags,
    pub(crate) on_finish: Option<Box<dyn FnOnce()>>,
    /// Whether to call `connection_made` (not after a STARTTLS upgrade).
    pub(crate) connection_made: bool,
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("flags", &self.flags)
            .field("connection_made", &self.connection_made)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Conn<R> {
    io: RefCell<Option<AnyIo>>,
    receiver: RefCell<Option<R>>,
    wbuf: RefCell<WriteBuffer>,
    flow: WriteFlow,
    driver: DriverWaker,
    reading: Cell<bool>,
    read_eof: Cell<bool>,
    closing: Cell<bool>,
    aborted: Cell<bool>,
    eof_requested: Cell<bool>,
    eof_sent: Cell<bool>,
    unflushed: Cell<bool>,
    finished: Cell<bool>,
    fault: RefCell<Option<Fault>>,
    /// `fault` is set: one flag for the hot path to test instead of a borrow.
    faulted: Cell<bool>,
    /// `detach` was called: reading stops and the stream is handed over once flushed.
    detaching: Cell<bool>,
    dropped: Cell<u64>,
    detach: RefCell<DetachState>,
    flags: StreamFlags,
    extras: Extras,
    on_finish: RefCell<Option<Box<dyn FnOnce()>>>,
}

/// Starts a connection: `connection_made` now (so it has run when the caller gets the
/// transport), then the driver as a task of the running loop.
pub(crate) fn start<R: Receiver>(io: AnyIo, receiver: R, setup: Setup) -> io::Result<Transport> {
    let lp = loop_core::get_running_loop().map_err(io::Error::other)?;
    let conn = Rc::new(Conn {
        io: RefCell::new(Some(io)),
        receiver: RefCell::new(Some(receiver)),
        wbuf: RefCell::new(WriteBuffer::default()),
        flow: WriteFlow::new(),
        driver: DriverWaker::new(),
        reading: Cell::new(true),
        read_eof: Cell::new(false),
        closing: Cell::new(false),
        aborted: Cell::new(false),
        eof_requested: Cell::new(false),
        eof_sent: Cell::new(false),
        unflushed: Cell::new(false),
        finished: Cell::new(false),
        fault: RefCell::new(None),
        faulted: Cell::new(false),
        detaching: Cell::new(false),
        dropped: Cell::new(0),
        detach: RefCell::new(DetachState::No),
        flags: setup.flags,
        extras: setup.extras,
        on_finish: RefCell::new(setup.on_finish),
    });
    let transport = Transport::new(conn.clone());
    if setup.connection_made {
        let made = match conn.receiver.borrow().as_ref() {
            Some(r) => r.connection_made(transport.clone()),
            None => Ok(()),
        };
        if let Err(fault) = made {
            conn.set_fault(fault);
        }
    }
    lp.spawn_local(Driver { conn }).detach();
    Ok(transport)
}

impl<R: Receiver> Conn<R> {
    fn wake_driver(&self) {
        self.driver.wake();
    }

    fn set_fault(&self, fault: Fault) {
        let mut slot = self.fault.borrow_mut();
        if slot.is_none() {
            *slot = Some(fault);
            self.faulted.set(true);
        }
        drop(slot);
        self.wake_driver();
    }

    /// Whether `write` still accepts bytes.
    fn accepts_writes(&self) -> bool {
        !(self.closing.get()
            || self.aborted.get()
            || self.finished.get()
            || self.eof_requested.get()
            || self.faulted.get())
    }

    /// Records a flow-control change and tells the protocol if it can be reached now.
    fn check_flow(&self, size: usize) {
        if self.flow.update(size) && !self.deliver_flow() {
            self.wake_driver();
        }
    }

    /// Tells the protocol about pause/resume changes it has not heard of. A pause that was
    /// undone before it could be delivered is still delivered, then the resume: the protocol
    /// sees every transition, in order. Returns `false` if the protocol was busy.
    fn deliver_flow(&self) -> bool {
        while let Some(pause) = self.flow.untold() {
            let told = match self.receiver.borrow().as_ref() {
                Some(r) => r.flow(pause),
                None => return true,
            };
            match told {
                None => return false,
                Some(Ok(())) => self.flow.told(pause),
                Some(Err(fault)) => {
                    self.flow.told(pause);
                    self.set_fault(fault);
                    return true;
                }
            }
        }
        true
    }

    /// Writes as much of the buffer as the stream takes. `Ok(true)`: nothing left to send.
    fn poll_flush_buffer(&self, cx: &mut Context<'_>) -> io::Result<bool> {
        if !self.unflushed.get() && self.wbuf.borrow().is_empty() {
            return Ok(true);
        }
        loop {
            let mut io = self.io.borrow_mut();
            let Some(stream) = io.as_mut() else {
                return Ok(true);
            };
            let mut wbuf = self.wbuf.borrow_mut();
            if wbuf.is_empty() {
                if self.unflushed.get() {
                    match stream.poll_flush(cx) {
                        Poll::Ready(Ok(())) => self.unflushed.set(false),
                        Poll::Ready(Err(e)) => return Err(e),
                        Poll::Pending => return Ok(false),
                    }
                }
                return Ok(true);
            }
            match stream.poll_write(cx, &[IoSlice::new(wbuf.pending())]) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.unflushed.set(stream.needs_flush());
                    wbuf.consume(n);
                    let size = wbuf.len();
                    drop((wbuf, io));
                    self.check_flow(size);
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(false),
            }
        }
    }

    fn drive(self: &Rc<Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut budget = READ_BUDGET;
        loop {
            self.deliver_flow();
            if self.faulted.get() {
                let fault = self.fault.borrow_mut().take();
                self.finish(fault);
                return Poll::Ready(());
            }
            if self.aborted.get() {
                self.finish(None);
                return Poll::Ready(());
            }
            match self.poll_flush_buffer(cx) {
                Err(e) => {
                    self.set_fault(Fault::Io(e));
                    continue;
                }
                Ok(false) => {}
                Ok(true) => {
                    if self.eof_requested.get() && !self.eof_sent.get() {
                        let shut = match self.io.borrow_mut().as_mut() {
                            Some(stream) => stream.poll_shutdown_write(cx),
                            None => Poll::Ready(Ok(())),
                        };
                        match shut {
                            Poll::Ready(Ok(())) => self.eof_sent.set(true),
                            Poll::Ready(Err(e)) => {
                                self.set_fault(Fault::Io(e));
                                continue;
                            }
                            Poll::Pending => {}
                        }
                    }
                    if self.detaching.get()
                        && matches!(*self.detach.borrow(), DetachState::Waiting { .. })
                    {
                        self.hand_over();
                        return Poll::Ready(());
                    }
                    if self.closing.get() {
                        if self.flags.shutdown_on_close && !self.eof_sent.get() {
                            let shut = match self.io.borrow_mut().as_mut() {
                                Some(stream) => stream.poll_shutdown_write(cx),
                                None => Poll::Ready(Ok(())),
                            };
                            match shut {
                                Poll::Pending => return Poll::Pending,
                                Poll::Ready(Ok(())) => self.eof_sent.set(true),
                                Poll::Ready(Err(e)) => {
                                    self.set_fault(Fault::Io(e));
                                    continue;
                                }
                            }
                        }
                        self.finish(None);
                        return Poll::Ready(());
                    }
                }
            }
            if !self.reading.get()
                || self.read_eof.get()
                || self.closing.get()
                || self.detaching.get()
            {
                return Poll::Pending;
            }
            let received = match self.receiver.borrow().as_ref() {
                Some(r) => r.poll_receive(&self.io, cx),
                None => return Poll::Pending,
            };
            match received {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(Received::Data)) => {
                    budget -= 1;
                    if budget == 0 {
                        self.deliver_flow();
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                Poll::Ready(Ok(Received::Eof)) => {
                    self.read_eof.set(true);
                    let keep_open = match self.receiver.borrow().as_ref() {
                        Some(r) => r.eof_received(),
                        None => Ok(false),
                    };
                    match keep_open {
                        Ok(true) => {}
                        Ok(false) => self.closing.set(true),
                        Err(fault) => self.set_fault(fault),
                    }
                }
                Poll::Ready(Err(fault)) => self.set_fault(fault),
            }
        }
    }

    /// Ends the connection: `connection_lost`, then the stream is closed.
    fn finish(&self, fault: Option<Fault>) {
        if self.finished.replace(true) {
            return;
        }
        self.wbuf.borrow_mut().clear();
        let error = fault.map(|fault| {
            if let Fault::Protocol { callback, detail } = &fault {
                report(callback, detail);
            }
            fault.into_error()
        });
        let receiver = self.receiver.borrow_mut().take();
        let io = self.io.borrow_mut().take();
        self.fail_detach(error.as_ref());
        if let Some(receiver) = receiver {
            if let Err(Fault::Protocol { callback, detail }) = receiver.connection_lost(error) {
                report(callback, &detail);
            }
        }
        drop(io);
        self.driver.forget();
        self.run_on_finish();
    }

    /// Ends a pending `detach` with an error: the connection ended first.
    fn fail_detach(&self, error: Option<&io::Error>) {
        let mut state = self.detach.borrow_mut();
        if let DetachState::Waiting { waker, .. } = &mut *state {
            let waker = waker.take();
            let detail =
                error.map_or_else(|| "the connection ended".to_owned(), ToString::to_string);
            *state = DetachState::Done(Box::new(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!("detach failed: {detail}"),
            ))));
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Gives the stream, and the protocol to run over its replacement, to whoever called
    /// `detach`; the protocol hears nothing.
    fn hand_over(&self) {
        self.finished.set(true);
        let io = self.io.borrow_mut().take();
        let receiver = self.receiver.borrow_mut().take();
        let mut state = self.detach.borrow_mut();
        if let (DetachState::Waiting { unread, waker }, Some(io), Some(receiver)) = (
            std::mem::replace(&mut *state, DetachState::Taken),
            io,
            receiver,
        ) {
            let mut info = StreamInfo::new();
            info.peer = io.peer_addr();
            info.local = io.local_addr();
            let protocol = DetachedProtocol {
                attach: Box::new(move |io, setup| start(io, receiver, setup)),
            };
            *state = DetachState::Done(Box::new(Ok(Detached {
                stream: io.into_stream(),
                unread,
                info,
                protocol,
            })));
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        self.run_on_finish();
    }

    fn run_on_finish(&self) {
        let on_finish = self.on_finish.borrow_mut().take();
        if let Some(f) = on_finish {
            f();
        }
    }
}

pub(crate) fn report(callback: &str, detail: &str) {
    if let Ok(lp) = loop_core::get_running_loop() {
        let mut ctx = ExceptionContext::from_message(format!(
            "Fatal error: protocol.{callback}() call failed."
        ));
        ctx.detail = Some(detail.to_owned());
        lp.call_exception_handler(ctx);
    }
}

impl<R: Receiver> ConnOps for Conn<R> {
    fn write(&self, bufs: &[IoSlice<'_>]) {
        if !self.accepts_writes() {
            self.dropped.set(self.dropped.get() + 1);
            return;
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return;
        }
        let mut sent = 0;
        if self.wbuf.borrow().is_empty() {
            // Busy only while a BufferedProtocol's get_buffer runs: then just queue.
            let mut io = self.io.try_borrow_mut().ok();
            if let Some(stream) = io.as_mut().and_then(|io| io.as_mut()) {
                match self.driver.with_context(|cx| stream.poll_write(cx, bufs)) {
                    Poll::Ready(Ok(n)) => {
                        sent = n;
                        if stream.needs_flush() {
                            self.unflushed.set(true);
                            drop(io);
                            self.wake_driver();
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        drop(io);
                        self.set_fault(Fault::Io(e));
                        return;
                    }
                    Poll::Pending => {}
                }
            }
        }
        if sent == total {
            return;
        }
        let mut wbuf = self.wbuf.borrow_mut();
        let was_empty = wbuf.is_empty();
        for buf in bufs {
            let skip = sent.min(buf.len());
            sent -= skip;
            wbuf.append(&buf[skip..]);
        }
        let size = wbuf.len();
        drop(wbuf);
        if was_empty {
            self.wake_driver();
        }
        self.check_flow(size);
    }

    fn write_eof(&self) -> io::Result<()> {
        if self.flags.no_write_eof {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this transport cannot half-close (can_write_eof() is false)",
            ));
        }
        if !self.closing.get() && !self.eof_requested.replace(true) {
            self.wake_driver();
        }
        Ok(())
    }

    fn can_write_eof(&self) -> bool {
        !self.flags.no_write_eof
    }

    fn close(&self) {
        if !self.closing.replace(true) {
            self.wake_driver();
        }
    }

    fn abort(&self) {
        if !self.aborted.replace(true) {
            self.wbuf.borrow_mut().clear();
            self.wake_driver();
        }
    }

    fn is_closing(&self) -> bool {
        self.closing.get() || self.aborted.get() || self.finished.get() || self.detaching.get()
    }

    fn set_reading(&self, on: bool) {
        if self.reading.replace(on) != on && on {
            self.wake_driver();
        }
    }

    fn is_reading(&self) -> bool {
        self.reading.get() && !self.is_closing()
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        self.io.try_borrow().ok()?.as_ref()?.peer_addr()
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        self.io.try_borrow().ok()?.as_ref()?.local_addr()
    }

    fn extras(&self) -> &Extras {
        &self.extras
    }

    fn set_write_buffer_limits(&self, high: usize, low: usize) {
        self.flow.set_limits(high, low);
        let size = self.wbuf.borrow().len();
        self.check_flow(size);
    }

    fn write_buffer_limits(&self) -> (usize, usize) {
        self.flow.limits()
    }

    fn write_buffer_size(&self) -> usize {
        self.wbuf.borrow().len()
    }

    fn writing_paused(&self) -> bool {
        self.flow.paused()
    }

    fn dropped_writes(&self) -> u64 {
        self.dropped.get()
    }

    fn start_detach(&self, unconsumed: &[u8]) {
        let mut state = self.detach.borrow_mut();
        if !matches!(*state, DetachState::No) {
            return;
        }
        self.detaching.set(true);
        *state = if self.finished.get() || self.closing.get() || self.aborted.get() {
            DetachState::Done(Box::new(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "detach failed: the transport is closing",
            ))))
        } else {
            DetachState::Waiting {
                unread: unconsumed.to_vec(),
                waker: None,
            }
        };
        drop(state);
        self.wake_driver();
    }

    fn poll_detach(&self, cx: &mut Context<'_>) -> Poll<io::Result<Detached>> {
        let mut state = self.detach.borrow_mut();
        match &mut *state {
            DetachState::Waiting { waker, .. } => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
            DetachState::Done(_) => match std::mem::replace(&mut *state, DetachState::Taken) {
                DetachState::Done(result) => Poll::Ready(*result),
                _ => unreachable!("matched Done above"),
            },
            DetachState::No | DetachState::Taken => Poll::Ready(Err(io::Error::other(
                "detach was not started, or its result was already taken",
            ))),
        }
    }
}

/// The task that runs a connection.
struct Driver<R: Receiver> {
    conn: Rc<Conn<R>>,
}

impl<R: Receiver> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let conn = &self.conn;
        conn.driver.poll(cx, |cx| conn.drive(cx))
    }
}

impl<R: Receiver> Drop for Driver<R> {
    /// The task was dropped before the connection ended (the loop is closing): release the
    /// stream and the protocol without calling back into it.
    fn drop(&mut self) {
        let conn = &self.conn;
        if !conn.finished.replace(true) {
            drop(conn.io.borrow_mut().take());
            drop(conn.receiver.borrow_mut().take());
            conn.driver.forget();
            conn.fail_detach(None);
            conn.run_on_finish();
        }
    }
}
