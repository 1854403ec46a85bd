//! The queues' errors: small enums and structs that hand the item back.

use std::error::Error;
use std::fmt;

/// Why [`try_put`](crate::Queue::try_put) could not add an item; holds the item.
///
/// # Examples
///
/// ```
/// use loop_sync::{Queue, TryPutError};
///
/// let q = Queue::new(1);
/// q.try_put('a').unwrap();
/// let err: TryPutError<char> = q.try_put('b').unwrap_err();
/// assert!(err.is_full());
/// assert_eq!(err.into_inner(), 'b');
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (asyncio's `QueueFull`).
    Full(T),
    /// The queue was shut down (asyncio's `QueueShutDown`).
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// The item that was not added.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::TryPutError;
    ///
    /// assert_eq!(TryPutError::Full(1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::TryPutError;
    ///
    /// assert!(TryPutError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::TryPutError;
    ///
    /// assert!(TryPutError::ShutDown(()).is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("the queue is full"),
            TryPutError::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

/// Why [`try_get`](crate::Queue::try_get) returned no item.
///
/// # Examples
///
/// ```
/// use loop_sync::{Queue, TryGetError};
///
/// let q = Queue::<u8>::new(0);
/// assert_eq!(q.try_get(), Err(TryGetError::Empty));
/// q.shutdown(false);
/// assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// The queue is empty (asyncio's `QueueEmpty`).
    Empty,
    /// The queue was shut down and is empty (asyncio's `QueueShutDown`).
    ShutDown,
}

impl TryGetError {
    /// Whether the queue was merely empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::TryGetError;
    ///
    /// assert!(TryGetError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        *self == TryGetError::Empty
    }

    /// Whether the queue was shut down (and is empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::TryGetError;
    ///
    /// assert!(TryGetError::ShutDown.is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        *self == TryGetError::ShutDown
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::ShutDown => f.write_str("the queue is shut down and empty"),
        }
    }
}

impl Error for TryGetError {}

/// [`put`](crate::Queue::put) failed because the queue was shut down; holds the item.
///
/// # Examples
///
/// ```
/// use loop_sync::Queue;
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::new(0);
/// q.shutdown(false);
/// let err = q.put(5).await.unwrap_err();
/// assert_eq!(err.to_string(), "the queue is shut down");
/// assert_eq!(err.into_inner(), 5);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PutError<T>(pub T);

impl<T> PutError<T> {
    /// The item that was not added.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::PutError;
    ///
    /// assert_eq!(PutError("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl<T> Error for PutError<T> {}

/// [`get`](crate::Queue::get) failed because the queue was shut down and is empty (asyncio's
/// `QueueShutDown`).
///
/// # Examples
///
/// ```
/// use loop_sync::Queue;
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::<u8>::new(0);
/// q.shutdown(false);
/// let err = q.get().await.unwrap_err();
/// assert_eq!(err.to_string(), "the queue is shut down and empty");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetError(pub(super) ());

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down and empty")
    }
}

impl Error for GetError {}

/// [`task_done`](crate::Queue::task_done) was called more times than items were put (asyncio's
/// `ValueError`).
///
/// # Examples
///
/// ```
/// use loop_sync::Queue;
///
/// let q = Queue::<u8>::new(0);
/// let err = q.task_done().unwrap_err();
/// assert_eq!(err.to_string(), "task_done() called more times than items were put");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError(pub(super) ());

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than items were put")
    }
}

impl Error for TaskDoneError {}
