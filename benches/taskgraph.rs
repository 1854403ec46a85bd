//! Task graph benchmarks: `evloop::taskgraph` against rayon's `par_bridge`, a crossbeam-channel
//! pipeline with one thread per stage, futures' buffered streams, and pariter.
//!
//! Every row runs one workload on each implementation side by side, as the benchmark ids
//! `<row>/<impl>`; `python3 benches/ratios.py` prints the medians and the evloop ÷ best-peer
//! ratio afterwards. Each workload's result is checked once before it is timed.
//!
//! Rows (`ITEMS` = a million `u64`s unless said otherwise):
//!
//! - `tg_identity_{1,5,10}_read_all`: the items through 1, 5 or 10 identity stages, all read at
//!   once (evloop: `read_all`; peers: collect).
//! - `tg_identity_{1,5,10}_read1`: the same, pulled one item at a time (evloop: `read(1)` in a
//!   loop, on stages with `min_batch(1024)` and `max_chunk(1024)`: a refill of 1024 items in
//!   one chunk, the read-ahead the peers' bounded channels give;
//!   peers: `next()`). rayon cannot be pulled item by item and sits these rows out.
//! - `tg_cpu_heavy_read_all`: `HEAVY_ITEMS` items through one map doing about a microsecond
//!   of arithmetic each.
//! - `tg_aggregate_10_to_1`: the items summed by tens (100 000 sums), order kept.
//!
//! Implementations:
//!
//! - `evloop`: a `Pool` of `WORKERS` threads; the reading thread helps, like rayon's caller.
//! - `rayon`: `par_bridge` on the global pool (as many threads as CPUs), one `map` per stage.
//! - `crossbeam`: a thread per stage, `bounded(1024)` channels, one send per item.
//! - `futures`: `stream::iter` with one `map(ready).buffered(64)` per stage, on one thread
//!   (`futures::executor::block_on`).
//! - `pariter`: `parallel_map` (its default: a thread per CPU). Each item costs it a few
//!   microseconds of channel hops (3.5 s for a million items through one identity stage here),
//!   which would take the identity rows past the time budget of the whole run, so it runs the
//!   CPU-heavy and aggregation rows only.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use evloop::taskgraph::{Pool, Reader};
use futures::StreamExt;
use pariter::IteratorExt;
use rayon::iter::{ParallelBridge, ParallelIterator};

const ITEMS: u64 = 1_000_000;
const HEAVY_ITEMS: u64 = 100_000;
const WORKERS: usize = 2;
const CHANNEL: usize = 1024;
const BUFFERED: usize = 64;

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("not zero")
}

/// About a microsecond of dependent arithmetic that the optimizer cannot skip.
fn heavy(x: u64) -> u64 {
    let mut h = x ^ 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        h = h.rotate_left(5).wrapping_mul(0x100_0000_01b3) ^ x;
    }
    h
}

// ---- evloop ----

/// `read_ahead`: every stage refills `CHANNEL` items at a time, in one chunk.
fn tg_chain(pool: &Pool, stages: usize, read_ahead: bool) -> Reader<u64> {
    let source = pool.source(0..ITEMS);
    let mut r = if read_ahead {
        source.max_chunk(nz(CHANNEL))
    } else {
        source
    }
    .build();
    for _ in 0..stages {
        let b = r.map(Ok);
        r = if read_ahead {
            b.min_batch(nz(CHANNEL)).max_chunk(nz(CHANNEL))
        } else {
            b
        }
        .build();
    }
    r
}

fn tg_read_all(pool: &Pool, stages: usize) -> u64 {
    tg_chain(pool, stages, false)
        .read_all()
        .expect("no stage fails")
        .into_iter()
        .sum()
}

fn tg_read1(pool: &Pool, stages: usize) -> u64 {
    let r = tg_chain(pool, stages, true);
    let mut sum = 0;
    loop {
        let b = r.read(nz(1)).expect("no stage fails");
        sum += b.items.iter().sum::<u64>();
        if b.end {
            return sum;
        }
    }
}

fn tg_heavy(pool: &Pool) -> u64 {
    let r = pool
        .source(0..HEAVY_ITEMS)
        .build()
        .map(|x| Ok(heavy(x)))
        .build();
    r.read_all()
        .expect("no stage fails")
        .into_iter()
        .fold(0, u64::wrapping_add)
}

fn tg_aggregate(pool: &Pool) -> u64 {
    let r = pool
        .source(0..ITEMS)
        .build()
        .map_chunk(|c: Vec<u64>| Ok(vec![c.iter().sum::<u64>()]))
        .max_chunk(nz(10))
        .ordered(true)
        .build();
    let sums = r.read_all().expect("no stage fails");
    assert_eq!(sums.len() as u64, ITEMS / 10);
    sums.into_iter().sum()
}

// ---- rayon ----

fn rayon_chain(stages: usize) -> u64 {
    let mut it: Box<dyn Fn(u64) -> u64 + Send + Sync> = Box::new(|x| x);
    for _ in 0..stages {
        let prev = it;
        it = Box::new(move |x| black_box(prev(x)));
    }
    (0..ITEMS).par_bridge().map(it).sum()
}

fn rayon_heavy() -> u64 {
    (0..HEAVY_ITEMS)
        .par_bridge()
        .map(heavy)
        .reduce(|| 0, u64::wrapping_add)
}

fn rayon_aggregate() -> u64 {
    let sums: Vec<u64> = (0..ITEMS / 10)
        .map(|c| c * 10..c * 10 + 10)
        .par_bridge()
        .map(|r| r.map(black_box).sum::<u64>())
        .collect();
    assert_eq!(sums.len() as u64, ITEMS / 10);
    sums.into_iter().sum()
}

// ---- crossbeam: a thread per stage ----

fn crossbeam_pipeline(
    stages: usize,
    source: impl Iterator<Item = u64> + Send + 'static,
    stage: fn(u64) -> u64,
) -> crossbeam_channel::Receiver<u64> {
    let (tx, mut rx) = crossbeam_channel::bounded(CHANNEL);
    std::thread::spawn(move || {
        for x in source {
            if tx.send(x).is_err() {
                return;
            }
        }
    });
    for _ in 0..stages {
        let (tx, next) = crossbeam_channel::bounded(CHANNEL);
        let input = rx;
        std::thread::spawn(move || {
            for x in input {
                if tx.send(stage(x)).is_err() {
                    return;
                }
            }
        });
        rx = next;
    }
    rx
}

fn crossbeam_chain(stages: usize) -> u64 {
    crossbeam_pipeline(stages, 0..ITEMS, |x| x)
        .into_iter()
        .sum()
}

fn crossbeam_heavy() -> u64 {
    crossbeam_pipeline(1, 0..HEAVY_ITEMS, heavy)
        .into_iter()
        .fold(0, u64::wrapping_add)
}

fn crossbeam_aggregate() -> u64 {
    let input = crossbeam_pipeline(0, 0..ITEMS, |x| x);
    let (tx, rx) = crossbeam_channel::bounded(CHANNEL);
    std::thread::spawn(move || {
        let (mut sum, mut k) = (0, 0);
        for x in input {
            sum += x;
            k += 1;
            if k == 10 {
                if tx.send(sum).is_err() {
                    return;
                }
                (sum, k) = (0, 0);
            }
        }
    });
    let sums: Vec<u64> = rx.into_iter().collect();
    assert_eq!(sums.len() as u64, ITEMS / 10);
    sums.into_iter().sum()
}

// ---- futures: buffered streams on one thread ----

fn futures_stream(
    stages: usize,
    items: u64,
    f: fn(u64) -> u64,
) -> futures::stream::BoxStream<'static, u64> {
    let mut s = futures::stream::iter(0..items).boxed();
    for _ in 0..stages {
        s = s
            .map(move |x| futures::future::ready(f(x)))
            .buffered(BUFFERED)
            .boxed();
    }
    s
}

fn futures_chain(stages: usize, one_by_one: bool) -> u64 {
    futures::executor::block_on(async {
        let mut s = futures_stream(stages, ITEMS, |x| x);
        if one_by_one {
            let mut sum = 0;
            while let Some(x) = s.next().await {
                sum += x;
            }
            sum
        } else {
            s.collect::<Vec<u64>>().await.into_iter().sum()
        }
    })
}

fn futures_heavy() -> u64 {
    futures::executor::block_on(
        futures_stream(1, HEAVY_ITEMS, heavy).fold(0u64, |a, x| async move { a.wrapping_add(x) }),
    )
}

fn futures_aggregate() -> u64 {
    futures::executor::block_on(async {
        let sums: Vec<u64> = futures::stream::iter(0..ITEMS)
            .chunks(10)
            .map(|c| c.into_iter().sum::<u64>())
            .collect()
            .await;
        assert_eq!(sums.len() as u64, ITEMS / 10);
        sums.into_iter().sum()
    })
}

// ---- pariter ----

fn pariter_chain(
    items: u64,
    stages: usize,
    f: fn(u64) -> u64,
) -> Box<dyn Iterator<Item = u64> + Send> {
    let mut it: Box<dyn Iterator<Item = u64> + Send> = Box::new(0..items);
    for _ in 0..stages {
        it = Box::new(it.parallel_map(f));
    }
    it
}

fn pariter_aggregate() -> u64 {
    let chunks = (0..ITEMS / 10).map(|c| c * 10..c * 10 + 10);
    let sums: Vec<u64> = chunks
        .parallel_map(|r| r.map(black_box).sum::<u64>())
        .collect();
    assert_eq!(sums.len() as u64, ITEMS / 10);
    sums.into_iter().sum()
}

// ---- criterion ----

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group
}

fn bench(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, expect: u64, run: impl Fn() -> u64) {
    assert_eq!(run(), expect, "{name}");
    group.bench_function(name, |b| b.iter(|| black_box(run())));
}

fn taskgraph(c: &mut Criterion) {
    let pool = Pool::new(WORKERS);
    let total = ITEMS * (ITEMS - 1) / 2;
    for stages in [1, 5, 10] {
        let mut g = group(c, &format!("tg_identity_{stages}_read_all"));
        bench(&mut g, "evloop", total, || tg_read_all(&pool, stages));
        bench(&mut g, "rayon", total, || rayon_chain(stages));
        bench(&mut g, "crossbeam", total, || crossbeam_chain(stages));
        bench(&mut g, "futures", total, || futures_chain(stages, false));
        g.finish();

        let mut g = group(c, &format!("tg_identity_{stages}_read1"));
        bench(&mut g, "evloop", total, || tg_read1(&pool, stages));
        bench(&mut g, "crossbeam", total, || {
            let rx = crossbeam_pipeline(stages, 0..ITEMS, |x| x);
            let mut sum = 0;
            while let Ok(x) = rx.recv() {
                sum += x;
            }
            sum
        });
        bench(&mut g, "futures", total, || futures_chain(stages, true));
        g.finish();
    }

    let heavy_total = (0..HEAVY_ITEMS).map(heavy).fold(0, u64::wrapping_add);
    let mut g = group(c, "tg_cpu_heavy_read_all");
    bench(&mut g, "evloop", heavy_total, || tg_heavy(&pool));
    bench(&mut g, "rayon", heavy_total, rayon_heavy);
    bench(&mut g, "crossbeam", heavy_total, crossbeam_heavy);
    bench(&mut g, "futures", heavy_total, futures_heavy);
    bench(&mut g, "pariter", heavy_total, || {
        pariter_chain(HEAVY_ITEMS, 1, heavy).fold(0, u64::wrapping_add)
    });
    g.finish();

    let mut g = group(c, "tg_aggregate_10_to_1");
    bench(&mut g, "evloop", total, || tg_aggregate(&pool));
    bench(&mut g, "rayon", total, rayon_aggregate);
    bench(&mut g, "crossbeam", total, crossbeam_aggregate);
    bench(&mut g, "futures", total, futures_aggregate);
    bench(&mut g, "pariter", total, pariter_aggregate);
    g.finish();
}

criterion_group!(benches, taskgraph);
criterion_main!(benches);
