//! [`Transport`]: the handle a protocol writes through, asyncio's stream transport.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::io::{self, IoSlice};
use std::rc::Rc;

use futures_lite::io::{AsyncRead, AsyncWrite};

use crate::buffered_protocol::BufferedProtocol;
use crate::protocol::Protocol;
use crate::transport_conn::{ConnOps, Setup, start};
use crate::transport_info::{StreamInfo, TransportAddr};
use crate::transport_io::{AnyIo, StreamIo};
use crate::transport_receiver::{BufferReceiver, SliceReceiver};

/// A stream connection as its protocol sees it (asyncio's `Transport`): write without ever
/// blocking, half-close, close or abort, pause reading, and write-buffer flow control.
///
/// Cheap to clone (all clones are the same connection) and bound to its loop's thread.
/// Made by [`create_connection`](crate::create_connection), by a
/// [`Server`](crate::Server) for each connection it accepts, or over any byte stream by
/// [`Transport::from_stream`].
///
/// # Writing and flow control
///
/// [`write`](Transport::write) tries the socket at once when nothing is queued, so a write
/// the kernel takes whole costs one syscall and no copy; what it does not take is queued and
/// sent as the socket drains. When the queue grows above the high-water mark (64 KiB by
/// default) the protocol's `pause_writing` is called, and `resume_writing` once it is back
/// at or below the low-water mark (16 KiB): a protocol that honours them keeps memory bounded
/// against a slow reader. A write made inside one of the protocol's own callbacks cannot call
/// back into it (it is borrowed): the call comes right after that callback returns, and
/// [`writing_paused`](Transport::writing_paused) tells a producing loop when to stop.
///
/// # Extension points (TLS and STARTTLS)
///
/// - [`Transport::from_stream`]: a transport over any `AsyncRead + AsyncWrite` stream, such as
///   a TLS stream, with what the stream cannot say about itself in a [`StreamInfo`]
///   (addresses, typed extras, `can_write_eof`, and
///   [`shutdown_on_close`](StreamInfo::shutdown_on_close) for a close_notify on `close`).
/// - [`create_connection_with`](crate::create_connection_with) and
///   [`ServerBuilder::wrap`](crate::ServerBuilder::wrap): transform each connected or
///   accepted socket (a TLS handshake) before the protocol attaches; asyncio's `ssl=`.
/// - [`Transport::upgrade`] (or [`Transport::detach`] then
///   [`DetachedProtocol::attach`](crate::DetachedProtocol::attach)): take the
///   stream out of a live connection, wrap it, and carry on with the same protocol
///   (asyncio's `loop.start_tls`).
///
/// # Examples
///
/// ```
/// use loop_net::{Protocol, StreamInfo, Transport};
///
/// struct Greeter;
/// impl Protocol for Greeter {
///     fn connection_made(&mut self, t: Transport) {
///         t.write(b"hello");
///         t.close();
///     }
///     fn data_received(&mut self, _: &[u8]) {}
/// }
///
/// loop_core::run(async {
///     let (a, b) = std::os::unix::net::UnixStream::pair()?;
///     let a = loop_core::Async::new(a)?;
///     let (transport, _proto) = Transport::from_stream(a, StreamInfo::new(), || Greeter)?;
///     let mut got = Vec::new();
///     let mut b = loop_core::Async::new(b)?;
///     futures_lite::AsyncReadExt::read_to_end(&mut b, &mut got).await?;
///     assert_eq!(got, b"hello");
///     assert!(transport.is_closing());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Transport {
    conn: Rc<dyn ConnOps>,
}

impl Transport {
    pub(crate) fn new(conn: Rc<dyn ConnOps>) -> Transport {
        Transport { conn }
    }

    pub(crate) fn conn(&self) -> &Rc<dyn ConnOps> {
        &self.conn
    }

    /// Runs `protocol_factory()`'s protocol over `stream`: `connection_made` is called before
    /// this returns, and a task of the running loop drives the connection from then on.
    /// `info` supplies the addresses and extras the stream cannot report.
    ///
    /// This is the generic path: any futures-io stream works, a TLS stream included. Sockets
    /// connected or accepted by this crate take a faster path of their own.
    ///
    /// # Errors
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use loop_net::{Protocol, StreamInfo, Transport};
    /// struct Nop;
    /// impl Protocol for Nop {
    ///     fn data_received(&mut self, _: &[u8]) {}
    /// }
    /// let stream = futures_lite::io::Cursor::new(Vec::new());
    /// assert!(Transport::from_stream(stream, StreamInfo::new(), || Nop).is_err()); // no loop
    /// ```
    pub fn from_stream<S, F>(
        stream: S,
        info: StreamInfo,
        protocol_factory: F,
    ) -> io::Result<(Transport, Rc<RefCell<F::Protocol>>)>
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
        F: ProtocolFactory,
    {
        let mut factory = protocol_factory;
        let protocol = Rc::new(RefCell::new(factory.make()));
        let parts = AttachParts {
            io: stream_io(stream, &info),
            setup: setup(info, true),
        };
        let transport = F::attach(parts, protocol.clone())?;
        Ok((transport, protocol))
    }

    /// Attaches a protocol you hold to `stream` without calling `connection_made`: for a
    /// protocol moved from another transport by hand (see also [`DetachedProtocol::attach`](crate::DetachedProtocol::attach), which
    /// needs no handle). It receives `data_received`, and later `connection_lost`, from the
    /// new transport; give it the returned handle.
    ///
    /// # Errors
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use loop_net::{Protocol, StreamInfo, Transport};
    /// struct Nop;
    /// impl Protocol for Nop {
    ///     fn data_received(&mut self, _: &[u8]) {}
    /// }
    /// let stream = futures_lite::io::Cursor::new(Vec::new());
    /// let proto = Rc::new(RefCell::new(Nop));
    /// assert!(Transport::attach(stream, StreamInfo::new(), proto).is_err()); // no loop
    /// ```
    pub fn attach<S, P>(
        stream: S,
        info: StreamInfo,
        protocol: Rc<RefCell<P>>,
    ) -> io::Result<Transport>
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
        P: Protocol,
    {
        start(
            stream_io(stream, &info),
            SliceReceiver(protocol),
            setup(info, false),
        )
    }

    /// [`attach`](Transport::attach) for a [`BufferedProtocol`].
    ///
    /// # Errors
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use loop_net::{BufferedProtocol, StreamInfo, Transport};
    /// struct Sink([u8; 16]);
    /// impl BufferedProtocol for Sink {
    ///     fn get_buffer(&mut self, _: usize) -> &mut [u8] { &mut self.0 }
    ///     fn buffer_updated(&mut self, _: usize) {}
    /// }
    /// let stream = futures_lite::io::Cursor::new(Vec::new());
    /// let proto = Rc::new(RefCell::new(Sink([0; 16])));
    /// assert!(Transport::attach_buffered(stream, StreamInfo::new(), proto).is_err()); // no loop
    /// ```
    pub fn attach_buffered<S, P>(
        stream: S,
        info: StreamInfo,
        protocol: Rc<RefCell<P>>,
    ) -> io::Result<Transport>
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
        P: BufferedProtocol,
    {
        start(
            stream_io(stream, &info),
            BufferReceiver(protocol),
            setup(info, false),
        )
    }

    /// Queues `data` for sending; never blocks. When nothing is queued it goes to the socket
    /// at once and only what the socket refuses is copied. Writes after
    /// [`close`](Transport::close), [`abort`](Transport::abort) or
    /// [`write_eof`](Transport::write_eof), or after the connection was lost, are dropped
    /// and counted ([`dropped_writes`](Transport::dropped_writes)), as asyncio does.
    ///
    /// A stream error ends the connection: the protocol gets `connection_lost(Some(error))`.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.write(b"+OK\r\n");
    /// let mut buf = [0; 5];
    /// futures_lite::AsyncReadExt::read_exact(&mut &theirs, &mut buf).await?;
    /// assert_eq!(&buf, b"+OK\r\n");
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write(&self, data: &[u8]) {
        self.conn.write(&[IoSlice::new(data)]);
    }

    /// Queues several buffers in order, sent with vectored writes (asyncio's `writelines`).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let owned = vec![b'A'];
    /// t.writelines([b"SP".as_slice(), &owned, &[b'M']]);
    /// let mut buf = [0; 4];
    /// futures_lite::AsyncReadExt::read_exact(&mut &theirs, &mut buf).await?;
    /// assert_eq!(&buf, b"SPAM");
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn writelines<I>(&self, buffers: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        const BATCH: usize = 64;
        let mut owned: Vec<I::Item> = Vec::new();
        for item in buffers {
            owned.push(item);
            if owned.len() == BATCH {
                self.write_batch(&owned);
                owned.clear();
            }
        }
        if !owned.is_empty() {
            self.write_batch(&owned);
        }
    }

    fn write_batch<T: AsRef<[u8]>>(&self, items: &[T]) {
        let slices: Vec<IoSlice<'_>> = items.iter().map(|b| IoSlice::new(b.as_ref())).collect();
        self.conn.write(&slices);
    }

    /// Closes the sending direction once the queue has been sent (TCP `shutdown(SHUT_WR)`);
    /// reading goes on. Idempotent.
    ///
    /// # Errors
    ///
    /// `Unsupported` when [`can_write_eof`](Transport::can_write_eof) is false.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.write(b"last words");
    /// t.write_eof()?;
    /// let mut all = Vec::new();
    /// futures_lite::AsyncReadExt::read_to_end(&mut &theirs, &mut all).await?; // EOF, yet we may still read
    /// assert_eq!(all, b"last words");
    /// assert!(!t.is_closing());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_eof(&self) -> io::Result<()> {
        self.conn.write_eof()
    }

    /// Whether [`write_eof`](Transport::write_eof) is supported (true for TCP and Unix
    /// sockets, false for TLS).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// assert!(t.can_write_eof()); // a socket can; TLS cannot
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn can_write_eof(&self) -> bool {
        self.conn.can_write_eof()
    }

    /// Stops reading at once, sends what is queued, then closes; the protocol then gets
    /// `connection_lost(None)`. Idempotent.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.write(b"bye\n");
    /// t.close(); // "bye" is still delivered
    /// let mut all = Vec::new();
    /// futures_lite::AsyncReadExt::read_to_end(&mut &theirs, &mut all).await?;
    /// assert_eq!(all, b"bye\n");
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        self.conn.close();
    }

    /// Closes at once, dropping whatever is queued; `connection_lost(None)` follows promptly.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.write(b"never mind");
    /// t.abort();
    /// assert!(t.is_closing());
    /// assert_eq!(t.write_buffer_size(), 0);
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn abort(&self) {
        self.conn.abort();
    }

    /// Whether the transport is closing or closed (also after a detach).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// assert!(!t.is_closing());
    /// t.close();
    /// assert!(t.is_closing());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closing(&self) -> bool {
        self.conn.is_closing()
    }

    /// Stops calling `data_received` until [`resume_reading`](Transport::resume_reading); the
    /// socket is not read meanwhile, so the peer is slowed by TCP's own flow control.
    /// Idempotent.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.pause_reading();
    /// t.pause_reading(); // idempotent
    /// assert!(!t.is_reading());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pause_reading(&self) {
        self.conn.set_reading(false);
    }

    /// Resumes calling `data_received`. Idempotent.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.pause_reading();
    /// t.resume_reading();
    /// assert!(t.is_reading());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn resume_reading(&self) {
        self.conn.set_reading(true);
    }

    /// Whether the transport is reading (not paused and not closing).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// assert!(t.is_reading());
    /// t.close();
    /// assert!(!t.is_reading());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_reading(&self) -> bool {
        self.conn.is_reading()
    }

    /// The peer's address (asyncio's `get_extra_info("peername")`); `None` once closed, or
    /// when a stream given to [`from_stream`](Transport::from_stream) came without one.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// assert!(matches!(t.peer_addr(), Some(loop_net::TransportAddr::Unix(_))));
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> Option<TransportAddr> {
        self.conn.peer_addr()
    }

    /// Our own address (asyncio's `get_extra_info("sockname")`).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// assert!(matches!(t.local_addr(), Some(loop_net::TransportAddr::Unix(_))));
    /// assert_eq!(t.local_addr().and_then(|a| a.as_inet()), None);
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> Option<TransportAddr> {
        self.conn.local_addr()
    }

    /// A value of type `T` attached with [`StreamInfo::extra`] (for example TLS session
    /// details), the typed form of asyncio's `get_extra_info(name)`.
    ///
    /// ```
    /// # use loop_net::{Protocol, StreamInfo, Transport};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Alpn(&'static str);
    ///
    /// let (ours, _theirs) = loop_net::UnixStream::pair()?;
    /// let (t, _) = Transport::from_stream(ours, StreamInfo::new().extra(Alpn("h2")), || Nop)?;
    /// assert_eq!(t.extra::<Alpn>(), Some(Alpn("h2")));
    /// assert_eq!(t.extra::<String>(), None);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn extra<T: Any + Clone>(&self) -> Option<T> {
        self.conn.extras().get::<T>().cloned()
    }

    /// Sets the write-buffer limits. With `high` only, `low` is `high / 4`; with neither, the
    /// defaults (64 KiB and 16 KiB). Crossing a limit because of the change calls
    /// `pause_writing` or `resume_writing` at once.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `high < low`.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.set_write_buffer_limits(Some(4096), None)?;
    /// assert_eq!(t.write_buffer_limits(), (4096, 1024));
    /// assert!(t.set_write_buffer_limits(Some(0), Some(1)).is_err());
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> io::Result<()> {
        let (high, low) = crate::write_flow::resolve_limits(high, low)?;
        self.conn.set_write_buffer_limits(high, low);
        Ok(())
    }

    /// The write-buffer limits, `(high, low)`.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// assert_eq!(t.write_buffer_limits(), (64 * 1024, 16 * 1024));
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        self.conn.write_buffer_limits()
    }

    /// Bytes queued and not yet taken by the stream.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.write(b"x");
    /// assert_eq!(t.write_buffer_size(), 0); // the socket took it at once
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.conn.write_buffer_size()
    }

    /// Whether the write buffer is above the high-water mark and has not yet drained to the
    /// low one: the state `pause_writing` / `resume_writing` report. A protocol that writes
    /// in a loop from inside one of its own callbacks checks this, because there its
    /// `pause_writing` cannot run until the callback returns (it is borrowed).
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// let chunk = vec![0u8; 256 * 1024];
    /// while !t.writing_paused() {
    ///     t.write(&chunk); // nobody reads: the queue grows past the high-water mark
    /// }
    /// assert!(t.write_buffer_size() > 64 * 1024);
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn writing_paused(&self) -> bool {
        self.conn.writing_paused()
    }

    /// How many writes were dropped because the transport was closing or closed.
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// # loop_core::run(async {
    /// # let (ours, theirs) = loop_net::UnixStream::pair()?;
    /// # let (t, _) = loop_net::connect_accepted_unix(|| Nop, ours)?;
    /// t.close();
    /// t.write(b"too late");
    /// assert_eq!(t.dropped_writes(), 1);
    /// # drop(theirs);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dropped_writes(&self) -> u64 {
        self.conn.dropped_writes()
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("peer", &self.peer_addr())
            .field("closing", &self.is_closing())
            .field("reading", &self.is_reading())
            .field("write_buffer_size", &self.write_buffer_size())
            .finish()
    }
}

pub(crate) fn stream_io<S: AsyncRead + AsyncWrite + Unpin + 'static>(
    stream: S,
    info: &StreamInfo,
) -> AnyIo {
    AnyIo::Stream(Box::new(StreamIo {
        stream: Box::new(stream),
        peer: info.peer.clone(),
        local: info.local.clone(),
    }))
}

pub(crate) fn setup(info: StreamInfo, connection_made: bool) -> Setup {
    Setup {
        extras: info.extras,
        flags: info.flags,
        on_finish: None,
        connection_made,
    }
}

/// Something that makes a protocol per connection: any `FnMut() -> P` where `P:`
/// [`Protocol`], or [`Buffered`] around one whose `P:` [`BufferedProtocol`].
///
/// Sealed: the transport machinery calls it, you pass it.
///
/// ```
/// use loop_net::{Buffered, BufferedProtocol, Protocol, ProtocolFactory};
/// struct Line;
/// impl Protocol for Line {
///     fn data_received(&mut self, _: &[u8]) {}
/// }
/// struct Zero([u8; 64]);
/// impl BufferedProtocol for Zero {
///     fn get_buffer(&mut self, _: usize) -> &mut [u8] { &mut self.0 }
///     fn buffer_updated(&mut self, _: usize) {}
/// }
/// fn takes<F: ProtocolFactory>(_: F) {}
/// takes(|| Line);
/// takes(Buffered(|| Zero([0; 64])));
/// ```
pub trait ProtocolFactory: 'static + sealed::Sealed {
    /// The protocol type it makes.
    type Protocol: 'static;

    #[doc(hidden)]
    fn make(&mut self) -> Self::Protocol;

    #[doc(hidden)]
    fn attach(parts: AttachParts, protocol: Rc<RefCell<Self::Protocol>>) -> io::Result<Transport>;
}

/// What [`ProtocolFactory::attach`] needs besides the protocol; opaque.
#[doc(hidden)]
#[derive(Debug)]
pub struct AttachParts {
    pub(crate) io: AnyIo,
    pub(crate) setup: Setup,
}

mod sealed {
    pub trait Sealed {}
}

impl<F, P> sealed::Sealed for F where F: FnMut() -> P {}

impl<F, P> ProtocolFactory for F
where
    F: FnMut() -> P + 'static,
    P: Protocol,
{
    type Protocol = P;

    fn make(&mut self) -> P {
        self()
    }

    fn attach(parts: AttachParts, protocol: Rc<RefCell<P>>) -> io::Result<Transport> {
        start(parts.io, SliceReceiver(protocol), parts.setup)
    }
}

/// Marks a factory (or, for [`Transport::attach`], a protocol) as a [`BufferedProtocol`]
/// one: `create_connection(Buffered(|| MyProto::new()), addr)`.
///
/// ```
/// use loop_net::{Buffered, BufferedProtocol};
/// struct Sink(Vec<u8>);
/// impl BufferedProtocol for Sink {
///     fn get_buffer(&mut self, _: usize) -> &mut [u8] { &mut self.0 }
///     fn buffer_updated(&mut self, _: usize) {}
/// }
/// let factory = Buffered(|| Sink(vec![0; 4096]));
/// # let _ = factory;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Buffered<F>(pub F);

impl<F> sealed::Sealed for Buffered<F> {}

impl<F, P> ProtocolFactory for Buffered<F>
where
    F: FnMut() -> P + 'static,
    P: BufferedProtocol,
{
    type Protocol = P;

    fn make(&mut self) -> P {
        (self.0)()
    }

    fn attach(parts: AttachParts, protocol: Rc<RefCell<P>>) -> io::Result<Transport> {
        start(parts.io, BufferReceiver(protocol), parts.setup)
    }
}
