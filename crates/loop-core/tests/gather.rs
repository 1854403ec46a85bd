//! `join_all` and `try_join_all`: asyncio's `gather` with and without `return_exceptions`
//! (spec §2.4 G1–G4), plus a 10,000-future join that proves per-child wake-ups.
//!
//! Cancellation is Rust's: a cancelled future is dropped at its next suspension point, so
//! "the child is cancelled" means its `Drop` guard ran and the code after its pending `.await`
//! never ran. Timer-driven cases run on the virtual clock, so they are exact and instant.

use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::time::{Duration, Instant};

use loop_core::{
    Elapsed, EventLoop, PromiseError, get_running_loop, join_all, sleep, spawn_local, timeout,
    try_join_all, yield_now,
};

mod common;

use common::{BoxFut, DropFlag, boxed, flag, is_set, now, secs, turns_until, vloop};

/// G1: `gather(a, b, c, d, return_exceptions=True)` with b = 1, c failing, a = 3, d failing
/// gives `[3, 1, errC, errD]` in input order, and is not done until the last child finishes.
#[test]
fn g1_join_all_keeps_every_result_in_input_order_and_waits_for_the_last_child() {
    let lp = vloop();
    let t0 = lp.time();
    let (early, out, done_at) = lp
        .block_on(async {
            let children: Vec<BoxFut<Result<i32, String>>> = vec![
                boxed(async {
                    sleep(secs(2)).await;
                    Ok(3)
                }),
                boxed(async { Ok(1) }),
                boxed(async {
                    yield_now().await;
                    Err("c".to_owned())
                }),
                boxed(async {
                    sleep(secs(10)).await;
                    Err("d".to_owned())
                }),
            ];
            let mut join = pin!(join_all(children));
            // Every child but d has finished by 9 s; the join is still pending.
            let early = timeout(secs(9), join.as_mut()).await;
            let out = join.await;
            (early, out, now())
        })
        .unwrap();
    assert_eq!(
        early,
        Err(Elapsed),
        "the join finished before its last child"
    );
    assert_eq!(
        out,
        [Ok(3), Ok(1), Err("c".to_owned()), Err("d".to_owned())]
    );
    assert_eq!(done_at - t0, secs(10), "done exactly when d finished");
}

/// G2: without `return_exceptions`, the first failure (b's) is the result; the children still
/// running are dropped at that moment, so their later successes or failures change nothing.
#[test]
fn g2_try_join_all_returns_the_first_error_and_drops_the_rest() {
    let lp = vloop();
    let t0 = lp.time();
    let (a_dropped, c_dropped, d_dropped) = (flag(), flag(), flag());
    let (a_done, c_done) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    let (out, failed_at, flags_at_return) = lp
        .block_on(async {
            let (a_flag, c_flag, d_flag) =
                (a_dropped.clone(), c_dropped.clone(), d_dropped.clone());
            let (a_ran, c_ran) = (a_done.clone(), c_done.clone());
            let children: Vec<BoxFut<Result<i32, &str>>> = vec![
                boxed(async move {
                    let _guard = DropFlag(a_flag);
                    sleep(secs(2)).await;
                    a_ran.set(true);
                    Ok(3)
                }),
                boxed(async {
                    sleep(secs(1)).await;
                    Err("b")
                }),
                boxed(async move {
                    let _guard = DropFlag(c_flag);
                    sleep(secs(3)).await;
                    c_ran.set(true);
                    Err("c")
                }),
                boxed(async move {
                    let _guard = DropFlag(d_flag);
                    std::future::pending::<()>().await;
                    Ok(4)
                }),
            ];
            let out = try_join_all(children).await;
            let failed_at = now();
            let flags = (is_set(&a_dropped), is_set(&c_dropped), is_set(&d_dropped));
            // Give the dropped children all the time they would have needed.
            sleep(secs(60)).await;
            (out, failed_at, flags)
        })
        .unwrap();
    assert_eq!(out, Err("b"));
    assert_eq!(failed_at - t0, secs(1), "failed as soon as b failed");
    assert_eq!(
        flags_at_return,
        (true, true, true),
        "the other children were dropped by the time the error was returned"
    );
    assert!(!a_done.get() && !c_done.get(), "a dropped child ran on");
}

/// `try_join_all` with no failure: every value, in input order, whatever the finishing order.
#[test]
fn try_join_all_gives_values_in_input_order() {
    let lp = vloop();
    let out = lp
        .block_on(try_join_all((1..=5u64).map(|i| async move {
            sleep(secs(10 - i)).await;
            Ok::<_, ()>(i)
        })))
        .unwrap();
    assert_eq!(out, Ok(vec![1, 2, 3, 4, 5]));
}

/// G3: one child is cancelled → the join still completes, with the cancellation as that
/// child's result (`PromiseError::Cancelled`), not as a cancellation of the join itself.
#[test]
fn g3_a_cancelled_child_is_a_result_not_a_cancelled_join() {
    let lp = vloop();
    let out = lp
        .block_on(async {
            let lp = get_running_loop().unwrap();
            let promises: Vec<_> = (0..3).map(|_| lp.create_future::<i32>()).collect();
            let (p0, p1, p2) = (
                promises[0].clone(),
                promises[1].clone(),
                promises[2].clone(),
            );
            lp.call_later(secs(1), move || {
                p0.set_result(10).unwrap();
            })
            .unwrap();
            lp.call_later(secs(2), move || {
                assert!(p1.cancel());
            })
            .unwrap();
            lp.call_later(secs(3), move || {
                p2.set_result(30).unwrap();
            })
            .unwrap();
            join_all(promises).await
        })
        .unwrap();
    assert_eq!(out.len(), 3);
    assert!(matches!(out[0], Ok(10)), "{:?}", out[0]);
    assert!(
        matches!(out[1], Err(PromiseError::Cancelled)),
        "{:?}",
        out[1]
    );
    assert!(matches!(out[2], Ok(30)), "{:?}", out[2]);
}

/// G3 without `return_exceptions`: the cancelled child is the failure, and the others are
/// dropped with it.
#[test]
fn g3_try_join_all_fails_with_the_cancellation() {
    let lp = vloop();
    let other_dropped = flag();
    let out = lp
        .block_on({
            let other_dropped = other_dropped.clone();
            async move {
                let lp = get_running_loop().unwrap();
                let cancelled = lp.create_future::<i32>();
                let canceller = cancelled.clone();
                lp.call_later(secs(1), move || {
                    canceller.cancel();
                })
                .unwrap();
                let children: Vec<BoxFut<Result<i32, PromiseError>>> = vec![
                    boxed(async move {
                        let _guard = DropFlag(other_dropped);
                        sleep(secs(3600)).await;
                        Ok(1)
                    }),
                    boxed(cancelled),
                ];
                try_join_all(children).await
            }
        })
        .unwrap();
    assert!(matches!(out, Err(PromiseError::Cancelled)), "{out:?}");
    assert!(is_set(&other_dropped));
}

/// G4: the task awaiting a join is cancelled → both children are dropped, so are the tasks
/// they were awaiting, and no code after any of those awaits runs.
#[test]
fn g4_cancelling_the_awaiting_task_cancels_children_and_what_they_await() {
    let lp = vloop();
    let child_dropped = [flag(), flag()];
    let inner_dropped = [flag(), flag()];
    let ran_after = Rc::new(Cell::new(0));
    lp.block_on(async {
        let children: Vec<_> = (0..2)
            .map(|i| {
                let (child_dropped, inner_dropped) =
                    (child_dropped[i].clone(), inner_dropped[i].clone());
                let (child_after, inner_after) = (ran_after.clone(), ran_after.clone());
                async move {
                    let _guard = DropFlag(child_dropped);
                    let inner = spawn_local(async move {
                        let _guard = DropFlag(inner_dropped);
                        sleep(secs(3600)).await;
                        inner_after.set(inner_after.get() + 1);
                    });
                    let _ = inner.await;
                    child_after.set(child_after.get() + 1);
                }
            })
            .collect();
        let outer = spawn_local(join_all(children));
        let lp = get_running_loop().unwrap();
        // The outer task and both inner tasks are suspended.
        assert!(turns_until(|| lp.live_tasks() == 3, 10).await);
        let out = outer.cancel().await;
        assert!(out.unwrap_err().is_cancelled());
        assert!(
            child_dropped.iter().all(|f| is_set(f)),
            "the children are dropped with the outer task"
        );
        assert!(
            turns_until(|| inner_dropped.iter().all(|f| is_set(f)), 3).await,
            "the inner tasks were not cancelled"
        );
        assert_eq!(lp.live_tasks(), 0);
        sleep(secs(7200)).await;
    })
    .unwrap();
    assert_eq!(ran_after.get(), 0, "code after a cancelled await ran");
}

/// Counts the polls of the future it wraps.
struct Counted<F> {
    future: Pin<Box<F>>,
    polls: Rc<Cell<usize>>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.future.as_mut().poll(cx)
    }
}

/// 10,000 children, each woken by a timer at one of 100 distinct instants: the join completes
/// with every output in order, and each child is polled only when it was woken (twice: once to
/// start, once when its timer fires), far from the n² polls of re-polling every child on every
/// wake-up.
#[test]
fn joining_ten_thousand_futures_polls_each_child_a_bounded_number_of_times() {
    const N: usize = 10_000;
    let lp = vloop();
    let t0 = lp.time();
    let polls: Vec<Rc<Cell<usize>>> = (0..N).map(|_| Rc::new(Cell::new(0))).collect();
    let started = Instant::now();
    let (out, end) = lp
        .block_on(async {
            let children = (0..N).map(|i| Counted {
                future: Box::pin(async move {
                    sleep(Duration::from_millis((i % 100) as u64 + 1)).await;
                    i * 2
                }),
                polls: polls[i].clone(),
            });
            let out = join_all(children).await;
            (out, now())
        })
        .unwrap();
    assert!(out.iter().copied().eq((0..N).map(|i| i * 2)));
    assert_eq!(end - t0, Duration::from_millis(100));
    let total: usize = polls.iter().map(|p| p.get()).sum();
    let most = polls.iter().map(|p| p.get()).max().unwrap();
    assert!(most <= 3, "a child was polled {most} times");
    assert!(
        total <= 3 * N,
        "{total} polls for {N} children: children are re-polled without being woken"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// A child that yields (asyncio's `sleep(0)` inside a gathered coroutine) must let the rest
/// of the loop run: here a task it is waiting for. In asyncio every gathered coroutine is a
/// task, so its `sleep(0)` goes back to the loop. Bounded so that a failure cannot hang.
#[test]
fn a_yielding_child_lets_other_tasks_run() {
    const LIMIT: usize = 100_000;
    let lp = EventLoop::new().unwrap();
    let ready = Rc::new(Cell::new(false));
    let spins = lp
        .block_on(async {
            let setter = ready.clone();
            spawn_local(async move { setter.set(true) }).detach();
            let waiter = async {
                let mut spins = 0;
                while !ready.get() && spins < LIMIT {
                    yield_now().await;
                    spins += 1;
                }
                spins
            };
            join_all([waiter]).await[0]
        })
        .unwrap();
    assert!(
        spins < 10,
        "the child yielded {spins} times without the loop running the other task"
    );
}

/// An empty join is ready at once.
#[test]
fn joining_nothing_is_ready_at_once() {
    let lp = vloop();
    let out = lp.block_on(join_all(Vec::<BoxFut<u8>>::new())).unwrap();
    assert!(out.is_empty());
    let out = lp
        .block_on(try_join_all(Vec::<BoxFut<Result<u8, ()>>>::new()))
        .unwrap();
    assert_eq!(out, Ok(vec![]));
}
