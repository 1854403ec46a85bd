//! `unblock`: asyncio's `run_in_executor` / `to_thread` (spec §2.11 K4, and F7 restated to
//! what the docs promise: work that has started runs to completion even if its future is
//! dropped).

use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use loop_core::{EventLoop, unblock, yield_now};

/// K4: runs on another thread and returns its value (`to_thread(sum, [40, 2])`).
#[test]
fn k4_unblock_runs_on_another_thread_and_returns_its_value() {
    let lp = EventLoop::new().unwrap();
    let loop_thread = thread::current().id();
    let (sum, worker) = lp
        .block_on(unblock(|| {
            ([40, 2].iter().sum::<i32>(), thread::current().id())
        }))
        .unwrap();
    assert_eq!(sum, 42);
    assert_ne!(worker, loop_thread, "the work ran on the loop thread");

    // The same from inside a spawned task.
    let (sum, worker) = lp
        .block_on(async {
            lp.spawn(async { unblock(|| (6 * 7, thread::current().id())).await })
                .await
                .unwrap()
        })
        .unwrap();
    assert_eq!(sum, 42);
    assert_ne!(worker, loop_thread);
}

/// K4: an exception propagates; here a panic in the closure reaches the awaiting task as
/// `JoinError::Panicked` with the message, and the loop carries on.
#[test]
fn k4_a_panic_in_the_closure_reaches_the_awaiting_task() {
    let lp = EventLoop::new().unwrap();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |ctx| sink.lock().unwrap().push(ctx.clone()));
    let (err, after) = lp
        .block_on(async {
            let t = lp.spawn(async {
                let v: u32 = unblock(|| panic!("pool boom")).await;
                v + 1
            });
            let err = t.await.unwrap_err();
            (err, unblock(|| 5).await)
        })
        .unwrap();
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(err.to_string(), "task panicked: pool boom");
    assert_eq!(after, 5, "the pool or the loop broke after a panic");
    assert!(
        reports.lock().unwrap().is_empty(),
        "a retrieved panic was also reported"
    );
}

/// The loop keeps running while work is on the pool: the closure waits for a message that
/// only a task on the loop sends. (If `unblock` ran inline this would deadlock.)
#[test]
fn unblock_does_not_block_the_loop() {
    let lp = EventLoop::new().unwrap();
    let (tx, rx) = mpsc::channel::<u32>();
    let got = lp
        .block_on(async {
            let work = unblock(move || rx.recv_timeout(Duration::from_secs(30)));
            let sender = lp.spawn(async move {
                yield_now().await;
                tx.send(99).unwrap();
            });
            let got = work.await;
            sender.await.unwrap();
            got
        })
        .unwrap();
    assert_eq!(got, Ok(99));
}

/// F7, restated to the documented contract: once the work has started, dropping its future
/// does not stop it; it runs to completion (its result is dropped).
#[test]
fn f7_started_work_runs_to_completion_after_its_future_is_dropped() {
    let lp = EventLoop::new().unwrap();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<u32>();
    let finished = lp
        .block_on(async {
            let work = unblock(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(Duration::from_secs(30)).unwrap();
                done_tx.send(7).unwrap();
                7u32
            });
            unblock(move || started_rx.recv_timeout(Duration::from_secs(30)))
                .await
                .expect("the work never started");
            drop(work);
            release_tx.send(()).unwrap();
            unblock(move || done_rx.recv_timeout(Duration::from_secs(30))).await
        })
        .unwrap();
    assert_eq!(finished, Ok(7), "started work did not run to completion");
}

/// Completed work's result is returned, for many concurrent calls.
#[test]
fn a_hundred_concurrent_unblock_calls_all_complete() {
    let lp = EventLoop::new().unwrap();
    let results = lp
        .block_on(async {
            let tasks: Vec<_> = (0..100u64)
                .map(|i| {
                    lp.spawn(async move {
                        unblock(move || {
                            thread::sleep(Duration::from_millis(2));
                            i * i
                        })
                        .await
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        })
        .unwrap();
    assert_eq!(results, (0..100u64).map(|i| i * i).collect::<Vec<_>>());
}

/// Several calls really run at the same time: eight closures wait for each other.
#[test]
fn unblock_calls_run_concurrently() {
    const N: usize = 8;
    let lp = EventLoop::new().unwrap();
    let gate = Arc::new((Mutex::new(0usize), Condvar::new()));
    let all_met = lp
        .block_on(async {
            let calls: Vec<_> = (0..N)
                .map(|_| {
                    let gate = gate.clone();
                    unblock(move || {
                        let (count, cv) = &*gate;
                        let mut n = count.lock().unwrap();
                        *n += 1;
                        cv.notify_all();
                        let (n, timeout) = cv
                            .wait_timeout_while(n, Duration::from_secs(30), |n| *n < N)
                            .unwrap();
                        !timeout.timed_out() && *n == N
                    })
                })
                .collect();
            let mut all = true;
            for c in calls {
                all &= c.await;
            }
            all
        })
        .unwrap();
    assert!(all_met, "the pool did not run {N} calls at once");
}
