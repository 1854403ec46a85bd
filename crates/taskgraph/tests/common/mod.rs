// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers shared by taskgraph's integration tests: each test file says `mod common;`.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// `NonZeroUsize` from a literal.
pub(crate) fn n(k: usize) -> NonZeroUsize {
    NonZeroUsize::new(k).expect("a test count is not zero")
}

/// Runs `f` on its own thread and fails the test if it has not returned after a generous
/// minute: a broken test fails instead of hanging (a watchdog, not a stopwatch).
pub(crate) fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(v) => {
            handle.join().expect("the test thread finished");
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the test thread sent nothing and did not panic"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the test hung (watchdog)"),
    }
}

/// Polls `cond` until it holds; fails after a generous minute.
pub(crate) fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..60_000 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("never happened: {what}");
}

/// A shared counter, e.g. of calls to a stage's function.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub(crate) fn inc(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// An item that counts how many of its kind are alive: a dropped item is really gone.
#[derive(Debug)]
pub(crate) struct Tracked {
    pub(crate) value: u64,
    live: Arc<AtomicUsize>,
}

impl Tracked {
    pub(crate) fn new(value: u64, live: &Arc<AtomicUsize>) -> Tracked {
        live.fetch_add(1, Ordering::SeqCst);
        Tracked {
            value,
            live: Arc::clone(live),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The worker counts the tests run every behaviour with: inline, one worker, several.
pub(crate) const MODES: [usize; 3] = [0, 1, 4];
