//! [`Semaphore`] and [`BoundedSemaphore`]: asyncio's counting semaphores, FIFO and cancel-safe.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use crate::raw_semaphore::{self, AcquireState, RawSemaphore};

/// A counting semaphore with strict FIFO fairness: asyncio's `Semaphore`.
///
/// - **FIFO**: waiters are served in arrival order, and a request for many permits at the head
///   of the line holds back smaller requests behind it, so a large
///   [`acquire_many`](Semaphore::acquire_many) is never starved. A task that releases and
///   acquires again queues behind every waiter; [`try_acquire`](Semaphore::try_acquire) fails
///   while anyone waits.
/// - **Cancel-safe**: permits are taken only in the poll that completes an acquire, so dropping
///   a pending acquire never takes or loses a permit, and its place in line passes on.
/// - Permits come back when the [`SemaphorePermit`] is dropped (or
///   [`forget`](SemaphorePermit::forget) them); [`add_permits`](Semaphore::add_permits) is
///   asyncio's bare `release()`.
///
/// Uncontended, acquire and release are each one read-modify-write plus a load or two, with no
/// allocation.
///
/// # Examples
///
/// ```
/// use loop_sync::Semaphore;
///
/// # futures_lite::future::block_on(async {
/// let sem = Semaphore::new(2);
/// let a = sem.acquire().await;
/// let b = sem.acquire().await;
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert_eq!(sem.available_permits(), 1);
/// # drop(b);
/// # });
/// ```
pub struct Semaphore {
    raw: RawSemaphore,
    /// Permits in existence: free plus held. Only `add_permits` and `forget` change it.
    total: AtomicUsize,
    /// The most `total` may reach: `MAX_PERMITS`, or a bounded semaphore's initial value.
    bound: usize,
}

impl Semaphore {
    /// The most permits a semaphore can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    /// assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    /// ```
    pub const MAX_PERMITS: usize = raw_semaphore::MAX_PERMITS;

    /// Creates a semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// Panics if `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// static LIMIT: Semaphore = Semaphore::new(8);
    /// assert_eq!(LIMIT.available_permits(), 8);
    /// ```
    pub const fn new(permits: usize) -> Semaphore {
        Semaphore::with_bound(permits, raw_semaphore::MAX_PERMITS)
    }

    const fn with_bound(permits: usize, bound: usize) -> Semaphore {
        assert!(
            permits <= raw_semaphore::MAX_PERMITS,
            "a semaphore holds at most `Semaphore::MAX_PERMITS` permits"
        );
        Semaphore {
            raw: RawSemaphore::new(permits),
            total: AtomicUsize::new(permits),
            bound,
        }
    }

    /// The number of free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(3);
    /// let _p = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.raw.available()
    }

    /// Whether an acquire would have to wait: no permit is free or tasks are already waiting
    /// (asyncio's `locked()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.is_locked());
    /// drop(p);
    /// assert!(!sem.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Waits for one permit.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes takes no permit and passes its place in line on.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Semaphore::new(1);
    /// let permit = sem.acquire().await;
    /// assert_eq!(permit.num_permits(), 1);
    /// # });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, taken all at once when the request reaches the head of the line.
    ///
    /// # Panics
    ///
    /// Panics if `n` is more than the semaphore could ever hold (`MAX_PERMITS`, or a
    /// [`BoundedSemaphore`]'s bound), since such a request would block the line forever.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Semaphore::new(5);
    /// let permits = sem.acquire_many(3).await;
    /// assert_eq!(sem.available_permits(), 2);
    /// drop(permits);
    /// assert_eq!(sem.available_permits(), 5);
    /// # });
    /// ```
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        self.check_request(n);
        Acquire {
            sem: Some(self),
            state: AcquireState::new(n),
        }
    }

    /// Takes one permit if one is free and nobody is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_none());
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        self.raw.try_acquire(n).then(|| SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Waits for one permit, returned as a permit that keeps the `Arc` alive.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Semaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(Semaphore::new(1));
    /// let permit = sem.acquire_owned().await;
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// # });
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Waits for `n` permits, returned as an owned permit.
    ///
    /// # Panics
    ///
    /// As for [`acquire_many`](Semaphore::acquire_many).
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Semaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(Semaphore::new(4));
    /// let permit = sem.acquire_many_owned(4).await;
    /// assert_eq!(permit.num_permits(), 4);
    /// # });
    /// ```
    pub fn acquire_many_owned(self: &Arc<Self>, n: usize) -> AcquireOwned {
        self.check_request(n);
        AcquireOwned {
            owner: Some(Owner::Plain(self.clone())),
            state: AcquireState::new(n),
        }
    }

    /// Like [`try_acquire`](Semaphore::try_acquire), returning an owned permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Arc::new(Semaphore::new(1));
    /// let permit = sem.try_acquire_owned().unwrap();
    /// assert!(sem.try_acquire_owned().is_none());
    /// drop(permit);
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Option<OwnedSemaphorePermit> {
        self.try_acquire_many_owned(1)
    }

    /// Like [`try_acquire_many`](Semaphore::try_acquire_many), returning an owned permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Arc::new(Semaphore::new(3));
    /// assert_eq!(sem.try_acquire_many_owned(3).unwrap().num_permits(), 3);
    /// ```
    pub fn try_acquire_many_owned(self: &Arc<Self>, n: usize) -> Option<OwnedSemaphorePermit> {
        self.raw.try_acquire(n).then(|| OwnedSemaphorePermit {
            owner: Owner::Plain(self.clone()),
            permits: n,
        })
    }

    /// Adds `n` new permits, waking waiters in line order (asyncio's `release()` without a
    /// matching acquire).
    ///
    /// # Panics
    ///
    /// Panics if the semaphore would hold more than [`Semaphore::MAX_PERMITS`] permits, free and
    /// held together.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Semaphore::new(0);
    /// sem.add_permits(2);
    /// let _p = sem.acquire_many(2).await;
    /// # });
    /// ```
    pub fn add_permits(&self, n: usize) {
        if self.grow(n).is_err() {
            panic!("a semaphore holds at most `Semaphore::MAX_PERMITS` permits");
        }
    }

    /// Adds `n` permits unless that would exceed the bound.
    fn grow(&self, n: usize) -> Result<(), ReleaseError> {
        let mut total = self.total.load(SeqCst);
        loop {
            let new = total
                .checked_add(n)
                .filter(|&new| new <= self.bound)
                .ok_or(ReleaseError(()))?;
            match self.total.compare_exchange_weak(total, new, SeqCst, SeqCst) {
                Ok(_) => break,
                Err(now) => total = now,
            }
        }
        self.raw.release(n);
        Ok(())
    }

    fn check_request(&self, n: usize) {
        assert!(
            n <= self.bound,
            "cannot acquire {n} permits from a semaphore that holds at most {}",
            self.bound
        );
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .field("has_waiters", &self.raw.has_waiters())
            .finish()
    }
}

/// A [`Semaphore`] that never holds more permits than it started with: asyncio's
/// `BoundedSemaphore`.
///
/// Permits return when dropped, which can never exceed the bound. Releasing extra permits with
/// [`release`](BoundedSemaphore::release) or [`add_permits`](BoundedSemaphore::add_permits) is
/// an error once the free and held permits together would exceed the initial value; forgotten
/// permits ([`SemaphorePermit::forget`]) may be released again.
///
/// FIFO order and cancel safety are those of [`Semaphore`].
///
/// # Examples
///
/// ```
/// use loop_sync::BoundedSemaphore;
///
/// # futures_lite::future::block_on(async {
/// let sem = BoundedSemaphore::new(1);
/// assert!(sem.release().is_err());
/// sem.acquire().await.forget();
/// assert!(sem.release().is_ok());
/// assert_eq!(sem.available_permits(), 1);
/// # });
/// ```
pub struct BoundedSemaphore {
    sem: Semaphore,
}

impl BoundedSemaphore {
    /// Creates a semaphore with `permits` free permits, which is also its bound.
    ///
    /// # Panics
    ///
    /// Panics if `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(3);
    /// assert_eq!((sem.available_permits(), sem.bound()), (3, 3));
    /// ```
    pub const fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            sem: Semaphore::with_bound(permits, permits),
        }
    }

    /// The initial number of permits, which the semaphore never exceeds.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// assert_eq!(BoundedSemaphore::new(2).bound(), 2);
    /// ```
    pub fn bound(&self) -> usize {
        self.sem.bound
    }

    /// The number of free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(2);
    /// let _p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.sem.available_permits()
    }

    /// Whether an acquire would have to wait (asyncio's `locked()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// let _p = sem.try_acquire().unwrap();
    /// assert!(sem.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.sem.is_locked()
    }

    /// Waits for one permit.
    ///
    /// # Cancel safety
    ///
    /// As for [`Semaphore::acquire`]: dropping the future takes no permit and passes its place in
    /// line on.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = BoundedSemaphore::new(1);
    /// let _permit = sem.acquire().await;
    /// assert_eq!(sem.available_permits(), 0);
    /// # });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.sem.acquire()
    }

    /// Waits for `n` permits.
    ///
    /// # Cancel safety
    ///
    /// As for [`Semaphore::acquire`]: dropping the future takes no permit and passes its place in
    /// line on.
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds the [`bound`](BoundedSemaphore::bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = BoundedSemaphore::new(3);
    /// assert_eq!(sem.acquire_many(3).await.num_permits(), 3);
    /// # });
    /// ```
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        self.sem.acquire_many(n)
    }

    /// Takes one permit if one is free and nobody is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// let _p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.sem.try_acquire()
    }

    /// Takes `n` permits if they are free and nobody is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(2);
    /// assert!(sem.try_acquire_many(2).is_some());
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        self.sem.try_acquire_many(n)
    }

    /// Waits for one owned permit.
    ///
    /// # Cancel safety
    ///
    /// As for [`Semaphore::acquire`]: dropping the future takes no permit and passes its place in
    /// line on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::BoundedSemaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(BoundedSemaphore::new(1));
    /// let permit = sem.acquire_owned().await;
    /// drop(permit);
    /// assert_eq!(sem.available_permits(), 1);
    /// # });
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Waits for `n` owned permits.
    ///
    /// # Cancel safety
    ///
    /// As for [`Semaphore::acquire`]: dropping the future takes no permit and passes its place in
    /// line on.
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds the [`bound`](BoundedSemaphore::bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::BoundedSemaphore;
    ///
    /// # futures_lite::future::block_on(async {
    /// let sem = Arc::new(BoundedSemaphore::new(2));
    /// assert_eq!(sem.acquire_many_owned(2).await.num_permits(), 2);
    /// # });
    /// ```
    pub fn acquire_many_owned(self: &Arc<Self>, n: usize) -> AcquireOwned {
        self.sem.check_request(n);
        AcquireOwned {
            owner: Some(Owner::Bounded(self.clone())),
            state: AcquireState::new(n),
        }
    }

    /// Like [`try_acquire`](BoundedSemaphore::try_acquire), returning an owned permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = Arc::new(BoundedSemaphore::new(1));
    /// assert!(sem.try_acquire_owned().is_some());
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Option<OwnedSemaphorePermit> {
        self.try_acquire_many_owned(1)
    }

    /// Like [`try_acquire_many`](BoundedSemaphore::try_acquire_many), returning an owned permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = Arc::new(BoundedSemaphore::new(2));
    /// assert!(sem.try_acquire_many_owned(3).is_none());
    /// ```
    pub fn try_acquire_many_owned(self: &Arc<Self>, n: usize) -> Option<OwnedSemaphorePermit> {
        self.sem.raw.try_acquire(n).then(|| OwnedSemaphorePermit {
            owner: Owner::Bounded(self.clone()),
            permits: n,
        })
    }

    /// Adds one permit (asyncio's `release()`).
    ///
    /// # Errors
    ///
    /// [`ReleaseError`] if the free and held permits together would exceed the bound; nothing
    /// changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(sem.release().is_err());
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.add_permits(1)
    }

    /// Adds `n` permits.
    ///
    /// # Errors
    ///
    /// [`ReleaseError`] if the free and held permits together would exceed the bound; nothing
    /// changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(2);
    /// sem.try_acquire_many(2).unwrap().forget();
    /// assert!(sem.add_permits(3).is_err());
    /// assert!(sem.add_permits(2).is_ok());
    /// ```
    pub fn add_permits(&self, n: usize) -> Result<(), ReleaseError> {
        self.sem.grow(n)
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("bound", &self.bound())
            .field("available_permits", &self.available_permits())
            .field("has_waiters", &self.sem.raw.has_waiters())
            .finish()
    }
}

/// Releasing permits would take a [`BoundedSemaphore`] above its bound.
///
/// # Examples
///
/// ```
/// use loop_sync::BoundedSemaphore;
///
/// let err = BoundedSemaphore::new(0).release().unwrap_err();
/// assert_eq!(err.to_string(), "BoundedSemaphore released too many times");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseError(());

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for ReleaseError {}

/// Permits from a [`Semaphore`] or [`BoundedSemaphore`], returned when dropped.
///
/// # Examples
///
/// ```
/// use loop_sync::Semaphore;
///
/// let sem = Semaphore::new(3);
/// let permit = sem.try_acquire_many(2).unwrap();
/// assert_eq!(permit.num_permits(), 2);
/// drop(permit);
/// assert_eq!(sem.available_permits(), 3);
/// ```
#[clippy::has_significant_drop]
#[must_use = "the permits are released at once if the permit is not kept"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(1);
    /// assert_eq!(sem.try_acquire().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Drops the permits without returning them: the semaphore has that many fewer from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.sem.total.fetch_sub(self.permits, SeqCst);
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.raw.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// Which kind of semaphore an owned permit or future keeps alive.
enum Owner {
    Plain(Arc<Semaphore>),
    Bounded(Arc<BoundedSemaphore>),
}

impl Owner {
    fn sem(&self) -> &Semaphore {
        match self {
            Owner::Plain(sem) => sem,
            Owner::Bounded(bounded) => &bounded.sem,
        }
    }
}

/// Owned permits: like [`SemaphorePermit`], but keeping the semaphore's `Arc` alive, so they are
/// `'static`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::{OwnedSemaphorePermit, Semaphore};
///
/// let sem = Arc::new(Semaphore::new(1));
/// let permit: OwnedSemaphorePermit = sem.try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[clippy::has_significant_drop]
#[must_use = "the permits are released at once if the permit is not kept"]
pub struct OwnedSemaphorePermit {
    owner: Owner,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Arc::new(Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Drops the permits without returning them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::Semaphore;
    ///
    /// let sem = Arc::new(Semaphore::new(2));
    /// sem.try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.owner.sem().total.fetch_sub(self.permits, SeqCst);
        self.permits = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.owner.sem().raw.release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// The future returned by [`Semaphore::acquire`], [`Semaphore::acquire_many`] and their
/// [`BoundedSemaphore`] counterparts.
///
/// # Examples
///
/// ```
/// use loop_sync::{Acquire, Semaphore};
///
/// # futures_lite::future::block_on(async {
/// let sem = Semaphore::new(2);
/// let acquire: Acquire<'_> = sem.acquire_many(2);
/// assert_eq!(acquire.await.num_permits(), 2);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Acquire<'a> {
    /// `None` once the permit has been returned.
    sem: Option<&'a Semaphore>,
    state: AcquireState,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        let sem = this.sem.expect("`Acquire` polled after it completed");
        match this.state.poll(&sem.raw, cx) {
            Poll::Ready(()) => {
                this.sem = None;
                Poll::Ready(SemaphorePermit {
                    sem,
                    permits: this.state.permits(),
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(sem) = self.sem {
            self.state.cancel(&sem.raw);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("permits", &self.state.permits())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`Semaphore::acquire_owned`], [`Semaphore::acquire_many_owned`] and
/// their [`BoundedSemaphore`] counterparts.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::{AcquireOwned, Semaphore};
///
/// # futures_lite::future::block_on(async {
/// let sem = Arc::new(Semaphore::new(1));
/// let acquire: AcquireOwned = sem.acquire_owned();
/// assert_eq!(acquire.await.num_permits(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AcquireOwned {
    /// `None` once the permit has been returned.
    owner: Option<Owner>,
    state: AcquireState,
}

impl Future for AcquireOwned {
    type Output = OwnedSemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = &mut *self;
        let owner = this
            .owner
            .as_ref()
            .expect("`AcquireOwned` polled after it completed");
        match this.state.poll(&owner.sem().raw, cx) {
            Poll::Ready(()) => Poll::Ready(OwnedSemaphorePermit {
                owner: this.owner.take().expect("checked above"),
                permits: this.state.permits(),
            }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        if let Some(owner) = &self.owner {
            self.state.cancel(&owner.sem().raw);
        }
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("permits", &self.state.permits())
            .finish_non_exhaustive()
    }
}
