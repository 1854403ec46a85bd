//! A demand-driven task graph: stages produce items only when someone reads their output.
//!
//! A [`Pool`] runs stages on worker threads, or inline in the reading thread when it has none,
//! with the same results. A graph starts at sources ([`Pool::source`] for iterators,
//! [`Pool::source_stream`] for async streams) and grows with [`Reader::map`],
//! [`Reader::filter_map`] and [`Reader::map_chunk`]; every stage is configured by a
//! [`StageBuilder`] and read through a [`Reader`].
//!
//! - **Pull-driven.** Nothing runs until a read registers demand. A stage then schedules
//!   chunks (at most `max_chunk` items, at least `min_batch` per refill) for what its readers
//!   want minus what is buffered or in flight, upstream first, never more than its capacity
//!   when a reader asks for everything. A chunk is queued only once its input is there, so a
//!   worker never blocks waiting for items.
//! - **Explicit end of stream.** A read returns a [`Batch`] whose `end` flag says the stream
//!   is over; a short batch without it is a deadline or [`Reader::try_read`].
//! - **Errors.** A failing stage delivers the items it produced before the failure, then an
//!   [`Error`] naming it to every reader downstream; panics are caught and reported the same
//!   way. [`ErrorPolicy`] chooses fail-fast, skip or collect per stage.
//! - **Cancellation.** Dropping the last reader of a stage cancels it at once, with its
//!   upstream stages that no one else reads: queued chunks and buffered items are dropped, and
//!   running chunks stop after their current item. Dropping the pool ends its stages with
//!   [`Error::PoolGone`] and joins its threads.
//! - **Fan-out is explicit.** [`Reader::split`] shares items between readers,
//!   [`Reader::broadcast`] gives each reader every item.
//!
//! ```
//! use std::num::NonZeroUsize as N;
//!
//! let pool = taskgraph::Pool::new(4);
//! let squares = pool.source(0..10u64).build().map(|i| Ok(i * i)).ordered(true).build();
//! let doubled = squares.map(|i| Ok(i * 2)).ordered(true).capacity(N::new(1024).unwrap()).build();
//! assert_eq!(doubled.read(N::new(3).unwrap()).unwrap().items, vec![0, 2, 8]);
//! assert_eq!(doubled.read_all().unwrap(), vec![18, 32, 50, 72, 98, 128, 162]);
//! drop(doubled); // cancels all three stages
//! assert_eq!(pool.num_stages(), 0);
//! ```
//!
//! A reader becomes the input of the stage built on it: it is moved, so a graph can neither
//! gain a cycle nor read one output through two edges by accident (fan-out goes through
//! [`Reader::split`] or [`Reader::broadcast`]):
//!
//! ```compile_fail
//! let pool = taskgraph::Pool::inline();
//! let r = pool.source(0..3).build();
//! let a = r.map(|i: i32| Ok(i)).build();
//! let b = r.map(|i: i32| Ok(i)).build(); // error: `r` was moved into `a`'s stage
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod body;
mod broadcast;
mod builder;
mod error;
mod input;
mod pool;
mod reader;
mod stage;
mod stats;

pub use builder::StageBuilder;
pub use error::{BoxError, Error, ErrorPolicy, StageId};
pub use pool::Pool;
pub use reader::{Batch, Reader, ReaderStream};
pub use stats::{StageStats, StageStatus};
