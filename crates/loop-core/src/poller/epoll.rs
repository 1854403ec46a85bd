//! [`EpollPoller`]: a [`Poller`] straight on Linux epoll, one syscall per wait.
//!
//! `polling`'s epoll backend spends five syscalls on every `wait`, whatever the timeout:
//! `timerfd_settime`, two `epoll_ctl` re-arms (its timerfd and its oneshot notifier), the
//! `epoll_pwait` itself and an eventfd `read`. Here the eventfd and the timerfd are registered
//! once, edge-triggered, and never re-armed or read: each eventfd write and each timer expiry
//! is a new edge. A wait with no timeout or a zero one is then a single `epoll_pwait`; a timed
//! wait adds one `timerfd_settime`, skipped when the timer is already set for that deadline.
//! Read interest includes `EPOLLRDHUP`, reported as [`Event::read_closed`].

use std::fmt;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::buffer::spare_capacity;
use rustix::event::{EventfdFlags, Timespec, epoll, eventfd};
use rustix::time::{
    ClockId, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, timerfd_create,
    timerfd_settime,
};

use super::{Event, Events, PollMode, Poller};

/// The key of the eventfd and the timerfd (the loop never uses `usize::MAX`).
const WAKE_KEY: u64 = u64::MAX;

/// How far apart two deadlines may be and still count as the same timer setting: the loop
/// recomputes its timeout from the clock on every wait, so one deadline arrives a few hundred
/// nanoseconds apart from one wait to the next.
const SAME_DEADLINE_NS: u64 = 10_000;

/// A [`Poller`] on Linux epoll (via rustix), with an edge-triggered eventfd for
/// [`notify`](Poller::notify) and an edge-triggered timerfd for timeouts finer than epoll's
/// milliseconds.
///
/// The [`DefaultPoller`](crate::DefaultPoller) (the `polling` crate) stays the default; this one
/// is for Linux servers where the poller's own syscalls show: it makes a wait one syscall
/// instead of five.
///
/// # Examples
///
/// ```
/// use loop_core::{EpollPoller, EventLoop};
/// use std::time::Duration;
///
/// let lp = EventLoop::builder().poller(EpollPoller::new()?).build()?;
/// lp.block_on(loop_core::sleep(Duration::from_millis(1))).unwrap();
/// # std::io::Result::Ok(())
/// ```
pub struct EpollPoller {
    epoll: OwnedFd,
    notifier: OwnedFd,
    timer: OwnedFd,
    /// Set by the first `notify` after a wait; later ones need not write the eventfd again.
    notified: AtomicBool,
    // Only the loop thread waits; the lock just lets `wait` take `&self`.
    state: Mutex<WaitState>,
}

struct WaitState {
    buffer: EventBuffer,
    /// The monotonic deadline (ns) the timerfd is set for, if it may not have expired yet.
    armed: Option<u64>,
}

impl EpollPoller {
    /// Opens an epoll instance with its eventfd and timerfd.
    ///
    /// # Errors
    ///
    /// When the OS refuses one of the three descriptors (for example, out of descriptors).
    ///
    /// ```
    /// use loop_core::{EpollPoller, Poller};
    /// assert!(EpollPoller::new()?.supports_edge());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> io::Result<EpollPoller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let notifier = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        let timer = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
        )?;
        for fd in [&notifier, &timer] {
            epoll::add(
                &epoll,
                fd,
                epoll::EventData::new_u64(WAKE_KEY),
                epoll::EventFlags::IN | epoll::EventFlags::ET,
            )?;
        }
        Ok(EpollPoller {
            epoll,
            notifier,
            timer,
            notified: AtomicBool::new(false),
            state: Mutex::new(WaitState {
                buffer: EventBuffer(Vec::new()),
                armed: None,
            }),
        })
    }

    /// Sets the timerfd to fire `timeout` from now, unless it is already set for then.
    fn arm(&self, armed: &mut Option<u64>, timeout: Duration) -> io::Result<()> {
        let now = to_ns(rustix::time::clock_gettime(ClockId::Monotonic));
        let deadline = now.saturating_add(timeout.as_nanos().min(u64::MAX as u128) as u64);
        if armed.is_some_and(|at| at > now && at.abs_diff(deadline) <= SAME_DEADLINE_NS) {
            return Ok(());
        }
        let at = Itimerspec {
            it_interval: Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: Timespec {
                tv_sec: (deadline / 1_000_000_000).min(i64::MAX as u64) as i64,
                tv_nsec: (deadline % 1_000_000_000) as _,
            },
        };
        timerfd_settime(&self.timer, TimerfdTimerFlags::ABSTIME, &at)?;
        *armed = Some(deadline);
        Ok(())
    }
}

/// The kernel's event records. Their user data can hold a pointer, which makes them `!Send`;
/// ours only ever holds integer keys.
struct EventBuffer(Vec<epoll::Event>);

// SAFETY: every record's data is a `u64` key written by `epoll::add`/`modify` above, never a
// pointer, so moving the buffer to another thread shares nothing.
unsafe impl Send for EventBuffer {}

fn to_ns(ts: Timespec) -> u64 {
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

impl fmt::Debug for EpollPoller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpollPoller")
            .field("epoll", &self.epoll)
            .finish_non_exhaustive()
    }
}

/// The flags `polling` registers, so both pollers report the same readiness, plus `EPOLLRDHUP`
/// with read interest (the peer's shutdown shows as [`Event::read_closed`]).
fn flags(interest: Event, mode: PollMode) -> epoll::EventFlags {
    let mut flags = match mode {
        PollMode::Oneshot => epoll::EventFlags::ONESHOT,
        PollMode::Level => epoll::EventFlags::empty(),
        PollMode::Edge => epoll::EventFlags::ET,
    };
    if interest.readable {
        flags |= read_flags();
    }
    if interest.writable {
        flags |= write_flags();
    }
    flags
}

fn read_flags() -> epoll::EventFlags {
    epoll::EventFlags::IN
        | epoll::EventFlags::RDHUP
        | epoll::EventFlags::HUP
        | epoll::EventFlags::ERR
        | epoll::EventFlags::PRI
}

fn closed_flags() -> epoll::EventFlags {
    epoll::EventFlags::RDHUP | epoll::EventFlags::HUP | epoll::EventFlags::ERR
}

fn write_flags() -> epoll::EventFlags {
    epoll::EventFlags::OUT | epoll::EventFlags::HUP | epoll::EventFlags::ERR
}

impl Poller for EpollPoller {
    unsafe fn add(&self, fd: RawFd, interest: Event, mode: PollMode) -> io::Result<()> {
        // SAFETY: our caller promises `fd` stays open until `delete`; epoll holds no reference
        // to it beyond the registration that `delete` removes.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        epoll::add(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(interest.key as u64),
            flags(interest, mode),
        )?;
        Ok(())
    }

    fn modify(&self, fd: BorrowedFd<'_>, interest: Event, mode: PollMode) -> io::Result<()> {
        epoll::modify(
            &self.epoll,
            fd,
            epoll::EventData::new_u64(interest.key as u64),
            flags(interest, mode),
        )?;
        Ok(())
    }

    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        epoll::delete(&self.epoll, fd)?;
        Ok(())
    }

    fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *state;
        let epoll_timeout = match timeout {
            Some(t) if t.is_zero() => Some(Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            }),
            Some(t) => {
                self.arm(&mut state.armed, t)?;
                None
            }
            None => None,
        };
        let capacity = events.capacity().max(1);
        let buffer = &mut state.buffer.0;
        if buffer.capacity() < capacity {
            buffer.reserve_exact(capacity);
        }
        buffer.clear();
        let result = epoll::wait(&self.epoll, spare_capacity(buffer), epoll_timeout.as_ref());
        // After the wait, so that a notify racing with it writes the eventfd again: either this
        // wait saw its edge, or the next one will.
        self.notified.store(false, Ordering::SeqCst);
        match result {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        }
        let mut n = 0;
        for ev in buffer.iter() {
            let (key, flags) = (ev.data.u64(), ev.flags);
            if key == WAKE_KEY {
                continue;
            }
            events.push(Event {
                key: key as usize,
                readable: flags.intersects(read_flags()),
                writable: flags.intersects(write_flags()),
                read_closed: flags.intersects(closed_flags()),
            });
            n += 1;
        }
        Ok(n)
    }

    fn notify(&self) -> io::Result<()> {
        if !self.notified.swap(true, Ordering::SeqCst) {
            match rustix::io::write(&self.notifier, &1u64.to_ne_bytes()) {
                // The counter is full: the eventfd is readable, so the wait wakes anyway.
                Ok(_) | Err(rustix::io::Errno::AGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn supports_edge(&self) -> bool {
        true
    }

    fn supports_level(&self) -> bool {
        true
    }

    fn reports_read_closed(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    #[test]
    fn notify_wakes_a_blocked_wait_and_is_consumed() {
        let poller = EpollPoller::new().unwrap();
        poller.notify().unwrap();
        poller.notify().unwrap();
        let mut events = Events::with_capacity(8);
        assert_eq!(poller.wait(&mut events, None).unwrap(), 0);
        // Consumed: a zero wait now finds nothing and returns at once.
        assert_eq!(poller.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        assert!(events.is_empty());
    }

    #[test]
    fn notify_from_another_thread_wakes_a_wait_without_timeout() {
        let poller = std::sync::Arc::new(EpollPoller::new().unwrap());
        let remote = poller.clone();
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            remote.notify().unwrap();
        });
        let mut events = Events::with_capacity(8);
        poller.wait(&mut events, None).unwrap();
        waker.join().unwrap();
    }

    #[test]
    fn timed_wait_returns_after_its_timeout() {
        let poller = EpollPoller::new().unwrap();
        let mut events = Events::with_capacity(8);
        for _ in 0..3 {
            let start = Instant::now();
            poller
                .wait(&mut events, Some(Duration::from_millis(2)))
                .unwrap();
            // Never early (a timerfd is exact to the nanosecond); lateness is not asserted.
            assert!(start.elapsed() >= Duration::from_millis(2));
        }
    }

    #[test]
    fn reports_edges_levels_and_oneshots() {
        let poller = EpollPoller::new().unwrap();
        let (mut a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        // SAFETY: `b` outlives its registration (deleted below).
        unsafe {
            poller
                .add(b.as_raw_fd(), Event::readable(7), PollMode::Oneshot)
                .unwrap()
        };
        a.write_all(b"x").unwrap();
        let mut events = Events::with_capacity(8);
        poller.wait(&mut events, None).unwrap();
        assert_eq!(events.iter().collect::<Vec<_>>(), [Event::readable(7)]);
        // Oneshot: disarmed until modified.
        events.clear();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
        poller
            .modify(
                std::os::fd::AsFd::as_fd(&b),
                Event::readable(7),
                PollMode::Level,
            )
            .unwrap();
        for _ in 0..2 {
            events.clear();
            poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
            assert_eq!(events.len(), 1, "level-triggered reports while readable");
        }
        poller
            .modify(std::os::fd::AsFd::as_fd(&b), Event::all(7), PollMode::Edge)
            .unwrap();
        events.clear();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        events.clear();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "edge-triggered reports once per edge");
        poller.delete(std::os::fd::AsFd::as_fd(&b)).unwrap();
    }
}
