//! Every behaviour the original library's tests check (taskgraph.md section 4), in its
//! corrected form. Test names carry the spec's labels (CH, GR, EX, PF, PO, T).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Counter, MODES, n, within};
use taskgraph::{Error, Pool, Reader, StageStatus};

/// The fixture of the original: a stage that maps `x` to `(x, x*id)`, and a tuple `t` to
/// `t + (t[0]*id,)`. Here every item is a vector.
fn transformer(input: Reader<Vec<u64>>, id: u64, calls: &Counter) -> Reader<Vec<u64>> {
    transformer_builder(input, id, calls).build()
}

fn transformer_builder(
    input: Reader<Vec<u64>>,
    id: u64,
    calls: &Counter,
) -> taskgraph::StageBuilder<Vec<u64>> {
    let calls = calls.clone();
    input
        .map(move |mut t: Vec<u64>| {
            calls.inc();
            t.push(t[0] * id);
            Ok(t)
        })
        .name(format!("transformer {id}"))
}

/// `feeder -> transformers ids first..first+count -> verifier`; the verifier checks that every
/// stage ran on every item, in chain order.
fn chain(pool: &Pool, items: u64, first: u64, count: u64, calls: &Counter) -> Reader<Vec<u64>> {
    let mut r = pool
        .source((0..items).map(|x| vec![x]))
        .name("feeder")
        .build();
    for id in first..first + count {
        r = transformer(r, id, calls);
    }
    verifier(r, first)
}

fn verifier(r: Reader<Vec<u64>>, first: u64) -> Reader<Vec<u64>> {
    r.map(move |t: Vec<u64>| {
        for (k, v) in t[1..].iter().enumerate() {
            if *v != t[0] * (first + k as u64) {
                return Err(format!("item {t:?} skipped a stage").into());
            }
        }
        Ok(t)
    })
    .name("verifier")
    .build()
}

// ---- 4.1 channels: here, readers of stages ----

#[test]
fn ch2_ch3_deadline_is_for_the_whole_read_and_returns_what_is_there() {
    within(|| {
        let pool = Pool::new(1);
        // Two items, then a stream that stays open.
        let open = futures_lite::StreamExt::chain(
            futures_lite::stream::iter([1, 2]),
            futures_lite::stream::pending(),
        );
        let r = pool.source_stream(open).build();
        let start = Instant::now();
        let b = r.read_timeout(n(10), Duration::from_millis(50)).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!((b.items, b.end), (vec![1, 2], false));
        let b = r.read_timeout(n(1), Duration::from_millis(20)).unwrap();
        assert_eq!((b.items, b.end), (vec![], false));
    });
}

#[test]
fn ch4_ch6_a_finished_stream_keeps_reporting_its_end_without_blocking() {
    for workers in MODES {
        within(move || {
            let pool = Pool::new(workers);
            let r = pool.source(0..3).build();
            assert_eq!(r.status(), StageStatus::Idle);
            assert_eq!(r.read_all().unwrap(), [0, 1, 2]);
            assert_eq!(r.status(), StageStatus::Exhausted);
            for k in [1, 5] {
                let b = r.read(n(k)).unwrap();
                assert_eq!((b.items, b.end), (vec![], true));
            }
            assert_eq!(r.read_all().unwrap(), Vec::<i32>::new());
            assert_eq!(r.status(), StageStatus::Exhausted);
        });
    }
}

#[test]
fn ch7_transforming_stages_run_only_when_read() {
    let pool = Pool::inline();
    let seen = Counter::default();
    let s = seen.clone();
    let plus_one = pool.source([5]).build().map(|x: i32| Ok(x + 1)).build();
    let r = plus_one
        .map(move |x: i32| {
            s.inc();
            Ok(x + 1)
        })
        .build();
    assert_eq!(seen.get(), 0, "nothing runs before a read");
    assert_eq!(r.read(n(1)).unwrap().items, [7]);
    assert_eq!(seen.get(), 1);
}

#[test]
fn ch8_iterator_source_reads_in_parts() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let r = pool.source(0..10).build();
        assert_eq!(r.read(n(2)).unwrap().items.len(), 2);
        assert_eq!(r.read_all().unwrap().len(), 8);
        assert_eq!(r.read_all().unwrap().len(), 0);
        let b = r.read(n(5)).unwrap();
        assert!(b.items.is_empty() && b.end);
    }
}

#[test]
fn ch10_a_reader_is_an_iterator() {
    let pool = Pool::new(2);
    let items: Result<Vec<u32>, Error> = pool.source(0..10).build().collect();
    assert_eq!(items.unwrap(), (0..10).collect::<Vec<_>>());
}

// ---- 4.2 the graph ----

#[test]
fn gr1_gr2_a_chain_of_ten_stages_counts_and_runs_in_order() {
    let pool = Pool::inline();
    let mut r = pool.source(0..3u32).build();
    for _ in 0..10 {
        r = r.map(|x| Ok(x + 1)).build();
    }
    assert_eq!(pool.num_stages(), 11);
    assert_eq!(r.read_all().unwrap(), [10, 11, 12]);
    drop(r);
    assert_eq!(pool.num_stages(), 0);
}

#[test]
fn gr6_removing_one_consumer_leaves_the_others_working() {
    let pool = Pool::new(2);
    let mut parts = pool.source(0..100).build().split(2);
    let b = parts.pop().unwrap();
    let a = parts.pop().unwrap();
    let doubled = b.map(|x: i32| Ok(x * 2)).build();
    drop(a);
    assert_eq!(pool.num_stages(), 2);
    let got = doubled.read_all().unwrap();
    assert_eq!(got.len(), 100);
}

#[test]
fn gr8_dropping_the_graph_releases_every_stage_and_closure() {
    let pool = Pool::new(2);
    let token = Arc::new(());
    let t = Arc::clone(&token);
    let r = pool
        .source(0..1000)
        .build()
        .map(move |x: i32| {
            let _ = &t;
            Ok(x)
        })
        .build();
    assert_eq!(r.read(n(10)).unwrap().items.len(), 10);
    drop(r);
    common::eventually("the closure is dropped", || Arc::strong_count(&token) == 1);
    assert_eq!(pool.num_stages(), 0);
}

// ---- 4.3 the usage example ----

#[test]
fn ex1_pool_size() {
    let pool = Pool::inline();
    assert_eq!(pool.workers(), 0);
    pool.set_workers(1).unwrap();
    assert_eq!(pool.workers(), 1);
    assert_eq!(pool.live_workers(), 1);
}

#[test]
fn ex2_ex3_power_then_mult() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let power = pool
            .source(0..10u64)
            .build()
            .map(|i| Ok(i * i))
            .ordered(true)
            .build();
        let mut split = power.split(1);
        let power = split.pop().unwrap();
        let items = power.read_all().unwrap();
        assert_eq!((items.len(), items[0], items[9]), (10, 0, 81));

        let mult = pool
            .source(0..10u64)
            .build()
            .map(|i| Ok(i * i))
            .ordered(true)
            .build()
            .map(|i| Ok(i * 2))
            .ordered(true)
            .build();
        let items = mult.read_all().unwrap();
        assert_eq!((items.len(), items[0], items[9]), (10, 0, 162));
    }
}

// ---- 4.4 performance test: exact counts in every mode ----

#[test]
fn pf1_chains_deliver_exact_counts_in_every_mode_and_read_size() {
    within(|| {
        for workers in [0, 1, 2, 4] {
            for stages in [1, 5, 10] {
                let pool = Pool::new(workers);
                let build = || {
                    let mut r = pool.source(0..1000u32).build();
                    for _ in 0..stages {
                        r = r.map(Ok).build();
                    }
                    r
                };
                assert_eq!(build().read_all().unwrap().len(), 1000);
                let r = build();
                for _ in 0..1000 {
                    assert_eq!(r.read(n(1)).unwrap().items.len(), 1);
                }
                assert!(r.read(n(1)).unwrap().end);
            }
        }
    });
}

// ---- 4.5 the pool ----

#[test]
fn po1_po2_new_pools_and_reader_identity() {
    let pool = Pool::inline();
    assert_eq!(pool.workers(), 0);
    let a = pool.source(std::iter::empty::<u8>()).name("t1").build();
    let b = pool.source(std::iter::empty::<u8>()).name("t2").build();
    assert_eq!(pool.num_stages(), 2);
    assert_eq!((a.name(), b.name()), ("t1", "t2"));
    assert_ne!(a.id(), b.id());
    drop((a, b));
    assert_eq!(pool.num_stages(), 0);
}

fn counted_source(pool: &Pool, calls: &Counter) -> taskgraph::StageBuilder<u32> {
    let calls = calls.clone();
    pool.source(0..1000u32).build().map(move |x| {
        calls.inc();
        Ok(x)
    })
}

#[test]
fn po3_po4_read_all_runs_every_item_once() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let calls = Counter::default();
        let r = counted_source(&pool, &calls).ordered(true).build();
        assert_eq!(pool.num_stages(), 2);
        let items = r.read_all().unwrap();
        assert_eq!(items, (0..1000).collect::<Vec<_>>());
        assert_eq!(calls.get(), 1000);
        assert_eq!(r.status(), StageStatus::Exhausted);
        drop(r);
        assert_eq!(pool.num_stages(), 0);
    }
}

#[test]
fn po5_single_reads_then_an_explicit_end() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let calls = Counter::default();
        let r = counted_source(&pool, &calls).ordered(true).build();
        for i in 0..1000 {
            assert_eq!(r.read(n(1)).unwrap().items, [i]);
        }
        assert_eq!(
            r.read(n(1)).unwrap(),
            taskgraph::Batch {
                items: vec![],
                end: true
            }
        );
        assert_eq!(calls.get(), 1000);
    }
}

#[test]
fn po6_min_batch_refills_only_when_the_buffer_runs_dry() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let calls = Counter::default();
        let r = counted_source(&pool, &calls)
            .min_batch(n(500))
            .ordered(true)
            .build();
        assert_eq!(r.read(n(1)).unwrap().items, [0]);
        common::eventually("one read(1) runs a batch of 500", || calls.get() == 500);
        assert_eq!(r.read(n(1)).unwrap().items, [1]);
        assert_eq!(
            calls.get(),
            500,
            "the second read is served from the buffer"
        );
        assert_eq!(r.read(n(998)).unwrap().items.len(), 998);
        assert_eq!(calls.get(), 1000);
        drop(r);
        assert_eq!(pool.num_stages(), 0);
    }
}

#[test]
fn po7_min_batch_with_max_chunk_loses_no_remainder() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let calls = Counter::default();
        let r = counted_source(&pool, &calls)
            .min_batch(n(500))
            .max_chunk(n(250))
            .build();
        assert_eq!(r.read(n(502)).unwrap().items.len(), 502);
        assert_eq!(r.read(n(498)).unwrap().items.len(), 498);
        assert_eq!(calls.get(), 1000);
        assert!(r.read(n(1)).unwrap().end);
    }
}

#[test]
fn po8_po9_single_reads_with_chunk_settings() {
    for workers in MODES {
        for min_batch in [1, 250] {
            let pool = Pool::new(workers);
            let calls = Counter::default();
            let r = counted_source(&pool, &calls)
                .min_batch(n(min_batch))
                .max_chunk(n(250))
                .ordered(true)
                .build();
            for i in 0..1000 {
                assert_eq!(r.read(n(1)).unwrap().items, [i]);
            }
            assert_eq!(calls.get(), 1000);
            if min_batch == 250 {
                assert_eq!(r.stats().chunks_run, 4);
            }
        }
    }
}

#[test]
fn po10_po11_a_failing_stage_delivers_what_it_made_then_its_error() {
    for workers in MODES {
        for fail_after in [0usize, 500] {
            let pool = Pool::new(workers);
            let calls = Counter::default();
            let c = calls.clone();
            let r = pool
                .source(0..1000usize)
                .build()
                .map(move |x| {
                    c.inc();
                    if x >= fail_after {
                        Err("assertion failed".into())
                    } else {
                        Ok(x)
                    }
                })
                .name("fixture")
                .ordered(true)
                .build();
            let mut got = Vec::new();
            let err = r.read_all_into(&mut got).unwrap_err();
            assert_eq!(got, (0..fail_after).collect::<Vec<_>>());
            assert_eq!(err.stage_name(), Some("fixture"));
            assert_eq!(r.status(), StageStatus::Failed);
            drop(r);
            assert_eq!(pool.num_stages(), 0);
        }
    }
}

#[test]
fn po12_po13_a_consumer_keeps_its_upstream_and_takes_it_along_when_dropped() {
    let pool = Pool::new(2);
    let calls = Counter::default();
    let upstream = pool.source(0..10u64).build();
    let up_id = upstream.id();
    let t3 = transformer(upstream.map(|x| Ok(vec![x])).build(), 2, &calls);
    assert_eq!(pool.num_stages(), 3);
    assert_ne!(t3.id(), up_id);
    assert_eq!(t3.read_all().unwrap().len(), 10);
    drop(t3);
    assert_eq!(pool.num_stages(), 0);
}

#[test]
fn po14_po15_po16_dependent_chains() {
    for workers in [0, 4] {
        within(move || {
            let pool = Pool::new(workers);
            let calls = Counter::default();
            let r = chain(&pool, 1000, 1, 3, &calls);
            assert_eq!(pool.num_stages(), 5);
            assert_eq!(r.read_all().unwrap().len(), 1000);
            assert_eq!(calls.get(), 3000);
            drop(r);
            assert_eq!(pool.num_stages(), 0);

            let r = chain(&pool, 1000, 1, 3, &calls);
            for _ in 0..1000 {
                assert_eq!(r.read(n(1)).unwrap().items.len(), 1);
            }
            assert!(r.read_all().unwrap().is_empty());
            drop(r);

            // min_batch on the last stage only still makes the whole chain work in batches.
            let mut head = pool.source((0..1000u64).map(|x| vec![x])).build();
            for id in 1..4 {
                head = transformer(head, id, &calls);
            }
            let r = head.map(Ok).min_batch(n(250)).build();
            for _ in 0..1000 {
                assert_eq!(r.read(n(1)).unwrap().items.len(), 1);
            }
            assert!(r.read_all().unwrap().is_empty());
            assert_eq!(r.stats().chunks_run, 4);
        });
    }
}

#[test]
fn po17_a_failure_mid_chain_reaches_the_end_reader() {
    for workers in [0, 4] {
        let pool = Pool::new(workers);
        let feeder = pool.source((0..1000u64).map(|x| vec![x])).build();
        let failing = feeder
            .map(|mut t: Vec<u64>| {
                if t[0] >= 500 {
                    return Err("fail after 500".into());
                }
                t.push(t[0]);
                Ok(t)
            })
            .name("transformer 1")
            .ordered(true)
            .build();
        let calls = Counter::default();
        let t2 = transformer(failing, 2, &calls);
        let end = verifier(t2, 1);
        let mut got = Vec::new();
        let err = end.read_all_into(&mut got).unwrap_err();
        assert_eq!(got.len(), 500);
        assert_eq!(err.stage_name(), Some("transformer 1"));
    }
}

#[test]
fn po18_po19_chains_across_pools() {
    within(|| {
        let pool = Pool::new(2);
        let p2 = Pool::inline();
        let calls = Counter::default();
        let a = chain(&pool, 1000, 1, 2, &calls);
        // p2 continues the chain: ids 3..=5, verified across all positions.
        let mut r = a;
        for id in 3..6 {
            r = transformer_builder(r, id, &calls).pool(&p2).build();
        }
        assert_eq!(p2.num_stages(), 3);
        let r = verifier(r, 1);
        assert_eq!(
            p2.num_stages(),
            4,
            "the verifier runs on its input's pool, p2"
        );
        assert_eq!(r.read_all().unwrap().len(), 1000);
        drop(r);
        assert_eq!((p2.num_stages(), pool.num_stages()), (0, 0));

        // Reading A directly shares its items with p2's chain.
        let mut parts = chain(&pool, 1000, 1, 2, &calls).split(2);
        let direct = parts.pop().unwrap();
        let onward = parts.pop().unwrap().map(Ok).pool(&p2).build();
        for _ in 0..1000 {
            assert_eq!(direct.read(n(1)).unwrap().items.len(), 1);
        }
        assert!(onward.read_all().unwrap().is_empty());
        drop(onward);
        assert_eq!(p2.num_stages(), 0);
        assert_eq!(pool.num_stages(), 4);
        drop(direct);
        assert_eq!(pool.num_stages(), 0);
    });
}

// ---- 4.6 threaded tests removed from the original tree ----

#[test]
fn t2_t3_workers_grow_and_shrink() {
    within(|| {
        let pool = Pool::inline();
        for i in 0..4 {
            pool.set_workers(i).unwrap();
            assert_eq!((pool.workers(), pool.live_workers()), (i, i));
        }
        for i in (0..4).rev() {
            pool.set_workers(i).unwrap();
            assert_eq!(pool.workers(), i);
            common::eventually("surplus workers retire", || pool.live_workers() == i);
        }
    });
}
