//! The virtual clock (`EventLoop::builder().virtual_clock(true)`): whenever nothing is ready,
//! loop time jumps straight to the next timer. Hours of timers run in no real time, exactly
//! and in deadline order (equal deadlines first-in, first-out).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use loop_core::{Elapsed, EventLoop, sleep, sleep_until, spawn_local, timeout, yield_now};

mod common;

use common::{now, secs, vloop};

/// Real time a test of an hour of loop time may take: generous, but nowhere near an hour.
const REAL_BOUND: Duration = Duration::from_secs(20);

#[test]
fn the_builder_chooses_the_clock() {
    assert!(vloop().has_virtual_clock());
    assert!(!EventLoop::new().unwrap().has_virtual_clock());
    assert!(
        !EventLoop::builder()
            .virtual_clock(false)
            .build()
            .unwrap()
            .has_virtual_clock()
    );
}

/// 3600 one-second sleeps in a row: each wakes at exactly its deadline, the loop ends exactly
/// an hour later, in (almost) no real time.
#[test]
fn an_hour_of_one_second_sleeps_takes_no_real_time() {
    let lp = vloop();
    let t0 = lp.time();
    let started = Instant::now();
    lp.block_on(async {
        for k in 1..=3600u64 {
            let woke = sleep(secs(1)).await;
            assert_eq!(woke, t0 + secs(k), "the timer's deadline");
            assert_eq!(now(), t0 + secs(k), "loop time at wake-up");
        }
    })
    .unwrap();
    assert_eq!(lp.time() - t0, secs(3600));
    assert!(
        started.elapsed() < REAL_BOUND,
        "took {:?}",
        started.elapsed()
    );
}

/// 1000 tasks with scattered deadlines up to an hour (some equal): each wakes at exactly its
/// deadline, they finish in deadline order (ties in spawn order), and the loop ends at the
/// latest deadline.
#[test]
fn a_thousand_tasks_wake_in_deadline_order_at_their_deadlines() {
    let lp = vloop();
    let t0 = lp.time();
    let started = Instant::now();
    // A small LCG: deterministic "random" deadlines, half in whole seconds (so that some
    // collide), half to the nanosecond.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let deadlines: Vec<Duration> = (0..1000)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if i % 2 == 0 {
                secs((state >> 33) % 3600 + 1)
            } else {
                Duration::from_nanos((state >> 20) % 3_600_000_000_000 + 1)
            }
        })
        .collect();
    let log = Rc::new(RefCell::new(Vec::new()));
    lp.block_on(async {
        let tasks: Vec<_> = deadlines
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                let log = log.clone();
                spawn_local(async move {
                    sleep_until(t0 + d).await;
                    log.borrow_mut().push((i, now() - t0));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
    let log = log.borrow();
    assert_eq!(log.len(), deadlines.len());
    for &(i, at) in log.iter() {
        assert_eq!(at, deadlines[i], "task {i} woke off its deadline");
    }
    let mut expected: Vec<usize> = (0..deadlines.len()).collect();
    expected.sort_by_key(|&i| (deadlines[i], i));
    let order: Vec<usize> = log.iter().map(|&(i, _)| i).collect();
    assert_eq!(
        order, expected,
        "not in deadline order (ties in spawn order)"
    );
    let ties = deadlines.len()
        - deadlines
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    assert!(ties > 0, "the test meant to include equal deadlines");
    assert_eq!(lp.time() - t0, *deadlines.iter().max().unwrap());
    assert!(
        started.elapsed() < REAL_BOUND,
        "took {:?}",
        started.elapsed()
    );
}

/// A timeout around an hour-long (or endless) future fires at exactly its deadline.
#[test]
fn an_hour_long_timeout_fires_exactly_at_its_deadline() {
    let lp = vloop();
    let t0 = lp.time();
    let started = Instant::now();
    let (out, at) = lp
        .block_on(async {
            let out = timeout(secs(3600), std::future::pending::<()>()).await;
            (out, now())
        })
        .unwrap();
    assert_eq!(out, Err(Elapsed));
    assert_eq!(at - t0, secs(3600));
    assert!(started.elapsed() < REAL_BOUND);
}

/// Callbacks and sleeps due at the same instant run in the order they were scheduled.
#[test]
fn equal_deadlines_fire_first_in_first_out() {
    let lp = vloop();
    let log = Rc::new(RefCell::new(Vec::new()));
    let when = lp.time() + secs(60);
    for i in 0..100 {
        let log = log.clone();
        lp.call_at(when, move || log.borrow_mut().push(i)).unwrap();
    }
    lp.block_on(async {
        let tasks: Vec<_> = (100..110)
            .map(|i| {
                let log = log.clone();
                spawn_local(async move {
                    sleep_until(when).await;
                    log.borrow_mut().push(i);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), (0..110).collect::<Vec<_>>());
}

/// `call_later` on the virtual clock: callbacks an hour apart fire at exactly their times, in
/// order; a cancelled one neither runs nor holds the clock back or pushes it on.
#[test]
fn call_later_fires_at_exact_virtual_times() {
    let lp = vloop();
    let t0 = lp.time();
    let started = Instant::now();
    let log = Rc::new(RefCell::new(Vec::new()));
    for (name, delay) in [("c", 3 * 3600), ("a", 3600), ("b", 2 * 3600)] {
        let (log, inner) = (log.clone(), (*lp).clone());
        lp.call_later(secs(delay), move || {
            log.borrow_mut().push((name, inner.time() - t0));
        })
        .unwrap();
    }
    let never = lp
        .call_later(secs(10 * 3600), || panic!("a cancelled callback ran"))
        .unwrap();
    never.cancel();
    let stopper = (*lp).clone();
    lp.call_later(secs(4 * 3600), move || stopper.stop())
        .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        *log.borrow(),
        [
            ("a", secs(3600)),
            ("b", secs(2 * 3600)),
            ("c", secs(3 * 3600))
        ]
    );
    assert_eq!(lp.time() - t0, secs(4 * 3600));
    assert!(started.elapsed() < REAL_BOUND);
}

/// Time stands still while anything is ready: a timer due in a second does not fire while a
/// task keeps yielding, and the clock jumps only once the loop is idle.
#[test]
fn time_only_jumps_when_nothing_is_ready() {
    let lp = vloop();
    let t0 = lp.time();
    let fired_at = Rc::new(Cell::new(None));
    lp.block_on(async {
        let sink = fired_at.clone();
        let sleeper = spawn_local(async move {
            sleep(secs(1)).await;
            sink.set(Some(now()));
        });
        for _ in 0..1000 {
            yield_now().await;
            assert_eq!(now(), t0, "time moved while work was ready");
        }
        assert_eq!(fired_at.get(), None);
        sleeper.await.unwrap();
    })
    .unwrap();
    assert_eq!(fired_at.get(), Some(t0 + secs(1)));
}

/// The clock never goes back: a deadline already past fires without moving it.
#[test]
fn a_past_deadline_does_not_move_the_clock() {
    let lp = vloop();
    lp.block_on(async {
        sleep(secs(100)).await;
        let t1 = now();
        sleep_until(t1 - secs(50)).await;
        sleep(Duration::ZERO).await;
        assert_eq!(now(), t1);
    })
    .unwrap();
}

/// A sleep or timeout created before `block_on` (outside the running loop) must measure from
/// the loop's clock like one created inside. After an hour of virtual time, the virtual clock
/// is an hour ahead of the real one, so a deadline taken from the real clock is already past.
#[test]
fn timers_created_outside_the_loop_use_the_virtual_clock() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async { sleep(secs(3600)).await }).unwrap();
    assert_eq!(lp.time() - t0, secs(3600));

    let t1 = lp.time();
    lp.block_on(sleep(secs(60))).unwrap();
    assert_eq!(
        lp.time() - t1,
        secs(60),
        "a 60 s sleep made outside the loop took no loop time"
    );

    let t2 = lp.time();
    let out = lp
        .block_on(timeout(secs(60), std::future::pending::<()>()))
        .unwrap();
    assert_eq!(out, Err(Elapsed));
    assert_eq!(lp.time() - t2, secs(60), "the 60 s timeout fired early");
}
