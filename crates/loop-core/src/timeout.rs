//! [`timeout`] and [`timeout_at`]: a deadline for any future.

use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::timer::Timer;

/// The deadline of a [`timeout`] passed first.
///
/// ```
/// let err = loop_core::Elapsed;
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(e: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, e)
    }
}

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] once the time is up, at which
/// point the future is dropped (asyncio's `wait_for` / `timeout`).
///
/// The future is polled before the deadline is checked, so a future that is ready at once
/// always succeeds. The clock starts at the first poll that finds the future pending: a timeout
/// around a future that is ready at once reads no clock and sets no timer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// lp.block_on(async {
///     let slow = loop_core::sleep(Duration::from_secs(60));
///     assert!(loop_core::timeout(Duration::from_millis(5), slow).await.is_err());
///     assert_eq!(loop_core::timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
/// }).unwrap();
/// # std::io::Result::Ok(())
/// ```
#[doc(alias = "wait_for")]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        deadline: Deadline::After(duration),
    }
}

/// Like [`timeout`], with an absolute deadline.
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let deadline = lp.time() + Duration::from_millis(5);
/// let out = lp.block_on(loop_core::timeout_at(deadline, std::future::pending::<()>())).unwrap();
/// assert_eq!(out, Err(loop_core::Elapsed));
/// # std::io::Result::Ok(())
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        deadline: Deadline::At(deadline),
    }
}

pin_project! {
    /// Future of [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        deadline: Deadline,
    }
}

/// A timeout's deadline. The timer is made only once the future is found pending, so a timeout
/// around ready work creates, registers and drops nothing.
enum Deadline {
    /// Relative, not started yet: it starts when the future is first pending.
    After(Duration),
    At(Instant),
    Armed(Timer),
    Never,
}

impl<F> Timeout<F> {
    /// The deadline: `None` if it was removed, or if a [`timeout`] has not been polled yet (its
    /// clock starts at the first poll that finds the future pending).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let at = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(loop_core::timeout_at(at, async {}).deadline(), Some(at));
    /// assert_eq!(loop_core::timeout(Duration::from_secs(1), async {}).deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match &self.deadline {
            Deadline::At(at) => Some(*at),
            Deadline::Armed(timer) => timer.deadline(),
            Deadline::After(_) | Deadline::Never => None,
        }
    }

    /// Moves the deadline, or removes it with `None` (asyncio's `Timeout.reschedule`).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let out = lp.block_on(async {
    ///     let mut t = std::pin::pin!(loop_core::timeout(Duration::ZERO, async {
    ///         loop_core::sleep(Duration::from_millis(2)).await;
    ///         "finished"
    ///     }));
    ///     t.as_mut().reschedule(None); // no deadline any more
    ///     t.await
    /// }).unwrap();
    /// assert_eq!(out, Ok("finished"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reschedule(self: Pin<&mut Self>, deadline: Option<Instant>) {
        *self.project().deadline = match deadline {
            Some(at) => Deadline::At(at),
            None => Deadline::Never,
        };
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let arm = match this.deadline {
            Deadline::After(duration) => Some(Timer::after(*duration)),
            Deadline::At(at) => Some(Timer::at(*at)),
            Deadline::Armed(_) | Deadline::Never => None,
        };
        if let Some(timer) = arm {
            *this.deadline = Deadline::Armed(timer);
        }
        match this.deadline {
            Deadline::Armed(timer) => Pin::new(timer).poll(cx).map(|_| Err(Elapsed)),
            _ => Poll::Pending, // no deadline
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline())
            .finish()
    }
}
