//! evloop: Python's asyncio rebuilt for Rust.
//!
//! This crate holds no logic: it re-exports the workspace's crates so that users depend on one.
//! Today that is [`loop_core`], the event loop, whose items are also available at the root.
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
