//! The timer store: a binary min-heap of `(deadline, sequence)` whose entries know their heap
//! position, so cancelling is a removal, not a tombstone.
//!
//! Insert, cancel and pop cost O(log n); peeking at the next deadline costs O(1), so pending
//! timers add nothing to a loop turn until they are due. Equal deadlines pop in insertion
//! order (the sequence number breaks ties), which asyncio's `heapq` does not guarantee.

use crate::arena::{Arena, Key};

/// A timer's deadline, in nanoseconds on the loop's clock.
pub(crate) type Nanos = u64;

#[derive(Debug, Clone, Copy)]
struct HeapEntry {
    deadline: Nanos,
    seq: u64,
    key: Key,
}

impl HeapEntry {
    fn before(&self, other: &HeapEntry) -> bool {
        (self.deadline, self.seq) < (other.deadline, other.seq)
    }
}

#[derive(Debug)]
struct Slot<A> {
    heap_pos: usize,
    action: A,
}

#[derive(Debug)]
pub(crate) struct TimerStore<A> {
    heap: Vec<HeapEntry>,
    slots: Arena<Slot<A>>,
    next_seq: u64,
}

impl<A> Default for TimerStore<A> {
    fn default() -> Self {
        TimerStore {
            heap: Vec::new(),
            slots: Arena::default(),
            next_seq: 0,
        }
    }
}

impl<A> TimerStore<A> {
    pub(crate) fn insert(&mut self, deadline: Nanos, action: A) -> Key {
        let seq = self.next_seq;
        self.next_seq += 1;
        let heap_pos = self.heap.len();
        let key = self.slots.insert(Slot { heap_pos, action });
        self.heap.push(HeapEntry { deadline, seq, key });
        self.sift_up(heap_pos);
        key
    }

    /// Cancels a pending timer, returning its action; `None` if it already fired or was cancelled.
    pub(crate) fn remove(&mut self, key: Key) -> Option<A> {
        let slot = self.slots.remove(key)?;
        self.remove_heap_entry(slot.heap_pos);
        Some(slot.action)
    }

    pub(crate) fn next_deadline(&self) -> Option<Nanos> {
        self.heap.first().map(|e| e.deadline)
    }

    /// Removes and returns the earliest timer if its deadline is at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Nanos) -> Option<A> {
        let first = *self.heap.first()?;
        if first.deadline > now {
            return None;
        }
        self.remove_heap_entry(0);
        self.slots.remove(first.key).map(|slot| slot.action)
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut A> {
        self.slots.get_mut(key).map(|slot| &mut slot.action)
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Removes every timer without firing it.
    pub(crate) fn drain(&mut self) -> Vec<A> {
        self.heap.clear();
        self.slots
            .drain()
            .into_iter()
            .map(|slot| slot.action)
            .collect()
    }

    fn remove_heap_entry(&mut self, pos: usize) {
        let last = self.heap.pop().expect("heap entry exists");
        if pos < self.heap.len() {
            self.heap[pos] = last;
            self.set_pos(pos);
            if pos > 0 && last.before(&self.heap[(pos - 1) / 2]) {
                self.sift_up(pos);
            } else {
                self.sift_down(pos);
            }
        }
    }

    fn set_pos(&mut self, pos: usize) {
        let key = self.heap[pos].key;
        if let Some(slot) = self.slots.get_mut(key) {
            slot.heap_pos = pos;
        }
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if !self.heap[pos].before(&self.heap[parent]) {
                break;
            }
            self.heap.swap(pos, parent);
            self.set_pos(pos);
            pos = parent;
        }
        self.set_pos(pos);
    }

    fn sift_down(&mut self, mut pos: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].before(&self.heap[left]) {
                right
            } else {
                left
            };
            if !self.heap[child].before(&self.heap[pos]) {
                break;
            }
            self.heap.swap(pos, child);
            self.set_pos(pos);
            pos = child;
        }
        self.set_pos(pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_deadlines_pop_in_insertion_order() {
        let mut store = TimerStore::default();
        for i in 0..10 {
            store.insert(5, i);
        }
        let order: Vec<_> = std::iter::from_fn(|| store.pop_due(5)).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn cancel_removes_immediately() {
        let mut store = TimerStore::default();
        let keys: Vec<_> = (0..100).map(|i| store.insert(1000 - i, i)).collect();
        for k in &keys[..60] {
            assert!(store.remove(*k).is_some());
        }
        assert_eq!(store.len(), 40, "cancelled timers do not linger");
        assert!(
            store.remove(keys[0]).is_none(),
            "a second cancel finds nothing"
        );
        assert_eq!(store.next_deadline(), Some(1000 - 99));
    }

    #[test]
    fn not_due_stays() {
        let mut store = TimerStore::default();
        store.insert(10, ());
        assert!(store.pop_due(9).is_none());
        assert!(store.pop_due(10).is_some());
        assert!(store.is_empty());
    }

    mod model {
        use super::super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Insert(Nanos),
            Cancel(usize),
            PopDue(Nanos),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0..40u64).prop_map(Op::Insert),
                1 => any::<usize>().prop_map(Op::Cancel),
                2 => (0..50u64).prop_map(Op::PopDue),
            ]
        }

        proptest! {
            /// The store agrees with a sorted list of (deadline, insertion order) on every pop,
            /// cancel, length and next deadline, including cancellations of fired timers.
            #[test]
            fn matches_sorted_list(ops in proptest::collection::vec(op(), 1..200)) {
                let mut store = TimerStore::default();
                let mut model: Vec<(Nanos, usize)> = Vec::new(); // (deadline, id), kept sorted
                let mut keys = Vec::new(); // id -> key
                for op in ops {
                    match op {
                        Op::Insert(deadline) => {
                            let id = keys.len();
                            keys.push(store.insert(deadline, id));
                            let at = model.partition_point(|&(d, i)| (d, i) <= (deadline, id));
                            model.insert(at, (deadline, id));
                        }
                        Op::Cancel(pick) => {
                            if keys.is_empty() {
                                continue;
                            }
                            let id = pick % keys.len();
                            let expected = model.iter().position(|&(_, i)| i == id);
                            let got = store.remove(keys[id]);
                            prop_assert_eq!(got, expected.map(|at| model.remove(at).1));
                        }
                        Op::PopDue(now) => {
                            let mut popped = Vec::new();
                            while let Some(id) = store.pop_due(now) {
                                popped.push(id);
                            }
                            let due = model.partition_point(|&(d, _)| d <= now);
                            let expected: Vec<usize> = model.drain(..due).map(|(_, i)| i).collect();
                            prop_assert_eq!(popped, expected);
                        }
                    }
                    prop_assert_eq!(store.len(), model.len());
                    prop_assert_eq!(store.next_deadline(), model.first().map(|&(d, _)| d));
                }
            }
        }
    }
}
