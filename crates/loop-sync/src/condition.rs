//! [`Condition`]: asyncio's `Condition`, a condition variable for [`Mutex`].

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use event_listener::EventListener;

use crate::mutex::{Lock, Mutex, MutexGuard};

/// A condition variable: tasks wait, with a [`Mutex`] released, until another task notifies
/// them; asyncio's `Condition`.
///
/// Like `std::sync::Condvar`, it is separate from the mutex: [`wait`](Condition::wait) takes the
/// guard, releases the lock while waiting and hands back a guard once notified and re-locked.
/// Several conditions may share one mutex. Waiters are notified in the order they started
/// waiting, and then re-lock in the mutex's FIFO order.
///
/// Differences from asyncio:
///
/// - Notifying does not need the lock (asyncio raises `RuntimeError`). A waiter starts listening
///   before it releases the lock, so a notification sent after the shared state changed always
///   reaches the waiters that saw the old state.
/// - A Rust future that is dropped cannot hand a guard back, so a cancelled `wait` releases the
///   lock instead of re-acquiring it. To stop waiting on a timeout and keep the lock, as
///   `asyncio.wait_for(cond.wait(), t)` does, use [`wait_or`](Condition::wait_or).
///
/// # Cancel safety
///
/// Dropping a pending `wait` never keeps the lock and never loses a notification: if it had been
/// notified, the notification passes to another waiter (which may wake spuriously, as condition
/// variables allow).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::{Condition, Mutex};
///
/// let state = Arc::new((Mutex::new(false), Condition::new()));
/// let s = state.clone();
/// std::thread::spawn(move || {
///     *s.0.lock_blocking() = true;
///     s.1.notify_all();
/// });
/// futures_lite::future::block_on(async {
///     let (lock, cond) = &*state;
///     let ready = cond.wait_for(lock.lock().await, |ready| *ready).await;
///     assert!(*ready);
/// });
/// ```
pub struct Condition {
    waiters: event_listener::Event,
}

impl Condition {
    /// Creates a condition with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Condition;
    ///
    /// static CHANGED: Condition = Condition::new();
    /// assert_eq!(CHANGED.notify_all(), 0);
    /// ```
    pub const fn new() -> Condition {
        Condition {
            waiters: event_listener::Event::new(),
        }
    }

    /// Releases the guard's lock, waits for a notification, and re-locks.
    ///
    /// Like any condition variable it can wake without the awaited state having changed (another
    /// task may have changed it back first), so check the state in a loop, or use
    /// [`wait_for`](Condition::wait_for).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future releases the lock if it holds it and leaves the line; a notification
    /// it had received passes to another waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::{Condition, Mutex};
    ///
    /// # futures_lite::future::block_on(async {
    /// let shared = Arc::new((Mutex::new(0), Condition::new()));
    /// let s = shared.clone();
    /// let t = std::thread::spawn(move || {
    ///     futures_lite::future::block_on(async {
    ///         let (lock, cond) = &*s;
    ///         let mut n = lock.lock().await;
    ///         while *n == 0 {
    ///             n = cond.wait(n).await;
    ///         }
    ///         *n
    ///     })
    /// });
    /// let (lock, cond) = &*shared;
    /// *lock.lock().await = 5;
    /// cond.notify_all();
    /// assert_eq!(t.join().unwrap(), 5);
    /// # });
    /// ```
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> ConditionWait<'a, '_, T> {
        ConditionWait {
            cond: self,
            state: WaitState::Start(guard),
        }
    }

    /// Waits until `pred` returns `true` for the locked data, and returns with the lock held.
    ///
    /// Returns at once, without releasing the lock, if `pred` holds already.
    ///
    /// # Cancel safety
    ///
    /// As for [`wait`](Condition::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::{Condition, Mutex};
    ///
    /// # futures_lite::future::block_on(async {
    /// let shared = Arc::new((Mutex::new(Vec::new()), Condition::new()));
    /// let s = shared.clone();
    /// std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         s.0.lock_blocking().push(i);
    ///         s.1.notify(1);
    ///     }
    /// });
    /// let (lock, cond) = &*shared;
    /// let items = cond.wait_for(lock.lock().await, |v| v.len() == 3).await;
    /// assert_eq!(*items, [0, 1, 2]);
    /// # });
    /// ```
    pub async fn wait_for<'a, T: ?Sized, P>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut pred: P,
    ) -> MutexGuard<'a, T>
    where
        P: FnMut(&mut T) -> bool,
    {
        while !pred(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Like [`wait`](Condition::wait), but stops waiting when `other` completes first, and
    /// re-locks either way: `(guard, None)` if notified, `(guard, Some(output))` if `other`
    /// finished first.
    ///
    /// With a timer as `other` this is asyncio's `wait_for(cond.wait(), timeout)`, which
    /// re-acquires the lock before raising `TimeoutError`. `other` is polled after the
    /// notification, so a wait that is notified and timed out at once counts as notified. A
    /// notification that arrives after `other` completed, while re-locking, passes to another
    /// waiter.
    ///
    /// # Cancel safety
    ///
    /// As for [`wait`](Condition::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::{Condition, Mutex};
    ///
    /// # futures_lite::future::block_on(async {
    /// let (lock, cond) = (Mutex::new(0), Condition::new());
    /// // Nobody notifies: `other` (here, a future that is ready at once) decides.
    /// let (guard, timed_out) = cond.wait_or(lock.lock().await, async { "timeout" }).await;
    /// assert_eq!(timed_out, Some("timeout"));
    /// assert!(lock.is_locked());
    /// drop(guard);
    /// # });
    /// ```
    pub async fn wait_or<'a, T: ?Sized, F: Future>(
        &self,
        guard: MutexGuard<'a, T>,
        other: F,
    ) -> (MutexGuard<'a, T>, Option<F::Output>) {
        let mut wait = self.wait(guard);
        let mut other = pin!(other);
        let first = futures_lite::future::poll_fn(|cx| {
            if let Poll::Ready(guard) = Pin::new(&mut wait).poll(cx) {
                return Poll::Ready(Err(guard));
            }
            other.as_mut().poll(cx).map(Ok)
        })
        .await;
        match first {
            Err(guard) => (guard, None),
            Ok(output) => {
                wait.stop_waiting();
                (wait.await, Some(output))
            }
        }
    }

    /// Wakes up to `n` waiters that have not been notified yet; returns how many it woke.
    ///
    /// Notifications are not stored: with nobody waiting, this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::{Condition, Mutex};
    ///
    /// # futures_lite::future::block_on(async {
    /// let (lock, cond) = (Mutex::new(()), Condition::new());
    /// let mut waiting = Box::pin(cond.wait(lock.lock().await));
    /// assert!(futures_lite::future::poll_once(waiting.as_mut()).await.is_none());
    /// assert_eq!(cond.notify(2), 1);
    /// let _guard = waiting.await;
    /// # });
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        self.waiters.notify_additional(n)
    }

    /// Wakes every current waiter; returns how many it woke.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Condition;
    ///
    /// assert_eq!(Condition::new().notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.waiters.notify(usize::MAX)
    }
}

impl Default for Condition {
    fn default() -> Condition {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition").finish_non_exhaustive()
    }
}

/// The future returned by [`Condition::wait`].
///
/// # Examples
///
/// ```
/// use loop_sync::{Condition, ConditionWait, Mutex};
///
/// # futures_lite::future::block_on(async {
/// let (lock, cond) = (Mutex::new(0), Condition::new());
/// let mut wait: ConditionWait<'_, '_, i32> = cond.wait(lock.lock().await);
/// // The first poll releases the lock and starts waiting.
/// assert!(futures_lite::future::poll_once(&mut wait).await.is_none());
/// assert!(!lock.is_locked());
/// cond.notify(1);
/// assert_eq!(*wait.await, 0);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ConditionWait<'a, 'c, T: ?Sized> {
    cond: &'c Condition,
    state: WaitState<'a, T>,
}

enum WaitState<'a, T: ?Sized> {
    /// Not polled yet: still holding the lock.
    Start(MutexGuard<'a, T>),
    /// The lock is released; waiting for a notification.
    Waiting {
        mutex: &'a Mutex<T>,
        listener: EventListener,
    },
    /// Re-locking. `notified` is whether a notification was consumed to get here.
    Relock { lock: Lock<'a, T>, notified: bool },
    /// The guard was returned.
    Done,
}

impl<T: ?Sized> ConditionWait<'_, '_, T> {
    /// Stops waiting for a notification and goes straight to re-locking. A notification received
    /// already passes to another waiter.
    fn stop_waiting(&mut self) {
        match &mut self.state {
            WaitState::Waiting { mutex, .. } => {
                let lock = mutex.lock();
                // Dropping the listener passes on a notification that arrived meanwhile.
                self.state = WaitState::Relock {
                    lock,
                    notified: false,
                };
            }
            WaitState::Relock { notified, .. } => {
                if std::mem::take(notified) {
                    self.cond.waiters.notify_additional(1);
                }
            }
            WaitState::Start(_) | WaitState::Done => {
                unreachable!("`wait_or` polls the wait before it stops it")
            }
        }
    }
}

impl<'a, T: ?Sized> Future for ConditionWait<'a, '_, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                WaitState::Start(guard) => {
                    let mutex = MutexGuard::mutex(guard);
                    // Listen before unlocking: a notify that follows a state change made after
                    // we release the lock cannot miss us.
                    let listener = this.cond.waiters.listen();
                    this.state = WaitState::Waiting { mutex, listener };
                }
                WaitState::Waiting { mutex, listener } => match Pin::new(listener).poll(cx) {
                    Poll::Ready(()) => {
                        let lock = mutex.lock();
                        this.state = WaitState::Relock {
                            lock,
                            notified: true,
                        };
                    }
                    Poll::Pending => return Poll::Pending,
                },
                WaitState::Relock { lock, .. } => match Pin::new(lock).poll(cx) {
                    Poll::Ready(guard) => {
                        this.state = WaitState::Done;
                        return Poll::Ready(guard);
                    }
                    Poll::Pending => return Poll::Pending,
                },
                WaitState::Done => panic!("`ConditionWait` polled after it completed"),
            }
        }
    }
}

impl<T: ?Sized> Drop for ConditionWait<'_, '_, T> {
    fn drop(&mut self) {
        // `Start` releases the lock by dropping its guard, `Waiting` passes on a pending
        // notification by dropping its listener, and `Relock`'s lock future leaves the mutex's
        // line; a notification it consumed goes to another waiter.
        if let WaitState::Relock { notified: true, .. } = self.state {
            self.cond.waiters.notify_additional(1);
        }
    }
}

impl<T: ?Sized> fmt::Debug for ConditionWait<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            WaitState::Start(_) => "start",
            WaitState::Waiting { .. } => "waiting",
            WaitState::Relock { .. } => "relocking",
            WaitState::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
