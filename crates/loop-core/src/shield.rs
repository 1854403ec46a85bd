//! [`shield`]: work that outlives the cancellation of whoever awaits it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::JoinError;
use crate::task::Task;

/// Runs `future` as a task of its own, so that dropping the returned handle (cancelling the
/// awaiter) does not cancel the work: it runs on to completion, unobserved (asyncio's `shield`).
///
/// # Panics
///
/// Outside a running event loop.
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
///
/// let lp = loop_core::EventLoop::new()?;
/// let saved = Rc::new(Cell::new(false));
/// let flag = saved.clone();
/// lp.block_on(async move {
///     let save = loop_core::shield(async move {
///         loop_core::sleep(Duration::from_millis(2)).await;
///         flag.set(true);
///     });
///     // The awaiter gives up first: the shielded work is not cancelled.
///     let _ = loop_core::timeout(Duration::ZERO, save).await;
///     loop_core::sleep(Duration::from_millis(10)).await;
/// }).unwrap();
/// assert!(saved.get());
/// # std::io::Result::Ok(())
/// ```
pub fn shield<F>(future: F) -> Shielded<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Shielded {
        task: Some(crate::spawn_local(future)),
    }
}

/// Future of [`shield`]: the shielded task's result. Dropping it detaches the task.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Shielded<T> {
    task: Option<Task<T>>,
}

impl<T> Future for Shielded<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self
            .task
            .as_mut()
            .expect("Shielded polled after completion");
        let out = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Shielded<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Shielded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shielded")
            .field("task", &self.task)
            .finish()
    }
}
