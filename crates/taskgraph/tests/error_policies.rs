//! Per-stage error policies: fail fast, skip the item, collect the failures.

mod common;

use common::{MODES, n};
use taskgraph::{Error, ErrorPolicy, Pool};

fn odd_fails(pool: &Pool, policy: ErrorPolicy) -> taskgraph::Reader<u32> {
    pool.source(0..10u32)
        .build()
        .map(|x| {
            if x % 2 == 1 {
                Err(format!("odd {x}").into())
            } else {
                Ok(x)
            }
        })
        .name("evens")
        .on_error(policy)
        .ordered(true)
        .build()
}

#[test]
fn fail_fast_stops_at_the_first_failure() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let r = odd_fails(&pool, ErrorPolicy::FailFast);
        let mut got = Vec::new();
        let err = r.read_all_into(&mut got).unwrap_err();
        assert_eq!(got, [0]);
        assert!(err.to_string().contains("odd 1"), "{err}");
        // The error is sticky.
        assert!(matches!(r.read(n(1)), Err(Error::Stage { .. })));
    }
}

#[test]
fn skip_drops_failed_items_and_counts_them() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let r = odd_fails(&pool, ErrorPolicy::Skip);
        assert_eq!(r.read_all().unwrap(), [0, 2, 4, 6, 8]);
        assert_eq!(r.stats().errors, 5);
    }
}

#[test]
fn collect_delivers_everything_then_every_failure() {
    for workers in MODES {
        let pool = Pool::new(workers);
        let r = odd_fails(&pool, ErrorPolicy::Collect);
        let mut got = Vec::new();
        let err = r.read_all_into(&mut got).unwrap_err();
        assert_eq!(got, [0, 2, 4, 6, 8]);
        let Error::Collected { errors, name, .. } = err else {
            panic!("expected the collected failures, got {err}");
        };
        assert_eq!(&*name, "evens");
        let mut texts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        texts.sort();
        assert_eq!(texts.len(), 5);
        assert!(texts[0].contains("odd 1"));
    }
}

#[test]
fn skip_also_skips_panics_and_chunk_failures() {
    let pool = Pool::new(2);
    let r = pool
        .source(0..6u32)
        .build()
        .map(|x| if x == 2 { panic!("two") } else { Ok(x) })
        .on_error(ErrorPolicy::Skip)
        .ordered(true)
        .build()
        .map_chunk(|c: Vec<u32>| {
            if c.contains(&4) {
                Err("has four".into())
            } else {
                Ok(c)
            }
        })
        .max_chunk(n(2))
        .on_error(ErrorPolicy::Skip)
        .ordered(true)
        .build();
    // Items 0 1 3 4 5 reach the chunk stage as [0 1] [3 4] [5]; [3 4] fails and is skipped.
    assert_eq!(r.read_all().unwrap(), [0, 1, 5]);
    assert_eq!(r.stats().errors, 1);
}

#[test]
fn upstream_errors_are_forwarded_whatever_the_downstream_policy() {
    let pool = Pool::new(2);
    let r = odd_fails(&pool, ErrorPolicy::FailFast)
        .map(Ok)
        .on_error(ErrorPolicy::Skip)
        .build();
    let err = r.read_all().unwrap_err();
    assert_eq!(err.stage_name(), Some("evens"));
}
