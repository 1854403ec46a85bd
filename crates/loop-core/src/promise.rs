//! [`Promise`]: asyncio's `Future`, a result settable once from anywhere and awaitable by many.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::error::{InvalidStateError, PromiseError};
use crate::exception::ExceptionContext;
use crate::handle::Shared;

enum Outcome<T> {
    Pending,
    Value(T),
    Failed(Arc<dyn Error + Send + Sync>),
    Cancelled,
}

type DoneCallback<T> = Box<dyn FnOnce(&Promise<T>) + Send>;

struct State<T> {
    outcome: Outcome<T>,
    wakers: Vec<Waker>,
    callbacks: Vec<(u64, DoneCallback<T>)>,
    next_callback: u64,
    error_retrieved: bool,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    shared: Arc<Shared>,
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let (Outcome::Failed(error), false) = (&state.outcome, state.error_retrieved) {
            self.shared.report(ExceptionContext::new(
                "Future exception was never retrieved",
                Some(error.to_string()),
                None,
            ));
        }
    }
}

/// Identifies a done-callback for [`Promise::remove_done_callback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallbackId(u64);

/// A result that is set once, from any thread, and awaited by any number of tasks (asyncio's
/// `Future`, made by [`Loop::create_future`](crate::Loop::create_future)).
///
/// Clones share one promise. It ends in exactly one of three ways: a value, an error, or
/// cancellation; any later attempt gives [`InvalidStateError`]. Awaiting it yields a clone of the
/// value. Done-callbacks are queued on the promise's loop when it completes, never run inline.
/// An error that nobody reads is reported to the loop's exception handler when the last clone
/// is dropped.
///
/// # Examples
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// let promise = lp.create_future::<u32>();
/// let setter = promise.clone();
/// std::thread::spawn(move || setter.set_result(42).unwrap());
/// let (a, b) = lp.block_on(async {
///     let waiter = lp.spawn(promise.clone());
///     (promise.await.unwrap(), waiter.await.unwrap().unwrap())
/// }).unwrap();
/// assert_eq!((a, b), (42, 42));
/// # std::io::Result::Ok(())
/// ```
#[must_use = "a promise does nothing unless set or awaited"]
pub struct Promise<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for Promise<T> {
    fn clone(&self) -> Self {
        Promise {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Promise<T> {
    pub(crate) fn new(shared: Arc<Shared>) -> Promise<T> {
        Promise {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    outcome: Outcome::Pending,
                    wakers: Vec::new(),
                    callbacks: Vec::new(),
                    next_callback: 0,
                    error_retrieved: false,
                }),
                shared,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the promise has a value, an error, or was cancelled.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<()>();
    /// assert!(!p.is_done());
    /// p.set_result(()).unwrap();
    /// assert!(p.is_done());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_done(&self) -> bool {
        !matches!(self.lock().outcome, Outcome::Pending)
    }

    /// Whether the promise was cancelled.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<()>();
    /// assert!(p.cancel());
    /// assert!(p.is_cancelled());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.lock().outcome, Outcome::Cancelled)
    }
}

impl<T: Send + 'static> Promise<T> {
    fn complete(&self, outcome: Outcome<T>) -> Result<(), InvalidStateError> {
        let (wakers, callbacks) = {
            let mut state = self.lock();
            if !matches!(state.outcome, Outcome::Pending) {
                return Err(InvalidStateError);
            }
            state.outcome = outcome;
            (
                std::mem::take(&mut state.wakers),
                std::mem::take(&mut state.callbacks),
            )
        };
        for waker in wakers {
            waker.wake();
        }
        for (_, callback) in callbacks {
            self.schedule(callback);
        }
        Ok(())
    }

    fn schedule(&self, callback: DoneCallback<T>) {
        let promise = self.clone();
        // A closed loop drops the callback unrun, as asyncio drops pending handles on close.
        let _ = self
            .inner
            .shared
            .call_soon_any(Box::new(move || callback(&promise)));
    }

    /// Completes the promise with `value`.
    ///
    /// # Errors
    ///
    /// [`InvalidStateError`] if it is already done.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future();
    /// p.set_result(1).unwrap();
    /// assert!(p.set_result(2).is_err());
    /// assert_eq!(p.result().unwrap(), 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        self.complete(Outcome::Value(value))
    }

    /// Completes the promise with an error.
    ///
    /// # Errors
    ///
    /// [`InvalidStateError`] if it is already done.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<u8>();
    /// p.set_error("disk on fire").unwrap();
    /// assert_eq!(p.result().unwrap_err().to_string(), "the promise failed: disk on fire");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_error(
        &self,
        error: impl Into<Box<dyn Error + Send + Sync>>,
    ) -> Result<(), InvalidStateError> {
        self.complete(Outcome::Failed(Arc::from(error.into())))
    }

    /// Cancels a pending promise: `true` if this call cancelled it, `false` if it was done.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<u8>();
    /// assert!(p.cancel());
    /// assert!(!p.cancel());
    /// assert!(p.set_result(1).is_err());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn cancel(&self) -> bool {
        self.complete(Outcome::Cancelled).is_ok()
    }

    /// Queues `callback` on the loop once the promise is done (at once if it already is).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<u8>();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// p.add_done_callback(move |p| tx.send(p.result().unwrap()).unwrap());
    /// p.set_result(9).unwrap();
    /// assert!(rx.try_recv().is_err(), "not run inline");
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// assert_eq!(rx.try_recv().unwrap(), 9);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn add_done_callback(
        &self,
        callback: impl FnOnce(&Promise<T>) + Send + 'static,
    ) -> CallbackId {
        let mut state = self.lock();
        let id = state.next_callback;
        state.next_callback += 1;
        if matches!(state.outcome, Outcome::Pending) {
            state.callbacks.push((id, Box::new(callback)));
        } else {
            drop(state);
            self.schedule(Box::new(callback));
        }
        CallbackId(id)
    }

    /// Removes a done-callback that has not been queued yet; `true` if it was removed.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<u8>();
    /// let id = p.add_done_callback(|_| unreachable!());
    /// assert!(p.remove_done_callback(id));
    /// assert!(!p.remove_done_callback(id));
    /// p.set_result(1).unwrap();
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        let mut state = self.lock();
        let before = state.callbacks.len();
        state.callbacks.retain(|(cb, _)| *cb != id.0);
        state.callbacks.len() != before
    }
}

impl<T: Clone> Promise<T> {
    fn read(state: &mut State<T>) -> Result<T, PromiseError> {
        match &state.outcome {
            Outcome::Pending => Err(PromiseError::Pending),
            Outcome::Value(v) => Ok(v.clone()),
            Outcome::Cancelled => Err(PromiseError::Cancelled),
            Outcome::Failed(e) => {
                state.error_retrieved = true;
                Err(PromiseError::Failed(e.clone()))
            }
        }
    }

    /// The outcome now: the value, or why there is none ([`PromiseError::Pending`] if not done).
    ///
    /// # Errors
    ///
    /// [`PromiseError`] when pending, cancelled or failed.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<u8>();
    /// assert!(p.result().is_err());
    /// p.set_result(3).unwrap();
    /// assert_eq!(p.result().unwrap(), 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn result(&self) -> Result<T, PromiseError> {
        Self::read(&mut self.lock())
    }
}

impl<T: Clone> Future for Promise<T> {
    type Output = Result<T, PromiseError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.lock();
        if matches!(state.outcome, Outcome::Pending) {
            if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                state.wakers.push(cx.waker().clone());
            }
            return Poll::Pending;
        }
        Poll::Ready(Self::read(&mut state))
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.lock().outcome {
            Outcome::Pending => "pending",
            Outcome::Value(_) => "finished",
            Outcome::Failed(_) => "failed",
            Outcome::Cancelled => "cancelled",
        };
        f.debug_struct("Promise").field("state", &state).finish()
    }
}
