//! An `event_listener::Event` that counts the listeners not yet notified, so that notifying when
//! every listener already has its notification, the common case on a busy queue, costs a fence
//! and a load instead of the event's internal lock.
//!
//! The count goes up when a waiter starts listening, and down by exactly one per listener: by
//! the notifier for each listener its notification reached (`notify_additional` returns how
//! many), or by a waiter dropped before it was notified. A waiter dropped with a notification
//! it never used passes it on, and the notifier of that pass counts it in turn. (The count can
//! dip below zero for an instant when a notification lands between `listen` and the increment;
//! the arithmetic wraps and the increment restores it.)
//!
//! The notifier changes the shared state, fences, and reads the count; a waiter listens, counts
//! itself, fences, and re-checks the state. By the two fences, either the notifier sees the
//! count (and notifies the listener, which is already registered) or the waiter's re-check sees
//! the new state.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicUsize, fence};
use std::task::{Context, Poll, ready};

use event_listener::{Event, EventListener, Listener};

pub(crate) struct WaitList {
    event: Event,
    unnotified: AtomicUsize,
}

impl WaitList {
    pub(crate) const fn new() -> WaitList {
        WaitList {
            event: Event::new(),
            unnotified: AtomicUsize::new(0),
        }
    }

    /// Starts listening. The caller must re-check its condition before waiting on the result.
    pub(crate) fn listen(&self) -> Waiter<'_> {
        let listener = self.event.listen();
        self.unnotified.fetch_add(1, SeqCst);
        fence(SeqCst);
        Waiter {
            list: self,
            listener: Some(listener),
        }
    }

    /// Wakes `n` listeners that have not been notified yet. Call after changing the state.
    pub(crate) fn notify_additional(&self, n: usize) {
        fence(SeqCst);
        if self.unnotified.load(Relaxed) != 0 {
            let reached = self.event.notify_additional(n);
            if reached != 0 {
                self.unnotified.fetch_sub(reached, SeqCst);
            }
        }
    }

    /// Wakes every listener not yet notified. Call after changing the state.
    pub(crate) fn notify_all(&self) {
        self.notify_additional(usize::MAX);
    }
}

/// A counted listener on a [`WaitList`]; a future that completes when notified.
pub(crate) struct Waiter<'a> {
    list: &'a WaitList,
    /// `None` once it completed, using the notification its notifier already counted.
    listener: Option<EventListener>,
}

impl Future for Waiter<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let listener = self
            .listener
            .as_mut()
            .expect("Waiter polled after completion");
        ready!(Pin::new(listener).poll(cx));
        self.listener = None;
        Poll::Ready(())
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            if listener.discard() {
                // Notified but never used: hand the notification on (its notifier counts it).
                self.list.notify_additional(1);
            } else {
                self.list.unnotified.fetch_sub(1, SeqCst);
            }
        }
    }
}
