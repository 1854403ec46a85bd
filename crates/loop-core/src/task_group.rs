//! [`TaskGroup`]: structured concurrency. The group waits for all its children; the first
//! failure cancels the rest and is returned.

use std::any::Any;
use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::task::{Poll, Waker};

use futures_lite::FutureExt;

use crate::error::panic_message;
use crate::task::Task;

/// Why a [`TaskGroup`] failed: the first child to fail, and how.
///
/// ```
/// let err = loop_core::GroupError::Failed("disk full");
/// assert_eq!(err.to_string(), "a task in the group failed: disk full");
/// ```
pub enum GroupError<E> {
    /// A child returned `Err`.
    Failed(E),
    /// A child panicked; the payload is kept for `resume_unwind`.
    Panicked(Box<dyn Any + Send>),
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
            GroupError::Panicked(p) => f
                .debug_tuple("Panicked")
                .field(&panic_message(&**p))
                .finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::Failed(e) => write!(f, "a task in the group failed: {e}"),
            GroupError::Panicked(p) => {
                write!(f, "a task in the group panicked: {}", panic_message(&**p))
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> Error for GroupError<E> {}

/// Returned by `spawn` once the group has ended (joined, failed or dropped).
///
/// ```
/// assert_eq!(loop_core::GroupClosed.to_string(), "the task group has ended");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupClosed;

impl fmt::Display for GroupClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task group has ended")
    }
}

impl Error for GroupClosed {}

struct State<T, E> {
    /// Handles of the children, by spawn order; dropping them cancels the children.
    tasks: Vec<Option<Task<()>>>,
    results: Vec<Option<T>>,
    failure: Option<GroupError<E>>,
    /// Children whose futures have not been dropped yet.
    alive: usize,
    closed: bool,
    joiner: Option<Waker>,
}

struct Group<T, E> {
    state: RefCell<State<T, E>>,
}

impl<T: 'static, E: 'static> Group<T, E> {
    fn spawn<F>(self: &Rc<Self>, future: F) -> Result<(), GroupClosed>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        let index = {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return Err(GroupClosed);
            }
            state.alive += 1;
            state.results.push(None);
            state.tasks.push(None);
            state.results.len() - 1
        };
        let group = self.clone();
        // Made here, not inside the task, so that a child cancelled before its first poll
        // still counts itself out when its future is dropped.
        let alive = Alive(self.clone());
        let task = crate::spawn_local(async move {
            let _alive = alive;
            let outcome = AssertUnwindSafe(future).catch_unwind().await;
            group.finish(index, outcome);
        });
        self.state.borrow_mut().tasks[index] = Some(task);
        Ok(())
    }

    fn finish(&self, index: usize, outcome: Result<Result<T, E>, Box<dyn Any + Send>>) {
        let failure = match outcome {
            Ok(Ok(value)) => {
                self.state.borrow_mut().results[index] = Some(value);
                return;
            }
            Ok(Err(error)) => GroupError::Failed(error),
            Err(payload) => GroupError::Panicked(payload),
        };
        let cancelled = {
            let mut state = self.state.borrow_mut();
            if state.failure.is_some() {
                return;
            }
            state.failure = Some(failure);
            state.closed = true;
            std::mem::take(&mut state.tasks)
        };
        drop(cancelled); // dropping the handles cancels the siblings
    }
}

impl<T, E> Group<T, E> {
    fn close_and_cancel(&self) {
        let cancelled = {
            let mut state = self.state.borrow_mut();
            state.closed = true;
            std::mem::take(&mut state.tasks)
        };
        drop(cancelled);
    }
}

/// Counts a child as alive until its future is dropped (finished or cancelled).
struct Alive<T, E>(Rc<Group<T, E>>);

impl<T, E> Drop for Alive<T, E> {
    fn drop(&mut self) {
        let joiner = {
            let mut state = self.0.state.borrow_mut();
            state.alive -= 1;
            if state.alive == 0 {
                state.joiner.take()
            } else {
                None
            }
        };
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }
}

/// A group of tasks that ends together (asyncio's `TaskGroup`).
///
/// Children run as tasks on the running loop and return `Result<T, E>`. [`join`](TaskGroup::join)
/// waits for every child, including children spawned by children through a [`GroupSpawner`],
/// and gives their values in spawn order. The first child to fail (or panic) cancels all the
/// others, and `join` returns that failure once they are gone. Dropping the group, or the
/// `join` future, cancels every child: no task outlives its group.
///
/// # Panics
///
/// `spawn` panics outside a running event loop.
///
/// # Examples
///
/// ```
/// use loop_core::{GroupError, TaskGroup};
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let sums = lp.block_on(async {
///     let group = TaskGroup::new();
///     for i in 1..=3u64 {
///         group.spawn(async move {
///             loop_core::sleep(Duration::from_millis(i)).await;
///             Ok::<_, String>(i * 100)
///         }).unwrap();
///     }
///     group.join().await
/// }).unwrap();
/// assert_eq!(sums.unwrap(), [100, 200, 300]);
///
/// let failed = lp.block_on(async {
///     let group = TaskGroup::<(), _>::new();
///     group.spawn(async { Err("bad input") }).unwrap();
///     group.spawn(std::future::pending()).unwrap(); // cancelled by the failure
///     group.join().await
/// }).unwrap();
/// assert!(matches!(failed, Err(GroupError::Failed("bad input"))));
/// # std::io::Result::Ok(())
/// ```
pub struct TaskGroup<T, E> {
    group: Rc<Group<T, E>>,
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// An empty group.
    ///
    /// ```
    /// let group = loop_core::TaskGroup::<u8, ()>::new();
    /// assert_eq!(group.running(), 0);
    /// ```
    pub fn new() -> TaskGroup<T, E> {
        TaskGroup {
            group: Rc::new(Group {
                state: RefCell::new(State {
                    tasks: Vec::new(),
                    results: Vec::new(),
                    failure: None,
                    alive: 0,
                    closed: false,
                    joiner: None,
                }),
            }),
        }
    }

    /// Spawns a child on the running loop.
    ///
    /// # Errors
    ///
    /// [`GroupClosed`] once the group has ended.
    ///
    /// # Panics
    ///
    /// Outside a running event loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let out = lp.block_on(async {
    ///     let group = loop_core::TaskGroup::new();
    ///     group.spawn(async { Ok::<_, ()>(1) }).unwrap();
    ///     group.join().await
    /// }).unwrap();
    /// assert_eq!(out.unwrap(), [1]);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> Result<(), GroupClosed>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.group.spawn(future)
    }

    /// A handle children can use to spawn more children into this group.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let out = lp.block_on(async {
    ///     let group = loop_core::TaskGroup::new();
    ///     let spawner = group.spawner();
    ///     group.spawn(async move {
    ///         spawner.spawn(async { Ok::<_, ()>(2) }).unwrap();
    ///         Ok(1)
    ///     }).unwrap();
    ///     group.join().await
    /// }).unwrap();
    /// assert_eq!(out.unwrap(), [1, 2]);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawner(&self) -> GroupSpawner<T, E> {
        GroupSpawner {
            group: self.group.clone(),
        }
    }

    /// How many children are still running.
    ///
    /// ```
    /// assert_eq!(loop_core::TaskGroup::<(), ()>::new().running(), 0);
    /// ```
    pub fn running(&self) -> usize {
        self.group.state.borrow().alive
    }

    /// Waits until every child has finished: their values in spawn order, or the first failure
    /// (after the other children have been cancelled and dropped). The group then ends; later
    /// spawns give [`GroupClosed`].
    ///
    /// # Errors
    ///
    /// The first child's failure or panic, as a [`GroupError`].
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let out = lp.block_on(loop_core::TaskGroup::<(), ()>::new().join()).unwrap();
    /// assert_eq!(out.unwrap(), []);
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn join(self) -> Result<Vec<T>, GroupError<E>> {
        poll_fn(|cx| {
            let mut state = self.group.state.borrow_mut();
            if state.alive > 0 {
                if !state
                    .joiner
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.joiner = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
            state.closed = true;
            Poll::Ready(match state.failure.take() {
                Some(failure) => Err(failure),
                None => Ok(state.results.drain(..).flatten().collect()),
            })
        })
        .await
    }
}

impl<T: 'static, E: 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        self.group.close_and_cancel();
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.group.state.borrow();
        f.debug_struct("TaskGroup")
            .field("running", &state.alive)
            .field("closed", &state.closed)
            .field("failed", &state.failure.is_some())
            .finish()
    }
}

/// Spawns children into a [`TaskGroup`] from anywhere on the loop, children included.
pub struct GroupSpawner<T, E> {
    group: Rc<Group<T, E>>,
}

impl<T: 'static, E: 'static> GroupSpawner<T, E> {
    /// Spawns a child into the group (see [`TaskGroup::spawn`]).
    ///
    /// # Errors
    ///
    /// [`GroupClosed`] once the group has ended.
    ///
    /// # Panics
    ///
    /// Outside a running event loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.block_on(async {
    ///     let group = loop_core::TaskGroup::<(), ()>::new();
    ///     let spawner = group.spawner();
    ///     group.join().await.unwrap();
    ///     assert!(spawner.spawn(async { Ok(()) }).is_err()); // the group has ended
    /// }).unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> Result<(), GroupClosed>
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        self.group.spawn(future)
    }
}

impl<T, E> Clone for GroupSpawner<T, E> {
    fn clone(&self) -> Self {
        GroupSpawner {
            group: self.group.clone(),
        }
    }
}

impl<T, E> fmt::Debug for GroupSpawner<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupSpawner").finish_non_exhaustive()
    }
}
