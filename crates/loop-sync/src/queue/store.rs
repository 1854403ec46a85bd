//! Where a queue keeps its items: a lock-free `ConcurrentQueue` for FIFO order, a short-held
//! mutex around a `Vec` for LIFO and priority order.

use std::cmp::Ordering;
use std::sync::{Mutex, MutexGuard, PoisonError};

use concurrent_queue::{ConcurrentQueue, PopError, PushError};

// The FIFO variant (cache-padded, so large) is the common one: boxing it would add an
// indirection to every operation to save a few hundred bytes per LIFO or priority queue.
#[allow(clippy::large_enum_variant)]
pub(super) enum Store<T> {
    Fifo(ConcurrentQueue<T>),
    Ordered(Mutex<Ordered<T>>),
}

pub(super) struct Ordered<T> {
    items: Vec<T>,
    /// 0 means unbounded.
    maxsize: usize,
    closed: bool,
    order: Order<T>,
}

enum Order<T> {
    /// Push and pop at the end.
    Lifo,
    /// A binary min-heap by this comparison (`Ord::cmp` of the item type).
    Priority(fn(&T, &T) -> Ordering),
}

impl<T> Store<T> {
    /// First in, first out. A bounded one allocates its `maxsize` slots up front.
    pub(super) fn fifo(maxsize: usize) -> Store<T> {
        Store::Fifo(if maxsize == 0 {
            ConcurrentQueue::unbounded()
        } else {
            ConcurrentQueue::bounded(maxsize)
        })
    }

    /// Last in, first out.
    pub(super) fn lifo(maxsize: usize) -> Store<T> {
        Store::ordered(maxsize, Order::Lifo)
    }

    /// Smallest first.
    pub(super) fn priority(maxsize: usize) -> Store<T>
    where
        T: Ord,
    {
        Store::ordered(maxsize, Order::Priority(T::cmp))
    }

    fn ordered(maxsize: usize, order: Order<T>) -> Store<T> {
        Store::Ordered(Mutex::new(Ordered {
            items: Vec::new(),
            maxsize,
            closed: false,
            order,
        }))
    }

    pub(super) fn push(&self, item: T) -> Result<(), PushError<T>> {
        match self {
            Store::Fifo(q) => q.push(item),
            Store::Ordered(m) => lock(m).push(item),
        }
    }

    pub(super) fn pop(&self) -> Result<T, PopError> {
        match self {
            Store::Fifo(q) => q.pop(),
            Store::Ordered(m) => lock(m).pop(),
        }
    }

    /// Refuses further pushes; pops go on until the store is empty. Returns `true` if this call
    /// closed it.
    pub(super) fn close(&self) -> bool {
        match self {
            Store::Fifo(q) => q.close(),
            Store::Ordered(m) => !std::mem::replace(&mut lock(m).closed, true),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        match self {
            Store::Fifo(q) => q.is_closed(),
            Store::Ordered(m) => lock(m).closed,
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Store::Fifo(q) => q.len(),
            Store::Ordered(m) => lock(m).items.len(),
        }
    }

    /// Removes every item. The caller drops them, outside any lock.
    pub(super) fn drain(&self) -> Vec<T> {
        match self {
            Store::Fifo(q) => q.try_iter().collect(),
            Store::Ordered(m) => std::mem::take(&mut lock(m).items),
        }
    }
}

/// Locks an ordered store. Its invariants hold between statements, so a panic in a user's `Ord`
/// implementation at worst leaves the heap out of order, never unsafe: poisoning is ignored.
fn lock<T>(m: &Mutex<Ordered<T>>) -> MutexGuard<'_, Ordered<T>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Ordered<T> {
    fn push(&mut self, item: T) -> Result<(), PushError<T>> {
        if self.closed {
            return Err(PushError::Closed(item));
        }
        if self.maxsize != 0 && self.items.len() >= self.maxsize {
            return Err(PushError::Full(item));
        }
        self.items.push(item);
        if let Order::Priority(cmp) = self.order {
            sift_up(&mut self.items, cmp);
        }
        Ok(())
    }

    fn pop(&mut self) -> Result<T, PopError> {
        let item = match self.order {
            Order::Lifo => self.items.pop(),
            Order::Priority(cmp) => pop_min(&mut self.items, cmp),
        };
        match item {
            Some(item) => Ok(item),
            None if self.closed => Err(PopError::Closed),
            None => Err(PopError::Empty),
        }
    }
}

/// Restores the heap after a push to the end.
fn sift_up<T>(heap: &mut [T], cmp: fn(&T, &T) -> Ordering) {
    let mut child = heap.len() - 1;
    while child > 0 {
        let parent = (child - 1) / 2;
        if cmp(&heap[child], &heap[parent]) != Ordering::Less {
            break;
        }
        heap.swap(child, parent);
        child = parent;
    }
}

/// Removes the smallest item and restores the heap.
fn pop_min<T>(heap: &mut Vec<T>, cmp: fn(&T, &T) -> Ordering) -> Option<T> {
    if heap.is_empty() {
        return None;
    }
    let min = heap.swap_remove(0);
    let mut parent = 0;
    loop {
        let (left, right) = (2 * parent + 1, 2 * parent + 2);
        let mut smallest = parent;
        if left < heap.len() && cmp(&heap[left], &heap[smallest]) == Ordering::Less {
            smallest = left;
        }
        if right < heap.len() && cmp(&heap[right], &heap[smallest]) == Ordering::Less {
            smallest = right;
        }
        if smallest == parent {
            return Some(min);
        }
        heap.swap(parent, smallest);
        parent = smallest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heap_pops_in_ascending_order() {
        let mut heap = Vec::new();
        for x in [5, 3, 8, 1, 9, 2, 7, 3, 0, 6] {
            heap.push(x);
            sift_up(&mut heap, i32::cmp);
        }
        let popped: Vec<_> = std::iter::from_fn(|| pop_min(&mut heap, i32::cmp)).collect();
        assert_eq!(popped, [0, 1, 2, 3, 3, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn ordered_stores_respect_maxsize_and_close() {
        let store = Store::lifo(2);
        assert!(store.push(1).is_ok() && store.push(2).is_ok());
        assert!(matches!(store.push(3), Err(PushError::Full(3))));
        assert!(store.close());
        assert!(!store.close());
        assert!(matches!(store.push(4), Err(PushError::Closed(4))));
        assert_eq!(store.pop(), Ok(2));
        assert_eq!(store.drain(), [1]);
        assert_eq!(store.pop(), Err(PopError::Closed));
    }
}
