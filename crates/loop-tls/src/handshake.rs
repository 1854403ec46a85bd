//! The handshake future shared by both sides, bounded by the handshake timeout.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};
use loop_core::Timer;

use crate::TlsStream;
use crate::error;

/// Completes a TLS handshake over a stream; made by
/// [`TlsConnector::connect`](crate::TlsConnector::connect) and
/// [`TlsAcceptor::accept`](crate::TlsAcceptor::accept).
///
/// Resolves to the [`TlsStream`], or to the handshake's error: a rejected certificate
/// (see [`rustls_error`](crate::rustls_error)), the peer's EOF ([`io::ErrorKind::UnexpectedEof`]) or
/// the handshake timeout ([`io::ErrorKind::TimedOut`]). On any error, and when dropped unfinished,
/// it drops the stream, which closes the socket.
///
/// # Examples
///
/// ```
/// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
/// use std::time::Duration;
/// use loop_tls::TlsConnector;
/// use std::os::unix::net::UnixStream;
///
/// // A peer that never answers: the handshake gives up after its timeout.
/// let connector = TlsConnector::builder()
///     .system_roots(false)
///     .add_root_certificate(cert)
///     .handshake_timeout(Duration::from_millis(50))
///     .build()?;
/// let (a, _silent) = UnixStream::pair()?;
/// let err = loop_core::EventLoop::new()?.block_on(async move {
///     connector.connect("localhost", loop_core::Async::new(a).unwrap()).await.unwrap_err()
/// }).unwrap();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// # std::io::Result::Ok(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Handshake<S> {
    state: State<S>,
    timer: Timer,
    limit: Duration,
}

// Boxing the session would cost an allocation per connection to shrink states that last only
// for the handshake's final poll.
#[allow(clippy::large_enum_variant)]
enum State<S> {
    Running(TlsStream<S>),
    Failed(io::Error),
    Done,
}

impl<S> Handshake<S> {
    pub(crate) fn new(stream: io::Result<TlsStream<S>>, limit: Duration) -> Handshake<S> {
        let state = match stream {
            Ok(stream) => State::Running(stream),
            Err(err) => State::Failed(err),
        };
        Handshake {
            state,
            timer: Timer::after(limit),
            limit,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Handshake<S> {
    type Output = io::Result<TlsStream<S>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = match &mut this.state {
            State::Running(stream) => match stream.poll_handshake(cx) {
                Poll::Ready(result) => result,
                Poll::Pending => match Pin::new(&mut this.timer).poll(cx) {
                    Poll::Ready(_) => Err(error::handshake_timed_out(this.limit)),
                    Poll::Pending => return Poll::Pending,
                },
            },
            State::Failed(_) | State::Done => Ok(()),
        };
        match (std::mem::replace(&mut this.state, State::Done), result) {
            (State::Running(stream), Ok(())) => Poll::Ready(Ok(stream)),
            (State::Failed(err), _) | (_, Err(err)) => Poll::Ready(Err(err)),
            (State::Done, Ok(())) => panic!("Handshake polled after completion"),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Handshake<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Handshake");
        match &self.state {
            State::Running(stream) => d.field("stream", stream),
            State::Failed(err) => d.field("error", err),
            State::Done => d.field("done", &true),
        };
        d.field("limit", &self.limit).finish()
    }
}
