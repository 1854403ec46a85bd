//! [`race`]: the first future to finish wins and the rest are dropped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::children::Children;

/// Runs `futures` concurrently until one finishes; gives its index and output and drops the
/// others (asyncio's `wait(FIRST_COMPLETED)` followed by cancelling the rest).
///
/// # Panics
///
/// If `futures` is empty: nothing could ever win.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let (index, name) = lp.block_on(loop_core::race([
///     Box::pin(async { loop_core::sleep(Duration::from_secs(60)).await; "slow" })
///         as std::pin::Pin<Box<dyn std::future::Future<Output = &str>>>,
///     Box::pin(async { "fast" }),
/// ])).unwrap();
/// assert_eq!((index, name), (1, "fast"));
/// # std::io::Result::Ok(())
/// ```
#[doc(alias = "select")]
pub fn race<I>(futures: I) -> Race<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let children = Children::new(futures);
    assert!(children.len() > 0, "race needs at least one future");
    Race { children }
}

/// Future of [`race`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Race<F: Future> {
    children: Children<F>,
}

impl<F: Future> Future for Race<F> {
    type Output = (usize, F::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let children = &mut self.get_mut().children;
        let mut winner = None;
        children.poll_woken(cx, |index, _| {
            winner = Some(index);
            false
        });
        match winner.and_then(|index| Some((index, children.take_output(index)?))) {
            Some(won) => {
                children.cancel();
                Poll::Ready(won)
            }
            None => Poll::Pending,
        }
    }
}

impl<F: Future> fmt::Debug for Race<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race")
            .field("children", &self.children)
            .finish()
    }
}
