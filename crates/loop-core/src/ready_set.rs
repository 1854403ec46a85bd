//! Per-child wake-ups for combinators over many futures.
//!
//! Each child gets a waker of its own, so a wake-up names the child that can make progress and
//! the combinator polls only that one: O(1) per wake-up instead of re-polling every child. All
//! the children's wakers live in one allocation (a slot per child, each pointing back at the
//! shared state), so a combinator over 10,000 futures allocates once, not 10,000 times.

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

use concurrent_queue::ConcurrentQueue;

struct Slot {
    /// Set while the child's index is in the ready queue, so it is queued at most once.
    queued: AtomicBool,
    index: usize,
    /// The `Inner` this slot belongs to (inside the `Arc` that owns the slot).
    owner: *const Inner,
}

struct Inner {
    slots: Box<[Slot]>,
    ready: ConcurrentQueue<usize>,
    parent: Mutex<Option<Waker>>,
    /// Set once the parent has been woken since it last registered; later wake-ups skip it.
    parent_woken: AtomicBool,
}

// SAFETY: the raw pointers in `slots` point at the `Inner` that holds them, which lives as long
// as any waker made from a slot (each holds a strong count); everything a waker touches
// through them is an atomic, a `Mutex` or a `ConcurrentQueue`, all safe to share across threads.
unsafe impl Send for Inner {}
// SAFETY: as above: shared access only goes through thread-safe types.
unsafe impl Sync for Inner {}

impl Inner {
    fn notify(&self, slot: &Slot) {
        if !slot.queued.swap(true, Ordering::AcqRel) {
            // Capacity is one entry per child and a child is queued at most once.
            let _ = self.ready.push(slot.index);
            if !self.parent_woken.swap(true, Ordering::AcqRel) {
                let parent = self
                    .parent
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                if let Some(parent) = parent {
                    parent.wake();
                }
            }
        }
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety
///
/// `data` must point at a `Slot` of a live `Inner` for which the caller holds a strong count
/// (every waker made here does).
unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: per this function's contract `data` is a live slot and its owner is a live `Arc`.
    unsafe {
        let slot = &*(data as *const Slot);
        Arc::increment_strong_count(slot.owner);
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: a waker's data is a live slot (see `clone`); waking by value then releases the
    // strong count this waker held, after the last use of the slot.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: a waker's data is a live slot whose owner this waker keeps alive.
    unsafe {
        let slot = &*(data as *const Slot);
        (*slot.owner).notify(slot);
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: this waker holds one strong count on the owner, released here; the slot is not
    // touched after the release, which may free it.
    unsafe {
        let owner = (*(data as *const Slot)).owner;
        Arc::decrement_strong_count(owner);
    }
}

/// The shared state of one combinator's children: who is ready, and the parent's waker.
pub(crate) struct ReadySet {
    inner: Arc<Inner>,
}

impl ReadySet {
    /// A set of `len` children, all marked ready so the first poll polls every one.
    pub(crate) fn new(len: usize) -> ReadySet {
        let inner = Arc::new_cyclic(|weak| {
            let owner = weak.as_ptr();
            let slots = (0..len)
                .map(|index| Slot {
                    queued: AtomicBool::new(true),
                    index,
                    owner,
                })
                .collect();
            let ready = ConcurrentQueue::bounded(len.max(1));
            for index in 0..len {
                let _ = ready.push(index);
            }
            Inner {
                slots,
                ready,
                parent: Mutex::new(None),
                parent_woken: AtomicBool::new(false),
            }
        });
        ReadySet { inner }
    }

    /// Records the parent's waker; call before draining with [`pop`](ReadySet::pop), so a child
    /// woken during the drain wakes the parent again.
    pub(crate) fn register(&self, waker: &Waker) {
        {
            let mut parent = self.inner.parent.lock().unwrap_or_else(|e| e.into_inner());
            if !parent.as_ref().is_some_and(|p| p.will_wake(waker)) {
                *parent = Some(waker.clone());
            }
        }
        self.inner.parent_woken.store(false, Ordering::Release);
    }

    /// How many children are queued as woken.
    pub(crate) fn queued(&self) -> usize {
        self.inner.ready.len()
    }

    /// The next child that was woken, if any.
    pub(crate) fn pop(&self) -> Option<usize> {
        let index = self.inner.ready.pop().ok()?;
        self.inner.slots[index]
            .queued
            .store(false, Ordering::Release);
        Some(index)
    }

    /// Runs `f` with a context whose waker is child `index`'s.
    pub(crate) fn with_child_context<R>(
        &self,
        index: usize,
        f: impl FnOnce(&mut Context<'_>) -> R,
    ) -> R {
        let data = &self.inner.slots[index] as *const Slot as *const ();
        // SAFETY: the slot belongs to `self.inner`, alive for this call. The waker is borrowed,
        // not owned: it is never dropped (ManuallyDrop), so it takes no strong count, and any
        // clone a child keeps takes its own count through `clone`.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) });
        f(&mut Context::from_waker(&waker))
    }
}

impl fmt::Debug for ReadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadySet")
            .field("children", &self.inner.slots.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wakes_name_the_child_and_wake_the_parent_once_per_registration() {
        let set = ReadySet::new(3);
        let parent = Arc::new(Count(AtomicUsize::new(0)));
        set.register(&Waker::from(parent.clone()));
        let drained: Vec<_> = std::iter::from_fn(|| set.pop()).collect();
        assert_eq!(drained, [0, 1, 2], "every child starts ready");

        let kept = set.with_child_context(2, |cx| cx.waker().clone());
        let other = set.with_child_context(0, |cx| cx.waker().clone());
        kept.wake_by_ref();
        kept.wake_by_ref(); // already queued: no duplicate
        other.wake();
        assert_eq!(std::iter::from_fn(|| set.pop()).collect::<Vec<_>>(), [2, 0]);
        assert_eq!(
            parent.0.load(Ordering::SeqCst),
            1,
            "one parent wake per registration"
        );
        drop(set);
        kept.wake(); // the shared state outlives the set while a child's waker exists
    }

    #[test]
    fn wakers_work_from_other_threads() {
        let set = ReadySet::new(64);
        let parent = Arc::new(Count(AtomicUsize::new(0)));
        set.register(&Waker::from(parent.clone()));
        while set.pop().is_some() {}
        let wakers: Vec<_> = (0..64)
            .map(|i| set.with_child_context(i, |cx| cx.waker().clone()))
            .collect();
        std::thread::scope(|s| {
            for chunk in wakers.chunks(16) {
                s.spawn(move || chunk.iter().for_each(Waker::wake_by_ref));
            }
        });
        let mut woken: Vec<_> = std::iter::from_fn(|| set.pop()).collect();
        woken.sort();
        assert_eq!(woken, (0..64).collect::<Vec<_>>());
    }
}
