//! `Mutex`: asyncio's Lock cases (spec §2.5, Y1–Y5) on evloop, the same hand-offs stepped by hand,
//! owned guards, and use from plain threads and `futures_lite::future::block_on`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use loop_core::EventLoop;
use loop_sync::{Mutex, MutexGuard, OwnedMutexGuard};

mod common;

use common::{Probe, step, ticks};

type Log = Rc<RefCell<Vec<u32>>>;
type Held = Rc<RefCell<Vec<OwnedMutexGuard<()>>>>;

/// Spawns a task that locks, records `n`, and parks its guard in `held` (so the test releases).
fn locker(
    lp: &EventLoop,
    lock: &Arc<Mutex<()>>,
    log: &Log,
    held: &Held,
    n: u32,
) -> loop_core::Task<()> {
    let (lock, log, held) = (lock.clone(), log.clone(), held.clone());
    lp.spawn_local(async move {
        let guard = lock.lock_owned().await;
        log.borrow_mut().push(n);
        held.borrow_mut().push(guard);
    })
}

/// Releases the guard parked most recently.
fn release(held: &Held) {
    let guard = held.borrow_mut().pop().expect("a parked guard");
    drop(guard);
}

#[test]
fn y1_release_wakes_the_first_waiter_and_newcomers_queue_behind() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let lock = Arc::new(Mutex::new(()));
        let (log, held): (Log, Held) = Default::default();
        held.borrow_mut().push(lock.try_lock_owned().unwrap());

        let _t1 = locker(&lp, &lock, &log, &held, 1);
        let _t2 = locker(&lp, &lock, &log, &held, 2);
        ticks(3).await;
        assert!(log.borrow().is_empty());

        release(&held);
        ticks(3).await;
        assert_eq!(*log.borrow(), [1]);

        let _t3 = locker(&lp, &lock, &log, &held, 3);
        ticks(3).await;
        assert_eq!(*log.borrow(), [1]);

        release(&held);
        ticks(3).await;
        assert_eq!(*log.borrow(), [1, 2]);

        release(&held);
        ticks(3).await;
        assert_eq!(*log.borrow(), [1, 2, 3]);
        release(&held);
        assert!(!lock.is_locked());
    })
    .unwrap();
}

#[test]
fn y2_a_cancelled_waiter_leaves_nothing_behind() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let lock = Arc::new(Mutex::new(()));
        let (log, held): (Log, Held) = Default::default();
        let guard = lock.try_lock_owned().unwrap();
        let t = locker(&lp, &lock, &log, &held, 1);
        ticks(3).await;
        drop(t);
        ticks(3).await;
        drop(guard);
        // No waiter is left: the lock is free and `try_lock` (which fails while anyone waits)
        // succeeds.
        assert!(!lock.is_locked());
        assert!(lock.try_lock().is_some());
        assert!(log.borrow().is_empty());
    })
    .unwrap();
}

#[test]
fn y3_cancel_and_release_in_one_tick_hand_the_lock_to_the_next_waiter() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let lock = Arc::new(Mutex::new(()));
        let (log, held): (Log, Held) = Default::default();
        let a = lock.try_lock_owned().unwrap();
        let b = locker(&lp, &lock, &log, &held, 2);
        let _c = locker(&lp, &lock, &log, &held, 3);
        ticks(3).await;

        drop(b);
        drop(a);
        ticks(3).await;
        assert_eq!(*log.borrow(), [3]);
        assert!(lock.is_locked());
        release(&held);
        assert!(!lock.is_locked());
    })
    .unwrap();
}

#[test]
fn y4_cancel_first_waiter_and_release_together_lets_exactly_one_in() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let lock = Arc::new(Mutex::new(()));
        let (log, held): (Log, Held) = Default::default();
        let guard = lock.try_lock_owned().unwrap();
        let t1 = locker(&lp, &lock, &log, &held, 1);
        let _t2 = locker(&lp, &lock, &log, &held, 2);
        let _t3 = locker(&lp, &lock, &log, &held, 3);
        ticks(3).await;

        drop(t1);
        drop(guard);
        ticks(5).await;
        assert_eq!(*log.borrow(), [2]);
        assert_eq!(held.borrow().len(), 1);

        release(&held);
        ticks(3).await;
        assert_eq!(*log.borrow(), [2, 3]);
        release(&held);
    })
    .unwrap();
}

#[test]
fn y5_a_woken_waiter_cancelled_before_it_runs_passes_the_lock_on() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let lock = Arc::new(Mutex::new(()));
        let (log, held): (Log, Held) = Default::default();
        let a = lock.try_lock_owned().unwrap();
        let b = locker(&lp, &lock, &log, &held, 2);
        let _c = locker(&lp, &lock, &log, &held, 3);
        ticks(3).await;

        // The release wakes B; B is cancelled before it gets to run.
        drop(a);
        drop(b);
        ticks(5).await;
        assert_eq!(*log.borrow(), [3]);
        release(&held);
        assert!(!lock.is_locked());
        assert!(lock.try_lock().is_some());
    })
    .unwrap();
}

#[test]
fn y5_stepped_a_notified_waiter_dropped_unpolled_hands_over_and_wakes_the_next() {
    let lock = Mutex::new(());
    let guard = lock.try_lock().unwrap();
    let (pb, pc) = (Probe::new(), Probe::new());
    let mut b = lock.lock();
    let mut c = lock.lock();
    assert!(pb.poll(&mut b).is_pending());
    assert!(pc.poll(&mut c).is_pending());

    drop(guard);
    assert_eq!((pb.wakes(), pc.wakes()), (1, 0), "the release wakes B only");
    assert!(lock.is_locked(), "the lock is on its way to B, not free");
    assert!(
        lock.try_lock().is_none(),
        "nobody can barge in during the hand-off"
    );

    drop(b);
    assert_eq!(pc.wakes(), 1, "B's drop handed the lock to C");
    let guard_c = step(&mut c).expect("C owns the lock");
    drop(guard_c);
    assert!(!lock.is_locked());
}

#[test]
fn relocking_never_overtakes_a_waiter() {
    let lock = Mutex::new(Vec::new());
    let mut guard = lock.try_lock().unwrap();
    let mut other = lock.lock();
    assert!(step(&mut other).is_none());

    guard.push("first owner");
    drop(guard);
    // The first owner comes straight back, but the lock already belongs to `other`.
    let mut again = lock.lock();
    assert!(step(&mut again).is_none());
    let mut g = step(&mut other).expect("the waiter got the lock first");
    g.push("waiter");
    drop(g);
    let mut g = step(&mut again).expect("then the returning owner");
    g.push("first owner again");
    assert_eq!(*g, ["first owner", "waiter", "first owner again"]);
}

#[test]
fn try_lock_fails_while_anyone_waits() {
    let lock = Mutex::new(());
    let guard = lock.try_lock().unwrap();
    let mut waiter = lock.lock();
    assert!(step(&mut waiter).is_none());
    drop(guard);
    assert!(lock.try_lock().is_none());
    let g = step(&mut waiter).unwrap();
    assert!(lock.try_lock().is_none());
    drop(g);
    assert!(lock.try_lock().is_some());
}

#[test]
fn cancelling_a_waiter_in_the_middle_keeps_the_order_of_the_rest() {
    let lock = Mutex::new(Vec::new());
    let guard = lock.try_lock().unwrap();
    let mut w: Vec<_> = (0..4).map(|_| lock.lock()).collect();
    for f in &mut w {
        assert!(step(f).is_none());
    }
    let mut w3 = w.pop().unwrap();
    let w2 = w.pop().unwrap();
    let mut w1 = w.pop().unwrap();
    let mut w0 = w.pop().unwrap();
    drop(w2);
    drop(guard);
    assert!(step(&mut w1).is_none() && step(&mut w3).is_none());
    let mut g = step(&mut w0).unwrap();
    g.push(0);
    drop(g);
    assert!(step(&mut w3).is_none());
    let mut g = step(&mut w1).unwrap();
    g.push(1);
    drop(g);
    let mut g = step(&mut w3).unwrap();
    g.push(3);
    assert_eq!(*g, [0, 1, 3]);
}

#[test]
fn a_lock_future_dropped_before_its_first_poll_is_harmless() {
    let lock = Mutex::new(5);
    let guard = lock.try_lock().unwrap();
    drop(lock.lock());
    drop(guard);
    assert_eq!(*lock.try_lock().unwrap(), 5);
}

#[test]
fn a_free_lock_is_taken_on_the_first_poll_without_waiting() {
    let lock = Mutex::new(1);
    let mut fut = lock.lock();
    let mut g = step(&mut fut).expect("free lock");
    *g += 1;
    drop(g);
    drop(fut);
    assert_eq!(lock.into_inner(), 2);
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_a_completed_lock_future_panics() {
    let lock = Mutex::new(());
    let mut fut = lock.lock();
    let _g = step(&mut fut).unwrap();
    let _ = step(&mut fut);
}

#[test]
fn owned_guards_move_between_threads() {
    let lock = Arc::new(Mutex::new(0u32));
    let mut guard = lock.try_lock_owned().unwrap();
    *guard = 41;
    let waiter = {
        let lock = lock.clone();
        std::thread::spawn(move || *futures_lite::future::block_on(lock.lock_owned()) + 1)
    };
    // Released on another thread than the one that locked.
    std::thread::spawn(move || drop(guard)).join().unwrap();
    assert_eq!(waiter.join().unwrap(), 42);
    assert!(Arc::ptr_eq(
        OwnedMutexGuard::mutex(&lock.try_lock_owned().unwrap()),
        &lock
    ));
}

#[test]
fn guards_expose_their_mutex_and_the_data() {
    let mut lock = Mutex::new(String::from("x"));
    *lock.get_mut() += "y";
    let guard = lock.try_lock().unwrap();
    assert!(std::ptr::eq(MutexGuard::mutex(&guard), &lock));
    assert_eq!(format!("{guard} {guard:?}"), "xy \"xy\"");
    assert!(format!("{lock:?}").contains("<locked>"));
    drop(guard);
    assert!(format!("{lock:?}").contains("\"xy\""));
}

#[test]
fn plain_threads_and_block_on_exclude_each_other() {
    let lock = Arc::new(Mutex::new(0u64));
    let inside = Arc::new(AtomicBool::new(false));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (lock, inside, overlaps) = (lock.clone(), inside.clone(), overlaps.clone());
            std::thread::spawn(move || {
                for _ in 0..300 {
                    let mut g = if i % 2 == 0 {
                        lock.lock_blocking()
                    } else {
                        futures_lite::future::block_on(lock.lock())
                    };
                    if inside.swap(true, Ordering::SeqCst) {
                        overlaps.fetch_add(1, Ordering::SeqCst);
                    }
                    let v = *g;
                    std::thread::yield_now();
                    *g = v + 1;
                    inside.store(false, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(overlaps.load(Ordering::SeqCst), 0);
    assert_eq!(*lock.lock_blocking(), 1200);
}

#[test]
fn evloop_tasks_take_turns_in_fifo_order() {
    common::run(async {
        let lock = Rc::new(Mutex::new(Vec::new()));
        let lp = loop_core::get_running_loop().unwrap();
        let tasks: Vec<_> = (0..3)
            .map(|n| {
                let lock = lock.clone();
                lp.spawn_local(async move {
                    for round in 0..2 {
                        let mut g = lock.lock().await;
                        g.push((n, round));
                        ticks(1).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let order = lock.lock().await.clone();
        assert_eq!(order, [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]);
    });
}
