//! Per-stage status and counts.

mod common;

use std::sync::Mutex;
use std::sync::mpsc;

use common::{eventually, n, within};
use taskgraph::{Pool, StageStats, StageStatus};

#[test]
fn counts_follow_the_work() {
    let pool = Pool::inline();
    let r = pool
        .source(0..100u32)
        .build()
        .filter_map(|x| Ok((x % 2 == 0).then_some(x)))
        .max_chunk(n(10))
        .build();
    assert_eq!(r.stats(), StageStats::default());
    assert_eq!(r.read(n(5)).unwrap().items, [0, 2, 4, 6, 8]);
    // Demand-driven: 5 items in (3 evens), then 2 more, then 1 and 1: nothing beyond item 8.
    let s = r.stats();
    assert_eq!((s.items_in, s.items_out, s.chunks_run), (9, 5, 4));
    assert_eq!(
        (s.buffered, s.in_flight, s.chunks_in_flight, s.errors),
        (0, 0, 0, 0)
    );
    assert_eq!(r.read_all().unwrap().len(), 45);
    let s = r.stats();
    assert_eq!((s.items_in, s.items_out), (100, 50));
    assert_eq!(r.status(), StageStatus::Exhausted);
}

#[test]
fn status_shows_running_chunks() {
    within(|| {
        let pool = Pool::new(1);
        let (tx, rx) = mpsc::channel::<()>();
        let rx = Mutex::new(rx);
        let r = pool
            .source(0..3u32)
            .build()
            .map(move |x| {
                rx.lock().unwrap().recv().unwrap();
                Ok(x)
            })
            .max_chunk(n(3))
            .build();
        assert_eq!(r.status(), StageStatus::Idle);
        assert!(r.try_read(n(3)).unwrap().items.is_empty());
        eventually("the chunk runs", || {
            r.status() == StageStatus::Running { in_flight: 1 }
        });
        assert_eq!(r.stats().in_flight, 3);
        for _ in 0..3 {
            tx.send(()).unwrap();
        }
        assert_eq!(r.read(n(3)).unwrap().items, [0, 1, 2]);
        assert!(r.read(n(1)).unwrap().end);
        assert_eq!(r.status(), StageStatus::Exhausted);
        assert!(format!("{r:?}").contains("Exhausted"));
    });
}

#[test]
fn concurrency_limits_chunks_in_flight() {
    within(|| {
        let pool = Pool::new(4);
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (r2, p2) = (running.clone(), peak.clone());
        let r = pool
            .source(0..2000u32)
            .build()
            .map(move |x| {
                use std::sync::atomic::Ordering::SeqCst;
                let now = r2.fetch_add(1, SeqCst) + 1;
                p2.fetch_max(now, SeqCst);
                std::hint::black_box((0..200).sum::<u32>());
                r2.fetch_sub(1, SeqCst);
                Ok(x)
            })
            .max_chunk(n(1))
            .concurrency(n(2))
            .build();
        assert_eq!(r.read_all().unwrap().len(), 2000);
        assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 2);
    });
}
