//! Cancel safety of every await point: each waiting future is dropped before its first poll,
//! while it waits, and after it was woken (handed the lock, a permit, an item or a slot) but
//! before it ran. Nothing may be lost or kept: the next waiter must be woken and served, and the
//! resource must be whole afterwards.

use std::sync::Arc;

use futures_lite::StreamExt;
use loop_sync::{
    Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Mutex, OnceCell, PriorityQueue, Queue,
    RwLock, Semaphore,
};

mod common;

use common::{Probe, step};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    /// Dropped without ever being polled.
    Unpolled,
    /// Dropped while waiting in line.
    Waiting,
    /// Dropped after the release woke it (and, for locks, handed it the lock), before it ran.
    Woken,
}

const STAGES: [Stage; 3] = [Stage::Unpolled, Stage::Waiting, Stage::Woken];

/// Polls the doomed future into line unless the stage is `Unpolled`.
fn enter<F: Unpin + std::future::Future>(stage: Stage, fut: &mut F) {
    if stage != Stage::Unpolled {
        assert!(step(fut).is_none(), "{stage:?}: should be waiting");
    }
}

/// Runs `release` and drops the doomed future, in the order the stage asks for.
fn finish<F>(stage: Stage, doomed: F, release: impl FnOnce()) {
    if stage == Stage::Woken {
        release();
        drop(doomed);
    } else {
        drop(doomed);
        release();
    }
}

#[test]
fn mutex_lock_and_lock_owned() {
    for stage in STAGES {
        let m = Arc::new(Mutex::new(0));
        let held = m.try_lock_owned().unwrap();
        let mut doomed = m.lock();
        enter(stage, &mut doomed);
        let probe = Probe::new();
        let mut next = m.lock_owned();
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || drop(held));
        assert_eq!(probe.wakes(), 1, "{stage:?}");
        let mut guard = step(&mut next).expect("the next waiter got the lock");
        *guard += 1;
        drop(guard);
        assert_eq!(*m.try_lock().unwrap(), 1, "{stage:?}");
    }
}

#[test]
fn rwlock_read_and_write() {
    for stage in STAGES {
        for doomed_writes in [false, true] {
            let lock = RwLock::new(0);
            let held = lock.try_write().unwrap();
            let probe = Probe::new();
            let mut next = lock.write();
            if doomed_writes {
                let mut doomed = lock.write();
                enter(stage, &mut doomed);
                assert!(probe.poll(&mut next).is_pending());
                finish(stage, doomed, || drop(held));
            } else {
                let mut doomed = lock.read();
                enter(stage, &mut doomed);
                assert!(probe.poll(&mut next).is_pending());
                finish(stage, doomed, || drop(held));
            }
            assert_eq!(probe.wakes(), 1, "{stage:?} {doomed_writes}");
            let w = step(&mut next).expect("the writer behind got the lock");
            drop(w);
            assert!(lock.try_write().is_some());
        }
    }
}

#[test]
fn semaphore_acquire_many_and_owned() {
    for stage in STAGES {
        let sem = Arc::new(Semaphore::new(3));
        let held = sem.try_acquire_many(3).unwrap();
        let mut doomed = sem.acquire_many(2);
        let probe = Probe::new();
        let mut next = sem.acquire_many_owned(3);
        enter(stage, &mut doomed);
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || drop(held));
        assert_eq!(probe.wakes(), 1, "{stage:?}");
        let permits = step(&mut next).expect("no permit was lost");
        assert_eq!(permits.num_permits(), 3);
        drop(permits);
        assert_eq!(sem.available_permits(), 3);
        assert!(!sem.is_locked());
    }
}

#[test]
fn bounded_semaphore_acquire() {
    for stage in STAGES {
        let sem = BoundedSemaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut doomed = sem.acquire();
        let probe = Probe::new();
        let mut next = sem.acquire();
        enter(stage, &mut doomed);
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || drop(held));
        assert_eq!(probe.wakes(), 1, "{stage:?}");
        drop(step(&mut next).unwrap());
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.release().is_err(), "no permit was duplicated either");
    }
}

/// The get and put checks for one queue type.
macro_rules! check_queue {
    ($queue:ident) => {
        for stage in STAGES {
            let q = $queue::new(0);
            let mut doomed = q.get();
            enter(stage, &mut doomed);
            let probe = Probe::new();
            let mut next = q.get();
            assert!(probe.poll(&mut next).is_pending());
            finish(stage, doomed, || q.try_put(7).unwrap());
            assert_eq!(probe.wakes(), 1, "{stage:?}");
            assert_eq!(
                step(&mut next),
                Some(Ok(7)),
                "{stage:?}: the item was not lost"
            );
            assert!(q.is_empty());
        }
        for stage in STAGES {
            let q = $queue::new(1);
            q.try_put(0).unwrap();
            let mut doomed = q.put(1);
            enter(stage, &mut doomed);
            let probe = Probe::new();
            let mut next = q.put(2);
            assert!(probe.poll(&mut next).is_pending());
            finish(stage, doomed, || assert_eq!(q.try_get(), Ok(0)));
            assert_eq!(probe.wakes(), 1, "{stage:?}");
            assert_eq!(step(&mut next), Some(Ok(())));
            assert_eq!(
                q.try_get(),
                Ok(2),
                "{stage:?}: the dropped put added nothing"
            );
            assert!(q.is_empty());
            assert_eq!(q.unfinished_tasks(), 2, "{stage:?}: items 0 and 2");
        }
    };
}

#[test]
fn queue_get_and_put() {
    check_queue!(Queue);
}

#[test]
fn lifo_queue_get_and_put() {
    check_queue!(LifoQueue);
}

#[test]
fn priority_queue_get_and_put() {
    check_queue!(PriorityQueue);
}

#[test]
fn queue_stream_next() {
    // A stream keeps its place in line between `next()` calls, so the doomed party here is the
    // stream itself.
    for stage in STAGES {
        let q = Queue::new(0);
        let mut doomed = q.stream();
        if stage != Stage::Unpolled {
            assert!(step(&mut doomed.next()).is_none());
        }
        let probe = Probe::new();
        let mut other = q.stream();
        let mut next = other.next();
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || q.try_put(1).unwrap());
        assert_eq!(probe.wakes(), 1, "{stage:?}");
        assert_eq!(step(&mut next), Some(Some(1)));
    }
}

#[test]
fn queue_join() {
    for stage in STAGES {
        let q = Queue::new(0);
        q.try_put(1).unwrap();
        let mut doomed = q.join();
        let probe = Probe::new();
        let mut next = q.join();
        enter(stage, &mut doomed);
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || {
            q.try_get().unwrap();
            q.task_done().unwrap();
        });
        assert_eq!(probe.wakes(), 1);
        assert!(step(&mut next).is_some());
    }
}

#[test]
fn event_wait() {
    for stage in STAGES {
        let ev = Event::new();
        let mut doomed = ev.wait();
        let probe = Probe::new();
        let mut next = ev.wait();
        enter(stage, &mut doomed);
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || {
            ev.set();
            ev.clear();
        });
        assert_eq!(probe.wakes(), 1);
        assert!(step(&mut next).is_some());
    }
}

#[test]
fn condition_wait() {
    for stage in STAGES {
        let (lock, cond) = (Mutex::new(()), Condition::new());
        let mut doomed = cond.wait(lock.try_lock().unwrap());
        if stage != Stage::Unpolled {
            assert!(step(&mut doomed).is_none());
        } else {
            // An unpolled wait still holds the guard it was given; dropping it unlocks.
            drop(doomed);
            assert!(!lock.is_locked());
            continue;
        }
        let probe = Probe::new();
        let mut next = cond.wait(lock.try_lock().unwrap());
        assert!(probe.poll(&mut next).is_pending());
        finish(stage, doomed, || {
            cond.notify(1);
        });
        assert_eq!(
            probe.wakes(),
            1,
            "{stage:?}: the notification reached `next`"
        );
        drop(step(&mut next).expect("re-locked"));
        assert!(!lock.is_locked());
    }
}

#[test]
fn condition_wait_for_and_wait_or() {
    let (lock, cond) = (Mutex::new(false), Condition::new());
    // Each wait holds the guard until its first poll, which releases the lock.
    let mut doomed = Box::pin(cond.wait_for(lock.try_lock().unwrap(), |ready| *ready));
    assert!(step(&mut doomed).is_none());
    let pending = futures_lite::future::pending::<()>();
    let mut doomed_or = Box::pin(cond.wait_or(lock.try_lock().unwrap(), pending));
    assert!(step(&mut doomed_or).is_none());
    let probe = Probe::new();
    let mut next = cond.wait(lock.try_lock().unwrap());
    assert!(probe.poll(&mut next).is_pending());
    *lock.try_lock().unwrap() = true;
    assert_eq!(cond.notify(2), 2);
    drop(doomed);
    drop(doomed_or);
    assert_eq!(
        probe.wakes(),
        1,
        "both dropped notifications passed to `next` once"
    );
    assert!(*step(&mut next).unwrap());
}

#[test]
fn barrier_wait() {
    for stage in [Stage::Unpolled, Stage::Waiting] {
        let barrier = Barrier::new(2);
        let mut doomed = barrier.wait();
        enter(stage, &mut doomed);
        finish(stage, doomed, || {});
        assert_eq!(barrier.n_waiting(), 0);
        let mut a = barrier.wait();
        assert!(step(&mut a).is_none());
        assert!(step(&mut barrier.wait()).unwrap().unwrap().is_leader());
        assert!(step(&mut a).unwrap().is_ok());
    }
}

#[test]
fn once_cell_get_or_init_set_and_wait() {
    for stage in [Stage::Unpolled, Stage::Waiting] {
        let cell = OnceCell::new();
        let gate = Event::new();
        let mut doomed = Box::pin(cell.get_or_init(|| async {
            gate.wait().await;
            "doomed"
        }));
        enter(stage, &mut doomed);
        let mut waiter = Box::pin(cell.wait());
        assert!(step(&mut waiter).is_none());
        let mut setter = Box::pin(cell.set("set"));
        // With a running initializer the setter waits for it; otherwise it sets at once.
        let set_at_once = step(&mut setter);
        assert_eq!(set_at_once.is_none(), stage == Stage::Waiting);
        finish(stage, doomed, || {});
        assert!(!gate.is_set());
        let set = set_at_once.or_else(|| step(&mut setter));
        assert_eq!(set, Some(Ok(&"set")), "{stage:?}");
        assert_eq!(step(&mut waiter), Some(&"set"));
    }
    let empty = OnceCell::<u8>::new();
    let mut doomed_wait = Box::pin(empty.wait());
    assert!(step(&mut doomed_wait).is_none());
    drop(doomed_wait);
    assert!(!empty.is_initialized());
}
