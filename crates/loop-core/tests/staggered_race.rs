//! `staggered_race`: attempts started one after another, the first success wins (spec §2.4
//! SR1, the engine of Happy Eyeballs). On the virtual clock, so start times are exact.
//!
//! Cancellation is Rust's: a losing attempt is dropped (its `Drop` guard runs, the code after
//! its pending `.await` never runs). A success does not report the losers' errors, so asyncio's
//! "`excs[0]` is CancelledError" becomes "attempt 0 was dropped".

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use loop_core::{sleep, staggered_race};

mod common;

use common::{DropFlag, flag, is_set, ms, now, vloop};

type Attempt = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<u32, String>>>>>;

/// A `DropFlag`'s flag.
type Signal = std::sync::Arc<std::sync::atomic::AtomicBool>;

/// The loop times at which attempts started, by index.
type Starts = Rc<RefCell<Vec<(usize, Duration)>>>;

/// An attempt that records its start, then after `after` gives `outcome` (`None`: hangs).
fn attempt(
    index: usize,
    t0: Instant,
    starts: &Starts,
    after: Duration,
    outcome: Option<Result<u32, String>>,
    dropped: Option<Signal>,
) -> Attempt {
    let starts = starts.clone();
    Box::new(move || {
        starts.borrow_mut().push((index, now() - t0));
        Box::pin(async move {
            let _guard = dropped.map(DropFlag);
            sleep(after).await;
            match outcome {
                Some(outcome) => outcome,
                None => std::future::pending().await,
            }
        })
    })
}

/// SR1: `staggered_race([f0, f1], delay=0.1)` where f0 hangs → f1 wins (index 1), started
/// exactly 0.1 s after f0, and f0 was dropped.
#[test]
fn sr1_a_hanging_first_attempt_loses_to_the_second() {
    let lp = vloop();
    let t0 = lp.time();
    let starts = Starts::default();
    let f0_dropped = flag();
    let (out, at, dropped_on_return) = lp
        .block_on(async {
            let attempts = vec![
                attempt(0, t0, &starts, ms(0), None, Some(f0_dropped.clone())),
                attempt(1, t0, &starts, ms(50), Some(Ok(11)), None),
            ];
            let out = staggered_race(attempts, ms(100)).await;
            (out, now(), is_set(&f0_dropped))
        })
        .unwrap();
    assert_eq!(out, Ok((1, 11)));
    assert_eq!(*starts.borrow(), [(0, ms(0)), (1, ms(100))]);
    assert_eq!(at - t0, ms(150));
    assert!(dropped_on_return, "the losing attempt was not dropped");
}

/// SR1: everyone fails → `Err` with every error, in attempt order (not failure order).
#[test]
fn sr1_when_every_attempt_fails_all_errors_come_back_in_attempt_order() {
    let lp = vloop();
    let t0 = lp.time();
    let starts = Starts::default();
    let (out, at) = lp
        .block_on(async {
            let attempts = vec![
                attempt(0, t0, &starts, ms(500), Some(Err("e0".into())), None),
                attempt(1, t0, &starts, ms(10), Some(Err("e1".into())), None),
            ];
            let out = staggered_race(attempts, ms(100)).await;
            (out, now())
        })
        .unwrap();
    assert_eq!(out, Err(vec!["e0".to_owned(), "e1".to_owned()]));
    assert_eq!(*starts.borrow(), [(0, ms(0)), (1, ms(100))]);
    assert_eq!(at - t0, ms(500));
}

/// A failure starts the next attempt at once, without waiting out the delay; the delay is then
/// counted from that start.
#[test]
fn a_failure_starts_the_next_attempt_at_once() {
    let lp = vloop();
    let t0 = lp.time();
    let starts = Starts::default();
    let out = lp
        .block_on(async {
            let attempts = vec![
                attempt(0, t0, &starts, ms(10), Some(Err("refused".into())), None),
                attempt(1, t0, &starts, ms(0), None, None),
                attempt(2, t0, &starts, ms(5), Some(Ok(2)), None),
            ];
            staggered_race(attempts, ms(1000)).await
        })
        .unwrap();
    assert_eq!(out, Ok((2, 2)));
    assert_eq!(*starts.borrow(), [(0, ms(0)), (1, ms(10)), (2, ms(1010))]);
}

/// The first success drops every other running attempt and never starts the ones left.
#[test]
fn the_first_success_drops_the_others_and_starts_no_more() {
    let lp = vloop();
    let t0 = lp.time();
    let starts = Starts::default();
    let dropped = [flag(), flag()];
    let resumed = Rc::new(Cell::new(0));
    let (out, dropped_on_return) = lp
        .block_on(async {
            let mut attempts: Vec<Attempt> = Vec::new();
            for (i, d) in dropped.iter().enumerate() {
                let (starts, d, r) = (starts.clone(), d.clone(), resumed.clone());
                attempts.push(Box::new(move || {
                    starts.borrow_mut().push((i, now() - t0));
                    Box::pin(async move {
                        let _guard = DropFlag(d);
                        sleep(ms(10_000)).await;
                        r.set(r.get() + 1);
                        Ok(i as u32)
                    })
                }));
            }
            attempts.push(attempt(2, t0, &starts, ms(50), Some(Ok(22)), None));
            attempts.push(attempt(3, t0, &starts, ms(0), Some(Ok(33)), None));
            let out = staggered_race(attempts, ms(100)).await;
            let dropped_now = dropped.iter().all(|f| is_set(f));
            sleep(ms(20_000)).await;
            (out, dropped_now)
        })
        .unwrap();
    assert_eq!(out, Ok((2, 22)));
    assert!(
        dropped_on_return,
        "losers still alive after the race returned"
    );
    assert_eq!(resumed.get(), 0);
    assert_eq!(
        *starts.borrow(),
        [(0, ms(0)), (1, ms(100)), (2, ms(200))],
        "attempt 3 must never start"
    );
}

/// No attempts at all: `Err` with no errors, at once.
#[test]
fn no_attempts_is_an_empty_failure() {
    let lp = vloop();
    let out = lp
        .block_on(staggered_race(Vec::<Attempt>::new(), ms(100)))
        .unwrap();
    assert_eq!(out, Err(vec![]));
}
