//! An intrusive FIFO line of waiting tasks: the waiting under [`Mutex`](crate::Mutex), the
//! semaphores, [`RwLock`](crate::RwLock) and [`Event`](crate::Event).
//!
//! A [`Waiters`] is a doubly linked list of [`Node`]s behind a `std::sync::Mutex`, the *list
//! lock*. Each waiting future owns one node (on the heap, in a [`NodeBox`], so the future itself
//! can move and stays `Unpin`); the list only points at it. A node carries the task's waker, a
//! `value` for its owner (a semaphore request's permit count; unused by an event), and a `state`:
//!
//! - `IDLE`: not in the list and never was;
//! - `QUEUED`: linked into the list, waiting;
//! - `GRANTED`: taken out of the list by a notifier, which gave the node what it waited for (the
//!   lock, its permits, the wake-up); the owner has not seen it yet;
//! - `DONE`: the owner saw the grant (or completed without waiting).
//!
//! The invariants, which the comments below refer to:
//!
//! 1. A node is linked exactly while its state is `QUEUED`. Links, waker and `value` are read
//!    and written only under the list lock; `state` is written under the list lock, except that
//!    the owner writes `DONE` over `GRANTED` (nobody else touches a granted node).
//! 2. A node is freed only by its owner, and only after it left the list: the owner's `Drop`
//!    calls [`Locked::cancel`], which unlinks a `QUEUED` node under the list lock.
//! 3. A notifier marks a node `GRANTED` and takes its waker in the same locked section that
//!    unlinks it, and wakes only after releasing the list lock. After releasing the lock it never
//!    touches the node again, so the owner may free it as soon as it reads `GRANTED`.
//!
//! Waiting thus costs one allocation and two list-lock sections: enqueueing (with the waker) and
//! the notification. The woken poll reads `state` with one atomic load; only a poll that finds
//! its node still `QUEUED` takes the lock, to replace the waker.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

const IDLE: u8 = 0;
const QUEUED: u8 = 1;
const GRANTED: u8 = 2;
const DONE: u8 = 3;

/// What the owner of a node learns from [`Locked::cancel`] or [`Node::poll_state`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Still waiting (only from `poll_state`).
    Waiting,
    /// The node had been granted; its owner now holds what the grant carried.
    Granted,
    /// Nothing held: the node was never queued, already done, or has just been unlinked.
    Nothing,
}

/// One waiting task's place in a [`Waiters`] line. Owned by the waiting future, boxed.
pub(crate) struct Node {
    state: AtomicU8,
    /// Guarded by the list lock (invariant 1).
    inner: UnsafeCell<NodeInner>,
}

struct NodeInner {
    prev: Option<NonNull<Node>>,
    next: Option<NonNull<Node>>,
    waker: Option<Waker>,
    value: usize,
}

// SAFETY: `inner` is only accessed under the list lock of the list the node is in (invariant 1),
// and `state` is atomic; the pointers in `inner` are only followed under that same lock.
unsafe impl Send for Node {}
// SAFETY: as above: every access through `&Node` is either atomic or under the list lock.
unsafe impl Sync for Node {}

impl Node {
    /// The owner's lock-free look at its node: `Granted` (once: the node becomes `DONE`),
    /// `Waiting`, or `Nothing` for a node never queued or already done.
    #[inline]
    pub(crate) fn poll_state(&self) -> Seen {
        match self.state.load(Acquire) {
            QUEUED => Seen::Waiting,
            GRANTED => {
                // Invariant 3: the notifier is done with the node.
                self.state.store(DONE, Relaxed);
                Seen::Granted
            }
            _ => Seen::Nothing,
        }
    }
}

/// An owned, heap-allocated [`Node`]: a waiting future's handle on its node.
///
/// A raw pointer rather than a `Box`, because a `Box` asserts unique access whenever it moves,
/// while the list holds pointers to the node.
pub(crate) struct NodeBox(NonNull<Node>);

// SAFETY: `NodeBox` owns its node like a `Box` would, and `Node` is `Send` and `Sync`.
unsafe impl Send for NodeBox {}
// SAFETY: as above; `&NodeBox` only gives `&Node`.
unsafe impl Sync for NodeBox {}

impl NodeBox {
    /// A fresh `IDLE` node.
    pub(crate) fn new() -> NodeBox {
        let node = Box::new(Node {
            state: AtomicU8::new(IDLE),
            inner: UnsafeCell::new(NodeInner {
                prev: None,
                next: None,
                waker: None,
                value: 0,
            }),
        });
        NodeBox(NonNull::from(Box::leak(node)))
    }
}

impl std::ops::Deref for NodeBox {
    type Target = Node;

    fn deref(&self) -> &Node {
        // SAFETY: the pointer came from `Box::leak` and is freed only in `drop`.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for NodeBox {
    fn drop(&mut self) {
        debug_assert_ne!(
            self.state.load(Relaxed),
            QUEUED,
            "a node was freed while still in its list"
        );
        // SAFETY: the pointer came from `Box::leak`, and this is its only owner. The node is not
        // in any list (invariant 2), so nobody else points at it.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// The list head and tail, guarded by the list lock.
struct List {
    head: Option<NonNull<Node>>,
    tail: Option<NonNull<Node>>,
}

// SAFETY: the pointers are only followed while the list lock is held, and the nodes they point to
// are `Sync` (see `Node`).
unsafe impl Send for List {}

/// A FIFO line of [`Node`]s behind a `std::sync::Mutex`.
pub(crate) struct Waiters {
    list: Mutex<List>,
}

impl Waiters {
    pub(crate) const fn new() -> Waiters {
        Waiters {
            list: Mutex::new(List {
                head: None,
                tail: None,
            }),
        }
    }

    /// Takes the list lock. Nothing in a locked section panics, so poisoning is ignored.
    #[inline]
    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked {
            list: self.list.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

/// The list, locked.
pub(crate) struct Locked<'a> {
    list: MutexGuard<'a, List>,
}

impl Locked<'_> {
    /// Whether nobody waits.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.list.head.is_none()
    }

    /// Appends `node` with `value` and a clone of `waker`, making it `QUEUED`.
    ///
    /// # Safety
    ///
    /// `node` must be `IDLE`, must not move, and its owner must call [`Locked::cancel`] (or see it
    /// granted) before freeing it; both hold for a [`NodeBox`] whose owner's `Drop` cancels.
    pub(crate) unsafe fn push_back(&mut self, node: &Node, value: usize, waker: &Waker) {
        debug_assert_eq!(node.state.load(Relaxed), IDLE, "a node was queued twice");
        let ptr = NonNull::from(node);
        // SAFETY: we hold the list lock, and the node is not in any list yet (`IDLE`), so nobody
        // else accesses its `inner` (invariant 1).
        unsafe {
            let inner = &mut *node.inner.get();
            inner.prev = self.list.tail;
            inner.next = None;
            inner.waker = Some(waker.clone());
            inner.value = value;
        }
        match self.list.tail {
            // SAFETY: the tail is a linked node, alive by invariant 2, and we hold the list lock.
            Some(tail) => unsafe { (*tail.as_ref().inner.get()).next = Some(ptr) },
            None => self.list.head = Some(ptr),
        }
        self.list.tail = Some(ptr);
        node.state.store(QUEUED, Release);
    }

    /// The `value` of the first node, if any.
    #[inline]
    pub(crate) fn front_value(&self) -> Option<usize> {
        // SAFETY: the head is a linked node, alive by invariant 2, and we hold the list lock.
        self.list
            .head
            .map(|head| unsafe { (*head.as_ref().inner.get()).value })
    }

    /// Unlinks the first node and grants it. Returns its waker, to wake after the list lock is
    /// released (invariant 3).
    pub(crate) fn pop_front(&mut self) -> Option<Waker> {
        let head = self.list.head?;
        // SAFETY: the head is a linked node, alive by invariant 2, and we hold the list lock.
        let node = unsafe { head.as_ref() };
        // SAFETY: as above.
        let waker = unsafe { self.unlink(node) };
        node.state.store(GRANTED, Release);
        waker
    }

    /// Replaces a `QUEUED` node's waker unless it would wake the same task. Returns `Waiting`, or
    /// `Granted` if the node was granted meanwhile (it becomes `DONE`).
    pub(crate) fn update_waker(&mut self, node: &Node, waker: &Waker) -> Seen {
        if node.state.load(Acquire) != QUEUED {
            return node.poll_state();
        }
        // SAFETY: the node is queued in this list and we hold its lock (invariant 1).
        let inner = unsafe { &mut *node.inner.get() };
        match &inner.waker {
            Some(old) if old.will_wake(waker) => {}
            _ => inner.waker = Some(waker.clone()),
        }
        Seen::Waiting
    }

    /// The owner gives up its node: unlinks it if it is still `QUEUED` (returning `Nothing`), or
    /// returns `Granted` if a notifier granted it and the owner never saw it (the node becomes
    /// `DONE`); the caller must then pass on what the grant carried.
    ///
    /// The caller must be the node's owner, and the node must belong to this list if it was ever
    /// queued.
    pub(crate) fn cancel(&mut self, node: &Node) -> Seen {
        if node.state.load(Acquire) == QUEUED {
            // SAFETY: the node is queued in this list (the caller's contract) and we hold its lock.
            drop(unsafe { self.unlink(node) });
            node.state.store(DONE, Relaxed);
            Seen::Nothing
        } else {
            node.poll_state()
        }
    }

    /// Unlinks `node` and takes its waker.
    ///
    /// # Safety
    ///
    /// `node` must be linked into this list.
    unsafe fn unlink(&mut self, node: &Node) -> Option<Waker> {
        // SAFETY: the node is linked here and we hold the list lock (invariant 1).
        let inner = unsafe { &mut *node.inner.get() };
        match inner.prev {
            // SAFETY: a linked node's neighbours are linked, alive (invariant 2), and locked.
            Some(prev) => unsafe { (*prev.as_ref().inner.get()).next = inner.next },
            None => self.list.head = inner.next,
        }
        match inner.next {
            // SAFETY: as above.
            Some(next) => unsafe { (*next.as_ref().inner.get()).prev = inner.prev },
            None => self.list.tail = inner.prev,
        }
        inner.prev = None;
        inner.next = None;
        inner.waker.take()
    }
}

/// Wakers collected under a list lock, to wake after it is released.
pub(crate) struct WakeList {
    inline: [Option<Waker>; 8],
    len: usize,
    spill: Vec<Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> WakeList {
        WakeList {
            inline: [const { None }; 8],
            len: 0,
            spill: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.len < self.inline.len() {
            self.inline[self.len] = Some(waker);
            self.len += 1;
        } else {
            self.spill.push(waker);
        }
    }

    /// Wakes everything collected. Call with no lock held.
    pub(crate) fn wake_all(self) {
        let WakeList { inline, spill, .. } = self;
        for waker in inline.into_iter().flatten() {
            waker.wake();
        }
        for waker in spill {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::Wake;

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    fn push(w: &Waiters, node: &Node, value: usize, waker: &Waker) {
        // SAFETY: `NodeBox`es, each cancelled or granted before the test drops it.
        unsafe { w.lock().push_back(node, value, waker) }
    }

    #[test]
    fn fifo_order_and_grant() {
        let w = Waiters::new();
        let (count, wk) = waker();
        let nodes: Vec<NodeBox> = (0..3).map(|_| NodeBox::new()).collect();
        for (i, n) in nodes.iter().enumerate() {
            push(&w, n, i, &wk);
            assert_eq!(n.poll_state(), Seen::Waiting);
        }
        for (i, n) in nodes.iter().enumerate() {
            let mut l = w.lock();
            assert_eq!(l.front_value(), Some(i));
            let waker = l.pop_front();
            drop(l);
            waker.unwrap().wake();
            assert_eq!(count.0.load(SeqCst), i + 1);
            assert_eq!(n.poll_state(), Seen::Granted);
            assert_eq!(n.poll_state(), Seen::Nothing, "a grant is seen once");
        }
        assert!(w.lock().is_empty());
        assert!(w.lock().pop_front().is_none());
    }

    #[test]
    fn cancel_unlinks_anywhere() {
        for victim in 0..3 {
            let w = Waiters::new();
            let (_count, wk) = waker();
            let nodes: Vec<NodeBox> = (0..3).map(|_| NodeBox::new()).collect();
            for (i, n) in nodes.iter().enumerate() {
                push(&w, n, i, &wk);
            }
            assert_eq!(w.lock().cancel(&nodes[victim]), Seen::Nothing);
            assert_eq!(
                w.lock().cancel(&nodes[victim]),
                Seen::Nothing,
                "cancel is idempotent"
            );
            let mut seen = Vec::new();
            let mut l = w.lock();
            while let Some(v) = l.front_value() {
                seen.push(v);
                l.pop_front();
            }
            let expected: Vec<usize> = (0..3).filter(|&i| i != victim).collect();
            assert_eq!(seen, expected);
            assert!(l.is_empty());
        }
    }

    #[test]
    fn cancel_after_grant_reports_it() {
        let w = Waiters::new();
        let (_count, wk) = waker();
        let node = NodeBox::new();
        assert_eq!(
            w.lock().cancel(&node),
            Seen::Nothing,
            "an idle node holds nothing"
        );
        push(&w, &node, 7, &wk);
        drop(w.lock().pop_front());
        assert_eq!(w.lock().cancel(&node), Seen::Granted);
        assert_eq!(w.lock().cancel(&node), Seen::Nothing);
    }

    #[test]
    fn update_waker_replaces_and_reports_grant() {
        let w = Waiters::new();
        let (first, wk1) = waker();
        let (second, wk2) = waker();
        let node = NodeBox::new();
        push(&w, &node, 0, &wk1);
        assert_eq!(w.lock().update_waker(&node, &wk2), Seen::Waiting);
        let waker = w.lock().pop_front().unwrap();
        waker.wake();
        assert_eq!((first.0.load(SeqCst), second.0.load(SeqCst)), (0, 1));
        assert_eq!(w.lock().update_waker(&node, &wk2), Seen::Granted);
    }

    #[test]
    fn wake_list_spills() {
        let w = Waiters::new();
        let (count, wk) = waker();
        let nodes: Vec<NodeBox> = (0..20).map(|_| NodeBox::new()).collect();
        for n in &nodes {
            push(&w, n, 5, &wk);
        }
        let mut wakers = WakeList::new();
        let mut l = w.lock();
        while !l.is_empty() {
            wakers.push(l.pop_front());
        }
        drop(l);
        wakers.wake_all();
        assert_eq!(count.0.load(SeqCst), 20);
        assert!(nodes.iter().all(|n| n.poll_state() == Seen::Granted));
    }
}
