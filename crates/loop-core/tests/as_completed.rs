//! `as_completed`: outputs in the order the futures finish (spec §2.4 A1–A2). On the virtual
//! clock, so finishing times are exact.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use loop_core::{Elapsed, as_completed, sleep, sleep_until, timeout, timeout_at, yield_now};

mod common;

use common::{BoxFut, DropFlag, flag, is_set, ms, now, vloop};

async fn named_sleep(name: &'static str, after: Duration) -> &'static str {
    sleep(after).await;
    name
}

/// A1: `as_completed({sleep 0.10 → 'b', sleep 0.05 → 'a'})`: the first output is 'a' (the
/// earliest to finish), whatever the input order, at exactly 50 ms; then 'b' at 100 ms.
#[test]
fn a1_outputs_come_in_finishing_order_not_input_order() {
    let lp = vloop();
    let t0 = lp.time();
    let got = lp
        .block_on(async {
            let mut stream = as_completed([named_sleep("b", ms(100)), named_sleep("a", ms(50))]);
            assert_eq!(stream.remaining(), 2);
            let mut got = Vec::new();
            while let Some(name) = stream.next().await {
                got.push((name, now(), stream.remaining()));
            }
            got
        })
        .unwrap();
    assert_eq!(
        got,
        [("a", t0 + ms(50), 1), ("b", t0 + ms(100), 0)],
        "(output, loop time, remaining)"
    );
}

/// A2: a deadline on the stream (each `next()` under one `timeout_at`) that expires → the
/// timeout error from the next item, at exactly the deadline; what is left is not lost:
/// the stream can still be drained afterwards.
#[test]
fn a2_a_deadline_on_next_expires_with_the_rest_still_running() {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let deadline = now() + ms(80);
        let mut stream = as_completed([named_sleep("slow", ms(200)), named_sleep("fast", ms(50))]);
        assert_eq!(timeout_at(deadline, stream.next()).await, Ok(Some("fast")));
        assert_eq!(now() - t0, ms(50));
        assert_eq!(timeout_at(deadline, stream.next()).await, Err(Elapsed));
        assert_eq!(now() - t0, ms(80));
        assert_eq!(stream.remaining(), 1, "a timed-out next() drops nothing");
        assert_eq!(stream.next().await, Some("slow"));
        assert_eq!(now() - t0, ms(200));
        assert_eq!(stream.next().await, None);
    })
    .unwrap();
}

/// Dropping the stream (here: after a timeout) drops the futures it still holds.
#[test]
fn dropping_the_stream_drops_the_unfinished_futures() {
    let lp = vloop();
    let dropped = [flag(), flag()];
    let resumed = Rc::new(Cell::new(0));
    lp.block_on(async {
        let futures: Vec<BoxFut<u32>> = (0..2u64)
            .map(|i| {
                let (guard, resumed) = (dropped[i as usize].clone(), resumed.clone());
                Box::pin(async move {
                    let _guard = DropFlag(guard);
                    sleep(ms(100 * (i + 1))).await;
                    resumed.set(resumed.get() + 1);
                    1u32
                }) as BoxFut<u32>
            })
            .collect();
        let got = timeout(ms(10), as_completed(futures).collect::<Vec<_>>()).await;
        assert_eq!(got, Err(Elapsed));
        assert!(
            dropped.iter().all(|f| is_set(f)),
            "the futures outlived the stream"
        );
        sleep(ms(500)).await;
    })
    .unwrap();
    assert_eq!(resumed.get(), 0);
}

/// Futures finishing in the same turn are each yielded once: none is lost or repeated.
#[test]
fn futures_finishing_together_are_each_yielded_once() {
    let lp = vloop();
    let t0 = lp.time();
    let got = lp
        .block_on(async {
            let at = now() + ms(10);
            let mut got: Vec<u32> = as_completed((0..5u32).map(|i| async move {
                sleep_until(at).await;
                i
            }))
            .collect()
            .await;
            got.sort();
            (got, now())
        })
        .unwrap();
    assert_eq!(got.0, [0, 1, 2, 3, 4]);
    assert_eq!(got.1 - t0, ms(10));
}

/// Many futures with scattered finishing times come out sorted by finishing time; ready
/// futures come first.
#[test]
fn many_futures_come_out_sorted_by_finishing_time() {
    let lp = vloop();
    let delays: Vec<u64> = (0..500u64).map(|i| (i * 7919) % 1000).collect();
    let got = lp
        .block_on(async {
            let t0 = now();
            as_completed(delays.iter().map(|&d| async move {
                if d == 0 {
                    yield_now().await;
                } else {
                    sleep(ms(d)).await;
                }
                (d, now() - t0)
            }))
            .collect::<Vec<_>>()
            .await
        })
        .unwrap();
    assert_eq!(got.len(), delays.len());
    for (d, at) in &got {
        assert_eq!(*at, ms(*d), "finished off its deadline");
    }
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "out of order");
}

/// An empty `as_completed` ends at once.
#[test]
fn an_empty_as_completed_ends_at_once() {
    let lp = vloop();
    let got = lp
        .block_on(as_completed(Vec::<BoxFut<u8>>::new()).collect::<Vec<_>>())
        .unwrap();
    assert!(got.is_empty());
}
