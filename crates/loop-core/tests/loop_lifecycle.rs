//! The loop's lifecycle, from outside the crate: starting, stopping, nesting and closing
//! (asyncio spec §2.1 L1, L8–L11, and `asyncio.run`'s shutdown from §2.11 K6/K7).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use loop_core::{EventLoop, RunError, get_running_loop, sleep, yield_now};

mod common;

use common::{DropFlag, flag, is_set};

/// L1: `call_soon(cb, 'hello', 'world')`, then `run_forever` where cb calls `stop()`.
#[test]
fn l1_callback_runs_once_with_its_arguments_and_stops_the_loop() {
    let lp = EventLoop::new().unwrap();
    let calls = Rc::new(RefCell::new(Vec::new()));
    let (sink, stopper) = (calls.clone(), (*lp).clone());
    let (first, second) = ("hello", "world");
    lp.call_soon(move || {
        sink.borrow_mut().push((first, second));
        stopper.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*calls.borrow(), [("hello", "world")]);
    assert!(!lp.is_running());
}

/// L8: `stop()` before `run_forever()`: one turn that polls without blocking, then return.
#[test]
fn l8_stop_before_run_forever_returns_after_exactly_one_turn() {
    let lp = EventLoop::new().unwrap();
    // A far timer: if the pre-stopped turn blocked until the next deadline, we would see it.
    let late = Rc::new(Cell::new(false));
    let late_flag = late.clone();
    let far = lp
        .call_later(Duration::from_secs(30), move || late_flag.set(true))
        .unwrap();
    let before = lp.turns();
    lp.stop();
    let start = Instant::now();
    lp.run_forever().unwrap();
    assert_eq!(
        lp.turns() - before,
        1,
        "a pre-stopped run_forever runs one turn"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the pre-stopped turn must not block in the poller (took {:?})",
        start.elapsed()
    );
    assert!(!late.get());
    far.cancel();
    // The stop request was consumed: the next run does not return before its own stop.
    let ran = Rc::new(Cell::new(0));
    let (counter, stopper) = (ran.clone(), (*lp).clone());
    lp.call_soon(move || {
        counter.set(counter.get() + 1);
        stopper.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(ran.get(), 1);
}

/// L9: a callback calls `stop()` and schedules B: `run_forever` returns after the current
/// batch without running B; the next `run_forever` runs B first.
#[test]
fn l9_stop_ends_the_batch_and_defers_callbacks_it_scheduled() {
    let lp = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let (sink, inner) = (log.clone(), (*lp).clone());
    lp.call_soon(move || {
        sink.borrow_mut().push("A");
        inner.stop();
        let sink = sink.clone();
        inner
            .call_soon(move || sink.borrow_mut().push("B"))
            .unwrap();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        *log.borrow(),
        ["A"],
        "B was scheduled during the batch: it must wait"
    );

    let (sink, stopper) = (log.clone(), (*lp).clone());
    lp.call_soon(move || {
        sink.borrow_mut().push("C");
        stopper.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["A", "B", "C"], "the next run starts with B");
}

/// L10: `block_on(t)` where t calls `stop()` mid-way: `Err(Stopped)` and t is not finished;
/// the loop can be run again and then t completes.
#[test]
fn l10_stop_inside_block_on_gives_stopped_and_leaves_the_task_pending() {
    let lp = EventLoop::new().unwrap();
    let inner = (*lp).clone();
    let progress = Rc::new(Cell::new(0));
    let step = progress.clone();
    let mut task = lp.spawn_local(async move {
        step.set(1);
        inner.stop();
        yield_now().await;
        step.set(2);
        "finished"
    });
    let out = lp.block_on(&mut task);
    assert!(
        matches!(out, Err(RunError::Stopped)),
        "expected Err(Stopped), got {out:?}"
    );
    assert_eq!(progress.get(), 1, "the task stopped the loop mid-way");
    assert!(!task.is_finished());
    assert!(!lp.is_running());

    // The loop is not broken: running it again lets the task finish.
    assert_eq!(lp.block_on(&mut task).unwrap().unwrap(), "finished");
    assert_eq!(progress.get(), 2);
}

/// L10, timed variant: a task sleeping when the loop is stopped stays unfinished.
#[test]
fn l10_stopped_block_on_does_not_wait_for_a_sleeping_task() {
    let lp = EventLoop::new().unwrap();
    let inner = (*lp).clone();
    let mut task = lp.spawn_local(async move {
        inner.stop();
        sleep(Duration::from_secs(3600)).await;
    });
    let start = Instant::now();
    assert!(matches!(lp.block_on(&mut task), Err(RunError::Stopped)));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(!task.is_finished());
}

/// L11: after `close()`, running or scheduling fails; `close` again is fine.
#[test]
fn l11_closed_loop_refuses_to_run_or_schedule() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    lp.close().unwrap();
    assert!(lp.is_closed());
    assert!(handle.is_closed());

    assert!(matches!(lp.run_forever(), Err(RunError::Closed)));
    assert!(matches!(lp.block_on(async { 1 }), Err(RunError::Closed)));
    assert!(lp.call_soon(|| panic!("must not run")).is_err());
    assert!(
        lp.call_later(Duration::ZERO, || panic!("must not run"))
            .is_err()
    );
    assert!(lp.call_at(lp.time(), || panic!("must not run")).is_err());
    assert!(lp.call_soon_threadsafe(|| panic!("must not run")).is_err());
    assert!(
        handle
            .call_soon_threadsafe(|| panic!("must not run"))
            .is_err()
    );
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    assert!(lp.add_reader(a, || panic!("must not run")).is_err());

    // Spawning gives a task that is already cancelled, and its future is dropped at once.
    let dropped = flag();
    let guard = DropFlag(dropped.clone());
    let task = lp.spawn(async move {
        let _guard = guard;
        7
    });
    assert!(
        is_set(&dropped),
        "the future of a task spawned on a closed loop is dropped"
    );
    assert!(task.is_finished());
    let out = futures_lite::future::block_on(task);
    assert!(out.as_ref().is_err_and(|e| e.is_cancelled()), "got {out:?}");

    let local = lp.spawn_local(async { 8 });
    assert!(futures_lite::future::block_on(local).is_err_and(|e| e.is_cancelled()));

    let from_thread = std::thread::spawn(move || handle.spawn(async { 9 }))
        .join()
        .unwrap();
    assert!(futures_lite::future::block_on(from_thread).is_err_and(|e| e.is_cancelled()));

    lp.close().unwrap();
    assert!(lp.is_closed());
}

/// L11: `close()` from inside the running loop is refused and leaves the loop open.
#[test]
fn l11_close_inside_the_running_loop_is_refused() {
    let lp = EventLoop::new().unwrap();
    let inner = lp.block_on(async { lp.close() }).unwrap();
    assert!(
        matches!(inner, Err(RunError::Running)),
        "expected Err(Running), got {inner:?}"
    );
    assert!(!lp.is_closed());
    assert_eq!(lp.block_on(async { 5 }).unwrap(), 5, "the loop still works");
    lp.close().unwrap();
    lp.close().unwrap();
    assert!(lp.is_closed());
}

#[test]
fn get_running_loop_only_inside_a_running_loop() {
    assert!(get_running_loop().is_err());
    let lp = EventLoop::new().unwrap();
    assert!(
        get_running_loop().is_err(),
        "creating a loop does not make it running"
    );

    // Inside block_on: the running loop is this one (work queued on it runs here).
    let ran = lp
        .block_on(async {
            let running = get_running_loop().expect("a loop is running");
            assert!(running.is_running());
            let ran = Rc::new(Cell::new(false));
            let flag = ran.clone();
            running.call_soon(move || flag.set(true)).unwrap();
            yield_now().await;
            yield_now().await;
            ran.get()
        })
        .unwrap();
    assert!(ran);

    // Inside a callback under run_forever.
    let seen = Rc::new(Cell::new(false));
    let sink = seen.clone();
    lp.call_soon(move || {
        let running = get_running_loop().expect("a loop is running in a callback");
        sink.set(running.is_running());
        running.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert!(seen.get());

    assert!(
        get_running_loop().is_err(),
        "nothing runs after run_forever returned"
    );
}

#[test]
fn nested_runs_are_refused() {
    let lp = EventLoop::new().unwrap();
    let other = EventLoop::new().unwrap();
    let (nested, forever, foreign, run) = lp
        .block_on(async {
            (
                lp.block_on(async { 1 }),
                lp.run_forever(),
                other.block_on(async { 2 }),
                loop_core::run(async { 3 }),
            )
        })
        .unwrap();
    assert!(matches!(nested, Err(RunError::Running)), "{nested:?}");
    assert!(matches!(forever, Err(RunError::Running)), "{forever:?}");
    assert!(
        matches!(foreign, Err(RunError::Running)),
        "one loop runs per thread at a time: {foreign:?}"
    );
    assert!(matches!(run, Err(RunError::Running)), "{run:?}");
    // Neither loop was damaged by the refused attempts.
    assert_eq!(lp.block_on(async { 4 }).unwrap(), 4);
    assert_eq!(other.block_on(async { 5 }).unwrap(), 5);
}

#[test]
fn is_running_and_is_closed_follow_the_lifecycle() {
    let lp = EventLoop::new().unwrap();
    assert!(!lp.is_running());
    assert!(!lp.is_closed());
    let inner = (*lp).clone();
    let (running, closed) = lp
        .block_on(async move { (inner.is_running(), inner.is_closed()) })
        .unwrap();
    assert!(running);
    assert!(!closed);
    assert!(!lp.is_running());

    let seen = Rc::new(Cell::new(false));
    let (sink, inner) = (seen.clone(), (*lp).clone());
    lp.call_soon(move || {
        sink.set(inner.is_running());
        inner.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert!(seen.get(), "is_running inside run_forever");
    assert!(!lp.is_running());

    // A stopped block_on also leaves the loop not running.
    let inner = (*lp).clone();
    assert!(matches!(
        lp.block_on(async move {
            inner.stop();
            std::future::pending::<()>().await
        }),
        Err(RunError::Stopped)
    ));
    assert!(!lp.is_running());

    let keep = (*lp).clone();
    lp.close().unwrap();
    assert!(lp.is_closed());
    assert!(keep.is_closed(), "every Loop reference sees the close");
    assert!(!lp.is_running());
}

/// Closing cancels every task left: started ones (suspended on a timer or forever) and ones
/// that never ran. Their futures are dropped during `close`, so their guards run.
#[test]
fn close_cancels_leftover_tasks() {
    let lp = EventLoop::new().unwrap();
    let (pending_dropped, sleeping_dropped, unstarted_dropped) = (flag(), flag(), flag());
    let (g1, g2, g3) = (
        DropFlag(pending_dropped.clone()),
        DropFlag(sleeping_dropped.clone()),
        DropFlag(unstarted_dropped.clone()),
    );
    let started = Rc::new(Cell::new(0));
    let (s1, s2) = (started.clone(), started.clone());
    let pending = lp.spawn_local(async move {
        let _guard = g1;
        s1.set(s1.get() + 1);
        std::future::pending::<()>().await;
    });
    let sleeping = lp.spawn(async move {
        let _guard = g2;
        sleep(Duration::from_secs(3600)).await;
    });
    lp.spawn_local(async move {
        s2.set(s2.get() + 1);
    })
    .detach();
    // One turn: the first tasks start and suspend.
    lp.block_on(async {
        yield_now().await;
        yield_now().await;
    })
    .unwrap();
    assert_eq!(started.get(), 2);
    assert!(!pending.is_finished());
    assert!(!sleeping.is_finished());

    let unstarted = lp.spawn(async move {
        let _guard = g3;
        std::future::pending::<()>().await;
    });
    let callback_dropped = flag();
    let callback_guard = DropFlag(callback_dropped.clone());
    lp.call_later(Duration::from_secs(3600), move || drop(callback_guard))
        .unwrap();
    assert_eq!(lp.live_tasks(), 3);
    assert!(!is_set(&pending_dropped) && !is_set(&sleeping_dropped));

    lp.close().unwrap();

    assert!(
        is_set(&pending_dropped),
        "a suspended task is cancelled by close"
    );
    assert!(
        is_set(&sleeping_dropped),
        "a sleeping task is cancelled by close"
    );
    assert!(
        is_set(&unstarted_dropped),
        "a queued task is cancelled by close"
    );
    assert!(
        is_set(&callback_dropped),
        "a pending timer callback is dropped by close"
    );
    assert_eq!(lp.live_tasks(), 0);
    for task in [pending, sleeping] {
        assert!(task.is_finished());
        assert!(futures_lite::future::block_on(task).is_err_and(|e| e.is_cancelled()));
    }
    assert!(futures_lite::future::block_on(unstarted).is_err_and(|e| e.is_cancelled()));
}

/// Dropping the `EventLoop` closes it, with the same cancellation.
#[test]
fn dropping_the_loop_cancels_leftover_tasks() {
    let dropped = flag();
    let guard = DropFlag(dropped.clone());
    let lp = EventLoop::new().unwrap();
    let task = lp.spawn(async move {
        let _guard = guard;
        sleep(Duration::from_secs(3600)).await;
    });
    lp.block_on(yield_now()).unwrap();
    assert!(!is_set(&dropped));
    drop(lp);
    assert!(is_set(&dropped));
    assert!(futures_lite::future::block_on(task).is_err_and(|e| e.is_cancelled()));
}

/// `run` (asyncio.run): a detached task left sleeping when main returns is cancelled (its
/// guard is dropped) and `run` does not wait for its timer.
#[test]
fn run_cancels_a_detached_sleeping_task() {
    let (started, finished, dropped) = (flag(), flag(), flag());
    let (started_in, finished_in) = (started.clone(), finished.clone());
    let guard = DropFlag(dropped.clone());
    let begin = Instant::now();
    let out = loop_core::run(async move {
        let lp = get_running_loop().unwrap();
        lp.spawn(async move {
            let _guard = guard;
            started_in.store(true, Ordering::SeqCst);
            sleep(Duration::from_secs(3600)).await;
            finished_in.store(true, Ordering::SeqCst);
        })
        .detach();
        yield_now().await;
        yield_now().await;
        42
    })
    .unwrap();
    assert_eq!(out, 42);
    assert!(is_set(&started), "the detached task ran up to its sleep");
    assert!(is_set(&dropped), "run cancelled the leftover task");
    assert!(!is_set(&finished));
    assert!(begin.elapsed() < Duration::from_secs(5));
    assert!(get_running_loop().is_err());
}

/// `run` inside a running loop (block_on or a run_forever callback) is refused.
#[test]
fn run_refuses_inside_a_running_loop() {
    let lp = EventLoop::new().unwrap();
    let main_ran = Rc::new(Cell::new(false));
    let flag_in = main_ran.clone();
    let out = lp
        .block_on(async move { loop_core::run(async move { flag_in.set(true) }) })
        .unwrap();
    assert!(matches!(out, Err(RunError::Running)), "{out:?}");

    let seen = Rc::new(RefCell::new(None));
    let (sink, inner) = (seen.clone(), (*lp).clone());
    let flag_in = main_ran.clone();
    lp.call_soon(move || {
        *sink.borrow_mut() = Some(loop_core::run(async move { flag_in.set(true) }));
        inner.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert!(matches!(
        seen.borrow_mut().take(),
        Some(Err(RunError::Running))
    ));
    assert!(!main_ran.get(), "a refused run never polls its main future");
}
