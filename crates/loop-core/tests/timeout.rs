//! `timeout`, `timeout_at` and `Timeout::reschedule` (asyncio's `timeout` context manager,
//! spec §2.4 TO1–TO4), on the virtual clock so every deadline is exact and instant.
//!
//! Cancellation is Rust's: when the deadline passes first, the inner future is dropped (its
//! `Drop` guards run, the code after its pending `.await` never runs) and the result is
//! `Err(Elapsed)`; the task running the timeout is not cancelled and simply goes on.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::future::poll_once;

use loop_core::{Elapsed, EventLoop, sleep, spawn_local, timeout, timeout_at, yield_now};

mod common;

use common::{DropFlag, flag, is_set, ms, now, secs, vloop};

/// How many timers the loop holds, from its `Debug` output.
fn timers_registered(lp: &EventLoop) -> usize {
    let debug = format!("{:?}", **lp);
    let rest = debug
        .split("timers: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no timer count in {debug}"));
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// TO1: `timeout(0.01): sleep(10)` → the timeout error at exactly 10 ms; the body was dropped
/// at its await (its guard ran, the code after it did not); the task itself is not cancelled
/// and carries on.
#[test]
fn to1_expiry_drops_the_body_and_the_task_carries_on() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flag();
    let resumed = Rc::new(Cell::new(false));
    let out = lp
        .block_on(async {
            let (guard, resumed) = (dropped.clone(), resumed.clone());
            let task = spawn_local(async move {
                let out = timeout(ms(10), async move {
                    let _guard = DropFlag(guard);
                    sleep(secs(10)).await;
                    resumed.set(true);
                })
                .await;
                let expired_at = now();
                sleep(secs(1)).await; // still a live task: it can go on awaiting
                (out, expired_at, "went on")
            });
            task.await
        })
        .unwrap();
    let (out, expired_at, went_on) = out.expect("the task itself was not cancelled");
    assert_eq!(out, Err(Elapsed));
    assert_eq!(expired_at - t0, ms(10));
    assert_eq!(went_on, "went on");
    assert!(is_set(&dropped));
    assert!(!resumed.get());
}

/// A body that finishes in time gives `Ok(output)`, and the unused timer is released.
#[test]
fn a_body_finishing_in_time_gives_its_output() {
    let lp = vloop();
    let t0 = lp.time();
    let out = lp
        .block_on(async {
            let out = timeout(secs(10), async {
                sleep(secs(2)).await;
                "in time"
            })
            .await;
            (out, now())
        })
        .unwrap();
    assert_eq!(out.0, Ok("in time"));
    assert_eq!(out.1 - t0, secs(2));
    assert_eq!(
        timers_registered(&lp),
        0,
        "the timeout's timer was left behind"
    );
    // The count is real: a pending callback shows.
    let handle = lp.call_later(secs(1), || ()).unwrap();
    assert_eq!(timers_registered(&lp), 1);
    handle.cancel();
    assert_eq!(timers_registered(&lp), 0);
}

/// TO2: nested timeouts with the same deadline → exactly one layer reports the timeout. The
/// outer polls its body first, so it is the inner one (`Ok(Err(Elapsed))`), where asyncio
/// lets only the outermost raise.
#[test]
fn to2_nested_timeouts_with_one_deadline_report_once() {
    let lp = vloop();
    let t0 = lp.time();
    let out = lp
        .block_on(async {
            let deadline = now() + secs(1);
            let out = timeout_at(deadline, timeout_at(deadline, sleep(secs(10)))).await;
            (out, now())
        })
        .unwrap();
    assert_eq!(out.0, Ok(Err(Elapsed)));
    assert_eq!(out.1 - t0, secs(1));
}

/// TO2: the inner timeout fires first → the inner error, and the outer body goes on.
#[test]
fn to2_an_inner_timeout_firing_first_gives_the_inner_error() {
    let lp = vloop();
    let t0 = lp.time();
    let out = lp
        .block_on(async {
            timeout(secs(10), async {
                let inner = timeout(secs(1), sleep(secs(3600))).await;
                let inner_at = now();
                sleep(secs(3)).await;
                (inner, inner_at, now())
            })
            .await
        })
        .unwrap();
    let (inner, inner_at, end) = out.expect("the outer timeout fired");
    assert_eq!(inner, Err(Elapsed));
    assert_eq!(inner_at - t0, secs(1));
    assert_eq!(end - t0, secs(4));
}

/// TO2: an inner timeout that expired inside an outer one does not disarm the outer: it still
/// fires later, at its own deadline.
#[test]
fn to2_the_outer_timeout_still_fires_after_an_inner_one_expired() {
    let lp = vloop();
    let t0 = lp.time();
    let inner_result = Rc::new(Cell::new(None));
    let out = lp
        .block_on(async {
            let sink = inner_result.clone();
            let out = timeout(secs(5), async move {
                sink.set(Some(timeout(secs(1), std::future::pending::<()>()).await));
                sleep(secs(3600)).await;
            })
            .await;
            (out, now())
        })
        .unwrap();
    assert_eq!(inner_result.get(), Some(Err(Elapsed)));
    assert_eq!(out.0, Err(Elapsed));
    assert_eq!(out.1 - t0, secs(5));
}

/// TO2: the outer timeout fires first → the outer error, and everything inside (the inner
/// timeout and its body) is dropped.
#[test]
fn to2_an_outer_timeout_firing_first_drops_everything_inside() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flag();
    let out = lp
        .block_on(async {
            let guard = dropped.clone();
            let out = timeout(
                secs(1),
                timeout(secs(10), async move {
                    let _guard = DropFlag(guard);
                    sleep(secs(3600)).await;
                }),
            )
            .await;
            (out, now())
        })
        .unwrap();
    assert_eq!(out.0, Err(Elapsed));
    assert_eq!(out.1 - t0, secs(1));
    assert!(is_set(&dropped));
    assert_eq!(timers_registered(&lp), 0, "a timer outlived its timeout");
}

/// TO3: the task running a timeout is cancelled from outside before the deadline → it ends
/// cancelled, not timed out, and leaves no timer behind.
#[test]
fn to3_an_outside_cancel_is_a_cancellation_not_a_timeout() {
    let lp = vloop();
    let t0 = lp.time();
    let seen = Rc::new(Cell::new(None));
    lp.block_on(async {
        let sink = seen.clone();
        let task = spawn_local(async move {
            sink.set(Some(timeout(secs(10), sleep(secs(3600))).await));
        });
        sleep(secs(1)).await;
        assert!(task.cancel().await.unwrap_err().is_cancelled());
    })
    .unwrap();
    assert_eq!(seen.get(), None, "the timeout completed");
    assert_eq!(lp.time() - t0, secs(1));
    assert_eq!(timers_registered(&lp), 0);
}

/// TO3: an error from the body passes through untouched (`Ok(Err(..))`), and so does a panic.
#[test]
fn to3_errors_and_panics_from_the_body_pass_through() {
    let lp = vloop();
    let out = lp
        .block_on(timeout(ms(10), async { Err::<(), _>("KeyError") }))
        .unwrap();
    assert_eq!(out, Ok(Err("KeyError")));
    let out = lp
        .block_on(async {
            spawn_local(timeout(ms(10), async {
                yield_now().await;
                panic!("body failed")
            }))
            .await
        })
        .unwrap();
    assert!(out.unwrap_err().is_panic());
}

/// TO4: a zero or past deadline with a body that is still pending → the timeout error on the
/// next turn, without the clock moving.
#[test]
fn to4_zero_and_past_deadlines_expire_at_once() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        assert_eq!(timeout(Duration::ZERO, sleep(ms(1))).await, Err(Elapsed));
        let past = now() - secs(11);
        assert_eq!(timeout_at(past, sleep(ms(1))).await, Err(Elapsed));
    })
    .unwrap();
    assert_eq!(lp.time(), t0);
}

/// TO4, where this crate differs: a ready body wins even with a zero or past deadline, and so
/// does a body that only yields once, since it is ready again by the poll at which the
/// deadline is checked (asyncio's `timeout(0)` around `sleep(0)` raises instead).
#[test]
fn to4_a_ready_body_wins_over_a_zero_deadline() {
    let lp = vloop();
    lp.block_on(async {
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        assert_eq!(timeout_at(now() - secs(11), async { 2 }).await, Ok(2));
        assert_eq!(timeout(Duration::ZERO, yield_now()).await, Ok(()));
    })
    .unwrap();
}

/// TO4: a timeout without a deadline (`reschedule(None)`, or a duration too long to
/// represent) never fires, and says so with `deadline() == None`.
#[test]
fn to4_a_removed_deadline_never_fires() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let mut t = pin!(timeout_at(now() + secs(1), sleep(secs(3600))));
        assert_eq!(t.deadline(), Some(now() + secs(1)));
        t.as_mut().reschedule(None);
        assert_eq!(t.deadline(), None);
        assert!(t.await.is_ok());
        assert_eq!(now() - t0, secs(3600));

        let mut forever = pin!(timeout(Duration::MAX, sleep(secs(1))));
        assert!(poll_once(forever.as_mut()).await.is_none());
        assert_eq!(forever.deadline(), None, "a deadline past the end of time");
        assert!(forever.await.is_ok());
    })
    .unwrap();
}

/// TO4: `reschedule` moves the deadline, later or earlier, while the timeout is running.
#[test]
fn to4_reschedule_moves_the_deadline() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        // Later: a 1 s timeout around a 3 s body, pushed out to 5 s after 0.5 s: the body wins.
        let mut later = pin!(timeout(secs(1), sleep(secs(3))));
        assert_eq!(timeout(ms(500), later.as_mut()).await, Err(Elapsed));
        later.as_mut().reschedule(Some(now() + secs(5)));
        assert_eq!(later.deadline(), Some(t0 + ms(5500)));
        assert!(later.await.is_ok());
        assert_eq!(now() - t0, secs(3));

        // Earlier: an hour's timeout pulled in to 1 s from now fires exactly then.
        let t1 = now();
        let mut earlier = pin!(timeout(secs(3600), sleep(secs(7200))));
        assert_eq!(timeout(secs(1), earlier.as_mut()).await, Err(Elapsed));
        earlier.as_mut().reschedule(Some(now() + secs(1)));
        assert_eq!(earlier.await, Err(Elapsed));
        assert_eq!(now() - t1, secs(2));

        // Into the past: fires on the next turn, the clock does not move.
        let t2 = now();
        let mut past = pin!(timeout(secs(3600), sleep(secs(7200))));
        assert_eq!(timeout(secs(1), past.as_mut()).await, Err(Elapsed));
        past.as_mut().reschedule(Some(t2));
        assert_eq!(past.await, Err(Elapsed));
        assert_eq!(now() - t2, secs(1));
    })
    .unwrap();
    assert_eq!(timers_registered(&lp), 0);
}

/// An hour-long body under an hour's timeout on the virtual clock: it fires at exactly the
/// deadline, in no real time.
#[test]
fn an_hour_long_timeout_fires_exactly_at_its_deadline() {
    let lp = vloop();
    let t0 = lp.time();
    let started = Instant::now();
    let out = lp
        .block_on(async {
            let deadline = now() + secs(3600);
            let t = timeout_at(deadline, sleep(secs(7200)));
            assert_eq!(t.deadline(), Some(deadline));
            (t.await, now())
        })
        .unwrap();
    assert_eq!(out.0, Err(Elapsed));
    assert_eq!(out.1 - t0, secs(3600));
    assert!(started.elapsed() < secs(10));
}
