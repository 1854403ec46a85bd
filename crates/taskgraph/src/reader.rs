//! Reader handles: the only way to pull items, and what keeps a stage alive.

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener, Listener};
use futures_lite::Stream;

use crate::body;
use crate::broadcast::Hub;
use crate::builder::StageBuilder;
use crate::error::{BoxError, Error, StageId};
use crate::input::Input;
use crate::pool::Node;
use crate::stage::{ALL, Output, Shared, Slot, State, drain_front, lock};
use crate::stats::{StageStats, StageStatus};

/// Items returned by one read, and whether the stream ended with them.
///
/// A batch shorter than asked is either the end of the stream (`end` is true) or a read that
/// stopped early (a deadline, [`Reader::try_read`], or an error that comes next).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch<T> {
    /// The items, in delivery order.
    pub items: Vec<T>,
    /// No item will follow: the stream has ended.
    pub end: bool,
}

/// A consumer of one stage's output.
///
/// Reads register demand, and only demand makes stages run. Readers of one stage share its
/// items ([`split`](Reader::split)); to give every consumer every item, use
/// [`broadcast`](Reader::broadcast). Dropping the last reader of a stage cancels it, and the
/// stages upstream that no one else reads.
///
/// ```
/// use std::num::NonZeroUsize;
/// let pool = taskgraph::Pool::inline();
/// let r = pool.source(0..5).build();
/// let batch = r.read(NonZeroUsize::new(2).unwrap()).unwrap();
/// assert_eq!((batch.items, batch.end), (vec![0, 1], false));
/// assert_eq!(r.read_all().unwrap(), [2, 3, 4]);
/// ```
pub struct Reader<T> {
    stage: Arc<dyn Output<T>>,
    slot: Arc<Slot>,
    /// The iterator and stream have reported the end (or an error) already.
    done: bool,
}

impl<T: Send + 'static> Reader<T> {
    pub(crate) fn new(stage: Arc<dyn Output<T>>, slot: Arc<Slot>) -> Reader<T> {
        Reader {
            stage,
            slot,
            done: false,
        }
    }

    pub(crate) fn shared(&self) -> &Shared<T> {
        self.stage.shared()
    }

    pub(crate) fn slot(&self) -> &Slot {
        &self.slot
    }

    pub(crate) fn node(&self) -> Arc<dyn Node> {
        self.stage.node()
    }

    /// A stage applying `f` to every item.
    ///
    /// ```
    /// let pool = taskgraph::Pool::inline();
    /// let r = pool.source(1..4).build().map(|i: i32| Ok(i * 10)).build();
    /// assert_eq!(r.read_all().unwrap(), [10, 20, 30]);
    /// ```
    pub fn map<U, F>(self, f: F) -> StageBuilder<U>
    where
        F: Fn(T) -> Result<U, BoxError> + Send + Sync + 'static,
        U: Send + 'static,
    {
        self.stage("map", body::per_item(move |x| f(x).map(Some)), false)
    }

    /// A stage applying `f` to every item and keeping the `Some` results.
    ///
    /// ```
    /// let pool = taskgraph::Pool::inline();
    /// let odd = pool.source(0..6).build().filter_map(|i: i32| Ok((i % 2 == 1).then_some(i))).build();
    /// assert_eq!(odd.read_all().unwrap(), [1, 3, 5]);
    /// ```
    pub fn filter_map<U, F>(self, f: F) -> StageBuilder<U>
    where
        F: Fn(T) -> Result<Option<U>, BoxError> + Send + Sync + 'static,
        U: Send + 'static,
    {
        self.stage("filter_map", body::per_item(f), false)
    }

    /// A stage applying `f` to whole chunks: N items in, any number out. Each chunk holds
    /// exactly [`max_chunk`](StageBuilder::max_chunk) items except the last, so aggregation
    /// gives the same result whatever the reads and the number of workers.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let pool = taskgraph::Pool::new(2);
    /// let sums = pool.source(0..100u32).build()
    ///     .map_chunk(|chunk: Vec<u32>| Ok(vec![chunk.iter().sum::<u32>()]))
    ///     .max_chunk(NonZeroUsize::new(10).unwrap())
    ///     .ordered(true)
    ///     .build();
    /// assert_eq!(sums.read(NonZeroUsize::new(1).unwrap()).unwrap().items, [45]);
    /// assert_eq!(sums.read_all().unwrap().len(), 9);
    /// ```
    pub fn map_chunk<U, F>(self, f: F) -> StageBuilder<U>
    where
        F: Fn(Vec<T>) -> Result<Vec<U>, BoxError> + Send + Sync + 'static,
        U: Send + 'static,
    {
        self.stage("map_chunk", body::per_chunk(f), true)
    }

    /// A stage of `kind` running `body` on this reader's items; `exact` as in
    /// [`map_chunk`](Reader::map_chunk).
    fn stage<U: Send + 'static>(
        self,
        kind: &'static str,
        body: body::Body<T, U>,
        exact: bool,
    ) -> StageBuilder<U> {
        let pool = Arc::clone(&self.shared().pool);
        StageBuilder::new(pool, kind, Input::Stage(self), body, exact)
    }

    /// `n` readers sharing this stage's items (each item goes to one of them). `n == 0`
    /// returns no reader, which cancels the stage.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let pool = taskgraph::Pool::inline();
    /// let mut parts = pool.source(0..4).build().split(2);
    /// let (b, a) = (parts.pop().unwrap(), parts.pop().unwrap());
    /// let first = a.read(NonZeroUsize::new(3).unwrap()).unwrap().items;
    /// assert_eq!(first, [0, 1, 2]);
    /// assert_eq!(b.read_all().unwrap(), [3]);
    /// ```
    pub fn split(self, n: usize) -> Vec<Reader<T>> {
        let mut readers = Vec::with_capacity(n);
        for _ in 1..n {
            let slot = Arc::new(Slot::default());
            self.shared().state().slots.push(Arc::clone(&slot));
            readers.push(Reader::new(Arc::clone(&self.stage), slot));
        }
        if n > 0 {
            readers.push(self);
        }
        readers
    }

    /// `n` readers that each get every item of this stage. A branch that reads slower than
    /// the others buffers what it has not read yet.
    ///
    /// ```
    /// let pool = taskgraph::Pool::new(1);
    /// let mut branches = pool.source(0..3).build().broadcast(2);
    /// let b = branches.pop().unwrap();
    /// let a = branches.pop().unwrap();
    /// assert_eq!(a.read_all().unwrap(), [0, 1, 2]);
    /// assert_eq!(b.read_all().unwrap(), [0, 1, 2]);
    /// ```
    pub fn broadcast(self, n: usize) -> Vec<Reader<T>>
    where
        T: Clone,
    {
        let pool = Arc::clone(&self.shared().pool);
        Hub::branches(self, n)
            .into_iter()
            .map(|branch| {
                StageBuilder::new(
                    Arc::clone(&pool),
                    "broadcast",
                    Input::Branch(branch),
                    body::Body::Identity(|v| v),
                    false,
                )
                .ordered(true)
                .concurrency(NonZeroUsize::MIN)
                .build()
            })
            .collect()
    }

    /// The event this reader sleeps on: in an inline pool it must also wake for queued chunks.
    fn event(&self) -> &Event {
        let sh = self.shared();
        if sh.pool.inline() {
            &sh.pool.activity
        } else {
            &sh.changed
        }
    }

    /// Takes a finished read of `n` items out of the buffer, if there is one.
    fn complete(&self, st: &mut State<T>, n: usize) -> Option<Result<Batch<T>, Error>> {
        if st.buf.len() >= n {
            let items = drain_front(&mut st.buf, n);
            let end = st.buf.is_empty() && matches!(st.terminal, Some(Ok(())));
            return Some(Ok(Batch { items, end }));
        }
        match &st.terminal {
            None => None,
            Some(Ok(())) => Some(Ok(Batch {
                items: st.buf.drain(..).collect(),
                end: true,
            })),
            Some(Err(_)) if !st.buf.is_empty() => Some(Ok(Batch {
                items: st.buf.drain(..).collect(),
                end: false,
            })),
            Some(Err(e)) => Some(Err(e.clone())),
        }
    }

    /// Ends a read that got its answer `r`: clears this reader's demand and, when other
    /// consumers still want items, has the stage refill what was taken (outside the lock).
    fn settle<R>(&self, st: MutexGuard<'_, State<T>>, r: R) -> R {
        self.slot.set_want(0);
        let refill = st.terminal.is_none() && st.demand() > 0;
        drop(st);
        if refill {
            self.stage.pump();
        }
        r
    }

    /// Runs `attempt` under the stage's lock and settles the read if it answered.
    fn try_settle<R>(&self, attempt: impl FnOnce(&mut State<T>) -> Option<R>) -> Option<R> {
        let mut st = self.shared().state();
        let r = attempt(&mut st)?;
        Some(self.settle(st, r))
    }

    /// Runs `attempt` until it returns a result, then settles the read. Meanwhile pumps the
    /// stage, runs queued chunks in this thread when there are any, and sleeps otherwise.
    /// `None` when `deadline` passed.
    fn wait<R>(
        &self,
        deadline: Option<Instant>,
        mut attempt: impl FnMut(&mut State<T>) -> Option<R>,
    ) -> Option<R> {
        let sh = self.shared();
        loop {
            if let Some(r) = self.try_settle(&mut attempt) {
                return Some(r);
            }
            if sh.pool.pump_here(|| self.stage.pump()) || sh.pool.run_one_job() {
                continue;
            }
            let listener = self.event().listen();
            if let Some(r) = self.try_settle(&mut attempt) {
                return Some(r);
            }
            // The attempt may have taken items (read_all does), which makes room upstream.
            if sh.pool.pump_here(|| self.stage.pump()) || sh.pool.run_one_job() {
                continue;
            }
            match deadline {
                None => listener.wait(),
                Some(d) => {
                    if listener.wait_deadline(d).is_none() && Instant::now() >= d {
                        return None;
                    }
                }
            }
        }
    }

    fn read_until(&self, n: usize, deadline: Option<Instant>) -> Result<Batch<T>, Error> {
        self.slot.set_want(n);
        let result = self
            .wait(deadline, |st| self.complete(st, n))
            .unwrap_or_else(|| {
                // The deadline passed: return what is there, keep nothing back.
                let mut st = self.shared().state();
                let r = self
                    .complete(&mut st, n)
                    .unwrap_or_else(|| Ok(rest(&mut st)));
                self.settle(st, r)
            });
        let pool = &self.shared().pool;
        if pool.inline() {
            // Inline, the work this read asked for (a whole `min_batch`, say) runs now, as it
            // would on workers, rather than at some later read.
            while pool.run_one_job() {}
        }
        result
    }

    /// Reads `n` items, waiting until they are there or the stream ends (then fewer, with
    /// `end` set). Items buffered before an error are returned first; the next read returns
    /// the error.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let pool = taskgraph::Pool::new(2);
    /// let r = pool.source(0..3).build();
    /// let b = r.read(NonZeroUsize::new(5).unwrap()).unwrap();
    /// assert_eq!((b.items, b.end), (vec![0, 1, 2], true));
    /// ```
    pub fn read(&self, n: NonZeroUsize) -> Result<Batch<T>, Error> {
        self.read_until(n.get(), None)
    }

    /// Like [`read`](Reader::read), but gives up at `deadline`, returning the items that are
    /// there by then (the deadline bounds the whole call, not each item).
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use std::time::{Duration, Instant};
    /// let pool = taskgraph::Pool::new(1);
    /// let slow = pool.source_stream(futures_lite::stream::pending::<u8>()).build();
    /// let b = slow.read_deadline(NonZeroUsize::MIN, Instant::now() + Duration::from_millis(10)).unwrap();
    /// assert!(b.items.is_empty() && !b.end);
    /// ```
    pub fn read_deadline(&self, n: NonZeroUsize, deadline: Instant) -> Result<Batch<T>, Error> {
        self.read_until(n.get(), Some(deadline))
    }

    /// [`read_deadline`](Reader::read_deadline) with a deadline `timeout` from now.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use std::time::Duration;
    /// let pool = taskgraph::Pool::new(1);
    /// let r = pool.source(0..2).build();
    /// let b = r.read_timeout(NonZeroUsize::new(2).unwrap(), Duration::from_secs(60)).unwrap();
    /// assert_eq!(b.items, [0, 1]);
    /// ```
    pub fn read_timeout(&self, n: NonZeroUsize, timeout: Duration) -> Result<Batch<T>, Error> {
        match Instant::now().checked_add(timeout) {
            Some(d) => self.read_deadline(n, d),
            None => self.read(n),
        }
    }

    /// Returns up to `n` items without waiting for other threads. The demand stays
    /// registered, so workers fill the buffer for the next read; in an inline pool, the
    /// queued chunks run in this thread first.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let pool = taskgraph::Pool::inline();
    /// let r = pool.source(0..10).build();
    /// assert_eq!(r.try_read(NonZeroUsize::new(3).unwrap()).unwrap().items, [0, 1, 2]);
    /// ```
    pub fn try_read(&self, n: NonZeroUsize) -> Result<Batch<T>, Error> {
        let n = n.get();
        let sh = self.shared();
        self.slot.set_want(n);
        self.stage.pump();
        if sh.pool.inline() {
            while sh.state().buf.len() < n && sh.pool.run_one_job() {}
        }
        let mut st = sh.state();
        match self.complete(&mut st, n) {
            Some(r) => self.settle(st, r),
            None => Ok(rest(&mut st)),
        }
    }

    /// Reads everything until the end of the stream. On an error, the items read before it
    /// are lost: use [`read_all_into`](Reader::read_all_into) to keep them.
    ///
    /// ```
    /// let pool = taskgraph::Pool::new(2);
    /// let r = pool.source(0..1000).build().map(|i: u32| Ok(i + 1)).build();
    /// assert_eq!(r.read_all().unwrap().len(), 1000);
    /// ```
    pub fn read_all(&self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        self.read_all_into(&mut out)?;
        Ok(out)
    }

    /// Appends everything until the end of the stream to `out`; on an error, `out` holds the
    /// items produced before it.
    ///
    /// ```
    /// let pool = taskgraph::Pool::new(2);
    /// let r = pool.source(0..5).build().map(|i: i32| {
    ///     if i < 3 { Ok(i) } else { Err("too big".into()) }
    /// }).ordered(true).build();
    /// let mut got = Vec::new();
    /// assert!(r.read_all_into(&mut got).is_err());
    /// assert_eq!(got, [0, 1, 2]);
    /// ```
    pub fn read_all_into(&self, out: &mut Vec<T>) -> Result<(), Error> {
        self.slot.set_want(ALL);
        let result = self
            .wait(None, |st| {
                if out.is_empty() {
                    *out = Vec::from(std::mem::take(&mut st.buf));
                } else {
                    out.extend(st.buf.drain(..));
                }
                st.terminal.clone()
            })
            .unwrap_or(Ok(()));
        self.slot.set_want(0);
        result
    }

    /// Reads `n` items without blocking the thread: the future waits for the workers. Usable
    /// on any executor, such as an evloop loop. In an inline pool the chunks run inside
    /// `poll`, one per poll. If the future is dropped, no item is lost.
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// let pool = taskgraph::Pool::new(1);
    /// let r = pool.source(0..4).build();
    /// let b = futures_lite::future::block_on(r.read_async(NonZeroUsize::new(4).unwrap())).unwrap();
    /// assert_eq!(b.items, [0, 1, 2, 3]);
    /// ```
    pub async fn read_async(&self, n: NonZeroUsize) -> Result<Batch<T>, Error> {
        let n = n.get();
        let sh = self.shared();
        self.slot.set_want(n);
        loop {
            let mut listener = None;
            for _ in 0..2 {
                if let Some(r) = self.try_settle(|st| self.complete(st, n)) {
                    return r;
                }
                if listener.is_none() {
                    self.stage.pump();
                    listener = Some(self.event().listen());
                }
            }
            if sh.pool.inline() && sh.pool.run_one_job() {
                futures_lite::future::yield_now().await;
                continue;
            }
            if let Some(l) = listener {
                l.await;
            }
        }
    }

    /// This reader as a [`Stream`] of items; an error is yielded once, then the stream ends.
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// let pool = taskgraph::Pool::new(1);
    /// let s = pool.source(0..3).build().into_stream();
    /// let items: Vec<_> = futures_lite::future::block_on(s.map(Result::unwrap).collect());
    /// assert_eq!(items, [0, 1, 2]);
    /// ```
    pub fn into_stream(self) -> ReaderStream<T> {
        ReaderStream {
            reader: self,
            listener: None,
        }
    }

    /// What the stage is doing.
    ///
    /// ```
    /// use taskgraph::StageStatus;
    /// let pool = taskgraph::Pool::inline();
    /// let r = pool.source(0..3).build();
    /// assert_eq!(r.status(), StageStatus::Idle);
    /// r.read_all().unwrap();
    /// assert_eq!(r.status(), StageStatus::Exhausted);
    /// ```
    pub fn status(&self) -> StageStatus {
        self.shared().state().status()
    }

    /// The stage's counters.
    ///
    /// ```
    /// let pool = taskgraph::Pool::inline();
    /// let r = pool.source(0..3).build().filter_map(|i: i32| Ok((i > 0).then_some(i))).build();
    /// r.read_all().unwrap();
    /// let s = r.stats();
    /// assert_eq!((s.items_in, s.items_out, s.buffered), (3, 2, 0));
    /// ```
    pub fn stats(&self) -> StageStats {
        self.shared().state().stats()
    }

    /// The stage's name.
    pub fn name(&self) -> &str {
        &self.shared().name
    }

    /// The stage's id.
    pub fn id(&self) -> StageId {
        self.shared().id
    }

    /// Drops this reader: the same as `drop`, spelled out. If it was the stage's last
    /// reader, the stage is cancelled at once, with the stages upstream that no one else
    /// reads; their queued chunks and buffered items are dropped.
    ///
    /// ```
    /// let pool = taskgraph::Pool::new(1);
    /// let r = pool.source(0..).build().map(|i: u64| Ok(i)).build();
    /// assert_eq!(pool.num_stages(), 2);
    /// r.cancel();
    /// assert_eq!(pool.num_stages(), 0);
    /// ```
    pub fn cancel(self) {}
}

/// Everything buffered: the answer of a read that stops before all its items are there.
fn rest<T>(st: &mut State<T>) -> Batch<T> {
    Batch {
        items: st.buf.drain(..).collect(),
        end: false,
    }
}

/// Takes one item for the iterator or the stream: `Some` when there is an answer.
fn next_item<T>(st: &mut State<T>, done: &mut bool) -> Option<Option<Result<T, Error>>> {
    if let Some(item) = st.buf.pop_front() {
        return Some(Some(Ok(item)));
    }
    let end = st.terminal.clone()?;
    *done = true;
    Some(end.err().map(Err))
}

impl<T> Drop for Reader<T> {
    fn drop(&mut self) {
        let last = {
            let mut st = self.stage.shared().state();
            st.slots.retain(|s| !Arc::ptr_eq(s, &self.slot));
            st.slots.is_empty()
        };
        if last {
            self.stage.cancel();
        }
    }
}

impl<T: Send + 'static> Iterator for Reader<T> {
    type Item = Result<T, Error>;

    /// Waits for the next item; an error is yielded once, then `None`.
    fn next(&mut self) -> Option<Result<T, Error>> {
        if self.done {
            return None;
        }
        self.slot.set_want(1);
        let mut done = false;
        let item = self.wait(None, |st| next_item(st, &mut done));
        self.done = done;
        item.flatten()
    }
}

impl<T> fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sh = self.stage.shared();
        let st = lock(&sh.state);
        f.debug_struct("Reader")
            .field("stage", &sh.id)
            .field("name", &sh.name)
            .field("status", &st.status())
            .field("buffered", &st.buf.len())
            .finish()
    }
}

/// A [`Reader`] as a [`Stream`] of items, from [`Reader::into_stream`].
#[must_use = "streams do nothing unless polled"]
pub struct ReaderStream<T> {
    reader: Reader<T>,
    listener: Option<EventListener>,
}

impl<T: Send + 'static> Stream for ReaderStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.reader.done {
                return Poll::Ready(None);
            }
            let reader = &mut this.reader;
            reader.slot.set_want(1);
            let mut done = false;
            if let Some(item) = reader.try_settle(|st| next_item(st, &mut done)) {
                reader.done = done;
                this.listener = None;
                return Poll::Ready(item);
            }
            let pool = &reader.shared().pool;
            match this.listener.as_mut() {
                None => {
                    reader.stage.pump();
                    this.listener = Some(reader.event().listen());
                }
                Some(listener) => {
                    if pool.inline() && pool.run_one_job() {
                        this.listener = None;
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    match Pin::new(listener).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => this.listener = None,
                    }
                }
            }
        }
    }
}

impl<T> fmt::Debug for ReaderStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReaderStream")
            .field("reader", &self.reader)
            .finish()
    }
}
