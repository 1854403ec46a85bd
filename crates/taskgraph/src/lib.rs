//! A demand-driven task graph: stages produce items only when someone reads their output.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
