//! The child futures of a fan-in combinator, polled only when woken (see `ready_set`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ready_set::ReadySet;

pub(crate) enum Child<F: Future> {
    Running(F),
    Done(F::Output),
    Gone,
}

/// Futures kept in one heap array that never moves or grows, so each can be polled pinned in
/// place; a child is only ever dropped in place.
pub(crate) struct Children<F: Future> {
    slots: Box<[Child<F>]>,
    set: ReadySet,
    running: usize,
}

impl<F: Future> Children<F> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> Children<F> {
        let slots: Box<[Child<F>]> = futures.into_iter().map(Child::Running).collect();
        let running = slots.len();
        Children {
            set: ReadySet::new(slots.len()),
            slots,
            running,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// How many children have not finished.
    pub(crate) fn running(&self) -> usize {
        self.running
    }

    /// Polls the children woken since the last call. Each one that finishes is handed to
    /// `finished` (as `Done` in its slot); polling stops early when `finished` returns `false`,
    /// leaving the other woken children for the next call.
    pub(crate) fn poll_woken(
        &mut self,
        cx: &mut Context<'_>,
        mut finished: impl FnMut(usize, &mut Child<F>) -> bool,
    ) {
        self.set.register(cx.waker());
        // Only the children woken before this pass: one that wakes itself (a yield) waits for
        // the next pass, so control goes back to the loop, as a task's yield would.
        let woken = self.set.queued();
        for index in std::iter::from_fn(|| self.set.pop()).take(woken) {
            let slot = &mut self.slots[index];
            let Child::Running(future) = slot else {
                continue;
            };
            // SAFETY: the slots live in a boxed slice that is never reallocated, moved out of or
            // replaced while the child runs; a child leaves its slot only by being dropped in
            // place (assignment below or in `cancel`), so it stays pinned where it was polled.
            let future = unsafe { Pin::new_unchecked(future) };
            if let Poll::Ready(output) = self.set.with_child_context(index, |cx| future.poll(cx)) {
                *slot = Child::Done(output);
                self.running -= 1;
                if !finished(index, slot) {
                    return;
                }
            }
        }
    }

    /// Takes a finished child's output.
    pub(crate) fn take_output(&mut self, index: usize) -> Option<F::Output> {
        match std::mem::replace(&mut self.slots[index], Child::Gone) {
            Child::Done(output) => Some(output),
            other => {
                self.slots[index] = other;
                None
            }
        }
    }

    /// Drops every child still running, in place.
    pub(crate) fn cancel(&mut self) {
        for slot in self.slots.iter_mut() {
            if matches!(slot, Child::Running(_)) {
                *slot = Child::Gone;
            }
        }
        self.running = 0;
    }
}

impl<F: Future + Unpin> Children<F> {
    /// Moves out the children still running, with their indices (possible because `F: Unpin`).
    pub(crate) fn take_running(&mut self) -> Vec<(usize, F)> {
        let mut out = Vec::with_capacity(self.running);
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if matches!(slot, Child::Running(_)) {
                if let Child::Running(future) = std::mem::replace(slot, Child::Gone) {
                    out.push((index, future));
                }
            }
        }
        self.running = 0;
        out
    }
}

impl<F: Future> fmt::Debug for Children<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Children")
            .field("len", &self.slots.len())
            .field("running", &self.running)
            .finish()
    }
}
