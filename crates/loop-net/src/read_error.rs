//! [`ReadError`]: what [`StreamReader`](crate::StreamReader)'s framed reads fail with.

use std::fmt;
use std::io;

/// Why a framed read ([`read_until`](crate::StreamReader::read_until),
/// [`read_line`](crate::StreamReader::read_line), [`read_exact`](crate::StreamReader::read_exact))
/// returned no frame. Converts into an [`io::Error`] for `?` in `io::Result` code.
///
/// ```
/// use loop_net::{ReadError, StreamReader};
/// loop_core::run(async {
///     let mut r = StreamReader::new(&b"no newline"[..]);
///     match r.read_line().await {
///         Err(ReadError::IncompleteRead { partial, expected: None }) => assert_eq!(partial, b"no newline"),
///         other => panic!("{other:?}"),
///     }
///     let as_io: std::io::Error = StreamReader::new(&b""[..]).read_exact(1).await.unwrap_err().into();
///     assert_eq!(as_io.kind(), std::io::ErrorKind::UnexpectedEof);
/// }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// The underlying stream failed.
    Io(io::Error),
    /// The limit was reached before a whole frame (asyncio's `LimitOverrunError`). Nothing was
    /// consumed: the bytes stay buffered, so the caller may look at them
    /// ([`buffer`](crate::StreamReader::buffer)) and drop them
    /// ([`consume`](crate::StreamReader::consume)).
    LimitOverrun {
        /// How many buffered bytes to consume to get past the over-long frame: up to and
        /// including the separator when `found`, else the bytes searched so far.
        consumed: usize,
        /// Whether the separator is in the buffer (the frame is complete but too long).
        found: bool,
    },
    /// The stream ended before a whole frame (asyncio's `IncompleteReadError`). The partial
    /// bytes are handed over and no longer buffered.
    IncompleteRead {
        /// The bytes read before the end of the stream.
        partial: Vec<u8>,
        /// How many bytes were wanted (`read_exact`), or `None` for a separator.
        expected: Option<usize>,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => e.fmt(f),
            ReadError::LimitOverrun { consumed, found } => {
                if *found {
                    write!(
                        f,
                        "separator is found, but the {consumed}-byte chunk is longer than the limit"
                    )
                } else {
                    write!(
                        f,
                        "separator is not found, and the {consumed} bytes searched exceed the limit"
                    )
                }
            }
            ReadError::IncompleteRead { partial, expected } => match expected {
                Some(n) => write!(
                    f,
                    "{} bytes read on a total of {n} expected bytes",
                    partial.len()
                ),
                None => write!(
                    f,
                    "{} bytes read before the end of the stream, no separator",
                    partial.len()
                ),
            },
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

/// `Io` gives its error back; an overrun is `InvalidData`, an incomplete read `UnexpectedEof`
/// (with this error, partial bytes included, as the source).
impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> io::Error {
        match e {
            ReadError::Io(e) => e,
            e @ ReadError::LimitOverrun { .. } => io::Error::new(io::ErrorKind::InvalidData, e),
            e @ ReadError::IncompleteRead { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, e),
        }
    }
}
