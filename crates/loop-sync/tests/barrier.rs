//! `Barrier`: asyncio's cases (spec §2.5, Y14) on evloop, rounds that do not mix, withdrawal by
//! cancellation, reset and abort, and threads.

use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

use loop_core::EventLoop;
use loop_sync::Barrier;

mod common;

use common::{step, ticks};

#[test]
fn y14_five_tasks_get_the_indices_zero_to_four_and_one_leader() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let barrier = Rc::new(Barrier::new(5));
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let b = barrier.clone();
                lp.spawn_local(async move { b.wait().await.unwrap() })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let indices: BTreeSet<_> = results.iter().map(|r| r.index()).collect();
        assert_eq!(indices, (0..5).collect());
        let leaders: Vec<_> = results.iter().filter(|r| r.is_leader()).collect();
        assert_eq!(leaders.len(), 1);
        assert_eq!(leaders[0].index(), 4, "the last to arrive leads");
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    })
    .unwrap();
}

#[test]
fn y14_cancelling_a_waiter_lowers_n_waiting() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let barrier = Rc::new(Barrier::new(3));
        let spawn = || {
            let b = barrier.clone();
            lp.spawn_local(async move { b.wait().await })
        };
        let t1 = spawn();
        let t2 = spawn();
        ticks(2).await;
        assert_eq!(barrier.n_waiting(), 2);
        drop(t1);
        ticks(2).await;
        assert_eq!(barrier.n_waiting(), 1);
        // The round now needs two more.
        let t3 = spawn();
        ticks(2).await;
        assert!(!t2.is_finished());
        let t4 = spawn();
        for t in [t2, t3, t4] {
            assert!(t.await.unwrap().is_ok());
        }
        assert_eq!(barrier.n_waiting(), 0);
    })
    .unwrap();
}

#[test]
fn y14_reset_breaks_the_current_round_and_the_barrier_is_usable_again() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let barrier = Rc::new(Barrier::new(3));
        let spawn = || {
            let b = barrier.clone();
            lp.spawn_local(async move { b.wait().await })
        };
        let waiting = [spawn(), spawn()];
        ticks(2).await;
        barrier.reset();
        for t in waiting {
            assert!(t.await.unwrap().is_err());
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());

        let round = [spawn(), spawn(), spawn()];
        for t in round {
            assert!(t.await.unwrap().is_ok());
        }
    })
    .unwrap();
}

#[test]
fn y14_abort_breaks_the_barrier_until_reset() {
    let barrier = Barrier::new(2);
    let mut w = barrier.wait();
    assert!(step(&mut w).is_none());
    barrier.abort();
    assert!(barrier.is_broken());
    assert!(step(&mut w).unwrap().is_err());
    assert!(step(&mut barrier.wait()).unwrap().is_err());
    assert_eq!(barrier.n_waiting(), 0);
    barrier.reset();
    assert!(!barrier.is_broken());
    let mut a = barrier.wait();
    assert!(step(&mut a).is_none());
    let b = step(&mut barrier.wait()).unwrap().unwrap();
    assert!(b.is_leader());
    assert_eq!(step(&mut a).unwrap().unwrap().index(), 0);
}

#[test]
#[should_panic(expected = "at least one party")]
fn y14_a_barrier_for_zero_parties_panics() {
    let _ = Barrier::new(0);
}

#[test]
fn rounds_do_not_mix_even_when_released_waiters_run_late() {
    let barrier = Barrier::new(2);
    let mut first = barrier.wait();
    assert!(step(&mut first).is_none());
    let leader = step(&mut barrier.wait()).unwrap().unwrap();
    assert!(leader.is_leader());
    // `first` was released but has not run yet; a new round starts filling already.
    let mut second_round = barrier.wait();
    assert!(step(&mut second_round).is_none());
    assert_eq!(barrier.n_waiting(), 1);
    let released = step(&mut first).unwrap().unwrap();
    assert_eq!((released.index(), released.is_leader()), (0, false));
    // Dropping the released waiter does not touch the new round.
    drop(first);
    assert_eq!(barrier.n_waiting(), 1);
    assert!(step(&mut second_round).is_none());
}

#[test]
fn tasks_pass_many_rounds_in_lockstep() {
    common::run(async {
        let barrier = Rc::new(Barrier::new(3));
        let progress = Rc::new(std::cell::RefCell::new(Vec::new()));
        let lp = loop_core::get_running_loop().unwrap();
        let tasks: Vec<_> = (0..3)
            .map(|n| {
                let (b, p) = (barrier.clone(), progress.clone());
                lp.spawn_local(async move {
                    let mut leaders = 0;
                    for round in 0..5 {
                        p.borrow_mut().push((round, n));
                        if b.wait().await.unwrap().is_leader() {
                            leaders += 1;
                        }
                    }
                    leaders
                })
            })
            .collect();
        let mut leaders = 0;
        for t in tasks {
            leaders += t.await.unwrap();
        }
        assert_eq!(leaders, 5, "one leader per round");
        // No task starts round r+1 before every task reached round r.
        let rounds: Vec<_> = progress.borrow().iter().map(|&(r, _)| r).collect();
        let mut sorted = rounds.clone();
        sorted.sort();
        assert_eq!(rounds, sorted);
    });
}

#[test]
fn threads_meet_at_the_barrier() {
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                (0..20)
                    .filter(|_| {
                        futures_lite::future::block_on(b.wait())
                            .unwrap()
                            .is_leader()
                    })
                    .count()
            })
        })
        .collect();
    let leaders: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(leaders, 20);
    assert_eq!(
        format!("{barrier:?}"),
        "Barrier { parties: 4, n_waiting: 0, broken: false }"
    );
}
