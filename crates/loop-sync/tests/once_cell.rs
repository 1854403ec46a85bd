//! `OnceCell`: one initialization under concurrent callers, hand-over when the initializer is
//! cancelled, fails or panics, and the plain accessors.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use loop_core::EventLoop;
use loop_sync::{Event, OnceCell};

mod common;

use common::{step, ticks};

#[test]
fn concurrent_callers_run_one_initializer_and_share_its_value() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let cell = Rc::new(OnceCell::new());
        let runs = Rc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..5)
            .map(|n| {
                let (cell, runs) = (cell.clone(), runs.clone());
                lp.spawn_local(async move {
                    *cell
                        .get_or_init(|| async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            ticks(3).await;
                            n
                        })
                        .await
                })
            })
            .collect();
        let mut values = Vec::new();
        for t in tasks {
            values.push(t.await.unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(values, [0; 5], "everyone sees the first caller's value");
    })
    .unwrap();
}

#[test]
fn a_cancelled_initializer_hands_the_job_to_a_waiting_caller() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let cell = Rc::new(OnceCell::new());
        let never = Rc::new(Event::new());
        let (c, n) = (cell.clone(), never.clone());
        let first = lp.spawn_local(async move {
            *c.get_or_init(|| async move {
                n.wait().await;
                "first"
            })
            .await
        });
        ticks(2).await;
        let c = cell.clone();
        let second = lp.spawn_local(async move { *c.get_or_init(|| async { "second" }).await });
        ticks(2).await;
        assert!(!second.is_finished(), "waiting for the first initializer");
        drop(first);
        assert_eq!(second.await.unwrap(), "second");
        assert_eq!(cell.get(), Some(&"second"));
    })
    .unwrap();
}

#[test]
fn a_failed_initializer_leaves_the_cell_empty_for_the_next_caller() {
    futures_lite::future::block_on(async {
        let cell = OnceCell::new();
        let err = cell
            .get_or_try_init(|| async { Err::<u8, _>("boom") })
            .await;
        assert_eq!(err, Err("boom"));
        assert!(!cell.is_initialized());
        let ok = cell.get_or_try_init(|| async { Ok::<_, &str>(7) }).await;
        assert_eq!(ok, Ok(&7));
    });
}

#[test]
fn a_panicking_initializer_leaves_the_cell_empty() {
    let cell = OnceCell::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures_lite::future::block_on(cell.get_or_init(|| async { panic!("init failed") }))
    }));
    assert!(caught.is_err());
    assert!(cell.get().is_none());
    assert_eq!(
        *futures_lite::future::block_on(cell.get_or_init(|| async { 1 })),
        1
    );
}

#[test]
fn stepped_waiters_wake_when_the_value_lands() {
    let cell = OnceCell::new();
    let gate = Event::new();
    let mut init = Box::pin(cell.get_or_init(|| async {
        gate.wait().await;
        5
    }));
    let mut waiter = Box::pin(cell.wait());
    let mut setter = Box::pin(cell.set(6));
    assert!(step(&mut init).is_none());
    assert!(step(&mut waiter).is_none());
    assert!(
        step(&mut setter).is_none(),
        "set waits for the running initializer"
    );
    gate.set();
    assert_eq!(step(&mut init), Some(&5));
    assert_eq!(step(&mut waiter), Some(&5));
    assert_eq!(step(&mut setter), Some(Err(6)));
}

#[test]
fn dropping_a_waiting_caller_changes_nothing() {
    let cell = OnceCell::new();
    let gate = Event::new();
    let mut init = Box::pin(cell.get_or_init(|| async {
        gate.wait().await;
        "v"
    }));
    assert!(step(&mut init).is_none());
    let mut other = Box::pin(cell.get_or_init(|| async { unreachable!() }));
    assert!(step(&mut other).is_none());
    drop(other);
    gate.set();
    assert_eq!(step(&mut init), Some(&"v"));
}

#[test]
fn accessors_set_take_and_debug() {
    let mut cell = OnceCell::new();
    assert_eq!(format!("{cell:?}"), "OnceCell(<uninit>)");
    assert!(cell.get_mut().is_none());
    assert_eq!(
        futures_lite::future::block_on(cell.set(vec![1])),
        Ok(&vec![1])
    );
    cell.get_mut().unwrap().push(2);
    assert_eq!(format!("{cell:?}"), "OnceCell([1, 2])");
    assert_eq!(cell.take(), Some(vec![1, 2]));
    assert_eq!(cell.take(), None);
    assert_eq!(OnceCell::from(3).into_inner(), Some(3));
    assert_eq!(OnceCell::<u8>::default().into_inner(), None);
}

#[test]
fn the_value_is_dropped_with_the_cell() {
    let marker = Arc::new(());
    let cell = OnceCell::from(marker.clone());
    assert_eq!(Arc::strong_count(&marker), 2);
    drop(cell);
    assert_eq!(Arc::strong_count(&marker), 1);
}

#[test]
fn threads_initialize_once() {
    let cell = Arc::new(OnceCell::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let (cell, runs) = (cell.clone(), runs.clone());
            std::thread::spawn(move || {
                *futures_lite::future::block_on(cell.get_or_init(|| async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    i
                }))
            })
        })
        .collect();
    let values: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(values.iter().all(|v| *v == values[0]));
}
