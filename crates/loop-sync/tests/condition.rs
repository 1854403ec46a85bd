//! `Condition`: asyncio's cases (spec §2.5, Y11–Y13) on evloop, notifications that survive a
//! cancelled waiter, `wait_for`, `wait_or` as the timeout idiom, and threads.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use loop_core::EventLoop;
use loop_sync::{Condition, Mutex};

mod common;

use common::{Probe, step, ticks};

type Shared = Rc<(Mutex<()>, Condition)>;
type Log = Rc<RefCell<Vec<u32>>>;

/// Spawns a task that waits once on the condition and, holding the lock again, records `n` and
/// keeps the lock until `release` is set.
fn waiter(
    lp: &EventLoop,
    shared: &Shared,
    log: &Log,
    release: &Rc<loop_sync::Event>,
    n: u32,
) -> loop_core::Task<()> {
    let (shared, log, release) = (shared.clone(), log.clone(), release.clone());
    lp.spawn_local(async move {
        let (lock, cond) = &*shared;
        let guard = cond.wait(lock.lock().await).await;
        log.borrow_mut().push(n);
        release.wait().await;
        release.clear();
        drop(guard);
    })
}

#[test]
fn y11_notified_waiters_run_only_after_the_notifier_unlocks_and_one_at_a_time() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let shared: Shared = Rc::new((Mutex::new(()), Condition::new()));
        let log = Log::default();
        let release = Rc::new(loop_sync::Event::new());
        let tasks: Vec<_> = (1..=3)
            .map(|n| waiter(&lp, &shared, &log, &release, n))
            .collect();
        ticks(3).await;
        let (lock, cond) = &*shared;

        let guard = lock.lock().await;
        assert_eq!(cond.notify(1), 1);
        ticks(3).await;
        assert!(
            log.borrow().is_empty(),
            "nobody runs while the notifier holds the lock"
        );
        drop(guard);
        ticks(3).await;
        assert_eq!(*log.borrow(), [1]);
        assert!(lock.is_locked(), "the woken waiter holds the lock");
        release.set();
        ticks(3).await;
        assert!(!lock.is_locked());

        // notify(2), then one unlock: only the next waiter gets the lock; the other follows
        // when that one lets go.
        let guard = lock.lock().await;
        assert_eq!(cond.notify(2), 2);
        drop(guard);
        ticks(3).await;
        assert_eq!(*log.borrow(), [1, 2]);
        release.set();
        ticks(3).await;
        assert_eq!(*log.borrow(), [1, 2, 3]);
        release.set();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(!lock.is_locked());
    })
    .unwrap();
}

#[test]
fn y12_a_cancelled_wait_releases_the_lock_and_leaves_no_waiter() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let shared = Rc::new((Mutex::new(0), Condition::new()));
        let s = shared.clone();
        let t = lp.spawn_local(async move {
            let (lock, cond) = &*s;
            let _guard = cond.wait(lock.lock().await).await;
            unreachable!("never notified");
        });
        ticks(2).await;
        drop(t);
        ticks(2).await;
        let (lock, cond) = &*shared;
        assert!(!lock.is_locked());
        assert_eq!(
            cond.notify_all(),
            0,
            "the cancelled waiter left the condition"
        );
    })
    .unwrap();
}

#[test]
fn y12_a_waiter_cancelled_while_relocking_passes_its_notification_on() {
    let (lock, cond) = (Mutex::new(()), Condition::new());
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut w1 = cond.wait(lock.try_lock().unwrap());
    assert!(p1.poll(&mut w1).is_pending());
    let mut w2 = cond.wait(lock.try_lock().unwrap());
    assert!(p2.poll(&mut w2).is_pending());

    let guard = lock.try_lock().unwrap();
    assert_eq!(cond.notify(1), 1);
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    // w1 consumes its notification and queues for the lock, which the notifier still holds.
    assert!(p1.poll(&mut w1).is_pending());
    drop(w1);
    assert_eq!(p2.wakes(), 1, "the notification went to w2");
    drop(guard);
    let g = step(&mut w2).expect("w2 re-locks");
    drop(g);
    assert!(!lock.is_locked());
}

#[test]
fn y12_a_notified_waiter_dropped_before_it_ran_passes_its_notification_on() {
    let (lock, cond) = (Mutex::new(()), Condition::new());
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut w1 = cond.wait(lock.try_lock().unwrap());
    let mut w2 = cond.wait({
        assert!(p1.poll(&mut w1).is_pending());
        lock.try_lock().unwrap()
    });
    assert!(p2.poll(&mut w2).is_pending());
    cond.notify(1);
    drop(w1);
    assert_eq!(p2.wakes(), 1);
    assert!(step(&mut w2).is_some());
}

#[test]
fn y13_wait_or_with_a_timer_times_out_holding_the_lock_again() {
    common::run(async {
        let (lock, cond) = (Mutex::new(7), Condition::new());
        let guard = lock.lock().await;
        let (mut guard, timed_out) = cond
            .wait_or(guard, loop_core::sleep(Duration::from_millis(5)))
            .await;
        assert!(timed_out.is_some());
        assert!(lock.is_locked());
        *guard += 1;
        assert_eq!(*guard, 8);
        drop(guard);
        assert_eq!(cond.notify_all(), 0, "no waiter left behind");
    });
}

#[test]
fn y13_wait_or_reports_a_notification_that_came_first() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let shared = Rc::new((Mutex::new(0), Condition::new()));
        let s = shared.clone();
        let t = lp.spawn_local(async move {
            let (lock, cond) = &*s;
            let guard = lock.lock().await;
            let (guard, timed_out) = cond
                .wait_or(guard, loop_core::sleep(Duration::from_secs(30)))
                .await;
            (*guard, timed_out.is_some())
        });
        ticks(2).await;
        let (lock, cond) = &*shared;
        *lock.lock().await = 3;
        cond.notify(1);
        assert_eq!(t.await.unwrap(), (3, false));
    })
    .unwrap();
}

#[test]
fn wait_or_passes_on_a_notification_it_no_longer_needs() {
    let (lock, cond) = (Mutex::new(()), Condition::new());
    let fire = Cell::new(false);
    let other = futures_lite::future::poll_fn(|_| {
        if fire.get() {
            Poll::Ready("fired")
        } else {
            Poll::Pending
        }
    });
    let mut timed = Box::pin(cond.wait_or(lock.try_lock().unwrap(), other));
    assert!(
        step(&mut timed).is_none(),
        "waiting, with the lock released"
    );
    let p2 = Probe::new();
    let mut w2 = cond.wait(lock.try_lock().unwrap());
    assert!(p2.poll(&mut w2).is_pending());

    // `timed` is notified, and while it queues to re-lock, `other` completes too.
    let holder = lock.try_lock().unwrap();
    assert_eq!(cond.notify(1), 1);
    assert_eq!(p2.wakes(), 0);
    fire.set(true);
    assert!(step(&mut timed).is_none(), "re-locking behind the holder");
    assert_eq!(p2.wakes(), 1, "the unused notification went to w2");

    drop(holder);
    let (guard, out) = step(&mut timed).expect("re-locked");
    assert_eq!(out, Some("fired"));
    drop(guard);
    assert!(step(&mut w2).is_some());
}

#[test]
fn wait_for_returns_at_once_when_the_predicate_holds() {
    let (lock, cond) = (Mutex::new(1), Condition::new());
    let mut fut = Box::pin(cond.wait_for(lock.try_lock().unwrap(), |n| *n == 1));
    let guard = step(&mut fut).expect("no waiting needed");
    assert_eq!(*guard, 1);
}

#[test]
fn wait_for_keeps_waiting_until_the_predicate_holds() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let shared = Rc::new((Mutex::new(0), Condition::new()));
        let wakeups = Rc::new(RefCell::new(0));
        let (s, w) = (shared.clone(), wakeups.clone());
        let t = lp.spawn_local(async move {
            let (lock, cond) = &*s;
            let guard = cond
                .wait_for(lock.lock().await, |n| {
                    *w.borrow_mut() += 1;
                    *n >= 3
                })
                .await;
            *guard
        });
        let (lock, cond) = &*shared;
        for _ in 0..3 {
            ticks(2).await;
            *lock.lock().await += 1;
            cond.notify_all();
        }
        assert_eq!(t.await.unwrap(), 3);
        assert_eq!(
            *wakeups.borrow(),
            4,
            "checked once up front and once per notification"
        );
    })
    .unwrap();
}

#[test]
fn notifications_are_not_stored() {
    let (lock, cond) = (Mutex::new(()), Condition::new());
    assert_eq!(cond.notify(1), 0);
    assert_eq!(cond.notify_all(), 0);
    let mut w = cond.wait(lock.try_lock().unwrap());
    assert!(step(&mut w).is_none());
    assert!(step(&mut w).is_none());
    assert_eq!(format!("{w:?}"), "ConditionWait { state: \"waiting\", .. }");
}

#[test]
fn producer_and_consumer_threads() {
    let shared = Arc::new((Mutex::new(Vec::new()), Condition::new()));
    let consumer = {
        let shared = shared.clone();
        std::thread::spawn(move || {
            futures_lite::future::block_on(async {
                let (lock, cond) = &*shared;
                let mut got = Vec::new();
                while got.len() < 100 {
                    let mut items = cond.wait_for(lock.lock().await, |v| !v.is_empty()).await;
                    got.append(&mut items);
                }
                got
            })
        })
    };
    for i in 0..100 {
        shared.0.lock_blocking().push(i);
        shared.1.notify(1);
    }
    assert_eq!(consumer.join().unwrap(), (0..100).collect::<Vec<_>>());
}
