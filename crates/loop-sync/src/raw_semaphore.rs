//! The FIFO counting semaphore under [`Semaphore`](crate::Semaphore),
//! [`BoundedSemaphore`](crate::BoundedSemaphore) and [`RwLock`](crate::RwLock).
//!
//! Free permits sit in one `AtomicUsize`. Waiters line up in a [`FifoLock`], the *turn*: only
//! the waiter at the head of the line (the one holding the turn) takes permits, all it needs at
//! once, and then passes the turn on. A large request at the head holds back the smaller ones
//! behind it until enough permits are free, so no request is starved. `try_acquire` takes permits
//! only while nobody waits (the turn is idle), so it never overtakes a waiter.
//!
//! The head waits for permits on a second event, `head`, which only it listens to. `release`
//! notifies `head` only when the turn is taken, so uncontended, acquiring is two loads and a
//! compare-and-swap and releasing a fetch-add and a load, with no allocation.
//!
//! Why a release cannot be missed: `release` adds permits and then reads the turn; the head takes
//! the turn, listens on `head` and then reads the permits, all `SeqCst`. Either `release` sees the
//! turn taken and notifies (after the head listened, or before, in which case the head's read of
//! the permits comes after the addition), or the head's read sees the new permits.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};

use crate::fifo::{FifoLock, FifoWaiter};

/// The most permits a semaphore can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

pub(crate) struct RawSemaphore {
    permits: AtomicUsize,
    turn: FifoLock,
    head: Event,
}

impl RawSemaphore {
    pub(crate) const fn new(permits: usize) -> RawSemaphore {
        RawSemaphore {
            permits: AtomicUsize::new(permits),
            turn: FifoLock::new(),
            head: Event::new(),
        }
    }

    /// Free permits right now.
    pub(crate) fn available(&self) -> usize {
        self.permits.load(SeqCst)
    }

    /// Whether anyone waits for permits.
    pub(crate) fn has_waiters(&self) -> bool {
        !self.turn.is_idle()
    }

    /// Takes `n` permits if nobody waits and enough are free.
    #[inline]
    pub(crate) fn try_acquire(&self, n: usize) -> bool {
        n == 0 || (self.turn.is_idle() && self.take(n))
    }

    /// Takes `n` permits if enough are free, waiters or not.
    #[inline]
    fn take(&self, n: usize) -> bool {
        let mut free = self.permits.load(SeqCst);
        loop {
            if free < n {
                return false;
            }
            match self
                .permits
                .compare_exchange_weak(free, free - n, SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(now) => free = now,
            }
        }
    }

    /// Returns `n` permits and wakes the head of the line, if there is one.
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.permits.fetch_add(n, SeqCst);
        if !self.turn.is_idle() {
            self.head.notify(1);
        }
    }
}

/// One request for `n` permits: the state machine behind every future that waits on a
/// [`RawSemaphore`].
///
/// Like [`FifoWaiter`], it does not borrow the semaphore: futures pass it to
/// [`poll`](AcquireState::poll) and call [`cancel`](AcquireState::cancel) from their `Drop`.
pub(crate) struct AcquireState {
    n: usize,
    phase: Phase,
}

enum Phase {
    /// Not polled yet.
    Start,
    /// In line for the turn.
    Queued(FifoWaiter),
    /// Holding the turn, waiting for permits (listening once it found too few).
    Head(Option<EventListener>),
    /// The permits were taken.
    Done,
}

impl AcquireState {
    pub(crate) const fn new(n: usize) -> AcquireState {
        AcquireState {
            n,
            phase: Phase::Start,
        }
    }

    /// How many permits this request is for.
    pub(crate) fn permits(&self) -> usize {
        self.n
    }

    /// Polls for the permits. `Ready` means the caller now holds `n` of them.
    ///
    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`.
    pub(crate) fn poll(&mut self, sem: &RawSemaphore, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.phase {
                Phase::Start => {
                    if sem.try_acquire(self.n) {
                        self.phase = Phase::Done;
                        return Poll::Ready(());
                    }
                    self.phase = Phase::Queued(FifoWaiter::new());
                }
                Phase::Queued(waiter) => match waiter.poll(&sem.turn, cx) {
                    Poll::Ready(()) => self.phase = Phase::Head(None),
                    Poll::Pending => return Poll::Pending,
                },
                Phase::Head(listener) => {
                    if sem.take(self.n) {
                        // Stop listening before passing the turn: `head` has one listener at most.
                        self.phase = Phase::Done;
                        sem.turn.unlock();
                        return Poll::Ready(());
                    }
                    match listener {
                        // Listen, then look at the permits once more before sleeping.
                        None => *listener = Some(sem.head.listen()),
                        Some(l) => match Pin::new(l).poll(cx) {
                            Poll::Ready(()) => *listener = None,
                            Poll::Pending => return Poll::Pending,
                        },
                    }
                }
                Phase::Done => panic!("an acquire future was polled after it completed"),
            }
        }
    }

    /// Gives up the request. Permits are only ever taken in the poll that returns `Ready`, so
    /// nothing is held here except possibly the turn, which is passed on.
    pub(crate) fn cancel(&mut self, sem: &RawSemaphore) {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Queued(mut waiter) => waiter.cancel(&sem.turn),
            Phase::Head(listener) => {
                drop(listener);
                sem.turn.unlock();
            }
            Phase::Start | Phase::Done => {}
        }
    }
}
