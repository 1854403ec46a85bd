// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers shared by loop-sync's integration tests: each test file says `mod common;`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use loop_core::{EventLoop, yield_now};

/// Runs `fut` to completion on a fresh evloop event loop.
pub(crate) fn run<F: Future>(fut: F) -> F::Output {
    let lp = EventLoop::new().expect("create an event loop");
    lp.block_on(fut).expect("the loop ran the future")
}

/// Yields `n` times: `n` loop turns for the calling task, so that tasks spawned earlier run up to
/// their next suspension point.
pub(crate) async fn ticks(n: usize) {
    for _ in 0..n {
        yield_now().await;
    }
}

/// A waker that counts how often it was woken.
pub(crate) struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker for step-by-step polling, and a way to read how often it was woken.
pub(crate) struct Probe {
    count: Arc<CountingWaker>,
    waker: Waker,
}

impl Probe {
    pub(crate) fn new() -> Probe {
        let count = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        Probe { count, waker }
    }

    /// How many times the waker was woken so far.
    pub(crate) fn wakes(&self) -> usize {
        self.count.0.load(Ordering::SeqCst)
    }

    /// Polls `fut` once with this probe's waker.
    pub(crate) fn poll<F: Future + Unpin>(&self, fut: &mut F) -> Poll<F::Output> {
        Pin::new(fut).poll(&mut Context::from_waker(&self.waker))
    }

    /// Polls a pinned `fut` once with this probe's waker.
    pub(crate) fn poll_pinned<F: Future + ?Sized>(&self, fut: Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(&self.waker))
    }
}

/// Polls `fut` once with a waker nobody watches; `Some` if it completed.
pub(crate) fn step<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    match Probe::new().poll(fut) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}
