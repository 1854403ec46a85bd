//! [`as_completed`]: outputs in the order the futures finish.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::Stream;

use crate::children::Children;

/// A stream of the outputs of `futures` in the order they finish (asyncio's `as_completed`).
///
/// All run concurrently while the stream is polled; dropping the stream drops the ones left.
/// For a deadline, wrap each `next()` in [`timeout`](crate::timeout).
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let order: Vec<&str> = lp.block_on(loop_core::as_completed([("b", 20), ("a", 5)].map(
///     |(name, ms)| async move {
///         loop_core::sleep(Duration::from_millis(ms)).await;
///         name
///     },
/// )).collect()).unwrap();
/// assert_eq!(order, ["a", "b"]);
/// # std::io::Result::Ok(())
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    AsCompleted {
        children: Children::new(futures),
    }
}

/// Stream of [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F: Future> {
    children: Children<F>,
}

impl<F: Future> AsCompleted<F> {
    /// How many futures have not finished yet.
    ///
    /// ```
    /// let s = loop_core::as_completed((1..=2).map(|i| async move { i }));
    /// assert_eq!(s.remaining(), 2);
    /// ```
    pub fn remaining(&self) -> usize {
        self.children.running()
    }
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let children = &mut self.get_mut().children;
        if children.running() == 0 {
            return Poll::Ready(None);
        }
        let mut finished = None;
        children.poll_woken(cx, |index, _| {
            finished = Some(index);
            false
        });
        match finished.and_then(|index| children.take_output(index)) {
            Some(output) => Poll::Ready(Some(output)),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.children.running(), Some(self.children.running()))
    }
}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("children", &self.children)
            .finish()
    }
}
