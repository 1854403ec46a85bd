//! Broadcast: every branch gets every item of one upstream stage.
//!
//! A hub reads the upstream for all branches; each branch is an identity stage whose input is
//! its own queue in the hub. Branch queues are unbounded so that a branch nobody reads yet
//! never stalls the others: a lagging branch buffers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

use crate::error::Error;
use crate::pool::Node;
use crate::reader::Reader;
use crate::stage::{Take, lock, take_units};

pub(crate) struct Hub<T> {
    upstream: Mutex<Option<Reader<T>>>,
    state: Mutex<HubState<T>>,
}

struct HubState<T> {
    branches: Vec<Branch<T>>,
    ended: Option<Result<(), Error>>,
}

struct Branch<T> {
    queue: VecDeque<T>,
    want: usize,
    node: Option<Weak<dyn Node>>,
    live: bool,
}

/// A broadcast branch's input: its queue in the hub.
pub(crate) struct BranchInput<T> {
    hub: Arc<Hub<T>>,
    /// The same hub, as the node to pump.
    node: Arc<dyn Node>,
    index: usize,
}

impl<T: Clone + Send + 'static> Hub<T> {
    /// A hub reading `upstream` for `n` branches.
    pub(crate) fn branches(upstream: Reader<T>, n: usize) -> Vec<BranchInput<T>> {
        let hub = Arc::new(Hub {
            upstream: Mutex::new(None),
            state: Mutex::new(HubState {
                branches: (0..n)
                    .map(|_| Branch {
                        queue: VecDeque::new(),
                        want: 0,
                        node: None,
                        live: true,
                    })
                    .collect(),
                ended: None,
            }),
        });
        let me: Weak<dyn Node> = Arc::downgrade(&hub) as Weak<dyn Node>;
        let _ = upstream.slot().node.set(me);
        *lock(&hub.upstream) = Some(upstream);
        let node: Arc<dyn Node> = Arc::clone(&hub) as Arc<dyn Node>;
        (0..n)
            .map(|index| BranchInput {
                hub: Arc::clone(&hub),
                node: Arc::clone(&node),
                index,
            })
            .collect()
    }
}

impl<T: Clone + Send + 'static> Node for Hub<T> {
    fn run_one(&self) {}

    /// Moves what the upstream has buffered into every live branch, then passes the largest
    /// branch demand upstream.
    fn pump(&self) {
        let (up, notify) = {
            let upstream = lock(&self.upstream);
            let Some(reader) = upstream.as_ref() else {
                return;
            };
            let mut hs = lock(&self.state);
            // Which branches to pump: those that got items, or all once the stream ended.
            let mut woken: fn(&Branch<T>) -> bool = |_| false;
            if hs.ended.is_none() {
                match reader.shared().take_for_stage(usize::MAX, 1) {
                    Take::Items(items) => {
                        if let Some(last) = hs.branches.iter().rposition(|b| b.live) {
                            for b in hs.branches[..last].iter_mut().filter(|b| b.live) {
                                b.queue.extend(items.iter().cloned());
                            }
                            hs.branches[last].queue.extend(items);
                        }
                        woken = |b| b.live;
                    }
                    Take::Ended(end) => {
                        hs.ended = Some(end);
                        woken = |_| true;
                    }
                    Take::Empty => {}
                }
            }
            let want = hs
                .branches
                .iter()
                .filter(|b| b.live)
                .map(|b| b.want)
                .max()
                .unwrap_or(0);
            reader.slot().set_want(want);
            let nodes: Vec<Arc<dyn Node>> = hs
                .branches
                .iter()
                .filter(|b| woken(b))
                .filter_map(|b| b.node.as_ref()?.upgrade())
                .collect();
            (reader.node(), nodes)
        };
        up.pump();
        for n in notify {
            n.pump();
        }
    }

    fn cancel(&self) {}

    fn shut_down(&self) {}

    fn wake_readers(&self) {}
}

impl<T> BranchInput<T> {
    pub(crate) fn attach(&self, node: Weak<dyn Node>) {
        lock(&self.hub.state).branches[self.index].node = Some(node);
    }

    pub(crate) fn take(&mut self, k: usize, unit: usize) -> Take<T> {
        let mut hs = lock(&self.hub.state);
        let ended = hs.ended.clone();
        take_units(&mut hs.branches[self.index].queue, k, unit, ended.as_ref())
    }

    /// Taking from the branch queue frees nothing upstream (the hub already took those
    /// items), so only a larger demand pumps the hub; this also keeps a hub and its branches
    /// from pumping each other in a loop.
    pub(crate) fn set_want(&mut self, want: usize) -> Option<Arc<dyn Node>> {
        let old = std::mem::replace(&mut lock(&self.hub.state).branches[self.index].want, want);
        (want > old).then(|| Arc::clone(&self.node))
    }
}

impl<T> Drop for BranchInput<T> {
    fn drop(&mut self) {
        let queue = {
            let mut hs = lock(&self.hub.state);
            let b = &mut hs.branches[self.index];
            b.live = false;
            b.want = 0;
            std::mem::take(&mut b.queue)
        };
        drop(queue);
    }
}
