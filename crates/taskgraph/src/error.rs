//! What a read can fail with, and what a stage does when its own code fails.

use std::fmt;
use std::sync::Arc;

/// The error type user closures return: any error that can cross threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Identifies a stage within the process (unique across pools).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StageId(pub(crate) u64);

impl fmt::Display for StageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Why a read failed.
///
/// A failing stage first delivers the items it produced before the failure; then every reader
/// downstream of it gets the same error, naming the stage that failed.
///
/// ```
/// use taskgraph::{Error, Pool};
///
/// let pool = Pool::inline();
/// let r = pool.source(0..3).build().map(|i: i32| {
///     if i == 2 { Err("two".into()) } else { Ok(i) }
/// }).name("check").build();
/// let mut got = Vec::new();
/// let err = r.read_all_into(&mut got).unwrap_err();
/// assert_eq!(got, [0, 1]);
/// assert_eq!(err.stage_name(), Some("check"));
/// assert!(matches!(err, Error::Stage { .. }));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The stage's function returned an error.
    Stage {
        /// The stage that failed.
        stage: StageId,
        /// Its name.
        name: Arc<str>,
        /// What the function returned.
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The stage's function (or its source iterator or stream) panicked.
    Panicked {
        /// The stage that panicked.
        stage: StageId,
        /// Its name.
        name: Arc<str>,
        /// The panic message, when it was a string.
        message: String,
    },
    /// A stage with [`ErrorPolicy::Collect`] reached its end after some items failed.
    Collected {
        /// The stage that collected the errors.
        stage: StageId,
        /// Its name.
        name: Arc<str>,
        /// Every item failure, in the order they were seen.
        errors: Arc<[Error]>,
    },
    /// The stage was cancelled while this handle was still reading it.
    Cancelled,
    /// The pool running the stage was dropped.
    PoolGone,
}

impl Error {
    /// The name of the stage the error comes from, if it comes from one.
    pub fn stage_name(&self) -> Option<&str> {
        match self {
            Error::Stage { name, .. }
            | Error::Panicked { name, .. }
            | Error::Collected { name, .. } => Some(name),
            Error::Cancelled | Error::PoolGone => None,
        }
    }

    /// The id of the stage the error comes from, if it comes from one.
    pub fn stage_id(&self) -> Option<StageId> {
        match self {
            Error::Stage { stage, .. }
            | Error::Panicked { stage, .. }
            | Error::Collected { stage, .. } => Some(*stage),
            Error::Cancelled | Error::PoolGone => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Stage {
                stage,
                name,
                source,
            } => write!(f, "stage `{name}` ({stage}) failed: {source}"),
            Error::Panicked {
                stage,
                name,
                message,
            } => {
                write!(f, "stage `{name}` ({stage}) panicked: {message}")
            }
            Error::Collected {
                stage,
                name,
                errors,
            } => {
                write!(f, "stage `{name}` ({stage}): {} items failed", errors.len())?;
                if let Some(first) = errors.first() {
                    write!(f, "; the first: {first}")?;
                }
                Ok(())
            }
            Error::Cancelled => f.write_str("the stage was cancelled"),
            Error::PoolGone => f.write_str("the pool running the stage was dropped"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Stage { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

/// What a stage does when its function fails on an item (or on a chunk, for `map_chunk`).
///
/// Errors coming from upstream are always forwarded; the policy is about the stage's own code.
///
/// ```
/// use taskgraph::{Error, ErrorPolicy, Pool};
/// let pool = Pool::inline();
/// let r = pool.source(["1", "x", "y"]).build()
///     .map(|s: &str| Ok(s.parse::<u8>()?))
///     .on_error(ErrorPolicy::Collect)
///     .build();
/// let mut got = Vec::new();
/// let Err(Error::Collected { errors, .. }) = r.read_all_into(&mut got) else { panic!() };
/// assert_eq!((got, errors.len()), (vec![1], 2));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Stop: deliver what was produced before the failure, then the error (the default).
    #[default]
    FailFast,
    /// Drop the failed item and carry on; the failures are counted in
    /// [`StageStats::errors`](crate::StageStats::errors).
    Skip,
    /// Carry on, then end the stream with [`Error::Collected`] holding every failure.
    Collect,
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string payload".to_owned()
    }
}
