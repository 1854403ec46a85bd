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
