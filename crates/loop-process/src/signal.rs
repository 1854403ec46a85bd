//! Unix signals as streams of arrivals (asyncio's `add_signal_handler`), and [`ctrl_c`].
//!
//! One process-wide handler per signal, installed while at least one listener exists. The
//! handler does two async-signal-safe things: it bumps the signal's arrival counter and writes a
//! byte to a non-blocking wake pipe. One process-wide thread, started with the first listener,
//! reads that pipe and notifies an [`Event`] every listener waits on, wherever it runs; a
//! listener then compares the counter with the last value it saw, which is how several
//! listeners of one signal each see each arrival. (Listeners sharing the pipe itself would race:
//! one reader draining it can leave another's poller with no readiness to report.) Signals that
//! arrive close together may coalesce into one (the kernel keeps one pending instance per
//! signal), as with every Unix signal API.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use event_listener::{Event, EventListener};
use futures_lite::Stream;

/// A Unix signal, by name: [`Signal::INT`], [`Signal::TERM`], and the rest.
///
/// ```
/// use loop_process::Signal;
/// assert_eq!(Signal::from_raw(2)?, Signal::INT);
/// assert!(Signal::from_raw(0).is_err());
/// assert_eq!(format!("{:?}", Signal::TERM), "SIGTERM");
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signal(rustix::process::Signal);

impl Signal {
    /// `SIGHUP`: the terminal hung up; daemons reload their configuration.
    pub const HUP: Signal = Signal(rustix::process::Signal::HUP);
    /// `SIGINT`: Ctrl-C.
    pub const INT: Signal = Signal(rustix::process::Signal::INT);
    /// `SIGQUIT`: Ctrl-\.
    pub const QUIT: Signal = Signal(rustix::process::Signal::QUIT);
    /// `SIGKILL`: cannot be caught or ignored.
    pub const KILL: Signal = Signal(rustix::process::Signal::KILL);
    /// `SIGUSR1`: user-defined.
    pub const USR1: Signal = Signal(rustix::process::Signal::USR1);
    /// `SIGUSR2`: user-defined.
    pub const USR2: Signal = Signal(rustix::process::Signal::USR2);
    /// `SIGPIPE`: a write to a pipe with no reader.
    pub const PIPE: Signal = Signal(rustix::process::Signal::PIPE);
    /// `SIGALRM`: a timer set by `alarm` or `setitimer` expired.
    pub const ALRM: Signal = Signal(rustix::process::Signal::ALARM);
    /// `SIGTERM`: polite termination request.
    pub const TERM: Signal = Signal(rustix::process::Signal::TERM);
    /// `SIGCHLD`: a child stopped or exited.
    pub const CHLD: Signal = Signal(rustix::process::Signal::CHILD);
    /// `SIGCONT`: continue a stopped process.
    pub const CONT: Signal = Signal(rustix::process::Signal::CONT);
    /// `SIGSTOP`: cannot be caught or ignored.
    pub const STOP: Signal = Signal(rustix::process::Signal::STOP);
    /// `SIGTSTP`: Ctrl-Z.
    pub const TSTP: Signal = Signal(rustix::process::Signal::TSTP);
    /// `SIGWINCH`: the terminal was resized.
    pub const WINCH: Signal = Signal(rustix::process::Signal::WINCH);

    /// The signal with number `raw`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `raw` names no signal (0, negative, or beyond the named ones; the
    /// real-time range is not supported).
    ///
    /// ```
    /// assert_eq!(loop_process::Signal::from_raw(15)?.as_raw(), 15);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_raw(raw: i32) -> io::Result<Signal> {
        rustix::process::Signal::from_named_raw(raw)
            .map(Signal)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{raw} is not a signal number"),
                )
            })
    }

    /// The signal's number.
    ///
    /// ```
    /// assert_eq!(loop_process::Signal::TERM.as_raw(), 15);
    /// ```
    pub fn as_raw(self) -> i32 {
        self.0.as_raw()
    }

    /// Sends this signal to the calling process (`kill(getpid(), sig)`, Python's
    /// `signal.raise_signal`).
    ///
    /// # Errors
    ///
    /// When the kernel refuses it.
    ///
    /// ```
    /// use loop_process::{Signal, Signals};
    /// loop_core::run(async {
    ///     let mut winch = Signals::new(Signal::WINCH)?;
    ///     Signal::WINCH.raise()?;
    ///     assert_eq!(winch.recv().await, Signal::WINCH);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn raise(self) -> io::Result<()> {
        Ok(rustix::process::kill_process(
            rustix::process::getpid(),
            self.0,
        )?)
    }

    pub(crate) fn to_rustix(self) -> rustix::process::Signal {
        self.0
    }
}

/// `SIGTERM` and the like: the name a user knows, in errors and logs.
impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Signal, &str); 16] = [
            (Signal::HUP, "SIGHUP"),
            (Signal::INT, "SIGINT"),
            (Signal::QUIT, "SIGQUIT"),
            (Signal::KILL, "SIGKILL"),
            (Signal::USR1, "SIGUSR1"),
            (Signal::USR2, "SIGUSR2"),
            (Signal::PIPE, "SIGPIPE"),
            (Signal::ALRM, "SIGALRM"),
            (Signal::TERM, "SIGTERM"),
            (Signal::CHLD, "SIGCHLD"),
            (Signal::CONT, "SIGCONT"),
            (Signal::STOP, "SIGSTOP"),
            (Signal::TSTP, "SIGTSTP"),
            (Signal::WINCH, "SIGWINCH"),
            (Signal(rustix::process::Signal::SEGV), "SIGSEGV"),
            (Signal(rustix::process::Signal::BUS), "SIGBUS"),
        ];
        match NAMES.iter().find(|(signal, _)| signal == self) {
            Some((_, name)) => f.write_str(name),
            None => write!(f, "signal {}", self.as_raw()),
        }
    }
}

/// Signals are numbered 1..SLOTS on every Unix we build for.
const SLOTS: usize = 65;

/// Arrivals per signal since the process started; bumped by the handler.
static ARRIVALS: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];

/// The wake pipe's write end, or -1 before it exists. Never closed once set.
static WAKE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Notified after any signal arrives; listeners then look at their counters.
static ARRIVED: Event = Event::new();

struct Registry {
    listeners: [usize; SLOTS],
    previous: [Option<libc::sigaction>; SLOTS],
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    listeners: [0; SLOTS],
    previous: [None; SLOTS],
});

/// The dispatch thread: blocks reading the wake pipe and notifies every listener per batch of
/// bytes. The write end is never closed, so this runs for the life of the process.
fn dispatch(read: OwnedFd) {
    let mut sink = [0u8; 64];
    loop {
        match rustix::io::read(&read, &mut sink) {
            Ok(0) => return,
            Ok(_) => {
                ARRIVED.notify(usize::MAX);
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    let saved = errno::get();
    if let Some(count) = usize::try_from(signal).ok().and_then(|i| ARRIVALS.get(i)) {
        count.fetch_add(1, Ordering::SeqCst);
    }
    let fd = WAKE_WRITE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: `fd` is the wake pipe's write end, which is never closed once published; the
        // buffer is one valid byte. `write` is async-signal-safe. A full pipe (EAGAIN) is fine:
        // readers still have a byte to wake on, and the counter carries the arrival.
        unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
    errno::set(saved);
}

mod errno {
    //! errno, saved and restored around the handler so the interrupted code never sees ours.

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn location() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno slot; no preconditions.
        unsafe { libc::__errno_location() }
    }

    #[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
    fn location() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno slot; no preconditions.
        unsafe { libc::__error() }
    }

    pub(super) fn get() -> libc::c_int {
        // SAFETY: the slot is valid for the thread's lifetime.
        unsafe { *location() }
    }

    pub(super) fn set(value: libc::c_int) {
        // SAFETY: as in `get`.
        unsafe { *location() = value }
    }
}

fn refuse(signal: Signal) -> io::Result<()> {
    let s = signal.0;
    use rustix::process::Signal as S;
    if s == S::KILL || s == S::STOP {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{signal:?} cannot be caught: the kernel never delivers it to a handler"),
        ));
    }
    if s == S::SEGV || s == S::BUS || s == S::ILL || s == S::FPE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{signal:?} reports a fault in the running thread and cannot be handled later on a loop"
            ),
        ));
    }
    Ok(())
}

/// One listener's hold on a signal's handler: installed with the first, restored with the last.
struct Subscription {
    slot: usize,
}

impl Subscription {
    /// Installs the handler (and starts the dispatch thread) if needed; returns the hold and
    /// the arrival count at subscription time.
    fn new(signal: Signal) -> io::Result<(Subscription, u64)> {
        refuse(signal)?;
        let slot = signal.as_raw() as usize;
        let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        // The wake pipe is published under this lock, so it tells whether the thread runs.
        if WAKE_WRITE.load(Ordering::SeqCst) < 0 {
            use rustix::pipe::{PipeFlags, pipe_with};
            // The read end blocks (the dispatch thread sleeps in `read`); the write end must not
            // (the handler may not block).
            let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
            rustix::io::ioctl_fionbio(&write, true)?;
            std::thread::Builder::new()
                .name("evloop-signals".into())
                .spawn(move || dispatch(read))?;
            // Published for the handler and never closed: the handler may run at any time.
            WAKE_WRITE.store(write.as_raw_fd(), Ordering::SeqCst);
            std::mem::forget(write);
        }
        if registry.listeners[slot] == 0 {
            registry.previous[slot] = Some(install(signal)?);
        }
        registry.listeners[slot] += 1;
        let seen = ARRIVALS[slot].load(Ordering::SeqCst);
        Ok((Subscription { slot }, seen))
    }

    fn arrivals(&self) -> u64 {
        ARRIVALS[self.slot].load(Ordering::SeqCst)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        registry.listeners[self.slot] -= 1;
        if registry.listeners[self.slot] == 0 {
            if let Some(previous) = registry.previous[self.slot].take() {
                // SAFETY: `previous` is the disposition `install` replaced, valid to reinstate.
                unsafe {
                    libc::sigaction(self.slot as libc::c_int, &previous, std::ptr::null_mut())
                };
            }
        }
    }
}

/// Installs `on_signal` for `signal`; returns the disposition it replaced.
fn install(signal: Signal) -> io::Result<libc::sigaction> {
    // SAFETY: an all-zero `sigaction` is a valid value (empty mask, no flags) to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: as above; the kernel fills it in.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to valid `sigaction`s; `on_signal` only touches atomics, errno
    // and `write`, all async-signal-safe.
    if unsafe { libc::sigaction(signal.as_raw(), &action, &mut previous) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(previous)
}

/// The arrivals of one signal, as a [`Stream`] (asyncio's `add_signal_handler`).
///
/// While any `Signals` for a signal exists, the process catches it instead of taking its default
/// action (for `SIGINT`: exiting); dropping the last one restores the disposition that was
/// there before. Several `Signals` of one signal, on one loop or several, each see each arrival.
/// A `Signals` needs no loop: it is woken from the process's signal thread, so any executor
/// (or a thread blocking on it) can wait for it.
///
/// The stream never ends.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use loop_process::{Signal, Signals};
///
/// loop_core::run(async {
///     let mut hangups = Signals::new(Signal::HUP)?;
///     Signal::HUP.raise()?;
///     assert_eq!(hangups.next().await, Some(Signal::HUP));
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct Signals {
    signal: Signal,
    seen: u64,
    /// Registered before the counter is checked, so no arrival slips between the two.
    listener: Option<EventListener>,
    subscription: Subscription,
}

impl Signals {
    /// Starts listening for `signal`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `SIGKILL` and `SIGSTOP` (they cannot be caught) and for the fault
    /// signals (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`); the OS's error when the wake pipe or
    /// the signal thread cannot be made.
    ///
    /// ```
    /// use loop_process::{Signal, Signals};
    /// loop_core::run(async {
    ///     let err = Signals::new(Signal::KILL).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// }).unwrap();
    /// ```
    pub fn new(signal: Signal) -> io::Result<Signals> {
        let (subscription, seen) = Subscription::new(signal)?;
        Ok(Signals {
            signal,
            seen,
            listener: None,
            subscription,
        })
    }

    /// The signal this stream reports.
    ///
    /// ```
    /// use loop_process::{Signal, Signals};
    /// loop_core::run(async {
    ///     assert_eq!(Signals::new(Signal::USR2).unwrap().signal(), Signal::USR2);
    /// }).unwrap();
    /// ```
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// Waits for the next arrival.
    ///
    /// ```
    /// use loop_process::{Signal, Signals};
    /// loop_core::run(async {
    ///     let mut usr1 = Signals::new(Signal::USR1)?;
    ///     Signal::USR1.raise()?;
    ///     assert_eq!(usr1.recv().await, Signal::USR1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv(&mut self) -> Signal {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next arrival (see [`recv`](Signals::recv)).
    ///
    /// ```
    /// use loop_process::{Signal, Signals};
    /// loop_core::run(async {
    ///     let mut usr2 = Signals::new(Signal::USR2).unwrap();
    ///     std::future::poll_fn(|cx| {
    ///         assert!(usr2.poll_recv(cx).is_pending());
    ///         std::task::Poll::Ready(())
    ///     }).await;
    /// }).unwrap();
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Signal> {
        loop {
            if self.subscription.arrivals() != self.seen {
                self.seen += 1;
                return Poll::Ready(self.signal);
            }
            match self.listener.as_mut() {
                // Listen, then look at the counter again before waiting.
                None => self.listener = Some(ARRIVED.listen()),
                Some(listener) => {
                    ready!(Pin::new(listener).poll(cx));
                    self.listener = None;
                }
            }
        }
    }
}

impl Stream for Signals {
    type Item = Signal;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Signal>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("signal", &self.signal)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

/// Completes at the next Ctrl-C (`SIGINT`); until then, `SIGINT` no longer ends the process.
///
/// # Errors
///
/// As [`Signals::new`].
///
/// ```
/// loop_core::run(async {
///     let ctrl_c = loop_process::ctrl_c();
///     let pressed = async { loop_process::Signal::INT.raise() };
///     let (caught, sent) = futures_lite::future::zip(ctrl_c, pressed).await;
///     sent?;
///     caught
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = Signals::new(Signal::INT)?;
    interrupts.recv().await;
    Ok(())
}
