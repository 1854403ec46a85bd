//! Synchronization benchmarks: `evloop::sync` against `tokio::sync`, `async-lock`,
//! `async-channel` and `event-listener`.
//!
//! Every row runs one workload on each implementation side by side, as the benchmark ids
//! `<row>/<impl>`: `evloop` (`evloop::sync`, the `loop-sync` crate), `tokio` (`tokio::sync`),
//! `async-lock` for the locks and semaphores, `async-channel` for the queues and
//! `event-listener` for the event. The workloads are written once, generic over a small trait
//! per kind of primitive ([`AsyncMutex`], [`AsyncSemaphore`], [`Channel`], [`Flag`],
//! [`BlockingChannel`]), so every implementation runs exactly the same code.
//!
//! **One executor for all.** Every async row runs on evloop's single-threaded
//! [`evloop::EventLoop`] (`block_on` per iteration, tasks from `evloop::spawn_local`, yields
//! from `evloop::yield_now`), whichever primitive it measures: all of these primitives are
//! runtime-agnostic, and keeping the executor fixed means only the primitive differs between
//! the columns of a row. (Running tokio's primitives on tokio's runtime would mix the cost of
//! the executor into the comparison; `benches/runtime.rs` compares executors.) Outside a tokio
//! runtime tokio's cooperative budget is unconstrained, so its primitives never force a yield.
//!
//! Peers, where the crates differ in shape:
//!
//! - `queue_mpmc_bounded/tokio`: tokio has no multi-consumer channel, so its consumers share the
//!   `mpsc::Receiver` behind a `tokio::sync::Mutex`, the usual tokio idiom (a consumer holds the
//!   lock while it waits for an item).
//! - `event_set_wait`: asyncio's `Event` is a flag plus a set of waiters. Neither peer has that
//!   type, so each is a flag (`AtomicBool`) plus its crate's closest tool to wake every waiter:
//!   `tokio::sync::Notify` with `notify_waiters` (a `Notified` future counts from the moment it
//!   is created, so the waiter creates it, then checks the flag, then awaits it), and an
//!   `event_listener::Event` (what async-lock itself is built on; listen, check the flag, await,
//!   then `notify(usize::MAX)` to set). evloop's `Event` keeps its own intrusive waiter list
//!   (`set` takes the whole list out under one lock and wakes everyone after it).
//! - `queue_threads`: two plain threads and no executor: `put_blocking`/`get_blocking`
//!   (evloop), `blocking_send`/`blocking_recv` (tokio), `send_blocking`/`recv_blocking`
//!   (async-channel).
//!
//! Each workload's result is checked once before it is timed. `python3 benches/ratios.py`
//! prints the medians as a table afterwards.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::ops::DerefMut;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};

/// Lock and unlock cycles in `mutex_uncontended`.
const LOCKS: usize = 1000;
/// Tasks in `mutex_contended`, how often each locks, and every how many locks it yields while
/// holding the lock.
const LOCK_TASKS: usize = 100;
const LOCKS_PER_TASK: usize = 100;
const YIELD_EVERY: usize = 10;
/// Acquire and release cycles in `semaphore`.
const ACQUIRES: usize = 1000;
/// Tasks in `semaphore_contended`, the semaphore's permits, and how often each task acquires.
const SEM_TASKS: usize = 100;
const SEM_PERMITS: usize = 10;
const ACQUIRES_PER_TASK: usize = 100;
/// Capacity of the async queues and the items sent through each per iteration.
const QUEUE_CAPACITY: usize = 64;
const QUEUE_ITEMS: usize = 10_000;
/// Producers and consumers in `queue_mpmc_bounded`.
const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
/// What the MPMC producers' driver sends each consumer to stop it (items are below this).
const STOP: usize = usize::MAX;
/// Waiters and rounds of `event_set_wait`.
const WAITERS: usize = 100;
const ROUNDS: usize = 100;
/// Capacity of the queue and the items sent through it in `queue_threads`.
const THREAD_CAPACITY: usize = 1024;
const THREAD_ITEMS: usize = 100_000;

/// `0 + 1 + ... + (n - 1)`: what the queue rows, which sum the items received, expect.
const fn sum_below(n: usize) -> usize {
    n * (n - 1) / 2
}

/// The benchmark ids of the implementations.
const EVLOOP: &str = "evloop";
const TOKIO: &str = "tokio";
const ASYNC_LOCK: &str = "async-lock";
const ASYNC_CHANNEL: &str = "async-channel";
const EVENT_LISTENER: &str = "event-listener";

// ---------------------------------------------------------------------------------------------
// The executor: evloop's loop for every row.

/// Runs `future` to completion on `lp`.
fn block_on<F: Future>(lp: &evloop::EventLoop, future: F) -> F::Output {
    lp.block_on(future).expect("evloop block_on")
}

/// Spawns a local task on the running loop; awaiting the result gives its output.
fn spawn<F>(future: F) -> impl Future<Output = F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let task = evloop::spawn_local(future);
    async move { task.await.expect("task failed") }
}

// ---------------------------------------------------------------------------------------------
// Mutexes.

/// An async mutex around a `usize`.
trait AsyncMutex: 'static {
    const NAME: &'static str;
    type Guard<'a>: DerefMut<Target = usize>
    where
        Self: 'a;

    fn create(value: usize) -> Self;
    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>>;
}

impl AsyncMutex for evloop::sync::Mutex<usize> {
    const NAME: &'static str = EVLOOP;
    type Guard<'a> = evloop::sync::MutexGuard<'a, usize>;

    fn create(value: usize) -> Self {
        evloop::sync::Mutex::new(value)
    }

    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> {
        self.lock()
    }
}

impl AsyncMutex for tokio::sync::Mutex<usize> {
    const NAME: &'static str = TOKIO;
    type Guard<'a> = tokio::sync::MutexGuard<'a, usize>;

    fn create(value: usize) -> Self {
        tokio::sync::Mutex::new(value)
    }

    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> {
        self.lock()
    }
}

impl AsyncMutex for async_lock::Mutex<usize> {
    const NAME: &'static str = ASYNC_LOCK;
    type Guard<'a> = async_lock::MutexGuard<'a, usize>;

    fn create(value: usize) -> Self {
        async_lock::Mutex::new(value)
    }

    fn acquire(&self) -> impl Future<Output = Self::Guard<'_>> {
        self.lock()
    }
}

/// [`LOCKS`] lock, increment, unlock cycles in one task; returns the final count.
fn mutex_uncontended<M: AsyncMutex>(lp: &evloop::EventLoop) -> usize {
    block_on(lp, async {
        let mutex = M::create(0);
        for _ in 0..LOCKS {
            *mutex.acquire().await += 1;
        }
        *mutex.acquire().await
    })
}

/// [`LOCK_TASKS`] tasks each lock, increment and unlock [`LOCKS_PER_TASK`] times, yielding
/// while holding the lock every [`YIELD_EVERY`]th time so that the others queue up behind it;
/// returns the final count.
fn mutex_contended<M: AsyncMutex>(lp: &evloop::EventLoop) -> usize {
    block_on(lp, async {
        let mutex = Rc::new(M::create(0));
        let tasks: Vec<_> = (0..LOCK_TASKS)
            .map(|_| {
                let mutex = mutex.clone();
                spawn(async move {
                    for i in 1..=LOCKS_PER_TASK {
                        let mut guard = mutex.acquire().await;
                        *guard += 1;
                        if i % YIELD_EVERY == 0 {
                            evloop::yield_now().await;
                        }
                        drop(guard);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        *mutex.acquire().await
    })
}

// ---------------------------------------------------------------------------------------------
// Semaphores.

/// An async counting semaphore; dropping the permit releases it.
trait AsyncSemaphore: 'static {
    const NAME: &'static str;
    type Permit<'a>
    where
        Self: 'a;

    fn create(permits: usize) -> Self;
    fn acquire_one(&self) -> impl Future<Output = Self::Permit<'_>>;
}

impl AsyncSemaphore for evloop::sync::Semaphore {
    const NAME: &'static str = EVLOOP;
    type Permit<'a> = evloop::sync::SemaphorePermit<'a>;

    fn create(permits: usize) -> Self {
        evloop::sync::Semaphore::new(permits)
    }

    fn acquire_one(&self) -> impl Future<Output = Self::Permit<'_>> {
        self.acquire()
    }
}

impl AsyncSemaphore for tokio::sync::Semaphore {
    const NAME: &'static str = TOKIO;
    type Permit<'a> = tokio::sync::SemaphorePermit<'a>;

    fn create(permits: usize) -> Self {
        tokio::sync::Semaphore::new(permits)
    }

    async fn acquire_one(&self) -> Self::Permit<'_> {
        self.acquire().await.expect("the semaphore is never closed")
    }
}

impl AsyncSemaphore for async_lock::Semaphore {
    const NAME: &'static str = ASYNC_LOCK;
    type Permit<'a> = async_lock::SemaphoreGuard<'a>;

    fn create(permits: usize) -> Self {
        async_lock::Semaphore::new(permits)
    }

    fn acquire_one(&self) -> impl Future<Output = Self::Permit<'_>> {
        self.acquire()
    }
}

/// [`ACQUIRES`] acquire and release cycles in one task; returns how many there were.
fn semaphore<S: AsyncSemaphore>(lp: &evloop::EventLoop) -> usize {
    block_on(lp, async {
        let sem = S::create(1);
        let mut acquired = 0;
        for _ in 0..ACQUIRES {
            let permit = sem.acquire_one().await;
            acquired += 1;
            drop(permit);
        }
        acquired
    })
}

/// [`SEM_TASKS`] tasks share [`SEM_PERMITS`] permits, each acquiring, yielding and releasing
/// [`ACQUIRES_PER_TASK`] times; returns how many acquires there were. Also checks that no more
/// than [`SEM_PERMITS`] tasks ever hold a permit at once.
fn semaphore_contended<S: AsyncSemaphore>(lp: &evloop::EventLoop) -> usize {
    block_on(lp, async {
        let sem = Rc::new(S::create(SEM_PERMITS));
        let holders = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..SEM_TASKS)
            .map(|_| {
                let (sem, holders) = (sem.clone(), holders.clone());
                spawn(async move {
                    for _ in 0..ACQUIRES_PER_TASK {
                        let permit = sem.acquire_one().await;
                        holders.set(holders.get() + 1);
                        assert!(holders.get() <= SEM_PERMITS, "too many permits handed out");
                        evloop::yield_now().await;
                        holders.set(holders.get() - 1);
                        drop(permit);
                    }
                    ACQUIRES_PER_TASK
                })
            })
            .collect();
        let mut acquired = 0;
        for task in tasks {
            acquired += task.await;
        }
        acquired
    })
}

// ---------------------------------------------------------------------------------------------
// Bounded queues between tasks.

/// A bounded channel of `usize`: a marker type per implementation.
trait Channel {
    const NAME: &'static str;
    type Tx: Clone + 'static;
    type Rx: 'static;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Sends `item`, waiting for room.
    fn send(tx: &Self::Tx, item: usize) -> impl Future<Output = ()>;
    /// The next item, waiting for one.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = usize>;
}

/// evloop's `Queue`, one for both ends.
struct EvQueue;

impl Channel for EvQueue {
    const NAME: &'static str = EVLOOP;
    type Tx = Rc<evloop::sync::Queue<usize>>;
    type Rx = Rc<evloop::sync::Queue<usize>>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = Rc::new(evloop::sync::Queue::new(capacity));
        (queue.clone(), queue)
    }

    async fn send(tx: &Self::Tx, item: usize) {
        tx.put(item).await.expect("the queue is never shut down");
    }

    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.get().await.expect("the queue is never shut down")
    }
}

/// `tokio::sync::mpsc::channel`, single consumer.
struct TokioMpsc;

impl Channel for TokioMpsc {
    const NAME: &'static str = TOKIO;
    type Tx = tokio::sync::mpsc::Sender<usize>;
    type Rx = tokio::sync::mpsc::Receiver<usize>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(capacity)
    }

    async fn send(tx: &Self::Tx, item: usize) {
        tx.send(item).await.expect("the receiver is alive");
    }

    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.recv().await.expect("a sender is alive")
    }
}

/// `tokio::sync::mpsc::channel` whose receiver the consumers share behind a tokio mutex.
struct TokioSharedRx;

impl Channel for TokioSharedRx {
    const NAME: &'static str = TOKIO;
    type Tx = tokio::sync::mpsc::Sender<usize>;
    type Rx = Rc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<usize>>>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        (tx, Rc::new(tokio::sync::Mutex::new(rx)))
    }

    async fn send(tx: &Self::Tx, item: usize) {
        tx.send(item).await.expect("the receiver is alive");
    }

    async fn recv(rx: &mut Self::Rx) -> usize {
        let mut rx = rx.lock().await;
        rx.recv().await.expect("a sender is alive")
    }
}

/// `async_channel::bounded`.
struct AsyncChannel;

impl Channel for AsyncChannel {
    const NAME: &'static str = ASYNC_CHANNEL;
    type Tx = async_channel::Sender<usize>;
    type Rx = async_channel::Receiver<usize>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(capacity)
    }

    async fn send(tx: &Self::Tx, item: usize) {
        tx.send(item).await.expect("a receiver is alive");
    }

    async fn recv(rx: &mut Self::Rx) -> usize {
        rx.recv().await.expect("a sender is alive")
    }
}

/// One producer task sends [`QUEUE_ITEMS`] items through a queue of [`QUEUE_CAPACITY`] to one
/// consumer task; returns the sum of the items received.
fn queue_spsc<C: Channel>(lp: &evloop::EventLoop) -> usize {
    block_on(lp, async {
        let (tx, mut rx) = C::bounded(QUEUE_CAPACITY);
        let producer = spawn(async move {
            for item in 0..QUEUE_ITEMS {
                C::send(&tx, item).await;
            }
        });
        let consumer = spawn(async move {
            let mut sum = 0;
            for _ in 0..QUEUE_ITEMS {
                sum += C::recv(&mut rx).await;
            }
            sum
        });
        producer.await;
        consumer.await
    })
}

/// [`PRODUCERS`] tasks send [`QUEUE_ITEMS`] items in all through a queue of [`QUEUE_CAPACITY`]
/// to [`CONSUMERS`] tasks; once the producers are done, one [`STOP`] per consumer ends them.
/// Returns the sum of the items received.
fn queue_mpmc<C: Channel>(lp: &evloop::EventLoop) -> usize
where
    C::Rx: Clone,
{
    block_on(lp, async {
        let (tx, rx) = C::bounded(QUEUE_CAPACITY);
        let per_producer = QUEUE_ITEMS / PRODUCERS;
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let tx = tx.clone();
                spawn(async move {
                    for item in p * per_producer..(p + 1) * per_producer {
                        C::send(&tx, item).await;
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let mut rx = rx.clone();
                spawn(async move {
                    let mut sum = 0;
                    loop {
                        match C::recv(&mut rx).await {
                            STOP => return sum,
                            item => sum += item,
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        for producer in producers {
            producer.await;
        }
        for _ in 0..CONSUMERS {
            C::send(&tx, STOP).await;
        }
        let mut sum = 0;
        for consumer in consumers {
            sum += consumer.await;
        }
        sum
    })
}

// ---------------------------------------------------------------------------------------------
// Events.

/// asyncio's `Event`: a flag that tasks wait to see set.
trait Flag: 'static {
    const NAME: &'static str;

    fn create() -> Self;
    /// Sets the flag and wakes every waiter.
    fn set_flag(&self);
    /// Waits until the flag is set.
    fn wait_flag(&self) -> impl Future<Output = ()>;
}

impl Flag for evloop::sync::Event {
    const NAME: &'static str = EVLOOP;

    fn create() -> Self {
        evloop::sync::Event::new()
    }

    fn set_flag(&self) {
        self.set();
    }

    fn wait_flag(&self) -> impl Future<Output = ()> {
        self.wait()
    }
}

/// A flag plus a `tokio::sync::Notify`.
struct TokioFlag {
    flag: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Flag for TokioFlag {
    const NAME: &'static str = TOKIO;

    fn create() -> Self {
        TokioFlag {
            flag: AtomicBool::new(false),
            notify: tokio::sync::Notify::new(),
        }
    }

    fn set_flag(&self) {
        self.flag.store(true, SeqCst);
        self.notify.notify_waiters();
    }

    async fn wait_flag(&self) {
        // A `Notified` receives `notify_waiters` from its creation on, polled or not: create
        // it, then check the flag, so a `set` in between is not missed.
        let notified = self.notify.notified();
        if !self.flag.load(SeqCst) {
            notified.await;
        }
    }
}

/// A flag plus an `event_listener::Event`, as async-lock's own primitives use it.
struct ListenerFlag {
    flag: AtomicBool,
    event: event_listener::Event,
}

impl Flag for ListenerFlag {
    const NAME: &'static str = EVENT_LISTENER;

    fn create() -> Self {
        ListenerFlag {
            flag: AtomicBool::new(false),
            event: event_listener::Event::new(),
        }
    }

    fn set_flag(&self) {
        self.flag.store(true, SeqCst);
        self.event.notify(usize::MAX);
    }

    async fn wait_flag(&self) {
        // event-listener's documented pattern: check, listen, check again, wait.
        while !self.flag.load(SeqCst) {
            let listener = self.event.listen();
            if self.flag.load(SeqCst) {
                break;
            }
            listener.await;
        }
    }
}

/// [`WAITERS`] tasks wait on each of [`ROUNDS`] fresh events in turn; one setter task sets each
/// event once every waiter is waiting on it. Returns how many waits completed.
fn event_set_wait<E: Flag>(lp: &evloop::EventLoop) -> usize {
    block_on(lp, async {
        let events: Rc<[E]> = (0..ROUNDS).map(|_| E::create()).collect();
        // Waiters that have started waiting on their current round's event.
        let arrived = Rc::new(Cell::new(0));
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (events, arrived) = (events.clone(), arrived.clone());
                spawn(async move {
                    let mut woken = 0;
                    for event in events.iter() {
                        // The wait registers in this same poll, before the setter runs again.
                        arrived.set(arrived.get() + 1);
                        event.wait_flag().await;
                        woken += 1;
                    }
                    woken
                })
            })
            .collect();
        let setter = spawn(async move {
            for (round, event) in events.iter().enumerate() {
                while arrived.get() < WAITERS * (round + 1) {
                    evloop::yield_now().await;
                }
                event.set_flag();
            }
        });
        setter.await;
        let mut woken = 0;
        for waiter in waiters {
            woken += waiter.await;
        }
        woken
    })
}

// ---------------------------------------------------------------------------------------------
// A bounded queue between two threads.

/// A bounded channel of `usize` used from plain threads with blocking calls.
trait BlockingChannel {
    const NAME: &'static str;
    type Tx: Send + 'static;
    type Rx: Send + 'static;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx);
    fn send_blocking(tx: &Self::Tx, item: usize);
    fn recv_blocking(rx: &mut Self::Rx) -> usize;
}

impl BlockingChannel for EvQueue {
    const NAME: &'static str = EVLOOP;
    type Tx = Arc<evloop::sync::Queue<usize>>;
    type Rx = Arc<evloop::sync::Queue<usize>>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(evloop::sync::Queue::new(capacity));
        (queue.clone(), queue)
    }

    fn send_blocking(tx: &Self::Tx, item: usize) {
        tx.put_blocking(item).expect("the queue is never shut down");
    }

    fn recv_blocking(rx: &mut Self::Rx) -> usize {
        rx.get_blocking().expect("the queue is never shut down")
    }
}

impl BlockingChannel for TokioMpsc {
    const NAME: &'static str = TOKIO;
    type Tx = tokio::sync::mpsc::Sender<usize>;
    type Rx = tokio::sync::mpsc::Receiver<usize>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(capacity)
    }

    fn send_blocking(tx: &Self::Tx, item: usize) {
        tx.blocking_send(item).expect("the receiver is alive");
    }

    fn recv_blocking(rx: &mut Self::Rx) -> usize {
        rx.blocking_recv().expect("the sender is alive")
    }
}

impl BlockingChannel for AsyncChannel {
    const NAME: &'static str = ASYNC_CHANNEL;
    type Tx = async_channel::Sender<usize>;
    type Rx = async_channel::Receiver<usize>;

    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(capacity)
    }

    fn send_blocking(tx: &Self::Tx, item: usize) {
        tx.send_blocking(item).expect("the receiver is alive");
    }

    fn recv_blocking(rx: &mut Self::Rx) -> usize {
        rx.recv_blocking().expect("the sender is alive")
    }
}

/// A producer thread sends [`THREAD_ITEMS`] items through a queue of [`THREAD_CAPACITY`] to a
/// consumer thread; returns the sum of the items received.
fn queue_threads<C: BlockingChannel>() -> usize {
    let (tx, mut rx) = C::bounded(THREAD_CAPACITY);
    thread::scope(|scope| {
        scope.spawn(move || {
            for item in 0..THREAD_ITEMS {
                C::send_blocking(&tx, item);
            }
        });
        let consumer = scope.spawn(move || {
            let mut sum = 0;
            for _ in 0..THREAD_ITEMS {
                sum += C::recv_blocking(&mut rx);
            }
            sum
        });
        consumer.join().expect("consumer thread panicked")
    })
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

/// Benchmarks one implementation of a row as `<row>/<name>`: checks `run`'s result once, then
/// times it. Each implementation gets a fresh event loop.
fn bench_on(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    expect: usize,
    run: impl Fn(&evloop::EventLoop) -> usize,
) {
    let lp = evloop::EventLoop::new().expect("evloop event loop");
    let mut checked = false;
    group.bench_function(name, |b| {
        if !checked {
            assert_eq!(run(&lp), expect, "{}", name);
            checked = true;
        }
        b.iter(|| black_box(run(&lp)));
    });
}

fn bench_mutex(c: &mut Criterion) {
    fn on<M: AsyncMutex>(group: &mut BenchmarkGroup<'_, WallTime>, contended: bool) {
        if contended {
            bench_on(
                group,
                M::NAME,
                LOCK_TASKS * LOCKS_PER_TASK,
                mutex_contended::<M>,
            );
        } else {
            bench_on(group, M::NAME, LOCKS, mutex_uncontended::<M>);
        }
    }
    for (row, contended) in [("mutex_uncontended", false), ("mutex_contended", true)] {
        let mut group = group(c, row, 20);
        on::<evloop::sync::Mutex<usize>>(&mut group, contended);
        on::<tokio::sync::Mutex<usize>>(&mut group, contended);
        on::<async_lock::Mutex<usize>>(&mut group, contended);
        group.finish();
    }
}

fn bench_semaphore(c: &mut Criterion) {
    fn on<S: AsyncSemaphore>(group: &mut BenchmarkGroup<'_, WallTime>, contended: bool) {
        if contended {
            let expect = SEM_TASKS * ACQUIRES_PER_TASK;
            bench_on(group, S::NAME, expect, semaphore_contended::<S>);
        } else {
            bench_on(group, S::NAME, ACQUIRES, semaphore::<S>);
        }
    }
    for (row, contended) in [("semaphore", false), ("semaphore_contended", true)] {
        let mut group = group(c, row, 20);
        on::<evloop::sync::Semaphore>(&mut group, contended);
        on::<tokio::sync::Semaphore>(&mut group, contended);
        on::<async_lock::Semaphore>(&mut group, contended);
        group.finish();
    }
}

fn bench_queues(c: &mut Criterion) {
    fn spsc<C: Channel>(group: &mut BenchmarkGroup<'_, WallTime>) {
        bench_on(group, C::NAME, sum_below(QUEUE_ITEMS), queue_spsc::<C>);
    }
    fn mpmc<C: Channel<Rx: Clone>>(group: &mut BenchmarkGroup<'_, WallTime>) {
        bench_on(group, C::NAME, sum_below(QUEUE_ITEMS), queue_mpmc::<C>);
    }
    let mut spsc_row = group(c, "queue_spsc_bounded", 20);
    spsc::<EvQueue>(&mut spsc_row);
    spsc::<TokioMpsc>(&mut spsc_row);
    spsc::<AsyncChannel>(&mut spsc_row);
    spsc_row.finish();

    let mut mpmc_row = group(c, "queue_mpmc_bounded", 20);
    mpmc::<EvQueue>(&mut mpmc_row);
    mpmc::<TokioSharedRx>(&mut mpmc_row);
    mpmc::<AsyncChannel>(&mut mpmc_row);
    mpmc_row.finish();
}

fn bench_event(c: &mut Criterion) {
    fn on<E: Flag>(group: &mut BenchmarkGroup<'_, WallTime>) {
        bench_on(group, E::NAME, WAITERS * ROUNDS, event_set_wait::<E>);
    }
    let mut group = group(c, "event_set_wait", 20);
    on::<evloop::sync::Event>(&mut group);
    on::<TokioFlag>(&mut group);
    on::<ListenerFlag>(&mut group);
    group.finish();
}

fn bench_threads(c: &mut Criterion) {
    fn on<C: BlockingChannel>(group: &mut BenchmarkGroup<'_, WallTime>) {
        bench_on(group, C::NAME, sum_below(THREAD_ITEMS), |_| {
            queue_threads::<C>()
        });
    }
    let mut group = group(c, "queue_threads", 10);
    on::<EvQueue>(&mut group);
    on::<TokioMpsc>(&mut group);
    on::<AsyncChannel>(&mut group);
    group.finish();
}

fn sync(c: &mut Criterion) {
    bench_mutex(c);
    bench_semaphore(c);
    bench_queues(c);
    bench_event(c);
    bench_threads(c);
}

criterion_group!(benches, sync);
criterion_main!(benches);
