//! Runtime benchmarks: evloop against tokio (current-thread) and async-executor.
//!
//! Every row runs one workload on the three runtimes side by side, as the benchmark ids
//! `<row>/evloop`, `<row>/tokio` and `<row>/async-executor`. The local rows are written once,
//! generic over [`Rt`], so the three runtimes run exactly the same code and only the executor
//! differs:
//!
//! - evloop: one [`evloop::EventLoop`] per row, `block_on` per iteration, `spawn_local` tasks.
//! - tokio: a current-thread runtime (`enable_all`) with a [`tokio::task::LocalSet`], so its
//!   tasks are `!Send`-capable local tasks like the other two.
//! - async-executor: an [`async_executor::LocalExecutor`] driven by `async_io::block_on`.
//!
//! The combinator rows use each runtime's own tool for the job, behind [`Rt::task_group`],
//! [`Rt::timeout`] and [`Rt::join_all`]: evloop's `TaskGroup`, `timeout` and `join_all`; tokio's
//! `JoinSet`, `time::timeout` and `futures::future::join_all`; and for async-executor (smol's
//! executor, which has no such tools) the code a smol user writes: spawned tasks whose handles
//! are awaited, `FutureExt::or` against an `async_io::Timer`, and `futures::future::join_all`.
//!
//! Channels are `tokio::sync::oneshot` everywhere (it is runtime-agnostic). `spawn_remote`
//! spawns `Send` tasks from another thread: evloop's `LoopHandle`, tokio's `Handle`, and an
//! `Arc<async_executor::Executor>`.
//!
//! Each workload's result is checked once before it is timed. `python3 benches/ratios.py`
//! prints the medians as a table afterwards.

use std::convert::Infallible;
use std::fmt::Debug;
use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use futures_lite::FutureExt;
use futures_lite::future::poll_once;
use tokio::sync::oneshot;

/// Tasks spawned by `spawn_many`.
const SPAWN_MANY: usize = 10_000;
/// Tasks in `yield_now`, and how often each yields.
const YIELD_TASKS: usize = 100;
const YIELDS: usize = 100;
/// Message hops between the two `ping_pong` tasks.
const HOPS: usize = 1000;
/// Tasks in the `chained_spawn` chain.
const CHAIN: usize = 1000;
/// Timers created and dropped per iteration of the `timer_insert_cancel_*` rows.
const TIMERS: usize = 1000;
/// The delay of those timers.
const TIMER_DELAY: Duration = Duration::from_secs(1);
/// Pending timers held for the whole of `timer_insert_cancel_1m`, due 10..20 s after creation.
const HELD_TIMERS: usize = 1_000_000;
const HELD_MIN: Duration = Duration::from_secs(10);
const HELD_SPREAD_NANOS: u64 = 10_000_000_000;
/// Tasks in `sleeps_100k`, and how long each sleeps.
const SLEEPERS: usize = 100_000;
const SLEEP: Duration = Duration::from_millis(1);
/// Tasks spawned from another thread in `spawn_remote`.
const REMOTE: usize = 1000;
/// Children of the group in `task_group_10k`.
const GROUP: usize = 10_000;
/// Timeouts awaited one after another in `timeout_ready`, and their (never reached) deadline.
const TIMEOUTS: usize = 10_000;
const TIMEOUT: Duration = Duration::from_secs(1);
/// Futures joined in `gather_10k`.
const GATHER: usize = 10_000;

/// `0 + 1 + ... + (n - 1)`: what the rows that sum their indices expect.
const fn sum_below(n: usize) -> usize {
    n * (n - 1) / 2
}

// ---------------------------------------------------------------------------------------------
// The three runtimes behind one interface.

/// A single-threaded runtime: run a future to completion, spawn local tasks, sleep, yield.
trait Rt: Clone + 'static {
    /// The benchmark id of this runtime.
    const NAME: &'static str;
    /// A task's handle; awaiting it gives the task's output (a failed task panics).
    type Join<T: 'static>: Future<Output = T> + Unpin;
    type Sleep: Future;

    fn block_on<F: Future>(&self, future: F) -> F::Output;
    fn spawn<F: Future + 'static>(&self, future: F) -> Self::Join<F::Output>;
    /// Spawns a task that runs to completion without a handle.
    fn spawn_detached<F: Future<Output = ()> + 'static>(&self, future: F);
    fn sleep(duration: Duration) -> Self::Sleep;
    fn yield_now() -> impl Future<Output = ()>;
    /// How many timers the runtime holds, where it says.
    fn registered_timers(&self) -> Option<usize> {
        None
    }

    /// Spawns each child as a local task of one group and waits for all of them: their values
    /// (in any order), or the first error, in which case the other children are cancelled.
    fn task_group<T, E, F>(
        &self,
        children: impl IntoIterator<Item = F>,
    ) -> impl Future<Output = Result<Vec<T>, E>>
    where
        T: 'static,
        E: 'static,
        F: Future<Output = Result<T, E>> + 'static;
    /// `future`'s output, or `None` if `duration` passes first (the future is then dropped).
    fn timeout<F: Future>(duration: Duration, future: F)
    -> impl Future<Output = Option<F::Output>>;
    /// Polls all `futures` concurrently inside the awaiting task; their outputs in order.
    fn join_all<F: Future>(
        futures: impl IntoIterator<Item = F>,
    ) -> impl Future<Output = Vec<F::Output>>;
}

/// A task handle whose output is a `Result`, unwrapped.
struct Join<H>(H);

impl<H, T, E> Future for Join<H>
where
    H: Future<Output = Result<T, E>> + Unpin,
    E: Debug,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|out| out.expect("task failed"))
    }
}

#[derive(Clone)]
struct Ev {
    lp: Rc<evloop::EventLoop>,
}

impl Ev {
    fn new() -> Ev {
        Ev {
            lp: Rc::new(evloop::EventLoop::new().expect("evloop event loop")),
        }
    }
}

impl Rt for Ev {
    const NAME: &'static str = "evloop";
    type Join<T: 'static> = Join<evloop::Task<T>>;
    type Sleep = evloop::Timer;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.lp.block_on(future).expect("evloop block_on")
    }

    fn spawn<F: Future + 'static>(&self, future: F) -> Self::Join<F::Output> {
        Join(self.lp.spawn_local(future))
    }

    fn spawn_detached<F: Future<Output = ()> + 'static>(&self, future: F) {
        self.lp.spawn_local(future).detach();
    }

    fn sleep(duration: Duration) -> evloop::Timer {
        evloop::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> {
        evloop::yield_now()
    }

    fn registered_timers(&self) -> Option<usize> {
        // `Loop`'s Debug output reports its timer count; a sanity check only.
        let debug = format!("{:?}", **self.lp);
        let rest = &debug[debug.find("timers: ")? + "timers: ".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    async fn task_group<T, E, F>(&self, children: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
    where
        T: 'static,
        E: 'static,
        F: Future<Output = Result<T, E>> + 'static,
    {
        let group = evloop::TaskGroup::new();
        for child in children {
            group.spawn(child).expect("the group is open");
        }
        group.join().await.map_err(|error| match error {
            evloop::GroupError::Failed(error) => error,
            evloop::GroupError::Panicked(payload) => std::panic::resume_unwind(payload),
        })
    }

    async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
        evloop::timeout(duration, future).await.ok()
    }

    fn join_all<F: Future>(
        futures: impl IntoIterator<Item = F>,
    ) -> impl Future<Output = Vec<F::Output>> {
        evloop::join_all(futures)
    }
}

#[derive(Clone)]
struct Tok {
    rt: Rc<tokio::runtime::Runtime>,
    local: Rc<tokio::task::LocalSet>,
}

impl Tok {
    fn new() -> Tok {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        Tok {
            rt: Rc::new(rt),
            local: Rc::new(tokio::task::LocalSet::new()),
        }
    }
}

impl Rt for Tok {
    const NAME: &'static str = "tokio";
    type Join<T: 'static> = Join<tokio::task::JoinHandle<T>>;
    type Sleep = tokio::time::Sleep;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.local.block_on(&self.rt, future)
    }

    fn spawn<F: Future + 'static>(&self, future: F) -> Self::Join<F::Output> {
        Join(tokio::task::spawn_local(future))
    }

    fn spawn_detached<F: Future<Output = ()> + 'static>(&self, future: F) {
        drop(tokio::task::spawn_local(future)); // dropping a JoinHandle detaches
    }

    fn sleep(duration: Duration) -> tokio::time::Sleep {
        tokio::time::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> {
        tokio::task::yield_now()
    }

    async fn task_group<T, E, F>(&self, children: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
    where
        T: 'static,
        E: 'static,
        F: Future<Output = Result<T, E>> + 'static,
    {
        let mut set = tokio::task::JoinSet::new();
        for child in children {
            set.spawn_local(child);
        }
        let mut values = Vec::with_capacity(set.len());
        while let Some(joined) = set.join_next().await {
            // An `Err` returns early; dropping the set aborts the other children.
            values.push(joined.expect("task failed")?);
        }
        Ok(values)
    }

    async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(duration, future).await.ok()
    }

    fn join_all<F: Future>(
        futures: impl IntoIterator<Item = F>,
    ) -> impl Future<Output = Vec<F::Output>> {
        futures::future::join_all(futures)
    }
}

#[derive(Clone)]
struct Ae {
    ex: Rc<async_executor::LocalExecutor<'static>>,
}

impl Ae {
    fn new() -> Ae {
        Ae {
            ex: Rc::new(async_executor::LocalExecutor::new()),
        }
    }
}

impl Rt for Ae {
    const NAME: &'static str = "async-executor";
    type Join<T: 'static> = async_executor::Task<T>;
    type Sleep = async_io::Timer;

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_io::block_on(self.ex.run(future))
    }

    fn spawn<F: Future + 'static>(&self, future: F) -> Self::Join<F::Output> {
        self.ex.spawn(future)
    }

    fn spawn_detached<F: Future<Output = ()> + 'static>(&self, future: F) {
        self.ex.spawn(future).detach();
    }

    fn sleep(duration: Duration) -> async_io::Timer {
        async_io::Timer::after(duration)
    }

    fn yield_now() -> impl Future<Output = ()> {
        futures_lite::future::yield_now()
    }

    /// smol has no task group: spawn the children and await their handles in order.
    async fn task_group<T, E, F>(&self, children: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
    where
        T: 'static,
        E: 'static,
        F: Future<Output = Result<T, E>> + 'static,
    {
        let handles: Vec<_> = children
            .into_iter()
            .map(|child| self.ex.spawn(child))
            .collect();
        let mut values = Vec::with_capacity(handles.len());
        for handle in handles {
            // An `Err` returns early; dropping the remaining handles cancels those children.
            values.push(handle.await?);
        }
        Ok(values)
    }

    /// smol has no timeout function; its docs (`async_io::Timer`) show racing the future
    /// against a timer with `FutureExt::or`, which is what smol code does. `or` polls the
    /// future first, and the timer is created inside the second async block, so a future that
    /// is ready at once never reads the clock or makes a timer. evloop's and tokio's timeouts
    /// also poll the future first, but fix their deadline (one clock read) when created.
    async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
        async { Some(future.await) }
            .or(async {
                async_io::Timer::after(duration).await;
                None
            })
            .await
    }

    fn join_all<F: Future>(
        futures: impl IntoIterator<Item = F>,
    ) -> impl Future<Output = Vec<F::Output>> {
        futures::future::join_all(futures)
    }
}

// ---------------------------------------------------------------------------------------------
// The workloads. Each returns a count that is checked once before timing.

trait Workload {
    const NAME: &'static str;
    const EXPECT: usize;
    fn run<R: Rt>(rt: &R) -> usize;
}

struct SpawnOne;

impl Workload for SpawnOne {
    const NAME: &'static str = "spawn_one";
    const EXPECT: usize = 1;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async { rt.spawn(async { 1 }).await })
    }
}

struct SpawnMany;

impl Workload for SpawnMany {
    const NAME: &'static str = "spawn_many";
    const EXPECT: usize = SPAWN_MANY;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let handles: Vec<_> = (0..SPAWN_MANY).map(|_| rt.spawn(async { 1 })).collect();
            let mut done = 0;
            for handle in handles {
                done += handle.await;
            }
            done
        })
    }
}

struct YieldNow;

impl Workload for YieldNow {
    const NAME: &'static str = "yield_now";
    const EXPECT: usize = YIELD_TASKS * YIELDS;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let handles: Vec<_> = (0..YIELD_TASKS)
                .map(|_| {
                    rt.spawn(async {
                        for _ in 0..YIELDS {
                            R::yield_now().await;
                        }
                        YIELDS
                    })
                })
                .collect();
            let mut yields = 0;
            for handle in handles {
                yields += handle.await;
            }
            yields
        })
    }
}

/// The message of `ping_pong`: how many hops it has made, and where to send it next.
struct Ball {
    hops: usize,
    reply: oneshot::Sender<Ball>,
}

/// Receives the ball and sends it back until it has made [`HOPS`] hops; returns the hop count
/// if this player caught the last one, else 0.
async fn player(mut inbox: oneshot::Receiver<Ball>) -> usize {
    loop {
        let Ok(ball) = inbox.await else {
            return 0; // the other player kept the ball: the game is over
        };
        if ball.hops == HOPS {
            return ball.hops;
        }
        let (reply, next) = oneshot::channel();
        let sent = ball.reply.send(Ball {
            hops: ball.hops + 1,
            reply,
        });
        assert!(sent.is_ok(), "the other player left early");
        inbox = next;
    }
}

struct PingPong;

impl Workload for PingPong {
    const NAME: &'static str = "ping_pong";
    const EXPECT: usize = HOPS;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let (to_a, inbox_a) = oneshot::channel();
            let (to_b, inbox_b) = oneshot::channel();
            let a = rt.spawn(player(inbox_a));
            let b = rt.spawn(player(inbox_b));
            let serve = to_a.send(Ball {
                hops: 0,
                reply: to_b,
            });
            assert!(serve.is_ok());
            a.await + b.await
        })
    }
}

/// Spawns task number `depth`, which spawns the next, up to [`CHAIN`]; the last one reports
/// its depth through `done`.
fn chain<R: Rt>(rt: R, depth: usize, done: oneshot::Sender<usize>) {
    let next = rt.clone();
    rt.spawn_detached(async move {
        if depth == CHAIN {
            let _ = done.send(depth);
        } else {
            chain(next, depth + 1, done);
        }
    });
}

struct ChainedSpawn;

impl Workload for ChainedSpawn {
    const NAME: &'static str = "chained_spawn";
    const EXPECT: usize = CHAIN;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let (done, deepest) = oneshot::channel();
            chain(rt.clone(), 1, done);
            deepest.await.expect("the chain broke")
        })
    }
}

/// Creates [`TIMERS`] timers one after another, polls each once so it registers, drops it;
/// returns how many registered (were still pending after their poll).
async fn insert_cancel<R: Rt>() -> usize {
    let mut registered = 0;
    for _ in 0..TIMERS {
        let mut timer = pin!(R::sleep(TIMER_DELAY));
        if poll_once(timer.as_mut()).await.is_none() {
            registered += 1;
        }
    }
    registered
}

struct TimerInsertCancel;

impl Workload for TimerInsertCancel {
    const NAME: &'static str = "timer_insert_cancel_0";
    const EXPECT: usize = TIMERS;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(insert_cancel::<R>())
    }
}

struct Sleeps;

impl Workload for Sleeps {
    const NAME: &'static str = "sleeps_100k";
    const EXPECT: usize = SLEEPERS;

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let handles: Vec<_> = (0..SLEEPERS)
                .map(|_| {
                    rt.spawn(async {
                        R::sleep(SLEEP).await;
                        1
                    })
                })
                .collect();
            let mut slept = 0;
            for handle in handles {
                slept += handle.await;
            }
            slept
        })
    }
}

struct TaskGroup10k;

impl Workload for TaskGroup10k {
    const NAME: &'static str = "task_group_10k";
    const EXPECT: usize = sum_below(GROUP);

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let children = (0..GROUP).map(|i| async move { Ok::<_, Infallible>(i) });
            let values = rt.task_group(children).await.expect("no child fails");
            values.into_iter().sum()
        })
    }
}

struct TimeoutReady;

impl Workload for TimeoutReady {
    const NAME: &'static str = "timeout_ready";
    const EXPECT: usize = sum_below(TIMEOUTS);

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let mut sum = 0;
            for i in 0..TIMEOUTS {
                // `black_box` keeps the loop from being folded into a constant.
                let ready = std::future::ready(black_box(i));
                sum += R::timeout(TIMEOUT, ready)
                    .await
                    .expect("ready before the deadline");
            }
            sum
        })
    }
}

struct Gather10k;

impl Workload for Gather10k {
    const NAME: &'static str = "gather_10k";
    const EXPECT: usize = sum_below(GATHER);

    fn run<R: Rt>(rt: &R) -> usize {
        rt.block_on(async {
            let futures = (0..GATHER).map(|i| async move {
                R::yield_now().await;
                i
            });
            R::join_all(futures).await.into_iter().sum()
        })
    }
}

/// [`HELD_TIMERS`] timers, each polled once inside the runtime so that it is registered, due at
/// spread-out instants 10..20 s from now. They stay registered until dropped.
fn hold_timers<R: Rt>(rt: &R) -> Vec<Pin<Box<R::Sleep>>> {
    rt.block_on(async {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut held = Vec::with_capacity(HELD_TIMERS);
        for _ in 0..HELD_TIMERS {
            // xorshift64: a cheap, fixed pseudo-random spread of the deadlines.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let delay = HELD_MIN + Duration::from_nanos(state % HELD_SPREAD_NANOS);
            let mut timer = Box::pin(R::sleep(delay));
            assert!(poll_once(timer.as_mut()).await.is_none());
            held.push(timer);
        }
        held
    })
}

/// How many of `held` are still pending (none has fired).
fn still_pending<R: Rt>(rt: &R, held: &mut [Pin<Box<R::Sleep>>]) -> usize {
    rt.block_on(async {
        let mut pending = 0;
        for timer in held.iter_mut() {
            if poll_once(timer.as_mut()).await.is_none() {
                pending += 1;
            }
        }
        pending
    })
}

// ---------------------------------------------------------------------------------------------
// spawn_remote: `Send` tasks spawned from another thread.

/// Spawns `Send` tasks onto a runtime from any thread.
trait Spawner: Clone + Send + 'static {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F);
}

impl Spawner for evloop::LoopHandle {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.spawn(future).detach();
    }
}

impl Spawner for tokio::runtime::Handle {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(self.spawn(future));
    }
}

impl Spawner for Arc<async_executor::Executor<'static>> {
    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        self.spawn(future).detach();
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// One long-lived thread that runs the jobs it is sent.
struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Worker {
    fn new() -> Worker {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let thread = thread::spawn(move || {
            for job in inbox {
                job();
            }
        });
        Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    fn run(&self, job: Job) {
        let jobs = self.jobs.as_ref().expect("worker running");
        jobs.send(job).expect("worker thread alive");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            thread.join().expect("worker thread panicked");
        }
    }
}

/// Counts finished remote tasks; the last one fires `last`.
struct Countdown {
    finished: AtomicUsize,
    last: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    fn hit(&self) {
        if self.finished.fetch_add(1, Ordering::AcqRel) + 1 == REMOTE {
            let last = self.last.lock().expect("countdown lock").take();
            if let Some(last) = last {
                let _ = last.send(());
            }
        }
    }
}

/// The worker thread spawns [`REMOTE`] tasks through `spawner`; `wait` runs the loop on this
/// thread until the last of them fires the channel it is given. Returns how many finished.
fn spawn_remote<S: Spawner>(
    worker: &Worker,
    spawner: &S,
    wait: impl FnOnce(oneshot::Receiver<()>),
) -> usize {
    let (last, all_done) = oneshot::channel();
    let countdown = Arc::new(Countdown {
        finished: AtomicUsize::new(0),
        last: Mutex::new(Some(last)),
    });
    let (spawner, tasks) = (spawner.clone(), countdown.clone());
    worker.run(Box::new(move || {
        for _ in 0..REMOTE {
            let countdown = tasks.clone();
            spawner.spawn_detached(async move { countdown.hit() });
        }
    }));
    wait(all_done);
    countdown.finished.load(Ordering::Acquire)
}

// ---------------------------------------------------------------------------------------------
// Criterion.

fn group<'a>(c: &'a mut Criterion, name: &str, samples: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(samples);
    if samples < 20 {
        // Slow rows: one batch of iterations per sample, so that 10 samples fit in 2 s.
        group.sampling_mode(SamplingMode::Flat);
    }
    group
}

fn bench_on<W: Workload, R: Rt>(group: &mut BenchmarkGroup<'_, WallTime>, rt: &R) {
    let mut checked = false;
    group.bench_function(R::NAME, |b| {
        if !checked {
            assert_eq!(W::run(rt), W::EXPECT, "{}/{}", W::NAME, R::NAME);
            checked = true;
        }
        b.iter(|| black_box(W::run(rt)));
    });
}

fn bench_row<W: Workload>(c: &mut Criterion, samples: usize) {
    let mut group = group(c, W::NAME, samples);
    bench_on::<W, _>(&mut group, &Ev::new());
    bench_on::<W, _>(&mut group, &Tok::new());
    bench_on::<W, _>(&mut group, &Ae::new());
    group.finish();
}

fn bench_held_on<R: Rt>(group: &mut BenchmarkGroup<'_, WallTime>, rt: &R) {
    let mut held = None;
    group.bench_function(R::NAME, |b| {
        held.get_or_insert_with(|| {
            let held = hold_timers(rt);
            if let Some(n) = rt.registered_timers() {
                assert_eq!(n, HELD_TIMERS, "held timers are registered");
            }
            assert_eq!(rt.block_on(insert_cancel::<R>()), TIMERS);
            held
        });
        b.iter(|| black_box(rt.block_on(insert_cancel::<R>())));
    });
    if let Some(mut held) = held {
        let pending = still_pending(rt, &mut held);
        assert_eq!(
            pending,
            HELD_TIMERS,
            "timer_insert_cancel_1m/{}: held timers fired during the measurement",
            R::NAME
        );
    }
}

fn bench_held(c: &mut Criterion) {
    let mut group = group(c, "timer_insert_cancel_1m", 20);
    bench_held_on(&mut group, &Ev::new());
    bench_held_on(&mut group, &Tok::new());
    bench_held_on(&mut group, &Ae::new());
    group.finish();
}

fn bench_remote_on<S: Spawner>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    spawner: &S,
    wait: impl Fn(oneshot::Receiver<()>),
) {
    let worker = Worker::new();
    let mut checked = false;
    group.bench_function(name, |b| {
        if !checked {
            assert_eq!(spawn_remote(&worker, spawner, &wait), REMOTE, "{name}");
            checked = true;
        }
        b.iter(|| black_box(spawn_remote(&worker, spawner, &wait)));
    });
}

fn bench_remote(c: &mut Criterion) {
    let mut group = group(c, "spawn_remote", 20);

    let lp = evloop::EventLoop::new().expect("evloop event loop");
    bench_remote_on(&mut group, Ev::NAME, &lp.handle(), |done| {
        lp.block_on(done).expect("evloop block_on").expect("done");
    });
    drop(lp);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    bench_remote_on(&mut group, Tok::NAME, rt.handle(), |done| {
        rt.block_on(done).expect("done");
    });
    drop(rt);

    let ex = Arc::new(async_executor::Executor::new());
    bench_remote_on(&mut group, Ae::NAME, &ex, |done| {
        async_io::block_on(ex.run(done)).expect("done");
    });

    group.finish();
}

fn runtime(c: &mut Criterion) {
    bench_row::<SpawnOne>(c, 20);
    bench_row::<SpawnMany>(c, 20);
    bench_row::<YieldNow>(c, 20);
    bench_row::<PingPong>(c, 20);
    bench_row::<ChainedSpawn>(c, 20);
    bench_row::<TimerInsertCancel>(c, 20);
    bench_held(c);
    bench_row::<Sleeps>(c, 10);
    bench_remote(c);
    bench_row::<TaskGroup10k>(c, 20);
    bench_row::<TimeoutReady>(c, 20);
    bench_row::<Gather10k>(c, 20);
}

criterion_group!(benches, runtime);
criterion_main!(benches);
