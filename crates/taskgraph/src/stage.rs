//! One stage: its output buffer, the demand its consumers register, and the scheduling of its
//! chunks.
//!
//! Locks are taken downstream first (a stage's state, then its pending chunks, then its input,
//! then the upstream's state) and no lock is held while another stage is pumped or notified.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::{Wake, Waker};

use event_listener::Event;

use crate::body::{Body, ChunkCtx, ChunkEnd};
use crate::error::{Error, ErrorPolicy, StageId};
use crate::input::{Input, Pulled};
use crate::pool::{Node, PoolInner};
use crate::reader::Reader;
use crate::stats::{StageStats, StageStatus};

/// How many items a `map_chunk` stage gathers into one scheduled chunk at most.
const GROUPED_ITEMS: usize = 256;

/// A consumer's demand: "everything" (`read_all`).
pub(crate) const ALL: usize = usize::MAX;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // User code never runs under these locks, so a poisoned one only means a panic between two
    // consistent updates; the state is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One consumer of a stage: a reader handle, or the stage reading it.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// How many items this consumer wants buffered now (0: none, [`ALL`]: everything).
    want: AtomicUsize,
    /// The downstream stage, pumped when items arrive.
    pub(crate) node: OnceLock<Weak<dyn Node>>,
}

impl Slot {
    /// Sets the demand; returns the old one.
    pub(crate) fn set_want(&self, want: usize) -> usize {
        self.want.swap(want, Ordering::AcqRel)
    }

    fn want(&self) -> usize {
        self.want.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for dyn Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Node")
    }
}

/// What a non-blocking take from a stage found.
pub(crate) enum Take<T> {
    Items(Vec<T>),
    /// Nothing (enough) yet.
    Empty,
    /// The stream ended, cleanly or not, and nothing is buffered.
    Ended(Result<(), Error>),
}

/// Settings fixed when the stage is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) min_batch: usize,
    pub(crate) max_chunk: usize,
    pub(crate) capacity: Option<usize>,
    pub(crate) concurrency: usize,
    pub(crate) ordered: bool,
    /// `map_chunk`: chunks hold exactly `max_chunk` items, except the last.
    pub(crate) exact: bool,
    pub(crate) policy: ErrorPolicy,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_batch: 1,
            max_chunk: 256,
            capacity: None,
            concurrency: usize::MAX,
            ordered: false,
            exact: false,
            policy: ErrorPolicy::FailFast,
        }
    }
}

impl Config {
    fn capacity(&self) -> usize {
        self.capacity
            .unwrap_or(4 * self.max_chunk)
            .max(self.min_batch)
            .max(if self.exact { self.max_chunk } else { 1 })
    }
}

/// The typed output side of a stage, which readers use.
pub(crate) struct Shared<T> {
    pub(crate) id: StageId,
    pub(crate) name: Arc<str>,
    pub(crate) pool: Arc<PoolInner>,
    pub(crate) state: Mutex<State<T>>,
    /// Readers of a threaded pool wait here.
    pub(crate) changed: Event,
    /// Running chunks stop between items once set.
    pub(crate) cancelled: AtomicBool,
}

pub(crate) struct State<T> {
    pub(crate) buf: VecDeque<T>,
    /// Set once the stream is over: after `buf` drains, readers see this.
    pub(crate) terminal: Option<Result<(), Error>>,
    pub(crate) slots: Vec<Arc<Slot>>,
    /// The input ended (or failed); the stage ends when its chunks are done.
    input_done: Option<Result<(), Error>>,
    /// The stage's own failure, reported once its chunks are done.
    fail: Option<Error>,
    collected: Vec<Error>,
    chunks_in_flight: usize,
    items_in_flight: usize,
    /// Input items ever scheduled, and how far the current refill goes: once started, a
    /// refill of `min_batch` completes even if the reader that asked has gone.
    scheduled: usize,
    goal: usize,
    next_seq: u64,
    /// Ordered stages: completed chunks waiting for earlier ones, by sequence number.
    reorder: VecDeque<Option<Vec<T>>>,
    next_release: u64,
    held: usize,
    /// Ordered stages: the earliest failing chunk, reported when it is released.
    fail_at: Option<(u64, Error)>,
    /// A stream source returned pending; its waker clears this.
    source_waiting: bool,
    stats: StageStats,
}

impl<T> State<T> {
    /// The sum of the consumers' demands.
    pub(crate) fn demand(&self) -> usize {
        let mut sum = 0usize;
        for s in &self.slots {
            match s.want() {
                ALL => return ALL,
                w => sum = sum.saturating_add(w),
            }
        }
        sum
    }

    /// How many items the stage should have buffered or in flight.
    fn target(&self, cfg: &Config) -> usize {
        match self.demand() {
            0 => 0,
            ALL => cfg.capacity(),
            d => d.max(cfg.min_batch),
        }
    }

    fn supply(&self) -> usize {
        self.buf.len() + self.items_in_flight + self.held
    }

    /// Ends the stream once nothing is in flight; true if it just ended.
    fn check_done(&mut self, stage: StageId, name: &Arc<str>) -> bool {
        if self.terminal.is_some() || self.chunks_in_flight > 0 {
            return false;
        }
        let end = if let Some(e) = self.fail.take() {
            Err(e)
        } else {
            match self.input_done.clone() {
                None => return false,
                Some(Err(e)) => Err(e),
                Some(Ok(())) if self.collected.is_empty() => Ok(()),
                Some(Ok(())) => Err(Error::Collected {
                    stage,
                    name: Arc::clone(name),
                    errors: std::mem::take(&mut self.collected).into(),
                }),
            }
        };
        self.terminal = Some(end);
        true
    }

    pub(crate) fn status(&self) -> StageStatus {
        match &self.terminal {
            Some(Ok(())) => StageStatus::Exhausted,
            Some(Err(Error::Cancelled | Error::PoolGone)) => StageStatus::Cancelled,
            Some(Err(_)) => StageStatus::Failed,
            None if self.chunks_in_flight > 0 => StageStatus::Running {
                in_flight: self.chunks_in_flight,
            },
            None => StageStatus::Idle,
        }
    }

    pub(crate) fn stats(&self) -> StageStats {
        StageStats {
            buffered: self.buf.len(),
            in_flight: self.items_in_flight,
            chunks_in_flight: self.chunks_in_flight,
            ..self.stats
        }
    }

    /// The downstream stages to pump after new output (all of them when the stream ended).
    fn subscribers(&self, ended: bool) -> Subscribers {
        let mut nodes = self
            .slots
            .iter()
            .filter(|s| ended || s.want() > 0)
            .filter_map(|s| s.node.get()?.upgrade());
        Subscribers {
            first: nodes.next(),
            rest: nodes.collect(),
        }
    }
}

/// Downstream stages to pump once a stage's lock is released. Most stages have one consumer,
/// held inline, so that a chunk completion allocates nothing for it.
#[derive(Default)]
struct Subscribers {
    first: Option<Arc<dyn Node>>,
    rest: Vec<Arc<dyn Node>>,
}

impl<T> Shared<T> {
    pub(crate) fn state(&self) -> MutexGuard<'_, State<T>> {
        lock(&self.state)
    }

    /// Takes up to `k` items for a downstream stage, a multiple of `unit` unless the stream
    /// has ended.
    pub(crate) fn take_for_stage(&self, k: usize, unit: usize) -> Take<T> {
        let mut st = self.state();
        let st = &mut *st;
        take_units(&mut st.buf, k, unit, st.terminal.as_ref())
    }

    /// Wakes blocked and async readers.
    pub(crate) fn wake_readers(&self) {
        self.changed.notify(usize::MAX);
        if self.pool.inline() {
            self.pool.activity.notify(usize::MAX);
        }
    }
}

/// The first `n` items of `buf`. Taking all of them hands the buffer over without copying.
pub(crate) fn drain_front<T>(buf: &mut VecDeque<T>, n: usize) -> Vec<T> {
    if n == buf.len() {
        return Vec::from(std::mem::take(buf));
    }
    // Popping is cheaper than a `Drain`, whose drop must rejoin the deque's two halves.
    let mut items = Vec::with_capacity(n);
    while items.len() < n {
        match buf.pop_front() {
            Some(item) => items.push(item),
            None => break,
        }
    }
    items
}

/// Appends `items` to `buf`; into an empty buffer, without copying.
pub(crate) fn append<T>(buf: &mut VecDeque<T>, items: Vec<T>) {
    if buf.is_empty() {
        *buf = VecDeque::from(items);
    } else {
        buf.extend(items);
    }
}

/// Takes up to `k` items from `buf`, a whole number of `unit`s, or everything left (up to
/// `k`) once the stream has ended.
pub(crate) fn take_units<T>(
    buf: &mut VecDeque<T>,
    k: usize,
    unit: usize,
    end: Option<&Result<(), Error>>,
) -> Take<T> {
    let n = buf.len();
    let whole = n.min(k) / unit * unit;
    let take = if end.is_some() { n.min(k) } else { whole };
    if take > 0 {
        return Take::Items(drain_front(buf, take));
    }
    match end {
        Some(end) if n == 0 => Take::Ended(end.clone()),
        _ => Take::Empty,
    }
}

/// The typed output of a stage, as readers see it.
pub(crate) trait Output<T>: Node {
    fn shared(&self) -> &Shared<T>;
    fn node(&self) -> Arc<dyn Node>;
}

struct Chunk<In> {
    seq: u64,
    /// `None` for sources: the chunk pulls `want` items when it runs.
    items: Option<Vec<In>>,
    want: usize,
}

pub(crate) struct Stage<In, Out> {
    shared: Shared<Out>,
    me: Weak<Stage<In, Out>>,
    cfg: Config,
    source: bool,
    pending: Mutex<VecDeque<Chunk<In>>>,
    input: Mutex<Option<Input<In>>>,
    body: Body<In, Out>,
    /// Counts stream wake-ups, so a wake during a poll is not lost.
    wakes: AtomicU64,
    waker: OnceLock<Waker>,
    gone: AtomicBool,
}

/// Wakes a stream source's stage.
struct SourceWaker(Weak<dyn Node>);

impl Wake for SourceWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(node) = self.0.upgrade() {
            node.source_woken();
        }
    }
}

/// Builds a stage and returns its first reader.
pub(crate) fn build<In, Out>(
    pool: Arc<PoolInner>,
    mut cfg: Config,
    name: Arc<str>,
    input: Input<In>,
    body: Body<In, Out>,
) -> Reader<Out>
where
    In: Send + 'static,
    Out: Send + 'static,
{
    let source = input.is_source();
    if source {
        // One pull at a time keeps the source's order and its iterator unshared.
        cfg.concurrency = 1;
    }
    let slot = Arc::new(Slot::default());
    let stage = Arc::new_cyclic(|me: &Weak<Stage<In, Out>>| Stage {
        shared: Shared {
            id: StageId(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            name,
            pool,
            state: Mutex::new(State {
                buf: VecDeque::new(),
                terminal: None,
                slots: vec![Arc::clone(&slot)],
                input_done: None,
                fail: None,
                collected: Vec::new(),
                chunks_in_flight: 0,
                items_in_flight: 0,
                scheduled: 0,
                goal: 0,
                next_seq: 0,
                reorder: VecDeque::new(),
                next_release: 0,
                held: 0,
                fail_at: None,
                source_waiting: false,
                stats: StageStats::default(),
            }),
            changed: Event::new(),
            cancelled: AtomicBool::new(false),
        },
        me: me.clone(),
        cfg,
        source,
        pending: Mutex::new(VecDeque::new()),
        input: Mutex::new(None),
        body,
        wakes: AtomicU64::new(0),
        waker: OnceLock::new(),
        gone: AtomicBool::new(false),
    });
    let me: Weak<dyn Node> = Arc::downgrade(&stage) as Weak<dyn Node>;
    match &input {
        Input::Stage(r) => {
            let _ = r.slot().node.set(me.clone());
        }
        Input::Branch(b) => b.attach(me.clone()),
        Input::Iter(_) | Input::Stream(_) => {}
    }
    *lock(&stage.input) = Some(input);
    stage.shared.pool.register(me);
    if stage.shared.pool.closed() {
        stage.shut_down();
    }
    Reader::new(stage, slot)
}

impl<In: Send + 'static, Out: Send + 'static> Stage<In, Out> {
    fn arc(&self) -> Arc<dyn Node> {
        self.me
            .upgrade()
            .expect("a stage runs only while referenced")
    }

    fn waker(&self) -> &Waker {
        self.waker.get_or_init(|| {
            let me: Weak<dyn Node> = self.me.clone() as Weak<dyn Node>;
            Waker::from(Arc::new(SourceWaker(me)))
        })
    }

    fn queue_chunk(&self, st: &mut State<Out>, items: Option<Vec<In>>, want: usize) {
        let seq = st.next_seq;
        st.next_seq += 1;
        st.chunks_in_flight += 1;
        st.items_in_flight += want;
        st.scheduled += want;
        lock(&self.pending).push_back(Chunk { seq, items, want });
    }

    /// Wakes readers and the downstream stages that wait for this stage's output.
    fn notify(&self, subscribers: Subscribers) {
        self.shared.wake_readers();
        for s in subscribers.first.into_iter().chain(subscribers.rest) {
            s.pump();
        }
    }

    /// Stores a completed chunk's output; returns what to drop outside the lock.
    fn deliver(
        &self,
        st: &mut State<Out>,
        seq: u64,
        out: Vec<Out>,
        fatal: Option<Error>,
    ) -> Option<Vec<Out>> {
        if st.terminal.is_some() || (st.fail.is_some() && !self.cfg.ordered) {
            return Some(out);
        }
        if !self.cfg.ordered {
            st.stats.items_out += out.len() as u64;
            append(&mut st.buf, out);
            if fatal.is_some() {
                st.fail = fatal;
            }
            return None;
        }
        // Ordered: park the chunk at its sequence number, then release every chunk that no
        // longer waits for an earlier one. A failing chunk releases its items, then ends the
        // stream; later chunks are dropped.
        if st.fail.is_some() || matches!(&st.fail_at, Some((s, _)) if seq > *s) {
            return Some(out);
        }
        let index = (seq - st.next_release) as usize;
        if st.reorder.len() <= index {
            st.reorder.resize_with(index + 1, || None);
        }
        st.held += out.len();
        st.reorder[index] = Some(out);
        if let Some(e) = fatal {
            // Chunks after this one are not delivered: cut the queue here.
            let mut later = st.reorder.split_off(index + 1);
            st.held -= later.iter_mut().flatten().map(|v| v.len()).sum::<usize>();
            st.fail_at = Some((seq, e));
            let dropped: Vec<Out> = later.into_iter().flatten().flatten().collect();
            drop(dropped);
        }
        let mut dropped = Vec::new();
        while let Some(Some(_)) = st.reorder.front() {
            let items = st.reorder.pop_front().flatten().unwrap_or_default();
            st.held -= items.len();
            st.stats.items_out += items.len() as u64;
            append(&mut st.buf, items);
            let released = st.next_release;
            st.next_release += 1;
            if matches!(&st.fail_at, Some((s, _)) if *s == released) {
                st.fail = st.fail_at.take().map(|(_, e)| e);
                for later in st.reorder.drain(..).flatten() {
                    dropped.extend(later);
                }
                st.held = 0;
                break;
            }
        }
        (!dropped.is_empty()).then_some(dropped)
    }

    fn complete(&self, chunk: Chunk<In>, out: Vec<Out>, end: ChunkEnd, pulled: Pulled, wakes: u64) {
        let sh = &self.shared;
        let (discard, subscribers) = {
            let mut st = sh.state();
            st.chunks_in_flight -= 1;
            st.items_in_flight -= chunk.want;
            st.stats.chunks_run += 1;
            st.stats.items_in += end.consumed as u64;
            st.stats.errors += end.failed;
            st.collected.extend(end.errors);
            match pulled {
                Pulled::More => {}
                Pulled::End => {
                    st.input_done.get_or_insert(Ok(()));
                }
                Pulled::Pending => {
                    if self.wakes.load(Ordering::Acquire) == wakes {
                        st.source_waiting = true;
                    }
                }
            }
            let before = st.buf.len();
            let discard = self.deliver(&mut st, chunk.seq, out, end.fatal);
            let ended = st.check_done(sh.id, &sh.name);
            let changed = ended || st.buf.len() != before;
            (discard, changed.then(|| st.subscribers(ended)))
        };
        drop(discard);
        if let Some(subscribers) = subscribers {
            self.notify(subscribers);
        }
        self.pump();
    }

    fn pull(&self, want: usize) -> (Vec<In>, Pulled, Option<Error>) {
        let mut items = Vec::with_capacity(want);
        let mut input = lock(&self.input);
        let Some(input) = input.as_mut() else {
            return (items, Pulled::End, None);
        };
        let waker = self.waker();
        match catch_unwind(AssertUnwindSafe(|| input.pull(want, &mut items, waker))) {
            Ok(pulled) => (items, pulled, None),
            Err(payload) => {
                let cx = self.ctx();
                (items, Pulled::End, Some(cx.panicked(&*payload)))
            }
        }
    }

    fn ctx(&self) -> ChunkCtx<'_> {
        ChunkCtx {
            cancelled: &self.shared.cancelled,
            policy: self.cfg.policy,
            unit: self.cfg.max_chunk,
            id: self.shared.id,
            name: &self.shared.name,
        }
    }

    /// Releases what the stage holds: queued chunks, buffered items, and its input (which may
    /// cancel the upstream).
    fn release(&self, end: Error) {
        let sh = &self.shared;
        let (buf, reorder, subscribers) = {
            let mut st = sh.state();
            let first = st.terminal.is_none();
            if first {
                st.terminal = Some(Err(end.clone()));
            }
            let buf = if matches!(end, Error::Cancelled) {
                std::mem::take(&mut st.buf)
            } else {
                VecDeque::new()
            };
            st.held = 0;
            // Downstream hears of the end once: a second release (the pool and the last
            // reader both going) must not pump them again, or two stages pump each other.
            let subscribers = if first {
                st.subscribers(true)
            } else {
                Subscribers::default()
            };
            (buf, std::mem::take(&mut st.reorder), subscribers)
        };
        let pending = std::mem::take(&mut *lock(&self.pending));
        let input = lock(&self.input).take();
        drop((buf, reorder, pending));
        drop(input);
        self.notify(subscribers);
    }
}

impl<In: Send + 'static, Out: Send + 'static> Node for Stage<In, Out> {
    fn run_one(&self) {
        let Some(mut chunk) = lock(&self.pending).pop_front() else {
            return;
        };
        let wakes = self.wakes.load(Ordering::Acquire);
        let (items, pulled, pull_error) = match chunk.items.take() {
            Some(items) => (items, Pulled::More, None),
            None => self.pull(chunk.want),
        };
        let mut end = ChunkEnd::default();
        let out = match &self.body {
            Body::Identity(pass) => {
                end.consumed = items.len();
                pass(items)
            }
            Body::Apply(f) => {
                let mut out = Vec::new();
                end = f(items, &mut out, &self.ctx());
                out
            }
        };
        if end.fatal.is_none() {
            end.fatal = pull_error;
        }
        self.complete(chunk, out, end, pulled, wakes);
    }

    fn pump(&self) {
        let sh = &self.shared;
        if sh.pool.closed() {
            self.shut_down();
            return;
        }
        let mut queued = 0usize;
        let mut upstream = None;
        let subscribers = {
            let mut st = sh.state();
            if st.terminal.is_some() {
                return;
            }
            if st.fail.is_none()
                && st.fail_at.is_none()
                && st.input_done.is_none()
                && !st.source_waiting
            {
                let cfg = &self.cfg;
                let (target, supply) = (st.target(cfg), st.supply());
                if target > supply {
                    st.goal = st.goal.max(st.scheduled + (target - supply));
                }
                if self.source {
                    while st.chunks_in_flight < cfg.concurrency && st.scheduled < st.goal {
                        let k = (st.goal - st.scheduled).min(cfg.max_chunk);
                        self.queue_chunk(&mut st, None, k);
                        queued += 1;
                    }
                } else if let Some(input) = lock(&self.input).as_mut() {
                    let mut want_up = 0;
                    let mut took = false;
                    while st.chunks_in_flight < cfg.concurrency && st.scheduled < st.goal {
                        let need = st.goal - st.scheduled;
                        let unit = if cfg.exact { cfg.max_chunk } else { 1 };
                        // map_chunk calls its function on exact groups of `max_chunk` items,
                        // but one scheduled chunk carries several groups, so that a small
                        // group size does not mean a scheduling round trip per group.
                        let k = if cfg.exact {
                            need.clamp(1, (GROUPED_ITEMS / unit).max(1)) * unit
                        } else {
                            need.min(cfg.max_chunk)
                        };
                        match input.take(k, unit) {
                            Take::Items(items) => {
                                took = true;
                                let n = items.len();
                                self.queue_chunk(&mut st, Some(items), n);
                                queued += 1;
                            }
                            Take::Empty => {
                                want_up = if cfg.exact { k } else { need };
                                break;
                            }
                            Take::Ended(end) => {
                                st.input_done = Some(end);
                                break;
                            }
                        }
                    }
                    upstream = input.set_want(want_up, took);
                }
            }
            let ended = st.check_done(sh.id, &sh.name);
            ended.then(|| st.subscribers(true))
        };
        if queued > 0 {
            let me = self.arc();
            for _ in 0..queued {
                sh.pool.submit(Arc::clone(&me));
            }
        }
        if let Some(up) = upstream {
            up.pump();
        }
        if let Some(subscribers) = subscribers {
            self.notify(subscribers);
        }
    }

    fn cancel(&self) {
        if self.gone.swap(true, Ordering::AcqRel) {
            return;
        }
        self.shared.cancelled.store(true, Ordering::Release);
        self.shared.pool.stage_gone();
        self.release(Error::Cancelled);
    }

    fn shut_down(&self) {
        self.release(Error::PoolGone);
    }

    fn wake_readers(&self) {
        self.shared.wake_readers();
    }

    fn source_woken(&self) {
        self.wakes.fetch_add(1, Ordering::AcqRel);
        self.shared.state().source_waiting = false;
        self.pump();
    }
}

impl<In: Send + 'static, Out: Send + 'static> Output<Out> for Stage<In, Out> {
    fn shared(&self) -> &Shared<Out> {
        &self.shared
    }

    fn node(&self) -> Arc<dyn Node> {
        self.arc()
    }
}
