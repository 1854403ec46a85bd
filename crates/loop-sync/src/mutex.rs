//! [`Mutex`]: asyncio's `Lock`, holding the data it protects.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::raw_semaphore::{AcquireState, RawSemaphore};

/// An async mutual-exclusion lock with strict FIFO hand-off: asyncio's `Lock`, holding data.
///
/// - **FIFO**: unlocking hands the lock to the task that has waited longest. A task that
///   unlocks and immediately locks again queues behind every waiter, and
///   [`try_lock`](Mutex::try_lock) fails while anyone waits.
/// - **Cancel-safe**: dropping a pending [`lock`](Mutex::lock) future leaves the line. If the
///   lock had already been handed to it, it is handed on to the next waiter (or released), so a
///   cancelled waiter never keeps the lock and never loses it.
/// - **Any executor, any thread**: `Mutex<T>` is `Send + Sync` when `T: Send`, guards may be
///   released on another thread, and [`lock_blocking`](Mutex::lock_blocking) serves plain
///   threads.
///
/// Uncontended, locking and unlocking are one compare-and-swap each and allocate nothing.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::Mutex;
///
/// # futures_lite::future::block_on(async {
/// let counter = Arc::new(Mutex::new(0));
/// let mut handles = Vec::new();
/// for _ in 0..4 {
///     let counter = counter.clone();
///     handles.push(std::thread::spawn(move || {
///         for _ in 0..100 {
///             *counter.lock_blocking() += 1;
///         }
///     }));
/// }
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(*counter.lock().await, 400);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    /// A FIFO hand-off lock: a semaphore with one permit. Its `state` is `PERMIT` (free), `0`
    /// (locked) or `WAITERS` (locked, somebody waits), so uncontended `lock` and `unlock` are
    /// one compare-and-swap each.
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: a `Mutex<T>` only hands out access to `T` through guards, so moving it to another thread
// moves the `T`: `T: Send` is all that is needed.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: the lock grants `&mut T` to one guard at a time, so sharing `&Mutex<T>` between threads
// only ever moves exclusive access to `T` from thread to thread, which `T: Send` allows (as with
// `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Mutex;
    ///
    /// static GLOBAL: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    /// assert!(!GLOBAL.is_locked());
    /// ```
    pub const fn new(data: T) -> Mutex<T> {
        Mutex {
            sem: RawSemaphore::new(1),
            data: UnsafeCell::new(data),
        }
    }

    /// Consumes the mutex and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Mutex;
    ///
    /// assert_eq!(Mutex::new(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and returns a guard that unlocks it when dropped.
    ///
    /// Waiters are served in the order they first polled this future.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes gives up its place in line; if the lock had been
    /// handed to it already, it passes to the next waiter. Nothing is lost or kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Mutex;
    ///
    /// # futures_lite::future::block_on(async {
    /// let m = Mutex::new(String::from("a"));
    /// m.lock().await.push('b');
    /// assert_eq!(*m.lock().await, "ab");
    /// # });
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: Some(self),
            state: AcquireState::new(1),
        }
    }

    /// Takes the lock if it is free and nobody is waiting for it.
    ///
    /// Returns `None` while the lock is held or while other tasks wait, so it never overtakes a
    /// waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Mutex;
    ///
    /// let m = Mutex::new(1);
    /// let guard = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(guard);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.sem.try_acquire(1).then(|| MutexGuard { mutex: self })
    }

    /// Blocks the current thread until the lock is acquired.
    ///
    /// This is for plain threads that share data with async code. Calling it from async code
    /// blocks the executor thread, and if the lock is held by a task of that same thread, forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Mutex;
    ///
    /// let m = Arc::new(Mutex::new(0));
    /// let m2 = m.clone();
    /// std::thread::spawn(move || *m2.lock_blocking() += 1).join().unwrap();
    /// assert_eq!(*m.lock_blocking(), 1);
    /// ```
    pub fn lock_blocking(&self) -> MutexGuard<'_, T> {
        futures_lite::future::block_on(self.lock())
    }

    /// Whether the lock is currently held (asyncio's `locked()`). A lock that has been handed to
    /// a waiter which has not run yet counts as held (asyncio reports it free until the waiter
    /// runs, though nobody else can take it meanwhile either).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Mutex;
    ///
    /// let m = Mutex::new(());
    /// let guard = m.try_lock().unwrap();
    /// assert!(m.is_locked());
    /// drop(guard);
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.sem.is_locked()
    }

    /// Returns a mutable reference to the data; no locking is needed since the borrow is unique.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Mutex;
    ///
    /// let mut m = Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Waits for the lock and returns a guard that keeps the `Arc` alive, for tasks that need a
    /// `'static` guard.
    ///
    /// # Cancel safety
    ///
    /// As for [`lock`](Mutex::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Mutex;
    ///
    /// # futures_lite::future::block_on(async {
    /// let m = Arc::new(Mutex::new(0));
    /// let mut guard = m.lock_owned().await;
    /// *guard += 1;
    /// drop(guard);
    /// assert_eq!(*m.lock().await, 1);
    /// # });
    /// ```
    pub fn lock_owned(self: &Arc<Self>) -> LockOwned<T> {
        LockOwned {
            mutex: Some(self.clone()),
            state: AcquireState::new(1),
        }
    }

    /// Like [`try_lock`](Mutex::try_lock), returning an owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Mutex;
    ///
    /// let m = Arc::new(Mutex::new(0));
    /// let guard = m.try_lock_owned().unwrap();
    /// assert!(m.try_lock_owned().is_none());
    /// drop(guard);
    /// ```
    pub fn try_lock_owned(self: &Arc<Self>) -> Option<OwnedMutexGuard<T>> {
        self.sem.try_acquire(1).then(|| OwnedMutexGuard {
            mutex: self.clone(),
        })
    }

    /// Releases the lock held by a guard that is going away, handing it to the first waiter.
    fn unlock(&self) {
        self.sem.release(1);
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(data: T) -> Mutex<T> {
        Mutex::new(data)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// The future returned by [`Mutex::lock`].
///
/// # Examples
///
/// ```
/// use loop_sync::{Lock, Mutex};
///
/// # futures_lite::future::block_on(async {
/// let m = Mutex::new(1);
/// let lock: Lock<'_, i32> = m.lock();
/// assert_eq!(*lock.await, 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Lock<'a, T: ?Sized> {
    /// `None` once the guard has been returned.
    mutex: Option<&'a Mutex<T>>,
    state: AcquireState,
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        let mutex = this.mutex.expect("`Lock` polled after it completed");
        match this.state.poll(&mutex.sem, cx) {
            Poll::Ready(()) => {
                this.mutex = None;
                Poll::Ready(MutexGuard { mutex })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ?Sized> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        if let Some(mutex) = self.mutex {
            self.state.cancel(&mutex.sem);
        }
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

/// The future returned by [`Mutex::lock_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::{LockOwned, Mutex};
///
/// # futures_lite::future::block_on(async {
/// let m = Arc::new(Mutex::new(1));
/// let lock: LockOwned<i32> = m.lock_owned();
/// assert_eq!(*lock.await, 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LockOwned<T: ?Sized> {
    /// `None` once the guard has been returned.
    mutex: Option<Arc<Mutex<T>>>,
    state: AcquireState,
}

impl<T: ?Sized> Future for LockOwned<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        let this = &mut *self;
        let mutex = this
            .mutex
            .as_ref()
            .expect("`LockOwned` polled after it completed");
        match this.state.poll(&mutex.sem, cx) {
            Poll::Ready(()) => {
                let mutex = this.mutex.take().expect("checked above");
                Poll::Ready(OwnedMutexGuard { mutex })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ?Sized> Drop for LockOwned<T> {
    fn drop(&mut self) {
        if let Some(mutex) = &self.mutex {
            self.state.cancel(&mutex.sem);
        }
    }
}

impl<T: ?Sized> fmt::Debug for LockOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockOwned").finish_non_exhaustive()
    }
}

/// Access to a [`Mutex`]'s data; the lock is released (handed to the next waiter) on drop.
///
/// # Examples
///
/// ```
/// use loop_sync::{Mutex, MutexGuard};
///
/// # futures_lite::future::block_on(async {
/// let m = Mutex::new(vec![1]);
/// let mut guard: MutexGuard<'_, Vec<i32>> = m.lock().await;
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// # });
/// ```
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: the guard gives `&mut T` on whichever thread holds it, so sending it needs `T: Send`;
// the lock itself does not care which thread releases it.
unsafe impl<T: ?Sized + Send> Send for MutexGuard<'_, T> {}
// SAFETY: `&MutexGuard` only gives `&T`, so sharing it needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks. An associated function, so it does not shadow a method of `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::{Mutex, MutexGuard};
    ///
    /// let m = Mutex::new(0);
    /// let guard = m.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &m));
    /// ```
    pub fn mutex(guard: &MutexGuard<'a, T>) -> &'a Mutex<T> {
        guard.mutex
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a guard exists only while its holder owns the lock, so no other reference to
        // the data is live.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// An owned [`MutexGuard`]: it keeps the `Arc<Mutex<T>>` alive, so it is `'static` when `T` is.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::{Mutex, OwnedMutexGuard};
///
/// let m = Arc::new(Mutex::new(1));
/// let guard: OwnedMutexGuard<i32> = m.try_lock_owned().unwrap();
/// let t = std::thread::spawn(move || *guard + 1);
/// assert_eq!(t.join().unwrap(), 2);
/// assert!(!m.is_locked());
/// ```
#[clippy::has_significant_drop]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: as for `MutexGuard`.
unsafe impl<T: ?Sized + Send> Send for OwnedMutexGuard<T> {}
// SAFETY: as for `MutexGuard`.
unsafe impl<T: ?Sized + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::{Mutex, OwnedMutexGuard};
    ///
    /// let m = Arc::new(Mutex::new(0));
    /// let guard = m.try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&guard), &m));
    /// ```
    pub fn mutex(guard: &OwnedMutexGuard<T>) -> &Arc<Mutex<T>> {
        &guard.mutex
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: as for `MutexGuard::deref`.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `MutexGuard::deref_mut`.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
