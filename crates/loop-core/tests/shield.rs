//! `shield`: work that outlives the cancellation of whoever awaits it (spec §2.4 S1–S2).
//!
//! Cancellation is Rust's: cancelling the awaiter drops its future at its next suspension
//! point; a shielded future runs as a task of its own, so dropping the `Shielded` handle only
//! detaches it. Timer-driven cases run on the virtual clock.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use loop_core::{Elapsed, join_all, shield, sleep, spawn_local, timeout};

mod common;

use common::{DropFlag, flag, is_set, now, secs, vloop};

/// Awaiting a shield gives the shielded future's output.
#[test]
fn awaiting_a_shield_gives_the_output() {
    let lp = vloop();
    let out = lp
        .block_on(async {
            shield(async {
                sleep(secs(1)).await;
                41 + 1
            })
            .await
        })
        .unwrap();
    assert_eq!(out.unwrap(), 42);
}

/// A panic in the shielded future reaches the awaiter as `JoinError::Panicked`.
#[test]
fn a_panicking_shielded_future_gives_a_join_error() {
    let lp = vloop();
    let out = lp
        .block_on(async {
            shield(async {
                sleep(secs(1)).await;
                panic!("shielded work failed")
            })
            .await
        })
        .unwrap();
    let err: loop_core::JoinError = out.unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("shielded work failed"), "{err}");
}

/// S1: `shield(inner)`; the outer task is cancelled → the outer ends cancelled, and inner still
/// completes (proof == 1) with its future intact until it finishes.
#[test]
fn s1_cancelling_the_awaiter_does_not_cancel_the_shielded_work() {
    let lp = vloop();
    let t0 = lp.time();
    let proof = Rc::new(Cell::new(0));
    let finished_at = Rc::new(Cell::new(None));
    let outer_after = Rc::new(Cell::new(false));
    let inner_dropped = flag();
    lp.block_on(async {
        let (p, at, guard) = (proof.clone(), finished_at.clone(), inner_dropped.clone());
        let after = outer_after.clone();
        let outer = spawn_local(async move {
            let out = shield(async move {
                let _guard = DropFlag(guard);
                sleep(secs(10)).await;
                p.set(p.get() + 1);
                at.set(Some(now()));
            })
            .await;
            after.set(true);
            out
        });
        sleep(secs(1)).await;
        assert!(outer.cancel().await.unwrap_err().is_cancelled());
        assert!(!is_set(&inner_dropped), "the shielded work was dropped");
        sleep(secs(60)).await;
    })
    .unwrap();
    assert_eq!(proof.get(), 1);
    assert_eq!(finished_at.get().map(|at| at - t0), Some(secs(10)));
    assert!(is_set(&inner_dropped), "dropped once it finished");
    assert!(!outer_after.get(), "the cancelled outer task resumed");
}

/// S1 by timeout: the awaiter gives up (and goes on), the shielded work does not.
#[test]
fn s1_timing_out_the_awaiter_leaves_the_shielded_work_running() {
    let lp = vloop();
    let proof = Rc::new(Cell::new(0));
    lp.block_on(async {
        let p = proof.clone();
        let out = timeout(
            secs(1),
            shield(async move {
                sleep(secs(5)).await;
                p.set(p.get() + 1);
            }),
        )
        .await;
        assert!(matches!(out, Err(Elapsed)));
        assert_eq!(proof.get(), 0);
        sleep(secs(10)).await;
    })
    .unwrap();
    assert_eq!(proof.get(), 1);
}

/// S2 (first half): `shield(gather(c1, c2))` with the outer cancelled → the gather still
/// produces `[1, 2]`.
#[test]
fn s2_a_shielded_join_completes_after_the_outer_is_cancelled() {
    let lp = vloop();
    let result = Rc::new(RefCell::new(None));
    lp.block_on(async {
        let sink = result.clone();
        let outer = spawn_local(async move {
            shield(async move {
                let out = join_all((1..=2u64).map(|i| async move {
                    sleep(secs(i)).await;
                    i
                }))
                .await;
                *sink.borrow_mut() = Some(out);
            })
            .await
        });
        loop_core::yield_now().await;
        assert!(outer.cancel().await.unwrap_err().is_cancelled());
        assert!(result.borrow().is_none());
        sleep(secs(5)).await;
    })
    .unwrap();
    assert_eq!(result.borrow().as_deref(), Some(&[1, 2][..]));
}

/// S2 (second half): `gather(shield(c1), shield(c2))` with the gather cancelled → the shields
/// (the waiting) are dropped, c1 and c2 are not: both finish.
#[test]
fn s2_cancelling_a_join_of_shields_leaves_the_shielded_work_running() {
    let lp = vloop();
    let finished = Rc::new(RefCell::new(Vec::new()));
    let joined = Rc::new(Cell::new(false));
    lp.block_on(async {
        let (sink, joined_flag) = (finished.clone(), joined.clone());
        let gather = spawn_local(async move {
            let shields: Vec<_> = (1..=2u64)
                .map(|i| {
                    let sink = sink.clone();
                    shield(async move {
                        sleep(secs(i)).await;
                        sink.borrow_mut().push(i);
                    })
                })
                .collect();
            join_all(shields).await;
            joined_flag.set(true);
        });
        loop_core::yield_now().await;
        assert!(gather.cancel().await.unwrap_err().is_cancelled());
        sleep(secs(5)).await;
    })
    .unwrap();
    assert_eq!(*finished.borrow(), [1, 2]);
    assert!(!joined.get(), "the cancelled join resumed");
}
