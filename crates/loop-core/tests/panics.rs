//! Panics: in tasks (awaited, detached, handle dropped late), in `block_on`'s own future, and
//! in a task's `Drop` while it is being cancelled.
//!
//! asyncio's analogue is an exception escaping a task: the awaiter re-raises it, and a task
//! exception nobody retrieves is logged as "Task exception was never retrieved".

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use loop_core::{EventLoop, JoinError, TaskBuilder, get_running_loop, sleep, yield_now};

mod common;

use common::{PanicOnDrop, in_subprocess, record_reports, turns_until};

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("<non-string payload>")
    }
}

#[test]
fn a_panicking_task_gives_its_awaiter_join_error_panicked_and_the_loop_survives() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    let ticks = Arc::new(AtomicUsize::new(0));
    let (err_str, err_string, bystander) = lp
        .block_on(async {
            let t = ticks.clone();
            let bystander = lp.spawn(async move {
                for _ in 0..10 {
                    t.fetch_add(1, Ordering::SeqCst);
                    yield_now().await;
                }
                "bystander done"
            });
            let a = lp.spawn(async {
                yield_now().await;
                panic!("boom 1");
            });
            let b = lp.spawn_local(async {
                let n = 2;
                yield_now().await;
                panic!("boom {n}");
            });
            let ea: Result<(), JoinError> = a.await;
            let eb: Result<(), JoinError> = b.await;
            (ea.unwrap_err(), eb.unwrap_err(), bystander.await)
        })
        .unwrap();
    assert!(err_str.is_panic());
    assert!(!err_str.is_cancelled());
    assert_eq!(err_str.to_string(), "task panicked: boom 1");
    assert_eq!(payload_text(&*err_str.into_panic().unwrap()), "boom 1");
    assert!(matches!(err_string, JoinError::Panicked(_)));
    assert_eq!(err_string.to_string(), "task panicked: boom 2");
    assert_eq!(bystander.unwrap(), "bystander done");
    assert_eq!(ticks.load(Ordering::SeqCst), 10);
    assert!(
        reports.borrow().is_empty(),
        "an awaited panic was also reported: {:?}",
        reports.borrow()
    );
    // The loop still runs.
    assert_eq!(lp.block_on(lp.spawn(async { 3 })).unwrap().unwrap(), 3);
    assert_eq!(lp.live_tasks(), 0);
}

#[test]
fn a_panicking_detached_task_is_reported_as_never_retrieved() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    let task = TaskBuilder::new().name("doomed").spawn(&lp, async {
        yield_now().await;
        panic!("kaboom");
    });
    let info = task.info().clone();
    task.detach();
    let after = lp
        .block_on(async {
            assert!(
                turns_until(|| !reports.borrow().is_empty(), 10).await,
                "no report for a panicking detached task"
            );
            // The loop keeps going after the report.
            lp.spawn(async { "still alive" }).await.unwrap()
        })
        .unwrap();
    assert_eq!(after, "still alive");
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let ctx = &reports[0];
    assert_eq!(ctx.message, "Task exception was never retrieved");
    assert_eq!(ctx.detail.as_deref(), Some("kaboom"));
    let task = ctx.task.as_ref().expect("report names the task");
    assert_eq!(task.id(), info.id());
    assert_eq!(task.name(), Some("doomed"));
    assert_eq!(task.to_string(), "doomed");
}

#[test]
fn dropping_the_handle_of_a_task_that_already_panicked_reports_it() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    lp.block_on(async {
        let task = lp.spawn(async {
            panic!("late {}", "drop");
        });
        let id = task.id();
        assert!(turns_until(|| task.is_finished(), 10).await);
        assert!(
            reports.borrow().is_empty(),
            "reported while the handle could still read it"
        );
        drop(task);
        assert!(
            turns_until(|| !reports.borrow().is_empty(), 3).await,
            "dropping the handle of a panicked task reported nothing"
        );
        let reports = reports.borrow();
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].message, "Task exception was never retrieved");
        assert_eq!(reports[0].detail.as_deref(), Some("late drop"));
        assert_eq!(reports[0].task.as_ref().map(|t| t.id()), Some(id));
    })
    .unwrap();
}

#[test]
fn a_panic_in_block_on_propagates_and_the_loop_can_run_again() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let p = promise.clone();
    let survivor = lp.spawn(async move { p.await.unwrap() * 2 });
    let caught = catch_unwind(AssertUnwindSafe(|| {
        lp.block_on(async {
            yield_now().await;
            panic!("main boom");
        })
    }));
    let payload = caught.expect_err("block_on swallowed its future's panic");
    assert_eq!(payload_text(&*payload), "main boom");
    assert!(!lp.is_running(), "still marked running after the unwind");
    assert!(
        get_running_loop().is_err(),
        "still the running loop after the unwind"
    );
    assert!(!lp.is_closed());
    // Same loop, again: a task spawned before the panic still completes.
    let out = lp
        .block_on(async {
            promise.set_result(21).unwrap();
            survivor.await.unwrap()
        })
        .unwrap();
    assert_eq!(out, 42);
    assert_eq!(lp.block_on(async { 1 }).unwrap(), 1);
}

/// Dropping the handle cancels the task; its `Drop` guard panics. The loop must carry on and
/// the panic must reach the exception handler.
#[test]
fn a_panic_in_drop_during_cancellation_by_handle_drop_does_not_take_the_loop_down() {
    in_subprocess(
        "a_panic_in_drop_during_cancellation_by_handle_drop_does_not_take_the_loop_down",
        panic_in_drop_by_handle_drop,
    );
}

fn panic_in_drop_by_handle_drop() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    let promise = lp.create_future::<()>();
    let started = Arc::new(AtomicBool::new(false));
    let out = lp
        .block_on(async {
            let (p, s) = (promise.clone(), started.clone());
            let doomed = lp.spawn(async move {
                let _guard = PanicOnDrop("drop boom");
                s.store(true, Ordering::SeqCst);
                let _ = p.await;
            });
            let bystander = lp.spawn(async {
                for _ in 0..5 {
                    yield_now().await;
                }
                "bystander done"
            });
            assert!(turns_until(|| started.load(Ordering::SeqCst), 10).await);
            drop(doomed);
            assert!(
                turns_until(|| !reports.borrow().is_empty(), 5).await,
                "the panic in Drop was not reported"
            );
            bystander.await.unwrap()
        })
        .unwrap();
    assert_eq!(out, "bystander done");
    {
        let reports = reports.borrow();
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].detail.as_deref(), Some("drop boom"));
    }
    assert_eq!(lp.live_tasks(), 0);
    assert_eq!(lp.block_on(async { 5 }).unwrap(), 5);
}

/// Same, through `cancel().await`: it must return (Cancelled, or the panic) rather than hang.
#[test]
fn a_panic_in_drop_during_cancel_await_does_not_hang_the_canceller() {
    in_subprocess(
        "a_panic_in_drop_during_cancel_await_does_not_hang_the_canceller",
        panic_in_drop_by_cancel_await,
    );
}

fn panic_in_drop_by_cancel_await() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    let started = Arc::new(AtomicBool::new(false));
    let outcome = lp
        .block_on(async {
            let s = started.clone();
            let doomed = lp.spawn(async move {
                let _guard = PanicOnDrop("drop boom in cancel");
                s.store(true, Ordering::SeqCst);
                sleep(Duration::from_secs(3600)).await;
            });
            assert!(turns_until(|| started.load(Ordering::SeqCst), 10).await);
            let cancel = async { Some(doomed.cancel().await) };
            let timeout = async {
                sleep(Duration::from_secs(5)).await;
                None
            };
            futures_lite::future::or(cancel, timeout).await
        })
        .unwrap();
    let result = outcome.expect("cancel().await never returned after the future's Drop panicked");
    assert!(result.is_err(), "{result:?}");
    assert!(
        reports
            .borrow()
            .iter()
            .any(|r| r.detail.as_deref() == Some("drop boom in cancel")),
        "{:?}",
        reports.borrow()
    );
    assert_eq!(lp.block_on(async { 6 }).unwrap(), 6);
}
