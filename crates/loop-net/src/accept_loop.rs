//! The resilient part of an accept loop, shared by the TCP and Unix listeners' `incoming`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use loop_core::Timer;

use crate::sys;

/// Skips per-connection accept errors and waits out resource exhaustion: 10 ms, doubling to
/// 1 s, back to 10 ms after a success. Asyncio waits a fixed second; starting small resumes
/// sooner once descriptors free up, doubling keeps a long shortage from costing a wake-up per
/// 10 ms.
#[derive(Debug)]
pub(crate) struct AcceptLoop {
    backoff: Option<Timer>,
    delay: Duration,
}

impl AcceptLoop {
    const FIRST_DELAY: Duration = Duration::from_millis(10);
    const MAX_DELAY: Duration = Duration::from_secs(1);

    pub(crate) fn new() -> AcceptLoop {
        AcceptLoop {
            backoff: None,
            delay: AcceptLoop::FIRST_DELAY,
        }
    }

    pub(crate) fn is_backing_off(&self) -> bool {
        self.backoff.is_some()
    }

    pub(crate) fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut accept: impl FnMut(&mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        loop {
            if let Some(timer) = &mut self.backoff {
                ready!(Pin::new(timer).poll(cx));
                self.backoff = None;
            }
            match ready!(accept(cx)) {
                Ok(conn) => {
                    self.delay = AcceptLoop::FIRST_DELAY;
                    return Poll::Ready(Ok(conn));
                }
                Err(e) if sys::is_connection_error(&e) => continue,
                Err(e) if sys::is_resource_error(&e) => {
                    self.backoff = Some(Timer::after(self.delay));
                    self.delay = (self.delay * 2).min(AcceptLoop::MAX_DELAY);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn os(code: i32) -> io::Result<u32> {
        Err(io::Error::from_raw_os_error(code))
    }

    /// Polls `accept_loop` over a scripted accept that answers Pending once the script is done.
    fn poll_script(
        accept_loop: &mut AcceptLoop,
        cx: &mut Context<'_>,
        script: &mut VecDeque<io::Result<u32>>,
    ) -> Poll<io::Result<u32>> {
        accept_loop.poll(cx, |_| {
            script.pop_front().map_or(Poll::Pending, Poll::Ready)
        })
    }

    #[test]
    fn aborted_connections_are_skipped_at_once() {
        let mut script: VecDeque<_> = [
            os(libc::ECONNABORTED),
            os(libc::EPROTO),
            os(libc::ECONNRESET),
            Ok(7),
        ]
        .into();
        let mut accept_loop = AcceptLoop::new();
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let got = poll_script(&mut accept_loop, &mut cx, &mut script);
        assert!(matches!(got, Poll::Ready(Ok(7))));
    }

    #[test]
    fn exhaustion_waits_then_retries_and_other_errors_surface() {
        let lp = loop_core::EventLoop::new().unwrap();
        lp.block_on(async {
            let mut script: VecDeque<_> = [os(libc::EMFILE), os(libc::ENFILE), Ok(1)].into();
            let mut accept_loop = AcceptLoop::new();
            let mut first = true;
            let got = std::future::poll_fn(|cx| {
                let p = poll_script(&mut accept_loop, cx, &mut script);
                if first {
                    first = false;
                    assert!(p.is_pending(), "EMFILE must wait, not retry at once");
                    assert!(accept_loop.is_backing_off());
                }
                p
            })
            .await;
            assert_eq!(got.unwrap(), 1);
            assert_eq!(
                accept_loop.delay,
                AcceptLoop::FIRST_DELAY,
                "reset after a success"
            );

            let mut script: VecDeque<_> = [os(libc::EINVAL)].into();
            let err = std::future::poll_fn(|cx| poll_script(&mut accept_loop, cx, &mut script))
                .await
                .unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        })
        .unwrap();
    }
}
