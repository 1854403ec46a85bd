//! The FIFO hand-off lock under [`Mutex`](crate::Mutex): a [`RawSemaphore`] with one permit.
//!
//! The semaphore's `state` is then `PERMIT` (free, nobody waits), `0` (locked, nobody waits) or
//! `WAITERS` (locked, somebody waits). Uncontended, `lock` and `unlock` are one compare-and-swap
//! each (`PERMIT -> 0` and `0 -> PERMIT`) and allocate nothing. Unlocking while somebody waits
//! hands the lock (the permit) straight to the first waiter under the list lock, without ever
//! making it free, so a task that unlocks and locks again queues behind everyone already
//! waiting. The invariants are the semaphore's (see the `raw_semaphore` module).

use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use crate::raw_semaphore::{AcquireState, RawSemaphore, TURN};

/// A fair lock without data: strict FIFO hand-off among waiters, no barging.
pub(crate) struct FifoLock {
    sem: RawSemaphore,
}

impl FifoLock {
    /// Creates an unlocked lock.
    pub(crate) const fn new() -> FifoLock {
        FifoLock {
            sem: RawSemaphore::new(1),
        }
    }

    /// Takes the lock if it is free and nobody waits for it.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        self.sem.try_acquire(1)
    }

    /// Whether somebody owns the lock (a hand-off in progress counts as owned).
    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        self.sem.state.load(SeqCst) & TURN != 0 || self.sem.available() == 0
    }

    /// Releases the lock, handing it to the first waiter if there is one.
    ///
    /// Must only be called by the owner.
    #[inline]
    pub(crate) fn unlock(&self) {
        self.sem.release(1);
    }
}

/// One task's place in a [`FifoLock`]'s line: the state machine behind every future that waits
/// for a `FifoLock`.
///
/// It does not borrow the lock, so both borrowed and owned futures can embed it; they pass the
/// lock to [`poll`](FifoWaiter::poll) and must call [`cancel`](FifoWaiter::cancel) from their
/// `Drop`.
pub(crate) struct FifoWaiter {
    state: AcquireState,
}

impl FifoWaiter {
    pub(crate) const fn new() -> FifoWaiter {
        FifoWaiter {
            state: AcquireState::new(1),
        }
    }

    /// Polls for the lock. `Ready` means the caller now owns it.
    ///
    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`.
    #[inline]
    pub(crate) fn poll(&mut self, lock: &FifoLock, cx: &mut Context<'_>) -> Poll<()> {
        self.state.poll(&lock.sem, cx)
    }

    /// Leaves the line. If the lock had already been handed to this waiter, it is passed on, so
    /// a cancelled waiter never keeps the lock and never loses it.
    pub(crate) fn cancel(&mut self, lock: &FifoLock) {
        self.state.cancel(&lock.sem);
    }
}
