//! Offloading blocking work to a thread pool (the `blocking` crate's pool).

/// Runs `work` on a pool thread and returns a future of its result (asyncio's
/// `run_in_executor` / `to_thread`).
///
/// The pool grows on demand (up to 500 threads by default; set `BLOCKING_MAX_THREADS` to
/// change it) and idle threads exit. Dropping the future before the work starts cancels it;
/// once started, the work runs to completion and its result is dropped. A panic in `work`
/// resumes in the task that awaits the future.
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// let loop_thread = std::thread::current().id();
/// let (sum, worker) = lp.block_on(loop_core::unblock(move || {
///     ((1..=10).sum::<u32>(), std::thread::current().id())
/// })).unwrap();
/// assert_eq!(sum, 55);
/// assert_ne!(worker, loop_thread);
/// # std::io::Result::Ok(())
/// ```
#[doc(alias = "run_in_executor")]
#[doc(alias = "to_thread")]
pub fn unblock<T, F>(work: F) -> blocking::Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    blocking::unblock(work)
}
