//! TLS clients and servers on [rustls], for the evloop event loop.
//!
//! A [`TlsConnector`] (client) or [`TlsAcceptor`] (server) wraps any futures-io
//! `AsyncRead + AsyncWrite + Unpin` stream — TCP, Unix, or another [`TlsStream`] — in a TLS
//! session, which is itself such a stream. Their builders start safe: the system's trusted roots
//! (read offline from the OS store), host names checked, TLS 1.2 and 1.3 only, a 60 s handshake
//! timeout and a 30 s bound on waiting for the peer's close_notify. They add ALPN, client
//! certificates (mutual TLS), certificates chosen by SNI, and PEM files read with errors that
//! say which file and what is wrong.
//!
//! On asyncio's transports and protocols (loop-net), [`TlsConnector::create_connection`] and
//! [`TlsAcceptor::create_server`] are asyncio's `ssl=`, and [`TlsConnector::start_tls`] /
//! [`TlsAcceptor::start_tls`] upgrade a live transport (STARTTLS); a TLS transport reports the
//! session as a [`TlsInfo`] extra and sends close_notify when it closes.
//!
//! The crypto provider is ring: it builds with nothing but cargo and a C compiler.
//!
//! Errors are `io::Error`s: a certificate rejected, or a protocol failure, is
//! [`io::ErrorKind::InvalidData`](std::io::ErrorKind::InvalidData) carrying the
//! [`rustls::Error`] (see [`rustls_error`]); a timeout is `TimedOut`; a peer that closes the
//! connection without close_notify is `UnexpectedEof`, so truncation is always detectable.
//!
//! # Examples
//!
//! ```
//! # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//! use loop_tls::{TlsAcceptor, TlsConnector};
//! use std::net::{TcpListener, TcpStream};
//!
//! let acceptor = TlsAcceptor::builder().certificate(vec![cert.clone()], key).build()?;
//! let connector = TlsConnector::builder().system_roots(false).add_root_certificate(cert).build()?;
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let echoed = loop_core::EventLoop::new()?.block_on(async move {
//!     let server = loop_core::spawn(async move {
//!         let listener = loop_core::Async::new(listener)?;
//!         let (tcp, _) = listener.read_with(|l| l.accept()).await?;
//!         let mut tls = acceptor.accept(loop_core::Async::new(tcp)?).await?;
//!         let mut line = [0; 4];
//!         tls.read_exact(&mut line).await?;
//!         tls.write_all(&line).await?;
//!         tls.shutdown().await
//!     });
//!     let tcp = loop_core::Async::new(TcpStream::connect(addr)?)?;
//!     let mut tls = connector.connect("localhost", tcp).await?;
//!     tls.write_all(b"ping").await?;
//!     let mut echoed = Vec::new();
//!     tls.read_to_end(&mut echoed).await?; // ends at the server's close_notify
//!     tls.shutdown().await?; // answers it with ours
//!     server.await.unwrap()?;
//!     std::io::Result::Ok(echoed)
//! }).unwrap()?;
//! assert_eq!(echoed, b"ping");
//! # std::io::Result::Ok(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod client;
mod error;
mod handshake;
mod pem;
mod provider;
mod read_ahead;
mod server;
mod session;
mod shutdown;
mod stream;
mod sync_io;
mod transport;

#[doc(hidden)]
pub mod doc_support;

pub use client::{ConnectorBuilder, TlsConnector};
pub use error::rustls_error;
pub use handshake::Handshake;
pub use pem::{load_certificates, load_private_key};
pub use server::{AcceptorBuilder, TlsAcceptor};
pub use session::TlsInfo;
pub use shutdown::Shutdown;
pub use stream::TlsStream;
pub use transport::stream_info;

/// The rustls crate this one is built on, for its configuration and error types.
pub use rustls;
