//! [`RwLock`]: a reader-writer lock that starves neither readers nor writers.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::raw_semaphore::{AcquireState, MAX_PERMITS, RawSemaphore};

/// The permits a writer takes: all of them.
const WRITER: usize = MAX_PERMITS;

/// An async reader-writer lock with one FIFO line for readers and writers.
///
/// Any number of readers or one writer hold the lock. Requests are served strictly in arrival
/// order: a writer waits for the readers ahead of it, and readers that arrive after a waiting
/// writer queue behind it, so a stream of readers cannot starve a writer and a stream of writers
/// cannot starve a reader. Consecutive readers at the head of the line share the lock.
///
/// It is a FIFO semaphore with [`Semaphore::MAX_PERMITS`](crate::Semaphore::MAX_PERMITS)
/// permits: a reader takes one, a writer all. Uncontended, locking and unlocking are one
/// read-modify-write plus a load or two, without allocation.
///
/// # Cancel safety
///
/// Dropping a pending [`read`](RwLock::read) or [`write`](RwLock::write) future takes nothing
/// and passes its place in line on: the lock is never lost or kept by a cancelled waiter.
///
/// # Examples
///
/// ```
/// use loop_sync::RwLock;
///
/// # futures_lite::future::block_on(async {
/// let lock = RwLock::new(5);
/// {
///     let r1 = lock.read().await;
///     let r2 = lock.read().await;
///     assert_eq!(*r1 + *r2, 10);
///     assert!(lock.try_write().is_none());
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    sem: RawSemaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the lock owns its `T`; moving the lock moves the `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: through `&RwLock<T>`, several threads may read `&T` at once (needs `T: Sync`) and one
// thread at a time may get `&mut T` (needs `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// static CONFIG: RwLock<Option<String>> = RwLock::new(None);
    /// assert!(CONFIG.try_read().unwrap().is_none());
    /// ```
    pub const fn new(data: T) -> RwLock<T> {
        RwLock {
            sem: RawSemaphore::new(WRITER),
            data: UnsafeCell::new(data),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// assert_eq!(RwLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared read access.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes takes nothing and passes its place in line on.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(vec![1, 2]);
    /// assert_eq!(lock.read().await.len(), 2);
    /// # });
    /// ```
    pub fn read(&self) -> RwLockRead<'_, T> {
        RwLockRead {
            lock: Some(self),
            state: AcquireState::new(1),
        }
    }

    /// Waits for exclusive write access.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](RwLock::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// # futures_lite::future::block_on(async {
    /// let lock = RwLock::new(vec![1]);
    /// lock.write().await.push(2);
    /// assert_eq!(*lock.read().await, [1, 2]);
    /// # });
    /// ```
    pub fn write(&self) -> RwLockWrite<'_, T> {
        RwLockWrite {
            lock: Some(self),
            state: AcquireState::new(WRITER),
        }
    }

    /// Takes read access if no writer holds the lock and nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// let lock = RwLock::new(1);
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_some());
    /// drop(r);
    /// let w = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_none());
    /// # drop(w);
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.sem
            .try_acquire(1)
            .then(|| RwLockReadGuard { lock: self })
    }

    /// Takes write access if the lock is free and nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// let lock = RwLock::new(1);
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_none());
    /// drop(r);
    /// assert!(lock.try_write().is_some());
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.sem
            .try_acquire(WRITER)
            .then(|| RwLockWriteGuard { lock: self })
    }

    /// Returns a mutable reference to the data; no locking is needed since the borrow is unique.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::RwLock;
    ///
    /// let mut lock = RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(data: T) -> RwLock<T> {
        RwLock::new(data)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// The future returned by [`RwLock::read`].
///
/// # Examples
///
/// ```
/// use loop_sync::{RwLock, RwLockRead};
///
/// # futures_lite::future::block_on(async {
/// let lock = RwLock::new(1);
/// let read: RwLockRead<'_, i32> = lock.read();
/// assert_eq!(*read.await, 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RwLockRead<'a, T: ?Sized> {
    /// `None` once the guard has been returned.
    lock: Option<&'a RwLock<T>>,
    state: AcquireState,
}

impl<'a, T: ?Sized> Future for RwLockRead<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RwLockReadGuard<'a, T>> {
        let this = &mut *self;
        let lock = this.lock.expect("`RwLockRead` polled after it completed");
        match this.state.poll(&lock.sem, cx) {
            Poll::Ready(()) => {
                this.lock = None;
                Poll::Ready(RwLockReadGuard { lock })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ?Sized> Drop for RwLockRead<'_, T> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock {
            self.state.cancel(&lock.sem);
        }
    }
}

impl<T: ?Sized> fmt::Debug for RwLockRead<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockRead").finish_non_exhaustive()
    }
}

/// The future returned by [`RwLock::write`].
///
/// # Examples
///
/// ```
/// use loop_sync::{RwLock, RwLockWrite};
///
/// # futures_lite::future::block_on(async {
/// let lock = RwLock::new(1);
/// let write: RwLockWrite<'_, i32> = lock.write();
/// *write.await += 1;
/// assert_eq!(*lock.read().await, 2);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RwLockWrite<'a, T: ?Sized> {
    /// `None` once the guard has been returned.
    lock: Option<&'a RwLock<T>>,
    state: AcquireState,
}

impl<'a, T: ?Sized> Future for RwLockWrite<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RwLockWriteGuard<'a, T>> {
        let this = &mut *self;
        let lock = this.lock.expect("`RwLockWrite` polled after it completed");
        match this.state.poll(&lock.sem, cx) {
            Poll::Ready(()) => {
                this.lock = None;
                Poll::Ready(RwLockWriteGuard { lock })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ?Sized> Drop for RwLockWrite<'_, T> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock {
            self.state.cancel(&lock.sem);
        }
    }
}

impl<T: ?Sized> fmt::Debug for RwLockWrite<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockWrite").finish_non_exhaustive()
    }
}

/// Shared read access to an [`RwLock`]'s data, released on drop.
///
/// # Examples
///
/// ```
/// use loop_sync::{RwLock, RwLockReadGuard};
///
/// let lock = RwLock::new(1);
/// let guard: RwLockReadGuard<'_, i32> = lock.try_read().unwrap();
/// assert_eq!(*guard, 1);
/// ```
#[clippy::has_significant_drop]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: a read guard only gives `&T`, which may cross threads when `T: Sync`; the lock does
// not care which thread releases it.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: while a read guard lives its permit keeps writers out, so only shared
        // references to the data exist.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Exclusive write access to an [`RwLock`]'s data, released on drop.
///
/// # Examples
///
/// ```
/// use loop_sync::{RwLock, RwLockWriteGuard};
///
/// let lock = RwLock::new(1);
/// let mut guard: RwLockWriteGuard<'_, i32> = lock.try_write().unwrap();
/// *guard = 2;
/// drop(guard);
/// assert_eq!(*lock.try_read().unwrap(), 2);
/// ```
#[clippy::has_significant_drop]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: the guard gives `&mut T` on whichever thread holds it (needs `T: Send`) and can be
// downgraded to a read guard shared with readers on other threads (needs `T: Sync`).
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: `&RwLockWriteGuard` gives `&T` only.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns write access into read access without letting a writer in between; readers at
    /// the head of the line can then get in too.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let mut w = lock.try_write().unwrap();
    /// *w = 2;
    /// let r = RwLockWriteGuard::downgrade(w);
    /// assert_eq!(*r, 2);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// assert!(lock.try_write().is_none());
    /// # drop(r);
    /// ```
    pub fn downgrade(guard: RwLockWriteGuard<'a, T>) -> RwLockReadGuard<'a, T> {
        let guard = ManuallyDrop::new(guard);
        // Keep one of the writer's permits for the read guard, return the rest.
        guard.lock.sem.release(WRITER - 1);
        RwLockReadGuard { lock: guard.lock }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(WRITER);
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: a write guard holds every permit, so no other guard exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
