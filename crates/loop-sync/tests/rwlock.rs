//! `RwLock`: shared reads, exclusive writes, one FIFO line so neither side starves, cancellation
//! and downgrade, and readers and writers on plain threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use loop_sync::{RwLock, RwLockWriteGuard};

mod common;

use common::{Probe, step};

#[test]
fn readers_share_and_a_writer_excludes_everyone() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let r2 = lock.try_read().unwrap();
    assert!(lock.try_write().is_none());
    drop((r1, r2));
    let w = lock.try_write().unwrap();
    assert!(lock.try_read().is_none());
    assert!(lock.try_write().is_none());
    drop(w);
    assert!(lock.try_read().is_some());
}

#[test]
fn a_waiting_writer_is_not_starved_by_later_readers() {
    let lock = RwLock::new(Vec::new());
    let reader = lock.try_read().unwrap();
    let mut writer = lock.write();
    assert!(step(&mut writer).is_none());
    // Readers arriving after the writer queue behind it even though a reader holds the lock.
    assert!(lock.try_read().is_none());
    let mut late_reader = lock.read();
    assert!(step(&mut late_reader).is_none());

    drop(reader);
    assert!(step(&mut late_reader).is_none());
    let mut w = step(&mut writer).expect("the writer is next");
    w.push("write");
    drop(w);
    let r = step(&mut late_reader).expect("then the reader");
    assert_eq!(*r, ["write"]);
}

#[test]
fn a_waiting_reader_is_not_starved_by_later_writers() {
    let lock = RwLock::new(0);
    let w1 = lock.try_write().unwrap();
    let mut reader = lock.read();
    let mut w2 = lock.write();
    assert!(step(&mut reader).is_none());
    assert!(step(&mut w2).is_none());
    drop(w1);
    assert!(step(&mut w2).is_none());
    let r = step(&mut reader).expect("the reader came first");
    assert!(step(&mut w2).is_none());
    drop(r);
    assert!(step(&mut w2).is_some());
}

#[test]
fn consecutive_readers_behind_a_writer_share_the_lock_together() {
    let lock = RwLock::new(1);
    let w = lock.try_write().unwrap();
    let mut readers: Vec<_> = (0..3).map(|_| lock.read()).collect();
    let mut writer = lock.write();
    for r in &mut readers {
        assert!(step(r).is_none());
    }
    assert!(step(&mut writer).is_none());
    drop(w);
    let guards: Vec<_> = readers.iter_mut().map(|r| step(r).unwrap()).collect();
    assert_eq!(guards.iter().map(|g| **g).sum::<i32>(), 3);
    assert!(step(&mut writer).is_none());
    drop(guards);
    assert!(step(&mut writer).is_some());
}

#[test]
fn dropping_a_waiting_writer_lets_the_readers_behind_it_in() {
    let lock = RwLock::new(());
    let reader = lock.try_read().unwrap();
    let mut writer = lock.write();
    let mut late_reader = lock.read();
    let probe = Probe::new();
    assert!(step(&mut writer).is_none());
    assert!(probe.poll(&mut late_reader).is_pending());
    drop(writer);
    assert_eq!(probe.wakes(), 1);
    let late = step(&mut late_reader).expect("nothing ahead of it any more");
    drop((reader, late));
    assert!(lock.try_write().is_some());
}

#[test]
fn a_dropped_writer_that_was_already_handed_the_lock_passes_it_on() {
    let lock = RwLock::new(());
    let w = lock.try_write().unwrap();
    let mut writer = lock.write();
    let mut reader = lock.read();
    assert!(step(&mut writer).is_none());
    assert!(step(&mut reader).is_none());
    drop(w);
    drop(writer);
    let r = step(&mut reader).expect("the lock moved past the dropped writer");
    drop(r);
    assert!(lock.try_write().is_some());
}

#[test]
fn downgrade_keeps_writers_out_and_lets_queued_readers_in() {
    let lock = RwLock::new(0);
    let mut w = lock.try_write().unwrap();
    let mut reader = lock.read();
    let mut writer = lock.write();
    assert!(step(&mut reader).is_none());
    assert!(step(&mut writer).is_none());
    *w = 7;
    let r = RwLockWriteGuard::downgrade(w);
    let r2 = step(&mut reader).expect("readers share with the downgraded guard");
    assert_eq!(*r + *r2, 14);
    assert!(step(&mut writer).is_none());
    drop((r, r2));
    assert_eq!(*step(&mut writer).unwrap(), 7);
}

#[test]
fn debug_and_accessors() {
    let mut lock = RwLock::new(String::from("a"));
    lock.get_mut().push('b');
    let w = lock.try_write().unwrap();
    assert!(format!("{lock:?}").contains("<locked>"));
    assert_eq!(format!("{w} {w:?}"), "ab \"ab\"");
    drop(w);
    let r = lock.try_read().unwrap();
    assert_eq!(format!("{r}"), "ab");
    assert!(format!("{lock:?}").contains("\"ab\""));
    drop(r);
    assert_eq!(lock.into_inner(), "ab");
}

#[test]
fn readers_and_writers_on_threads_never_overlap() {
    let lock = Arc::new(RwLock::new(0u64));
    // > 0: that many readers inside; -1: a writer inside.
    let inside = Arc::new(AtomicIsize::new(0));
    let violations = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (lock, inside, violations) = (lock.clone(), inside.clone(), violations.clone());
            std::thread::spawn(move || {
                futures_lite::future::block_on(async {
                    for _ in 0..300 {
                        if i == 0 {
                            let mut w = lock.write().await;
                            if inside.swap(-1, Ordering::SeqCst) != 0 {
                                violations.fetch_add(1, Ordering::SeqCst);
                            }
                            *w += 1;
                            std::thread::yield_now();
                            inside.store(0, Ordering::SeqCst);
                        } else {
                            let r = lock.read().await;
                            if inside.fetch_add(1, Ordering::SeqCst) < 0 {
                                violations.fetch_add(1, Ordering::SeqCst);
                            }
                            let _ = *r;
                            std::thread::yield_now();
                            inside.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(violations.load(Ordering::SeqCst), 0);
    assert_eq!(*lock.try_read().unwrap(), 300);
}
