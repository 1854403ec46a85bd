//! An `event_listener::Event` that counts its listeners, so that notifying nobody, the common
//! case on a busy queue, costs a fence and a load instead of the event's internal lock.
//!
//! The notifier changes the shared state, fences, and reads the count; a waiter listens, counts
//! itself, fences, and re-checks the state. By the two fences, either the notifier sees the
//! count (and notifies the listener, which is already registered) or the waiter's re-check sees
//! the new state.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicUsize, fence};
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};

pub(crate) struct WaitList {
    event: Event,
    listeners: AtomicUsize,
}

impl WaitList {
    pub(crate) const fn new() -> WaitList {
        WaitList {
            event: Event::new(),
            listeners: AtomicUsize::new(0),
        }
    }

    /// Starts listening. The caller must re-check its condition before waiting on the result.
    pub(crate) fn listen(&self) -> Waiter<'_> {
        let listener = self.event.listen();
        self.listeners.fetch_add(1, SeqCst);
        fence(SeqCst);
        Waiter {
            list: self,
            listener,
        }
    }

    /// Wakes `n` listeners that have not been notified yet. Call after changing the state.
    ///
    /// A notified listener that is dropped before it is polled passes its notification on.
    pub(crate) fn notify_additional(&self, n: usize) {
        fence(SeqCst);
        if self.listeners.load(Relaxed) != 0 {
            self.event.notify_additional(n);
        }
    }

    /// Wakes every listener. Call after changing the state.
    pub(crate) fn notify_all(&self) {
        fence(SeqCst);
        if self.listeners.load(Relaxed) != 0 {
            self.event.notify(usize::MAX);
        }
    }
}

/// A counted listener on a [`WaitList`]; a future that completes when notified.
pub(crate) struct Waiter<'a> {
    list: &'a WaitList,
    listener: EventListener,
}

impl Future for Waiter<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.listener).poll(cx)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.list.listeners.fetch_sub(1, SeqCst);
    }
}
