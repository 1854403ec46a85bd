//! The FIFO counting semaphore under [`Semaphore`](crate::Semaphore),
//! [`BoundedSemaphore`](crate::BoundedSemaphore), [`RwLock`](crate::RwLock) and, with one permit,
//! [`Mutex`](crate::Mutex).
//!
//! One `AtomicUsize`, `state`, holds the free permits (times `PERMIT`) and two flags: `WAITERS`
//! (the line is non-empty) and `TURN` (a request was granted and its owner has not claimed it
//! yet). Waiters line up in a [`Waiters`] list, and only the request at the head may take
//! permits, all it needs at once: a large request at the head holds back the smaller ones behind
//! it until enough permits are free, so no request is starved.
//!
//! When the free permits cover the head's request, whoever notices (a `release`, a cancel, or
//! the previous claimer) *grants* it under the list lock: sets `TURN`, unlinks the head, marks its
//! node granted, and wakes it after unlocking. The woken task only reads its node's state and
//! *claims* the turn: one `fetch_sub` that takes its permits and clears `TURN`. If permits are
//! left over and somebody waits, the claimer grants the next head. Until it is claimed, a grant
//! still counts as waiting (`try_acquire` fails) and its permits as free, exactly as if they were
//! taken in the poll that completes the acquire.
//!
//! Uncontended, acquiring and releasing are a load and a compare-and-swap each, with no lock and
//! no allocation. Contended, a wait takes the list lock twice (enqueue, grant) and allocates its
//! node; a release while a grant is outstanding just adds its permits.
//!
//! The invariants, which the comments below refer to:
//!
//! 1. `WAITERS` is set exactly while the list is non-empty; it changes only under the list lock.
//!    `TURN` is set only under the list lock and cleared only by the claimer (or the cancelled
//!    owner) of the grant. At most one grant is outstanding.
//! 2. While `WAITERS` is set and `TURN` clear, nobody changes `state` without the list lock:
//!    `try_acquire` works only with both flags clear, the lock-free `release` only with
//!    `WAITERS` clear or `TURN` set, and claims only with `TURN` set.
//! 3. Outside the list lock, while `WAITERS` is set and `TURN` clear, the free permits are fewer
//!    than the head's request: every change that could break this (a release, a cancel, a claim
//!    leaving permits) runs `hand_off` under the lock afterwards.
//! 4. A granted request that is cancelled before its owner saw the grant clears `TURN` without
//!    taking permits and hands off: a cancelled waiter never keeps or loses permits.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use crate::waiters::{Locked, NodeBox, Seen, Waiters};

/// The most permits a semaphore can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

/// Set while somebody waits in the list.
const WAITERS: usize = 1;
/// Set while a grant is outstanding (not claimed yet).
const TURN: usize = 2;
/// One free permit in `state`.
const PERMIT: usize = 4;

pub(crate) struct RawSemaphore {
    state: AtomicUsize,
    waiters: Waiters,
}

impl RawSemaphore {
    pub(crate) const fn new(permits: usize) -> RawSemaphore {
        RawSemaphore {
            state: AtomicUsize::new(permits * PERMIT),
            waiters: Waiters::new(),
        }
    }

    /// Free permits right now (a granted request's count until it claims them).
    pub(crate) fn available(&self) -> usize {
        self.state.load(SeqCst) / PERMIT
    }

    /// Whether anyone waits for permits (a granted request counts until it claims them).
    pub(crate) fn has_waiters(&self) -> bool {
        self.state.load(SeqCst) & (WAITERS | TURN) != 0
    }

    /// Whether acquiring one permit would wait: none is free, somebody waits, or a grant is
    /// outstanding (asyncio's `locked()`).
    pub(crate) fn is_locked(&self) -> bool {
        let state = self.state.load(SeqCst);
        state / PERMIT == 0 || state & (WAITERS | TURN) != 0
    }

    /// Takes `n` permits if nobody waits and enough are free.
    #[inline]
    pub(crate) fn try_acquire(&self, n: usize) -> bool {
        if n == 0 {
            return true;
        }
        let mut state = self.state.load(SeqCst);
        loop {
            if state & (WAITERS | TURN) != 0 || state / PERMIT < n {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(state, state - n * PERMIT, SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
    }

    /// Returns `n` permits, granting the head of the line its request if they now cover it.
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.state.load(SeqCst);
        // Nobody waits, or the outstanding grant's claimer will see these permits (invariant 3).
        while state & WAITERS == 0 || state & TURN != 0 {
            match self
                .state
                .compare_exchange_weak(state, state + n * PERMIT, SeqCst, SeqCst)
            {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
        self.release_slow(n);
    }

    /// `release` when somebody waits and no grant is outstanding (when we looked).
    #[cold]
    fn release_slow(&self, n: usize) {
        let list = self.waiters.lock();
        self.state.fetch_add(n * PERMIT, SeqCst);
        self.hand_off(list);
    }

    /// Ends an outstanding grant: its owner takes `taken` permits (its request, or none when it
    /// was cancelled) and clears `TURN`. Permits left over go to the next head.
    #[inline]
    fn end_turn(&self, taken: usize) {
        let prev = self.state.fetch_sub(taken * PERMIT + TURN, SeqCst);
        if prev & WAITERS != 0 && prev / PERMIT > taken {
            // Invariant 3 may not hold any more.
            self.hand_off(self.waiters.lock());
        }
    }

    /// Under the list lock: grants the head its request if no grant is outstanding and the free
    /// permits cover it, and keeps `WAITERS` in step with the list (invariant 1). Wakes the
    /// granted waiter after unlocking.
    fn hand_off(&self, mut list: Locked<'_>) {
        let mut waker = None;
        if let Some(need) = list.front_value() {
            let mut state = self.state.load(SeqCst);
            while state & TURN == 0 && state / PERMIT >= need {
                match self
                    .state
                    .compare_exchange(state, state | TURN, SeqCst, SeqCst)
                {
                    Ok(_) => {
                        waker = list.pop_front();
                        break;
                    }
                    Err(now) => state = now,
                }
            }
        }
        if list.is_empty() {
            self.state.fetch_and(!WAITERS, SeqCst);
        }
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// One request for `n` permits: the state machine behind every future that waits on a
/// [`RawSemaphore`].
///
/// It does not borrow the semaphore: futures pass it to [`poll`](AcquireState::poll) and call
/// [`cancel`](AcquireState::cancel) from their `Drop`.
pub(crate) struct AcquireState {
    n: usize,
    /// `None` until the request waits in line.
    node: Option<NodeBox>,
}

impl AcquireState {
    pub(crate) const fn new(n: usize) -> AcquireState {
        AcquireState { n, node: None }
    }

    /// How many permits this request is for.
    pub(crate) fn permits(&self) -> usize {
        self.n
    }

    /// Polls for the permits. `Ready` means the caller now holds `n` of them.
    ///
    /// Must not be polled again after `Ready`: it would take another `n`. Every future around it
    /// drops its semaphore reference on `Ready` and panics if polled once more.
    #[inline]
    pub(crate) fn poll(&mut self, sem: &RawSemaphore, cx: &mut Context<'_>) -> Poll<()> {
        let ready = match &self.node {
            None => {
                if sem.try_acquire(self.n) {
                    Poll::Ready(())
                } else {
                    self.enqueue(sem, cx)
                }
            }
            Some(node) => {
                let seen = match node.poll_state() {
                    // Polled again before the grant: refresh the waker under the lock.
                    Seen::Waiting => sem.waiters.lock().update_waker(node, cx.waker()),
                    seen => seen,
                };
                match seen {
                    Seen::Granted => {
                        sem.end_turn(self.n);
                        Poll::Ready(())
                    }
                    Seen::Waiting => Poll::Pending,
                    Seen::Nothing => unreachable!("a queued request is waiting or granted"),
                }
            }
        };
        if ready.is_ready() {
            self.node = None;
        }
        ready
    }

    /// Takes the permits if they became free meanwhile, or joins the line.
    #[cold]
    fn enqueue(&mut self, sem: &RawSemaphore, cx: &mut Context<'_>) -> Poll<()> {
        let n = self.n;
        let node = self.node.insert(NodeBox::new());
        let mut list = sem.waiters.lock();
        let mut state = sem.state.load(SeqCst);
        loop {
            if state & (WAITERS | TURN) == 0 && state / PERMIT >= n {
                // Nobody waits and the permits came back: take them.
                match sem
                    .state
                    .compare_exchange(state, state - n * PERMIT, SeqCst, SeqCst)
                {
                    Ok(_) => return Poll::Ready(()),
                    Err(now) => state = now,
                }
            } else {
                // Either someone waits already (FIFO: queue behind them), or too few permits are
                // free, so invariant 3 holds with us as the head.
                match sem
                    .state
                    .compare_exchange(state, state | WAITERS, SeqCst, SeqCst)
                {
                    Ok(_) => break,
                    Err(now) => state = now,
                }
            }
        }
        // SAFETY: the node is a fresh `NodeBox` (`IDLE`), and `cancel`, which our owner's `Drop`
        // calls, unlinks it before the box is freed; `poll` frees it only once it is granted or
        // was never queued.
        unsafe { list.push_back(node, n, cx.waker()) };
        Poll::Pending
    }

    /// Gives up the request. If the permits had already been granted to it, they are released
    /// again, so a cancelled request never keeps permits and never loses them.
    pub(crate) fn cancel(&mut self, sem: &RawSemaphore) {
        let Some(node) = self.node.take() else {
            return;
        };
        if node.poll_state() != Seen::Granted {
            let mut list = sem.waiters.lock();
            if list.cancel(&node) == Seen::Nothing {
                // Unlinked. If it was the head, the next request may fit the free permits now
                // (invariant 3).
                sem.hand_off(list);
                return;
            }
        }
        // Granted but never seen: give the turn up without taking the permits (invariant 4).
        sem.end_turn(0);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use futures_lite::future::block_on;

    use crate::{Event, Mutex, Semaphore};

    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 2000 };

    #[test]
    fn threads_contend_for_a_mutex() {
        let m = Arc::new(Mutex::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        *block_on(m.lock()) += 1;
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(*m.try_lock().unwrap(), THREADS * ROUNDS);
    }

    #[test]
    fn threads_contend_for_permits_of_mixed_sizes() {
        let sem = Arc::new(Semaphore::new(3));
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let sem = sem.clone();
                thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let p = block_on(sem.acquire_many(1 + i % 3));
                        assert!(sem.available_permits() <= 2);
                        drop(p);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(sem.available_permits(), 3);
        assert!(!sem.is_locked());
    }

    #[test]
    fn threads_wait_for_an_event() {
        for _ in 0..ROUNDS / 10 {
            let ev = Arc::new(Event::new());
            let threads: Vec<_> = (0..THREADS)
                .map(|_| {
                    let ev = ev.clone();
                    thread::spawn(move || ev.wait_blocking())
                })
                .collect();
            ev.set();
            threads.into_iter().for_each(|t| t.join().unwrap());
        }
    }
}
