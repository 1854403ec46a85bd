//! How TLS failures surface: as `io::Error`s whose kind says what happened and whose inner error,
//! for protocol and certificate failures, is the [`rustls::Error`] itself.

use std::io;
use std::time::Duration;

/// The [`rustls::Error`] inside an I/O error from this crate, if it carries one: the way to tell a
/// certificate that failed verification (`rustls::Error::InvalidCertificate`) from other failures.
///
/// # Examples
///
/// ```
/// use std::io;
/// use rustls::{CertificateError, Error};
///
/// let err = io::Error::new(io::ErrorKind::InvalidData, Error::InvalidCertificate(CertificateError::Expired));
/// assert!(matches!(
///     loop_tls::rustls_error(&err),
///     Some(Error::InvalidCertificate(CertificateError::Expired))
/// ));
/// assert!(loop_tls::rustls_error(&io::Error::other("plain")).is_none());
/// ```
pub fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

/// A protocol or certificate failure reported by rustls.
pub(crate) fn from_rustls(err: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

/// asyncio's wording, with Rust's kind for "ran out of time".
pub(crate) fn handshake_timed_out(limit: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("TLS handshake is taking longer than {limit:?}; connection closed"),
    )
}

pub(crate) fn shutdown_timed_out(limit: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("TLS shutdown timed out: no close_notify from the peer within {limit:?}"),
    )
}

pub(crate) fn eof_during_handshake() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the peer closed the connection during the TLS handshake",
    )
}
