//! [`Queue`], [`LifoQueue`] and [`PriorityQueue`]: asyncio's queues, with Python 3.13's
//! `shutdown`.

mod error;
mod futures;
mod inner;
mod store;

use std::fmt;

pub use self::error::{GetError, PutError, TaskDoneError, TryGetError, TryPutError};
pub use self::futures::{Get, Join, Put, QueueStream};
use self::inner::Inner;
use self::store::Store;

/// The methods the three queue types share; only the constructors and the order differ.
macro_rules! queue_methods {
    ($name:ident) => {
        impl<T> $name<T> {
            /// The capacity given at construction; 0 means unbounded.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::<u8>::new(4).maxsize(), 4);")]
            /// ```
            pub fn maxsize(&self) -> usize {
                self.inner.maxsize()
            }

            /// The number of items in the queue (asyncio's `qsize()`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.try_put(1).unwrap();
            /// assert_eq!(q.len(), 1);
            /// ```
            pub fn len(&self) -> usize {
                self.inner.len()
            }

            /// Whether the queue holds no items.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert!(", stringify!($name), "::<u8>::new(0).is_empty());")]
            /// ```
            pub fn is_empty(&self) -> bool {
                self.inner.len() == 0
            }

            /// Whether the queue holds `maxsize` items; never for an unbounded queue.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// q.try_put(1).unwrap();
            /// assert!(q.is_full());
            /// ```
            pub fn is_full(&self) -> bool {
                self.inner.is_full()
            }

            /// Adds an item, waiting while the queue is full.
            ///
            /// # Errors
            ///
            /// [`PutError`], holding the item, if the queue is shut down, also while waiting.
            ///
            /// # Cancel safety
            ///
            /// The item is added only in the poll that completes the future: if the future is
            /// dropped before, the item was not added (it is dropped with the future; see
            /// [`Put::into_inner`]) and a wake-up meant for it passes to the next putter.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            /// # futures_lite::future::block_on(async {
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// q.put(1).await.unwrap();
            /// assert!(q.is_full());
            /// # });
            /// ```
            pub fn put(&self, item: T) -> Put<'_, T> {
                Put::new(&self.inner, item)
            }

            /// Removes and returns an item, waiting while the queue is empty.
            ///
            /// # Errors
            ///
            /// [`GetError`] once the queue is shut down and empty; after a non-immediate
            /// shutdown the remaining items are still returned first.
            ///
            /// # Cancel safety
            ///
            /// An item is removed only in the poll that returns it: dropping the future never
            /// loses one, and a wake-up meant for it passes to the next getter.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            /// # futures_lite::future::block_on(async {
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put("x").await.unwrap();
            /// assert_eq!(q.get().await, Ok("x"));
            /// # });
            /// ```
            pub fn get(&self) -> Get<'_, T> {
                Get::new(&self.inner)
            }

            /// Adds an item if there is room (asyncio's `put_nowait`).
            ///
            /// # Errors
            ///
            /// [`TryPutError::Full`] or [`TryPutError::ShutDown`], holding the item.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// assert!(q.try_put(1).is_ok());
            /// assert_eq!(q.try_put(2).unwrap_err().into_inner(), 2);
            /// ```
            pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
                self.inner.try_put(item)
            }

            /// Removes and returns an item if there is one (asyncio's `get_nowait`).
            ///
            /// # Errors
            ///
            /// [`TryGetError::Empty`], or [`TryGetError::ShutDown`] once the queue is shut down
            /// and empty.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::{", stringify!($name), ", TryGetError};")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
            /// q.try_put(1).unwrap();
            /// assert_eq!(q.try_get(), Ok(1));
            /// ```
            pub fn try_get(&self) -> Result<T, TryGetError> {
                self.inner.try_get()
            }

            /// Blocks the current thread until the item is added, for plain threads feeding
            /// async code. Calling it from async code blocks the executor thread.
            ///
            /// # Errors
            ///
            /// As for [`put`](Self::put).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = Arc::new(", stringify!($name), "::new(1));")]
            /// let q2 = q.clone();
            /// let producer = std::thread::spawn(move || {
            ///     for i in 0..3 {
            ///         q2.put_blocking(i).unwrap();
            ///     }
            /// });
            /// let mut got: Vec<i32> = (0..3).map(|_| q.get_blocking().unwrap()).collect();
            /// producer.join().unwrap();
            /// got.sort();
            /// assert_eq!(got, [0, 1, 2]);
            /// ```
            pub fn put_blocking(&self, item: T) -> Result<(), PutError<T>> {
                futures_lite::future::block_on(self.put(item))
            }

            /// Blocks the current thread until an item arrives, for plain threads fed by async
            /// code. Calling it from async code blocks the executor thread.
            ///
            /// # Errors
            ///
            /// As for [`get`](Self::get).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.try_put(7).unwrap();
            /// assert_eq!(q.get_blocking(), Ok(7));
            /// ```
            pub fn get_blocking(&self) -> Result<T, GetError> {
                futures_lite::future::block_on(self.get())
            }

            /// Marks one item taken from the queue as processed; [`join`](Self::join) returns
            /// once every item put has been marked.
            ///
            /// # Errors
            ///
            /// [`TaskDoneError`] if it is called more times than items were put.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.try_put(1).unwrap();
            /// q.try_get().unwrap();
            /// assert!(q.task_done().is_ok());
            /// assert!(q.task_done().is_err());
            /// ```
            pub fn task_done(&self) -> Result<(), TaskDoneError> {
                self.inner.task_done()
            }

            /// The number of items put and not yet marked with [`task_done`](Self::task_done).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.try_put(1).unwrap();
            /// q.try_get().unwrap();
            /// assert_eq!(q.unfinished_tasks(), 1);
            /// ```
            pub fn unfinished_tasks(&self) -> usize {
                self.inner.unfinished()
            }

            /// Waits until every item put has been marked with [`task_done`](Self::task_done);
            /// returns at once if there is none.
            ///
            /// # Cancel safety
            ///
            /// Dropping the future has no effect on the queue.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            /// # futures_lite::future::block_on(async {
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put(1).await.unwrap();
            /// q.get().await.unwrap();
            /// q.task_done().unwrap();
            /// q.join().await;
            /// # });
            /// ```
            pub fn join(&self) -> Join<'_, T> {
                Join::new(&self.inner)
            }

            /// Shuts the queue down, as Python 3.13's `Queue.shutdown(immediate)`.
            ///
            /// Every later put fails, and waiting putters fail with their item handed back.
            /// Gets return the remaining items and then fail. With `immediate`, the remaining
            /// items are dropped and taken off the unfinished count, so waiting getters fail at
            /// once and `join` returns once the items already taken are marked done.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.try_put(1).unwrap();
            /// q.shutdown(false);
            /// assert!(q.try_put(2).unwrap_err().is_shut_down());
            /// assert_eq!(q.try_get(), Ok(1));
            /// assert!(q.try_get().unwrap_err().is_shut_down());
            /// ```
            pub fn shutdown(&self, immediate: bool) {
                self.inner.shutdown(immediate);
            }

            /// Whether [`shutdown`](Self::shutdown) was called.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            #[doc = concat!("let q = ", stringify!($name), "::<u8>::new(0);")]
            /// q.shutdown(true);
            /// assert!(q.is_shut_down());
            /// ```
            pub fn is_shut_down(&self) -> bool {
                self.inner.is_shut_down()
            }

            /// The items as a [`Stream`](futures_lite::Stream) of `get`s, ending once the queue
            /// is shut down and empty.
            ///
            /// # Cancel safety
            ///
            /// As for [`get`](Self::get): dropping the stream loses no item.
            ///
            /// # Examples
            ///
            /// ```
            /// use futures_lite::StreamExt;
            #[doc = concat!("use loop_sync::", stringify!($name), ";")]
            ///
            /// # futures_lite::future::block_on(async {
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.try_put(1).unwrap();
            /// q.try_put(1).unwrap();
            /// q.shutdown(false);
            /// assert_eq!(q.stream().fold(0, |a, b| a + b).await, 2);
            /// # });
            /// ```
            pub fn stream(&self) -> QueueStream<'_, T> {
                QueueStream::new(&self.inner)
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("len", &self.len())
                    .field("maxsize", &self.maxsize())
                    .field("unfinished_tasks", &self.unfinished_tasks())
                    .field("shut_down", &self.is_shut_down())
                    .finish()
            }
        }
    };
}

/// A first-in, first-out queue: asyncio's `Queue`, usable across threads.
///
/// - `maxsize` bounds it (0 means unbounded): [`put`](Queue::put) waits while it is full,
///   [`get`](Queue::get) while it is empty, and [`try_put`](Queue::try_put) and
///   [`try_get`](Queue::try_get) hand the item back or report why not.
/// - [`task_done`](Queue::task_done) and [`join`](Queue::join) track processing;
///   [`shutdown`](Queue::shutdown) has Python 3.13's semantics.
/// - [`put_blocking`](Queue::put_blocking) and [`get_blocking`](Queue::get_blocking) serve plain
///   threads, so a queue bridges sync and async code; [`stream`](Queue::stream) is the get side
///   as a `Stream`.
/// - Every await is cancel-safe: an item moves only in the poll that completes the operation,
///   and a wake-up given to a dropped waiter passes to the next.
///
/// Items live in a lock-free `concurrent_queue::ConcurrentQueue`; a bounded queue allocates its
/// `maxsize` slots up front.
///
/// # Examples
///
/// ```
/// use loop_sync::Queue;
///
/// # futures_lite::future::block_on(async {
/// let q = Queue::new(2);
/// q.put(1).await.unwrap();
/// q.put(2).await.unwrap();
/// assert!(q.try_put(3).unwrap_err().is_full());
/// assert_eq!(q.get().await, Ok(1));
/// assert_eq!(q.get().await, Ok(2));
/// # });
/// ```
pub struct Queue<T> {
    inner: Inner<T>,
}

impl<T> Queue<T> {
    /// Creates a FIFO queue holding at most `maxsize` items; 0 means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Queue;
    ///
    /// let q: Queue<String> = Queue::new(0);
    /// assert!(!q.is_full());
    /// ```
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue {
            inner: Inner::new(Store::fifo(maxsize), maxsize),
        }
    }
}

queue_methods!(Queue);

/// A last-in, first-out queue: asyncio's `LifoQueue`, with the same API as [`Queue`].
///
/// Items live in a `Vec` behind a mutex held only to push or pop.
///
/// # Examples
///
/// ```
/// use loop_sync::LifoQueue;
///
/// let q = LifoQueue::new(0);
/// for i in [1, 3, 2] {
///     q.try_put(i).unwrap();
/// }
/// assert_eq!([q.try_get(), q.try_get(), q.try_get()], [Ok(2), Ok(3), Ok(1)]);
/// ```
pub struct LifoQueue<T> {
    inner: Inner<T>,
}

impl<T> LifoQueue<T> {
    /// Creates a LIFO queue holding at most `maxsize` items; 0 means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::LifoQueue;
    ///
    /// let q: LifoQueue<u8> = LifoQueue::new(3);
    /// assert_eq!(q.maxsize(), 3);
    /// ```
    pub fn new(maxsize: usize) -> LifoQueue<T> {
        LifoQueue {
            inner: Inner::new(Store::lifo(maxsize), maxsize),
        }
    }
}

queue_methods!(LifoQueue);

/// A queue that hands out its smallest item first: asyncio's `PriorityQueue`, with the same API
/// as [`Queue`].
///
/// Items live in a binary heap behind a mutex held only to push or pop. Equal items come out in
/// no particular order; use a `(priority, sequence)` tuple to make the order total.
///
/// # Examples
///
/// ```
/// use loop_sync::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// for i in [1, 3, 2] {
///     q.try_put(i).unwrap();
/// }
/// assert_eq!([q.try_get(), q.try_get(), q.try_get()], [Ok(1), Ok(2), Ok(3)]);
/// ```
pub struct PriorityQueue<T> {
    inner: Inner<T>,
}

impl<T: Ord> PriorityQueue<T> {
    /// Creates a priority queue holding at most `maxsize` items; 0 means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cmp::Reverse;
    /// use loop_sync::PriorityQueue;
    ///
    /// // Largest first, with `Reverse`.
    /// let q = PriorityQueue::new(0);
    /// q.try_put(Reverse(1)).unwrap();
    /// q.try_put(Reverse(5)).unwrap();
    /// assert_eq!(q.try_get(), Ok(Reverse(5)));
    /// ```
    pub fn new(maxsize: usize) -> PriorityQueue<T> {
        PriorityQueue {
            inner: Inner::new(Store::priority(maxsize), maxsize),
        }
    }
}

queue_methods!(PriorityQueue);
