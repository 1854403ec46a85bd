//! The swap point between the loop and the operating system's readiness API.
//!
//! [`Poller`] copies the surface of the `polling` crate: sources are raw file descriptors
//! registered under a `usize` key with an interest and a [`PollMode`], [`Poller::wait`] fills an
//! [`Events`] buffer, and [`Poller::notify`] wakes a blocked `wait` from any thread.
//! [`DefaultPoller`] wraps `polling::Poller` (epoll on Linux, kqueue on the BSDs and macOS);
//! on Linux, [`EpollPoller`] (`poller/epoll.rs`) is epoll itself, one syscall per wait.

use std::fmt;
use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::Mutex;
use std::time::Duration;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use epoll::EpollPoller;

/// Interest in, or readiness of, one registered source.
///
/// # Examples
///
/// ```
/// use loop_core::Event;
///
/// let ev = Event::readable(7);
/// assert_eq!((ev.key, ev.readable, ev.writable), (7, true, false));
/// assert!(Event::all(7).writable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The key the source was registered with.
    pub key: usize,
    /// Interest in, or readiness for, reading.
    pub readable: bool,
    /// Interest in, or readiness for, writing.
    pub writable: bool,
    /// In a reported event: the source will deliver no more data than it holds now (the peer
    /// shut down its side, hung up, or an error is pending). Only pollers whose
    /// [`reports_read_closed`](Poller::reports_read_closed) is true set it; ignored in an
    /// interest.
    pub read_closed: bool,
}

impl Event {
    /// Interest in reading only.
    ///
    /// ```
    /// assert!(!loop_core::Event::readable(1).writable);
    /// ```
    pub const fn readable(key: usize) -> Event {
        Event {
            key,
            readable: true,
            writable: false,
            read_closed: false,
        }
    }

    /// Interest in writing only.
    ///
    /// ```
    /// assert!(!loop_core::Event::writable(1).readable);
    /// ```
    pub const fn writable(key: usize) -> Event {
        Event {
            key,
            readable: false,
            writable: true,
            read_closed: false,
        }
    }

    /// Interest in both directions.
    ///
    /// ```
    /// let ev = loop_core::Event::all(1);
    /// assert!(ev.readable && ev.writable);
    /// ```
    pub const fn all(key: usize) -> Event {
        Event {
            key,
            readable: true,
            writable: true,
            read_closed: false,
        }
    }

    /// No interest: the source stays registered but reports nothing.
    ///
    /// ```
    /// let ev = loop_core::Event::none(1);
    /// assert!(!ev.readable && !ev.writable);
    /// ```
    pub const fn none(key: usize) -> Event {
        Event {
            key,
            readable: false,
            writable: false,
            read_closed: false,
        }
    }
}

/// How a registration reports readiness, as in `polling::PollMode`.
///
/// # Examples
///
/// ```
/// assert_eq!(loop_core::PollMode::default(), loop_core::PollMode::Oneshot);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PollMode {
    /// Report once, then disarm until [`Poller::modify`] re-arms the source.
    #[default]
    Oneshot,
    /// Report on every `wait` while the source is ready.
    Level,
    /// Report each time the source becomes ready; the owner reads until `WouldBlock`.
    Edge,
}

/// A reusable buffer of readiness events filled by [`Poller::wait`].
///
/// # Examples
///
/// ```
/// use loop_core::{Event, Events};
///
/// let mut events = Events::with_capacity(8);
/// events.push(Event::readable(3));
/// assert_eq!(events.iter().map(|e| e.key).collect::<Vec<_>>(), [3]);
/// events.clear();
/// assert!(events.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Events {
    list: Vec<Event>,
}

impl Events {
    /// An empty buffer that holds up to `capacity` events per `wait`.
    ///
    /// ```
    /// assert!(loop_core::Events::with_capacity(4).capacity() >= 4);
    /// ```
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            list: Vec::with_capacity(capacity.max(1)),
        }
    }

    /// How many events a `wait` should deliver at most.
    ///
    /// ```
    /// assert!(loop_core::Events::with_capacity(16).capacity() >= 16);
    /// ```
    pub fn capacity(&self) -> usize {
        self.list.capacity()
    }

    /// Appends one event (pollers call this from `wait`).
    ///
    /// ```
    /// let mut events = loop_core::Events::with_capacity(1);
    /// events.push(loop_core::Event::writable(9));
    /// assert_eq!(events.len(), 1);
    /// ```
    pub fn push(&mut self, event: Event) {
        self.list.push(event);
    }

    /// Removes every event, keeping the allocation.
    ///
    /// ```
    /// let mut events = loop_core::Events::with_capacity(1);
    /// events.push(loop_core::Event::writable(9));
    /// events.clear();
    /// assert_eq!(events.len(), 0);
    /// ```
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// The number of events held.
    ///
    /// ```
    /// assert_eq!(loop_core::Events::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no events are held.
    ///
    /// ```
    /// assert!(loop_core::Events::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The events, in the order the poller delivered them.
    ///
    /// ```
    /// let mut events = loop_core::Events::default();
    /// events.push(loop_core::Event::readable(1));
    /// assert_eq!(events.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        self.list.iter().copied()
    }
}

/// A readiness poller the loop can be built on.
///
/// The loop calls `add`, `modify`, `delete` and `wait` from its own thread only; `notify` may be
/// called from any thread and must make the current or next `wait` return promptly. A `wait` with
/// `Some(Duration::ZERO)` must not block. The key `usize::MAX` is never used by the loop.
///
/// Override [`supports_edge`](Poller::supports_edge) and
/// [`supports_level`](Poller::supports_level) when the backend has those modes: the loop then
/// registers each I/O source once instead of re-arming it after every event.
///
/// # Examples
///
/// A poller that wraps the default one and counts `wait` calls:
///
/// ```
/// use loop_core::{DefaultPoller, Event, EventLoop, Events, PollMode, Poller};
/// use std::os::fd::{BorrowedFd, RawFd};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// #[derive(Debug)]
/// struct Counting(DefaultPoller, Arc<AtomicUsize>);
///
/// impl Poller for Counting {
///     unsafe fn add(&self, fd: RawFd, ev: Event, mode: PollMode) -> std::io::Result<()> {
///         // SAFETY: our caller upholds the same contract for the inner poller.
///         unsafe { self.0.add(fd, ev, mode) }
///     }
///     fn modify(&self, fd: BorrowedFd<'_>, ev: Event, mode: PollMode) -> std::io::Result<()> {
///         self.0.modify(fd, ev, mode)
///     }
///     fn delete(&self, fd: BorrowedFd<'_>) -> std::io::Result<()> {
///         self.0.delete(fd)
///     }
///     fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> std::io::Result<usize> {
///         self.1.fetch_add(1, Ordering::Relaxed);
///         self.0.wait(events, timeout)
///     }
///     fn notify(&self) -> std::io::Result<()> {
///         self.0.notify()
///     }
/// }
///
/// let waits = Arc::new(AtomicUsize::new(0));
/// let lp = EventLoop::with_poller(Counting(DefaultPoller::new()?, waits.clone()));
/// lp.block_on(loop_core::sleep(Duration::from_millis(1))).unwrap();
/// assert!(waits.load(Ordering::Relaxed) >= 1);
/// # std::io::Result::Ok(())
/// ```
pub trait Poller: Send + Sync + fmt::Debug + 'static {
    /// Registers `fd` under `interest.key`.
    ///
    /// # Safety
    ///
    /// `fd` must stay open until it is passed to [`delete`](Poller::delete).
    ///
    /// # Errors
    ///
    /// Whatever the OS reports, for example when `fd` is already registered.
    unsafe fn add(&self, fd: RawFd, interest: Event, mode: PollMode) -> io::Result<()>;

    /// Changes the interest or mode of a registered `fd` (and re-arms a oneshot registration).
    ///
    /// # Errors
    ///
    /// Whatever the OS reports, for example when `fd` is not registered.
    fn modify(&self, fd: BorrowedFd<'_>, interest: Event, mode: PollMode) -> io::Result<()>;

    /// Removes `fd`; no event for it is reported by later `wait` calls.
    ///
    /// # Errors
    ///
    /// Whatever the OS reports, for example when `fd` is not registered.
    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()>;

    /// Appends ready events to `events` (which the caller has cleared) and returns how many.
    ///
    /// Blocks until an event, a [`notify`](Poller::notify), or `timeout` (`None` = forever).
    ///
    /// # Errors
    ///
    /// Whatever the OS reports; an interrupted wait may instead return `Ok(0)`.
    fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize>;

    /// Wakes the current or next [`wait`](Poller::wait). Safe to call from any thread.
    ///
    /// # Errors
    ///
    /// Whatever the OS reports.
    fn notify(&self) -> io::Result<()>;

    /// Whether [`PollMode::Edge`] registrations work.
    fn supports_edge(&self) -> bool {
        false
    }

    /// Whether [`PollMode::Level`] registrations work.
    fn supports_level(&self) -> bool {
        false
    }

    /// Whether reported events carry [`Event::read_closed`]. With it (and edge mode), the loop
    /// takes a short read from a TCP socket as having drained it and waits for the next
    /// event instead of reading again only to get `WouldBlock`.
    fn reports_read_closed(&self) -> bool {
        false
    }
}

/// The default [`Poller`]: `polling::Poller` (epoll, kqueue, event ports or `poll(2)`).
///
/// # Examples
///
/// ```
/// use loop_core::{DefaultPoller, Events, Poller};
/// use std::time::Duration;
///
/// let poller = DefaultPoller::new()?;
/// poller.notify()?;
/// let mut events = Events::with_capacity(8);
/// poller.wait(&mut events, Some(Duration::from_secs(5)))?; // returns at once: notified
/// assert!(events.is_empty());
/// # std::io::Result::Ok(())
/// ```
pub struct DefaultPoller {
    poller: polling::Poller,
    // Only the loop thread waits; the lock just lets `wait` take `&self`.
    buffer: Mutex<polling::Events>,
}

impl DefaultPoller {
    /// Opens a new OS poller.
    ///
    /// # Errors
    ///
    /// When the OS refuses a new poller (for example, out of file descriptors).
    ///
    /// ```
    /// assert!(loop_core::DefaultPoller::new()?.supports_edge() || cfg!(not(target_os = "linux")));
    /// # use loop_core::Poller;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> io::Result<DefaultPoller> {
        Ok(DefaultPoller {
            poller: polling::Poller::new()?,
            buffer: Mutex::new(polling::Events::new()),
        })
    }
}

impl fmt::Debug for DefaultPoller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultPoller").finish_non_exhaustive()
    }
}

fn to_polling(ev: Event) -> polling::Event {
    let mut out = polling::Event::none(ev.key);
    out.readable = ev.readable;
    out.writable = ev.writable;
    out
}

fn to_polling_mode(mode: PollMode) -> polling::PollMode {
    match mode {
        PollMode::Oneshot => polling::PollMode::Oneshot,
        PollMode::Level => polling::PollMode::Level,
        PollMode::Edge => polling::PollMode::Edge,
    }
}

impl Poller for DefaultPoller {
    unsafe fn add(&self, fd: RawFd, interest: Event, mode: PollMode) -> io::Result<()> {
        // SAFETY: our caller promises `fd` stays open until `delete`, which is polling's contract.
        unsafe {
            self.poller
                .add_with_mode(fd, to_polling(interest), to_polling_mode(mode))
        }
    }

    fn modify(&self, fd: BorrowedFd<'_>, interest: Event, mode: PollMode) -> io::Result<()> {
        self.poller
            .modify_with_mode(fd, to_polling(interest), to_polling_mode(mode))
    }

    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.poller.delete(fd)
    }

    fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        buffer.clear();
        let n = self.poller.wait(&mut buffer, timeout)?;
        for ev in buffer.iter() {
            events.push(Event {
                key: ev.key,
                readable: ev.readable,
                writable: ev.writable,
                read_closed: false,
            });
        }
        Ok(n)
    }

    fn notify(&self) -> io::Result<()> {
        self.poller.notify()
    }

    fn supports_edge(&self) -> bool {
        self.poller.supports_edge()
    }

    fn supports_level(&self) -> bool {
        self.poller.supports_level()
    }
}
