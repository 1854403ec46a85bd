//! TCP, UDP and Unix sockets for the evloop event loop, as Rust streams.
//!
//! Every type registers its socket with the loop running on the current thread (loop-core's
//! edge-triggered [`Async`](loop_core::Async)), and every stream implements futures-io
//! `AsyncRead` / `AsyncWrite` (vectored writes included) on the value and on a shared
//! reference, so the futures ecosystem works on them. Writes never raise SIGPIPE: a peer that
//! has gone is an error on that connection only. For readiness-driven code (transports), each
//! socket also has `try_*` operations that never wait and `as_async()` for its readiness.
//!
//! - TCP: [`TcpListener`] (with [`TcpListenOptions`]; [`TcpListener::incoming`] is an accept
//!   loop that rides out descriptor exhaustion), [`TcpStream`] (with [`TcpConnectOptions`]:
//!   host names resolved on the blocking pool, Happy Eyeballs, timeout).
//! - UDP: [`UdpSocket`] (broadcast, multicast, TTL).
//! - Unix: [`UnixListener`], [`UnixStream`], [`UnixDatagram`]; binding removes a stale socket
//!   file (only a socket: asyncio's rule) and dropping the listener removes the file it made;
//!   a path starting with NUL is a Linux abstract name.
//! - Addresses: [`ToSocketAddrs`] and [`lookup_host`].
//! - Framed reads and flow-controlled writes over any stream, as asyncio's StreamReader and
//!   StreamWriter: [`StreamReader`] (`read_line`, `read_until`, `read_exact`, with a limit;
//!   [`ReadError`]) and [`StreamWriter`] (`write` buffers, `drain` waits above the high-water
//!   mark).
//! - Halves: [`ReadHalf`], [`WriteHalf`], [`OwnedReadHalf`], [`OwnedWriteHalf`].
//!
//! And asyncio's callback face, transports and protocols:
//!
//! - [`Protocol`] (`connection_made`, `data_received`, `eof_received`, `connection_lost`,
//!   `pause_writing` / `resume_writing`) and [`BufferedProtocol`] (`get_buffer` /
//!   `buffer_updated`, for zero-copy receive), driven by a [`Transport`] whose `write` never
//!   blocks: it tries the socket first and queues the rest, with asyncio's 64 KiB / 16 KiB
//!   write-buffer limits.
//! - [`create_connection`] and [`create_server`] (a [`Server`] with `close`, `wait_closed`,
//!   `serve_forever`, `sockets`, and start-serving-later through [`ServerBuilder`]), Unix
//!   variants, and [`create_datagram_endpoint`] for a [`DatagramProtocol`].
//! - Transports over any futures-io stream ([`Transport::from_stream`]), a transform of each
//!   stream before its protocol attaches ([`create_connection_with`], [`ServerBuilder::wrap`]),
//!   and [`Transport::detach`] for STARTTLS: the hooks loop-tls uses for asyncio's `ssl=`.
//!
//! # Examples
//!
//! ```
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//! use loop_net::{TcpListener, TcpStream};
//!
//! loop_core::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = loop_core::spawn(async move {
//!         let (mut conn, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         conn.read_exact(&mut buf).await?;
//!         conn.write_all(&buf).await
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut back = [0; 5];
//!     client.read_exact(&mut back).await?;
//!     assert_eq!(&back, b"hello");
//!     server.await.unwrap()
//! }).unwrap()?;
//! # std::io::Result::Ok(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![doc(test(attr(deny(warnings, rust_2018_idioms))))]

mod accept_loop;
mod addr;
mod connect;
mod read_error;
mod socket_impls;
mod split;
mod stream_reader;
mod stream_writer;
mod sys;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_path;
mod unix_stream;

pub use crate::addr::{Address, ToSocketAddrs, lookup_host};
pub use crate::connect::TcpConnectOptions;
pub use crate::read_error::ReadError;
pub use crate::split::{Duplex, OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use crate::stream_reader::{DEFAULT_LIMIT, StreamReader};
pub use crate::stream_writer::{DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, StreamWriter};
pub use crate::tcp_listener::{Incoming, TcpListenOptions, TcpListener};
pub use crate::tcp_stream::TcpStream;
pub use crate::udp::UdpSocket;
pub use crate::unix_datagram::UnixDatagram;
pub use crate::unix_listener::{UnixIncoming, UnixListener};
pub use crate::unix_stream::UnixStream;

// Transports and protocols (asyncio's API).
mod buffered_protocol;
mod datagram_endpoint;
mod driver_waker;
mod protocol;
mod server;
mod transport;
mod transport_conn;
mod transport_connect;
mod transport_info;
mod transport_io;
mod transport_receiver;
mod transport_upgrade;
mod transport_write_buffer;
mod write_flow;

pub use crate::buffered_protocol::BufferedProtocol;
pub use crate::datagram_endpoint::{DatagramProtocol, DatagramTransport, create_datagram_endpoint};
pub use crate::protocol::Protocol;
pub use crate::server::{Server, ServerBuilder, WaitClosed, create_server, create_unix_server};
pub use crate::transport::{Buffered, ProtocolFactory, Transport};
pub use crate::transport_connect::{
    Connection, connect_accepted, connect_accepted_unix, create_connection, create_connection_with,
    create_unix_connection,
};
pub use crate::transport_info::{StreamInfo, TransportAddr};
pub use crate::transport_io::Stream;
pub use crate::transport_upgrade::{Detach, Detached, DetachedProtocol, Rewind};
