//! evloop: Python's asyncio rebuilt for Rust.
//!
//! This crate holds no logic: it re-exports the workspace's crates so that users depend on one:
//! [`loop_core`], the event loop, whose items are also available at the root, and behind
//! features:
//!
//! | feature | module | crate |
//! |---|---|---|
//! | `sync` (default) | [`sync`] | `loop-sync`: locks, events, semaphores, queues |
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
