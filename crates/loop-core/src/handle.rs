//! The thread-safe half of a loop: the queue other threads push into, the poller they notify,
//! and [`LoopHandle`], the `Send + Clone` way to reach a loop from anywhere.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, ThreadId};

use async_task::Runnable;
use concurrent_queue::ConcurrentQueue;

use crate::context;
use crate::error::Closed;
use crate::exception::{ExceptionContext, default_exception_handler};
use crate::poller::Poller;
use crate::promise::Promise;
use crate::task::{Task, TaskInfo, spawn_send};

/// Work handed to a loop from another thread.
pub(crate) enum Remote {
    Task(Runnable<TaskInfo>),
    Call(Box<dyn FnOnce() + Send>),
}

// Aligned so that the `Arc`'s reference counts, which spawning threads and the loop both
// write as tasks come and go, sit on a cache line apart from the fields below.
#[repr(align(128))]
pub(crate) struct Shared {
    /// Unique per loop for the life of the process (addresses can be reused; this cannot).
    pub(crate) id: u64,
    pub(crate) owner: ThreadId,
    pub(crate) poller: Box<dyn Poller>,
    remote: ConcurrentQueue<Remote>,
    /// Set while the loop blocks in `Poller::wait`; only then does a remote push pay for a
    /// `notify` syscall. On a cache line of its own: the loop writes it around every wait.
    pub(crate) sleeping: CacheLine<AtomicBool>,
    pub(crate) stop_requested: AtomicBool,
    pub(crate) closed: AtomicBool,
    /// Ids handed out so far; with the loop's count of finished tasks, gives the live count.
    /// On a cache line of its own: spawning threads write it.
    pub(crate) next_task_id: CacheLine<AtomicU64>,
}

/// Keeps a field that one thread writes off the cache lines other threads use.
#[repr(align(128))]
pub(crate) struct CacheLine<T>(pub(crate) T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

impl Shared {
    pub(crate) fn new(poller: Box<dyn Poller>) -> Shared {
        Shared {
            id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
            owner: thread::current().id(),
            poller,
            remote: ConcurrentQueue::unbounded(),
            sleeping: CacheLine(AtomicBool::new(false)),
            stop_requested: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            next_task_id: CacheLine(AtomicU64::new(0)),
        }
    }

    /// Wakes the loop if it is blocked in its poller, after work was queued for it.
    ///
    /// A Dekker handshake with the loop's `poll_io`, all in `SeqCst`: the loop stores `sleeping`
    /// and then reads the remote queue and the flags; we change the queue or a flag (the queue's
    /// push is a `SeqCst` compare-exchange, its `is_empty` two `SeqCst` loads) and then read
    /// `sleeping`. Either the loop sees the work before it blocks, or we see it sleeping.
    pub(crate) fn wake_loop(&self) {
        if self.sleeping.load(Ordering::SeqCst) {
            let _ = self.poller.notify();
        }
    }

    pub(crate) fn push(&self, item: Remote) -> Result<(), Remote> {
        self.remote.push(item).map_err(|e| e.into_inner())?;
        self.wake_loop();
        Ok(())
    }

    pub(crate) fn push_task(&self, runnable: Runnable<TaskInfo>, local: bool) {
        if let Err(Remote::Task(runnable)) = self.push(Remote::Task(runnable)) {
            // The loop is closed. Dropping the runnable cancels the task, but a local task's
            // future may only be dropped on the thread that spawned it.
            if local && thread::current().id() != self.owner {
                std::mem::forget(runnable);
            }
        }
    }

    pub(crate) fn pop(&self) -> Option<Remote> {
        // `pop` on an empty queue issues a full fence; the emptiness check is two plain loads.
        if self.remote.is_empty() {
            None
        } else {
            self.remote.pop().ok()
        }
    }

    pub(crate) fn has_queued(&self) -> bool {
        !self.remote.is_empty()
    }

    pub(crate) fn has_remote_work(&self) -> bool {
        !self.remote.is_empty() || self.stop_requested.load(Ordering::SeqCst)
    }

    pub(crate) fn close_queue(&self) {
        self.remote.close();
    }

    /// Sends a report to the loop's exception handler, on the loop's thread.
    pub(crate) fn report(self: &Arc<Self>, ctx: ExceptionContext) {
        let local = context::with_core(|core| match core {
            Some(core) if core.id == self.id => {
                core.report(ctx);
                None
            }
            _ => Some(ctx),
        });
        if let Some(ctx) = local {
            let id = self.id;
            let fallback = ctx.clone();
            let call = Box::new(move || {
                context::with_core(|core| match core {
                    Some(core) if core.id == id => core.report(ctx),
                    _ => default_exception_handler(&ctx),
                })
            });
            if self.push(Remote::Call(call)).is_err() {
                default_exception_handler(&fallback);
            }
        }
    }
}

/// A `Send + Sync + Clone` handle to a loop, for other threads.
///
/// # Examples
///
/// ```
/// use loop_core::EventLoop;
///
/// let lp = EventLoop::new()?;
/// let handle = lp.handle();
/// let worker = std::thread::spawn(move || {
///     let task = handle.spawn(async { 2 + 2 });
///     handle.call_soon_threadsafe(|| println!("hello from the loop thread")).unwrap();
///     task
/// });
/// let task = worker.join().unwrap();
/// assert_eq!(lp.block_on(task).unwrap().unwrap(), 4);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    pub(crate) shared: Arc<Shared>,
}

impl LoopHandle {
    /// Schedules `callback` to run on the loop's thread, after callbacks already queued.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the loop is closed; the callback is dropped unrun.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h = lp.handle();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// std::thread::spawn(move || h.call_soon_threadsafe(move || tx.send(7).unwrap()).unwrap());
    /// let got = lp.block_on(async {
    ///     loop { if let Ok(v) = rx.try_recv() { break v } loop_core::yield_now().await }
    /// }).unwrap();
    /// assert_eq!(got, 7);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn call_soon_threadsafe(
        &self,
        callback: impl FnOnce() + Send + 'static,
    ) -> Result<(), Closed> {
        self.shared
            .push(Remote::Call(Box::new(callback)))
            .map_err(|_| Closed)
    }

    /// Spawns a `Send` future onto the loop. If the loop is closed the task is cancelled at once.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h = lp.handle();
    /// let t = std::thread::spawn(move || h.spawn(async { "done" })).join().unwrap();
    /// assert_eq!(lp.block_on(t).unwrap().unwrap(), "done");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, task) = spawn_send(&self.shared, None, future);
        runnable.schedule();
        task
    }

    /// Asks the loop to stop: `run_forever` returns after its current batch of callbacks.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h = lp.handle();
    /// std::thread::spawn(move || h.stop());
    /// lp.run_forever().unwrap(); // returns once the other thread has stopped it
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stop(&self) {
        self.shared.stop_requested.store(true, Ordering::SeqCst);
        self.shared.wake_loop();
    }

    /// Whether the loop has been closed.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h = lp.handle();
    /// lp.close().unwrap();
    /// assert!(h.is_closed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// A new pending [`Promise`] whose done-callbacks run on this loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.handle().create_future::<u8>();
    /// assert!(!p.is_done());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn create_future<T>(&self) -> Promise<T> {
        Promise::new(self.shared.clone())
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopHandle")
            .field("id", &self.shared.id)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Shared {
    /// Queues `callback` on the loop: straight onto the run queue from the loop's own thread,
    /// through the remote queue from anywhere else.
    pub(crate) fn call_soon_any(&self, callback: Box<dyn FnOnce() + Send>) -> Result<(), Closed> {
        let queued = context::with_core(|core| match core {
            Some(core) if core.id == self.id && !self.closed.load(Ordering::Acquire) => {
                core.push_job(crate::event_loop::Job::Call(callback));
                None
            }
            _ => Some(callback),
        });
        match queued {
            None => Ok(()),
            Some(callback) => self.push(Remote::Call(callback)).map_err(|_| Closed),
        }
    }
}
