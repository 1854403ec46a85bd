//! The state and logic shared by [`Queue`](crate::Queue), [`LifoQueue`](crate::LifoQueue) and
//! [`PriorityQueue`](crate::PriorityQueue).
//!
//! Getters, putters and joiners wait on three [`WaitList`]s. A put notifies one getter, a get
//! one putter, so a pending operation is woken once per item or free slot; a woken operation
//! that finds its item taken (by a `try_get`, say) waits again, and one that is dropped while
//! notified passes the notification to the next waiter. Items themselves only move in the poll
//! that completes an operation, so no item is ever held by a future.

use std::future::Future;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use concurrent_queue::{PopError, PushError};

use super::error::{GetError, PutError, TaskDoneError, TryGetError, TryPutError};
use super::store::Store;
use crate::wait_list::{WaitList, Waiter};

pub(super) struct Inner<T> {
    store: Store<T>,
    maxsize: usize,
    /// Items put and not yet marked done with `task_done`.
    unfinished: AtomicUsize,
    getters: WaitList,
    putters: WaitList,
    joiners: WaitList,
}

impl<T> Inner<T> {
    pub(super) fn new(store: Store<T>, maxsize: usize) -> Inner<T> {
        Inner {
            store,
            maxsize,
            unfinished: AtomicUsize::new(0),
            getters: WaitList::new(),
            putters: WaitList::new(),
            joiners: WaitList::new(),
        }
    }

    pub(super) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(super) fn len(&self) -> usize {
        self.store.len()
    }

    pub(super) fn is_full(&self) -> bool {
        self.maxsize != 0 && self.store.len() >= self.maxsize
    }

    pub(super) fn is_shut_down(&self) -> bool {
        self.store.is_closed()
    }

    pub(super) fn unfinished(&self) -> usize {
        self.unfinished.load(SeqCst)
    }

    pub(super) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        // Count the item before it becomes visible, so a getter's `task_done` always finds it.
        self.unfinished.fetch_add(1, SeqCst);
        match self.store.push(item) {
            Ok(()) => {
                self.getters.notify_additional(1);
                Ok(())
            }
            Err(err) => {
                self.uncount(1);
                Err(match err {
                    PushError::Full(item) => TryPutError::Full(item),
                    PushError::Closed(item) => TryPutError::ShutDown(item),
                })
            }
        }
    }

    pub(super) fn try_get(&self) -> Result<T, TryGetError> {
        match self.store.pop() {
            Ok(item) => {
                if self.maxsize != 0 {
                    self.putters.notify_additional(1);
                }
                Ok(item)
            }
            Err(PopError::Empty) => Err(TryGetError::Empty),
            Err(PopError::Closed) => Err(TryGetError::ShutDown),
        }
    }

    /// One step of an awaiting put: `item` is `Some` until it has been added or handed back.
    pub(super) fn poll_put<'a>(
        &'a self,
        item: &mut Option<T>,
        waiter: &mut Option<Waiter<'a>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), PutError<T>>> {
        loop {
            let value = item.take().expect("`Put` polled after it completed");
            match self.try_put(value) {
                Ok(()) => {
                    *waiter = None;
                    return Poll::Ready(Ok(()));
                }
                Err(TryPutError::ShutDown(value)) => {
                    *waiter = None;
                    return Poll::Ready(Err(PutError(value)));
                }
                Err(TryPutError::Full(value)) => *item = Some(value),
            }
            if !wait(&self.putters, waiter, cx) {
                return Poll::Pending;
            }
        }
    }

    /// One step of an awaiting get.
    pub(super) fn poll_get<'a>(
        &'a self,
        waiter: &mut Option<Waiter<'a>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, GetError>> {
        loop {
            match self.try_get() {
                Ok(item) => {
                    *waiter = None;
                    return Poll::Ready(Ok(item));
                }
                Err(TryGetError::ShutDown) => {
                    *waiter = None;
                    return Poll::Ready(Err(GetError(())));
                }
                Err(TryGetError::Empty) => {}
            }
            if !wait(&self.getters, waiter, cx) {
                return Poll::Pending;
            }
        }
    }

    /// One step of `join`.
    pub(super) fn poll_join<'a>(
        &'a self,
        waiter: &mut Option<Waiter<'a>>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        loop {
            if self.unfinished.load(SeqCst) == 0 {
                *waiter = None;
                return Poll::Ready(());
            }
            if !wait(&self.joiners, waiter, cx) {
                return Poll::Pending;
            }
        }
    }

    pub(super) fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut count = self.unfinished.load(SeqCst);
        loop {
            if count == 0 {
                return Err(TaskDoneError(()));
            }
            match self
                .unfinished
                .compare_exchange_weak(count, count - 1, SeqCst, SeqCst)
            {
                Ok(_) => break,
                Err(now) => count = now,
            }
        }
        if count == 1 {
            self.joiners.notify_all();
        }
        Ok(())
    }

    /// Takes `n` off the unfinished count, stopping at zero, and releases `join` at zero.
    fn uncount(&self, n: usize) {
        let before = self
            .unfinished
            .fetch_update(SeqCst, SeqCst, |count| Some(count.saturating_sub(n)))
            .unwrap_or_else(|count| count);
        if before != 0 && before <= n {
            self.joiners.notify_all();
        }
    }

    /// asyncio 3.13's `shutdown(immediate)`: refuse new items; with `immediate`, also drop the
    /// queued ones and take them off the unfinished count. Every waiting getter and putter wakes
    /// to see the new state.
    pub(super) fn shutdown(&self, immediate: bool) {
        self.store.close();
        if immediate {
            let dropped = self.store.drain();
            self.uncount(dropped.len());
            drop(dropped);
        }
        self.getters.notify_all();
        self.putters.notify_all();
    }
}

/// The waiting half of every poll loop: start listening (and return `true` so the caller
/// re-checks before sleeping), or wait for the notification (`true` once it arrived, `false`
/// while pending).
fn wait<'a>(list: &'a WaitList, waiter: &mut Option<Waiter<'a>>, cx: &mut Context<'_>) -> bool {
    match waiter {
        None => {
            *waiter = Some(list.listen());
            true
        }
        Some(w) => match std::pin::Pin::new(w).poll(cx) {
            Poll::Ready(()) => {
                *waiter = None;
                true
            }
            Poll::Pending => false,
        },
    }
}
