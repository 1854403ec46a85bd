//! 13. The task graph: stages that run on a pool only as far as someone reads.

use std::io;
use std::num::NonZeroUsize;

use evloop::taskgraph::{ErrorPolicy, Pool};

pub(crate) fn section() -> io::Result<()> {
    let pool = Pool::new(2);
    let n = |k| NonZeroUsize::new(k).expect("not zero");
    let squares = pool
        .source(1..=1000u64)
        .build()
        .map(|i| Ok(i * i))
        .ordered(true)
        .build();
    let sums = squares
        .map_chunk(|chunk: Vec<u64>| Ok(vec![chunk.iter().sum::<u64>()]))
        .max_chunk(n(100))
        .ordered(true)
        .build();
    let first = sums.read(n(2)).map_err(io::Error::other)?;
    let rest = sums.read_all().map_err(io::Error::other)?;
    println!(
        "13. task graph: squares summed by hundreds, first {:?}, then {} more; {} chunks ran",
        first.items,
        rest.len(),
        sums.stats().chunks_run
    );
    let parsed = pool
        .source(["7", "x", "9"])
        .build()
        .map(|s: &str| Ok(s.parse::<u32>()?))
        .name("parse")
        .on_error(ErrorPolicy::Skip)
        .build();
    let good = parsed.read_all().map_err(io::Error::other)?;
    let failing = pool
        .source(["7", "x"])
        .build()
        .map(|s: &str| Ok(s.parse::<u32>()?))
        .name("parse")
        .build();
    let err = failing.read_all().unwrap_err();
    println!("    skipping bad input: {good:?}; failing fast: {err}");
    Ok(())
}
