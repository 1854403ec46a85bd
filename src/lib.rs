//! Cross-crate tests and benchmarks for the evloop workspace.
//!
//! This package is not published: it exists so that `cargo test --workspace` runs the tests under
//! the repository's `tests/` and `cargo bench` runs the peer comparisons under `benches/`.
#![forbid(unsafe_code)]
