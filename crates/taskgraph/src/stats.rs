//! Introspection: what a stage is doing and what it has done.

/// Where a stage is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageStatus {
    /// Nothing in flight: no one has asked for more than is buffered.
    Idle,
    /// Chunks are queued or running.
    Running {
        /// Chunks queued or running.
        in_flight: usize,
    },
    /// The input has ended and every chunk has run; only buffered items remain, if any.
    Exhausted,
    /// The stage (or one upstream of it) failed; buffered items are still delivered first.
    Failed,
    /// The stage was cancelled or its pool dropped.
    Cancelled,
}

/// Counters of one stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageStats {
    /// Items the stage's function has consumed.
    pub items_in: u64,
    /// Items the stage has delivered into its output buffer.
    pub items_out: u64,
    /// Chunks the stage has run.
    pub chunks_run: u64,
    /// Items waiting in the output buffer.
    pub buffered: usize,
    /// Input items in queued or running chunks.
    pub in_flight: usize,
    /// Chunks queued or running.
    pub chunks_in_flight: usize,
    /// Items (or chunks, for `map_chunk`) whose function failed under a `Skip` or `Collect`
    /// policy.
    pub errors: u64,
}
