//! Property: random graphs and read patterns give the same items inline and on worker threads
//! (in the same order when every stage is ordered).

mod common;

use common::n;
use proptest::prelude::*;
use taskgraph::{Pool, Reader};

#[derive(Clone, Debug)]
enum Op {
    Add(u64),
    /// Drops multiples of the value.
    Filter(u64),
    /// Sums chunks of this size: only with ordered stages, where chunk contents are fixed.
    Sum(usize),
    /// Emits every item twice: any grouping gives the same multiset.
    Twice,
}

#[derive(Clone, Debug)]
struct StageCfg {
    op: Op,
    max_chunk: usize,
    min_batch: usize,
    capacity: Option<usize>,
    concurrency: Option<usize>,
}

#[derive(Clone, Debug)]
struct Case {
    items: u64,
    stages: Vec<StageCfg>,
    ordered: bool,
    broadcast: bool,
    reads: Vec<usize>,
    workers: usize,
}

fn op(ordered: bool) -> BoxedStrategy<Op> {
    let common = prop_oneof![
        (0u64..100).prop_map(Op::Add),
        (2u64..5).prop_map(Op::Filter),
        Just(Op::Twice),
    ];
    if ordered {
        prop_oneof![3 => common, 1 => (1usize..8).prop_map(Op::Sum)].boxed()
    } else {
        common.boxed()
    }
}

fn case() -> impl Strategy<Value = Case> {
    any::<bool>().prop_flat_map(|ordered| {
        let stage = (
            op(ordered),
            1usize..20,
            1usize..20,
            proptest::option::of(1usize..50),
            proptest::option::of(1usize..4),
        )
            .prop_map(
                |(op, max_chunk, min_batch, capacity, concurrency)| StageCfg {
                    op,
                    max_chunk,
                    min_batch,
                    capacity,
                    concurrency,
                },
            );
        (
            0u64..300,
            proptest::collection::vec(stage, 1..5),
            any::<bool>(),
            proptest::collection::vec(1usize..40, 0..8),
            1usize..4,
        )
            .prop_map(move |(items, stages, broadcast, reads, workers)| Case {
                items,
                stages,
                ordered,
                broadcast,
                reads,
                workers,
            })
    })
}

fn build(pool: &Pool, case: &Case) -> Reader<u64> {
    let mut r = pool.source(0..case.items).build();
    for s in &case.stages {
        let b = match s.op {
            Op::Add(k) => r.map(move |x| Ok(x + k)),
            Op::Filter(m) => r.filter_map(move |x| Ok((x % m != 0).then_some(x))),
            Op::Sum(size) => r
                .map_chunk(|c: Vec<u64>| Ok(vec![c.iter().sum()]))
                .max_chunk(n(size)),
            Op::Twice => r.map_chunk(|c: Vec<u64>| Ok(c.iter().flat_map(|&x| [x, x]).collect())),
        };
        let mut b = b.min_batch(n(s.min_batch)).ordered(case.ordered);
        if !matches!(s.op, Op::Sum(_)) {
            b = b.max_chunk(n(s.max_chunk));
        }
        if let Some(c) = s.capacity {
            b = b.capacity(n(c));
        }
        if let Some(c) = s.concurrency {
            b = b.concurrency(n(c));
        }
        r = b.build();
    }
    r
}

/// What the reads return: the read pattern, then everything else; with a broadcast, the second
/// branch's items follow.
fn run(workers: usize, case: &Case) -> Vec<u64> {
    let pool = Pool::new(workers);
    let r = build(&pool, case);
    let (r, other) = if case.broadcast {
        let mut b = r.broadcast(2);
        let second = b.pop().unwrap();
        (b.pop().unwrap(), Some(second))
    } else {
        (r, None)
    };
    let mut got = Vec::new();
    for &k in &case.reads {
        let batch = r.read(n(k)).unwrap();
        assert!(
            batch.items.len() == k || batch.end,
            "a short batch is the end"
        );
        got.extend(batch.items);
    }
    got.extend(r.read_all().unwrap());
    if let Some(o) = other {
        let copy = o.read_all().unwrap();
        let mut a = got.clone();
        let mut b = copy.clone();
        if !case.ordered {
            a.sort_unstable();
            b.sort_unstable();
        }
        assert_eq!(a, b, "a broadcast branch gets every item");
        got.extend(copy);
    }
    got
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn inline_and_threaded_give_the_same_items(case in case()) {
        let inline = run(0, &case);
        let threaded = common::within({
            let case = case.clone();
            move || run(case.workers, &case)
        });
        if case.ordered {
            prop_assert_eq!(inline, threaded);
        } else {
            let (mut a, mut b) = (inline, threaded);
            a.sort_unstable();
            b.sort_unstable();
            prop_assert_eq!(a, b);
        }
    }
}
