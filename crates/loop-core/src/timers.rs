//! The timer store: a hierarchical timing wheel with exact firing order.
//!
//! Nine levels of 64 slots each; a level-0 slot spans 1.024 µs and each level above is 64 times
//! coarser, so the wheel covers the whole `u64` nanosecond range. A timer sits in the slot of
//! the highest bit where its deadline differs from the wheel's current time; each slot is an
//! intrusive doubly linked list. Insert and cancel are O(1) whatever else is pending, and a
//! cancelled timer is unlinked at once. Finding the next deadline checks one occupancy bitmap
//! per level. When time reaches a coarse slot its timers move down a level (each timer moves at
//! most once per level); due timers are sorted by `(deadline, sequence)` before they fire, so
//! timers fire in deadline order and equal deadlines in insertion order, which asyncio's
//! `heapq` does not guarantee. Timers are never fired before their deadline.

use std::collections::VecDeque;

use crate::arena::{Arena, Key};

/// A timer's deadline, in nanoseconds on the loop's clock.
pub(crate) type Nanos = u64;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
/// log2 of a level-0 slot's width in nanoseconds.
const LEVEL0_SHIFT: u32 = 10;
const LEVELS: usize = 9;
/// The list of timers already due when inserted.
const EXPIRED: u16 = (LEVELS * SLOTS) as u16;
/// Not in any list: taken out to fire in the current batch.
const BATCHED: u16 = u16::MAX;
const NIL: u32 = u32::MAX;
/// How many timers of a coarse slot `next_deadline` reads to find the exact earliest one.
const SCAN_LIMIT: usize = 32;

#[derive(Debug)]
struct Node<A> {
    deadline: Nanos,
    seq: u64,
    prev: u32,
    next: u32,
    list: u16,
    action: A,
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

#[derive(Debug)]
pub(crate) struct TimerStore<A> {
    nodes: Arena<Node<A>>,
    lists: Vec<List>,
    occupied: [u64; LEVELS],
    /// The wheel's current time: every linked timer's slot is computed against it.
    elapsed: Nanos,
    next_seq: u64,
    /// Due timers in firing order, handed out by `pop_due`.
    batch: VecDeque<Key>,
}

impl<A> Default for TimerStore<A> {
    fn default() -> Self {
        TimerStore {
            nodes: Arena::default(),
            lists: vec![EMPTY; LEVELS * SLOTS + 1],
            occupied: [0; LEVELS],
            elapsed: 0,
            next_seq: 0,
            batch: VecDeque::new(),
        }
    }
}

fn shift(level: usize) -> u32 {
    LEVEL0_SHIFT + SLOT_BITS * level as u32
}

/// The list a timer due at `deadline` belongs in, seen from `elapsed`.
fn list_for(deadline: Nanos, elapsed: Nanos) -> u16 {
    if deadline <= elapsed {
        return EXPIRED;
    }
    let differing = (deadline ^ elapsed) >> LEVEL0_SHIFT;
    let level = if differing == 0 {
        0
    } else {
        ((63 - differing.leading_zeros()) / SLOT_BITS) as usize
    };
    let slot = ((deadline >> shift(level)) as usize) & (SLOTS - 1);
    (level * SLOTS + slot) as u16
}

impl<A> TimerStore<A> {
    pub(crate) fn insert(&mut self, deadline: Nanos, action: A) -> Key {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = self.nodes.insert(Node {
            deadline,
            seq,
            prev: NIL,
            next: NIL,
            list: BATCHED,
            action,
        });
        self.link(key.index(), list_for(deadline, self.elapsed));
        key
    }

    /// Cancels a pending timer, returning its action; `None` if it already fired or was cancelled.
    pub(crate) fn remove(&mut self, key: Key) -> Option<A> {
        let list = self.nodes.get_mut(key)?.list;
        if list != BATCHED {
            self.unlink(key.index());
        }
        self.nodes.remove(key).map(|node| node.action)
    }

    /// When the loop should next call `pop_due`: the earliest deadline, or the start of the
    /// crowded coarse slot holding it (never later than the earliest deadline).
    pub(crate) fn next_deadline(&self) -> Option<Nanos> {
        if !self.batch.is_empty() || self.lists[EXPIRED as usize].head != NIL {
            return Some(self.elapsed);
        }
        let (level, slot, start) = self.first_slot()?;
        // The exact earliest deadline when the slot is small (always at level 0, whose slots span
        // a microsecond), so a lone timer costs one wake-up; the slot's start when it is crowded,
        // so finding the next wake-up stays cheap.
        let mut earliest = Nanos::MAX;
        let mut cursor = self.lists[slot].head;
        let mut scanned = 0;
        while cursor != NIL {
            if level > 0 && scanned == SCAN_LIMIT {
                return Some(start);
            }
            let node = self.node(cursor);
            earliest = earliest.min(node.deadline);
            cursor = node.next;
            scanned += 1;
        }
        Some(earliest)
    }

    /// Removes and returns the next timer due at or before `now`, in `(deadline, seq)` order.
    pub(crate) fn pop_due(&mut self, now: Nanos) -> Option<A> {
        loop {
            if let Some(key) = self.batch.pop_front() {
                match self.nodes.remove(key) {
                    Some(node) => return Some(node.action),
                    None => continue, // cancelled after it was batched
                }
            }
            self.advance(now);
            if self.batch.is_empty() {
                return None;
            }
        }
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut A> {
        self.nodes.get_mut(key).map(|node| &mut node.action)
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.len() == 0
    }

    /// Removes every timer without firing it.
    pub(crate) fn drain(&mut self) -> Vec<A> {
        self.lists.fill(EMPTY);
        self.occupied = [0; LEVELS];
        self.batch.clear();
        self.nodes
            .drain()
            .into_iter()
            .map(|node| node.action)
            .collect()
    }

    fn node(&self, index: u32) -> &Node<A> {
        // Linked indices always name live nodes: a node is unlinked before it is removed.
        self.nodes.at(index).expect("linked timer exists")
    }

    fn node_mut(&mut self, index: u32) -> &mut Node<A> {
        self.nodes.at_mut(index).expect("linked timer exists")
    }

    /// The first occupied slot of the lowest occupied level, with the time it starts.
    fn first_slot(&self) -> Option<(usize, usize, Nanos)> {
        let level = self.occupied.iter().position(|&bits| bits != 0)?;
        let slot = self.occupied[level].trailing_zeros() as usize;
        let span = shift(level) + SLOT_BITS;
        let base = if span >= 64 {
            0
        } else {
            self.elapsed & !((1u64 << span) - 1)
        };
        Some((
            level,
            level * SLOTS + slot,
            base | ((slot as u64) << shift(level)),
        ))
    }

    /// Moves time forward to `now`, batching every timer due by then in firing order.
    fn advance(&mut self, now: Nanos) {
        let mut due = Vec::new();
        self.take_list(EXPIRED, &mut due);
        while let Some((level, list, start)) = self.first_slot() {
            if start > now {
                break;
            }
            if level == 0 {
                // A level-0 slot spans about a microsecond: fire what is due, keep the rest.
                let mut cursor = self.lists[list].head;
                while cursor != NIL {
                    let node = self.node(cursor);
                    let (next, deadline) = (node.next, node.deadline);
                    if deadline <= now {
                        self.unlink(cursor);
                        self.node_mut(cursor).list = BATCHED;
                        due.push(cursor);
                    }
                    cursor = next;
                }
                if self.lists[list].head != NIL {
                    break; // what is left is due after `now`, and so is everything else
                }
            } else {
                // Time enters a coarse slot: spread its timers over the finer levels.
                self.elapsed = start;
                let mut moved = Vec::new();
                self.take_list(list as u16, &mut moved);
                for index in moved {
                    let deadline = self.node(index).deadline;
                    let target = list_for(deadline, self.elapsed);
                    if target == EXPIRED {
                        self.node_mut(index).list = BATCHED;
                        due.push(index);
                    } else {
                        self.link(index, target);
                    }
                }
            }
        }
        self.elapsed = self.elapsed.max(now);
        due.sort_unstable_by_key(|&index| {
            let node = self.node(index);
            (node.deadline, node.seq)
        });
        for index in due {
            let key = self.nodes.key_at(index).expect("batched timer exists");
            self.batch.push_back(key);
        }
    }

    /// Unlinks every node of `list` into `out` (marked batched).
    fn take_list(&mut self, list: u16, out: &mut Vec<u32>) {
        let mut cursor = self.lists[list as usize].head;
        while cursor != NIL {
            let node = self.node_mut(cursor);
            node.list = BATCHED;
            out.push(cursor);
            cursor = node.next;
        }
        self.lists[list as usize] = EMPTY;
        if list != EXPIRED {
            self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
        }
    }

    fn link(&mut self, index: u32, list: u16) {
        let tail = self.lists[list as usize].tail;
        {
            let node = self.node_mut(index);
            node.list = list;
            node.prev = tail;
            node.next = NIL;
        }
        if tail == NIL {
            self.lists[list as usize].head = index;
        } else {
            self.node_mut(tail).next = index;
        }
        self.lists[list as usize].tail = index;
        if list != EXPIRED {
            self.occupied[list as usize / SLOTS] |= 1 << (list as usize % SLOTS);
        }
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, list) = {
            let node = self.node(index);
            (node.prev, node.next, node.list)
        };
        if prev == NIL {
            self.lists[list as usize].head = next;
        } else {
            self.node_mut(prev).next = next;
        }
        if next == NIL {
            self.lists[list as usize].tail = prev;
        } else {
            self.node_mut(next).prev = prev;
        }
        if self.lists[list as usize].head == NIL && list != EXPIRED {
            self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
        }
        self.node_mut(index).list = BATCHED;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_deadlines_pop_in_insertion_order() {
        let mut store = TimerStore::default();
        for i in 0..10 {
            store.insert(5_000_000, i);
        }
        let order: Vec<_> = std::iter::from_fn(|| store.pop_due(5_000_000)).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn cancel_removes_immediately() {
        let mut store = TimerStore::default();
        let keys: Vec<_> = (0..100)
            .map(|i| store.insert(1_000_000 - i * 1000, i))
            .collect();
        for k in &keys[..60] {
            assert!(store.remove(*k).is_some());
        }
        assert_eq!(store.len(), 40, "cancelled timers do not linger");
        assert!(
            store.remove(keys[0]).is_none(),
            "a second cancel finds nothing"
        );
        let first = store.next_deadline().unwrap();
        assert!(
            first <= 1_000_000 - 99 * 1000,
            "next wake-up is not after the earliest timer"
        );
        let fired: Vec<_> = std::iter::from_fn(|| store.pop_due(u64::MAX >> 1)).collect();
        assert_eq!(
            fired,
            (60..100).rev().collect::<Vec<_>>(),
            "fired in deadline order"
        );
    }

    #[test]
    fn never_fires_early_and_wakes_exactly_at_fine_deadlines() {
        let mut store = TimerStore::default();
        store.insert(10_500, "a");
        assert!(store.pop_due(10_499).is_none());
        assert_eq!(
            store.next_deadline(),
            Some(10_500),
            "a level-0 deadline is exact"
        );
        assert_eq!(store.pop_due(10_500), Some("a"));
        assert!(store.is_empty());
    }

    #[test]
    fn far_deadlines_cascade_down() {
        let mut store = TimerStore::default();
        let far = 3 * 3600 * 1_000_000_000u64 + 123_456_789; // three hours and change
        store.insert(far, ());
        let mut now = 0;
        let mut wakeups = 0;
        while let Some(next) = store.next_deadline() {
            assert!(next <= far);
            now = next;
            wakeups += 1;
            if store.pop_due(now).is_some() {
                break;
            }
        }
        assert_eq!(now, far, "fires exactly at its deadline");
        assert_eq!(
            wakeups, 1,
            "a lone timer wakes the loop once, at its deadline"
        );
        for i in 0..100 {
            store.insert(far + (1 << 40) + i, ());
        }
        let first = store.next_deadline().unwrap();
        assert!(
            first < far + (1 << 40),
            "a crowded coarse slot wakes at its start, got {first}"
        );
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
                3 => (0..4_000_000u64).prop_map(Op::Insert),
                1 => any::<usize>().prop_map(Op::Cancel),
                2 => (0..20u64).prop_map(Op::PopDue),
            ]
        }

        proptest! {
            /// The wheel agrees with a sorted list of (deadline, insertion order) on every pop, cancel
            /// and length, including cancellations of fired timers, and never schedules its next
            /// wake-up after the earliest pending deadline.
            #[test]
            fn matches_sorted_list(ops in proptest::collection::vec(op(), 1..200)) {
                let mut store = TimerStore::default();
                let mut model: Vec<(Nanos, usize)> = Vec::new(); // (deadline, id), kept sorted
                let mut keys = Vec::new(); // id -> key
                let mut now: Nanos = 0;
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
                        Op::PopDue(step) => {
                            // Time moves forward in steps of up to ~1 ms, sometimes to the next wake-up.
                            now = match store.next_deadline() {
                                Some(next) if step == 0 => next.max(now),
                                _ => now + step * step * 3000,
                            };
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
                    match (store.next_deadline(), model.first()) {
                        (None, None) => {}
                        (Some(next), Some(&(earliest, _))) => prop_assert!(next <= earliest.max(now)),
                        (got, want) => prop_assert!(false, "next_deadline {:?} vs model {:?}", got, want),
                    }
                }
            }
        }
    }
}
