//! [`EventLoopBuilder`]: a loop with a chosen poller, debug mode, or a virtual clock.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::event_loop::EventLoop;
use crate::poller::{DefaultPoller, Poller};

/// asyncio's default `slow_callback_duration`.
pub(crate) const DEFAULT_SLOW_CALLBACK: Duration = Duration::from_millis(100);

/// The environment variable that turns debug mode on for loops that do not choose: any value
/// but empty or `0`.
pub const DEBUG_ENV: &str = "EVLOOP_DEBUG";

/// The environment variable that picks the poller of loops that do not choose one: `polling`
/// (or unset, or empty) for the [`DefaultPoller`], `epoll` for [`EpollPoller`](crate::EpollPoller)
/// on Linux. Anything else makes [`EventLoopBuilder::build`] fail with `InvalidInput`, so a
/// typo cannot silently measure the wrong poller.
pub const POLLER_ENV: &str = "EVLOOP_POLLER";

/// Builds an [`EventLoop`].
///
/// - **Debug mode** reports every callback or task poll that takes longer than the slow-callback
///   duration (100 ms unless set) to the loop's exception handler, naming the task. It is on when
///   [`debug`](EventLoopBuilder::debug) says so, or, if that is not called, when the environment
///   variable `EVLOOP_DEBUG` is set to anything but `0`.
/// - **A virtual clock** makes time jump to the next timer whenever no task or callback is ready,
///   so tests of long timeouts run instantly and the same way every time. Real I/O still works,
///   but the loop never waits for it while a timer is pending.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::builder().virtual_clock(true).build()?;
/// let start = std::time::Instant::now();
/// let slept = lp.block_on(async {
///     let t0 = loop_core::get_running_loop().unwrap().time();
///     loop_core::sleep(Duration::from_secs(3600)).await;
///     loop_core::get_running_loop().unwrap().time() - t0
/// }).unwrap();
/// assert_eq!(slept, Duration::from_secs(3600)); // an hour of loop time...
/// assert!(start.elapsed() < Duration::from_secs(60)); // ...in no real time at all
/// # std::io::Result::Ok(())
/// ```
pub struct EventLoopBuilder {
    poller: Option<Box<dyn Poller>>,
    debug: Option<bool>,
    slow_callback_duration: Duration,
    virtual_clock: bool,
}

/// What the loop's core is built with.
pub(crate) struct Options {
    pub(crate) debug: bool,
    pub(crate) slow_callback_duration: Duration,
    pub(crate) virtual_clock: bool,
}

impl EventLoopBuilder {
    /// A builder with the defaults: the poller `EVLOOP_POLLER` names ([`DefaultPoller`] unless
    /// it says `epoll`), debug mode from `EVLOOP_DEBUG`, the real clock.
    ///
    /// ```
    /// let lp = loop_core::EventLoopBuilder::new().build()?;
    /// assert!(!lp.is_closed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> EventLoopBuilder {
        EventLoopBuilder {
            poller: None,
            debug: None,
            slow_callback_duration: DEFAULT_SLOW_CALLBACK,
            virtual_clock: false,
        }
    }

    /// Runs the loop on `poller` instead of the default one.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().poller(loop_core::DefaultPoller::new()?).build()?;
    /// assert_eq!(lp.block_on(async { 1 }).unwrap(), 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poller(mut self, poller: impl Poller) -> EventLoopBuilder {
        self.poller = Some(Box::new(poller));
        self
    }

    /// Turns debug mode on or off, whatever `EVLOOP_DEBUG` says.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().debug(true).build()?;
    /// assert!(lp.is_debug());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn debug(mut self, enabled: bool) -> EventLoopBuilder {
        self.debug = Some(enabled);
        self
    }

    /// How long a callback or task poll may take before debug mode reports it (default 100 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// let lp = loop_core::EventLoop::builder()
    ///     .debug(true)
    ///     .slow_callback_duration(Duration::from_millis(10))
    ///     .build()?;
    /// assert_eq!(lp.slow_callback_duration(), Duration::from_millis(10));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn slow_callback_duration(mut self, threshold: Duration) -> EventLoopBuilder {
        self.slow_callback_duration = threshold;
        self
    }

    /// Uses a virtual clock that jumps to the next timer whenever nothing is ready to run.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().virtual_clock(true).build()?;
    /// assert!(lp.has_virtual_clock());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn virtual_clock(mut self, enabled: bool) -> EventLoopBuilder {
        self.virtual_clock = enabled;
        self
    }

    /// Builds the loop.
    ///
    /// # Errors
    ///
    /// When no poller was given and the OS refuses to create the default one, or
    /// `EVLOOP_POLLER` names no poller.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().build()?;
    /// # drop(lp);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn build(self) -> io::Result<EventLoop> {
        let poller = match self.poller {
            Some(poller) => poller,
            None => poller_from_env()?,
        };
        let options = Options {
            debug: self.debug.unwrap_or_else(debug_from_env),
            slow_callback_duration: self.slow_callback_duration,
            virtual_clock: self.virtual_clock,
        };
        Ok(EventLoop::from_parts(poller, options))
    }
}

fn poller_from_env() -> io::Result<Box<dyn Poller>> {
    let choice = std::env::var_os(POLLER_ENV).unwrap_or_default();
    match choice.to_str() {
        Some("" | "polling") => Ok(Box::new(DefaultPoller::new()?)),
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Some("epoll") => Ok(Box::new(crate::EpollPoller::new()?)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{POLLER_ENV}={choice:?} names no poller here (use `polling` or `epoll`)"),
        )),
    }
}

fn debug_from_env() -> bool {
    std::env::var_os(DEBUG_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

impl Default for EventLoopBuilder {
    fn default() -> Self {
        EventLoopBuilder::new()
    }
}

impl fmt::Debug for EventLoopBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoopBuilder")
            .field("poller", &self.poller)
            .field("debug", &self.debug)
            .field("slow_callback_duration", &self.slow_callback_duration)
            .field("virtual_clock", &self.virtual_clock)
            .finish()
    }
}
