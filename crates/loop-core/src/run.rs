//! [`run`]: asyncio's `run`.

use std::future::Future;

use crate::context;
use crate::error::RunError;
use crate::event_loop::EventLoop;

/// Runs `main` on a new loop, then cancels whatever tasks are left and closes the loop
/// (asyncio's `asyncio.run`).
///
/// # Errors
///
/// [`RunError::Running`] when called on a thread that already runs a loop, and
/// [`RunError::Io`] when the poller cannot be created.
///
/// ```
/// use std::time::Duration;
///
/// let answer = loop_core::run(async {
///     let lp = loop_core::get_running_loop().unwrap();
///     // Left running when main returns: cancelled by `run`.
///     lp.spawn(loop_core::sleep(Duration::from_secs(3600))).detach();
///     42
/// }).unwrap();
/// assert_eq!(answer, 42);
/// ```
pub fn run<F: Future>(main: F) -> Result<F::Output, RunError> {
    if context::is_entered() {
        return Err(RunError::Running);
    }
    let lp = EventLoop::new().map_err(RunError::Io)?;
    let out = lp.block_on(main)?;
    lp.close()?;
    Ok(out)
}
