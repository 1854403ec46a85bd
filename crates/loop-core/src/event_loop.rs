//! The event loop: its run queue, its turn, and the two ways to hold it.
//!
//! [`EventLoop`] owns a loop and runs it; closing or dropping it cancels every task left.
//! [`Loop`] is a cheap `!Send` reference for tasks and callbacks on the loop's thread
//! ([`get_running_loop`] returns one); [`LoopHandle`] is the thread-safe one.
//!
//! One turn, as in asyncio's `_run_once`: take work other threads queued; poll I/O (blocking
//! until the next timer when nothing is ready); queue due timers; run exactly the jobs that were
//! ready when the batch began. Work queued during the batch waits for the next batch. While jobs
//! keep coming, batches follow each other directly and I/O and timers are looked at once per
//! [`IO_INTERVAL`] jobs rather than every batch, because on these machines a poll costs as much
//! as dozens of task switches.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::ops::Deref;
use std::os::fd::{AsFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use async_task::Runnable;

use crate::arena::Arena;
use crate::builder::{EventLoopBuilder, Options};
use crate::context::{self, Entered, TaskScope};
use crate::error::{Closed, NoRunningLoop, RunError, panic_message};
use crate::exception::{ExceptionContext, default_exception_handler};
use crate::handle::{LoopHandle, Remote, Shared};
use crate::poller::{Events, Poller};
use crate::promise::Promise;
use crate::reactor::Reactor;
use crate::task::{Task, TaskInfo, spawn_local, spawn_send};
use crate::timer::TimerHandle;
use crate::timers::{Nanos, TimerStore};

/// How many jobs may run between two non-blocking I/O polls while the run queue stays busy.
pub(crate) const IO_INTERVAL: usize = 64;

/// Deadlines are nanoseconds since the loop's epoch, offset so that instants before the epoch
/// (asyncio's negative delays) still order correctly.
const EPOCH_OFFSET: Nanos = 1 << 62;

/// One unit of the run queue.
pub(crate) enum Job {
    Task(Runnable<TaskInfo>),
    Call(Box<dyn FnOnce()>),
}

/// What a timer does when it fires.
pub(crate) enum TimerAction {
    Wake(Waker),
    Call(Box<dyn FnOnce()>),
}

type Handler = Rc<dyn Fn(&ExceptionContext)>;

pub(crate) struct Core {
    /// `shared.id`, kept here too: every wake-up compares it.
    pub(crate) id: u64,
    pub(crate) shared: Arc<Shared>,
    /// The run queue: task steps and callbacks, FIFO.
    pub(crate) ready: RefCell<VecDeque<Job>>,
    pub(crate) timers: RefCell<TimerStore<TimerAction>>,
    pub(crate) reactor: RefCell<Reactor>,
    /// Wakers of tasks that have suspended at least once, so `close` can cancel them.
    pub(crate) suspended: RefCell<Arena<Waker>>,
    running: Cell<bool>,
    stopping: Cell<bool>,
    closed: Cell<bool>,
    epoch: Instant,
    /// The virtual clock's time, when the loop has one (else the loop reads `Instant::now()`).
    virtual_now: Option<Cell<Nanos>>,
    /// Debug mode: callbacks and task polls slower than `slow_callback_duration` are reported.
    debug: Cell<bool>,
    slow_callback_duration: Cell<Duration>,
    turns: Cell<u64>,
    jobs_since_io: Cell<usize>,
    handler: RefCell<Option<Handler>>,
    events: RefCell<Events>,
    wakers: RefCell<Vec<Waker>>,
    /// Tasks of this loop whose futures have been dropped (finished or cancelled).
    pub(crate) finished_tasks: Cell<u64>,
}

/// The waker of `block_on`'s future: a flag, plus a poller notify when set from another thread
/// while the loop sleeps.
struct MainWake {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::SeqCst) {
            self.shared.wake_loop();
        }
    }
}

impl Core {
    fn now_nanos(&self) -> Nanos {
        match &self.virtual_now {
            Some(now) => now.get(),
            None => self.to_nanos(Instant::now()),
        }
    }

    /// The loop's time: the real clock, or the virtual one.
    pub(crate) fn now(&self) -> Instant {
        match &self.virtual_now {
            Some(now) => self.instant_at(now.get()),
            None => Instant::now(),
        }
    }

    fn instant_at(&self, nanos: Nanos) -> Instant {
        if nanos >= EPOCH_OFFSET {
            self.epoch + Duration::from_nanos(nanos - EPOCH_OFFSET)
        } else {
            self.epoch - Duration::from_nanos(EPOCH_OFFSET - nanos)
        }
    }

    pub(crate) fn to_nanos(&self, when: Instant) -> Nanos {
        match when.checked_duration_since(self.epoch) {
            Some(d) => EPOCH_OFFSET.saturating_add(d.as_nanos().min(u64::MAX as u128) as u64),
            None => {
                let before = self.epoch.duration_since(when).as_nanos();
                EPOCH_OFFSET.saturating_sub(before.min(u64::MAX as u128) as u64)
            }
        }
    }

    pub(crate) fn insert_timer(&self, when: Instant, action: TimerAction) -> crate::arena::Key {
        let deadline = self.to_nanos(when);
        self.timers.borrow_mut().insert(deadline, action)
    }

    /// Appends to the run queue. Work other threads queued earlier goes first, so that
    /// `call_soon_threadsafe` from another thread and `call_soon` here share one FIFO.
    #[inline]
    pub(crate) fn push_job(&self, job: Job) {
        if self.shared.has_queued() {
            self.drain_remote();
        }
        self.ready.borrow_mut().push_back(job);
    }

    fn check_can_run(&self) -> Result<(), RunError> {
        if self.closed.get() {
            Err(RunError::Closed)
        } else if self.running.get() || context::is_entered() {
            Err(RunError::Running)
        } else {
            Ok(())
        }
    }

    fn turn(&self, main: Option<&MainWake>) {
        self.drain_remote();
        if self.shared.stop_requested.load(Ordering::Relaxed)
            && self.shared.stop_requested.swap(false, Ordering::AcqRel)
        {
            self.stopping.set(true);
        }
        let main_woken = main.is_some_and(|m| m.woken.load(Ordering::Acquire));
        if !self.ready.borrow().is_empty() || main_woken || self.stopping.get() {
            if self.jobs_since_io.get() >= IO_INTERVAL || self.stopping.get() {
                self.poll_io(Some(Duration::ZERO), main);
            }
        } else {
            let next = self.timers.borrow().next_deadline();
            match (&self.virtual_now, next) {
                // Nothing is ready: virtual time jumps straight to the next timer.
                (Some(now), Some(deadline)) => {
                    now.set(now.get().max(deadline));
                    self.poll_io(Some(Duration::ZERO), main);
                }
                _ => {
                    let timeout = next.map(|deadline| {
                        Duration::from_nanos(deadline.saturating_sub(self.now_nanos()))
                    });
                    self.poll_io(timeout, main);
                }
            }
        }
        self.fire_due_timers();
        // Batches run back to back until something needs the loop: I/O and timers are looked at
        // again after IO_INTERVAL jobs at the latest (tokio's event interval is 61).
        loop {
            self.turns.set(self.turns.get() + 1);
            self.run_batch();
            // Cross-thread work needs no check here: `push_job` takes it first whenever local
            // work is queued, and the next maintenance point takes the rest.
            if self.stopping.get()
                || self.jobs_since_io.get() >= IO_INTERVAL
                || self.ready.borrow().is_empty()
                || main.is_some_and(|m| m.woken.load(Ordering::Relaxed))
            {
                break;
            }
        }
    }

    fn poll_io(&self, mut timeout: Option<Duration>, main: Option<&MainWake>) {
        self.jobs_since_io.set(0);
        let blocking = timeout != Some(Duration::ZERO);
        if !blocking && self.reactor.borrow().is_empty() {
            return;
        }
        if blocking {
            // The loop's half of the handshake in `Shared::wake_loop`.
            self.shared.sleeping.store(true, Ordering::SeqCst);
            if self.shared.has_remote_work() || main.is_some_and(|m| m.woken.load(Ordering::SeqCst))
            {
                timeout = Some(Duration::ZERO);
            }
        }
        let mut events = self.events.borrow_mut();
        events.clear();
        let result = self.shared.poller.wait(&mut events, timeout);
        if blocking {
            self.shared.sleeping.store(false, Ordering::Relaxed);
        }
        if let Err(e) = result {
            if e.kind() != io::ErrorKind::Interrupted {
                self.report(ExceptionContext::new(
                    "Poller wait failed",
                    Some(e.to_string()),
                    None,
                ));
            }
        }
        let mut wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        self.reactor.borrow_mut().dispatch(
            &*self.shared.poller,
            &events,
            &mut wakers,
            &mut self.ready.borrow_mut(),
        );
        drop(events);
        for waker in wakers.drain(..) {
            waker.wake();
        }
        *self.wakers.borrow_mut() = wakers;
        self.drain_remote();
    }

    fn fire_due_timers(&self) {
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = self.now_nanos();
        loop {
            let action = self.timers.borrow_mut().pop_due(now);
            match action {
                Some(TimerAction::Wake(waker)) => waker.wake(),
                Some(TimerAction::Call(callback)) => self.push_job(Job::Call(callback)),
                None => break,
            }
        }
    }

    fn run_batch(&self) {
        let batch = self.ready.borrow().len();
        for _ in 0..batch {
            let job = self.ready.borrow_mut().pop_front();
            match job {
                Some(job) => self.run_job(job),
                None => break,
            }
        }
        self.jobs_since_io.set(self.jobs_since_io.get() + batch);
    }

    fn run_job(&self, job: Job) {
        if self.debug.get() {
            self.run_job_timed(job, self.slow_callback_duration.get());
        } else {
            self.run_job_untimed(job);
        }
    }

    /// Debug mode: runs `job` and reports it if it took longer than `threshold`.
    fn run_job_timed(&self, job: Job, threshold: Duration) {
        let task = match &job {
            Job::Task(runnable) => Some(runnable.metadata().clone()),
            Job::Call(_) => None,
        };
        let start = Instant::now();
        self.run_job_untimed(job);
        let took = start.elapsed();
        if took >= threshold {
            let what = match &task {
                Some(info) => format!("task {info} (id {})", info.id()),
                None => "a callback".to_owned(),
            };
            let message = format!("Executing {what} took {:.3} seconds", took.as_secs_f64());
            self.report(ExceptionContext::new(&message, None, task));
        }
    }

    fn run_job_untimed(&self, job: Job) {
        let outcome = match job {
            Job::Task(runnable) => {
                let _scope = TaskScope::new(runnable.metadata());
                // Task futures catch their own panics; this catches a panicking `Drop`.
                catch_unwind(AssertUnwindSafe(|| {
                    runnable.run();
                }))
                .map_err(|p| ("Exception in task", p))
            }
            Job::Call(callback) => {
                catch_unwind(AssertUnwindSafe(callback)).map_err(|p| ("Exception in callback", p))
            }
        };
        if let Err((message, payload)) = outcome {
            self.report(ExceptionContext::new(
                message,
                Some(panic_message(&*payload).to_owned()),
                None,
            ));
        }
    }

    fn drain_remote(&self) {
        while let Some(item) = self.shared.pop() {
            let job = match item {
                Remote::Task(runnable) => Job::Task(runnable),
                Remote::Call(callback) => Job::Call(callback),
            };
            self.ready.borrow_mut().push_back(job);
        }
    }

    pub(crate) fn report(&self, ctx: ExceptionContext) {
        let handler = self.handler.borrow().clone();
        let result = catch_unwind(AssertUnwindSafe(|| match &handler {
            Some(handler) => handler(&ctx),
            None => default_exception_handler(&ctx),
        }));
        if let Err(payload) = result {
            eprintln!(
                "evloop: Unhandled error in exception handler: {}; while handling: {ctx}",
                panic_message(&*payload)
            );
        }
    }

    /// Cancels everything left: suspended tasks are woken so their runnables can be dropped,
    /// timers and I/O registrations are released, queued jobs are dropped. Dropping may wake
    /// or cancel more tasks, so this repeats until nothing is left. The remote queue is closed
    /// first, so other threads can no longer add to it.
    fn shut_down(&self) {
        self.shared.close_queue();
        loop {
            let suspended = self.suspended.borrow_mut().drain();
            let had_suspended = !suspended.is_empty();
            for waker in suspended {
                waker.wake();
            }
            let timers = self.timers.borrow_mut().drain();
            let sources = self.reactor.borrow_mut().drain(&*self.shared.poller);
            self.drain_remote();
            let jobs: Vec<Job> = self.ready.borrow_mut().drain(..).collect();
            let done = !had_suspended && timers.is_empty() && sources.is_empty() && jobs.is_empty();
            drop(timers);
            drop(sources);
            drop(jobs);
            if done {
                break;
            }
        }
    }
}

/// A reference to an event loop, for code running on the loop's thread.
///
/// Cheap to clone and `!Send`. Get one from [`EventLoop`] (which derefs to it) or, inside a
/// task or callback, from [`get_running_loop`]. Holding a `Loop` does not keep the loop open:
/// the [`EventLoop`] that owns it decides when it closes.
///
/// # Examples
///
/// ```
/// use loop_core::{EventLoop, get_running_loop};
///
/// let lp = EventLoop::new()?;
/// let order = lp.block_on(async {
///     let lp = get_running_loop().unwrap();
///     let (tx, rx) = std::sync::mpsc::channel();
///     for i in 0..3 {
///         let tx = tx.clone();
///         lp.call_soon(move || tx.send(i).unwrap()).unwrap();
///     }
///     loop_core::yield_now().await;
///     rx.try_iter().collect::<Vec<_>>()
/// }).unwrap();
/// assert_eq!(order, [0, 1, 2]);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Loop {
    core: Rc<Core>,
}

impl Loop {
    pub(crate) fn from_core(core: Rc<Core>) -> Loop {
        Loop { core }
    }

    pub(crate) fn core(&self) -> &Rc<Core> {
        &self.core
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.core.shared
    }

    pub(crate) fn schedule_new(&self, runnable: Runnable<TaskInfo>) {
        if self.core.closed.get() {
            // Dropping the runnable cancels the new task; entered, so its drop is counted.
            let _entered = Entered::new(&self.core);
            drop(runnable);
        } else {
            self.core.push_job(Job::Task(runnable));
        }
    }

    /// The loop's clock: monotonic, the time base of [`call_at`](Loop::call_at).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(lp.time() <= std::time::Instant::now());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn time(&self) -> Instant {
        self.core.now()
    }

    /// Whether debug mode is on (see [`EventLoopBuilder`]).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().debug(false).build()?;
    /// assert!(!lp.is_debug());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_debug(&self) -> bool {
        self.core.debug.get()
    }

    /// Turns debug mode on or off.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().debug(false).build()?;
    /// lp.set_debug(true);
    /// assert!(lp.is_debug());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_debug(&self, enabled: bool) {
        self.core.debug.set(enabled);
    }

    /// How long a callback or task poll may take before debug mode reports it.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert_eq!(lp.slow_callback_duration(), std::time::Duration::from_millis(100));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn slow_callback_duration(&self) -> Duration {
        self.core.slow_callback_duration.get()
    }

    /// Sets the duration past which debug mode reports a callback or task poll.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.set_slow_callback_duration(std::time::Duration::from_millis(5));
    /// assert_eq!(lp.slow_callback_duration(), std::time::Duration::from_millis(5));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_slow_callback_duration(&self, threshold: Duration) {
        self.core.slow_callback_duration.set(threshold);
    }

    /// Whether the loop runs on a virtual clock (see [`EventLoopBuilder::virtual_clock`]).
    ///
    /// ```
    /// assert!(!loop_core::EventLoop::new()?.has_virtual_clock());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn has_virtual_clock(&self) -> bool {
        self.core.virtual_now.is_some()
    }

    /// Queues `callback` to run on a later turn, after everything already queued (FIFO).
    ///
    /// # Errors
    ///
    /// [`Closed`] if the loop is closed.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// for word in ["hello", "world"] {
    ///     let log = log.clone();
    ///     lp.call_soon(move || log.borrow_mut().push(word)).unwrap();
    /// }
    /// let stopper = lp.clone();
    /// lp.call_soon(move || stopper.stop()).unwrap();
    /// lp.run_forever().unwrap();
    /// assert_eq!(*log.borrow(), ["hello", "world"]);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn call_soon(&self, callback: impl FnOnce() + 'static) -> Result<(), Closed> {
        if self.core.closed.get() {
            return Err(Closed);
        }
        self.core.push_job(Job::Call(Box::new(callback)));
        Ok(())
    }

    /// Same as [`LoopHandle::call_soon_threadsafe`], callable from the loop's own thread too.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the loop is closed.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.call_soon_threadsafe(|| ()).unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn call_soon_threadsafe(
        &self,
        callback: impl FnOnce() + Send + 'static,
    ) -> Result<(), Closed> {
        self.call_soon(callback)
    }

    /// Runs `callback` once `delay` has passed; returns a handle that can cancel it.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the loop is closed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let stopper = lp.clone();
    /// let start = std::time::Instant::now();
    /// lp.call_later(Duration::from_millis(20), move || stopper.stop()).unwrap();
    /// lp.run_forever().unwrap();
    /// assert!(start.elapsed() >= Duration::from_millis(20));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn call_later(
        &self,
        delay: Duration,
        callback: impl FnOnce() + 'static,
    ) -> Result<TimerHandle, Closed> {
        let when = self
            .time()
            .checked_add(delay)
            .unwrap_or_else(|| far_future(self.time()));
        self.call_at(when, callback)
    }

    /// Runs `callback` at `when`; an instant in the past means the next turn. Callbacks due at
    /// the same instant run in the order they were scheduled.
    ///
    /// # Errors
    ///
    /// [`Closed`] if the loop is closed.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc, time::Duration};
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let now = lp.time();
    /// for (name, ago) in [("a", 1), ("b", 2)] {
    ///     let log = log.clone();
    ///     lp.call_at(now - Duration::from_secs(ago), move || log.borrow_mut().push(name)).unwrap();
    /// }
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// assert_eq!(*log.borrow(), ["b", "a"]); // ordered by deadline
    /// # std::io::Result::Ok(())
    /// ```
    pub fn call_at(
        &self,
        when: Instant,
        callback: impl FnOnce() + 'static,
    ) -> Result<TimerHandle, Closed> {
        if self.core.closed.get() {
            return Err(Closed);
        }
        let key = self
            .core
            .insert_timer(when, TimerAction::Call(Box::new(callback)));
        Ok(TimerHandle::new(Rc::downgrade(&self.core), key, when))
    }

    /// Spawns a `Send` future as a task on this loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.spawn(async { 1 + 1 });
    /// assert_eq!(lp.block_on(t).unwrap().unwrap(), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, task) = spawn_send(&self.core.shared, None, future);
        self.schedule_new(runnable);
        task
    }

    /// Spawns a future that need not be `Send` (it holds `Rc`s, say) as a task on this loop.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let shared = Rc::new(5);
    /// let t = lp.spawn_local(async move { *shared * 2 });
    /// assert_eq!(lp.block_on(t).unwrap().unwrap(), 10);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn_local<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (runnable, task) = spawn_local(&self.core.shared, None, future);
        self.schedule_new(runnable);
        task
    }

    /// A new pending [`Promise`] bound to this loop (asyncio's `create_future`).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let p = lp.create_future::<&str>();
    /// p.set_result("ready").unwrap();
    /// assert_eq!(lp.block_on(p).unwrap().unwrap(), "ready");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn create_future<T>(&self) -> Promise<T> {
        Promise::new(self.core.shared.clone())
    }

    /// The thread-safe handle to this loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let h: loop_core::LoopHandle = lp.handle();
    /// assert!(!h.is_closed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn handle(&self) -> LoopHandle {
        LoopHandle {
            shared: self.core.shared.clone(),
        }
    }

    /// Stops `run_forever` after the current batch of callbacks. Called before `run_forever`,
    /// that run polls I/O once without blocking and returns.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.stop();
    /// lp.run_forever().unwrap(); // returns at once
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stop(&self) {
        self.core.stopping.set(true);
    }

    /// Whether `block_on` or `run_forever` is running this loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(!lp.is_running());
    /// assert!(lp.block_on(async { loop_core::get_running_loop().unwrap().is_running() }).unwrap());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.core.running.get()
    }

    /// Whether the loop has been closed.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.close().unwrap();
    /// assert!(lp.is_closed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core.closed.get()
    }

    /// How many turns the loop has run: each polls I/O at most once and runs one batch.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// assert!(lp.turns() >= 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn turns(&self) -> u64 {
        self.core.turns.get()
    }

    /// How many tasks spawned on this loop have not yet finished or been cancelled.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let t = lp.spawn_local(async {});
    /// assert_eq!(lp.live_tasks(), 1);
    /// lp.block_on(t).unwrap().unwrap();
    /// assert_eq!(lp.live_tasks(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn live_tasks(&self) -> usize {
        let spawned = self.core.shared.next_task_id.load(Ordering::Relaxed);
        spawned.saturating_sub(self.core.finished_tasks.get()) as usize
    }

    /// Replaces the handler that receives errors nobody else can: panics in callbacks and in
    /// detached tasks, failed promises never read. The default prints one line to stderr.
    /// A handler that panics is reported on stderr and the loop carries on.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let seen = Rc::new(RefCell::new(None));
    /// let sink = seen.clone();
    /// lp.set_exception_handler(move |ctx| *sink.borrow_mut() = ctx.detail.clone());
    /// lp.call_soon(|| panic!("bad callback")).unwrap();
    /// lp.block_on(loop_core::yield_now()).unwrap();
    /// assert_eq!(seen.borrow().as_deref(), Some("bad callback"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_exception_handler(&self, handler: impl Fn(&ExceptionContext) + 'static) {
        *self.core.handler.borrow_mut() = Some(Rc::new(handler));
    }

    /// Restores the default exception handler.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.set_exception_handler(|_| ());
    /// lp.reset_exception_handler();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reset_exception_handler(&self) {
        *self.core.handler.borrow_mut() = None;
    }

    /// Sends `context` to the exception handler now.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.set_exception_handler(|ctx| assert_eq!(ctx.message, "custom"));
    /// lp.call_exception_handler(loop_core::ExceptionContext::from_message("custom"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn call_exception_handler(&self, context: ExceptionContext) {
        self.core.report(context);
    }

    /// Calls `callback` on the loop whenever `source` is readable (level-triggered, as in
    /// asyncio). The loop keeps `source` open until [`remove_reader`](Loop::remove_reader);
    /// pass an `Rc` or a duplicate if the callback needs it too. Adding again replaces the
    /// callback.
    ///
    /// # Errors
    ///
    /// When the poller refuses the file descriptor, or the loop is closed.
    ///
    /// ```
    /// use std::{io::{Read, Write}, os::unix::net::UnixStream, rc::Rc, cell::RefCell};
    /// use std::os::fd::AsRawFd;
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, b) = UnixStream::pair()?;
    /// b.set_nonblocking(true)?;
    /// let b = Rc::new(b);
    /// let got = Rc::new(RefCell::new(Vec::new()));
    /// let (reader, sink, stopper) = (b.clone(), got.clone(), lp.clone());
    /// lp.add_reader(b.clone(), move || {
    ///     let mut buf = [0; 16];
    ///     if let Ok(n) = (&*reader).read(&mut buf) {
    ///         sink.borrow_mut().extend_from_slice(&buf[..n]);
    ///         stopper.stop();
    ///     }
    /// })?;
    /// (&a).write_all(b"ping")?;
    /// lp.run_forever().unwrap();
    /// assert_eq!(&*got.borrow(), b"ping");
    /// assert!(lp.remove_reader(b.as_raw_fd()));
    /// assert!(!lp.remove_reader(b.as_raw_fd()));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn add_reader<S: AsFd + 'static>(
        &self,
        source: S,
        callback: impl FnMut() + 'static,
    ) -> io::Result<()> {
        self.add_callback(source, callback, true)
    }

    /// Like [`add_reader`](Loop::add_reader), for writability.
    ///
    /// # Errors
    ///
    /// When the poller refuses the file descriptor, or the loop is closed.
    ///
    /// ```
    /// use std::{os::unix::net::UnixStream, os::fd::AsRawFd, rc::Rc};
    ///
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = Rc::new(a);
    /// let stopper = lp.clone();
    /// lp.add_writer(a.clone(), move || stopper.stop())?;
    /// lp.run_forever().unwrap(); // a fresh socket is writable at once
    /// assert!(lp.remove_writer(a.as_raw_fd()));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn add_writer<S: AsFd + 'static>(
        &self,
        source: S,
        callback: impl FnMut() + 'static,
    ) -> io::Result<()> {
        self.add_callback(source, callback, false)
    }

    fn add_callback<S: AsFd + 'static>(
        &self,
        source: S,
        callback: impl FnMut() + 'static,
        read: bool,
    ) -> io::Result<()> {
        if self.core.closed.get() {
            return Err(io::Error::other(Closed));
        }
        let poller = &*self.core.shared.poller;
        let replaced = self.core.reactor.borrow_mut().add_callback(
            poller,
            Box::new(source),
            Rc::new(RefCell::new(callback)),
            read,
        )?;
        drop(replaced);
        Ok(())
    }

    fn remove_callback(&self, fd: RawFd, read: bool) -> bool {
        let poller = &*self.core.shared.poller;
        let removed = self
            .core
            .reactor
            .borrow_mut()
            .remove_callback(poller, fd, read);
        removed.is_some()
    }

    /// Stops watching `fd` for readability; `true` if a reader was registered.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(!lp.remove_reader(0));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn remove_reader(&self, fd: RawFd) -> bool {
        self.remove_callback(fd, true)
    }

    /// Stops watching `fd` for writability; `true` if a writer was registered.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(!lp.remove_writer(0));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn remove_writer(&self, fd: RawFd) -> bool {
        self.remove_callback(fd, false)
    }
}

/// About 30 years after `now`: later than any real deadline, early enough not to overflow.
pub(crate) fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(30 * 365 * 24 * 3600)
}

/// The running loop's time (virtual or real), or the real time outside a loop.
pub(crate) fn loop_now() -> Instant {
    context::with_core(|core| core.map_or_else(Instant::now, Core::now))
}

impl fmt::Debug for Loop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loop")
            .field("id", &self.core.shared.id)
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .field("ready", &self.core.ready.borrow().len())
            .field("timers", &self.core.timers.borrow().len())
            .field("poller", &self.core.shared.poller)
            .finish()
    }
}

/// The running loop on this thread (asyncio's `get_running_loop`).
///
/// # Errors
///
/// [`NoRunningLoop`] outside `block_on` / `run_forever`.
///
/// ```
/// assert!(loop_core::get_running_loop().is_err());
/// let lp = loop_core::EventLoop::new()?;
/// assert!(lp.block_on(async { loop_core::get_running_loop().is_ok() }).unwrap());
/// # std::io::Result::Ok(())
/// ```
pub fn get_running_loop() -> Result<Loop, NoRunningLoop> {
    context::current_loop().ok_or(NoRunningLoop)
}

/// Owns an event loop and runs it. Derefs to [`Loop`] for everything else.
///
/// One loop runs per thread at a time. Closing (or dropping) the loop cancels every task left
/// on it, drops pending callbacks and timers, and releases its I/O registrations.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let lp = loop_core::EventLoop::new()?;
/// let out = lp.block_on(async {
///     loop_core::sleep(Duration::from_millis(1)).await;
///     "slept"
/// }).unwrap();
/// assert_eq!(out, "slept");
/// lp.close().unwrap();
/// # std::io::Result::Ok(())
/// ```
pub struct EventLoop {
    lp: Loop,
}

struct Running<'a> {
    core: &'a Core,
    _entered: Entered<'a>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.core.running.set(false);
    }
}

impl EventLoop {
    /// A loop on the [`DefaultPoller`](crate::DefaultPoller).
    ///
    /// # Errors
    ///
    /// When the OS refuses a new poller.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert!(!lp.is_closed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> io::Result<EventLoop> {
        EventLoopBuilder::new().build()
    }

    /// A loop on any [`Poller`]. See the trait's docs for an example poller.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::with_poller(loop_core::DefaultPoller::new()?);
    /// assert_eq!(lp.block_on(async { 3 }).unwrap(), 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_poller(poller: impl Poller) -> EventLoop {
        EventLoopBuilder::new()
            .poller(poller)
            .build()
            .expect("a given poller needs no OS call")
    }

    /// A builder for a loop with debug mode, a virtual clock, or a chosen poller.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::builder().debug(true).build()?;
    /// assert!(lp.is_debug());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn builder() -> EventLoopBuilder {
        EventLoopBuilder::new()
    }

    pub(crate) fn from_parts(poller: Box<dyn Poller>, options: Options) -> EventLoop {
        let edge = poller.supports_edge();
        let level = poller.supports_level();
        let reports_read_closed = poller.reports_read_closed();
        let shared = Arc::new(Shared::new(poller));
        let core = Core {
            id: shared.id,
            shared,
            ready: RefCell::new(VecDeque::with_capacity(256)),
            timers: RefCell::new(TimerStore::default()),
            reactor: RefCell::new(Reactor::new(edge, level, reports_read_closed)),
            suspended: RefCell::new(Arena::default()),
            running: Cell::new(false),
            stopping: Cell::new(false),
            closed: Cell::new(false),
            epoch: Instant::now(),
            virtual_now: options.virtual_clock.then(|| Cell::new(EPOCH_OFFSET)),
            debug: Cell::new(options.debug),
            slow_callback_duration: Cell::new(options.slow_callback_duration),
            turns: Cell::new(0),
            jobs_since_io: Cell::new(0),
            handler: RefCell::new(None),
            events: RefCell::new(Events::with_capacity(1024)),
            wakers: RefCell::new(Vec::new()),
            finished_tasks: Cell::new(0),
        };
        EventLoop {
            lp: Loop {
                core: Rc::new(core),
            },
        }
    }

    fn enter(&self) -> Result<Running<'_>, RunError> {
        let core = &self.lp.core;
        core.check_can_run()?;
        core.running.set(true);
        Ok(Running {
            core,
            _entered: Entered::new(core),
        })
    }

    /// Runs the loop until `future` completes and returns its output (asyncio's
    /// `run_until_complete`). The future runs on this thread and need not be `Send`.
    ///
    /// # Errors
    ///
    /// [`RunError::Closed`] on a closed loop, [`RunError::Running`] if a loop already runs on
    /// this thread (nested `block_on`), [`RunError::Stopped`] if `stop()` ended the run first.
    ///
    /// # Panics
    ///
    /// If `future` itself panics (a panic in a spawned task does not unwind here).
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// assert_eq!(lp.block_on(async { 1 }).unwrap(), 1);
    /// let nested = lp.block_on(async { lp.block_on(async { 2 }) }).unwrap();
    /// assert!(matches!(nested, Err(loop_core::RunError::Running)));
    /// # std::io::Result::Ok(())
    /// ```
    #[doc(alias = "run_until_complete")]
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, RunError> {
        let running = self.enter()?;
        let core = running.core;
        let main = Arc::new(MainWake {
            woken: AtomicBool::new(true),
            shared: core.shared.clone(),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.woken.load(Ordering::Relaxed) && main.woken.swap(false, Ordering::AcqRel) {
                let _scope = TaskScope::new(std::ptr::null());
                if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                    return Ok(out);
                }
                // A poll of the main future counts as a job, so a main future that keeps
                // yielding still lets the loop look at I/O every IO_INTERVAL polls.
                core.jobs_since_io.set(core.jobs_since_io.get() + 1);
            }
            if core.stopping.replace(false) {
                return Err(RunError::Stopped);
            }
            core.turn(Some(&main));
        }
    }

    /// Runs the loop until [`stop`](Loop::stop) (or [`LoopHandle::stop`]).
    ///
    /// # Errors
    ///
    /// [`RunError::Closed`] on a closed loop, [`RunError::Running`] if a loop already runs on
    /// this thread.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let stopper = lp.clone();
    /// lp.call_soon(move || stopper.stop()).unwrap();
    /// lp.run_forever().unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn run_forever(&self) -> Result<(), RunError> {
        let running = self.enter()?;
        loop {
            running.core.turn(None);
            if running.core.stopping.replace(false) {
                return Ok(());
            }
        }
    }

    /// Closes the loop: cancels the tasks left, drops queued callbacks and timers, releases I/O
    /// registrations. Idempotent; afterwards running or scheduling gives an error.
    ///
    /// # Errors
    ///
    /// [`RunError::Running`] when called while the loop runs.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.close().unwrap();
    /// lp.close().unwrap(); // again: no-op
    /// assert!(lp.call_soon(|| ()).is_err());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) -> Result<(), RunError> {
        let core = &self.lp.core;
        if core.running.get() {
            return Err(RunError::Running);
        }
        if core.closed.replace(true) {
            return Ok(());
        }
        core.shared.closed.store(true, Ordering::Release);
        let _entered = Entered::new(core);
        core.shut_down();
        Ok(())
    }
}

impl Deref for EventLoop {
    type Target = Loop;

    fn deref(&self) -> &Loop {
        &self.lp
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EventLoop").field(&self.lp).finish()
    }
}
