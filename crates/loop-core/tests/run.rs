//! `run`: asyncio's `asyncio.run` (spec §2.11 K6, K7).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use loop_core::{
    EventLoop, ExceptionContext, RunError, get_running_loop, run, sleep, spawn, yield_now,
};

mod common;

use common::{DropFlag, PanicOnDrop, flag, in_subprocess, is_set, turns_until};

#[test]
fn run_returns_mains_value() {
    assert_eq!(run(async { 42 }).unwrap(), 42);
    assert_eq!(run(async { String::from("main") }).unwrap(), "main");
    // The loop is gone afterwards; another run works on the same thread.
    assert!(get_running_loop().is_err());
    assert_eq!(run(async { 1 }).unwrap(), 1);
}

#[test]
fn run_with_a_main_that_spawns_and_awaits() {
    let total = run(async {
        let tasks: Vec<_> = (1..=5u64)
            .map(|i| {
                spawn(async move {
                    sleep(Duration::from_millis(i)).await;
                    yield_now().await;
                    i * 10
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        let lp = get_running_loop().unwrap();
        total + lp.spawn_local(async { 1 }).await.unwrap()
    })
    .unwrap();
    assert_eq!(total, 151);
}

/// K6: a task left sleeping when main returns is cancelled by `run`: its future is dropped
/// (the guard ran) and the code after its sleep never runs. Also for a task that never ran.
#[test]
fn k6_run_cancels_a_leftover_sleeping_task() {
    let sleeping_dropped = flag();
    let never_polled_dropped = flag();
    let started = flag();
    let woke = flag();
    let begin = Instant::now();
    let out = run({
        let (d, n, s, w) = (
            sleeping_dropped.clone(),
            never_polled_dropped.clone(),
            started.clone(),
            woke.clone(),
        );
        async move {
            spawn(async move {
                let _guard = DropFlag(d);
                s.store(true, Ordering::SeqCst);
                sleep(Duration::from_secs(3600)).await;
                w.store(true, Ordering::SeqCst);
            })
            .detach();
            assert!(turns_until(|| is_set(&started), 10).await);
            // Spawned on the way out: never polled before run closes the loop.
            let guard = DropFlag(n);
            spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(3600)).await;
            })
            .detach();
            assert_eq!(get_running_loop().unwrap().live_tasks(), 2);
            "main done"
        }
    })
    .unwrap();
    assert_eq!(out, "main done");
    assert!(
        is_set(&sleeping_dropped),
        "the leftover task was not cancelled"
    );
    assert!(
        is_set(&never_polled_dropped),
        "the unpolled leftover task was not dropped"
    );
    assert!(!is_set(&woke));
    assert!(
        begin.elapsed() < Duration::from_secs(60),
        "run waited for the sleeper"
    );
}

/// K6 with a task waiting on a promise and one blocked on a never-ready read.
#[test]
fn k6_run_cancels_leftover_tasks_waiting_on_a_promise_or_io() {
    let promise_waiter_dropped = flag();
    let reader_dropped = flag();
    run({
        let (pd, rd) = (promise_waiter_dropped.clone(), reader_dropped.clone());
        async move {
            let lp = get_running_loop().unwrap();
            let p = lp.create_future::<u8>();
            lp.spawn(async move {
                let _guard = DropFlag(pd);
                let _ = p.await;
            })
            .detach();
            let (a, peer) = std::os::unix::net::UnixStream::pair().unwrap();
            lp.spawn(async move {
                let _guard = DropFlag(rd);
                let _peer = peer;
                let a = loop_core::Async::new(a).unwrap();
                let _ = a.readable().await;
            })
            .detach();
            for _ in 0..5 {
                yield_now().await;
            }
        }
    })
    .unwrap();
    assert!(is_set(&promise_waiter_dropped));
    assert!(is_set(&reader_dropped));
}

/// K6, third part (asyncio finalizes async generators even when main raised): when main
/// panics, `run` propagates the panic, and leftover tasks have been dropped by then.
#[test]
fn k6_when_main_panics_run_propagates_it_and_still_drops_leftover_tasks() {
    let dropped = flag();
    let started = flag();
    let (d, s) = (dropped.clone(), started.clone());
    let result = catch_unwind(AssertUnwindSafe(|| {
        run(async move {
            spawn(async move {
                let _guard = DropFlag(d);
                s.store(true, Ordering::SeqCst);
                sleep(Duration::from_secs(3600)).await;
            })
            .detach();
            assert!(turns_until(|| is_set(&started), 10).await);
            panic!("main failed");
        })
    }));
    let payload = result.expect_err("run swallowed main's panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
    assert!(is_set(&dropped), "the leftover task outlived run");
    assert!(get_running_loop().is_err());
    assert_eq!(run(async { 2 }).unwrap(), 2);
}

/// `close` on an `EventLoop` cancels leftovers the same way.
#[test]
fn close_cancels_leftover_tasks() {
    let lp = EventLoop::new().unwrap();
    let dropped = flag();
    let d = dropped.clone();
    lp.spawn(async move {
        let _guard = DropFlag(d);
        sleep(Duration::from_secs(3600)).await;
    })
    .detach();
    lp.block_on(async {
        for _ in 0..3 {
            yield_now().await;
        }
    })
    .unwrap();
    assert!(!is_set(&dropped));
    assert_eq!(lp.live_tasks(), 1);
    lp.close().unwrap();
    assert!(is_set(&dropped));
    assert_eq!(lp.live_tasks(), 0);
    assert!(matches!(lp.block_on(async {}), Err(RunError::Closed)));
}

/// K6, second part: a leftover task whose cancellation fails (its `Drop` panics) is reported
/// to the exception handler; `run` itself still returns main's value.
#[test]
fn k6_a_panic_while_cancelling_a_leftover_task_is_reported_not_propagated() {
    // The scenario may abort the process; run it in a child so only this test fails.
    in_subprocess(
        "k6_a_panic_while_cancelling_a_leftover_task_is_reported_not_propagated",
        k6_panic_while_cancelling_a_leftover_task,
    );
}

fn k6_panic_while_cancelling_a_leftover_task() {
    let reports: Rc<RefCell<Vec<ExceptionContext>>> = Rc::default();
    let sink = reports.clone();
    let started = flag();
    let s = started.clone();
    let result = catch_unwind(AssertUnwindSafe(|| {
        run(async move {
            let lp = get_running_loop().unwrap();
            lp.set_exception_handler(move |ctx| sink.borrow_mut().push(ctx.clone()));
            lp.spawn(async move {
                let _guard = PanicOnDrop("cleanup failed");
                s.store(true, Ordering::SeqCst);
                sleep(Duration::from_secs(3600)).await;
            })
            .detach();
            assert!(turns_until(|| is_set(&started), 10).await);
            7
        })
    }));
    let out = result.expect("run() unwound: the panic in a leftover task's Drop escaped");
    assert_eq!(out.unwrap(), 7);
    let reports = reports.borrow();
    assert!(
        reports
            .iter()
            .any(|r| r.detail.as_deref() == Some("cleanup failed")),
        "not reported to the exception handler: {reports:?}"
    );
}

/// K7: `run` inside a running loop is `Err(RunError::Running)` and main is never polled.
#[test]
fn k7_run_inside_a_running_loop_is_an_error() {
    let inner_ran = flag();
    let ir = inner_ran.clone();
    let (from_main, from_task) = run(async move {
        let ir2 = ir.clone();
        let from_main = run(async move {
            ir.store(true, Ordering::SeqCst);
        });
        let from_task = spawn(async move {
            matches!(
                run(async move { ir2.store(true, Ordering::SeqCst) }),
                Err(RunError::Running)
            )
        })
        .await
        .unwrap();
        (from_main, from_task)
    })
    .unwrap();
    assert!(matches!(from_main, Err(RunError::Running)), "{from_main:?}");
    assert!(from_task, "run inside a task did not give Err(Running)");
    assert!(!is_set(&inner_ran), "the nested main was polled");

    // Also inside EventLoop::block_on, and block_on of a second loop inside a running one.
    let lp = EventLoop::new().unwrap();
    let other = EventLoop::new().unwrap();
    let (nested_run, nested_other, nested_same) = lp
        .block_on(async {
            (
                run(async { 1 }),
                other.block_on(async { 2 }),
                lp.block_on(async { 3 }),
            )
        })
        .unwrap();
    assert!(matches!(nested_run, Err(RunError::Running)));
    assert!(matches!(nested_other, Err(RunError::Running)));
    assert!(matches!(nested_same, Err(RunError::Running)));
    // Both loops are usable afterwards.
    assert_eq!(other.block_on(async { 4 }).unwrap(), 4);
    assert_eq!(lp.block_on(async { 5 }).unwrap(), 5);
    assert!(!RunError::Running.to_string().is_empty());
}
