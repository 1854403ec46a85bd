//! Configuring a stage before it starts.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::body::Body;
use crate::error::ErrorPolicy;
use crate::input::Input;
use crate::pool::{Pool, PoolInner};
use crate::reader::Reader;
use crate::stage::{self, Config};

type Make<T> = Box<dyn FnOnce(Arc<PoolInner>, Config, Arc<str>) -> Reader<T> + Send>;

/// A stage being configured; [`build`](StageBuilder::build) starts it and returns its reader.
///
/// Nothing runs until someone reads the returned [`Reader`].
///
/// ```
/// use std::num::NonZeroUsize;
/// use taskgraph::{ErrorPolicy, Pool};
///
/// let pool = Pool::new(2);
/// let n = |n| NonZeroUsize::new(n).unwrap();
/// let parsed = pool
///     .source(["1", "x", "3"])
///     .build()
///     .map(|s: &str| Ok(s.parse::<u32>()?))
///     .name("parse")
///     .max_chunk(n(64))
///     .capacity(n(1024))
///     .concurrency(n(2))
///     .ordered(true)
///     .on_error(ErrorPolicy::Skip)
///     .build();
/// assert_eq!(parsed.read_all().unwrap(), [1, 3]);
/// assert_eq!(parsed.stats().errors, 1);
/// ```
#[must_use = "a stage does nothing until it is built and read"]
pub struct StageBuilder<T> {
    pool: Arc<PoolInner>,
    kind: &'static str,
    name: Option<Arc<str>>,
    cfg: Config,
    make: Make<T>,
}

impl<T: Send + 'static> StageBuilder<T> {
    pub(crate) fn source(pool: Arc<PoolInner>, kind: &'static str, input: Input<T>) -> Self {
        StageBuilder {
            pool,
            kind,
            name: None,
            cfg: Config::default(),
            make: Box::new(move |pool, cfg, name| {
                stage::build(pool, cfg, name, input, Body::Identity(|v| v))
            }),
        }
    }

    pub(crate) fn new<In: Send + 'static>(
        pool: Arc<PoolInner>,
        kind: &'static str,
        input: Input<In>,
        body: Body<In, T>,
        exact: bool,
    ) -> Self {
        StageBuilder {
            pool,
            kind,
            name: None,
            cfg: Config {
                exact,
                ..Config::default()
            },
            make: Box::new(move |pool, cfg, name| stage::build(pool, cfg, name, input, body)),
        }
    }

    /// Names the stage in errors and debug output (default: its kind, like `map`; errors also show the stage id).
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Each time this stage has to produce, it produces at least `n` items (default 1): a
    /// `read(1)` of a stage with `min_batch(500)` runs 500 items, and the next 499 reads are
    /// served from the buffer.
    pub fn min_batch(mut self, n: NonZeroUsize) -> Self {
        self.cfg.min_batch = n.get();
        self
    }

    /// At most `n` items per chunk (default 256), whatever the read size. For `map_chunk`,
    /// every chunk holds exactly `n` items except the last one of the stream.
    pub fn max_chunk(mut self, n: NonZeroUsize) -> Self {
        self.cfg.max_chunk = n.get();
        self
    }

    /// Bounds what the stage holds, buffered or in flight, when a reader asks for everything
    /// (default 4 × `max_chunk`): the stage pauses until readers take items. A `read(n)`
    /// larger than this still gets its `n` items.
    pub fn capacity(mut self, n: NonZeroUsize) -> Self {
        self.cfg.capacity = Some(n.get());
        self
    }

    /// At most `n` chunks of this stage queued or running at once (default: no limit beyond
    /// the capacity). Sources always run one chunk at a time.
    pub fn concurrency(mut self, n: NonZeroUsize) -> Self {
        self.cfg.concurrency = n.get();
        self
    }

    /// Deliver outputs in the order of this stage's input (default: as chunks finish). For
    /// the source's order at the end of a chain, make every stage of the chain ordered.
    pub fn ordered(mut self, yes: bool) -> Self {
        self.cfg.ordered = yes;
        self
    }

    /// What to do when this stage's function fails (default [`ErrorPolicy::FailFast`]).
    pub fn on_error(mut self, policy: ErrorPolicy) -> Self {
        self.cfg.policy = policy;
        self
    }

    /// Runs this stage on `pool` instead of its input's pool.
    pub fn pool(mut self, pool: &Pool) -> Self {
        self.pool = Arc::clone(pool.inner());
        self
    }

    /// Starts the stage (nothing runs before a read) and returns its reader.
    #[must_use = "dropping the reader cancels the stage"]
    pub fn build(self) -> Reader<T> {
        let name = self.name.unwrap_or_else(|| Arc::from(self.kind));
        (self.make)(self.pool, self.cfg, name)
    }
}

impl<T> fmt::Debug for StageBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StageBuilder")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("config", &self.cfg)
            .finish()
    }
}
