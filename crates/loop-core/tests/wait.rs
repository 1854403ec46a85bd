//! `wait` (asyncio's `wait`, spec §2.4 W1–W3) and `timeout` as asyncio's `wait_for` (W4–W9).
//!
//! Cancellation is Rust's: a cancelled future is dropped at its next suspension point, so
//! "the inner task is cancelled" means its `Drop` guard ran and the code after its pending
//! `.await` never ran. Every case runs on the virtual clock: exact and instant.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use loop_core::{
    Elapsed, ReturnWhen, get_running_loop, shield, sleep, sleep_until, spawn_local, timeout,
    timeout_at, wait, yield_now,
};

mod common;

use common::{
    BoxFut, DropFlag, PanicOnDrop, boxed, flag, is_set, ms, now, secs, turns_until, vloop,
};

/// W1: `wait([b_raises, a_sleep10], FIRST_EXCEPTION)` → done = {b}, pending = {a}, at loop
/// time 0; a was not cancelled and still finishes when awaited.
#[test]
fn w1_first_error_returns_at_the_failure_and_hands_back_the_rest() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let futures: Vec<BoxFut<Result<&str, &str>>> = vec![
            boxed(async {
                yield_now().await;
                Err("b failed")
            }),
            boxed(async {
                sleep(secs(10)).await;
                Ok("a")
            }),
        ];
        let outcome = wait(futures, ReturnWhen::FirstError, None).await;
        assert_eq!(now(), t0, "returned without waiting for a");
        assert_eq!(outcome.done.len(), 1);
        assert_eq!(outcome.done[0].0, 0);
        assert_eq!(outcome.done[0].1, Err("b failed"));
        let mut pending = outcome.pending;
        assert_eq!(pending.len(), 1);
        let (index, a) = pending.pop().unwrap();
        assert_eq!(index, 1);
        assert_eq!(a.await, Ok("a"));
        assert_eq!(now() - t0, secs(10));
    })
    .unwrap();
}

/// W1 with tasks: a task's output is `Result<T, JoinError>`, so a panicking task is the
/// "error" that `FirstError` stops at.
#[test]
fn w1_first_error_stops_at_a_panicking_task() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let slow = spawn_local(async {
            sleep(secs(10)).await;
            1
        });
        let bad = spawn_local(async {
            yield_now().await;
            panic!("b raised")
        });
        let outcome = wait([slow, bad], ReturnWhen::FirstError, None).await;
        assert_eq!(now(), t0);
        assert_eq!(outcome.done.len(), 1);
        let (index, out) = outcome.done.into_iter().next().unwrap();
        assert_eq!(index, 1);
        assert!(out.unwrap_err().is_panic());
        assert_eq!(outcome.pending.len(), 1);
        assert_eq!(outcome.pending[0].0, 0);
    })
    .unwrap();
}

/// `FirstError` with no error waits for every future.
#[test]
fn first_error_without_errors_waits_for_all() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let futures = (1..=3u64).map(|i| {
            boxed(async move {
                sleep(secs(i)).await;
                Ok::<_, ()>(i)
            })
        });
        let outcome = wait(futures, ReturnWhen::FirstError, None).await;
        assert_eq!(now() - t0, secs(3));
        assert!(outcome.pending.is_empty());
        let done: Vec<_> = outcome
            .done
            .into_iter()
            .map(|(i, out)| (i, out.unwrap()))
            .collect();
        assert_eq!(done, [(0, 1), (1, 2), (2, 3)]);
    })
    .unwrap();
}

/// W2: two tasks finishing in the same loop turn are both in `done`, even with
/// `FirstCompleted`.
#[test]
fn w2_first_completed_reports_every_future_done_in_the_same_turn() {
    let lp = vloop();
    lp.block_on(async {
        let at = now() + secs(1);
        let a = spawn_local(async move {
            sleep_until(at).await;
            "a"
        });
        let b = spawn_local(async move {
            sleep_until(at).await;
            "b"
        });
        let c = spawn_local(async {
            sleep(secs(5)).await;
            "c"
        });
        let outcome = wait([a, b, c], ReturnWhen::FirstCompleted, None).await;
        let mut done: Vec<_> = outcome
            .done
            .into_iter()
            .map(|(i, out)| (i, out.unwrap()))
            .collect();
        done.sort();
        assert_eq!(done, [(0, "a"), (1, "b")]);
        assert_eq!(outcome.pending.len(), 1);
        assert_eq!(outcome.pending[0].0, 2);
    })
    .unwrap();
}

/// `AllCompleted`: `done` lists every future in the order they finished, with their indices.
#[test]
fn all_completed_lists_outputs_in_finishing_order() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let tasks = [3u64, 1, 2].map(|s| {
            spawn_local(async move {
                sleep(secs(s)).await;
                s
            })
        });
        let outcome = wait(tasks, ReturnWhen::AllCompleted, None).await;
        assert_eq!(now() - t0, secs(3));
        let done: Vec<_> = outcome
            .done
            .into_iter()
            .map(|(i, out)| (i, out.unwrap()))
            .collect();
        assert_eq!(done, [(1, 1), (2, 2), (0, 3)]);
        assert!(outcome.pending.is_empty());
    })
    .unwrap();
}

/// An empty `wait` returns at once, even with `AllCompleted` and no timeout.
#[test]
fn waiting_for_nothing_returns_at_once() {
    let lp = vloop();
    let t0 = lp.time();
    let outcome = lp
        .block_on(wait(
            Vec::<BoxFut<Result<(), ()>>>::new(),
            ReturnWhen::AllCompleted,
            None,
        ))
        .unwrap();
    assert!(outcome.done.is_empty() && outcome.pending.is_empty());
    assert_eq!(lp.time(), t0);
}

/// W3 (`wait` does not cancel): its timeout is not an error and cancels nothing; the tasks it
/// hands back keep running and finish (proof == 1).
#[test]
fn w3_wait_timeout_cancels_nothing() {
    let lp = vloop();
    let t0 = lp.time();
    let proof = Rc::new(Cell::new(0));
    lp.block_on(async {
        let p = proof.clone();
        let inner = spawn_local(async move {
            sleep(secs(10)).await;
            p.set(p.get() + 1);
            7
        });
        let outcome = wait([inner], ReturnWhen::AllCompleted, Some(secs(1))).await;
        assert_eq!(now() - t0, secs(1));
        assert!(outcome.done.is_empty());
        let (_, inner) = outcome.pending.into_iter().next().unwrap();
        assert_eq!(inner.await.unwrap(), 7);
        assert_eq!(now() - t0, secs(10));
    })
    .unwrap();
    assert_eq!(proof.get(), 1);
}

/// W3: the task awaiting `wait([inner])` is cancelled; inner is not and finishes later
/// (proof == 1). `wait` owns its futures, so (Rust-style) the inner work is handed in
/// shielded: dropping the wait drops only the waiting.
#[test]
fn w3_cancelling_the_waiter_does_not_cancel_a_shielded_inner() {
    let lp = vloop();
    let proof = Rc::new(Cell::new(0));
    lp.block_on(async {
        let p = proof.clone();
        let inner = shield(async move {
            sleep(secs(10)).await;
            p.set(p.get() + 1);
        });
        let waiter = spawn_local(async move {
            wait([inner], ReturnWhen::AllCompleted, None).await;
            unreachable!("the waiter was cancelled");
        });
        sleep(secs(1)).await;
        assert!(waiter.cancel().await.unwrap_err().is_cancelled());
        sleep(secs(20)).await;
    })
    .unwrap();
    assert_eq!(proof.get(), 1);
}

/// W4: `wait_for(task_sleeping_10s, 0.1)` → the timeout error after exactly 0.1 s, and the
/// inner future has been dropped (its cleanup ran, the code after its await did not) by the
/// time the error is seen.
#[test]
fn w4_timeout_drops_the_inner_future_before_returning() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flag();
    let after = Rc::new(Cell::new(false));
    let (out, at, dropped_on_return) = lp
        .block_on(async {
            let (guard, after) = (dropped.clone(), after.clone());
            let out = timeout(ms(100), async move {
                let _guard = DropFlag(guard);
                sleep(secs(10)).await;
                after.set(true);
            })
            .await;
            (out, now(), is_set(&dropped))
        })
        .unwrap();
    assert_eq!(out, Err(Elapsed));
    assert_eq!(at - t0, ms(100));
    assert!(dropped_on_return, "the inner future was still alive");
    assert!(!after.get());
}

/// W4 with a spawned task as the inner future: the task is cancelled (its future dropped on
/// the loop's next turn), and it never resumes.
#[test]
fn w4_timeout_cancels_an_inner_task() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flag();
    let after = Rc::new(Cell::new(false));
    lp.block_on(async {
        let (guard, ran) = (dropped.clone(), after.clone());
        let inner = spawn_local(async move {
            let _guard = DropFlag(guard);
            sleep(secs(10)).await;
            ran.set(true);
        });
        assert_eq!(timeout(ms(100), inner).await.unwrap_err(), Elapsed);
        assert_eq!(now() - t0, ms(100));
        assert!(turns_until(|| is_set(&dropped), 3).await);
        assert_eq!(get_running_loop().unwrap().live_tasks(), 0);
        sleep(secs(20)).await;
    })
    .unwrap();
    assert!(!after.get());
}

/// W4 as asyncio does it for a task: time out on a borrow, then `cancel().await`, which
/// returns once the task's cleanup has run.
#[test]
fn w4_timing_out_a_borrowed_task_then_cancelling_it() {
    let lp = vloop();
    let dropped = flag();
    lp.block_on(async {
        let guard = dropped.clone();
        let mut inner = spawn_local(async move {
            let _guard = DropFlag(guard);
            sleep(secs(10)).await;
        });
        assert!(timeout(ms(100), &mut inner).await.is_err());
        assert!(!inner.is_finished(), "timing out a borrow cancels nothing");
        assert!(inner.cancel().await.unwrap_err().is_cancelled());
        assert!(is_set(&dropped), "cancel() returned before the cleanup ran");
    })
    .unwrap();
}

/// W5, restated: cleanup that must await cannot run inside a dropped future, so the `Drop`
/// guard spawns it as a task. The timeout returns at its deadline, with the guard already
/// run; the spawned cleanup then runs to completion on its own.
#[test]
fn w5_awaiting_cleanup_runs_in_a_task_spawned_by_the_drop_guard() {
    struct SpawnCleanup(Rc<Cell<Option<Instant>>>);
    impl Drop for SpawnCleanup {
        fn drop(&mut self) {
            let done = self.0.clone();
            spawn_local(async move {
                sleep(secs(1)).await;
                done.set(Some(now()));
            })
            .detach();
        }
    }

    let lp = vloop();
    let t0 = lp.time();
    let cleaned = Rc::new(Cell::new(None));
    lp.block_on(async {
        let guard = SpawnCleanup(cleaned.clone());
        let out = timeout(ms(100), async move {
            let _guard = guard;
            sleep(secs(10)).await;
        })
        .await;
        assert_eq!(out, Err(Elapsed));
        assert_eq!(now() - t0, ms(100));
        assert_eq!(cleaned.get(), None, "the cleanup has only just started");
        sleep(secs(5)).await;
    })
    .unwrap();
    assert_eq!(cleaned.get().map(|at| at - t0), Some(ms(1100)));
}

/// W6: the inner future fails while being cancelled (its `Drop` panics) → that failure
/// reaches the awaiting task instead of the timeout.
#[test]
fn w6_a_panic_while_dropping_the_inner_future_reaches_the_awaiter() {
    let lp = vloop();
    let out = lp
        .block_on(async {
            spawn_local(async {
                timeout(ms(100), async {
                    let _guard = PanicOnDrop("cleanup failed");
                    sleep(secs(10)).await;
                })
                .await
            })
            .await
        })
        .unwrap();
    let payload = out.unwrap_err().into_panic().expect("a panic");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("cleanup failed")
    );
}

/// W7: a future that is already ready succeeds even with a zero or past deadline; a pending
/// one with a zero or past deadline times out on the next turn, without the clock moving.
/// (Unlike asyncio, the body is started: the future is polled once before the deadline is
/// checked, and dropped at its first suspension. A body that only yields once is ready at
/// that next poll and wins, see `timeout.rs`.)
#[test]
fn w7_zero_and_past_deadlines() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let lp = get_running_loop().unwrap();
        assert_eq!(timeout(Duration::ZERO, async { 5 }).await, Ok(5));
        let past = now() - secs(1);
        assert_eq!(timeout_at(past, async { 6 }).await, Ok(6));
        let done = lp.create_future::<i32>();
        done.set_result(7).unwrap();
        assert_eq!(timeout(Duration::ZERO, done).await.unwrap().unwrap(), 7);

        let (started, resumed) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let (s, r) = (started.clone(), resumed.clone());
        let before = lp.turns();
        let out = timeout(Duration::ZERO, async move {
            s.set(true);
            sleep(secs(1)).await;
            r.set(true);
        })
        .await;
        assert_eq!(out, Err(Elapsed));
        assert!(started.get() && !resumed.get());
        assert!(
            lp.turns() - before <= 2,
            "the zero timeout took several turns"
        );

        let dropped = flag();
        let guard = dropped.clone();
        let running = spawn_local(async move {
            let _guard = DropFlag(guard);
            sleep(secs(10)).await;
        });
        yield_now().await;
        assert_eq!(timeout_at(past, running).await.unwrap_err(), Elapsed);
        assert!(turns_until(|| is_set(&dropped), 3).await, "not cancelled");
    })
    .unwrap();
    assert_eq!(lp.time(), t0, "no timer had to be waited for");
}

/// W8: the task running `wait_for(inner_task, 60)` is cancelled → the inner task is
/// cancelled too.
#[test]
fn w8_cancelling_the_task_running_a_timeout_cancels_the_inner_task() {
    let lp = vloop();
    let dropped = flag();
    let after = Rc::new(Cell::new(false));
    lp.block_on(async {
        let (guard, ran) = (dropped.clone(), after.clone());
        let outer = spawn_local(async move {
            let inner = spawn_local(async move {
                let _guard = DropFlag(guard);
                sleep(secs(3600)).await;
                ran.set(true);
            });
            timeout(secs(60), inner).await
        });
        sleep(secs(1)).await;
        assert!(outer.cancel().await.unwrap_err().is_cancelled());
        assert!(
            turns_until(|| is_set(&dropped), 3).await,
            "inner not cancelled"
        );
        sleep(secs(7200)).await;
    })
    .unwrap();
    assert!(!after.get());
}

/// W9, restated: when the inner future finishes in the same turn as the deadline passes, the
/// result wins (the future is polled before the deadline is checked).
#[test]
fn w9_a_result_ready_at_the_deadline_wins() {
    let lp = vloop();
    let t0 = lp.time();
    let out = lp
        .block_on(async {
            let deadline = now() + secs(1);
            let out = timeout_at(deadline, async move {
                sleep_until(deadline).await;
                1
            })
            .await;
            (out, now())
        })
        .unwrap();
    assert_eq!(out.0, Ok(1));
    assert_eq!(out.1 - t0, secs(1));
}
