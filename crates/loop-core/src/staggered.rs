//! [`staggered_race`]: start attempts one after another; the first success wins.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use crate::timer::Timer;

/// Starts the attempts one at a time: the next after `delay`, or at once when one fails. The
/// first attempt to succeed wins and the others are dropped: `Ok((index, value))`. If all fail:
/// `Err` with their errors in attempt order (asyncio's `staggered_race`, the engine of Happy
/// Eyeballs).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let winner = lp.block_on(loop_core::staggered_race(
///     (0..3).map(|i| move || async move {
///         if i == 0 {
///             std::future::pending::<Result<u32, &str>>().await // hangs
///         } else {
///             Ok(i)
///         }
///     }),
///     Duration::from_millis(1),
/// )).unwrap();
/// assert_eq!(winner, Ok((1, 1)));
/// # std::io::Result::Ok(())
/// ```
pub async fn staggered_race<I, A, F, T, E>(
    attempts: I,
    delay: Duration,
) -> Result<(usize, T), Vec<E>>
where
    I: IntoIterator<Item = A>,
    A: FnOnce() -> F,
    F: Future<Output = Result<T, E>>,
{
    let mut attempts = attempts.into_iter().enumerate();
    let mut running: Vec<(usize, Pin<Box<F>>)> = Vec::new();
    let mut errors: Vec<(usize, E)> = Vec::new();
    let mut next_start = Timer::never();
    let mut start_now = true;
    let mut exhausted = false;
    poll_fn(|cx| {
        loop {
            if start_now && !exhausted {
                start_now = false;
                match attempts.next() {
                    Some((index, attempt)) => {
                        running.push((index, Box::pin(attempt())));
                        next_start = Timer::after(delay);
                    }
                    None => exhausted = true,
                }
            }
            let mut at = 0;
            while at < running.len() {
                match running[at].1.as_mut().poll(cx) {
                    Poll::Ready(Ok(value)) => return Poll::Ready(Ok((running[at].0, value))),
                    Poll::Ready(Err(error)) => {
                        let (index, _) = running.swap_remove(at);
                        errors.push((index, error));
                        start_now = true;
                    }
                    Poll::Pending => at += 1,
                }
            }
            if exhausted && running.is_empty() {
                errors.sort_by_key(|(index, _)| *index);
                return Poll::Ready(Err(errors.drain(..).map(|(_, e)| e).collect()));
            }
            if start_now && !exhausted {
                continue; // a failure starts the next attempt at once
            }
            if !exhausted && Pin::new(&mut next_start).poll(cx).is_ready() {
                start_now = true;
                continue;
            }
            return Poll::Pending;
        }
    })
    .await
}
