//! Model test: random sequences of queue operations, cancellations included, run against a
//! `VecDeque` model, for FIFO, LIFO and priority queues.
//!
//! Pending `put`, `get` and `join` futures are driven one poll at a time, so every step is
//! deterministic. After each step the queue must agree with the model (items, order, length,
//! unfinished count, results), and no wake-up may be missing: there must be at least as many
//! woken getters as there are items for them (and woken putters as free slots), every waiter must
//! be woken once the queue is shut down, and every `join` once nothing is unfinished.

use std::collections::VecDeque;

use proptest::prelude::*;
use proptest::sample::Index;

use loop_sync::{Get, Join, LifoQueue, PriorityQueue, Put, Queue, TryGetError, TryPutError};

mod common;

use common::Probe;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Fifo,
    Lifo,
    Priority,
}

#[derive(Clone, Debug)]
enum Op {
    TryPut(u8),
    TryGet,
    StartPut(u8),
    StartGet,
    StartJoin,
    Poll(Index),
    Cancel(Index),
    TaskDone,
    Shutdown { immediate: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::TryPut),
        3 => Just(Op::TryGet),
        4 => any::<u8>().prop_map(Op::StartPut),
        4 => Just(Op::StartGet),
        1 => Just(Op::StartJoin),
        6 => any::<Index>().prop_map(Op::Poll),
        3 => any::<Index>().prop_map(Op::Cancel),
        2 => Just(Op::TaskDone),
        1 => any::<bool>().prop_map(|immediate| Op::Shutdown { immediate }),
    ]
}

/// The three queue types behind one interface.
enum AnyQueue {
    Fifo(Queue<u8>),
    Lifo(LifoQueue<u8>),
    Priority(PriorityQueue<u8>),
}

macro_rules! each {
    ($q:expr, $x:ident => $body:expr) => {
        match $q {
            AnyQueue::Fifo($x) => $body,
            AnyQueue::Lifo($x) => $body,
            AnyQueue::Priority($x) => $body,
        }
    };
}

impl AnyQueue {
    fn new(kind: Kind, maxsize: usize) -> AnyQueue {
        match kind {
            Kind::Fifo => AnyQueue::Fifo(Queue::new(maxsize)),
            Kind::Lifo => AnyQueue::Lifo(LifoQueue::new(maxsize)),
            Kind::Priority => AnyQueue::Priority(PriorityQueue::new(maxsize)),
        }
    }
    fn try_put(&self, v: u8) -> Result<(), TryPutError<u8>> {
        each!(self, q => q.try_put(v))
    }
    fn try_get(&self) -> Result<u8, TryGetError> {
        each!(self, q => q.try_get())
    }
    fn put(&self, v: u8) -> Put<'_, u8> {
        each!(self, q => q.put(v))
    }
    fn get(&self) -> Get<'_, u8> {
        each!(self, q => q.get())
    }
    fn join(&self) -> Join<'_, u8> {
        each!(self, q => q.join())
    }
    fn task_done(&self) -> bool {
        each!(self, q => q.task_done().is_ok())
    }
    fn shutdown(&self, immediate: bool) {
        each!(self, q => q.shutdown(immediate))
    }
    fn len(&self) -> usize {
        each!(self, q => q.len())
    }
    fn is_full(&self) -> bool {
        each!(self, q => q.is_full())
    }
    fn unfinished(&self) -> usize {
        each!(self, q => q.unfinished_tasks())
    }
}

/// The sequential model.
struct Model {
    kind: Kind,
    maxsize: usize,
    items: VecDeque<u8>,
    unfinished: usize,
    shut_down: bool,
}

impl Model {
    fn is_full(&self) -> bool {
        self.maxsize != 0 && self.items.len() >= self.maxsize
    }

    fn put(&mut self, v: u8) -> Result<(), TryPutError<u8>> {
        if self.shut_down {
            Err(TryPutError::ShutDown(v))
        } else if self.is_full() {
            Err(TryPutError::Full(v))
        } else {
            self.items.push_back(v);
            self.unfinished += 1;
            Ok(())
        }
    }

    fn get(&mut self) -> Result<u8, TryGetError> {
        let item = match self.kind {
            Kind::Fifo => self.items.pop_front(),
            Kind::Lifo => self.items.pop_back(),
            Kind::Priority => {
                let min = self.items.iter().enumerate().min_by_key(|(_, v)| **v);
                min.map(|(i, _)| i).and_then(|i| self.items.remove(i))
            }
        };
        match item {
            Some(v) => Ok(v),
            None if self.shut_down => Err(TryGetError::ShutDown),
            None => Err(TryGetError::Empty),
        }
    }
}

enum Fut<'a> {
    Put(Put<'a, u8>, u8),
    Get(Get<'a, u8>),
    Join(Join<'a, u8>),
}

struct Pending<'a> {
    fut: Fut<'a>,
    probe: Probe,
    /// The probe's wake count when the future was last polled.
    seen: usize,
}

impl Pending<'_> {
    fn woken(&self) -> bool {
        self.probe.wakes() > self.seen
    }
}

/// Polls a pending future once, checks the outcome against the model, and says whether it is
/// still pending.
fn poll(p: &mut Pending<'_>, model: &mut Model) -> bool {
    p.seen = p.probe.wakes();
    match &mut p.fut {
        Fut::Put(fut, v) => match p.probe.poll(fut) {
            std::task::Poll::Ready(out) => {
                let expected = model.put(*v);
                assert!(
                    !matches!(expected, Err(TryPutError::Full(_))),
                    "put completed on a full queue"
                );
                assert_eq!(
                    out.map_err(|e| e.into_inner()),
                    expected.map_err(|e| e.into_inner())
                );
                false
            }
            std::task::Poll::Pending => {
                assert!(
                    model.is_full() && !model.shut_down,
                    "put pending with room or after shutdown"
                );
                true
            }
        },
        Fut::Get(fut) => match p.probe.poll(fut) {
            std::task::Poll::Ready(out) => {
                let expected = model.get();
                assert_ne!(
                    expected,
                    Err(TryGetError::Empty),
                    "get completed on an empty queue"
                );
                assert_eq!(out.ok(), expected.ok());
                false
            }
            std::task::Poll::Pending => {
                assert!(
                    model.items.is_empty() && !model.shut_down,
                    "get pending with items or after shutdown"
                );
                true
            }
        },
        Fut::Join(fut) => match p.probe.poll(fut) {
            std::task::Poll::Ready(()) => {
                assert_eq!(model.unfinished, 0, "join completed with unfinished items");
                false
            }
            std::task::Poll::Pending => {
                assert_ne!(model.unfinished, 0, "join pending with nothing unfinished");
                true
            }
        },
    }
}

fn run(kind: Kind, maxsize: usize, ops: Vec<Op>) {
    let queue = AnyQueue::new(kind, maxsize);
    let mut model = Model {
        kind,
        maxsize,
        items: VecDeque::new(),
        unfinished: 0,
        shut_down: false,
    };
    let mut pending: Vec<Pending<'_>> = Vec::new();

    for op in ops {
        match op {
            Op::TryPut(v) => assert_eq!(queue.try_put(v), model.put(v)),
            Op::TryGet => assert_eq!(queue.try_get(), model.get()),
            Op::StartPut(_) | Op::StartGet | Op::StartJoin => {
                let fut = match op {
                    Op::StartPut(v) => Fut::Put(queue.put(v), v),
                    Op::StartGet => Fut::Get(queue.get()),
                    _ => Fut::Join(queue.join()),
                };
                let mut p = Pending {
                    fut,
                    probe: Probe::new(),
                    seen: 0,
                };
                if poll(&mut p, &mut model) {
                    pending.push(p);
                }
            }
            Op::Poll(i) if !pending.is_empty() => {
                let i = i.index(pending.len());
                if !poll(&mut pending[i], &mut model) {
                    pending.remove(i);
                }
            }
            Op::Cancel(i) if !pending.is_empty() => {
                // The model does not change: a pending operation has done nothing yet.
                drop(pending.remove(i.index(pending.len())));
            }
            Op::Poll(_) | Op::Cancel(_) => {}
            Op::TaskDone => {
                let expected = model.unfinished > 0;
                model.unfinished -= usize::from(expected);
                assert_eq!(queue.task_done(), expected);
            }
            Op::Shutdown { immediate } => {
                queue.shutdown(immediate);
                model.shut_down = true;
                if immediate {
                    model.unfinished -= model.unfinished.min(model.items.len());
                    model.items.clear();
                }
            }
        }

        assert_eq!(queue.len(), model.items.len());
        assert_eq!(queue.is_full(), model.is_full());
        assert_eq!(queue.unfinished(), model.unfinished);

        let woken = |pred: fn(&Fut<'_>) -> bool| {
            pending.iter().filter(|p| pred(&p.fut) && p.woken()).count()
        };
        let count = |pred: fn(&Fut<'_>) -> bool| pending.iter().filter(|p| pred(&p.fut)).count();
        let is_get: fn(&Fut<'_>) -> bool = |f| matches!(f, Fut::Get(_));
        let is_put: fn(&Fut<'_>) -> bool = |f| matches!(f, Fut::Put(..));
        let is_join: fn(&Fut<'_>) -> bool = |f| matches!(f, Fut::Join(_));
        if model.shut_down {
            assert_eq!(woken(is_get), count(is_get), "a getter missed the shutdown");
            assert_eq!(woken(is_put), count(is_put), "a putter missed the shutdown");
        }
        assert!(
            woken(is_get) >= model.items.len().min(count(is_get)),
            "an item has no woken getter"
        );
        if maxsize != 0 {
            let free = maxsize - model.items.len().min(maxsize);
            assert!(
                woken(is_put) >= free.min(count(is_put)),
                "a free slot has no woken putter"
            );
        }
        if model.unfinished == 0 {
            assert_eq!(
                woken(is_join),
                count(is_join),
                "a join missed the last task_done"
            );
        }
    }
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(200)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fifo_queue_matches_the_model(maxsize in 0usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(Kind::Fifo, maxsize, ops);
    }

    #[test]
    fn lifo_queue_matches_the_model(maxsize in 0usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(Kind::Lifo, maxsize, ops);
    }

    #[test]
    fn priority_queue_matches_the_model(maxsize in 0usize..4, ops in prop::collection::vec(op(), 1..80)) {
        run(Kind::Priority, maxsize, ops);
    }
}
