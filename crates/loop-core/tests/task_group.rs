//! `TaskGroup`: structured concurrency (asyncio's `TaskGroup`, spec §2.4 TG1–TG6).
//!
//! Cancellation is Rust's: a cancelled child's future is dropped at its next suspension point,
//! so "the child is cancelled" means its `Drop` guard ran and the code after its pending
//! `.await` never ran. The group's "body" is the code between `TaskGroup::new()` and `join()`.
//! Timer-driven cases run on the virtual clock, so times are exact and the tests instant; a
//! broken join shows up as an expired (virtual) timeout, not a hang.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use loop_core::{
    Elapsed, GroupClosed, GroupError, TaskGroup, get_running_loop, sleep, spawn_local, timeout,
    yield_now,
};

mod common;

use common::{DropFlag, flag, is_set, ms, now, secs, turns_until, vloop};

fn flags(n: usize) -> Vec<Arc<AtomicBool>> {
    (0..n).map(|_| flag()).collect()
}

/// A child that sleeps an hour unless cancelled: its guard sets `dropped`, and `resumed`
/// counts the children that got past the sleep.
async fn sleeper(dropped: Arc<AtomicBool>, resumed: Rc<Cell<u32>>) -> Result<u32, &'static str> {
    let _guard = DropFlag(dropped);
    sleep(secs(3600)).await;
    resumed.set(resumed.get() + 1);
    Ok(0)
}

/// TG1: two children (0.1 s → 42, 0.2 s → 11): after the join both results are there, in
/// spawn order, at exactly 0.2 s; `running()` counts them down as they finish.
#[test]
fn tg1_join_gives_every_result_in_spawn_order() {
    let lp = vloop();
    let t0 = lp.time();
    let (out, at, counts) = lp
        .block_on(async {
            let group = TaskGroup::<u32, ()>::new();
            group
                .spawn(async {
                    sleep(ms(200)).await;
                    Ok(42)
                })
                .unwrap();
            group
                .spawn(async {
                    sleep(ms(100)).await;
                    Ok(11)
                })
                .unwrap();
            let mut counts = vec![group.running()];
            sleep(ms(150)).await;
            counts.push(group.running());
            let out = group.join().await;
            (out, now(), counts)
        })
        .unwrap();
    assert_eq!(out.unwrap(), [42, 11]);
    assert_eq!(at - t0, ms(200));
    assert_eq!(counts, [2, 1]);
}

/// An empty group joins at once.
#[test]
fn an_empty_group_joins_at_once() {
    let lp = vloop();
    let out = lp.block_on(TaskGroup::<(), ()>::new().join()).unwrap();
    assert_eq!(out.unwrap(), []);
}

/// TG2: a child fails while its siblings sleep → the siblings are cancelled (guards ran, code
/// after their awaits never ran) by the time `join` returns that failure, at the failure's
/// time. Earlier successes are discarded.
#[test]
fn tg2_the_first_failure_cancels_the_siblings_and_is_returned() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flags(3);
    let resumed = Rc::new(Cell::new(0));
    let (out, at, dropped_at_return) = lp
        .block_on(async {
            let group = TaskGroup::new();
            group.spawn(async { Ok(7) }).unwrap();
            for d in &dropped[..2] {
                group.spawn(sleeper(d.clone(), resumed.clone())).unwrap();
            }
            group
                .spawn(async {
                    sleep(ms(100)).await;
                    Err("division by zero")
                })
                .unwrap();
            group
                .spawn(sleeper(dropped[2].clone(), resumed.clone()))
                .unwrap();
            let out = group.join().await;
            let at = now();
            let all_dropped = dropped.iter().all(|f| is_set(f));
            sleep(secs(7200)).await;
            (out, at, all_dropped)
        })
        .unwrap();
    assert!(
        matches!(out, Err(GroupError::Failed("division by zero"))),
        "{out:?}"
    );
    assert_eq!(at - t0, ms(100));
    assert!(
        dropped_at_return,
        "join returned before the siblings were dropped"
    );
    assert_eq!(resumed.get(), 0);
}

/// TG2: of two failures, the first in time is the one returned.
#[test]
fn tg2_the_earliest_failure_wins() {
    let lp = vloop();
    let out = lp
        .block_on(async {
            let group = TaskGroup::<(), &str>::new();
            group
                .spawn(async {
                    sleep(secs(2)).await;
                    Err("second")
                })
                .unwrap();
            group
                .spawn(async {
                    sleep(secs(1)).await;
                    Err("first")
                })
                .unwrap();
            group.join().await
        })
        .unwrap();
    assert!(matches!(out, Err(GroupError::Failed("first"))), "{out:?}");
}

/// TG2 with a panic: a panicking child becomes `GroupError::Panicked` (payload kept), and the
/// siblings are cancelled.
#[test]
fn tg2_a_panicking_child_becomes_group_error_panicked() {
    let lp = vloop();
    let dropped = flag();
    let resumed = Rc::new(Cell::new(0));
    let out = lp
        .block_on(async {
            let group = TaskGroup::new();
            group
                .spawn(sleeper(dropped.clone(), resumed.clone()))
                .unwrap();
            group
                .spawn(async {
                    sleep(secs(1)).await;
                    panic!("child panicked")
                })
                .unwrap();
            group.join().await
        })
        .unwrap();
    match out {
        Err(GroupError::Panicked(payload)) => {
            assert_eq!(
                payload.downcast_ref::<&str>().copied(),
                Some("child panicked")
            );
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    assert!(is_set(&dropped));
    assert_eq!(resumed.get(), 0);
}

/// TG2, where Rust differs: the group cannot cancel its body (the code that owns it), so the
/// body runs on and sees the failure at `join`; the siblings are cancelled at the failure,
/// not at the join.
#[test]
fn tg2_a_failure_cancels_siblings_while_the_body_is_still_running() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flag();
    let resumed = Rc::new(Cell::new(0));
    lp.block_on(async {
        let group = TaskGroup::new();
        group
            .spawn(sleeper(dropped.clone(), resumed.clone()))
            .unwrap();
        group
            .spawn(async {
                sleep(secs(1)).await;
                Err("failed")
            })
            .unwrap();
        sleep(secs(10)).await; // the body
        assert!(is_set(&dropped), "the sibling outlived the failure");
        assert_eq!(group.running(), 0);
        let out = group.join().await;
        assert!(matches!(out, Err(GroupError::Failed("failed"))), "{out:?}");
        assert_eq!(now() - t0, secs(10));
    })
    .unwrap();
    assert_eq!(resumed.get(), 0);
}

/// TG3: the task awaiting the join is cancelled from outside while 5 children sleep → all 5
/// are cancelled, and the task ends cancelled (not with a group error).
#[test]
fn tg3_cancelling_the_parent_cancels_every_child() {
    let lp = vloop();
    let dropped = flags(5);
    let resumed = Rc::new(Cell::new(0));
    let after_join = Rc::new(Cell::new(false));
    lp.block_on(async {
        let (d, r, after) = (dropped.clone(), resumed.clone(), after_join.clone());
        let parent = spawn_local(async move {
            let group = TaskGroup::new();
            for f in &d {
                group.spawn(sleeper(f.clone(), r.clone())).unwrap();
            }
            let out = group.join().await;
            after.set(true);
            out.map(|v| v.len())
        });
        let lp = get_running_loop().unwrap();
        assert!(turns_until(|| lp.live_tasks() == 6, 10).await);
        sleep(secs(1)).await;
        assert!(parent.cancel().await.unwrap_err().is_cancelled());
        assert!(
            turns_until(|| dropped.iter().all(|f| is_set(f)), 3).await,
            "children outlived their group"
        );
        assert_eq!(lp.live_tasks(), 0);
        sleep(secs(7200)).await;
    })
    .unwrap();
    assert_eq!(resumed.get(), 0);
    assert!(!after_join.get());
}

/// Dropping the join future (here by a timeout) cancels every child.
#[test]
fn dropping_the_join_future_cancels_every_child() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = flags(3);
    let resumed = Rc::new(Cell::new(0));
    lp.block_on(async {
        let group = TaskGroup::new();
        for f in &dropped {
            group.spawn(sleeper(f.clone(), resumed.clone())).unwrap();
        }
        assert_eq!(timeout(secs(1), group.join()).await.unwrap_err(), Elapsed);
        assert_eq!(now() - t0, secs(1));
        assert!(turns_until(|| dropped.iter().all(|f| is_set(f)), 3).await);
        assert_eq!(get_running_loop().unwrap().live_tasks(), 0);
        sleep(secs(7200)).await;
    })
    .unwrap();
    assert_eq!(resumed.get(), 0);
}

/// TG4: the body fails (returns early with `?`) → the group is dropped unjoined and its
/// children are cancelled.
#[test]
fn tg4_a_failing_body_cancels_the_children() {
    async fn body(dropped: &[Arc<AtomicBool>], resumed: &Rc<Cell<u32>>) -> Result<(), String> {
        let group = TaskGroup::new();
        for f in dropped {
            group.spawn(sleeper(f.clone(), resumed.clone())).unwrap();
        }
        yield_now().await;
        "x".parse::<u32>().map_err(|e| e.to_string())?; // the body's own failure
        group.join().await.map_err(|e| e.to_string())?;
        Ok(())
    }

    let lp = vloop();
    let dropped = flags(3);
    let resumed = Rc::new(Cell::new(0));
    lp.block_on(async {
        assert!(body(&dropped, &resumed).await.is_err());
        assert!(turns_until(|| dropped.iter().all(|f| is_set(f)), 3).await);
        sleep(secs(7200)).await;
    })
    .unwrap();
    assert_eq!(resumed.get(), 0);
}

/// TG5: nested groups, an inner child fails first → the outer's failure wraps the inner
/// group's failure, and the outer's other children are cancelled.
#[test]
fn tg5_nested_groups_wrap_the_inner_failure() {
    let lp = vloop();
    let outer_sibling = flag();
    let resumed = Rc::new(Cell::new(0));
    let out = lp
        .block_on(async {
            let outer = TaskGroup::<u32, GroupError<&str>>::new();
            let (dropped, r) = (outer_sibling.clone(), resumed.clone());
            outer
                .spawn(async move {
                    let _guard = DropFlag(dropped);
                    sleep(secs(3600)).await;
                    r.set(r.get() + 1);
                    Ok(1)
                })
                .unwrap();
            outer
                .spawn(async {
                    let inner = TaskGroup::<u32, &str>::new();
                    inner.spawn(async { Ok(2) }).unwrap();
                    inner
                        .spawn(async {
                            sleep(secs(1)).await;
                            Err("inner child failed")
                        })
                        .unwrap();
                    inner.join().await.map(|v| v.len() as u32)
                })
                .unwrap();
            outer.join().await
        })
        .unwrap();
    assert!(
        matches!(
            out,
            Err(GroupError::Failed(GroupError::Failed("inner child failed")))
        ),
        "{out:?}"
    );
    assert!(is_set(&outer_sibling));
    assert_eq!(resumed.get(), 0);
}

/// TG6: children spawn more children through a `GroupSpawner`, also late (after a sleep);
/// the join waits for all of them and gives their values in spawn order.
#[test]
fn tg6_children_spawn_children_and_join_waits_for_them() {
    let lp = vloop();
    let t0 = lp.time();
    let (out, at) = lp
        .block_on(async {
            let group = TaskGroup::<&str, ()>::new();
            let spawner = group.spawner();
            group
                .spawn(async move {
                    sleep(secs(1)).await;
                    let grandchild_spawner = spawner.clone();
                    spawner
                        .spawn(async move {
                            sleep(secs(2)).await;
                            grandchild_spawner
                                .spawn(async {
                                    sleep(secs(3)).await;
                                    Ok("great-grandchild")
                                })
                                .unwrap();
                            Ok("grandchild")
                        })
                        .unwrap();
                    Ok("child")
                })
                .unwrap();
            group.spawn(async { Ok("sibling") }).unwrap();
            let out = group.join().await;
            (out, now())
        })
        .unwrap();
    assert_eq!(
        out.unwrap(),
        ["child", "sibling", "grandchild", "great-grandchild"]
    );
    assert_eq!(at - t0, secs(6), "join returned before the last descendant");
}

/// TG6: spawning into a group that has ended gives `GroupClosed`: after a join, after a
/// failure, after the group was dropped.
#[test]
fn tg6_spawning_after_the_group_ended_gives_group_closed() {
    let lp = vloop();
    lp.block_on(async {
        let joined = TaskGroup::<(), ()>::new();
        let late = joined.spawner();
        joined.spawn(async { Ok(()) }).unwrap();
        joined.join().await.unwrap();
        assert_eq!(late.spawn(async { Ok(()) }), Err(GroupClosed));

        let failed = TaskGroup::<(), ()>::new();
        let late = failed.spawner();
        failed.spawn(async { Err(()) }).unwrap();
        yield_now().await;
        assert_eq!(late.spawn(async { Ok(()) }), Err(GroupClosed));
        assert!(failed.join().await.is_err());

        let dropped = TaskGroup::<(), ()>::new();
        let late = dropped.spawner();
        drop(dropped);
        assert_eq!(late.spawn(async { Ok(()) }), Err(GroupClosed));
    })
    .unwrap();
}

/// Regression: a child cancelled before its first poll (here a sibling queued behind the
/// child that fails at once) must still count itself out, or `join` waits forever.
#[test]
fn a_child_cancelled_before_its_first_poll_still_lets_join_finish() {
    let lp = vloop();
    let started = Rc::new(Cell::new(false));
    let out = lp
        .block_on(async {
            let group = TaskGroup::<(), &str>::new();
            group.spawn(async { Err("fails at once") }).unwrap();
            let s = started.clone();
            group
                .spawn(async move {
                    s.set(true);
                    Ok(())
                })
                .unwrap();
            timeout(secs(3600), group.join()).await
        })
        .unwrap();
    assert!(!started.get(), "the second child was polled");
    assert!(
        matches!(out, Ok(Err(GroupError::Failed("fails at once")))),
        "join hung: {out:?}"
    );
}

/// Regression, second shape: a child spawns a sibling through the spawner and fails in the
/// same poll; the new sibling is cancelled unpolled and the join still finishes.
#[test]
fn a_child_spawned_just_before_a_failure_still_lets_join_finish() {
    let lp = vloop();
    let started = Rc::new(Cell::new(false));
    let out = lp
        .block_on(async {
            let group = TaskGroup::<(), &str>::new();
            let spawner = group.spawner();
            let s = started.clone();
            group
                .spawn(async move {
                    spawner
                        .spawn(async move {
                            s.set(true);
                            Ok(())
                        })
                        .unwrap();
                    Err("failed right after spawning")
                })
                .unwrap();
            timeout(secs(3600), group.join()).await
        })
        .unwrap();
    assert!(!started.get());
    assert!(
        matches!(
            out,
            Ok(Err(GroupError::Failed("failed right after spawning")))
        ),
        "join hung: {out:?}"
    );
}

/// A group dropped before any child ran cancels them all unpolled, leaving no task behind.
#[test]
fn a_group_dropped_before_its_children_ran_leaves_nothing_behind() {
    let lp = vloop();
    let started = Rc::new(RefCell::new(Vec::new()));
    lp.block_on(async {
        let group = TaskGroup::<(), ()>::new();
        for i in 0..3 {
            let s = started.clone();
            group
                .spawn(async move {
                    s.borrow_mut().push(i);
                    Ok(())
                })
                .unwrap();
        }
        drop(group);
        let lp = get_running_loop().unwrap();
        assert!(turns_until(|| lp.live_tasks() == 0, 3).await);
    })
    .unwrap();
    assert!(started.borrow().is_empty());
}
