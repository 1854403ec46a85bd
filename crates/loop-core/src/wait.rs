//! [`wait`]: asyncio's `wait`, returning what finished and what is still running.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::children::Children;
use crate::timer::Timer;

/// When [`wait`] returns.
///
/// ```
/// assert_ne!(loop_core::ReturnWhen::FirstCompleted, loop_core::ReturnWhen::AllCompleted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any future finishes (every future that finished in the same loop turn is
    /// reported).
    FirstCompleted,
    /// As soon as any future finishes with `Err`, or when all have finished. A
    /// [`Task`](crate::Task) gives `Err` only when it panicked or was cancelled; for a task whose
    /// value is itself a `Result`, wait on `async move { task.await.map_err(..)? }` so that its
    /// errors count too.
    FirstError,
    /// When all have finished.
    AllCompleted,
}

/// What [`wait`] saw: the futures that finished, with their outputs, and those still running,
/// handed back untouched. Both keep the futures' positions in the input.
#[derive(Debug)]
pub struct WaitOutcome<F: Future> {
    /// Finished futures, in the order they finished: `(index, output)`.
    pub done: Vec<(usize, F::Output)>,
    /// Futures still running: `(index, future)`. Nothing was cancelled.
    pub pending: Vec<(usize, F)>,
}

/// Runs `futures` until `return_when` is satisfied or `timeout` passes, then hands back both
/// the finished outputs and the unfinished futures (asyncio's `wait`: it never cancels, and a
/// timeout is not an error). The futures are typically [`Task`](crate::Task)s, whose outputs
/// are `Result`s; an empty input returns at once.
///
/// # Examples
///
/// ```
/// use loop_core::{ReturnWhen, wait};
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// lp.block_on(async {
///     let fast = lp.spawn_local(async { Ok::<_, ()>("fast") });
///     let slow = lp.spawn_local(async {
///         loop_core::sleep(Duration::from_secs(60)).await;
///         Ok::<_, ()>("slow")
///     });
///     let outcome = wait([fast, slow], ReturnWhen::FirstCompleted, None).await;
///     assert_eq!(outcome.done.len(), 1);
///     assert_eq!(outcome.done[0].0, 0);
///     assert_eq!(outcome.pending.len(), 1); // still running, ours to await or drop
/// }).unwrap();
/// # std::io::Result::Ok(())
/// ```
pub fn wait<I, F, T, E>(futures: I, return_when: ReturnWhen, timeout: Option<Duration>) -> Wait<F>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Unpin,
{
    Wait {
        children: Children::new(futures),
        done: Vec::new(),
        return_when,
        timer: timeout.map(Timer::after),
    }
}

/// Future of [`wait`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<F: Future> {
    children: Children<F>,
    done: Vec<(usize, F::Output)>,
    return_when: ReturnWhen,
    timer: Option<Timer>,
}

// Nothing in a `Wait` is pinned structurally: the children live in their own heap array (see
// `Children`), and the finished outputs are plain values.
impl<F: Future> Unpin for Wait<F> {}

impl<F, T, E> Future for Wait<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    type Output = WaitOutcome<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WaitOutcome<F>> {
        let this = self.get_mut();
        let mut finished = Vec::new();
        this.children.poll_woken(cx, |index, _| {
            finished.push(index);
            true
        });
        for index in finished {
            if let Some(output) = this.children.take_output(index) {
                this.done.push((index, output));
            }
        }
        let satisfied = this.children.running() == 0
            || match this.return_when {
                ReturnWhen::FirstCompleted => !this.done.is_empty(),
                ReturnWhen::FirstError => this.done.iter().any(|(_, out)| out.is_err()),
                ReturnWhen::AllCompleted => false,
            };
        let timed_out = this
            .timer
            .as_mut()
            .is_some_and(|t| Pin::new(t).poll(cx).is_ready());
        if satisfied || timed_out {
            Poll::Ready(WaitOutcome {
                done: std::mem::take(&mut this.done),
                pending: this.children.take_running(),
            })
        } else {
            Poll::Pending
        }
    }
}

impl<F: Future> fmt::Debug for Wait<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("children", &self.children)
            .field("return_when", &self.return_when)
            .finish()
    }
}
