//! Promise: asyncio's Future (spec §2.2, F1–F6), plus many awaiters, cross-thread completion
//! and done-callbacks on a promise that is already done.

use std::cell::RefCell;
use std::error::Error;
use std::io;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use loop_core::{EventLoop, ExceptionContext, PromiseError, sleep, yield_now};

mod common;

use common::{record_reports, turns_until};

/// F1: pending result is an error; set once; later sets and cancel fail.
#[test]
fn f1_result_after_set_result_and_invalid_state_after() {
    let lp = EventLoop::new().unwrap();
    let p = lp.create_future::<i32>();
    assert!(!p.is_done());
    assert!(matches!(p.result(), Err(PromiseError::Pending)));
    p.set_result(42).unwrap();
    assert!(p.is_done());
    assert!(!p.is_cancelled());
    assert_eq!(p.result().unwrap(), 42);
    assert!(p.set_result(43).is_err(), "second set_result accepted");
    assert!(
        p.set_error("late").is_err(),
        "set_error after set_result accepted"
    );
    assert!(!p.cancel(), "cancel of a done promise returned true");
    assert!(!p.is_cancelled());
    assert_eq!(p.result().unwrap(), 42, "a failed set changed the value");
    assert_eq!(lp.block_on(p.clone()).unwrap().unwrap(), 42);
    // The result can be read many times.
    assert_eq!(p.result().unwrap(), 42);
}

/// F2: cancel on a pending promise.
#[test]
fn f2_cancel_a_pending_promise() {
    let lp = EventLoop::new().unwrap();
    let p = lp.create_future::<i32>();
    assert!(p.cancel());
    assert!(p.is_cancelled());
    assert!(p.is_done());
    assert!(matches!(p.result(), Err(PromiseError::Cancelled)));
    assert!(p.set_result(1).is_err());
    assert!(p.set_error("x").is_err());
    assert!(!p.cancel(), "second cancel returned true");
    assert!(p.is_cancelled());
    // An awaiter sees the cancellation, including one that was already waiting.
    let waiting = lp.create_future::<i32>();
    let w = waiting.clone();
    let (direct, from_task) = lp
        .block_on(async {
            let t = lp.spawn(w);
            yield_now().await;
            assert!(waiting.cancel());
            (p.clone().await, t.await.unwrap())
        })
        .unwrap();
    assert!(matches!(direct, Err(PromiseError::Cancelled)));
    assert!(matches!(from_task, Err(PromiseError::Cancelled)));
}

/// F3: done-callbacks never run inside `set_result`; one turn later they ran in order.
#[test]
fn f3_done_callbacks_run_on_the_next_turn_in_registration_order() {
    let lp = EventLoop::new().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let p = lp.create_future::<i32>();
    let l = log.clone();
    p.add_done_callback(move |_| l.lock().unwrap().push(42));
    let l = log.clone();
    p.add_done_callback(move |_| l.lock().unwrap().push(17));
    p.set_result(7).unwrap();
    assert!(
        log.lock().unwrap().is_empty(),
        "a callback ran inside set_result"
    );
    lp.block_on(yield_now()).unwrap();
    assert_eq!(*log.lock().unwrap(), [42, 17]);

    // Same, completed from inside a running loop; callbacks see the outcome.
    let log = Arc::new(Mutex::new(Vec::new()));
    lp.block_on(async {
        let p = lp.create_future::<i32>();
        for tag in 0..3 {
            let l = log.clone();
            p.add_done_callback(move |p| l.lock().unwrap().push((tag, p.result().unwrap())));
        }
        p.set_result(9).unwrap();
        assert!(
            log.lock().unwrap().is_empty(),
            "a callback ran inside set_result"
        );
        yield_now().await;
    })
    .unwrap();
    assert_eq!(*log.lock().unwrap(), [(0, 9), (1, 9), (2, 9)]);
}

/// F4, restated: a callback is removed by the id `add_done_callback` returned.
#[test]
fn f4_remove_done_callback_by_id() {
    let lp = EventLoop::new().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let p = lp.create_future::<()>();
    let ids: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|tag| {
            let l = log.clone();
            p.add_done_callback(move |_| l.lock().unwrap().push(tag))
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    assert!(p.remove_done_callback(ids[1]));
    assert!(!p.remove_done_callback(ids[1]), "removed twice");
    p.set_result(()).unwrap();
    // Once queued, a callback can no longer be removed.
    assert!(!p.remove_done_callback(ids[0]));
    lp.block_on(yield_now()).unwrap();
    assert_eq!(*log.lock().unwrap(), ["a", "c"]);
}

#[derive(Debug)]
struct DiskOnFire;

impl std::fmt::Display for DiskOnFire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk on fire")
    }
}

impl Error for DiskOnFire {}

/// F5, restated: `set_error` stores the error; `result()` and `.await` give it back.
#[test]
fn f5_set_error_stores_the_error() {
    let lp = EventLoop::new().unwrap();
    let p = lp.create_future::<u8>();
    p.set_error(DiskOnFire).unwrap();
    assert!(p.is_done());
    assert!(!p.is_cancelled());
    match p.result() {
        Err(PromiseError::Failed(e)) => {
            assert_eq!(e.to_string(), "disk on fire");
            assert!(e.downcast_ref::<DiskOnFire>().is_some(), "error type lost");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    let awaited = lp.block_on(p.clone()).unwrap();
    let err = awaited.unwrap_err();
    assert_eq!(err.to_string(), "the promise failed: disk on fire");
    assert!(err.source().is_some());
    assert!(p.set_error("again").is_err());
    assert!(p.set_result(1).is_err());

    let q = lp.create_future::<u8>();
    q.set_error(io::Error::new(io::ErrorKind::TimedOut, "too slow"))
        .unwrap();
    let Err(PromiseError::Failed(e)) = q.result() else {
        panic!("not failed")
    };
    assert_eq!(
        e.downcast_ref::<io::Error>().map(io::Error::kind),
        Some(io::ErrorKind::TimedOut)
    );
}

/// F6: a failed promise nobody read is reported when its last clone is dropped.
#[test]
fn f6_an_unread_error_is_reported_on_drop() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    lp.block_on(async {
        let p = lp.create_future::<u8>();
        let clone = p.clone();
        p.set_error("lost error").unwrap();
        drop(p);
        assert!(
            reports.borrow().is_empty(),
            "reported while a clone is alive"
        );
        drop(clone);
        assert!(turns_until(|| !reports.borrow().is_empty(), 3).await);
    })
    .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].message, "Future exception was never retrieved");
    assert_eq!(reports[0].detail.as_deref(), Some("lost error"));
}

/// F6, the other half: reading the error (by `result()` or by awaiting) means no report.
#[test]
fn f6_a_read_error_is_not_reported() {
    let lp = EventLoop::new().unwrap();
    let reports = record_reports(&lp);
    lp.block_on(async {
        let read = lp.create_future::<u8>();
        read.set_error("seen").unwrap();
        assert!(read.result().is_err());
        drop(read);

        let awaited = lp.create_future::<u8>();
        awaited.set_error("awaited").unwrap();
        assert!(awaited.clone().await.is_err());
        drop(awaited);

        // Cancelled and successful promises are never reported.
        let cancelled = lp.create_future::<u8>();
        cancelled.cancel();
        drop(cancelled);
        let fine = lp.create_future::<u8>();
        fine.set_result(1).unwrap();
        drop(fine);
        for _ in 0..3 {
            yield_now().await;
        }
    })
    .unwrap();
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

/// F6 when the last clone is dropped on another thread: reported on the loop's thread.
#[test]
fn f6_an_unread_error_dropped_on_another_thread_reaches_the_loop_handler() {
    let lp = EventLoop::new().unwrap();
    let loop_thread = thread::current().id();
    let reports: Rc<RefCell<Vec<(ExceptionContext, thread::ThreadId)>>> = Rc::default();
    let sink = reports.clone();
    lp.set_exception_handler(move |ctx| {
        sink.borrow_mut()
            .push((ctx.clone(), thread::current().id()))
    });
    let p = lp.create_future::<u8>();
    p.set_error("dropped far away").unwrap();
    let dropper = thread::spawn(move || drop(p));
    lp.block_on(async {
        dropper.join().unwrap();
        assert!(turns_until(|| !reports.borrow().is_empty(), 10).await);
    })
    .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].0.message, "Future exception was never retrieved");
    assert_eq!(reports[0].0.detail.as_deref(), Some("dropped far away"));
    assert_eq!(reports[0].1, loop_thread);
}

#[test]
fn several_tasks_awaiting_one_promise_all_get_the_value() {
    let lp = EventLoop::new().unwrap();
    let p = lp.create_future::<String>();
    let got = lp
        .block_on(async {
            let waiters: Vec<_> = (0..10)
                .map(|i| {
                    let p = p.clone();
                    if i % 2 == 0 {
                        lp.spawn(async move { p.await.unwrap() })
                    } else {
                        lp.spawn_local(async move { p.await.unwrap() })
                    }
                })
                .collect();
            yield_now().await;
            assert!(waiters.iter().all(|w| !w.is_finished()));
            p.set_result(String::from("shared")).unwrap();
            let mut out = Vec::new();
            for w in waiters {
                out.push(w.await.unwrap());
            }
            out.push(p.clone().await.unwrap());
            out
        })
        .unwrap();
    assert_eq!(got.len(), 11);
    assert!(got.iter().all(|s| s == "shared"));
}

/// `set_result` from another thread wakes a loop that is blocked in its poller (the only
/// other wake-up it has is a timer an hour away).
#[test]
fn set_result_from_another_thread_wakes_a_loop_blocked_in_its_poller() {
    let lp = EventLoop::new().unwrap();
    let direct = lp.create_future::<u32>();
    let for_task = lp.create_future::<u32>();
    let (d, t) = (direct.clone(), for_task.clone());
    let setter = thread::spawn(move || {
        // Give the loop time to go to sleep in its poller; correctness does not depend on it.
        thread::sleep(Duration::from_millis(100));
        d.set_result(1).unwrap();
        thread::sleep(Duration::from_millis(100));
        t.set_result(2).unwrap();
    });
    let start = Instant::now();
    let (a, b) = lp
        .block_on(async {
            let far = lp.spawn(sleep(Duration::from_secs(3600)));
            let waiter = lp.spawn(for_task.clone());
            // block_on's own future waits on one promise, a task on the other.
            let a = direct.clone().await.unwrap();
            let b = waiter.await.unwrap().unwrap();
            drop(far);
            (a, b)
        })
        .unwrap();
    setter.join().unwrap();
    assert_eq!((a, b), (1, 2));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the loop was not woken by the other thread ({:?})",
        start.elapsed()
    );
}

/// A done-callback added to a promise that is already done still runs on the loop, later,
/// not inside `add_done_callback`; also when added from another thread.
#[test]
fn add_done_callback_on_a_done_promise_runs_on_the_loop_not_inline() {
    let lp = EventLoop::new().unwrap();
    let loop_thread = thread::current().id();
    let log = Arc::new(Mutex::new(Vec::new()));
    let p = lp.create_future::<u32>();
    p.set_result(5).unwrap();
    let l = log.clone();
    p.add_done_callback(move |p| {
        l.lock()
            .unwrap()
            .push(("here", p.result().unwrap(), thread::current().id()))
    });
    assert!(log.lock().unwrap().is_empty(), "ran inline");
    lp.block_on(async {
        let l = log.clone();
        p.add_done_callback(move |p| {
            l.lock()
                .unwrap()
                .push(("in loop", p.result().unwrap(), thread::current().id()))
        });
        assert_eq!(log.lock().unwrap().len(), 0, "ran inline inside the loop");
        let (p2, l) = (p.clone(), log.clone());
        thread::spawn(move || {
            p2.add_done_callback(move |p| {
                l.lock()
                    .unwrap()
                    .push(("thread", p.result().unwrap(), thread::current().id()))
            });
        })
        .join()
        .unwrap();
        assert!(turns_until(|| log.lock().unwrap().len() == 3, 10).await);
    })
    .unwrap();
    let log = log.lock().unwrap();
    let mut tags: Vec<_> = log.iter().map(|e| e.0).collect();
    tags.sort_unstable();
    assert_eq!(tags, ["here", "in loop", "thread"]);
    assert!(log.iter().all(|e| e.1 == 5));
    assert!(
        log.iter().all(|e| e.2 == loop_thread),
        "a callback ran off the loop thread"
    );
}

/// A cancelled promise runs its done-callbacks too.
#[test]
fn done_callbacks_run_for_a_cancelled_promise() {
    let lp = EventLoop::new().unwrap();
    let seen = Arc::new(Mutex::new(None));
    let p = lp.create_future::<u32>();
    let s = seen.clone();
    p.add_done_callback(move |p| *s.lock().unwrap() = Some(p.is_cancelled()));
    assert!(p.cancel());
    assert!(seen.lock().unwrap().is_none());
    lp.block_on(yield_now()).unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(true));
}

/// Done-callbacks run in the order their promises completed (asyncio: one FIFO of handles),
/// also when the first promise completed while the loop was not running.
#[test]
fn done_callbacks_run_in_completion_order_across_a_loop_start() {
    let lp = EventLoop::new().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let first = lp.create_future::<()>();
    let l = log.clone();
    first.add_done_callback(move |_| l.lock().unwrap().push("first"));
    first.set_result(()).unwrap(); // the loop is not running yet
    lp.block_on(async {
        let second = lp.create_future::<()>();
        let l = log.clone();
        second.add_done_callback(move |_| l.lock().unwrap().push("second"));
        second.set_result(()).unwrap();
        let l = log.clone();
        lp.call_soon(move || l.lock().unwrap().push("call_soon"))
            .unwrap();
        yield_now().await;
    })
    .unwrap();
    assert_eq!(*log.lock().unwrap(), ["first", "second", "call_soon"]);
}
