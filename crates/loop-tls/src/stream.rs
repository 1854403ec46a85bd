//! `TlsStream`: rustls over any async byte stream, as a futures-io stream itself.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};
use loop_net::Rewind;
use rustls::Connection;

use crate::error;
use crate::read_ahead::ReadAhead;
use crate::sync_io::SyncIo;

/// A TLS session over a stream `S`: reads and writes plaintext, and carries ciphertext over `S`.
///
/// Made by [`TlsConnector::connect`](crate::TlsConnector::connect) or
/// [`TlsAcceptor::accept`](crate::TlsAcceptor::accept) once the handshake is done. It implements
/// futures-io [`AsyncRead`] and [`AsyncWrite`], so it can itself carry another TLS session.
///
/// Reading returns `Ok(0)` only after the peer's close_notify; a peer that closes the underlying
/// stream without one gives an [`io::ErrorKind::UnexpectedEof`] error, so a truncated stream is
/// always detectable. [`AsyncWrite::poll_close`] sends our close_notify and closes the underlying
/// stream's write side; [`shutdown`](TlsStream::shutdown) also waits, bounded, for the peer's.
///
/// # Examples
///
/// ```
/// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use loop_tls::{TlsAcceptor, TlsConnector};
/// use std::os::unix::net::UnixStream;
///
/// let acceptor = TlsAcceptor::builder().certificate(vec![cert.clone()], key).build()?;
/// let connector = TlsConnector::builder().system_roots(false).add_root_certificate(cert).build()?;
/// let (a, b) = UnixStream::pair()?;
/// let reply = loop_core::EventLoop::new()?.block_on(async move {
///     let server = loop_core::spawn(async move {
///         let mut tls = acceptor.accept(loop_core::Async::new(b)?).await?;
///         let mut buf = [0; 5];
///         tls.read_exact(&mut buf).await?;
///         tls.write_all(&buf).await?;
///         tls.shutdown().await
///     });
///     let mut tls = connector.connect("localhost", loop_core::Async::new(a)?).await?;
///     tls.write_all(b"hello").await?;
///     let mut reply = Vec::new();
///     tls.read_to_end(&mut reply).await?; // ends at the server's close_notify
///     tls.shutdown().await?; // answers it with ours
///     server.await.unwrap()?;
///     std::io::Result::Ok(reply)
/// }).unwrap()?;
/// assert_eq!(reply, b"hello");
/// # std::io::Result::Ok(())
/// ```
pub struct TlsStream<S> {
    io: S,
    conn: Connection,
    /// The host name a client sent as SNI (a server reads it from `conn`).
    sent_sni: Option<Box<str>>,
    shutdown_timeout: Duration,
    ahead: ReadAhead,
    /// The fatal error rustls reported, given again to every later read.
    failed: Option<rustls::Error>,
}

impl<S> TlsStream<S> {
    pub(crate) fn new(
        io: S,
        conn: Connection,
        sent_sni: Option<Box<str>>,
        shutdown_timeout: Duration,
    ) -> TlsStream<S> {
        TlsStream {
            io,
            conn,
            sent_sni,
            shutdown_timeout,
            ahead: ReadAhead::default(),
            failed: None,
        }
    }

    /// The underlying stream.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (mut tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// let _unix: &loop_core::Async<std::os::unix::net::UnixStream> = tls.get_ref();
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The underlying stream, mutably. Reading or writing it directly corrupts the TLS session.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (mut tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// let _unix = tls.get_mut();
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The rustls connection, for anything the accessors here do not cover.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (mut tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert!(!tls.connection().is_handshaking());
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Gives back the underlying stream, ending TLS on it without a close_notify: the way back to
    /// plaintext for protocols that downgrade after an exchange both sides agreed on. Bytes
    /// already read from the stream but not yet given to rustls are replayed first.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (mut tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// let (_unix, _rustls) = tls.into_inner();
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_inner(self) -> (Rewind<S>, Connection) {
        (Rewind::new(self.ahead.into_unread(), self.io), self.conn)
    }

    /// How long [`shutdown`](TlsStream::shutdown) waits for the peer's close_notify (default
    /// 30 s, as asyncio's `ssl_shutdown_timeout`).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (mut tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// tls.set_shutdown_timeout(std::time::Duration::from_secs(5));
    /// assert_eq!(tls.shutdown_timeout(), std::time::Duration::from_secs(5));
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_shutdown_timeout(&mut self, limit: Duration) {
        self.shutdown_timeout = limit;
    }

    /// See [`set_shutdown_timeout`](TlsStream::set_shutdown_timeout).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (mut tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert_eq!(tls.shutdown_timeout(), std::time::Duration::from_secs(30));
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    pub(crate) fn sent_sni(&self) -> Option<&str> {
        self.sent_sni.as_deref()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Moves ciphertext from the stream into rustls and decrypts it. `Ok(0)`: the stream's EOF.
    pub(crate) fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if let Some(err) = &self.failed {
            return Poll::Ready(Err(error::from_rustls(err.clone())));
        }
        let n = loop {
            if let Some(n) = self.ahead.feed(&mut self.conn)? {
                break n;
            }
            if ready!(self.ahead.poll_fill(&mut self.io, cx))? == 0 {
                self.ahead.feed_eof(&mut self.conn)?;
                break 0;
            }
        };
        if let Err(err) = self.conn.process_new_packets() {
            // rustls queued an alert telling the peer why; deliver it if the stream takes it now.
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            let _ = self.conn.write_tls(&mut io);
            self.failed = Some(err.clone());
            return Poll::Ready(Err(error::from_rustls(err)));
        }
        Poll::Ready(Ok(n))
    }

    /// Writes queued ciphertext to the stream until rustls has none left.
    pub(crate) fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match self.conn.write_tls(&mut io) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Drives the handshake to its end, our last flight flushed included.
    pub(crate) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.is_handshaking() {
            let write_pending = self.poll_flush_tls(cx)?.is_pending();
            if !self.conn.is_handshaking() {
                break;
            }
            if self.conn.wants_read() {
                match ready!(self.poll_read_tls(cx))? {
                    0 => return Poll::Ready(Err(error::eof_during_handshake())),
                    _ => continue,
                }
            }
            if write_pending {
                return Poll::Pending;
            }
            // Handshaking, yet nothing to read or write: the peer's close_notify came first.
            return Poll::Ready(Err(error::eof_during_handshake()));
        }
        self.poll_flush_tls(cx)
    }

    /// Hands plaintext (`len` bytes in all) to rustls and pushes out what it encrypts.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        mut write: impl FnMut(&mut rustls::Writer<'_>) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            // rustls takes plaintext up to its outgoing buffer limit; 0 means full.
            let n = write(&mut self.conn.writer())?;
            let flushed = self.poll_flush_tls(cx)?;
            if n > 0 || len == 0 {
                // What the stream did not take yet waits in rustls for the next call.
                return Poll::Ready(Ok(n));
            }
            // Full, and now drained: there is room again.
            ready!(flushed);
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match this.conn.reader().read(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // UnexpectedEof here is rustls saying the stream ended without close_notify.
                Err(e) => return Poll::Ready(Err(e)),
            }
            if let Err(err) = ready!(this.poll_read_tls(cx)) {
                // What was decrypted before the failure comes first; the error stays for later.
                return Poll::Ready(match this.conn.reader().read(buf) {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(err),
                });
            }
            // Records read may ask for an answer (a key update); it must not wait for our next write.
            if this.conn.wants_write() {
                let _ = this.poll_flush_tls(cx)?;
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, buf.len(), |w| w.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.get_mut()
            .poll_write_with(cx, len, |w| w.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_tls(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // send_close_notify is idempotent in effect: rustls queues the alert only once.
        this.conn.send_close_notify();
        ready!(this.poll_flush_tls(cx))?;
        Pin::new(&mut this.io).poll_close(cx)
    }
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("io", &self.io)
            .field("server", &matches!(self.conn, Connection::Server(_)))
            .field("version", &self.conn.protocol_version())
            .finish_non_exhaustive()
    }
}
