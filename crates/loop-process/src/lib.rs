//! Subprocesses with async pipes, and signals, for the evloop event loop.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
