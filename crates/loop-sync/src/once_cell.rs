//! [`OnceCell`]: a value initialized once, asynchronously.

use std::cell::UnsafeCell;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::mem::MaybeUninit;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};

/// No value, nobody initializing.
const EMPTY: u8 = 0;
/// One caller is running its initializer.
const RUNNING: u8 = 1;
/// The value is there, for good (until `take` with `&mut self`).
const READY: u8 = 2;

/// A cell written once by an async initializer; everyone else waits for it and shares the
/// value.
///
/// [`get_or_init`](OnceCell::get_or_init) runs one caller's initializer at a time; concurrent
/// callers wait for it instead of running theirs. If the initializer fails
/// ([`get_or_try_init`](OnceCell::get_or_try_init)), panics, or its future is dropped, the cell
/// stays empty and one of the waiting callers runs its own initializer; once a value is stored it
/// never runs another. Reading an initialized cell is one atomic load.
///
/// # Cancel safety
///
/// Dropping a caller that is running the initializer abandons that attempt and hands the job to
/// a waiting caller; dropping a waiting caller has no effect on the others.
///
/// # Examples
///
/// ```
/// use loop_sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::new();
///
/// # futures_lite::future::block_on(async {
/// let value = CONFIG.get_or_init(|| async { String::from("loaded") }).await;
/// assert_eq!(value, "loaded");
/// // Later calls never run their initializer.
/// let again = CONFIG.get_or_init(|| async { unreachable!() }).await;
/// assert_eq!(again, "loaded");
/// # });
/// ```
pub struct OnceCell<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
    waiters: event_listener::Event,
}

// SAFETY: the cell owns its `T`; moving the cell moves the `T`.
unsafe impl<T: Send> Send for OnceCell<T> {}
// SAFETY: through `&OnceCell<T>` one thread may write the `T` (so `T: Send`) and then every
// thread may read it (so `T: Sync`).
unsafe impl<T: Send + Sync> Sync for OnceCell<T> {}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// let cell = OnceCell::<u32>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub const fn new() -> OnceCell<T> {
        OnceCell {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            waiters: event_listener::Event::new(),
        }
    }

    /// The value, if the cell is initialized.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// let cell = OnceCell::from(3);
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Acquire) == READY {
            // SAFETY: `READY` is stored (with `Release`) only after the value was written, and
            // the value is never written again while the cell is shared.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// The value, mutably, if the cell is initialized.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// let mut cell = OnceCell::from(1);
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if *self.state.get_mut() == READY {
            // SAFETY: the state says the value is initialized, and `&mut self` is unique.
            Some(unsafe { self.value.get_mut().assume_init_mut() })
        } else {
            None
        }
    }

    /// Whether the cell holds a value.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// assert!(!OnceCell::<()>::new().is_initialized());
    /// ```
    pub fn is_initialized(&self) -> bool {
        self.state.load(Acquire) == READY
    }

    /// Returns the value, initializing it with `init` if the cell is empty.
    ///
    /// If another caller is initializing, waits for it; if that attempt is abandoned, this
    /// caller may end up running `init`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future while `init` runs abandons this attempt and lets a waiting caller
    /// initialize; otherwise dropping it has no effect.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// # futures_lite::future::block_on(async {
    /// let cell = OnceCell::new();
    /// assert_eq!(*cell.get_or_init(|| async { 42 }).await, 42);
    /// # });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let result = self
            .get_or_try_init(|| async { Ok::<T, Infallible>(init().await) })
            .await;
        match result {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](OnceCell::get_or_init) with a fallible initializer.
    ///
    /// # Errors
    ///
    /// Returns `init`'s error if this caller ran it and it failed; the cell stays empty, and a
    /// waiting caller (if any) runs its own initializer.
    ///
    /// # Cancel safety
    ///
    /// As for [`get_or_init`](OnceCell::get_or_init).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// # futures_lite::future::block_on(async {
    /// let cell = OnceCell::new();
    /// assert!(cell.get_or_try_init(|| async { Err("offline") }).await.is_err());
    /// assert!(cell.get().is_none());
    /// assert_eq!(*cell.get_or_try_init(|| async { Ok::<_, ()>(1) }).await.unwrap(), 1);
    /// # });
    /// ```
    pub async fn get_or_try_init<F, Fut, E>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        match self.claim().await {
            None => Ok(self.ready()),
            // If `init` fails, panics or is dropped, `claim`'s drop empties the cell again.
            Some(claim) => Ok(claim.fill(init().await?)),
        }
    }

    /// Stores `value` unless the cell is initialized already, waiting for a running
    /// initializer first. Returns the stored value, or hands `value` back.
    ///
    /// # Errors
    ///
    /// `Err(value)` if the cell already holds a value.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes leaves the cell as it was (and drops `value`).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// # futures_lite::future::block_on(async {
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.set(1).await, Ok(&1));
    /// assert_eq!(cell.set(2).await, Err(2));
    /// # });
    /// ```
    pub async fn set(&self, value: T) -> Result<&T, T> {
        if self.is_initialized() {
            return Err(value);
        }
        match self.claim().await {
            None => Err(value),
            Some(claim) => Ok(claim.fill(value)),
        }
    }

    /// Waits until the cell is initialized (by someone else) and returns the value.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future has no effect on the cell.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use loop_sync::OnceCell;
    ///
    /// let cell = Arc::new(OnceCell::new());
    /// let c = cell.clone();
    /// let t = std::thread::spawn(move || *futures_lite::future::block_on(c.wait()));
    /// futures_lite::future::block_on(cell.set(9)).unwrap();
    /// assert_eq!(t.join().unwrap(), 9);
    /// ```
    pub async fn wait(&self) -> &T {
        let mut listener = None;
        loop {
            if let Some(value) = self.get() {
                return value;
            }
            match listener.take() {
                // Listen, then look once more before sleeping.
                None => listener = Some(self.waiters.listen()),
                Some(l) => l.await,
            }
        }
    }

    /// Empties the cell and returns its value, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// let mut cell = OnceCell::from("x");
    /// assert_eq!(cell.take(), Some("x"));
    /// assert!(cell.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if std::mem::replace(self.state.get_mut(), EMPTY) == READY {
            // SAFETY: the value was initialized, and setting the state to `EMPTY` first makes
            // sure it is not read or dropped again.
            Some(unsafe { self.value.get_mut().assume_init_read() })
        } else {
            None
        }
    }

    /// Consumes the cell and returns its value, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::OnceCell;
    ///
    /// assert_eq!(OnceCell::from(5).into_inner(), Some(5));
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// Waits until the cell is initialized (returns `None`) or this caller may initialize it
    /// (returns the claim).
    async fn claim(&self) -> Option<Claim<'_, T>> {
        let mut listener = None;
        loop {
            match self.state.compare_exchange(EMPTY, RUNNING, SeqCst, Acquire) {
                Ok(_) => return Some(Claim { cell: self }),
                Err(READY) => return None,
                Err(_) => {}
            }
            match listener.take() {
                // Someone is initializing: listen, then look once more before sleeping.
                None => listener = Some(self.waiters.listen()),
                Some(l) => l.await,
            }
        }
    }

    /// The value of a cell known to be initialized.
    fn ready(&self) -> &T {
        self.get()
            .expect("`claim` returns `None` only once the cell is ready")
    }
}

/// The right to initialize a cell (its state is `RUNNING`). Dropping it unfilled empties the
/// cell again and wakes the waiters, one of which will claim it.
struct Claim<'a, T> {
    cell: &'a OnceCell<T>,
}

impl<'a, T> Claim<'a, T> {
    fn fill(self, value: T) -> &'a T {
        let cell = self.cell;
        std::mem::forget(self);
        // SAFETY: the state is `RUNNING` and this claim is the only one, so nobody else reads or
        // writes the value until `READY` is published below.
        unsafe { (*cell.value.get()).write(value) };
        cell.state.store(READY, Release);
        cell.waiters.notify(usize::MAX);
        cell.ready()
    }
}

impl<T> Drop for Claim<'_, T> {
    fn drop(&mut self) {
        self.cell.state.store(EMPTY, SeqCst);
        self.cell.waiters.notify(usize::MAX);
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        OnceCell {
            state: AtomicU8::new(READY),
            value: UnsafeCell::new(MaybeUninit::new(value)),
            waiters: event_listener::Event::new(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceCell");
        match self.get() {
            Some(value) => d.field(value),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
