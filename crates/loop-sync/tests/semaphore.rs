//! `Semaphore` and `BoundedSemaphore`: asyncio's cases (spec §2.5, Y6–Y9) on evloop, FIFO
//! fairness for large requests, cancellation at every stage, owned permits and bounds.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use loop_core::{EventLoop, Task};
use loop_sync::{BoundedSemaphore, OwnedSemaphorePermit, Semaphore};

mod common;

use common::{Probe, step, ticks};

/// Spawns a task that waits for one permit and returns it.
fn acquirer(lp: &EventLoop, sem: &Arc<Semaphore>) -> Task<OwnedSemaphorePermit> {
    let sem = sem.clone();
    lp.spawn_local(async move { sem.acquire_owned().await })
}

#[test]
fn y6_tasks_that_acquire_again_do_not_barge() {
    common::run(async {
        let sem = Rc::new(Semaphore::new(1));
        let log = Rc::new(RefCell::new(Vec::new()));
        let lp = loop_core::get_running_loop().unwrap();
        let tasks: Vec<_> = ["c1", "c2", "c3"]
            .into_iter()
            .map(|name| {
                let (sem, log) = (sem.clone(), log.clone());
                lp.spawn_local(async move {
                    for round in 1..=2 {
                        let permit = sem.acquire().await;
                        log.borrow_mut().push(format!("{name}_{round}"));
                        ticks(1).await;
                        drop(permit);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            *log.borrow(),
            ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]
        );
    });
}

#[test]
fn y6_fifo_order_2_a_released_and_reacquired_permit_goes_to_the_earlier_waiter() {
    common::run(async {
        let sem = Rc::new(Semaphore::new(1));
        let log = Rc::new(RefCell::new(Vec::new()));
        let lp = loop_core::get_running_loop().unwrap();
        let (s, l) = (sem.clone(), log.clone());
        let c1 = lp.spawn_local(async move {
            s.acquire().await.forget();
            l.borrow_mut().push(1);
        });
        let (s, l) = (sem.clone(), log.clone());
        let c2 = lp.spawn_local(async move {
            let permit = s.acquire().await;
            l.borrow_mut().push(2);
            drop(permit);
            s.acquire().await.forget();
            l.borrow_mut().push(4);
        });
        let (s, l) = (sem.clone(), log.clone());
        let c3 = lp.spawn_local(async move {
            s.acquire().await.forget();
            l.borrow_mut().push(3);
        });
        ticks(1).await;
        sem.add_permits(1);
        sem.add_permits(1);
        for t in [c1, c2, c3] {
            t.await.unwrap();
        }
        assert_eq!(*log.borrow(), [1, 2, 3, 4]);
    });
}

#[test]
fn y7_cancel_before_awoken_only_the_next_live_waiter_gets_the_permit() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let sem = Arc::new(Semaphore::new(0));
        let t1 = acquirer(&lp, &sem);
        let t2 = acquirer(&lp, &sem);
        let t3 = acquirer(&lp, &sem);
        let t4 = acquirer(&lp, &sem);
        ticks(2).await;
        drop(t1);
        drop(t2);
        sem.add_permits(1);
        ticks(3).await;
        assert!(t3.is_finished());
        assert!(!t4.is_finished());
        let permit = t3.await.unwrap();
        assert_eq!(sem.available_permits(), 0);
        drop(permit);
        ticks(2).await;
        assert!(t4.is_finished());
    })
    .unwrap();
}

#[test]
fn y7_acquire_hang_a_cancelled_first_waiter_does_not_keep_the_permit() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let sem = Arc::new(Semaphore::new(0));
        let t1 = acquirer(&lp, &sem);
        let t2 = acquirer(&lp, &sem);
        ticks(2).await;
        drop(t1);
        sem.add_permits(1);
        ticks(3).await;
        assert!(sem.is_locked());
        assert!(t2.is_finished());
        drop(t2.await.unwrap());
        assert!(!sem.is_locked());
    })
    .unwrap();
}

#[test]
fn y8_after_a_cancellation_two_releases_serve_the_rest_in_order() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let sem = Arc::new(Semaphore::new(0));
        let log = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (1..=3)
            .map(|n| {
                let (sem, log) = (sem.clone(), log.clone());
                lp.spawn_local(async move {
                    sem.acquire().await.forget();
                    log.borrow_mut().push(n);
                })
            })
            .collect();
        ticks(2).await;
        let mut tasks = tasks.into_iter();
        drop(tasks.next());
        sem.add_permits(1);
        sem.add_permits(1);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*log.borrow(), [2, 3]);
    })
    .unwrap();
}

#[test]
fn y9_releasing_a_bounded_semaphore_above_its_initial_value_is_an_error() {
    let sem = BoundedSemaphore::new(1);
    let err = sem.release().unwrap_err();
    assert_eq!(err.to_string(), "BoundedSemaphore released too many times");
    assert_eq!(sem.available_permits(), 1);

    // A held permit counts toward the bound: releasing "for" it would overshoot when it returns.
    let held = sem.try_acquire().unwrap();
    assert!(sem.release().is_err());
    drop(held);
    assert_eq!(sem.available_permits(), 1);

    // A forgotten permit may be released again, once.
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.release(), Ok(()));
    assert!(sem.add_permits(1).is_err());
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn a_large_request_at_the_head_is_not_starved_by_small_ones() {
    let sem = Semaphore::new(3);
    let held: Vec<_> = (0..3).map(|_| sem.try_acquire().unwrap()).collect();
    let mut big = sem.acquire_many(3);
    assert!(step(&mut big).is_none());
    let mut small = sem.acquire();
    assert!(step(&mut small).is_none());

    let mut held = held.into_iter();
    drop(held.next());
    drop(held.next());
    // Two permits are free and `small` needs one, but it is behind `big`.
    assert!(step(&mut small).is_none());
    assert!(sem.try_acquire().is_none());
    assert!(step(&mut big).is_none());
    drop(held.next());
    let big_permit = step(&mut big).expect("all three free now");
    assert_eq!(big_permit.num_permits(), 3);
    assert!(step(&mut small).is_none());
    drop(big_permit);
    assert!(step(&mut small).is_some());
}

#[test]
fn dropping_the_head_while_it_waits_for_permits_passes_the_turn_and_loses_nothing() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let (p_big, p_small) = (Probe::new(), Probe::new());
    let mut big = sem.acquire_many(2);
    let mut small = sem.acquire();
    assert!(p_big.poll(&mut big).is_pending());
    assert!(p_small.poll(&mut small).is_pending());

    drop(held);
    assert_eq!(p_big.wakes(), 1, "the release wakes the head");
    drop(big);
    assert_eq!(p_small.wakes(), 1, "the dropped head passed the turn on");
    let permit = step(&mut small).expect("a permit is free");
    assert_eq!(sem.available_permits(), 1);
    drop(permit);
    assert_eq!(sem.available_permits(), 2);
    assert!(!sem.is_locked());
}

#[test]
fn dropping_a_notified_waiter_before_it_runs_hands_its_turn_to_the_next() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let mut first = sem.acquire();
    let mut second = sem.acquire();
    let (p1, p2) = (Probe::new(), Probe::new());
    assert!(p1.poll(&mut first).is_pending());
    assert!(p2.poll(&mut second).is_pending());
    drop(held);
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    drop(first);
    assert_eq!(p2.wakes(), 1);
    let permit = step(&mut second).expect("the turn and the permit passed to `second`");
    assert_eq!(sem.available_permits(), 0);
    drop(permit);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn add_permits_serves_waiters_in_line_order() {
    let sem = Semaphore::new(0);
    let mut w: Vec<_> = (0..3).map(|_| sem.acquire()).collect();
    for f in &mut w {
        assert!(step(f).is_none());
    }
    sem.add_permits(2);
    // Only the head may take permits; it passes the turn when it has them.
    assert!(step(&mut w[1]).is_none());
    let p0 = step(&mut w[0]).unwrap();
    let p1 = step(&mut w[1]).unwrap();
    assert!(step(&mut w[2]).is_none());
    assert_eq!(sem.available_permits(), 0);
    drop((p0, p1));
    assert!(step(&mut w[2]).is_some());
}

#[test]
fn acquiring_zero_permits_completes_at_once_even_with_waiters() {
    let sem = Semaphore::new(0);
    let mut waiter = sem.acquire();
    assert!(step(&mut waiter).is_none());
    let mut none = sem.acquire_many(0);
    assert_eq!(step(&mut none).unwrap().num_permits(), 0);
    assert_eq!(sem.try_acquire_many(0).unwrap().num_permits(), 0);
}

#[test]
fn forgetting_permits_shrinks_the_semaphore() {
    let sem = Semaphore::new(3);
    sem.try_acquire_many(2).unwrap().forget();
    assert_eq!(sem.available_permits(), 1);
    sem.add_permits(5);
    assert_eq!(sem.available_permits(), 6);
}

#[test]
fn owned_permits_and_futures_work_for_both_kinds() {
    futures_lite::future::block_on(async {
        let sem = Arc::new(Semaphore::new(1));
        let p = sem.acquire_owned().await;
        let mut waiting = sem.acquire_many_owned(1);
        assert!(step(&mut waiting).is_none());
        std::thread::spawn(move || drop(p)).join().unwrap();
        let p = waiting.await;
        assert_eq!(p.num_permits(), 1);
        assert!(sem.try_acquire_owned().is_none());
        drop(p);
        assert!(sem.try_acquire_many_owned(1).is_some());

        let bounded = Arc::new(BoundedSemaphore::new(2));
        let p = bounded.acquire_many_owned(2).await;
        assert!(bounded.release().is_err());
        p.forget();
        assert!(bounded.add_permits(2).is_ok());
        let p = bounded.acquire_owned().await;
        assert!(bounded.try_acquire_many_owned(2).is_none());
        drop(p);
        assert_eq!(bounded.try_acquire_owned().unwrap().num_permits(), 1);
    });
}

#[test]
#[should_panic(expected = "cannot acquire 3 permits")]
fn a_request_above_the_bound_panics_instead_of_blocking_the_line() {
    let sem = BoundedSemaphore::new(2);
    let _never = sem.acquire_many(3);
}

#[test]
#[should_panic(expected = "at most `Semaphore::MAX_PERMITS`")]
fn add_permits_beyond_the_maximum_panics() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    sem.add_permits(1);
}

#[test]
fn debug_output_names_the_state() {
    let sem = Semaphore::new(2);
    let p = sem.try_acquire().unwrap();
    assert_eq!(
        format!("{sem:?}"),
        "Semaphore { available_permits: 1, has_waiters: false }"
    );
    assert_eq!(format!("{p:?}"), "SemaphorePermit { permits: 1 }");
    let bounded = BoundedSemaphore::new(1);
    assert!(format!("{bounded:?}").starts_with("BoundedSemaphore { bound: 1"));
}

#[test]
fn threads_never_exceed_the_limit() {
    let sem = Arc::new(Semaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let (sem, inside, peak) = (sem.clone(), inside.clone(), peak.clone());
            std::thread::spawn(move || {
                futures_lite::future::block_on(async {
                    for _ in 0..200 {
                        let permits = sem.acquire_many(1 + i % 2).await;
                        let now = inside.fetch_add(permits.num_permits(), Ordering::SeqCst)
                            + permits.num_permits();
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(permits.num_permits(), Ordering::SeqCst);
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(peak.load(Ordering::SeqCst) <= 3);
    assert_eq!(sem.available_permits(), 3);
}
