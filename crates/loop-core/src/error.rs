//! Error types. OS-facing calls return `io::Result`; these cover the loop's own states.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::io;
use std::sync::Arc;

/// Why the loop could not run, or stopped before the future completed.
///
/// # Examples
///
/// ```
/// use loop_core::{EventLoop, RunError};
///
/// let lp = EventLoop::new()?;
/// lp.close().unwrap();
/// assert!(matches!(lp.block_on(async {}), Err(RunError::Closed)));
/// # std::io::Result::Ok(())
/// ```
#[non_exhaustive]
#[derive(Debug)]
pub enum RunError {
    /// The loop is closed.
    Closed,
    /// A loop is already running on this thread (a nested `block_on`, or `close` from inside).
    Running,
    /// `stop()` ended `block_on` before its future completed.
    Stopped,
    /// The OS refused to create the loop's poller.
    Io(io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Closed => f.write_str("the event loop is closed"),
            RunError::Running => f.write_str(
                "an event loop is already running on this thread; \
                 nested block_on is not allowed (await the future instead)",
            ),
            RunError::Stopped => f.write_str("event loop stopped before the future completed"),
            RunError::Io(e) => write!(f, "could not create the event loop: {e}"),
        }
    }
}

impl Error for RunError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RunError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RunError> for io::Error {
    fn from(e: RunError) -> io::Error {
        match e {
            RunError::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}

/// Returned by operations that need a loop when none is running on this thread.
///
/// ```
/// assert!(loop_core::get_running_loop().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRunningLoop;

impl fmt::Display for NoRunningLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no event loop is running on this thread")
    }
}

impl Error for NoRunningLoop {}

/// Returned when scheduling work on a loop that is closed; the work is handed back unrun.
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// lp.close().unwrap();
/// assert!(lp.call_soon(|| ()).is_err());
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop is closed")
    }
}

impl Error for Closed {}

/// Why awaiting a [`Task`](crate::Task) gave no value.
///
/// ```
/// use loop_core::EventLoop;
///
/// let lp = EventLoop::new()?;
/// let err = lp.block_on(async {
///     lp.spawn_local(async { panic!("boom") }).await.unwrap_err()
/// }).unwrap();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "task panicked: boom");
/// # std::io::Result::Ok(())
/// ```
pub enum JoinError {
    /// The task was cancelled (its handle's `cancel`, or its loop closed) before it finished.
    Cancelled,
    /// The task panicked; the payload is kept for `resume_unwind`.
    Panicked(Box<dyn Any + Send>),
}

impl JoinError {
    /// Whether the task was cancelled.
    ///
    /// ```
    /// assert!(loop_core::JoinError::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// assert!(!loop_core::JoinError::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }

    /// The panic payload, if the task panicked.
    ///
    /// ```
    /// assert!(loop_core::JoinError::Cancelled.into_panic().is_none());
    /// ```
    pub fn into_panic(self) -> Option<Box<dyn Any + Send>> {
        match self {
            JoinError::Panicked(p) => Some(p),
            JoinError::Cancelled => None,
        }
    }
}

/// The text of a panic payload, when it is a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("Cancelled"),
            JoinError::Panicked(p) => f
                .debug_tuple("Panicked")
                .field(&panic_message(&**p))
                .finish(),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("task was cancelled"),
            JoinError::Panicked(p) => write!(f, "task panicked: {}", panic_message(&**p)),
        }
    }
}

impl Error for JoinError {}

/// A [`Promise`](crate::Promise) was read before it was done, or set after it was done.
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// let p = lp.create_future::<u32>();
/// p.set_result(1).unwrap();
/// assert!(p.set_result(2).is_err());
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidStateError;

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid state: the promise is not pending")
    }
}

impl Error for InvalidStateError {}

/// What a [`Promise`](crate::Promise) holds instead of a value.
///
/// ```
/// use loop_core::PromiseError;
///
/// let lp = loop_core::EventLoop::new()?;
/// let p = lp.create_future::<u32>();
/// assert!(matches!(p.result(), Err(PromiseError::Pending)));
/// p.cancel();
/// assert!(matches!(p.result(), Err(PromiseError::Cancelled)));
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
pub enum PromiseError {
    /// Not done yet (asyncio's `InvalidStateError` on `result()`).
    Pending,
    /// Cancelled before a result was set.
    Cancelled,
    /// Completed with an error.
    Failed(Arc<dyn Error + Send + Sync>),
}

impl fmt::Display for PromiseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromiseError::Pending => f.write_str("the promise is not done yet"),
            PromiseError::Cancelled => f.write_str("the promise was cancelled"),
            PromiseError::Failed(e) => write!(f, "the promise failed: {e}"),
        }
    }
}

impl Error for PromiseError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            PromiseError::Failed(e) => Some(&**e),
            _ => None,
        }
    }
}
