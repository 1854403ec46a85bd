//! The futures and the stream that the queues return.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::Stream;

use super::error::{GetError, PutError};
use super::inner::Inner;
use crate::wait_list::Waiter;

/// The future returned by `put` on [`Queue`](crate::Queue), [`LifoQueue`](crate::LifoQueue)
/// and [`PriorityQueue`](crate::PriorityQueue).
///
/// If it is dropped before it completes, the item was not added; it is dropped with the future.
/// [`into_inner`](Put::into_inner) takes it back out of a future you still hold.
///
/// # Examples
///
/// ```
/// use loop_sync::{Put, Queue};
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::new(0);
/// let put: Put<'_, u8> = q.put(1);
/// put.await.unwrap();
/// assert_eq!(q.len(), 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Put<'a, T> {
    inner: &'a Inner<T>,
    item: Option<T>,
    waiter: Option<Waiter<'a>>,
}

// The item is never pinned: it is moved in and out by value.
impl<T> Unpin for Put<'_, T> {}

impl<'a, T> Put<'a, T> {
    pub(super) fn new(inner: &'a Inner<T>, item: T) -> Put<'a, T> {
        Put {
            inner,
            item: Some(item),
            waiter: None,
        }
    }

    /// Gives up the put and returns the item, or `None` if it was already added (or handed back
    /// in an error).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Queue;
    ///
    /// let q = Queue::new(1);
    /// q.try_put(1).unwrap();
    /// let mut put = q.put(2);
    /// assert!(futures_lite::future::block_on(futures_lite::future::poll_once(&mut put)).is_none());
    /// assert_eq!(put.into_inner(), Some(2));
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.item.take()
    }
}

impl<T> Future for Put<'_, T> {
    type Output = Result<(), PutError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.inner.poll_put(&mut this.item, &mut this.waiter, cx)
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("done", &self.item.is_none())
            .finish_non_exhaustive()
    }
}

/// The future returned by `get` on [`Queue`](crate::Queue), [`LifoQueue`](crate::LifoQueue)
/// and [`PriorityQueue`](crate::PriorityQueue).
///
/// An item is removed only in the poll that returns it, so dropping the future never loses one.
///
/// # Examples
///
/// ```
/// use loop_sync::{Get, Queue};
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::new(0);
/// q.try_put(1).unwrap();
/// let get: Get<'_, u8> = q.get();
/// assert_eq!(get.await, Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Get<'a, T> {
    /// `None` once an item (or the error) has been returned.
    inner: Option<&'a Inner<T>>,
    waiter: Option<Waiter<'a>>,
}

impl<'a, T> Get<'a, T> {
    pub(super) fn new(inner: &'a Inner<T>) -> Get<'a, T> {
        Get {
            inner: Some(inner),
            waiter: None,
        }
    }
}

impl<T> Future for Get<'_, T> {
    type Output = Result<T, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let inner = this.inner.expect("`Get` polled after it completed");
        let poll = inner.poll_get(&mut this.waiter, cx);
        if poll.is_ready() {
            this.inner = None;
        }
        poll
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("done", &self.inner.is_none())
            .finish_non_exhaustive()
    }
}

/// The future returned by `join` on [`Queue`](crate::Queue), [`LifoQueue`](crate::LifoQueue)
/// and [`PriorityQueue`](crate::PriorityQueue).
///
/// # Examples
///
/// ```
/// use loop_sync::{Join, Queue};
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::<u8>::new(0);
/// let join: Join<'_, u8> = q.join();
/// join.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<'a, T> {
    inner: &'a Inner<T>,
    waiter: Option<Waiter<'a>>,
}

impl<'a, T> Join<'a, T> {
    pub(super) fn new(inner: &'a Inner<T>) -> Join<'a, T> {
        Join {
            inner,
            waiter: None,
        }
    }
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.inner.poll_join(&mut this.waiter, cx)
    }
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join").finish_non_exhaustive()
    }
}

/// The items of a queue as a [`Stream`], from `stream()` on [`Queue`](crate::Queue),
/// [`LifoQueue`](crate::LifoQueue) and [`PriorityQueue`](crate::PriorityQueue).
///
/// Each `next()` is a `get`; the stream ends once the queue is shut down and empty. Like `Get`,
/// it removes an item only in the poll that yields it: dropping the stream loses nothing.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use loop_sync::{Queue, QueueStream};
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::new(0);
/// q.try_put(1).unwrap();
/// let mut items: QueueStream<'_, u8> = q.stream();
/// assert_eq!(items.next().await, Some(1));
/// # });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct QueueStream<'a, T> {
    inner: &'a Inner<T>,
    waiter: Option<Waiter<'a>>,
}

impl<'a, T> QueueStream<'a, T> {
    pub(super) fn new(inner: &'a Inner<T>) -> QueueStream<'a, T> {
        QueueStream {
            inner,
            waiter: None,
        }
    }
}

impl<T> Stream for QueueStream<'_, T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        this.inner.poll_get(&mut this.waiter, cx).map(Result::ok)
    }
}

impl<T> fmt::Debug for QueueStream<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream").finish_non_exhaustive()
    }
}
