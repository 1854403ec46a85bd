//! The FIFO hand-off lock under [`Mutex`](crate::Mutex) and the semaphores' waiting line.
//!
//! One `AtomicUsize` holds the whole state: the `LOCKED` bit plus one `WAITER` unit for every
//! waiter that has counted itself. Uncontended, `lock` and `unlock` are one compare-and-swap
//! each (`0 -> LOCKED` and `LOCKED -> 0`) and allocate nothing.
//!
//! Waiters queue on an [`event_listener::Event`], whose listeners are notified in the order they
//! started listening. A notification is a *token*: the lock itself. `unlock` with counted waiters
//! keeps `LOCKED` set and hands the token to the first listener with `notify_additional(1)`, so a
//! task that unlocks and locks again queues behind everyone already waiting.
//!
//! The invariants, which the comments below refer to:
//!
//! 1. At most one token exists, and only while `LOCKED` is set: it is held either by the owner
//!    or by exactly one notified listener that has not consumed it yet.
//! 2. A waiter starts listening *before* it counts itself and stops counting itself *before* it
//!    stops listening (when cancelled). So while a waiter is counted its listener is in the list.
//! 3. Listeners are never dropped with plain `Drop` (which would pass a notification on by
//!    itself): a cancelled waiter calls `discard`, learns whether it held the token, and if so
//!    unlocks, which hands the token to the next waiter or clears `LOCKED`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use event_listener::{Event, EventListener, Listener};

/// Set while the lock is owned (or its token is on its way to a notified waiter).
const LOCKED: usize = 1;
/// One counted waiter.
const WAITER: usize = 2;

/// A fair lock without data: strict FIFO hand-off among waiters, no barging.
pub(crate) struct FifoLock {
    state: AtomicUsize,
    queue: Event,
}

impl FifoLock {
    /// Creates an unlocked lock.
    pub(crate) const fn new() -> FifoLock {
        FifoLock {
            state: AtomicUsize::new(0),
            queue: Event::new(),
        }
    }

    /// Takes the lock if it is free and nobody waits for it.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        self.state
            .compare_exchange(0, LOCKED, SeqCst, SeqCst)
            .is_ok()
    }

    /// Whether somebody owns the lock (a hand-off in progress counts as owned).
    #[inline]
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(SeqCst) & LOCKED != 0
    }

    /// Whether the lock is free and nobody waits: the only state in which `try_lock` succeeds.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.state.load(SeqCst) == 0
    }

    /// Releases the lock, handing it to the first waiter if there is one.
    ///
    /// Must only be called by the owner.
    #[inline]
    pub(crate) fn unlock(&self) {
        if self
            .state
            .compare_exchange(LOCKED, 0, SeqCst, SeqCst)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        loop {
            // Some waiter was counted when the compare-and-swap failed, so (invariant 2) its
            // listener is in the list, and (invariant 1) no listener holds a token: the first
            // unnotified listener gets the lock. It may be a waiter that has not counted itself
            // yet; it will find `LOCKED` set, count itself and consume the token.
            if self.queue.notify_additional(1) > 0 {
                return;
            }
            // Nobody was listening any more: the counted waiter cancelled in between, and it
            // uncounts itself before leaving the list. Once nobody is counted, unlock for real;
            // a waiter that counted itself meanwhile is in the list for the next round.
            if self
                .state
                .compare_exchange(LOCKED, 0, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// One task's place in a [`FifoLock`]'s line: the state machine behind every future that waits
/// for a `FifoLock`.
///
/// It does not borrow the lock, so both borrowed and owned futures can embed it; they pass the
/// lock to [`poll`](FifoWaiter::poll) and must call [`cancel`](FifoWaiter::cancel) from their
/// `Drop`.
pub(crate) struct FifoWaiter {
    state: WaiterState,
}

enum WaiterState {
    /// Not polled yet.
    Idle,
    /// Counted and listening.
    Queued(EventListener),
    /// The lock was taken (and belongs to whoever polled us).
    Done,
}

impl FifoWaiter {
    pub(crate) const fn new() -> FifoWaiter {
        FifoWaiter {
            state: WaiterState::Idle,
        }
    }

    /// Polls for the lock. `Ready` means the caller now owns it.
    ///
    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`.
    pub(crate) fn poll(&mut self, lock: &FifoLock, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                WaiterState::Idle => {
                    if lock.try_lock() {
                        self.state = WaiterState::Done;
                        return Poll::Ready(());
                    }
                    if self.enqueue(lock) {
                        return Poll::Ready(());
                    }
                }
                WaiterState::Queued(listener) => {
                    return match Pin::new(listener).poll(cx) {
                        Poll::Ready(()) => {
                            // The previous owner handed us the token; the listener has left the
                            // list, so uncount ourselves.
                            lock.state.fetch_sub(WAITER, SeqCst);
                            self.state = WaiterState::Done;
                            Poll::Ready(())
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
                WaiterState::Done => panic!("a lock future was polled after it completed"),
            }
        }
    }

    /// Starts listening, then either takes a free lock or counts itself as a waiter. Returns
    /// `true` if it took the lock.
    fn enqueue(&mut self, lock: &FifoLock) -> bool {
        // Invariant 2: listen first, count second.
        let listener = lock.queue.listen();
        let mut state = lock.state.load(SeqCst);
        loop {
            if state == 0 {
                match lock.state.compare_exchange(0, LOCKED, SeqCst, SeqCst) {
                    Ok(_) => {
                        // The lock was free, so (invariant 1) no token existed and nobody can
                        // have notified this listener.
                        let had_token = listener.discard();
                        debug_assert!(!had_token, "a free lock had a token in flight");
                        self.state = WaiterState::Done;
                        return true;
                    }
                    Err(now) => state = now,
                }
            } else {
                match lock
                    .state
                    .compare_exchange(state, state + WAITER, SeqCst, SeqCst)
                {
                    Ok(_) => {
                        self.state = WaiterState::Queued(listener);
                        return false;
                    }
                    Err(now) => state = now,
                }
            }
        }
    }

    /// Leaves the line. If the lock had already been handed to this waiter, it is passed on, so
    /// a cancelled waiter never keeps the lock and never loses it.
    pub(crate) fn cancel(&mut self, lock: &FifoLock) {
        if let WaiterState::Queued(listener) = std::mem::replace(&mut self.state, WaiterState::Done)
        {
            // Invariant 2: uncount first, stop listening second.
            lock.state.fetch_sub(WAITER, SeqCst);
            if listener.discard() {
                // We held the token: we are the owner, so release like one.
                lock.unlock();
            }
        }
    }
}
