//! asyncio's synchronization primitives and queues, for any executor and across threads.
//!
//! asyncio's locks and queues work only inside one event loop. These work on any executor
//! (evloop, tokio, smol, `futures_lite::future::block_on`) and between threads: they are built
//! on a FIFO list of waiting tasks of their own, `event-listener` for waiting in the others, and
//! `concurrent-queue` where a lock-free queue fits.
//!
//! # Examples
//!
//! A bounded work queue drained by tasks that share a lock, with a plain thread as producer:
//!
//! ```
//! use std::sync::Arc;
//! use loop_sync::{Mutex, Queue};
//!
//! let queue = Arc::new(Queue::new(8));
//! let total = Arc::new(Mutex::new(0));
//!
//! let producer = {
//!     let queue = queue.clone();
//!     std::thread::spawn(move || {
//!         for n in 1..=100 {
//!             queue.put_blocking(n).unwrap();
//!         }
//!         queue.shutdown(false);
//!     })
//! };
//!
//! futures_lite::future::block_on(async {
//!     while let Ok(n) = queue.get().await {
//!         *total.lock().await += n;
//!         queue.task_done().unwrap();
//!     }
//!     queue.join().await;
//! });
//! producer.join().unwrap();
//! assert_eq!(*total.lock_blocking(), 5050);
//! ```
//!
//! # Primitives
//!
//! | type | asyncio | what it adds or changes |
//! |---|---|---|
//! | [`Mutex<T>`] | `Lock` | holds the data; guards, owned guards, `lock_blocking` |
//! | [`RwLock<T>`] | (none) | one FIFO line for readers and writers: neither side starves |
//! | [`Event`] | `Event` | `wait_blocking` for threads |
//! | [`Condition`] | `Condition` | a condition variable for a [`Mutex`]; [`Condition::wait_or`] for timeouts |
//! | [`Semaphore`] | `Semaphore` | `acquire_many` without starvation, owned permits, `add_permits` |
//! | [`BoundedSemaphore`] | `BoundedSemaphore` | over-release is a [`ReleaseError`] |
//! | [`Barrier`] | `Barrier` | a leader per round |
//! | [`OnceCell<T>`] | (none) | async initialization that runs once |
//! | [`Queue<T>`], [`LifoQueue<T>`], [`PriorityQueue<T>`] | `Queue`, `LifoQueue`, `PriorityQueue` | `shutdown` as in Python 3.13, blocking `put`/`get`, the get side as a `Stream` |
//!
//! Names follow asyncio where they fit (`put`, `get`, `task_done`, `join`, `shutdown`,
//! `notify`, `set`, `clear`); non-blocking variants are `try_*` and return errors that hand the
//! value back, as [`TryPutError`] does.
//!
//! # Fairness
//!
//! [`Mutex`], [`Semaphore`], [`BoundedSemaphore`] and [`RwLock`] serve waiters strictly in
//! arrival order. Releasing hands the lock or the permits directly to the first waiter, so a
//! task that releases and immediately acquires again queues behind everyone waiting, and the
//! `try_*` variants fail while anyone waits. A semaphore request for many permits at the head of
//! the line holds back smaller requests behind it until enough permits are free. Queues, like
//! asyncio's, wake getters and putters in arrival order but let `try_get` and `try_put` take
//! any available item or slot.
//!
//! # Cancel safety
//!
//! Cancelling a future means dropping it, and every future in this crate can be dropped at any
//! point without losing or keeping anything:
//!
//! - A pending `lock`, `read`, `write` or `acquire` takes the lock or the permits only in the
//!   poll that completes it. If the lock was already handed to it, dropping it hands the lock
//!   on to the next waiter (or releases it): a cancelled waiter never keeps a lock or a permit,
//!   and never loses one.
//! - A pending `get` removes an item, and a pending `put` adds one, only in the poll that
//!   completes it: a dropped `get` leaves the item in the queue, a dropped `put` has not added
//!   its item.
//! - A waiter that was woken and is dropped before it ran passes its wake-up to the next waiter,
//!   so no wake-up is lost either ([`Condition`] notifications included).
//! - [`OnceCell`]: dropping the caller that runs the initializer lets a waiting caller run its
//!   own.
//!
//! One difference from asyncio follows from Rust's drop-to-cancel: asyncio's `Condition.wait`
//! re-acquires the lock before it raises `CancelledError`, but a dropped Rust future cannot hand
//! a guard back, so a dropped [`ConditionWait`] leaves the lock released.
//! [`Condition::wait_or`] covers the usual reason for cancelling a wait, a timeout, and returns
//! with the lock held.
//!
//! # Implementation
//!
//! No threads are spawned. [`Mutex`], the semaphores, [`RwLock`] and [`Event`] queue their
//! waiters in an intrusive FIFO list of their own (see the `waiters` module's comments): each
//! waiting future owns one list node, the waker is stored when the node joins the line, and a
//! release grants the lock or the permits to the head of the line under the list lock and wakes
//! it after unlocking, so the woken task only reads its node's state (see the `raw_semaphore`
//! module). [`Condition`], [`Barrier`], [`OnceCell`] and the queues wait with `event-listener`,
//! whose listeners queue in FIFO order. Uncontended, locking and unlocking a [`Mutex`] is one
//! compare-and-swap each, acquiring and releasing a [`Semaphore`] a load and a compare-and-swap,
//! and none of them allocates or takes a lock; a task that has to wait allocates one list node
//! (or one `event-listener` listener). [`Queue`] keeps its items in a lock-free
//! `concurrent_queue::ConcurrentQueue`; [`LifoQueue`] and [`PriorityQueue`] in a `Vec` behind a
//! mutex held only to push or pop. No lock of this crate is held while waking a task. The
//! `*_blocking` methods park the calling thread with `futures_lite::future::block_on`; calling
//! them from async code blocks that executor thread.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings, rust_2018_idioms))))]

mod barrier;
mod condition;
mod event;
mod mutex;
mod once_cell;
mod queue;
mod raw_semaphore;
mod rwlock;
mod semaphore;
mod wait_list;
mod waiters;

pub use crate::barrier::{Barrier, BarrierWait, BarrierWaitResult, BrokenBarrierError};
pub use crate::condition::{Condition, ConditionWait};
pub use crate::event::{Event, EventWait};
pub use crate::mutex::{Lock, LockOwned, Mutex, MutexGuard, OwnedMutexGuard};
pub use crate::once_cell::OnceCell;
pub use crate::queue::{
    Get, GetError, Join, LifoQueue, PriorityQueue, Put, PutError, Queue, QueueStream,
    TaskDoneError, TryGetError, TryPutError,
};
pub use crate::rwlock::{RwLock, RwLockRead, RwLockReadGuard, RwLockWrite, RwLockWriteGuard};
pub use crate::semaphore::{
    Acquire, AcquireOwned, BoundedSemaphore, OwnedSemaphorePermit, ReleaseError, Semaphore,
    SemaphorePermit,
};
