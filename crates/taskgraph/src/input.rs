//! Where a stage's items come from: an iterator, a stream, another stage, or a broadcast hub.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_lite::Stream;

use crate::broadcast::BranchInput;
use crate::pool::Node;
use crate::reader::Reader;
use crate::stage::Take;

pub(crate) enum Input<T> {
    Iter(Box<dyn Iterator<Item = T> + Send>),
    Stream(Pin<Box<dyn Stream<Item = T> + Send>>),
    Stage(Reader<T>),
    Branch(BranchInput<T>),
}

impl<T> fmt::Debug for Input<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Input::Iter(_) => "Iter",
            Input::Stream(_) => "Stream",
            Input::Stage(_) => "Stage",
            Input::Branch(_) => "Branch",
        })
    }
}

/// How a source pull ended.
pub(crate) enum Pulled {
    /// Got what was asked; there may be more.
    More,
    /// The source is exhausted.
    End,
    /// The stream is pending; its waker will pump the stage.
    Pending,
}

impl<T: Send + 'static> Input<T> {
    pub(crate) fn is_source(&self) -> bool {
        matches!(self, Input::Iter(_) | Input::Stream(_))
    }

    /// Pulls up to `k` items of a source into `out`.
    pub(crate) fn pull(&mut self, k: usize, out: &mut Vec<T>, waker: &Waker) -> Pulled {
        match self {
            Input::Iter(it) => {
                for _ in 0..k {
                    match it.next() {
                        Some(v) => out.push(v),
                        None => return Pulled::End,
                    }
                }
                Pulled::More
            }
            Input::Stream(s) => {
                let mut cx = Context::from_waker(waker);
                for _ in 0..k {
                    match s.as_mut().poll_next(&mut cx) {
                        Poll::Ready(Some(v)) => out.push(v),
                        Poll::Ready(None) => return Pulled::End,
                        Poll::Pending => return Pulled::Pending,
                    }
                }
                Pulled::More
            }
            Input::Stage(_) | Input::Branch(_) => Pulled::End,
        }
    }

    /// Takes up to `k` items from an upstream stage or hub without waiting, a multiple of
    /// `unit` (or the rest, at the end of the stream).
    pub(crate) fn take(&mut self, k: usize, unit: usize) -> Take<T> {
        match self {
            Input::Stage(r) => r.shared().take_for_stage(k, unit),
            Input::Branch(b) => b.take(k, unit),
            Input::Iter(_) | Input::Stream(_) => Take::Empty,
        }
    }

    /// Tells the upstream how many items this stage wants; returns the upstream node when it
    /// must be pumped (`took` says items were just taken, which frees upstream capacity).
    pub(crate) fn set_want(&mut self, want: usize, took: bool) -> Option<Arc<dyn Node>> {
        match self {
            Input::Stage(r) => {
                let old = r.slot().set_want(want);
                (took || want > old).then(|| r.node())
            }
            Input::Branch(b) => b.set_want(want),
            Input::Iter(_) | Input::Stream(_) => None,
        }
    }
}
