//! Closing a TLS session both ways: our close_notify out, the peer's in, within a bound.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::{AsyncRead, AsyncWrite};
use loop_core::Timer;

use crate::TlsStream;
use crate::error;

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Ends the session as asyncio's `close()` does: flushes pending data, sends close_notify,
    /// closes the underlying stream's write side, then waits for the peer's close_notify, at most
    /// [`shutdown_timeout`](TlsStream::shutdown_timeout). Application data that arrives meanwhile
    /// is discarded: read to the end first to keep it.
    ///
    /// Errors: [`io::ErrorKind::TimedOut`] if the peer's close_notify does not come in time,
    /// [`io::ErrorKind::UnexpectedEof`] if the peer closes the stream without one. Drop the stream
    /// afterwards to close the socket.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.block_on(async move {
    ///     # let (mut client, mut server) = loop_tls::doc_support::pair(cert, key).await?;
    ///     let peer = loop_core::spawn(async move { server.shutdown().await });
    ///     client.shutdown().await?;
    ///     peer.await.unwrap()
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&mut self) -> Shutdown<'_, S> {
        Shutdown {
            timer: Timer::after(self.shutdown_timeout()),
            stream: self,
            sent: false,
        }
    }
}

/// The future of [`TlsStream::shutdown`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Shutdown<'a, S> {
    stream: &'a mut TlsStream<S>,
    timer: Timer,
    sent: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Shutdown<'_, S> {
    fn poll_exchange(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.sent {
            ready!(Pin::new(&mut *self.stream).poll_close(cx))?;
            self.sent = true;
        }
        let mut discard = [0u8; 1024];
        loop {
            if ready!(Pin::new(&mut *self.stream).poll_read(cx, &mut discard))? == 0 {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Shutdown<'_, S> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Poll::Ready(result) = this.poll_exchange(cx) {
            return Poll::Ready(result);
        }
        ready!(Pin::new(&mut this.timer).poll(cx));
        Poll::Ready(Err(error::shutdown_timed_out(
            this.stream.shutdown_timeout(),
        )))
    }
}

impl<S: fmt::Debug> fmt::Debug for Shutdown<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("stream", &self.stream)
            .field("close_notify_sent", &self.sent)
            .finish()
    }
}
