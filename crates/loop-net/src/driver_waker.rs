//! The waker of a task that drives a transport, shared with the handles that give it work.

use std::cell::{Cell, RefCell};
use std::task::{Context, Waker};

/// Where a driver task's waker is kept between its polls.
pub(crate) struct DriverWaker {
    /// `None` before the driver's first poll and after it finished.
    waker: RefCell<Option<Waker>>,
    /// The driver is being polled and looks at new work before it returns, so a wake-up would
    /// only poll it again for nothing.
    polling: Cell<bool>,
}

impl DriverWaker {
    pub(crate) const fn new() -> DriverWaker {
        DriverWaker {
            waker: RefCell::new(None),
            polling: Cell::new(false),
        }
    }

    /// Wakes the driver unless it is running now.
    pub(crate) fn wake(&self) {
        if !self.polling.get() {
            if let Some(waker) = self.waker.borrow().as_ref() {
                waker.wake_by_ref();
            }
        }
    }

    /// One poll of the driver: keeps `cx`'s waker (no clone when it is the same one) and
    /// silences [`wake`](DriverWaker::wake) while `drive` runs.
    pub(crate) fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        drive: impl FnOnce(&mut Context<'_>) -> T,
    ) -> T {
        {
            let mut slot = self.waker.borrow_mut();
            match slot.as_mut() {
                Some(waker) => waker.clone_from(cx.waker()),
                None => *slot = Some(cx.waker().clone()),
            }
        }
        self.polling.set(true);
        let out = drive(cx);
        self.polling.set(false);
        out
    }

    /// Runs an I/O attempt made outside the driver with a context whose wake-up polls the
    /// driver (a no-op waker before its first poll).
    pub(crate) fn with_context<T>(&self, attempt: impl FnOnce(&mut Context<'_>) -> T) -> T {
        let waker = self.waker.borrow();
        attempt(&mut Context::from_waker(
            waker.as_ref().unwrap_or(Waker::noop()),
        ))
    }

    /// Drops the waker: the driver is done, and holding it would keep the task's allocation
    /// alive.
    pub(crate) fn forget(&self) {
        drop(self.waker.borrow_mut().take());
    }
}
