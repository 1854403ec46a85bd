//! `Event`: asyncio's cases (spec §2.5, Y10) on evloop, latched wake-ups stepped by hand, and
//! waiting from plain threads.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use loop_core::EventLoop;
use loop_sync::Event;

mod common;

use common::{Probe, step, ticks};

#[test]
fn y10_set_wakes_current_waiters_in_order_after_a_task_that_never_waited() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let ev = Rc::new(Event::new());
        let log = Rc::new(RefCell::new(Vec::new()));
        let spawn = |n: u32| {
            let (ev, log) = (ev.clone(), log.clone());
            lp.spawn_local(async move {
                ev.wait().await;
                log.borrow_mut().push(n);
            })
        };
        let t1 = spawn(1);
        let t2 = spawn(2);
        ticks(1).await;
        assert!(log.borrow().is_empty());
        let t3 = spawn(3);
        ev.set();
        ticks(1).await;
        assert_eq!(*log.borrow(), [3, 1, 2]);
        for t in [t1, t2, t3] {
            t.await.unwrap();
        }
    })
    .unwrap();
}

#[test]
fn y10_set_clear_set_with_one_waiter_still_wakes_it() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let ev = Rc::new(Event::new());
        let e = ev.clone();
        let t = lp.spawn_local(async move { e.wait().await });
        ticks(1).await;
        ev.set();
        ev.clear();
        ev.set();
        ticks(2).await;
        assert!(t.is_finished());
        assert!(ev.is_set());
    })
    .unwrap();
}

#[test]
fn set_then_clear_before_the_waiters_run_still_releases_them_all() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let ev = Rc::new(Event::new());
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let ev = ev.clone();
                lp.spawn_local(async move { ev.wait().await })
            })
            .collect();
        ticks(1).await;
        ev.set();
        ev.clear();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(!ev.is_set());
        // A waiter arriving after the clear waits for the next set.
        let mut late = ev.wait();
        assert!(step(&mut late).is_none());
    })
    .unwrap();
}

#[test]
fn stepped_the_wake_up_is_latched_in_each_waiter() {
    let ev = Event::new();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut w1 = ev.wait();
    let mut w2 = ev.wait();
    assert!(p1.poll(&mut w1).is_pending());
    assert!(p2.poll(&mut w2).is_pending());
    ev.set();
    assert_eq!((p1.wakes(), p2.wakes()), (1, 1));
    ev.clear();
    assert!(p1.poll(&mut w1).is_ready());
    assert!(p2.poll(&mut w2).is_ready());
}

#[test]
fn setting_a_set_event_wakes_nobody_new_and_dropping_a_waiter_is_harmless() {
    let ev = Event::new();
    let p = Probe::new();
    let mut dropped = ev.wait();
    let mut kept = ev.wait();
    assert!(p.poll(&mut dropped).is_pending());
    assert!(p.poll(&mut kept).is_pending());
    drop(dropped);
    ev.set();
    ev.set();
    assert_eq!(p.wakes(), 1);
    assert!(step(&mut kept).is_some());
    // When set, `wait` completes on the first poll.
    assert!(step(&mut ev.wait()).is_some());
}

#[test]
fn threads_blocked_in_wait_blocking_are_released_by_set() {
    let ev = Arc::new(Event::new());
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let ev = ev.clone();
            std::thread::spawn(move || ev.wait_blocking())
        })
        .collect();
    futures_lite::future::block_on(async {
        ev.set();
        ev.wait().await;
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(format!("{:?}", ev), "Event { is_set: true }");
}
