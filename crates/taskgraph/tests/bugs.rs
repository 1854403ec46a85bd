//! One test per weakness of the original library (taskgraph.md section 5), showing that ours
//! does not have it. Named after the bug numbers.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::{Counter, MODES, Tracked, eventually, n, within};
use proptest::prelude::*;
use taskgraph::{Error, Pool, StageStatus};

fn counting_source(pool: &Pool, items: u32, pulled: &Counter) -> taskgraph::StageBuilder<u32> {
    let pulled = pulled.clone();
    pool.source((0..items).inspect(move |_| pulled.inc()))
}

#[test]
fn bug_01_builder_settings_are_applied() {
    let pool = Pool::inline();
    let pulled = Counter::default();
    let r = counting_source(&pool, 1000, &pulled)
        .min_batch(n(5))
        .max_chunk(n(3))
        .build();
    assert_eq!(r.read(n(1)).unwrap().items, [0]);
    assert_eq!(pulled.get(), 5, "min_batch 5");
    assert_eq!(r.stats().chunks_run, 2, "chunks of at most 3: 3 + 2");
}

#[test]
fn bug_02_chunking_loses_no_remainder() {
    for workers in MODES {
        within(move || {
            let pool = Pool::new(workers);
            let r = pool
                .source(0..1000)
                .build()
                .map(Ok)
                .min_batch(n(500))
                .max_chunk(n(250))
                .build();
            assert_eq!(r.read(n(502)).unwrap().items.len(), 502);
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Σ chunk sizes == the demand: a source read once runs exactly max(n, min_batch) items
    /// in ceil(that / max_chunk) chunks.
    #[test]
    fn bug_02_chunks_sum_to_the_demand(read in 1usize..300, min_batch in 1usize..300, max_chunk in 1usize..100) {
        let pool = Pool::inline();
        let pulled = Counter::default();
        let r = counting_source(&pool, 10_000, &pulled)
            .min_batch(n(min_batch))
            .max_chunk(n(max_chunk))
            .build();
        prop_assert_eq!(r.read(n(read)).unwrap().items.len(), read);
        let demand = read.max(min_batch);
        prop_assert_eq!(pulled.get(), demand);
        prop_assert_eq!(r.stats().chunks_run as usize, demand.div_ceil(max_chunk));
    }
}

#[test]
fn bug_03_end_of_stream_is_explicit_so_aggregation_loses_nothing() {
    for workers in MODES {
        within(move || {
            let pool = Pool::new(workers);
            let sums = pool
                .source(0..100u32)
                .build()
                .map_chunk(|c: Vec<u32>| Ok(vec![c.iter().sum::<u32>()]))
                .max_chunk(n(10))
                .ordered(true)
                .build();
            let b = sums.read(n(10)).unwrap();
            let want: Vec<u32> = (0..10).map(|k| (10 * k..10 * k + 10).sum()).collect();
            assert_eq!(b.items, want);
            assert!(!b.end || b.items.len() == 10);
            assert!(sums.read(n(1)).unwrap().end);
        });
    }
}

#[test]
fn bug_04_demand_is_tracked_not_rescheduled_on_every_read() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let pulled = Counter::default();
        let r = counting_source(&pool, 1000, &pulled)
            .min_batch(n(10))
            .build();
        for k in 1..=3 {
            assert_eq!(r.read(n(1)).unwrap().items.len(), 1);
            eventually("the batch is complete", || r.stats().buffered == 10 - k);
        }
        assert_eq!(pulled.get(), 10);
    }
}

#[test]
fn bug_05_bounded_buffers_hold_producers_back() {
    within(|| {
        let pool = Pool::new(2);
        let pulled = Counter::default();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let gate = Mutex::new(gate_rx);
        let slow = counting_source(&pool, 1000, &pulled)
            .max_chunk(n(4))
            .capacity(n(8))
            .build()
            .map(move |x: u32| {
                if x == 0 {
                    gate.lock().unwrap().recv().unwrap();
                }
                Ok(x)
            })
            .max_chunk(n(1))
            .concurrency(n(1))
            .capacity(n(4))
            .build();
        let reader = std::thread::spawn(move || slow.read_all().unwrap().len());
        eventually("the source has started", || pulled.get() > 0);
        std::thread::sleep(Duration::from_millis(20));
        // The consumer is stuck on item 0; the source may only fill the bounded buffers.
        assert!(pulled.get() <= 16, "pulled {} items ahead", pulled.get());
        gate_tx.send(()).unwrap();
        assert_eq!(reader.join().unwrap(), 1000);
    });
}

#[test]
fn bug_06_errors_reach_every_downstream_reader_and_panics_are_caught() {
    for workers in MODES {
        for panics in [false, true] {
            let pool = Pool::new(workers);
            let r = pool
                .source(0..10u32)
                .build()
                .map(move |x| {
                    if x == 5 {
                        if panics {
                            panic!("bad item {x}");
                        }
                        return Err("bad item".into());
                    }
                    Ok(x * 10)
                })
                .name("middle")
                .ordered(true)
                .build()
                .map(Ok)
                .ordered(true)
                .build();
            let mut got = Vec::new();
            let err = r.read_all_into(&mut got).unwrap_err();
            assert_eq!(got, [0, 10, 20, 30, 40]);
            assert_eq!(err.stage_name(), Some("middle"));
            assert_eq!(matches!(err, Error::Panicked { .. }), panics);
            assert!(err.to_string().contains("bad item"), "{err}");
        }
    }
}

#[test]
fn bug_07_a_failing_input_ends_the_stream_instead_of_hanging() {
    for workers in MODES {
        within(move || {
            let pool = Pool::new(workers);
            let r = pool
                .source((0..10u32).map(|x| if x == 3 { panic!("input broke") } else { x }))
                .name("input")
                .build()
                .map(Ok)
                .ordered(true)
                .build();
            let mut got = Vec::new();
            let err = r.read_all_into(&mut got).unwrap_err();
            assert_eq!(got, [0, 1, 2]);
            assert_eq!(err.stage_name(), Some("input"));
            assert_eq!(r.status(), StageStatus::Failed);
        });
    }
}

#[test]
fn bug_08_lifetime_is_deterministic_even_while_an_error_is_held() {
    let pool = Pool::new(1);
    let r = pool
        .source(0..3)
        .build()
        .map(|_: i32| Err::<i32, _>("no".into()))
        .build();
    let err = r.read_all().unwrap_err();
    assert_eq!(pool.num_stages(), 2);
    drop(r);
    assert_eq!(pool.num_stages(), 0, "no garbage collector needed");
    drop(err);
}

#[test]
fn bug_09_cancel_drops_queued_chunks_and_blocked_readers_wake() {
    within(|| {
        let live = Arc::new(AtomicUsize::new(0));
        let pool = Pool::inline();
        let l = Arc::clone(&live);
        let r = pool
            .source((0..100).map(move |v| Tracked::new(v, &l)))
            .min_batch(n(50))
            .build();
        let b = r.read(n(1)).unwrap();
        assert_eq!(b.items.len(), 1);
        assert_eq!(live.load(Ordering::SeqCst), 50);
        drop(b);
        drop(r);
        assert_eq!(
            live.load(Ordering::SeqCst),
            0,
            "buffered items dropped with the stage"
        );

        // A reader blocked on a stage wakes when the pool goes away.
        let pool = Pool::new(1);
        let r = pool
            .source_stream(futures_lite::stream::pending::<u8>())
            .build();
        let blocked = std::thread::spawn(move || r.read(n(1)));
        std::thread::sleep(Duration::from_millis(10));
        drop(pool);
        assert!(matches!(blocked.join().unwrap(), Err(Error::PoolGone)));
    });
}

#[test]
fn bug_10_readers_keep_what_is_buffered_when_the_pool_goes() {
    let pool = Pool::new(1);
    let r = pool.source(0..100).min_batch(n(10)).build();
    assert_eq!(r.read(n(1)).unwrap().items, [0]);
    eventually("the batch is buffered", || r.stats().buffered == 9);
    drop(pool);
    let mut got = Vec::new();
    let err = r.read_all_into(&mut got).unwrap_err();
    assert_eq!(got, (1..10).collect::<Vec<_>>());
    assert!(matches!(err, Error::PoolGone));
}

#[test]
fn bug_11_read_sizes_are_never_zero_or_negative_and_read_all_is_separate() {
    let pool = Pool::inline();
    let r = pool.source(0..10).build();
    assert!(std::num::NonZeroUsize::new(0).is_none());
    assert_eq!(r.read(n(3)).unwrap().items, [0, 1, 2]);
    assert_eq!(r.read_all().unwrap(), (3..10).collect::<Vec<_>>());
}

#[test]
fn bug_12_one_semantics_across_modes_and_resizes() {
    within(|| {
        let pool = Pool::inline();
        let r = pool.source(0..300).build().map(Ok).ordered(true).build();
        let mut got = r.read(n(100)).unwrap().items;
        pool.set_workers(2).unwrap();
        got.extend(r.read(n(100)).unwrap().items);
        pool.set_workers(0).unwrap();
        got.extend(r.read_all().unwrap());
        assert_eq!(got, (0..300).collect::<Vec<_>>());
        assert_eq!(r.status(), StageStatus::Exhausted);
    });
}

#[test]
fn bug_13_read_all_is_pipelined_and_chunked() {
    for workers in MODES {
        within(move || {
            let pool = Pool::new(workers);
            let log = Arc::new(Mutex::new(Vec::new()));
            let (a, b) = (Arc::clone(&log), Arc::clone(&log));
            let r = pool
                .source(0..1000u32)
                .max_chunk(n(10))
                .build()
                .map(move |x| {
                    a.lock().unwrap().push(('a', x));
                    Ok(x)
                })
                .max_chunk(n(10))
                .build()
                .map(move |x| {
                    b.lock().unwrap().push(('b', x));
                    Ok(x)
                })
                .max_chunk(n(10))
                .build();
            assert_eq!(r.read_all().unwrap().len(), 1000);
            assert!(r.stats().chunks_run >= 100, "chunks of at most 10 items");
            let log = log.lock().unwrap();
            let first_b = log.iter().position(|e| e.0 == 'b').unwrap();
            let last_a = log.iter().rposition(|e| e.0 == 'a').unwrap();
            assert!(
                first_b < last_a,
                "the second stage started before the first finished"
            );
        });
    }
}

#[test]
fn bug_14_the_deadline_bounds_the_whole_read_without_polling() {
    within(|| {
        let pool = Pool::new(1);
        let trickle = futures_lite::StreamExt::chain(
            futures_lite::stream::iter([1u8]),
            futures_lite::stream::pending(),
        );
        let r = pool.source_stream(trickle).build();
        let start = Instant::now();
        let deadline = start + Duration::from_millis(60);
        let b = r.read_deadline(n(5), deadline).unwrap();
        assert!(Instant::now() >= deadline);
        assert_eq!((b.items, b.end), (vec![1], false));
    });
}

#[test]
fn bug_15_fan_out_is_explicit() {
    for workers in MODES {
        within(move || {
            let pool = Pool::new(workers);
            let mut shared = pool.source(0..100u32).build().split(2);
            let b = shared.pop().unwrap();
            let a = shared.pop().unwrap();
            let mut got = a.read(n(30)).unwrap().items;
            got.extend(b.read_all().unwrap());
            got.extend(a.read_all().unwrap());
            let set: BTreeSet<u32> = got.iter().copied().collect();
            assert_eq!((got.len(), set.len()), (100, 100), "shared: each item once");

            let copies = pool.source(0..100u32).build().broadcast(3);
            for c in &copies {
                assert_eq!(c.read_all().unwrap(), (0..100).collect::<Vec<_>>());
            }
        });
    }
}

#[test]
fn bug_16_ordering_can_be_asked_for() {
    within(|| {
        let pool = Pool::new(4);
        let r = pool
            .source(0..2000u64)
            .build()
            .map(|x| {
                // Uneven work makes chunks finish out of order.
                let spin = if x % 7 == 0 { 20_000 } else { 10 };
                Ok((0..spin).fold(x, |a, b| a ^ b) ^ (0..spin).fold(0, |a, b| a ^ b))
            })
            .max_chunk(n(8))
            .ordered(true)
            .build();
        assert_eq!(r.read_all().unwrap(), (0..2000).collect::<Vec<_>>());
    });
}

#[test]
fn bug_17_resizing_is_thread_safe_and_workers_retire_between_chunks() {
    within(|| {
        let pool = Arc::new(Pool::new(2));
        let r = pool
            .source(0..100_000u32)
            .build()
            .map(Ok)
            .max_chunk(n(16))
            .build();
        let resizers: Vec<_> = (0..4)
            .map(|i| {
                let p = Arc::clone(&pool);
                std::thread::spawn(move || {
                    for k in 0..20 {
                        p.set_workers((i + k) % 4).unwrap();
                    }
                })
            })
            .collect();
        let reader = std::thread::spawn(move || r.read_all().unwrap().len());
        for t in resizers {
            t.join().unwrap();
        }
        pool.set_workers(1).unwrap();
        assert_eq!(reader.join().unwrap(), 100_000);
        eventually("one worker remains", || pool.live_workers() == 1);
    });
}

#[test]
fn bug_18_worker_threads_survive_failures() {
    within(|| {
        let pool = Pool::new(2);
        for _ in 0..5 {
            let r = pool
                .source(0..10)
                .build()
                .map(|_: i32| -> Result<i32, _> { panic!("boom") })
                .build();
            assert!(matches!(r.read_all(), Err(Error::Panicked { .. })));
        }
        assert_eq!(pool.live_workers(), 2);
        assert_eq!(pool.source(0..5).build().read_all().unwrap().len(), 5);
    });
}

#[test]
fn bug_19_a_worker_never_waits_for_input() {
    within(|| {
        // One worker; a stage whose input never comes; another graph still runs on that worker.
        let pool = Pool::new(1);
        let starved = pool
            .source_stream(futures_lite::stream::pending::<u32>())
            .build()
            .map(Ok)
            .build();
        let waiting = std::thread::spawn(move || {
            starved
                .read_timeout(n(1), Duration::from_millis(200))
                .map(|b| b.items.len())
        });
        let other = pool.source(0..1000).build().map(|x: u32| Ok(x + 1)).build();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(other.read_all().map(|v| v.len())));
        assert_eq!(rx.recv().unwrap().unwrap(), 1000);
        assert_eq!(waiting.join().unwrap().unwrap(), 0);
    });
}

#[test]
fn bug_20_a_stage_takes_its_input_by_value_and_can_run_on_another_pool() {
    let a = Pool::new(1);
    let b = Pool::inline();
    let up = a.source(0..10).build();
    let down = up.map(|x: i32| Ok(x * 3)).pool(&b).ordered(true).build();
    // `up` was moved into the stage: it cannot be added twice.
    assert_eq!((a.num_stages(), b.num_stages()), (1, 1));
    assert_eq!(
        down.read_all().unwrap(),
        (0..10).map(|x| x * 3).collect::<Vec<_>>()
    );
}

#[test]
fn bug_21_max_chunk_applies_to_read_all_as_documented() {
    let pool = Pool::inline();
    let r = pool.source(0..1000).max_chunk(n(250)).build();
    assert_eq!(r.read_all().unwrap().len(), 1000);
    assert_eq!(
        r.stats().chunks_run,
        4 + 1,
        "4 full chunks, then one that finds the end"
    );
}

#[test]
fn bug_22_async_reads_work() {
    let pool = Pool::new(1);
    let r = pool.source(0..5).build();
    let b = futures_lite::future::block_on(r.read_async(n(5))).unwrap();
    assert_eq!(b.items, [0, 1, 2, 3, 4]);
}

#[test]
fn bug_23_creating_pools_and_graphs_has_no_side_effects() {
    let pool = Pool::inline();
    assert_eq!(pool.live_workers(), 0);
    let pulled = Counter::default();
    let r = counting_source(&pool, 10, &pulled).build().map(Ok).build();
    assert_eq!(pulled.get(), 0);
    assert_eq!(r.stats(), taskgraph::StageStats::default());
    assert_eq!(r.status(), StageStatus::Idle);
}
