//! Tasks: spawned futures on `async-task`, their handles, ids and names, and the wrapper that
//! turns a panic into a [`JoinError`] instead of unwinding through the loop.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};

use async_task::{FallibleTask, Runnable};
use pin_project_lite::pin_project;

use crate::arena::Key;
use crate::context;
use crate::error::{JoinError, panic_message};
use crate::event_loop::{Job, Loop};
use crate::exception::{ExceptionContext, default_exception_handler};
use crate::handle::Shared;

/// A task's id, unique within its loop and increasing from 1 (asyncio's `Task-N`).
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// let a = lp.spawn_local(async {});
/// let b = lp.spawn_local(async {});
/// assert!(a.id() < b.id());
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The id as a number.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(lp.spawn_local(async {}).id().as_u64() >= 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A task's id and optional name.
///
/// `Display` shows the name, or `Task-<id>` when it has none, as asyncio does.
///
/// ```
/// use loop_core::{EventLoop, TaskBuilder};
///
/// let lp = EventLoop::new()?;
/// let named = TaskBuilder::new().name("fetch").spawn_local(&lp, async {});
/// assert_eq!(named.info().to_string(), "fetch");
/// let plain = lp.spawn_local(async {});
/// assert_eq!(plain.info().to_string(), format!("Task-{}", plain.id()));
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    id: TaskId,
    name: Option<Arc<str>>,
}

impl TaskInfo {
    /// The task's id.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.spawn_local(async {});
    /// assert_eq!(t.info().id(), t.id());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The name given at spawn, if any.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert_eq!(lp.spawn_local(async {}).info().name(), None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => f.write_str(name),
            None => write!(f, "Task-{}", self.id),
        }
    }
}

/// The task being polled on this thread, or `None` outside a task (asyncio's `current_task`).
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// assert!(loop_core::current_task().is_none());
/// let t = lp.spawn_local(async { loop_core::current_task().map(|t| t.id()) });
/// let id = t.id();
/// assert_eq!(lp.block_on(t).unwrap().unwrap(), Some(id));
/// # std::io::Result::Ok(())
/// ```
pub fn current_task() -> Option<TaskInfo> {
    context::with_task(|t| t.cloned())
}

/// A handle to a spawned task: await it for the task's result.
///
/// Dropping the handle cancels the task: its future is dropped by the loop on its next turn
/// (it is never polled again), or after the poll in progress if it is running. [`detach`](Task::detach) lets it run to completion
/// unobserved; a panic in a detached task goes to the loop's exception handler.
///
/// # Examples
///
/// ```
/// let lp = loop_core::EventLoop::new()?;
/// let answer = lp.block_on(async {
///     let task = lp.spawn_local(async { 6 * 7 });
///     task.await.unwrap()
/// }).unwrap();
/// assert_eq!(answer, 42);
/// # std::io::Result::Ok(())
/// ```
#[must_use = "tasks are cancelled when dropped; use `.detach()` to run them in the background"]
pub struct Task<T> {
    inner: FallibleTask<Result<T, PanicOutput>, TaskInfo>,
    info: TaskInfo,
}

impl<T> Task<T> {
    /// Lets the task run to completion without a handle; its output is dropped.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::cell::Cell;
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let ran = Rc::new(Cell::new(false));
    /// let flag = ran.clone();
    /// lp.spawn_local(async move { flag.set(true) }).detach();
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// assert!(ran.get());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn detach(self) {
        self.inner.detach();
    }

    /// Cancels the task and waits until its future is dropped; gives the result if it had
    /// already finished.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.block_on(async {
    ///     let slow = lp.spawn_local(loop_core::sleep(Duration::from_secs(60)));
    ///     assert!(slow.cancel().await.unwrap_err().is_cancelled());
    ///
    ///     let quick = lp.spawn_local(async { 5 });
    ///     loop_core::yield_now().await;
    ///     assert_eq!(quick.cancel().await.unwrap(), 5);
    /// }).unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn cancel(self) -> Result<T, JoinError> {
        into_join_result(self.inner.cancel().await)
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.spawn_local(async {});
    /// assert!(!t.is_finished());
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// assert!(t.is_finished());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The task's id and name.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(lp.spawn_local(async {}).info().name().is_none());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn info(&self) -> &TaskInfo {
        &self.info
    }

    /// The task's id.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.spawn_local(async {});
    /// assert_eq!(t.id(), t.info().id());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn id(&self) -> TaskId {
        self.info.id
    }
}

fn into_join_result<T>(out: Option<Result<T, PanicOutput>>) -> Result<T, JoinError> {
    match out {
        Some(Ok(value)) => Ok(value),
        Some(Err(mut panic)) => Err(JoinError::Panicked(panic.take())),
        None => Err(JoinError::Cancelled),
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let out = ready!(Pin::new(&mut self.inner).poll(cx));
        Poll::Ready(into_join_result(out))
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("info", &self.info)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Sets a task's name before spawning it.
///
/// ```
/// use loop_core::{EventLoop, TaskBuilder};
///
/// let lp = EventLoop::new()?;
/// let t = TaskBuilder::new().name("worker").spawn_local(&lp, async {
///     loop_core::current_task().unwrap().to_string()
/// });
/// assert_eq!(lp.block_on(t).unwrap().unwrap(), "worker");
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct TaskBuilder {
    name: Option<Arc<str>>,
}

impl TaskBuilder {
    /// A builder for an unnamed task.
    ///
    /// ```
    /// let _ = loop_core::TaskBuilder::new();
    /// ```
    pub fn new() -> TaskBuilder {
        TaskBuilder::default()
    }

    /// Names the task.
    ///
    /// ```
    /// let _ = loop_core::TaskBuilder::new().name("reader");
    /// ```
    pub fn name(mut self, name: impl Into<Arc<str>>) -> TaskBuilder {
        self.name = Some(name.into());
        self
    }

    /// Spawns a `Send` future on `lp` (see [`Loop::spawn`]).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = loop_core::TaskBuilder::new().name("s").spawn(&lp, async { 1 });
    /// assert_eq!(lp.block_on(t).unwrap().unwrap(), 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(self, lp: &Loop, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, task) = spawn_send(lp.shared(), self.name, future);
        lp.schedule_new(runnable);
        task
    }

    /// Spawns a future that need not be `Send` on `lp` (see [`Loop::spawn_local`]).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = loop_core::TaskBuilder::new().name("l").spawn_local(&lp, async { 2 });
    /// assert_eq!(lp.block_on(t).unwrap().unwrap(), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn_local<F>(self, lp: &Loop, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (runnable, task) = spawn_local(lp.shared(), self.name, future);
        lp.schedule_new(runnable);
        task
    }
}

/// A panic caught in a task. If nobody takes it (the handle was detached or dropped), dropping
/// it reports "Task exception was never retrieved" to the loop's exception handler.
pub(crate) struct PanicOutput {
    payload: Option<Box<dyn Any + Send>>,
    task: Option<TaskInfo>,
    shared: Option<Arc<Shared>>,
}

impl PanicOutput {
    fn take(&mut self) -> Box<dyn Any + Send> {
        self.payload.take().expect("panic payload taken once")
    }
}

impl Drop for PanicOutput {
    fn drop(&mut self) {
        if let Some(payload) = self.payload.take() {
            let detail = panic_message(&*payload).to_owned();
            let ctx = ExceptionContext::new(
                "Task exception was never retrieved",
                Some(detail),
                self.task.take(),
            );
            match &self.shared {
                Some(shared) => shared.report(ctx),
                None => default_exception_handler(&ctx),
            }
        }
    }
}

fn cancellation_panic(payload: &(dyn Any + Send)) -> ExceptionContext {
    ExceptionContext::new(
        "Exception in task cancellation",
        Some(panic_message(payload).to_owned()),
        current_task(),
    )
}

pin_project! {
    /// Wraps every spawned future: catches panics, counts finished tasks, and records a
    /// suspended task's waker so that closing the loop can cancel it. A task's future is polled
    /// and dropped on its loop (async-task hands cancelled futures back to the loop to drop), so
    /// the wrapper reaches the loop through `context::with_loop` and holds no reference to it.
    struct TaskFuture<F> {
        // Dropped by hand in `PinnedDrop`, under `catch_unwind`: async-task aborts the process
        // if dropping a cancelled future panics.
        #[pin]
        future: ManuallyDrop<F>,
        loop_id: u64,
        suspended: Option<Key>,
    }

    impl<F> PinnedDrop for TaskFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let future = this.future;
            let dropped = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: this is the wrapper's destructor, so the future is dropped exactly
                // once, in place (it is pinned and never moved), and never touched again.
                unsafe { ManuallyDrop::drop(future.get_unchecked_mut()) }
            }));
            let suspended = this.suspended.take();
            let on_loop = context::with_loop(*this.loop_id, |core| {
                core.finished_tasks.set(core.finished_tasks.get() + 1);
                if let Some(key) = suspended {
                    let waker = core.suspended.borrow_mut().remove(key);
                    drop(waker);
                }
                if let Err(payload) = &dropped {
                    core.report(cancellation_panic(&**payload));
                }
            });
            if let (None, Err(payload)) = (on_loop, &dropped) {
                default_exception_handler(&cancellation_panic(&**payload));
            }
        }
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Result<F::Output, PanicOutput>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // SAFETY: `ManuallyDrop<F>` is a transparent wrapper; projecting the pin through it
        // keeps `F` pinned where it is, and it is only dropped in place by `PinnedDrop`.
        let future = unsafe { this.future.map_unchecked_mut(|f| &mut **f) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Ok(Poll::Pending) => {
                if this.suspended.is_none() {
                    *this.suspended = context::with_loop(*this.loop_id, |core| {
                        core.suspended.borrow_mut().insert(cx.waker().clone())
                    });
                }
                Poll::Pending
            }
            Err(payload) => Poll::Ready(Err(PanicOutput {
                payload: Some(payload),
                task: current_task(),
                shared: context::with_loop(*this.loop_id, |core| core.shared.clone()),
            })),
        }
    }
}

fn new_info(shared: &Shared, name: Option<Arc<str>>) -> TaskInfo {
    TaskInfo {
        id: TaskId(shared.next_task_id.fetch_add(1, Ordering::Relaxed) + 1),
        name,
    }
}

/// Where a woken task goes: its loop's run queue when woken on that loop's thread, else the
/// loop's thread-safe queue (which wakes the loop if it sleeps).
fn schedule(shared: &Arc<Shared>, runnable: Runnable<TaskInfo>, local: bool) {
    context::with_core(|core| match core {
        Some(core) if core.id == shared.id => core.push_job(Job::Task(runnable)),
        _ => shared.push_task(runnable, local),
    });
}

pub(crate) fn spawn_send<F>(
    shared: &Arc<Shared>,
    name: Option<Arc<str>>,
    future: F,
) -> (Runnable<TaskInfo>, Task<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let info = new_info(shared, name);
    let wrapped = TaskFuture {
        future: ManuallyDrop::new(future),
        loop_id: shared.id,
        suspended: None,
    };
    let owner = shared.clone();
    let (runnable, task) = async_task::Builder::new()
        .metadata(info.clone())
        .spawn(move |_| wrapped, move |r| schedule(&owner, r, false));
    (
        runnable,
        Task {
            inner: task.fallible(),
            info,
        },
    )
}

pub(crate) fn spawn_local<F>(
    shared: &Arc<Shared>,
    name: Option<Arc<str>>,
    future: F,
) -> (Runnable<TaskInfo>, Task<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let info = new_info(shared, name);
    let wrapped = TaskFuture {
        future: ManuallyDrop::new(future),
        loop_id: shared.id,
        suspended: None,
    };
    let owner = shared.clone();
    let (runnable, task) = async_task::Builder::new()
        .metadata(info.clone())
        .spawn_local(move |_| wrapped, move |r| schedule(&owner, r, true));
    (
        runnable,
        Task {
            inner: task.fallible(),
            info,
        },
    )
}
