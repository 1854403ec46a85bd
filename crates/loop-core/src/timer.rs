//! Timers on the loop: [`Timer`] (a future, and a stream for intervals), [`sleep`],
//! [`sleep_until`], and [`TimerHandle`] for callbacks scheduled with `call_later` / `call_at`.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::Stream;

use crate::arena::Key;
use crate::context;
use crate::event_loop::{Core, TimerAction, loop_now};

/// What an interval [`Timer`] does when the loop was too busy to see some of its ticks.
///
/// ```
/// assert_eq!(loop_core::MissedTick::default(), loop_core::MissedTick::Skip);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTick {
    /// Fire the missed ticks at once, one after another, then keep the original schedule.
    Burst,
    /// Fire once now, then one period after each tick actually seen.
    Delay,
    /// Fire once now, then carry on at the next tick of the original schedule.
    #[default]
    Skip,
}

/// Fires every `period`, the first time one period from now (see [`Timer::interval`]).
///
/// ```
/// use futures_lite::StreamExt;
/// let lp = loop_core::EventLoop::new()?;
/// let n = lp.block_on(loop_core::interval(std::time::Duration::from_millis(1)).take(2).count()).unwrap();
/// assert_eq!(n, 2);
/// # std::io::Result::Ok(())
/// ```
pub fn interval(period: Duration) -> Timer {
    Timer::interval(period)
}

/// Completes after `duration` on the loop's clock. The deadline is fixed when `sleep` is
/// called on a running loop, or at the first poll if no loop was running then.
///
/// # Panics
///
/// When polled outside a running event loop.
///
/// ```
/// use std::time::{Duration, Instant};
/// let lp = loop_core::EventLoop::new()?;
/// let start = Instant::now();
/// lp.block_on(loop_core::sleep(Duration::from_millis(5))).unwrap();
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// # std::io::Result::Ok(())
/// ```
pub fn sleep(duration: Duration) -> Timer {
    Timer::after(duration)
}

/// Completes at `deadline` (on the next loop turn if it has passed).
///
/// # Panics
///
/// When polled outside a running event loop.
///
/// ```
/// use std::time::{Duration, Instant};
/// let lp = loop_core::EventLoop::new()?;
/// let when = Instant::now() + Duration::from_millis(2);
/// let fired = lp.block_on(loop_core::sleep_until(when)).unwrap();
/// assert_eq!(fired, when);
/// # std::io::Result::Ok(())
/// ```
pub fn sleep_until(deadline: Instant) -> Timer {
    Timer::at(deadline)
}

/// A timer on the running loop: a future that completes at its deadline, and a stream that
/// yields each tick of an interval.
///
/// It registers with the loop on its first poll and unregisters when dropped, so a cancelled
/// sleep leaves nothing behind. An interval that falls behind skips the ticks it missed rather
/// than firing them in a burst.
///
/// # Panics
///
/// Polling panics outside a running event loop.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let ticks = lp.block_on(async {
///     loop_core::Timer::interval(Duration::from_millis(1)).take(3).count().await
/// }).unwrap();
/// assert_eq!(ticks, 3);
/// # std::io::Result::Ok(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timer {
    when: Option<Instant>,
    /// A first deadline relative to the loop's clock, made while no loop was running: it is
    /// resolved at the first poll, against the clock of the loop that polls it.
    start_in: Option<Duration>,
    period: Duration,
    missed_tick: MissedTick,
    finished: bool,
    registration: Option<(u64, Key)>,
}

impl Timer {
    /// Fires once, `duration` from now on the running loop's clock (or from the first poll, if
    /// no loop is running yet: [`deadline`](Timer::deadline) is `None` until then).
    ///
    /// ```
    /// use std::time::Duration;
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.block_on(async { loop_core::Timer::after(Duration::from_secs(1)) }).unwrap();
    /// assert!(t.deadline().is_some());
    /// assert!(loop_core::Timer::after(Duration::from_secs(1)).deadline().is_none()); // no loop
    /// # std::io::Result::Ok(())
    /// ```
    pub fn after(duration: Duration) -> Timer {
        Timer::relative(duration, Duration::ZERO)
    }

    /// A timer due `delay` from now on the running loop's clock, or, with no loop running, from
    /// its first poll.
    fn relative(delay: Duration, period: Duration) -> Timer {
        let mut timer = Timer::never();
        timer.period = period;
        match context::with_core(|core| core.map(Core::now)) {
            Some(now) => timer.when = now.checked_add(delay),
            None => timer.start_in = Some(delay),
        }
        timer
    }

    /// Fires once, at `deadline`.
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// assert_eq!(loop_core::Timer::at(now).deadline(), Some(now));
    /// ```
    pub fn at(deadline: Instant) -> Timer {
        Timer {
            when: Some(deadline),
            period: Duration::ZERO,
            missed_tick: MissedTick::Skip,
            start_in: None,
            finished: false,
            registration: None,
        }
    }

    /// Fires every `period`, the first time one period from now.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// let lp = loop_core::EventLoop::new()?;
    /// let mut t = loop_core::Timer::interval(std::time::Duration::from_millis(1));
    /// let first = lp.block_on(t.next()).unwrap();
    /// assert!(first.is_some());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn interval(period: Duration) -> Timer {
        assert!(!period.is_zero(), "an interval's period must be non-zero");
        Timer::relative(period, period)
    }

    /// Fires at `start` and every `period` after.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    ///
    /// ```
    /// let start = std::time::Instant::now();
    /// let t = loop_core::Timer::interval_at(start, std::time::Duration::from_millis(10));
    /// assert_eq!(t.deadline(), Some(start));
    /// ```
    pub fn interval_at(start: Instant, period: Duration) -> Timer {
        assert!(!period.is_zero(), "an interval's period must be non-zero");
        Timer {
            when: Some(start),
            period,
            missed_tick: MissedTick::Skip,
            start_in: None,
            finished: false,
            registration: None,
        }
    }

    /// Never fires.
    ///
    /// ```
    /// assert!(loop_core::Timer::never().deadline().is_none());
    /// ```
    pub fn never() -> Timer {
        Timer {
            when: None,
            period: Duration::ZERO,
            missed_tick: MissedTick::Skip,
            start_in: None,
            finished: false,
            registration: None,
        }
    }

    /// What an interval does about ticks it missed while the loop was busy (default
    /// [`MissedTick::Skip`]).
    ///
    /// ```
    /// use loop_core::{MissedTick, Timer};
    /// let t = Timer::interval(std::time::Duration::from_millis(10)).missed_tick(MissedTick::Burst);
    /// # drop(t);
    /// ```
    pub fn missed_tick(mut self, policy: MissedTick) -> Timer {
        self.missed_tick = policy;
        self
    }

    /// When the timer fires next, if ever.
    ///
    /// ```
    /// assert!(loop_core::Timer::never().deadline().is_none());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.when
    }

    fn is_idle(&self) -> bool {
        self.when.is_none() && self.start_in.is_none()
    }

    /// Moves the deadline to `deadline`, keeping the period; the timer can fire again.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let mut t = loop_core::Timer::never();
    /// let soon = Instant::now() + Duration::from_millis(1);
    /// t.set_at(soon);
    /// assert_eq!(t.deadline(), Some(soon));
    /// ```
    pub fn set_at(&mut self, deadline: Instant) {
        self.unregister();
        self.when = Some(deadline);
        self.start_in = None;
        self.finished = false;
    }

    /// Moves the deadline to `duration` from now.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.block_on(async {
    ///     let mut t = loop_core::Timer::never();
    ///     t.set_after(std::time::Duration::from_secs(1));
    ///     t
    /// }).unwrap();
    /// assert!(t.deadline().is_some());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_after(&mut self, duration: Duration) {
        self.unregister();
        let period = self.period;
        *self = Timer {
            missed_tick: self.missed_tick,
            ..Timer::relative(duration, period)
        };
    }

    fn unregister(&mut self) {
        if let Some((id, key)) = self.registration.take() {
            context::with_loop(id, |core| {
                let action = core.timers.borrow_mut().remove(key);
                drop(action);
            });
        }
    }

    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.is_idle() {
            return Poll::Pending;
        }
        context::with_core(|core| {
            let core = core.expect("a Timer was polled outside a running evloop event loop");
            if let Some(delay) = self.start_in.take() {
                self.when = core.now().checked_add(delay);
            }
            let Some(when) = self.when else {
                return Poll::Pending;
            };
            if let Some((id, key)) = self.registration {
                if id == core.id {
                    let mut timers = core.timers.borrow_mut();
                    if let Some(TimerAction::Wake(waker)) = timers.get_mut(key) {
                        if !waker.will_wake(cx.waker()) {
                            waker.clone_from(cx.waker());
                        }
                        return Poll::Pending;
                    }
                }
                // Fired (or registered on a loop that is gone).
                self.registration = None;
                if id == core.id {
                    return Poll::Ready(self.advance(when));
                }
            }
            // A deadline already past fires on the next turn, as asyncio's `sleep(0)` yields once.
            let key = core.insert_timer(when, TimerAction::Wake(cx.waker().clone()));
            self.registration = Some((core.id, key));
            Poll::Pending
        })
    }

    /// Sets up the next tick after one at `fired`, returning `fired`.
    fn advance(&mut self, fired: Instant) -> Instant {
        if self.period.is_zero() {
            self.when = None;
            self.finished = true;
        } else {
            let now = loop_now();
            let next = fired + self.period;
            self.when = Some(match self.missed_tick {
                MissedTick::Burst => next,
                MissedTick::Delay if next <= now => now + self.period,
                MissedTick::Skip if next <= now => {
                    let behind = (now - fired).as_nanos();
                    let periods = behind / self.period.as_nanos() + 1;
                    fired + self.period * periods.min(u32::MAX as u128) as u32
                }
                MissedTick::Delay | MissedTick::Skip => next,
            });
        }
        fired
    }
}

impl Future for Timer {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.get_mut().poll_tick(cx)
    }
}

impl Stream for Timer {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        this.poll_tick(cx).map(Some)
    }
}

impl Drop for Timer {
    #[inline]
    fn drop(&mut self) {
        // Most timers around ready work were never registered: keep that path a branch.
        if self.registration.is_some() {
            self.unregister();
        }
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("when", &self.when)
            .field("period", &self.period)
            .finish()
    }
}

/// A callback scheduled with [`Loop::call_later`](crate::Loop::call_later) or
/// [`Loop::call_at`](crate::Loop::call_at). Dropping the handle does not cancel it.
///
/// ```
/// use std::time::Duration;
/// let lp = loop_core::EventLoop::new()?;
/// let h = lp.call_later(Duration::from_secs(60), || unreachable!()).unwrap();
/// h.cancel();
/// assert!(h.is_cancelled());
/// lp.block_on(loop_core::yield_now()).unwrap();
/// # std::io::Result::Ok(())
/// ```
pub struct TimerHandle {
    core: Weak<Core>,
    key: Key,
    when: Instant,
    cancelled: Cell<bool>,
}

impl TimerHandle {
    pub(crate) fn new(core: Weak<Core>, key: Key, when: Instant) -> TimerHandle {
        TimerHandle {
            core,
            key,
            when,
            cancelled: Cell::new(false),
        }
    }

    /// Cancels the callback if it has not run yet; it is removed from the loop at once.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h = lp.call_later(std::time::Duration::from_secs(1), || ()).unwrap();
    /// h.cancel();
    /// h.cancel(); // a second cancel is harmless
    /// # std::io::Result::Ok(())
    /// ```
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(core) = self.core.upgrade() {
            let action = core.timers.borrow_mut().remove(self.key);
            drop(action);
        }
    }

    /// Whether [`cancel`](TimerHandle::cancel) was called.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h = lp.call_later(std::time::Duration::from_secs(1), || ()).unwrap();
    /// assert!(!h.is_cancelled());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// When the callback is due.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let at = lp.time();
    /// assert_eq!(lp.call_at(at, || ()).unwrap().when(), at);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("cancelled", &self.cancelled.get())
            .finish()
    }
}
