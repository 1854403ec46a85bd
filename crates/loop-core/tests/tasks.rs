//! Tasks: spawning, awaiting handles, cancellation by drop, ids, names and `current_task`.
//!
//! asyncio cases restated (spec §2.3): T1 (cancel a suspended task), T4 (cancelling a task that
//! awaits another task cancels the inner one), T11 (`current_task` identity), T12 (ids and
//! names). In this crate a cancelled task's future is *dropped* at its next suspension point:
//! its `Drop` guards run and no code after the pending `.await` runs.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use loop_core::{EventLoop, JoinError, TaskBuilder, TaskId, current_task, sleep, yield_now};

mod common;

use common::{DropFlag, flag, is_set, turns_until};

#[test]
fn spawn_result_is_returned_by_awaiting_the_handle() {
    let lp = EventLoop::new().unwrap();
    let out = lp
        .block_on(async {
            let a = lp.spawn(async { 40 + 2 });
            let b = loop_core::spawn(async {
                yield_now().await;
                String::from("from the free fn")
            });
            (a.await, b.await)
        })
        .unwrap();
    assert_eq!(out.0.unwrap(), 42);
    assert_eq!(out.1.unwrap(), "from the free fn");
}

#[test]
fn spawn_local_runs_a_non_send_future() {
    let lp = EventLoop::new().unwrap();
    let shared = Rc::new(RefCell::new(Vec::new()));
    let out = lp
        .block_on(async {
            let s1 = shared.clone();
            let t1 = lp.spawn_local(async move {
                s1.borrow_mut().push(1);
                yield_now().await;
                s1.borrow_mut().push(3);
                Rc::strong_count(&s1)
            });
            let s2 = shared.clone();
            let t2 = loop_core::spawn_local(async move {
                s2.borrow_mut().push(2);
                "local"
            });
            (t1.await.unwrap(), t2.await.unwrap())
        })
        .unwrap();
    assert!(out.0 >= 2);
    assert_eq!(out.1, "local");
    assert_eq!(*shared.borrow(), [1, 2, 3]);
}

#[test]
fn a_handle_can_be_awaited_from_another_task_and_from_another_thread_spawn() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    let remote = std::thread::spawn(move || handle.spawn(async { 7u64 }))
        .join()
        .unwrap();
    let out = lp
        .block_on(async {
            let inner = lp.spawn(async {
                yield_now().await;
                5u64
            });
            let outer = lp.spawn(async move { inner.await.unwrap() * 10 });
            let via_task = lp.spawn(async move { remote.await.unwrap() + 1 });
            (outer.await.unwrap(), via_task.await.unwrap())
        })
        .unwrap();
    assert_eq!(out, (50, 8));
}

/// T1: a task suspended on a pending Promise; dropping its handle drops its future.
#[test]
fn t1_dropping_the_handle_of_a_task_waiting_on_a_promise_drops_its_future() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let guard_dropped = flag();
    let started = flag();
    let after_await = flag();
    let task = {
        let (p, g, s, a) = (
            promise.clone(),
            guard_dropped.clone(),
            started.clone(),
            after_await.clone(),
        );
        lp.spawn(async move {
            let _guard = DropFlag(g);
            s.store(true, Ordering::SeqCst);
            let v = p.await;
            a.store(true, Ordering::SeqCst);
            v
        })
    };
    lp.block_on(async {
        assert!(
            turns_until(|| is_set(&started), 10).await,
            "task never started"
        );
        assert!(!task.is_finished());
        assert_eq!(lp.live_tasks(), 1);
        drop(task);
        // The future is dropped by the loop no later than the next turn.
        assert!(
            turns_until(|| is_set(&guard_dropped), 2).await,
            "the cancelled task's Drop guard did not run"
        );
        assert_eq!(lp.live_tasks(), 0);
        // Completing the promise now must not resume the dropped future.
        promise.set_result(1).unwrap();
        for _ in 0..3 {
            yield_now().await;
        }
    })
    .unwrap();
    assert!(is_set(&guard_dropped));
    assert!(
        !is_set(&after_await),
        "code after the await ran in a cancelled task"
    );
}

/// T1 with `cancel().await` on a task in a long sleep: Err(Cancelled), promptly.
#[test]
fn t1_cancel_await_on_a_sleeping_task_gives_cancelled_and_drops_the_future() {
    let lp = EventLoop::new().unwrap();
    let guard_dropped = flag();
    let started = flag();
    let after_sleep = flag();
    let begin = Instant::now();
    let result = lp
        .block_on(async {
            let (g, s, a) = (guard_dropped.clone(), started.clone(), after_sleep.clone());
            let task = lp.spawn(async move {
                let _guard = DropFlag(g);
                s.store(true, Ordering::SeqCst);
                sleep(Duration::from_secs(3600)).await;
                a.store(true, Ordering::SeqCst);
                "woke up"
            });
            assert!(turns_until(|| is_set(&started), 10).await);
            let out = task.cancel().await;
            // `cancel().await` returns once the future is gone.
            assert!(
                is_set(&guard_dropped),
                "cancel() returned before the future was dropped"
            );
            out
        })
        .unwrap();
    assert!(matches!(result, Err(JoinError::Cancelled)), "{result:?}");
    assert!(result.unwrap_err().is_cancelled());
    assert!(!is_set(&after_sleep));
    assert!(begin.elapsed() < Duration::from_secs(30));
    assert_eq!(lp.live_tasks(), 0);
}

/// T1 for a task that was spawned but never polled: cancelling it drops the future unrun.
#[test]
fn t1_cancel_before_the_first_poll_never_runs_the_body() {
    let lp = EventLoop::new().unwrap();
    let guard_dropped = flag();
    let body_ran = flag();
    let result = lp
        .block_on(async {
            let guard = DropFlag(guard_dropped.clone());
            let ran = body_ran.clone();
            let task = lp.spawn(async move {
                let _guard = guard;
                ran.store(true, Ordering::SeqCst);
            });
            task.cancel().await
        })
        .unwrap();
    assert!(result.unwrap_err().is_cancelled());
    assert!(is_set(&guard_dropped));
    assert!(!is_set(&body_ran));
}

/// T2: a task cancels itself (drops its own handle), then awaits a long sleep. Code up to the
/// next suspension point still runs; the sleep never completes: the future is dropped there.
#[test]
fn t2_a_task_that_drops_its_own_handle_is_dropped_at_its_next_await() {
    let lp = EventLoop::new().unwrap();
    let slot: Rc<RefCell<Option<loop_core::Task<()>>>> = Rc::default();
    let guard_dropped = flag();
    let before_await = flag();
    let after_await = flag();
    let begin = Instant::now();
    let (s, g, b, a) = (
        slot.clone(),
        guard_dropped.clone(),
        before_await.clone(),
        after_await.clone(),
    );
    let task = lp.spawn_local(async move {
        let _guard = DropFlag(g);
        yield_now().await;
        drop(s.borrow_mut().take()); // cancel self
        b.store(true, Ordering::SeqCst);
        sleep(Duration::from_secs(3600)).await;
        a.store(true, Ordering::SeqCst);
    });
    *slot.borrow_mut() = Some(task);
    lp.block_on(async {
        assert!(
            turns_until(|| is_set(&guard_dropped), 10).await,
            "the self-cancelled task was not dropped at its next await"
        );
    })
    .unwrap();
    assert!(
        is_set(&before_await),
        "code before the next suspension point did not run"
    );
    assert!(!is_set(&after_await));
    assert!(begin.elapsed() < Duration::from_secs(30));
    assert_eq!(lp.live_tasks(), 0);
}

/// T7, restated: cancelling the Promise a task awaits does not cancel the task; it resumes
/// with `Err(PromiseError::Cancelled)` and may carry on.
#[test]
fn t7_cancelling_the_awaited_promise_gives_the_task_an_error_value() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let out = lp
        .block_on(async {
            let p = promise.clone();
            let task = lp.spawn(async move {
                match p.await {
                    Err(loop_core::PromiseError::Cancelled) => {
                        yield_now().await;
                        "saw the cancel and carried on"
                    }
                    _ => "something else",
                }
            });
            yield_now().await;
            assert!(promise.cancel());
            task.await
        })
        .unwrap();
    assert_eq!(out.unwrap(), "saw the cancel and carried on");
}

/// T7, second half: the awaited promise completes (the task is woken) and the task is
/// cancelled before it runs again: it ends cancelled and the code after the await never runs.
#[test]
fn t7_cancel_after_the_wakeup_but_before_the_task_runs_still_cancels() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let after_await = flag();
    let guard_dropped = flag();
    let out = lp
        .block_on(async {
            let (p, a, g) = (promise.clone(), after_await.clone(), guard_dropped.clone());
            let task = lp.spawn(async move {
                let _guard = DropFlag(g);
                let v = p.await;
                a.store(true, Ordering::SeqCst);
                v
            });
            yield_now().await;
            yield_now().await;
            promise.set_result(1).unwrap(); // wakes the task; it has not run yet
            task.cancel().await
        })
        .unwrap();
    assert!(out.unwrap_err().is_cancelled());
    assert!(is_set(&guard_dropped));
    assert!(
        !is_set(&after_await),
        "the task resumed after it was cancelled"
    );
}

#[test]
fn cancel_of_an_already_finished_task_returns_its_value() {
    let lp = EventLoop::new().unwrap();
    let out = lp
        .block_on(async {
            let task = lp.spawn(async { 5 });
            assert!(turns_until(|| task.is_finished(), 10).await);
            task.cancel().await
        })
        .unwrap();
    assert_eq!(out.unwrap(), 5);
}

#[test]
fn a_detached_task_finishes_after_its_handle_is_gone() {
    let lp = EventLoop::new().unwrap();
    let input = lp.create_future::<u32>();
    let output = lp.create_future::<u32>();
    let got = lp
        .block_on(async {
            let (i, o) = (input.clone(), output.clone());
            lp.spawn(async move {
                let v = i.await.unwrap();
                sleep(Duration::from_millis(1)).await;
                o.set_result(v * 2).unwrap();
            })
            .detach();
            yield_now().await;
            input.set_result(21).unwrap();
            output.clone().await
        })
        .unwrap();
    assert_eq!(got.unwrap(), 42);
    assert_eq!(lp.live_tasks(), 0);
}

/// T4: the outer task awaits the inner task's handle; cancelling the outer one drops that
/// handle, which cancels the inner task (and drops its wait on the promise).
#[test]
fn t4_cancelling_a_task_that_awaits_another_task_cancels_the_inner_task() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let inner_dropped = flag();
    let outer_dropped = flag();
    let inner_started = flag();
    let inner_after = flag();
    let outer_after = flag();
    lp.block_on(async {
        let inner = {
            let (p, d, s, a) = (
                promise.clone(),
                inner_dropped.clone(),
                inner_started.clone(),
                inner_after.clone(),
            );
            lp.spawn(async move {
                let _guard = DropFlag(d);
                s.store(true, Ordering::SeqCst);
                let v = p.await;
                a.store(true, Ordering::SeqCst);
                v
            })
        };
        let (d, a) = (outer_dropped.clone(), outer_after.clone());
        let outer = lp.spawn(async move {
            let _guard = DropFlag(d);
            let v = inner.await;
            a.store(true, Ordering::SeqCst);
            v
        });
        assert!(turns_until(|| is_set(&inner_started), 10).await);
        assert_eq!(lp.live_tasks(), 2);
        assert!(outer.cancel().await.unwrap_err().is_cancelled());
        assert!(is_set(&outer_dropped));
        assert!(
            turns_until(|| is_set(&inner_dropped), 5).await,
            "the inner task was not cancelled with the task awaiting it"
        );
        assert_eq!(lp.live_tasks(), 0);
        // Nobody waits on the promise any more; completing it resumes nothing.
        promise.set_result(3).unwrap();
        for _ in 0..3 {
            yield_now().await;
        }
    })
    .unwrap();
    assert!(!is_set(&inner_after));
    assert!(!is_set(&outer_after));
}

/// The counterpart of T4 (asyncio's `shield` idiom): when the handle is kept elsewhere and the
/// awaiter only polls it by reference, cancelling the awaiter leaves the inner task running.
#[test]
fn t4_a_task_awaited_by_reference_survives_cancellation_of_its_awaiter() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let inner_dropped = flag();
    let out = lp
        .block_on(async {
            let (p, d) = (promise.clone(), inner_dropped.clone());
            let kept = Rc::new(RefCell::new(lp.spawn(async move {
                let _guard = DropFlag(d);
                p.await.unwrap() + 1
            })));
            let k = kept.clone();
            let waiter = lp.spawn_local(async move {
                std::future::poll_fn(|cx| Pin::new(&mut *k.borrow_mut()).poll(cx)).await
            });
            yield_now().await;
            yield_now().await;
            assert!(!waiter.is_finished());
            assert!(waiter.cancel().await.unwrap_err().is_cancelled());
            for _ in 0..3 {
                yield_now().await;
            }
            assert!(
                !is_set(&inner_dropped),
                "the inner task died with its awaiter"
            );
            promise.set_result(9).unwrap();
            let task = Rc::try_unwrap(kept).ok().unwrap().into_inner();
            task.await.unwrap()
        })
        .unwrap();
    assert_eq!(out, 10);
    assert!(is_set(&inner_dropped));
}

/// T11: `current_task` is the task being polled, across interleaved tasks; None elsewhere.
#[test]
fn t11_current_task_identity_across_interleaved_tasks() {
    assert!(current_task().is_none(), "current_task outside any loop");
    let lp = EventLoop::new().unwrap();
    type Log = Rc<RefCell<Vec<(char, Option<TaskId>)>>>;
    let log: Log = Rc::default();
    let (a_id, b_id, in_main, in_callback) = lp
        .block_on(async {
            let make = |tag: char| {
                let log = log.clone();
                lp.spawn_local(async move {
                    for _ in 0..3 {
                        log.borrow_mut().push((tag, current_task().map(|t| t.id())));
                        yield_now().await;
                    }
                    log.borrow_mut().push((tag, current_task().map(|t| t.id())));
                })
            };
            let a = make('a');
            let b = make('b');
            let (a_id, b_id) = (a.id(), b.id());
            let seen_in_callback = Rc::new(Cell::new(Some(a_id)));
            let sink = seen_in_callback.clone();
            lp.call_soon(move || sink.set(current_task().map(|t| t.id())))
                .unwrap();
            let in_main = current_task();
            a.await.unwrap();
            b.await.unwrap();
            (a_id, b_id, in_main, seen_in_callback.get())
        })
        .unwrap();
    assert!(in_main.is_none(), "current_task in block_on's own future");
    assert!(
        in_callback.is_none(),
        "current_task in a call_soon callback"
    );
    assert!(
        current_task().is_none(),
        "current_task after the loop stopped"
    );
    let log = log.borrow();
    assert_eq!(log.len(), 8);
    for (tag, id) in log.iter() {
        let want = if *tag == 'a' { a_id } else { b_id };
        assert_eq!(*id, Some(want), "wrong current_task in task {tag}");
    }
    // The two tasks really interleaved.
    let tags: String = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, "abababab");
}

/// T12: ids increase from 1 per loop; Display is `Task-N` or the given name.
#[test]
fn t12_ids_increase_and_names_display() {
    let lp = EventLoop::new().unwrap();
    let t1 = lp.spawn_local(async {});
    let t2 = lp.spawn(async {});
    let named = TaskBuilder::new()
        .name("fetcher")
        .spawn_local(&lp, async { current_task().unwrap() });
    let named_send = TaskBuilder::new()
        .name(String::from("sender"))
        .spawn(&lp, async { current_task().unwrap().to_string() });
    let t5 = lp.spawn_local(async { current_task().unwrap().to_string() });

    assert_eq!(t1.id().as_u64(), 1, "ids start at 1 on a new loop");
    assert_eq!(t1.info().to_string(), "Task-1");
    assert_eq!(t2.info().to_string(), "Task-2");
    assert_eq!(t1.info().name(), None);
    let ids = [t1.id(), t2.id(), named.id(), named_send.id(), t5.id()];
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(named.info().name(), Some("fetcher"));
    assert_eq!(named.info().to_string(), "fetcher");
    assert_eq!(t5.info().to_string(), format!("Task-{}", t5.id()));
    assert_eq!(t5.id().to_string(), "5");

    let named_id = named.id();
    let (inside_named, inside_send, inside_t5) = lp
        .block_on(async {
            t1.await.unwrap();
            t2.await.unwrap();
            (
                named.await.unwrap(),
                named_send.await.unwrap(),
                t5.await.unwrap(),
            )
        })
        .unwrap();
    assert_eq!(inside_named.id(), named_id);
    assert_eq!(inside_named.name(), Some("fetcher"));
    assert_eq!(inside_send, "sender");
    assert_eq!(inside_t5, "Task-5");

    // A second loop numbers its tasks from 1 again.
    let other = EventLoop::new().unwrap();
    assert_eq!(other.spawn_local(async {}).info().to_string(), "Task-1");
}

#[test]
fn live_tasks_counts_spawned_finished_and_cancelled_tasks() {
    let lp = EventLoop::new().unwrap();
    assert_eq!(lp.live_tasks(), 0);
    let promise = lp.create_future::<()>();
    let quick = lp.spawn(async { 1 });
    let p = promise.clone();
    let waiting = lp.spawn(async move { p.await.is_ok() });
    let sleeper = lp.spawn(sleep(Duration::from_secs(3600)));
    let p = promise.clone();
    lp.spawn(async move {
        let _ = p.await;
    })
    .detach();
    assert_eq!(lp.live_tasks(), 4, "spawned but not yet run");
    lp.block_on(async {
        // A finished task stops counting even before its handle is awaited.
        assert!(turns_until(|| quick.is_finished(), 10).await);
        assert_eq!(lp.live_tasks(), 3);
        assert!(sleeper.cancel().await.unwrap_err().is_cancelled());
        assert_eq!(lp.live_tasks(), 2);
        promise.set_result(()).unwrap();
        assert!(waiting.await.unwrap());
        assert!(turns_until(|| lp.live_tasks() == 0, 10).await);
        assert_eq!(quick.await.unwrap(), 1);
    })
    .unwrap();
    assert_eq!(lp.live_tasks(), 0);
}

#[test]
fn is_finished_tracks_completion() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u8>();
    let p = promise.clone();
    let task = lp.spawn(async move { p.await.unwrap() });
    assert!(!task.is_finished(), "finished before it ran");
    lp.block_on(async {
        for _ in 0..3 {
            yield_now().await;
        }
        assert!(
            !task.is_finished(),
            "finished while waiting on a pending promise"
        );
        promise.set_result(8).unwrap();
        assert!(turns_until(|| task.is_finished(), 10).await);
    })
    .unwrap();
    assert!(task.is_finished());
    assert_eq!(lp.block_on(task).unwrap().unwrap(), 8);
}

/// A task spawned on a closed loop is cancelled at once: its future is dropped unrun.
#[test]
fn spawning_on_a_closed_loop_gives_a_cancelled_task() {
    let lp = EventLoop::new().unwrap();
    lp.close().unwrap();
    let guard_dropped = flag();
    let ran = flag();
    let guard = DropFlag(guard_dropped.clone());
    let r = ran.clone();
    let task = lp.spawn(async move {
        let _guard = guard;
        r.store(true, Ordering::SeqCst);
    });
    assert!(is_set(&guard_dropped));
    let out = futures_lite::future::block_on(task);
    assert!(out.unwrap_err().is_cancelled());
    assert!(!is_set(&ran));
    assert_eq!(lp.live_tasks(), 0);
}
