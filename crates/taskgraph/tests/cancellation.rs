//! Cancellation: dropping the last reader cancels a stage and the upstream no one else reads,
//! at once; running chunks stop between items.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use common::{MODES, Tracked, eventually, n, within};
use taskgraph::{Error, Pool, StageStatus};

#[test]
fn dropping_the_last_reader_cancels_the_unshared_upstream_only() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let mut shared = pool.source(0..100).build().split(2);
        let keep = shared.pop().unwrap();
        let chain = shared.pop().unwrap().map(Ok).build().map(Ok).build();
        assert_eq!(pool.num_stages(), 3);
        drop(chain);
        assert_eq!(pool.num_stages(), 1, "the shared source stays");
        assert_eq!(keep.read_all().unwrap().len(), 100);
        keep.cancel();
        assert_eq!(pool.num_stages(), 0);
    }
}

#[test]
fn a_running_chunk_stops_after_its_current_item() {
    within(|| {
        let pool = Pool::new(1);
        let done = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (started_tx, go_rx) = (
            std::sync::Mutex::new(started_tx),
            std::sync::Mutex::new(go_rx),
        );
        let d = Arc::clone(&done);
        let r = pool
            .source(0..1000u32)
            .build()
            .map(move |x| {
                if x == 0 {
                    started_tx.lock().unwrap().send(()).unwrap();
                    go_rx.lock().unwrap().recv().unwrap();
                }
                d.fetch_add(1, Ordering::SeqCst);
                Ok(x)
            })
            .max_chunk(n(1000))
            .build();
        // try_read never runs chunks in the calling thread of a threaded pool: the worker does.
        assert!(r.try_read(n(1000)).unwrap().items.is_empty());
        started_rx.recv().unwrap();
        drop(r);
        go_tx.send(()).unwrap();
        eventually("the chunk ends", || {
            pool.num_stages() == 0 && done.load(Ordering::SeqCst) >= 1
        });
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            done.load(Ordering::SeqCst),
            1,
            "only the current item finished"
        );
    });
}

#[test]
fn queued_and_buffered_items_are_dropped_at_once() {
    let live = Arc::new(AtomicUsize::new(0));
    let pool = Pool::inline();
    let l = Arc::clone(&live);
    let r = pool
        .source((0..1000).map(move |v| Tracked::new(v, &l)))
        .max_chunk(n(50))
        .build()
        .map(Ok)
        .max_chunk(n(10))
        .min_batch(n(50))
        .build();
    // Inline, try_read runs chunks until it has its items: the source's first 50 items are
    // then split into map chunks of 10, of which only the first has run.
    let b = r.try_read(n(5)).unwrap();
    assert_eq!(b.items.len(), 5);
    drop(b);
    assert_eq!(r.stats().buffered, 5);
    assert_eq!(r.stats().chunks_in_flight, 4);
    assert_eq!(live.load(Ordering::SeqCst), 45);
    drop(r);
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

#[test]
fn dropping_the_pool_ends_reads_with_pool_gone_and_joins() {
    within(|| {
        let pool = Pool::new(2);
        let r = pool.source(0..10).build();
        assert_eq!(r.read(n(2)).unwrap().items, [0, 1]);
        drop(pool);
        assert!(matches!(r.read_all(), Err(Error::PoolGone)));
        assert_eq!(r.status(), StageStatus::Cancelled);
    });
}
