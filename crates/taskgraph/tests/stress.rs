//! A million items on several threads, cancelled midway: every item is dropped, every thread
//! joined. Alone in its file so that the process's thread count is this test's.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Tracked, eventually, n, within};
use taskgraph::Pool;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn a_million_items_cancelled_midway_leak_nothing() {
    within(|| {
        let before = threads();
        let live = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicUsize::new(0));
        let pool = Pool::new(4);
        assert_eq!(threads(), before + 4);
        let (l, m) = (Arc::clone(&live), Arc::clone(&made));
        let r = pool
            .source((0..1_000_000u64).map(move |v| {
                m.fetch_add(1, Ordering::Relaxed);
                Tracked::new(v, &l)
            }))
            .max_chunk(n(1024))
            .build()
            .map(|mut t: Tracked| {
                t.value *= 2;
                Ok(t)
            })
            .max_chunk(n(512))
            .build()
            .filter_map(|t: Tracked| Ok((t.value % 3 != 0).then_some(t)))
            .max_chunk(n(512))
            .capacity(n(8192))
            .build();
        let mut seen = 0usize;
        while seen < 300_000 {
            seen += r.read(n(4096)).unwrap().items.len();
        }
        assert_eq!(pool.num_stages(), 3);
        drop(r);
        assert_eq!(pool.num_stages(), 0, "cancelled at once");
        // Chunks running when the reader went finish their current item, then drop the rest.
        eventually("every item is dropped", || live.load(Ordering::SeqCst) == 0);
        let made = made.load(Ordering::SeqCst);
        assert!(
            made < 1_000_000,
            "cancellation stopped the source ({made} made)"
        );
        drop(pool);
        assert_eq!(threads(), before, "every worker joined");
    });
}
