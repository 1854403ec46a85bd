//! [`Event`]: asyncio's `Event`, a flag that tasks can wait for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use crate::waiters::{NodeBox, Seen, Waiters, WakeList};

/// A flag that tasks can wait for: asyncio's `Event`.
///
/// [`set`](Event::set) wakes every task waiting at that moment, and each of them returns from
/// [`wait`](Event::wait) even if [`clear`](Event::clear) runs before it is polled again: the
/// wake-up is latched in the waiter, not read back from the flag. Waiters are woken in the order
/// they started waiting.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::Event;
///
/// let ready = Arc::new(Event::new());
/// let r = ready.clone();
/// let t = std::thread::spawn(move || r.wait_blocking());
/// ready.set();
/// t.join().unwrap();
/// assert!(ready.is_set());
/// ```
pub struct Event {
    flag: AtomicBool,
    /// Whether the list may hold waiters; written only under the list lock, so `set` can skip
    /// the lock when nobody waits.
    waiting: AtomicBool,
    waiters: Waiters,
}

impl Event {
    /// Creates an event whose flag is clear.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Event;
    ///
    /// static SHUTDOWN: Event = Event::new();
    /// assert!(!SHUTDOWN.is_set());
    /// ```
    pub const fn new() -> Event {
        Event {
            flag: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            waiters: Waiters::new(),
        }
    }

    /// Sets the flag and wakes every current waiter. Does nothing if the flag is already set.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// assert!(ev.is_set());
    /// ```
    pub fn set(&self) {
        // Only the clear -> set transition wakes anyone. A waiter sets `waiting` and then looks
        // at the flag, under the list lock; we set the flag and then look at `waiting`. All
        // `SeqCst`, so either the waiter sees the flag set, or we see `waiting` and take the lock
        // after its section, finding it in the list.
        if !self.flag.swap(true, SeqCst) && self.waiting.load(SeqCst) {
            self.wake_all();
        }
    }

    /// Takes every waiter out of the list, marked woken, and wakes them after unlocking.
    #[cold]
    fn wake_all(&self) {
        let mut wakers = WakeList::new();
        let mut list = self.waiters.lock();
        while !list.is_empty() {
            wakers.push(list.pop_front());
        }
        self.waiting.store(false, SeqCst);
        drop(list);
        wakers.wake_all();
    }

    /// Clears the flag. Waiters that `set` already woke still return from `wait`.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// ev.clear();
    /// assert!(!ev.is_set());
    /// ```
    pub fn clear(&self) {
        self.flag.store(false, SeqCst);
    }

    /// Whether the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Event;
    ///
    /// assert!(!Event::new().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.flag.load(SeqCst)
    }

    /// Waits until the flag is set; returns at once if it is set already.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes has no effect on the event or on other waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Event;
    ///
    /// # futures_lite::future::block_on(async {
    /// let ev = Event::new();
    /// ev.set();
    /// ev.wait().await;
    /// # });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            node: None,
        }
    }

    /// Blocks the current thread until the flag is set, for plain threads. Calling it from async
    /// code blocks the executor thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Event;
    ///
    /// let ev = Event::new();
    /// ev.set();
    /// ev.wait_blocking();
    /// ```
    pub fn wait_blocking(&self) {
        futures_lite::future::block_on(self.wait());
    }
}

impl Default for Event {
    fn default() -> Event {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish()
    }
}

/// The future returned by [`Event::wait`].
///
/// # Examples
///
/// ```
/// use loop_sync::{Event, EventWait};
///
/// # futures_lite::future::block_on(async {
/// let ev = Event::new();
/// let wait: EventWait<'_> = ev.wait();
/// ev.set();
/// wait.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct EventWait<'a> {
    event: &'a Event,
    /// `Some` while waiting in the event's list.
    node: Option<NodeBox>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let event = this.event;
        if event.is_set() {
            // `Drop` leaves the list if we are still in it.
            return Poll::Ready(());
        }
        match &this.node {
            None => {
                let node = this.node.insert(NodeBox::new());
                let mut list = event.waiters.lock();
                // See `Event::set`: announce, then look at the flag once more before sleeping.
                event.waiting.store(true, SeqCst);
                if event.is_set() {
                    drop(list);
                    this.node = None;
                    return Poll::Ready(());
                }
                // SAFETY: the node is a fresh `NodeBox`, and `Drop` unlinks it before freeing it.
                unsafe { list.push_back(node, 0, cx.waker()) };
                Poll::Pending
            }
            // A wake-up means a `set` happened after we joined the list, even if the flag has
            // been cleared since.
            Some(node) => {
                let granted = node.poll_state() == Seen::Granted
                    || event.waiters.lock().update_waker(node, cx.waker()) == Seen::Granted;
                if !granted {
                    return Poll::Pending;
                }
                this.node = None;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(node) = self
            .node
            .as_ref()
            .filter(|n| n.poll_state() == Seen::Waiting)
        {
            // A wake-up it never used needs no passing on: `set` wakes every waiter anyway.
            let mut list = self.event.waiters.lock();
            list.cancel(node);
            if list.is_empty() {
                self.event.waiting.store(false, SeqCst);
            }
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("event", self.event)
            .finish_non_exhaustive()
    }
}
