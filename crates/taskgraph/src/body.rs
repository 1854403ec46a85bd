//! What a stage does to one chunk: the user's function, applied with panics caught and errors
//! handled by the stage's policy.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{BoxError, Error, ErrorPolicy, StageId, panic_message};

/// Runs a chunk: consumes its input items and appends outputs.
pub(crate) type ChunkFn<In, Out> =
    Box<dyn Fn(Vec<In>, &mut Vec<Out>, &ChunkCtx<'_>) -> ChunkEnd + Send + Sync>;

/// A stage's work on a chunk.
pub(crate) enum Body<In, Out> {
    /// Sources and broadcast branches pass their items through.
    Identity(fn(Vec<In>) -> Vec<Out>),
    /// `map`, `filter_map`, `map_chunk`.
    Apply(ChunkFn<In, Out>),
}

/// What a chunk's code may need to know about its stage.
pub(crate) struct ChunkCtx<'a> {
    pub(crate) cancelled: &'a AtomicBool,
    pub(crate) policy: ErrorPolicy,
    /// The group size of `map_chunk`.
    pub(crate) unit: usize,
    pub(crate) id: StageId,
    pub(crate) name: &'a Arc<str>,
}

impl ChunkCtx<'_> {
    fn failed(&self, e: BoxError) -> Error {
        Error::Stage {
            stage: self.id,
            name: Arc::clone(self.name),
            source: Arc::from(e),
        }
    }

    pub(crate) fn panicked(&self, payload: &(dyn std::any::Any + Send)) -> Error {
        Error::Panicked {
            stage: self.id,
            name: Arc::clone(self.name),
            message: panic_message(payload),
        }
    }

    /// Applies the policy to one failure; true when the chunk must stop.
    fn on_failure(&self, err: Error, end: &mut ChunkEnd) -> bool {
        match self.policy {
            ErrorPolicy::FailFast => {
                end.fatal = Some(err);
                true
            }
            ErrorPolicy::Skip => {
                end.failed += 1;
                false
            }
            ErrorPolicy::Collect => {
                end.failed += 1;
                end.errors.push(err);
                false
            }
        }
    }
}

/// How a chunk went.
#[derive(Default)]
pub(crate) struct ChunkEnd {
    /// Input items the function was given.
    pub(crate) consumed: usize,
    /// The failure that stops the stage (fail-fast policy).
    pub(crate) fatal: Option<Error>,
    /// Failures kept for the end of the stream (collect policy).
    pub(crate) errors: Vec<Error>,
    /// Failures skipped or collected.
    pub(crate) failed: u64,
}

/// A body applying `f` to each item; `None` drops the item.
pub(crate) fn per_item<In, Out, F>(f: F) -> Body<In, Out>
where
    F: Fn(In) -> Result<Option<Out>, BoxError> + Send + Sync + 'static,
{
    Body::Apply(Box::new(move |items, out, cx| {
        let mut end = ChunkEnd::default();
        out.reserve(items.len());
        let mut items = items.into_iter();
        loop {
            // One unwind guard per chunk, re-entered only after a failure: the happy path pays
            // nothing per item.
            let run = catch_unwind(AssertUnwindSafe(|| {
                for item in items.by_ref() {
                    if cx.cancelled.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    end.consumed += 1;
                    match f(item) {
                        Ok(Some(v)) => out.push(v),
                        Ok(None) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }));
            let err = match run {
                Ok(Ok(())) => return end,
                Ok(Err(e)) => cx.failed(e),
                Err(payload) => cx.panicked(&*payload),
            };
            if cx.on_failure(err, &mut end) {
                return end;
            }
        }
    }))
}

/// A body applying `f` to groups of `unit` items (N in, M out); a chunk holds whole groups,
/// except at the end of the stream.
pub(crate) fn per_chunk<In, Out, F>(f: F) -> Body<In, Out>
where
    F: Fn(Vec<In>) -> Result<Vec<Out>, BoxError> + Send + Sync + 'static,
{
    Body::Apply(Box::new(move |items, out, cx| {
        let mut end = ChunkEnd::default();
        let mut items = items.into_iter();
        while !cx.cancelled.load(Ordering::Relaxed) {
            let group: Vec<In> = items.by_ref().take(cx.unit).collect();
            if group.is_empty() {
                break;
            }
            end.consumed += group.len();
            let err = match catch_unwind(AssertUnwindSafe(|| f(group))) {
                Ok(Ok(v)) => {
                    if out.is_empty() {
                        *out = v;
                    } else {
                        out.extend(v);
                    }
                    continue;
                }
                Ok(Err(e)) => cx.failed(e),
                Err(payload) => cx.panicked(&*payload),
            };
            if cx.on_failure(err, &mut end) {
                break;
            }
        }
        end
    }))
}
