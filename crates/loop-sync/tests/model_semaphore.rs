//! Model test: random sequences of semaphore operations, cancellations included, against a
//! sequential model of strict FIFO fairness.
//!
//! The model is a permit count and a line of waiting requests. Only the request at the front of
//! the line may take permits, all at once; `try_acquire` succeeds only while nobody waits. After
//! each step the semaphore must agree with the model, permits must be conserved, the front must
//! have been woken whenever it can proceed, and nobody else may have been woken.

use std::collections::VecDeque;
use std::task::Poll;

use proptest::prelude::*;
use proptest::sample::Index;

use loop_sync::{Acquire, Semaphore, SemaphorePermit};

mod common;

use common::Probe;

#[derive(Clone, Debug)]
enum Op {
    TryAcquire(usize),
    StartAcquire(usize),
    Poll(Index),
    Cancel(Index),
    Release(Index),
    Forget(Index),
    AddPermits(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..4).prop_map(Op::TryAcquire),
        5 => (0usize..5).prop_map(Op::StartAcquire),
        6 => any::<Index>().prop_map(Op::Poll),
        3 => any::<Index>().prop_map(Op::Cancel),
        4 => any::<Index>().prop_map(Op::Release),
        1 => any::<Index>().prop_map(Op::Forget),
        2 => (0usize..3).prop_map(Op::AddPermits),
    ]
}

struct Waiting<'a> {
    id: usize,
    n: usize,
    fut: Acquire<'a>,
    probe: Probe,
    seen: usize,
}

fn run(initial: usize, ops: Vec<Op>) {
    let sem = Semaphore::new(initial);
    // The model: free permits and the line of request ids, front first.
    let mut free = initial;
    let mut line: VecDeque<usize> = VecDeque::new();
    let mut total = initial;

    let mut waiting: Vec<Waiting<'_>> = Vec::new();
    let mut held: Vec<SemaphorePermit<'_>> = Vec::new();
    let mut next_id = 0;

    for op in ops {
        match op {
            Op::TryAcquire(n) => {
                let expected = n == 0 || (line.is_empty() && free >= n);
                let got = sem.try_acquire_many(n);
                assert_eq!(got.is_some(), expected, "try_acquire_many({n})");
                if let Some(p) = got {
                    free -= n;
                    held.push(p);
                }
            }
            Op::StartAcquire(n) => {
                let id = next_id;
                next_id += 1;
                let mut fut = sem.acquire_many(n);
                let probe = Probe::new();
                let immediate = n == 0 || (line.is_empty() && free >= n);
                match probe.poll(&mut fut) {
                    Poll::Ready(p) => {
                        assert!(immediate, "acquire_many({n}) overtook the line");
                        free -= n;
                        held.push(p);
                    }
                    Poll::Pending => {
                        assert!(!immediate, "acquire_many({n}) waited needlessly");
                        line.push_back(id);
                        let seen = probe.wakes();
                        waiting.push(Waiting {
                            id,
                            n,
                            fut,
                            probe,
                            seen,
                        });
                    }
                }
            }
            Op::Poll(i) if !waiting.is_empty() => {
                let i = i.index(waiting.len());
                let w = &mut waiting[i];
                w.seen = w.probe.wakes();
                let can = line.front() == Some(&w.id) && free >= w.n;
                match w.probe.poll(&mut w.fut) {
                    Poll::Ready(p) => {
                        assert!(can, "request {} (n={}) completed out of turn", w.id, w.n);
                        free -= w.n;
                        line.pop_front();
                        held.push(p);
                        waiting.remove(i);
                    }
                    Poll::Pending => assert!(!can, "request {} should have completed", w.id),
                }
            }
            Op::Cancel(i) if !waiting.is_empty() => {
                let w = waiting.remove(i.index(waiting.len()));
                line.retain(|&id| id != w.id);
            }
            Op::Release(i) if !held.is_empty() => {
                let p = held.swap_remove(i.index(held.len()));
                free += p.num_permits();
            }
            Op::Forget(i) if !held.is_empty() => {
                let p = held.swap_remove(i.index(held.len()));
                total -= p.num_permits();
                p.forget();
            }
            Op::AddPermits(n) => {
                sem.add_permits(n);
                free += n;
                total += n;
            }
            Op::Poll(_) | Op::Cancel(_) | Op::Release(_) | Op::Forget(_) => {}
        }

        assert_eq!(sem.available_permits(), free);
        let in_hand: usize = held.iter().map(|p| p.num_permits()).sum();
        assert_eq!(free + in_hand, total, "a permit was lost or duplicated");
        assert_eq!(sem.is_locked(), free == 0 || !line.is_empty());
        for w in &waiting {
            let front = line.front() == Some(&w.id);
            if front && free >= w.n {
                assert!(
                    w.probe.wakes() > w.seen,
                    "the front request {} was not woken",
                    w.id
                );
            }
            if !front {
                assert_eq!(
                    w.probe.wakes(),
                    w.seen,
                    "request {} was woken out of turn",
                    w.id
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn semaphore_matches_the_fifo_model(
        initial in 0usize..4,
        ops in prop::collection::vec(op(), 1..80),
    ) {
        run(initial, ops);
    }
}
