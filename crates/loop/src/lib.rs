//! evloop: Python's asyncio rebuilt for Rust.
//!
//! This crate holds no logic: it re-exports the workspace's crates so that users depend on one:
//! [`loop_core`], the event loop, whose items are also available at the root, and behind
//! features:
//!
//! | feature | module | crate |
//! |---|---|---|
//! | `sync` (default) | [`sync`] | `loop-sync`: locks, events, semaphores, queues |
//! | `net` (default) | [`net`] | `loop-net`: TCP, UDP and Unix sockets, transports and protocols |
//! | `tls` (default) | [`tls`] | `loop-tls`: TLS on rustls |
//! | `process` (default) | [`process`] | `loop-process`: subprocesses, pipes and signals |
//! | `taskgraph` (default) | [`taskgraph`] | `taskgraph`: the demand-driven task graph |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let out = evloop::run(async {
//!     evloop::sleep(Duration::from_millis(1)).await;
//!     evloop::spawn(async { "hello" }).await.unwrap()
//! }).unwrap();
//! assert_eq!(out, "hello");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

#[doc(inline)]
pub use loop_core::*;

/// The event loop crate itself, for paths like `evloop::core::Poller`.
pub use loop_core as core;

/// Synchronization primitives and queues (the `loop-sync` crate; feature `sync`, on by default).
#[cfg(feature = "sync")]
#[doc(inline)]
pub use loop_sync as sync;

/// TCP, UDP and Unix sockets, streams and transports/protocols (the `loop-net` crate; feature `net`).
#[cfg(feature = "net")]
#[doc(inline)]
pub use loop_net as net;

/// TLS on rustls over any stream and on transports (the `loop-tls` crate; feature `tls`).
#[cfg(feature = "tls")]
#[doc(inline)]
pub use loop_tls as tls;

/// Subprocesses, pipes and signals (the `loop-process` crate; feature `process`).
#[cfg(feature = "process")]
#[doc(inline)]
pub use loop_process as process;

/// The demand-driven task graph (the `taskgraph` crate; feature `taskgraph`).
#[cfg(feature = "taskgraph")]
#[doc(inline)]
pub use taskgraph;

/// The everyday names, for `use evloop::prelude::*;`.
///
/// ```
/// use evloop::prelude::*;
/// use std::time::Duration;
///
/// let lp = EventLoop::new()?;
/// let out = lp.block_on(async {
///     let group = TaskGroup::new();
///     group.spawn(async { Ok::<_, ()>(1) }).unwrap();
///     let results = timeout(Duration::from_secs(5), group.join()).await;
///     results.unwrap().unwrap()
/// }).unwrap();
/// assert_eq!(out, [1]);
/// # std::io::Result::Ok(())
/// ```
pub mod prelude {
    pub use loop_core::{
        Async, EventLoop, Loop, LoopHandle, Promise, Task, TaskGroup, Timer, as_completed,
        get_running_loop, join_all, race, run, shield, sleep, sleep_until, spawn, spawn_local,
        timeout, timeout_at, try_join_all, unblock, yield_now,
    };
}
