//! [`join_all`] and [`try_join_all`]: asyncio's `gather`, without and with fail-fast.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::children::{Child, Children};

/// Runs all `futures` concurrently and gives their outputs in the order given (asyncio's
/// `gather(..., return_exceptions=True)`: every result is collected, errors included).
///
/// A child is polled only when it has been woken, so joining many futures stays cheap.
/// Dropping the `JoinAll` drops the children that have not finished.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let out = lp.block_on(loop_core::join_all((1..=3u64).map(|i| async move {
///     loop_core::sleep(Duration::from_millis(4 - i)).await; // the last finishes first
///     i * 10
/// }))).unwrap();
/// assert_eq!(out, [10, 20, 30]);
/// # std::io::Result::Ok(())
/// ```
#[doc(alias = "gather")]
pub fn join_all<I>(futures: I) -> JoinAll<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    JoinAll {
        children: Children::new(futures),
    }
}

/// Future of [`join_all`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinAll<F: Future> {
    children: Children<F>,
}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let children = &mut self.get_mut().children;
        children.poll_woken(cx, |_, _| true);
        if children.running() > 0 {
            return Poll::Pending;
        }
        Poll::Ready(
            (0..children.len())
                .filter_map(|i| children.take_output(i))
                .collect(),
        )
    }
}

impl<F: Future> fmt::Debug for JoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("children", &self.children)
            .finish()
    }
}

/// Runs all `futures` concurrently: their values in the order given, or the first error, at
/// which point the others are dropped (asyncio's `gather` fail-fast, Rust-style: the rest are
/// cancelled rather than left running).
///
/// # Examples
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// let ok = lp.block_on(loop_core::try_join_all([
///     Box::pin(async { Ok::<_, &str>(1) }) as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>,
///     Box::pin(async { Ok(2) }),
/// ])).unwrap();
/// assert_eq!(ok, Ok(vec![1, 2]));
///
/// let failed = lp.block_on(loop_core::try_join_all((0..3).map(|i| async move {
///     if i == 1 { Err("boom") } else { Ok(i) }
/// }))).unwrap();
/// assert_eq!(failed, Err("boom"));
/// # std::io::Result::Ok(())
/// ```
pub fn try_join_all<I, T, E>(futures: I) -> TryJoinAll<I::Item>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
{
    TryJoinAll {
        children: Children::new(futures),
    }
}

/// Future of [`try_join_all`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryJoinAll<F: Future> {
    children: Children<F>,
}

impl<F, T, E> Future for TryJoinAll<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let children = &mut self.get_mut().children;
        let mut failed = None;
        children.poll_woken(cx, |index, slot| {
            let ok = !matches!(slot, Child::Done(Err(_)));
            if !ok {
                failed = Some(index);
            }
            ok
        });
        if let Some(Err(error)) = failed.and_then(|index| children.take_output(index)) {
            children.cancel();
            return Poll::Ready(Err(error));
        }
        if children.running() > 0 {
            return Poll::Pending;
        }
        let values = (0..children.len()).filter_map(|i| children.take_output(i));
        Poll::Ready(values.collect())
    }
}

impl<F: Future> fmt::Debug for TryJoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryJoinAll")
            .field("children", &self.children)
            .finish()
    }
}
