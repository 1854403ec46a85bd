//! TCP, UDP and Unix sockets for the evloop event loop.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
