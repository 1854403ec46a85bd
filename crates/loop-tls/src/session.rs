//! What a finished handshake agreed on.

use rustls::pki_types::CertificateDer;
use rustls::{Connection, ProtocolVersion, SupportedCipherSuite};

use crate::TlsStream;

impl<S> TlsStream<S> {
    /// The TLS version in use (1.2 or 1.3).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert_eq!(tls.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.connection().protocol_version()
    }

    /// The cipher suite in use.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// let suite = tls.cipher_suite().unwrap();
    /// assert!(format!("{:?}", suite.suite()).starts_with("TLS13_"));
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn cipher_suite(&self) -> Option<SupportedCipherSuite> {
        self.connection().negotiated_cipher_suite()
    }

    /// The protocol both sides agreed on through ALPN, if any.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// # let (tls, _server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert_eq!(tls.alpn_protocol(), None); // neither side asked for one
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.connection().alpn_protocol()
    }

    /// The peer's certificate chain, leaf first: the server's for a client; for a server, the
    /// client's if it sent one.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// let (client, server) = loop_tls::doc_support::pair(cert.clone(), key).await?;
    /// assert_eq!(client.peer_certificates(), Some(&[cert][..]));
    /// assert_eq!(server.peer_certificates(), None); // no client certificate asked for
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.connection().peer_certificates()
    }

    /// The host name of the SNI extension: the one a client sent, or the one a server received
    /// (lowercase). `None` when connecting by IP address or when the client sent none.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// let (client, server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert_eq!(client.sni_hostname(), Some("localhost"));
    /// assert_eq!(server.sni_hostname(), Some("localhost"));
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn sni_hostname(&self) -> Option<&str> {
        match self.connection() {
            Connection::Client(_) => self.sent_sni(),
            Connection::Server(conn) => conn.server_name(),
        }
    }

    /// Whether this is the server side of the session.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// let (client, server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert!(!client.is_server() && server.is_server());
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_server(&self) -> bool {
        matches!(self.connection(), Connection::Server(_))
    }
}

/// A TLS session's details as a value: what [`TlsStream::info`] returns, and what a transport
/// carrying TLS offers as its extra (`transport.extra::<TlsInfo>()`, asyncio's
/// `get_extra_info('cipher')`, `('peercert')` and friends).
///
/// # Examples
///
/// ```
/// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
/// # loop_core::EventLoop::new()?.block_on(async move {
/// let (client, _server) = loop_tls::doc_support::pair(cert, key).await?;
/// let info = client.info();
/// assert_eq!(info.protocol_version, Some(rustls::ProtocolVersion::TLSv1_3));
/// assert_eq!(info.sni_hostname.as_deref(), Some("localhost"));
/// assert_eq!(info.peer_certificates.len(), 1);
/// # std::io::Result::Ok(()) }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// See [`TlsStream::protocol_version`].
    pub protocol_version: Option<ProtocolVersion>,
    /// See [`TlsStream::cipher_suite`].
    pub cipher_suite: Option<SupportedCipherSuite>,
    /// See [`TlsStream::alpn_protocol`].
    pub alpn_protocol: Option<Vec<u8>>,
    /// See [`TlsStream::peer_certificates`]; empty when the peer sent none.
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// See [`TlsStream::sni_hostname`].
    pub sni_hostname: Option<String>,
}

impl<S> TlsStream<S> {
    /// The session's details, copied out (see [`TlsInfo`]).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # loop_core::EventLoop::new()?.block_on(async move {
    /// let (_client, server) = loop_tls::doc_support::pair(cert, key).await?;
    /// assert!(server.info().peer_certificates.is_empty());
    /// # std::io::Result::Ok(()) }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn info(&self) -> TlsInfo {
        TlsInfo {
            protocol_version: self.protocol_version(),
            cipher_suite: self.cipher_suite(),
            alpn_protocol: self.alpn_protocol().map(<[u8]>::to_vec),
            peer_certificates: self
                .peer_certificates()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            sni_hostname: self.sni_hostname().map(str::to_owned),
        }
    }
}
