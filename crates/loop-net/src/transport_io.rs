//! What a transport reads from and writes to: a registered socket (the fast path) or any
//! futures-io stream.

use std::any::Any;
use std::io::{self, IoSlice, Read};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::io::{AsyncRead, AsyncWrite};
use loop_core::Async;

use crate::sys;
use crate::sys::shutdown_write;
use crate::tcp_stream::TcpStream;
use crate::transport_info::TransportAddr;
use crate::unix_stream::UnixStream;

/// A byte stream a transport can run over: anything `AsyncRead + AsyncWrite + Unpin +
/// 'static` (a TCP or Unix stream, a TLS stream, a test double). Implemented for all of them.
///
/// [`Detached::stream`](crate::Detached) is a `Box<dyn Stream>`; get the concrete type back
/// with [`into_any`](Stream::into_any) and `downcast`.
///
/// ```
/// use loop_net::Stream;
/// let boxed: Box<dyn Stream> = Box::new(futures_lite::io::Cursor::new(vec![1u8]));
/// let back = boxed.into_any().downcast::<futures_lite::io::Cursor<Vec<u8>>>().unwrap();
/// assert_eq!(back.into_inner(), [1]);
/// ```
pub trait Stream: AsyncRead + AsyncWrite + Unpin + 'static {
    /// The stream as `Any`, to downcast to its concrete type.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: AsyncRead + AsyncWrite + Unpin + 'static> Stream for T {
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// The operations a connection driver needs. `poll_*` register the given waker when they
/// return `Pending`, as futures-io does.
pub(crate) trait TransportIo: 'static {
    /// Whether `poll_write` may keep bytes back until `poll_flush` (a TLS stream does).
    fn needs_flush(&self) -> bool;

    /// Waits until a read may find data, without reading. Only a readiness-tracking source
    /// can say; the others report ready and let the read decide.
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Reads into `buf`; `Ok(0)` is end of stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    fn poll_write(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>])
    -> Poll<io::Result<usize>>;

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Ends the sending direction (asyncio's `write_eof`).
    fn poll_shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    fn peer_addr(&self) -> Option<TransportAddr>;

    fn local_addr(&self) -> Option<TransportAddr>;

    fn into_stream(self) -> Box<dyn Stream>;
}

/// A socket type the fast path can drive: one of this crate's streams, whose registered
/// std socket it reads and writes directly.
pub(crate) trait Socket: Stream {
    type Std: AsFd;
    fn registered(&self) -> &Async<Self::Std>;
    fn peer(&self) -> Option<TransportAddr>;
    fn local(&self) -> Option<TransportAddr>;
}

impl Socket for TcpStream {
    type Std = std::net::TcpStream;
    fn registered(&self) -> &Async<std::net::TcpStream> {
        self.as_async()
    }
    fn peer(&self) -> Option<TransportAddr> {
        self.peer_addr().ok().map(TransportAddr::Inet)
    }
    fn local(&self) -> Option<TransportAddr> {
        self.local_addr().ok().map(TransportAddr::Inet)
    }
}

impl Socket for UnixStream {
    type Std = std::os::unix::net::UnixStream;
    fn registered(&self) -> &Async<std::os::unix::net::UnixStream> {
        self.as_async()
    }
    fn peer(&self) -> Option<TransportAddr> {
        self.peer_addr().ok().map(TransportAddr::Unix)
    }
    fn local(&self) -> Option<TransportAddr> {
        self.local_addr().ok().map(TransportAddr::Unix)
    }
}

/// The fast path: a socket registered with the loop, read and written with one syscall each.
///
/// Operations are tried first and readiness consulted only on `EAGAIN`: the driver reads when
/// it was woken for readability, and a write usually finds room, so a check first would
/// cost more than the rare `EAGAIN` it saves. A read shorter than the buffer does not prove
/// the socket drained (a FIN that came with the data is still there, its edge spent), so
/// readiness is kept until a read says `EAGAIN`.
pub(crate) struct SocketIo<T>(pub(crate) T);

impl<T: Socket> TransportIo for SocketIo<T>
where
    for<'a> &'a T::Std: Read,
{
    fn needs_flush(&self) -> bool {
        false
    }

    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.registered().poll_readable(cx)
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.0
            .registered()
            .poll_read_stream(cx, len, |mut s| s.read(buf))
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let io = self.0.registered();
        loop {
            let result = match bufs {
                [one] => sys::send(io.get_ref(), one),
                _ => sys::send_vectored(io.get_ref(), bufs),
            };
            match result {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    io.clear_writable()?;
                    ready!(io.poll_writable(cx))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown_write(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(self.0.registered().get_ref()))
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        self.0.peer()
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        self.0.local()
    }

    fn into_stream(self) -> Box<dyn Stream> {
        Box::new(self.0)
    }
}

/// Any futures-io stream, with the addresses its creator knows.
pub(crate) struct StreamIo<S> {
    pub(crate) stream: S,
    pub(crate) peer: Option<TransportAddr>,
    pub(crate) local: Option<TransportAddr>,
}

impl<S: Stream> TransportIo for StreamIo<S> {
    fn needs_flush(&self) -> bool {
        true
    }

    fn poll_read_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match bufs {
            [one] => Pin::new(&mut self.stream).poll_write(cx, one),
            _ => Pin::new(&mut self.stream).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_close(cx)
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        self.peer.clone()
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        self.local.clone()
    }

    fn into_stream(self) -> Box<dyn Stream> {
        Box::new(self.stream)
    }
}

/// The sources a transport runs over, as one type: the driver is compiled once per protocol,
/// and a match costs less than the syscall behind every arm.
pub(crate) enum AnyIo {
    Tcp(SocketIo<TcpStream>),
    Unix(SocketIo<UnixStream>),
    /// Boxed: its addresses would make every variant as large as a Unix socket address.
    Stream(Box<StreamIo<Box<dyn Stream>>>),
}

impl std::fmt::Debug for AnyIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnyIo::Tcp(_) => "Tcp",
            AnyIo::Unix(_) => "Unix",
            AnyIo::Stream(_) => "Stream",
        })
    }
}

macro_rules! each {
    ($self:ident, $io:ident => $e:expr) => {
        match $self {
            AnyIo::Tcp($io) => $e,
            AnyIo::Unix($io) => $e,
            AnyIo::Stream($io) => $e,
        }
    };
}

impl TransportIo for AnyIo {
    fn needs_flush(&self) -> bool {
        matches!(self, AnyIo::Stream(_))
    }

    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_read_ready(cx))
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        each!(self, io => io.poll_read(cx, buf))
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => io.poll_write(cx, bufs))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_shutdown_write(cx))
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        each!(self, io => io.peer_addr())
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        each!(self, io => io.local_addr())
    }

    fn into_stream(self) -> Box<dyn Stream> {
        match self {
            AnyIo::Tcp(io) => io.into_stream(),
            AnyIo::Unix(io) => io.into_stream(),
            AnyIo::Stream(io) => io.stream,
        }
    }
}
