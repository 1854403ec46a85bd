//! [`Event`]: asyncio's `Event`, a flag that tasks can wait for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll};

use event_listener::EventListener;

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
    waiters: event_listener::Event,
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
            waiters: event_listener::Event::new(),
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
        // Only the clear -> set transition wakes anyone: a waiter that saw the flag clear started
        // listening before it looked, so the transition after its look reaches it.
        if !self.flag.swap(true, SeqCst) {
            self.waiters.notify(usize::MAX);
        }
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
            listener: None,
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
    listener: Option<EventListener>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            if this.event.is_set() {
                this.listener = None;
                return Poll::Ready(());
            }
            match &mut this.listener {
                // Listen, then look at the flag once more before sleeping.
                None => this.listener = Some(this.event.waiters.listen()),
                Some(listener) => {
                    // A notification means a `set` happened after we started listening, even if
                    // the flag has been cleared since.
                    return match Pin::new(listener).poll(cx) {
                        Poll::Ready(()) => {
                            this.listener = None;
                            Poll::Ready(())
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
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
