//! TLS on asyncio's transports and protocols: STARTTLS on a live transport, and the
//! `StreamInfo` a TLS transport reports.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use loop_net::{
    Connection, Protocol, ProtocolFactory, Server, Stream, StreamInfo, TcpConnectOptions,
    ToSocketAddrs, Transport, TransportAddr, create_connection_with,
};

use crate::{TlsAcceptor, TlsConnector, TlsStream};

/// What a transport over `tls` reports: the addresses given, no half-close (TLS has none that
/// asyncio offers: `can_write_eof()` is false), a `close()` that sends close_notify before
/// `connection_lost` (an `abort()` sends none), and the session's [`TlsInfo`](crate::TlsInfo)
/// as an extra.
///
/// # Examples
///
/// ```
/// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
/// # loop_core::EventLoop::new()?.block_on(async move {
/// let (client, _server) = loop_tls::doc_support::pair(cert, key).await?;
/// let info = loop_tls::stream_info(&client, None, None);
/// assert!(format!("{info:?}").contains("can_write_eof: false"));
/// # std::io::Result::Ok(()) }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub fn stream_info<S>(
    tls: &TlsStream<S>,
    peer: Option<TransportAddr>,
    local: Option<TransportAddr>,
) -> StreamInfo {
    let mut info = StreamInfo::new()
        .can_write_eof(false)
        .shutdown_on_close(true)
        .extra(tls.info());
    if let Some(peer) = peer {
        info = info.peer(peer);
    }
    if let Some(local) = local {
        info = info.local(local);
    }
    info
}

impl TlsConnector {
    /// STARTTLS on a transport (asyncio's `loop.start_tls(..., server_side=False)`): takes the
    /// connection out of `transport` once its queued writes are sent, runs the client
    /// handshake with `server_name`, and returns the new transport, which feeds the same
    /// `protocol`. `connection_made` is not called again; the old transport is done.
    ///
    /// On failure the error is returned, the connection is closed, and the protocol hears
    /// nothing more.
    ///
    /// # Examples
    ///
    /// See `tests/starttls_transport.rs`; in short:
    ///
    /// ```
    /// # use std::{cell::RefCell, rc::Rc};
    /// async fn upgrade<P: loop_net::Protocol>(
    ///     connector: &loop_tls::TlsConnector,
    ///     transport: &loop_net::Transport,
    ///     protocol: Rc<RefCell<P>>,
    /// ) -> std::io::Result<loop_net::Transport> {
    ///     connector.start_tls(transport, protocol, "mail.example").await
    /// }
    /// ```
    pub async fn start_tls<P: Protocol>(
        &self,
        transport: &Transport,
        protocol: Rc<RefCell<P>>,
        server_name: &str,
    ) -> io::Result<Transport> {
        let (stream, info) = self.start_tls_stream(transport, server_name).await?;
        Transport::attach(stream, info, protocol)
    }

    /// The first half of [`start_tls`](TlsConnector::start_tls): the upgraded stream and what
    /// its transport should report, for [`Transport::attach_buffered`] (a
    /// [`BufferedProtocol`](loop_net::BufferedProtocol)) or any other way of attaching.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{cell::RefCell, rc::Rc};
    /// async fn upgrade<P: loop_net::BufferedProtocol>(
    ///     connector: &loop_tls::TlsConnector,
    ///     transport: &loop_net::Transport,
    ///     protocol: Rc<RefCell<P>>,
    /// ) -> std::io::Result<loop_net::Transport> {
    ///     let (stream, info) = connector.start_tls_stream(transport, "mail.example").await?;
    ///     loop_net::Transport::attach_buffered(stream, info, protocol)
    /// }
    /// ```
    pub async fn start_tls_stream(
        &self,
        transport: &Transport,
        server_name: &str,
    ) -> io::Result<(impl Stream + use<>, StreamInfo)> {
        let (peer, local) = (transport.peer_addr(), transport.local_addr());
        let plain = transport.detach(&[]).await?.into_stream();
        let tls = self.connect(server_name, plain).await?;
        let info = stream_info(&tls, peer, local);
        Ok((tls, info))
    }
}

impl TlsAcceptor {
    /// STARTTLS on a transport, server side (asyncio's `loop.start_tls(..., server_side=True)`):
    /// as [`TlsConnector::start_tls`]. `unconsumed` is the tail of the data last given to the
    /// protocol that already belongs to TLS (a client that sent its ClientHello right behind
    /// its STARTTLS command); the handshake reads it first.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{cell::RefCell, rc::Rc};
    /// async fn upgrade<P: loop_net::Protocol>(
    ///     acceptor: &loop_tls::TlsAcceptor,
    ///     transport: &loop_net::Transport,
    ///     protocol: Rc<RefCell<P>>,
    /// ) -> std::io::Result<loop_net::Transport> {
    ///     acceptor.start_tls(transport, protocol, &[]).await
    /// }
    /// ```
    pub async fn start_tls<P: Protocol>(
        &self,
        transport: &Transport,
        protocol: Rc<RefCell<P>>,
        unconsumed: &[u8],
    ) -> io::Result<Transport> {
        let (stream, info) = self.start_tls_stream(transport, unconsumed).await?;
        Transport::attach(stream, info, protocol)
    }

    /// The first half of [`start_tls`](TlsAcceptor::start_tls), as
    /// [`TlsConnector::start_tls_stream`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{cell::RefCell, rc::Rc};
    /// async fn upgrade<P: loop_net::BufferedProtocol>(
    ///     acceptor: &loop_tls::TlsAcceptor,
    ///     transport: &loop_net::Transport,
    ///     protocol: Rc<RefCell<P>>,
    /// ) -> std::io::Result<loop_net::Transport> {
    ///     let (stream, info) = acceptor.start_tls_stream(transport, &[]).await?;
    ///     loop_net::Transport::attach_buffered(stream, info, protocol)
    /// }
    /// ```
    pub async fn start_tls_stream(
        &self,
        transport: &Transport,
        unconsumed: &[u8],
    ) -> io::Result<(impl Stream + use<>, StreamInfo)> {
        let (peer, local) = (transport.peer_addr(), transport.local_addr());
        let plain = transport.detach(unconsumed).await?.into_stream();
        let tls = self.accept(plain).await?;
        let info = stream_info(&tls, peer, local);
        Ok((tls, info))
    }
}

impl TlsConnector {
    /// asyncio's `create_connection(..., ssl=..., server_hostname=...)`: connects to `addr`
    /// (Happy Eyeballs across its addresses), runs the TLS handshake with `server_name`, then
    /// makes the protocol and calls its `connection_made` with a transport over TLS. The
    /// transport reports the session as its [`TlsInfo`](crate::TlsInfo) extra, and closing it
    /// sends close_notify.
    ///
    /// # Errors
    ///
    /// The connect error, or the handshake's (a rejected certificate, the timeout, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # use loop_net::Protocol;
    /// # struct Client;
    /// # impl Protocol for Client { fn data_received(&mut self, _: &[u8]) {} }
    /// async fn fetch(connector: &loop_tls::TlsConnector) -> std::io::Result<()> {
    ///     let (transport, _client) = connector
    ///         .create_connection(|| Client, "example.com:443", "example.com")
    ///         .await?;
    ///     transport.write(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    ///     Ok(())
    /// }
    /// ```
    pub async fn create_connection<F: ProtocolFactory>(
        &self,
        protocol_factory: F,
        addr: impl ToSocketAddrs,
        server_name: &str,
    ) -> io::Result<Connection<F::Protocol>> {
        let wrap = |tcp, info| {
            self.clone()
                .connect_transport_stream(server_name, tcp, info)
        };
        create_connection_with(protocol_factory, addr, &TcpConnectOptions::new(), wrap).await
    }

    /// The TLS step of [`create_connection`](TlsConnector::create_connection), for
    /// [`create_connection_with`] (connect options) and other transport constructors: the
    /// handshake over `stream`, then the stream and info a transport over TLS needs.
    ///
    /// # Errors
    ///
    /// The handshake's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use loop_net::{Protocol, TcpConnectOptions};
    /// # struct Client;
    /// # impl Protocol for Client { fn data_received(&mut self, _: &[u8]) {} }
    /// async fn connect(connector: loop_tls::TlsConnector) -> std::io::Result<()> {
    ///     let options = TcpConnectOptions::new().timeout(std::time::Duration::from_secs(5));
    ///     let (_transport, _client) = loop_net::create_connection_with(
    ///         || Client,
    ///         "example.com:443",
    ///         &options,
    ///         |tcp, info| connector.connect_transport_stream("example.com", tcp, info),
    ///     )
    ///     .await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn connect_transport_stream<S: Stream>(
        self,
        server_name: &str,
        stream: S,
        info: StreamInfo,
    ) -> io::Result<(impl Stream + use<S>, StreamInfo)> {
        let tls = self.connect(server_name, stream).await?;
        let info = info
            .can_write_eof(false)
            .shutdown_on_close(true)
            .extra(tls.info());
        Ok((tls, info))
    }
}

impl TlsAcceptor {
    /// asyncio's `create_server(..., ssl=...)`: listens on `addr` and, for each connection,
    /// runs the TLS handshake before making the protocol, whose transport carries TLS. A
    /// failed handshake (garbage, a timeout, a refused client certificate) drops that one
    /// connection and goes to the loop's exception handler; the server serves on.
    ///
    /// For listen options or a Unix socket, give
    /// [`accept_transport_stream`](TlsAcceptor::accept_transport_stream) to
    /// [`ServerBuilder::wrap`](loop_net::ServerBuilder::wrap).
    ///
    /// # Errors
    ///
    /// As [`loop_net::create_server`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use loop_net::{Protocol, Transport};
    /// struct Echo(Option<Transport>);
    /// impl Protocol for Echo {
    ///     fn connection_made(&mut self, t: Transport) { self.0 = Some(t); }
    ///     fn data_received(&mut self, data: &[u8]) { self.0.as_ref().unwrap().write(data); }
    /// }
    /// async fn serve(acceptor: &loop_tls::TlsAcceptor) -> std::io::Result<()> {
    ///     let server = acceptor.create_server(|| Echo(None), "127.0.0.1:8443").await?;
    ///     server.serve_forever().await
    /// }
    /// ```
    pub async fn create_server<F: ProtocolFactory>(
        &self,
        protocol_factory: F,
        addr: impl ToSocketAddrs,
    ) -> io::Result<Server> {
        let acceptor = self.clone();
        Server::builder(protocol_factory)
            .wrap(move |stream, info| acceptor.clone().accept_transport_stream(stream, info))
            .bind(addr)
            .await
    }

    /// The TLS step of [`create_server`](TlsAcceptor::create_server), for
    /// [`ServerBuilder::wrap`](loop_net::ServerBuilder::wrap): the server handshake over
    /// `stream`, then the stream and info a transport over TLS needs.
    ///
    /// # Errors
    ///
    /// The handshake's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use loop_net::{Protocol, Server};
    /// # struct Nop;
    /// # impl Protocol for Nop { fn data_received(&mut self, _: &[u8]) {} }
    /// async fn serve_unix(acceptor: loop_tls::TlsAcceptor) -> std::io::Result<Server> {
    ///     Server::builder(|| Nop)
    ///         .wrap(move |stream, info| acceptor.clone().accept_transport_stream(stream, info))
    ///         .bind_unix("/tmp/tls.sock")
    /// }
    /// ```
    pub async fn accept_transport_stream<S: Stream>(
        self,
        stream: S,
        info: StreamInfo,
    ) -> io::Result<(impl Stream + use<S>, StreamInfo)> {
        let tls = self.accept(stream).await?;
        let info = info
            .can_write_eof(false)
            .shutdown_on_close(true)
            .extra(tls.info());
        Ok((tls, info))
    }
}
