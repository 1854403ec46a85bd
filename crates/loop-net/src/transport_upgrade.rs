//! STARTTLS on the transport API: take the stream out of a live connection, wrap it, and run
//! the same protocol over the wrapped stream (asyncio's `loop.start_tls`).

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};

use crate::transport::{Transport, setup, stream_io};
use crate::transport_conn::Setup;
use crate::transport_info::StreamInfo;
use crate::transport_io::{AnyIo, Stream};

impl Transport {
    /// Takes the stream out of the connection, for STARTTLS: reading stops at once, what is
    /// queued is sent, then the future gives the stream, and the protocol hears nothing more
    /// from this transport (no `connection_lost`). Wrap the stream (say in TLS) and continue
    /// with [`DetachedProtocol::attach`], which runs the same protocol over the new stream.
    /// [`upgrade`](Transport::upgrade) does all three steps.
    ///
    /// `unconsumed` is a tail of the data the protocol was last given that belongs to the
    /// new layer (bytes the peer sent right behind its STARTTLS command); it is replayed
    /// before the stream's own bytes.
    ///
    /// If the connection ends before the hand-over, the future fails with `NotConnected` and
    /// the protocol gets `connection_lost` as usual.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.write(b"220 go ahead\r\n"); // sent before the hand-over
    /// let detached = t.detach(b"early").await?;
    /// assert!(t.is_closing());
    /// assert_eq!(detached.unread(), b"early");
    /// let info = detached.info();
    /// let (stream, protocol) = detached.into_parts(); // replays "early" first
    /// // ... a TLS handshake on `stream` would go here ...
    /// let upgraded = protocol.attach(stream, info)?;
    /// assert!(!upgraded.is_closing());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn detach(&self, unconsumed: &[u8]) -> Detach {
        self.conn().start_detach(unconsumed);
        Detach {
            transport: self.clone(),
        }
    }

    /// STARTTLS in one call: [`detach`](Transport::detach), run `wrap` on the stream (with
    /// its addresses in a [`StreamInfo`]), and attach the same protocol to what `wrap`
    /// returns, without a second `connection_made`. Returns the new transport; the protocol
    /// still holds this one (now closing), so give it the new handle.
    ///
    /// # Errors
    ///
    /// A failed detach or `wrap`'s error; the protocol is then dropped without further calls
    /// (the stream is gone, and its end was never the protocol's doing).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let upgraded = t
    ///     .upgrade(&[], |stream, info| async move {
    ///         // A TLS handshake would wrap `stream` here.
    ///         Ok((stream, info.extra("wrapped")))
    ///     })
    ///     .await?;
    /// assert_eq!(upgraded.extra::<&str>(), Some("wrapped"));
    /// assert!(t.is_closing());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn upgrade<W, Fut, S>(&self, unconsumed: &[u8], wrap: W) -> io::Result<Transport>
    where
        W: FnOnce(Rewind<Box<dyn Stream>>, StreamInfo) -> Fut,
        Fut: Future<Output = io::Result<(S, StreamInfo)>>,
        S: Stream,
    {
        let detached = self.detach(unconsumed).await?;
        let info = detached.info();
        let (stream, protocol) = detached.into_parts();
        let (stream, info) = wrap(stream, info).await?;
        protocol.attach(stream, info)
    }
}

/// Future of [`Transport::detach`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Detach {
    transport: Transport,
}

impl Future for Detach {
    type Output = io::Result<Detached>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Detached>> {
        self.transport.conn().poll_detach(cx)
    }
}

/// A connection taken apart by [`Transport::detach`]: its stream, bytes to replay in front
/// of it, and its protocol, ready to [`attach`](DetachedProtocol::attach) to a wrapped stream.
pub struct Detached {
    pub(crate) stream: Box<dyn Stream>,
    pub(crate) unread: Vec<u8>,
    pub(crate) info: StreamInfo,
    pub(crate) protocol: DetachedProtocol,
}

impl Detached {
    /// The addresses of the connection, to pass on to [`DetachedProtocol::attach`].
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let detached = t.detach(&[]).await?;
    /// assert!(format!("{:?}", detached.info()).contains("peer: Some"));
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn info(&self) -> StreamInfo {
        let mut info = StreamInfo::new();
        info.peer = self.info.peer.clone();
        info.local = self.info.local.clone();
        info
    }

    /// The bytes [`into_parts`](Detached::into_parts) replays before the stream's own.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let detached = t.detach(b"ClientHello").await?;
    /// assert_eq!(detached.unread(), b"ClientHello");
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn unread(&self) -> &[u8] {
        &self.unread
    }

    /// The stream with the unread bytes replayed first, for a caller that holds the protocol
    /// itself and continues with [`Transport::attach`]; the detached protocol is dropped
    /// (it gets no `connection_lost`).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, _theirs) = loop_net::UnixStream::pair()?;
    /// let (t, protocol) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let stream = t.detach(&[]).await?.into_stream();
    /// // ... wrap `stream` ...
    /// let again = loop_net::Transport::attach(stream, loop_net::StreamInfo::new(), protocol)?;
    /// assert!(!again.is_closing());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_stream(self) -> Rewind<Box<dyn Stream>> {
        Rewind::new(self.unread, self.stream)
    }

    /// The stream (with the unread bytes replayed first) and the protocol. Downcast the
    /// inner stream with [`Rewind::into_parts`] and [`Stream::into_any`] if you need its type.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let detached = t.detach(b"early ").await?;
    /// let (stream, _protocol) = detached.into_parts();
    /// { use futures_lite::AsyncWriteExt; (&theirs).write_all(b"late").await?; }
    /// drop(theirs);
    /// let mut all = String::new();
    /// futures_lite::AsyncReadExt::read_to_string(&mut { stream }, &mut all).await?;
    /// assert_eq!(all, "early late");
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_parts(self) -> (Rewind<Box<dyn Stream>>, DetachedProtocol) {
        (Rewind::new(self.unread, self.stream), self.protocol)
    }
}

impl fmt::Debug for Detached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Detached")
            .field("unread", &self.unread.len())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

type AttachFn = Box<dyn FnOnce(AnyIo, Setup) -> io::Result<Transport>>;

/// The protocol of a detached connection, waiting for its new stream. Dropping it drops the
/// protocol without a `connection_lost`.
pub struct DetachedProtocol {
    pub(crate) attach: AttachFn,
}

impl DetachedProtocol {
    /// Runs the protocol over `stream` with a new transport, without a second
    /// `connection_made` (asyncio's `start_tls` keeps the protocol the same way).
    ///
    /// # Errors
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let detached = t.detach(&[]).await?;
    /// let info = detached.info();
    /// let (stream, protocol) = detached.into_parts();
    /// let again = protocol.attach(stream, info)?; // no second connection_made
    /// assert!(!again.is_closing());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn attach<S: Stream>(self, stream: S, info: StreamInfo) -> io::Result<Transport> {
        let io = stream_io(stream, &info);
        (self.attach)(io, setup(info, false))
    }
}

impl fmt::Debug for DetachedProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DetachedProtocol").finish_non_exhaustive()
    }
}

/// A stream that yields some bytes of its own before its inner stream's (see
/// [`Detached::into_parts`]). Writes go straight to the inner stream.
///
/// ```
/// use futures_lite::AsyncReadExt;
/// let mut s = loop_net::Rewind::new(b"hello".to_vec(), futures_lite::io::Cursor::new(b" world".to_vec()));
/// let mut all = String::new();
/// futures_lite::future::block_on(s.read_to_string(&mut all)).unwrap();
/// assert_eq!(all, "hello world");
/// ```
#[derive(Debug)]
pub struct Rewind<S> {
    unread: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Rewind<S> {
    /// Puts `unread` in front of `inner`.
    ///
    /// ```
    /// let r = loop_net::Rewind::new(b"x".to_vec(), futures_lite::io::empty());
    /// # let _ = r;
    /// ```
    pub fn new(unread: Vec<u8>, inner: S) -> Rewind<S> {
        Rewind {
            unread,
            pos: 0,
            inner,
        }
    }

    /// The inner stream and the replay bytes not read yet.
    ///
    /// ```
    /// let r = loop_net::Rewind::new(b"x".to_vec(), futures_lite::io::empty());
    /// let (_, rest) = r.into_parts();
    /// assert_eq!(rest, b"x");
    /// ```
    pub fn into_parts(mut self) -> (S, Vec<u8>) {
        self.unread.drain(..self.pos);
        (self.inner, self.unread)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pos < this.unread.len() {
            let rest = &this.unread[this.pos..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            this.pos += n;
            if this.pos == this.unread.len() {
                this.unread = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
