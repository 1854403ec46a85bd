//! The pool: worker threads sharing one ready-queue of stages that have a chunk to run.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};

use concurrent_queue::ConcurrentQueue;
use event_listener::{Event, Listener};

use crate::builder::StageBuilder;
use crate::input::Input;
use crate::stage::lock;

/// What the scheduler knows of a stage, whatever its item types.
pub(crate) trait Node: Send + Sync {
    /// Runs one of the stage's queued chunks, if it still has one.
    fn run_one(&self);
    /// Schedules as much work as the stage's readers currently want; called whenever demand
    /// grows, input arrives or a chunk finishes.
    fn pump(&self);
    /// Cancels the stage: its last consumer went away.
    fn cancel(&self);
    /// Ends the stage with [`Error::PoolGone`](crate::Error::PoolGone), keeping buffered items.
    fn shut_down(&self);
    /// Wakes the stage's waiting readers.
    fn wake_readers(&self);
    /// A stream source's waker fired.
    fn source_woken(&self) {
        self.pump();
    }
}

thread_local! {
    /// The pool whose chunk this thread is running (its address; 0 for none).
    static RUNNING: Cell<usize> = const { Cell::new(0) };
    /// The chunk this thread runs next, queued by the chunk it is running.
    static NEXT: RefCell<Option<Arc<dyn Node>>> = const { RefCell::new(None) };
}

/// How many times an idle worker looks at the queue before it sleeps: waking a sleeping thread
/// on another vCPU costs tens of microseconds here, a few spins cost far less.
const SPINS: u32 = 64;

pub(crate) struct PoolInner {
    queue: ConcurrentQueue<Arc<dyn Node>>,
    /// Idle workers wait here for a queued chunk.
    jobs: Event,
    /// Readers of an inline pool wait here: a chunk was queued or some output changed.
    pub(crate) activity: Event,
    target: AtomicUsize,
    live: AtomicUsize,
    closed: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stages: Mutex<Vec<Weak<dyn Node>>>,
    live_stages: AtomicUsize,
}

impl PoolInner {
    /// No worker threads wanted: readers run the chunks.
    pub(crate) fn inline(&self) -> bool {
        self.target.load(Ordering::Acquire) == 0
    }

    pub(crate) fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn id(&self) -> usize {
        self as *const PoolInner as usize
    }

    /// Queues one chunk of `node`. A chunk queued while this thread runs one of the pool's
    /// chunks (typically: the next stage's chunk, for the items just produced) runs next on
    /// this thread, while its items are in cache; other chunks go to the shared queue.
    pub(crate) fn submit(&self, node: Arc<dyn Node>) {
        let node = if RUNNING.get() == self.id() {
            match NEXT.with(|next| {
                let mut next = next.borrow_mut();
                if next.is_none() {
                    *next = Some(node);
                    None
                } else {
                    Some(node)
                }
            }) {
                None => return,
                Some(node) => node,
            }
        } else {
            node
        };
        if self.queue.push(node).is_err() {
            return; // closed: the pool is gone and its stages are shut down
        }
        if self.inline() {
            self.activity.notify(usize::MAX);
        } else {
            self.jobs.notify_additional(1);
        }
    }

    /// Runs `pump` as if this thread were one of the pool's workers: the first chunk it
    /// queues runs here and now (with the chunks that one hands on), instead of waiting in the
    /// shared queue for a worker that the caller would then have to wait for. True when a
    /// chunk ran.
    pub(crate) fn pump_here(&self, pump: impl FnOnce()) -> bool {
        // A chunk of another pool may wait in this thread's slot (a stage's code reading from
        // this pool): set it aside until this pool's chain is done.
        let outer = RUNNING.replace(self.id());
        let waiting = NEXT.take();
        pump();
        let mut ran = false;
        while let Some(next) = NEXT.take() {
            next.run_one();
            ran = true;
        }
        NEXT.set(waiting);
        RUNNING.set(outer);
        ran
    }

    /// Runs one queued chunk in the calling thread, then the chunks it hands on to this thread;
    /// false when none was queued.
    pub(crate) fn run_one_job(&self) -> bool {
        let Ok(node) = self.queue.pop() else {
            return false;
        };
        self.pump_here(|| node.run_one());
        true
    }

    pub(crate) fn register(&self, node: Weak<dyn Node>) {
        let mut stages = lock(&self.stages);
        stages.retain(|s| s.strong_count() > 0);
        stages.push(node);
        self.live_stages.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn stage_gone(&self) {
        self.live_stages.fetch_sub(1, Ordering::AcqRel);
    }

    fn stages(&self) -> Vec<Arc<dyn Node>> {
        let stages = lock(&self.stages);
        stages.iter().filter_map(Weak::upgrade).collect()
    }

    fn worker(self: Arc<Self>) {
        loop {
            if self.closed() {
                self.live.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            let live = self.live.load(Ordering::Acquire);
            if live > self.target.load(Ordering::Acquire) {
                // Retire between chunks; the compare-exchange keeps two retirees from
                // undershooting the target.
                if self
                    .live
                    .compare_exchange(live, live - 1, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            if self.run_one_job() {
                continue;
            }
            if (0..SPINS).any(|i| {
                if i < SPINS / 2 {
                    std::hint::spin_loop();
                } else {
                    thread::yield_now();
                }
                !self.queue.is_empty()
            }) {
                continue;
            }
            let listener = self.jobs.listen();
            if !self.queue.is_empty()
                || self.closed()
                || self.live.load(Ordering::Acquire) > self.target.load(Ordering::Acquire)
            {
                continue;
            }
            listener.wait();
        }
    }
}

/// A set of worker threads running the stages built on it.
///
/// With 0 workers the pool is *inline*: chunks run in the thread that reads, with the same
/// results. With workers, a blocking reader still runs queued chunks while it waits, like
/// rayon's caller. The worker count can change at any time, from any thread; surplus workers
/// retire between chunks. Dropping the pool ends its stages with [`Error::PoolGone`](crate::Error::PoolGone) (items
/// already buffered are still delivered) and joins its threads.
///
/// ```
/// use taskgraph::Pool;
///
/// let pool = Pool::new(2);
/// let squares = pool.source(0..5u64).build().map(|i| Ok(i * i)).ordered(true).build();
/// assert_eq!(squares.read_all().unwrap(), [0, 1, 4, 9, 16]);
/// pool.set_workers(0).unwrap(); // now inline
/// assert_eq!(pool.workers(), 0);
/// ```
pub struct Pool {
    inner: Arc<PoolInner>,
}

impl Pool {
    /// A pool with `workers` threads; 0 makes it inline. Threads the system refuses to start
    /// are left out (see [`Pool::set_workers`] to get the error).
    pub fn new(workers: usize) -> Pool {
        let pool = Pool::inline();
        // Fewer threads than asked is still a working pool; `set_workers` reports why.
        let _ = pool.set_workers(workers);
        pool
    }

    /// A pool without threads: chunks run in the thread that reads.
    pub fn inline() -> Pool {
        Pool {
            inner: Arc::new(PoolInner {
                queue: ConcurrentQueue::unbounded(),
                jobs: Event::new(),
                activity: Event::new(),
                target: AtomicUsize::new(0),
                live: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
                threads: Mutex::new(Vec::new()),
                stages: Mutex::new(Vec::new()),
                live_stages: AtomicUsize::new(0),
            }),
        }
    }

    /// The number of workers the pool aims for.
    pub fn workers(&self) -> usize {
        self.inner.target.load(Ordering::Acquire)
    }

    /// The number of worker threads running now (retiring workers count until they finish
    /// their chunk).
    ///
    /// ```
    /// let pool = taskgraph::Pool::new(3);
    /// assert_eq!(pool.live_workers(), 3);
    /// drop(pool); // joins the threads
    /// ```
    pub fn live_workers(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// Changes the number of workers. Safe from any thread, also from inside a stage; surplus
    /// workers finish their current chunk, then exit. Fails if a thread cannot be started
    /// (the workers already started keep running).
    pub fn set_workers(&self, workers: usize) -> io::Result<()> {
        let inner = &self.inner;
        let mut threads = lock(&inner.threads);
        threads.retain(|t| !t.is_finished());
        inner.target.store(workers, Ordering::Release);
        let mut result = Ok(());
        while inner.live.load(Ordering::Acquire) < workers {
            inner.live.fetch_add(1, Ordering::AcqRel);
            let worker = Arc::clone(inner);
            match thread::Builder::new()
                .name("taskgraph-worker".into())
                .spawn(move || worker.worker())
            {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    inner.live.fetch_sub(1, Ordering::AcqRel);
                    result = Err(e);
                    break;
                }
            }
        }
        drop(threads);
        // Idle workers recheck the target; readers recheck whether they must run chunks.
        inner.jobs.notify(usize::MAX);
        inner.activity.notify(usize::MAX);
        for stage in inner.stages() {
            stage.wake_readers();
        }
        result
    }

    /// The number of stages built on this pool that are not cancelled yet.
    ///
    /// ```
    /// let pool = taskgraph::Pool::inline();
    /// let r = pool.source(0..3).build();
    /// assert_eq!(pool.num_stages(), 1);
    /// drop(r);
    /// assert_eq!(pool.num_stages(), 0);
    /// ```
    pub fn num_stages(&self) -> usize {
        self.inner.live_stages.load(Ordering::Acquire)
    }

    /// A source stage pulling from an iterator. The iterator runs on the pool, one chunk at a
    /// time, only as far as readers ask.
    ///
    /// ```
    /// let pool = taskgraph::Pool::inline();
    /// let r = pool.source(1..=3).build();
    /// assert_eq!(r.read_all().unwrap(), [1, 2, 3]);
    /// ```
    pub fn source<I>(&self, items: I) -> StageBuilder<I::Item>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        StageBuilder::source(
            Arc::clone(&self.inner),
            "source",
            Input::Iter(Box::new(items.into_iter())),
        )
    }

    /// A source stage pulling from an async [`Stream`](futures_lite::Stream). When the stream
    /// is pending, the stage waits for its waker without holding a thread.
    ///
    /// ```
    /// let pool = taskgraph::Pool::new(1);
    /// let r = pool.source_stream(futures_lite::stream::iter(vec!['a', 'b'])).build();
    /// assert_eq!(r.read_all().unwrap(), ['a', 'b']);
    /// ```
    pub fn source_stream<S>(&self, stream: S) -> StageBuilder<S::Item>
    where
        S: futures_lite::Stream + Send + 'static,
        S::Item: Send + 'static,
    {
        StageBuilder::source(
            Arc::clone(&self.inner),
            "stream",
            Input::Stream(Box::pin(stream)),
        )
    }

    pub(crate) fn inner(&self) -> &Arc<PoolInner> {
        &self.inner
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers())
            .field("live_workers", &self.live_workers())
            .field("num_stages", &self.num_stages())
            .finish()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.closed.store(true, Ordering::Release);
        inner.queue.close();
        // Queued entries hold their stages; release them before the stages shut down.
        while inner.queue.pop().is_ok() {}
        for stage in inner.stages() {
            stage.shut_down();
        }
        inner.jobs.notify(usize::MAX);
        inner.activity.notify(usize::MAX);
        let threads = std::mem::take(&mut *lock(&inner.threads));
        let me = thread::current().id();
        for t in threads {
            // A stage's own code may drop the pool; that worker exits when its chunk ends.
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}
