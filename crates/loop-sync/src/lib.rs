//! asyncio's synchronization primitives and queues, for any executor and across threads.
//!
//! asyncio's locks and queues work only inside one event loop. These work on any executor
//! (evloop, tokio, smol, `futures_lite::future::block_on`) and between threads: they are built
//! on `event-listener` for waiting and `concurrent-queue` where a lock-free queue fits.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings, rust_2018_idioms))))]

mod barrier;
mod condition;
mod event;
mod fifo;
mod mutex;
mod once_cell;
mod queue;
mod raw_semaphore;
mod rwlock;
mod semaphore;
mod wait_list;

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
