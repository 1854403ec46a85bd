//! Client connections on the transport/protocol API: asyncio's `loop.create_connection` and
//! `loop.create_unix_connection`.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::path::Path;
use std::rc::Rc;

use crate::addr::ToSocketAddrs;
use crate::connect::TcpConnectOptions;
use crate::tcp_stream::TcpStream;
use crate::transport::{AttachParts, ProtocolFactory, Transport};
use crate::transport_conn::Setup;
use crate::transport_info::{Extras, StreamInfo, TransportAddr};
use crate::transport_io::{AnyIo, SocketIo, Stream, StreamIo};
use crate::unix_stream::UnixStream;

/// The transport and the protocol handle of a new connection.
pub type Connection<P> = (Transport, Rc<RefCell<P>>);

fn run_protocol<F: ProtocolFactory>(
    mut factory: F,
    io: AnyIo,
    extras: Extras,
    no_write_eof: bool,
) -> io::Result<Connection<F::Protocol>> {
    let protocol = Rc::new(RefCell::new(factory.make()));
    let setup = Setup {
        extras,
        no_write_eof,
        on_finish: None,
        connection_made: true,
    };
    let transport = F::attach(AttachParts { io, setup }, protocol.clone())?;
    Ok((transport, protocol))
}

fn tcp_io(stream: TcpStream) -> AnyIo {
    // asyncio sets TCP_NODELAY on every TCP transport.
    let _ = stream.set_nodelay(true);
    AnyIo::Tcp(SocketIo(stream))
}

/// Connects to `addr` (a host name is resolved off the loop, then the addresses are tried
/// with Happy Eyeballs) and runs `protocol_factory()`'s protocol on the connection (asyncio's
/// `loop.create_connection`). `connection_made` has been called when this returns.
///
/// # Errors
///
/// A malformed address, a failed lookup, the connect error (`ConnectionRefused`, ...), or
/// one naming every failed attempt.
///
/// ```
/// use std::io::{Read, Write};
/// use loop_net::{Protocol, Transport, create_connection};
///
/// #[derive(Default)]
/// struct Client(Vec<u8>);
/// impl Protocol for Client {
///     fn connection_made(&mut self, t: Transport) { t.write(b"hi"); }
///     fn data_received(&mut self, data: &[u8]) { self.0.extend_from_slice(data); }
/// }
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let peer = std::thread::spawn(move || -> std::io::Result<()> {
///     let (mut s, _) = listener.accept()?;
///     let mut buf = [0; 2];
///     s.read_exact(&mut buf)?;
///     s.write_all(&buf)
/// });
/// loop_core::run(async move {
///     let (transport, client) = create_connection(Client::default, addr).await?;
///     while client.borrow().0.len() < 2 {
///         loop_core::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(client.borrow().0, b"hi");
///     transport.close();
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// peer.join().unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_connection<F: ProtocolFactory>(
    protocol_factory: F,
    addr: impl ToSocketAddrs,
) -> io::Result<Connection<F::Protocol>> {
    let stream = TcpStream::connect(addr).await?;
    run_protocol(protocol_factory, tcp_io(stream), Extras::default(), false)
}

/// [`create_connection`] with connect options (timeout, Happy Eyeballs delay, local address)
/// and an optional transform of the connected stream before the protocol attaches, such as
/// a TLS handshake (asyncio's `ssl=`, which loop-tls provides through this).
///
/// `wrap` gets the stream and what is known about it (its addresses) and returns the stream
/// to run the protocol over, with the info to report (say with TLS details as
/// [`extra`](StreamInfo::extra)s). The protocol is made only once it succeeds.
///
/// # Errors
///
/// As [`create_connection`], or the error `wrap` returns.
///
/// ```
/// use loop_net::{Protocol, TcpConnectOptions, create_connection_with};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// loop_core::run(async move {
///     let (transport, _) = create_connection_with(
///         || Nop,
///         addr,
///         &TcpConnectOptions::new(),
///         |stream, info| async move { Ok((stream, info.extra("wrapped"))) },
///     )
///     .await?;
///     assert_eq!(transport.extra::<&str>(), Some("wrapped"));
///     assert_eq!(transport.peer_addr().unwrap().as_inet(), Some(addr));
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # drop(listener);
/// # std::io::Result::Ok(())
/// ```
pub async fn create_connection_with<F, W, Fut, S>(
    protocol_factory: F,
    addr: impl ToSocketAddrs,
    options: &TcpConnectOptions,
    wrap: W,
) -> io::Result<Connection<F::Protocol>>
where
    F: ProtocolFactory,
    W: FnOnce(TcpStream, StreamInfo) -> Fut,
    Fut: Future<Output = io::Result<(S, StreamInfo)>>,
    S: Stream,
{
    let stream = options.connect(addr).await?;
    let _ = stream.set_nodelay(true);
    let mut info = StreamInfo::new();
    info.peer = stream.peer_addr().ok().map(TransportAddr::Inet);
    info.local = stream.local_addr().ok().map(TransportAddr::Inet);
    let (stream, info) = wrap(stream, info).await?;
    let io = AnyIo::Stream(Box::new(StreamIo {
        stream: Box::new(stream),
        peer: info.peer,
        local: info.local,
    }));
    run_protocol(protocol_factory, io, info.extras, info.no_write_eof)
}

/// Connects to the Unix socket `path` and runs `protocol_factory()`'s protocol on it
/// (asyncio's `loop.create_unix_connection`).
///
/// # Errors
///
/// The connect error (`NotFound`, `ConnectionRefused`, ...).
///
/// ```
/// use loop_net::{Protocol, create_unix_connection};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
/// loop_core::run(async {
///     let _l = loop_net::UnixListener::bind("\0loop-net-doc-unix-connection")?;
///     let (t, _) = create_unix_connection(|| Nop, "\0loop-net-doc-unix-connection").await?;
///     assert!(t.can_write_eof());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_unix_connection<F: ProtocolFactory>(
    protocol_factory: F,
    path: impl AsRef<Path>,
) -> io::Result<Connection<F::Protocol>> {
    let stream = UnixStream::connect(path).await?;
    run_protocol(
        protocol_factory,
        AnyIo::Unix(SocketIo(stream)),
        Extras::default(),
        false,
    )
}

/// Runs `protocol_factory()`'s protocol on a connected TCP stream (asyncio's
/// `connect_accepted_socket`), on the fast path.
///
/// # Errors
///
/// Outside a running loop.
///
/// ```
/// use loop_net::{Protocol, TcpListener, TcpStream, connect_accepted};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
/// loop_core::run(async {
///     let l = TcpListener::bind("127.0.0.1:0").await?;
///     let _c = TcpStream::connect(l.local_addr()?).await?;
///     let (s, _) = l.accept().await?;
///     let (t, _) = connect_accepted(|| Nop, s)?;
///     assert!(t.peer_addr().is_some());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub fn connect_accepted<F: ProtocolFactory>(
    protocol_factory: F,
    stream: TcpStream,
) -> io::Result<Connection<F::Protocol>> {
    run_protocol(protocol_factory, tcp_io(stream), Extras::default(), false)
}

/// [`connect_accepted`] for a Unix stream.
///
/// # Errors
///
/// Outside a running loop.
///
/// ```
/// use loop_net::{Protocol, UnixStream, connect_accepted_unix};
/// struct Nop;
/// impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
/// loop_core::run(async {
///     let (a, _b) = UnixStream::pair()?;
///     let (t, _) = connect_accepted_unix(|| Nop, a)?;
///     assert!(!t.is_closing());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub fn connect_accepted_unix<F: ProtocolFactory>(
    protocol_factory: F,
    stream: UnixStream,
) -> io::Result<Connection<F::Protocol>> {
    run_protocol(
        protocol_factory,
        AnyIo::Unix(SocketIo(stream)),
        Extras::default(),
        false,
    )
}
