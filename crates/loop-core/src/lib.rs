//! The evloop event loop: asyncio's loop, rebuilt for Rust.
//!
//! One [`EventLoop`] per thread runs tasks (spawned futures), callbacks, timers and I/O
//! readiness. It stands on a [`Poller`] you can replace; the default wraps the `polling` crate.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let total = loop_core::run(async {
//!     let lp = loop_core::get_running_loop().unwrap();
//!     let tasks: Vec<_> = (1..=3)
//!         .map(|i| lp.spawn(async move {
//!             loop_core::sleep(Duration::from_millis(i)).await;
//!             i
//!         }))
//!         .collect();
//!     let mut total = 0;
//!     for t in tasks {
//!         total += t.await.unwrap();
//!     }
//!     total
//! }).unwrap();
//! assert_eq!(total, 6);
//! ```
//!
//! # Where things are
//!
//! - the poller seam: [`Poller`], [`DefaultPoller`] (`poller.rs`), and on Linux [`EpollPoller`]
//!   (`poller/epoll.rs`)
//! - the run queue and one loop turn: `event_loop.rs` (`Core::turn`)
//! - the timer store: `timers.rs` (a hierarchical timing wheel; equal deadlines fire in FIFO order)
//! - I/O readiness: `reactor.rs`, and [`Async`] in `io.rs`
//! - tasks: [`Task`], [`TaskBuilder`], [`current_task`] (`task.rs`); promises: [`Promise`]
//! - combinators: one file each (`join.rs`, `race.rs`, `wait.rs`, `as_completed.rs`,
//!   `timeout.rs`, `shield.rs`, `staggered.rs`, `task_group.rs`); their children are polled
//!   only when woken (`children.rs`, `ready_set.rs`)
//! - debug mode and the virtual clock: [`EventLoopBuilder`] (`builder.rs`)
//!
//! # From asyncio
//!
//! | asyncio | evloop |
//! |---|---|
//! | `asyncio.run(main())` | [`run`]`(main)` |
//! | `loop.run_until_complete(f)` | [`EventLoop::block_on`] |
//! | `run_forever` / `stop` / `close` | [`EventLoop::run_forever`], [`Loop::stop`], [`EventLoop::close`] |
//! | `get_running_loop()` | [`get_running_loop`] (an error outside a loop) |
//! | `call_soon`, `call_later`, `call_at` | [`Loop::call_soon`], [`Loop::call_later`], [`Loop::call_at`] |
//! | `call_soon_threadsafe` | [`LoopHandle::call_soon_threadsafe`] |
//! | `create_task(coro, name=)` | [`Loop::spawn`], [`Loop::spawn_local`], [`TaskBuilder::name`] |
//! | `create_future()` | [`Loop::create_future`] → [`Promise`] |
//! | `sleep(d)` | [`sleep`], [`sleep_until`], [`Timer`] |
//! | `add_reader` / `add_writer` | [`Loop::add_reader`], [`Loop::add_writer`] |
//! | `run_in_executor`, `to_thread` | [`unblock`] |
//! | `set_exception_handler` | [`Loop::set_exception_handler`] |
//! | `gather(...)`, `gather(..., return_exceptions=True)` | [`try_join_all`], [`join_all`] |
//! | `wait(aws, timeout, return_when)` | [`wait`] with [`ReturnWhen`] (never cancels) |
//! | `wait(FIRST_COMPLETED)` + cancel the rest | [`race`] |
//! | `as_completed(aws)` | [`as_completed`] (a `Stream`) |
//! | `wait_for(aw, t)`, `timeout(t)`, `timeout_at(when)` | [`timeout`], [`timeout_at`], [`Timeout::reschedule`] |
//! | `shield(aw)` | [`shield`] |
//! | `TaskGroup()` | [`TaskGroup`] (children may spawn more through a [`GroupSpawner`]) |
//! | `staggered_race(...)` | [`staggered_race`] |
//! | `set_debug`, `slow_callback_duration`, `PYTHONASYNCIODEBUG` | [`EventLoopBuilder::debug`], [`Loop::set_slow_callback_duration`], `EVLOOP_DEBUG` |
//! | `test_utils.TestLoop` (virtual time) | [`EventLoopBuilder::virtual_clock`] |
//!
//! ## Cancellation
//!
//! Cancellation follows Rust, not asyncio: a cancelled task's future is *dropped* at its next
//! suspension point (by the loop on its next turn; it is never polled again), so its
//! destructors run and nothing after the `.await` executes. A panic in one of those destructors
//! goes to the exception handler ("Exception in task cancellation"). There is no exception to catch. The asyncio idioms map as follows:
//!
//! - **`task.cancel()`**: drop the [`Task`], or `task.cancel().await` to also wait until the
//!   future is gone and get the result if it had already finished.
//! - **`except CancelledError: cleanup`**: put the cleanup in a `Drop` guard inside the task;
//!   it runs when the future is dropped. Cleanup that must `.await` belongs in a task of its
//!   own, spawned from the guard or before the cancel.
//! - **`shield(aw)`**: spawn the work as its own task and [`detach`](Task::detach) it, or keep
//!   its handle elsewhere; cancelling the awaiting task then drops only the waiting.
//! - **`cancel(msg)`**: carry the reason beside the cancel, for example in a channel or a
//!   [`Promise`] the task's owner reads; a dropped future has no way to see a message.
//! - **`uncancel()` / swallowing the cancel**: not possible, and deliberately so: a dropped
//!   future cannot resume. A task that must finish no matter what should be detached.
//! - **Awaiting a cancelled task** gives [`JoinError::Cancelled`] (asyncio raises
//!   `CancelledError`); a task that panicked gives [`JoinError::Panicked`].
//!
//! # Implementation
//!
//! The loop spawns no threads of its own. [`unblock`] uses the `blocking` crate's pool, which
//! starts threads named `blocking-N` on demand and stops them when idle.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings, rust_2018_idioms))))]

mod arena;
mod as_completed;
mod blocking;
mod builder;
mod children;
mod context;
mod error;
mod event_loop;
mod exception;
mod handle;
mod io;
mod join;
mod poller;
mod promise;
mod race;
mod reactor;
mod ready_set;
mod run;
mod shield;
mod staggered;
mod task;
mod task_group;
mod timeout;
mod timer;
mod timers;
mod wait;

pub use crate::as_completed::{AsCompleted, as_completed};
pub use crate::blocking::unblock;
pub use crate::builder::{DEBUG_ENV, EventLoopBuilder, POLLER_ENV};
pub use crate::error::{
    Closed, InvalidStateError, JoinError, NoRunningLoop, PromiseError, RunError,
};
pub use crate::event_loop::{EventLoop, Loop, get_running_loop};
pub use crate::exception::{ExceptionContext, default_exception_handler};
pub use crate::handle::LoopHandle;
pub use crate::io::{Async, Readable, Writable};
pub use crate::join::{JoinAll, TryJoinAll, join_all, try_join_all};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use crate::poller::EpollPoller;
pub use crate::poller::{DefaultPoller, Event, Events, PollMode, Poller};
pub use crate::promise::{CallbackId, Promise};
pub use crate::race::{Race, race};
pub use crate::run::run;
pub use crate::shield::{Shielded, shield};
pub use crate::staggered::staggered_race;
pub use crate::task::{Task, TaskBuilder, TaskId, TaskInfo, current_task};
pub use crate::task_group::{GroupClosed, GroupError, GroupSpawner, TaskGroup};
pub use crate::timeout::{Elapsed, Timeout, timeout, timeout_at};
pub use crate::timer::{MissedTick, Timer, TimerHandle, interval, sleep, sleep_until};
pub use crate::wait::{ReturnWhen, Wait, WaitOutcome, wait};

use std::future::Future;

/// Yields once: the task goes to the back of the run queue (asyncio's `sleep(0)`).
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// lp.block_on(loop_core::yield_now()).unwrap();
/// # std::io::Result::Ok(())
/// ```
pub use futures_lite::future::yield_now;

/// Spawns a `Send` future on the running loop (see [`Loop::spawn`]).
///
/// # Panics
///
/// Outside a running loop; use [`Loop::spawn`] or [`LoopHandle::spawn`] there.
///
/// ```
/// let out = loop_core::run(async { loop_core::spawn(async { 3 }).await.unwrap() }).unwrap();
/// assert_eq!(out, 3);
/// ```
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    running_loop("spawn").spawn(future)
}

/// Spawns a future that need not be `Send` on the running loop (see [`Loop::spawn_local`]).
///
/// # Panics
///
/// Outside a running loop; use [`Loop::spawn_local`] there.
///
/// ```
/// let out = loop_core::run(async {
///     let rc = std::rc::Rc::new(4);
///     loop_core::spawn_local(async move { *rc }).await.unwrap()
/// }).unwrap();
/// assert_eq!(out, 4);
/// ```
pub fn spawn_local<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    running_loop("spawn_local").spawn_local(future)
}

fn running_loop(what: &str) -> Loop {
    match get_running_loop() {
        Ok(lp) => lp,
        Err(_) => panic!("evloop::{what} called outside a running event loop"),
    }
}
