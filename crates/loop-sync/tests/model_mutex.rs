//! Model test: random sequences of lock, unlock, poll and cancel on a `Mutex`, against a
//! sequential model of strict FIFO hand-off.
//!
//! The model has an owner, a line of waiters, and at most one waiter the lock was handed to
//! that has not run yet. Unlocking hands the lock to the front of the line; a handed waiter that
//! is cancelled hands it on; `try_lock` succeeds only when the lock is free and nobody waits.
//! After each step the mutex must agree with the model, exactly the handed waiter (and nobody
//! else) must have been woken, and the data must show mutual exclusion.

use std::collections::VecDeque;
use std::task::Poll;

use proptest::prelude::*;
use proptest::sample::Index;

use loop_sync::{Lock, Mutex, MutexGuard};

mod common;

use common::Probe;

#[derive(Clone, Debug)]
enum Op {
    TryLock,
    StartLock,
    Poll(Index),
    Cancel(Index),
    Unlock,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::TryLock),
        4 => Just(Op::StartLock),
        5 => any::<Index>().prop_map(Op::Poll),
        3 => any::<Index>().prop_map(Op::Cancel),
        4 => Just(Op::Unlock),
    ]
}

struct Waiting<'a> {
    id: usize,
    fut: Lock<'a, Vec<usize>>,
    probe: Probe,
    seen: usize,
}

/// The model.
#[derive(Default)]
struct Model {
    owned: bool,
    line: VecDeque<usize>,
    handed: Option<usize>,
}

impl Model {
    fn locked(&self) -> bool {
        self.owned || self.handed.is_some()
    }

    /// The owner (or a cancelled handed waiter) lets go: the lock goes to the front of the line.
    fn pass_on(&mut self) {
        self.handed = self.line.pop_front();
    }
}

/// A new owner appends its id to the data and to the expected log.
fn take<'a>(
    id: usize,
    mut g: MutexGuard<'a, Vec<usize>>,
    log: &mut Vec<usize>,
) -> (usize, MutexGuard<'a, Vec<usize>>) {
    g.push(id);
    log.push(id);
    (id, g)
}

fn run(ops: Vec<Op>) {
    let mutex = Mutex::new(Vec::new());
    let mut model = Model::default();
    let mut guard: Option<(usize, MutexGuard<'_, Vec<usize>>)> = None;
    let mut waiting: Vec<Waiting<'_>> = Vec::new();
    let mut next_id = 0;
    let mut expected_log = Vec::new();

    for op in ops {
        match op {
            Op::TryLock => {
                let expected = !model.locked() && model.line.is_empty();
                let got = mutex.try_lock();
                assert_eq!(got.is_some(), expected);
                if let Some(g) = got {
                    model.owned = true;
                    let id = next_id;
                    next_id += 1;
                    guard = Some(take(id, g, &mut expected_log));
                }
            }
            Op::StartLock => {
                let id = next_id;
                next_id += 1;
                let mut fut = mutex.lock();
                let probe = Probe::new();
                let immediate = !model.locked() && model.line.is_empty();
                match probe.poll(&mut fut) {
                    Poll::Ready(g) => {
                        assert!(immediate, "lock {id} barged in");
                        model.owned = true;
                        guard = Some(take(id, g, &mut expected_log));
                    }
                    Poll::Pending => {
                        assert!(!immediate, "lock {id} waited for a free lock");
                        model.line.push_back(id);
                        let seen = probe.wakes();
                        waiting.push(Waiting {
                            id,
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
                let id = w.id;
                match w.probe.poll(&mut w.fut) {
                    Poll::Ready(g) => {
                        assert_eq!(model.handed, Some(id), "{id} took a lock not handed to it");
                        model.handed = None;
                        model.owned = true;
                        waiting.remove(i);
                        guard = Some(take(id, g, &mut expected_log));
                    }
                    Poll::Pending => {
                        assert_ne!(model.handed, Some(id), "{id} ignored the hand-off")
                    }
                }
            }
            Op::Cancel(i) if !waiting.is_empty() => {
                let w = waiting.remove(i.index(waiting.len()));
                if model.handed == Some(w.id) {
                    model.pass_on();
                } else {
                    model.line.retain(|&id| id != w.id);
                }
            }
            Op::Unlock => {
                if let Some((_, g)) = guard.take() {
                    drop(g);
                    model.owned = false;
                    model.pass_on();
                }
            }
            Op::Poll(_) | Op::Cancel(_) => {}
        }

        assert_eq!(mutex.is_locked(), model.locked());
        assert_eq!(guard.is_some(), model.owned);
        for w in &waiting {
            let woken = w.probe.wakes() > w.seen;
            assert_eq!(
                woken,
                model.handed == Some(w.id),
                "wake-up of {} is wrong",
                w.id
            );
        }
        if let Some((id, g)) = &guard {
            // Mutual exclusion and the order of ownership, as recorded through the guards.
            assert_eq!(
                **g, expected_log,
                "the owner {id} sees every previous owner, in order"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutex_matches_the_fifo_hand_off_model(ops in prop::collection::vec(op(), 1..80)) {
        run(ops);
    }
}
