//! The client side: `TlsConnector` and its builder.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use crate::pem::{Identity, load_certificates};
use crate::provider::{VERSIONS, provider, system_roots};
use crate::{Handshake, TlsStream, error};

/// asyncio's `ssl_handshake_timeout` default.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's `ssl_shutdown_timeout` default.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens TLS sessions as a client over any stream: a rustls [`ClientConfig`] plus the handshake
/// and shutdown timeouts. Cheap to clone; share one across connections (it holds the session
/// cache that makes reconnections fast).
///
/// [`TlsConnector::builder`] makes one with safe defaults; [`TlsConnector::from`] takes any
/// `Arc<ClientConfig>` for full control.
///
/// # Examples
///
/// ```
/// let connector = loop_tls::TlsConnector::builder().alpn_protocols(["h2", "http/1.1"]).build();
/// // Fails only where the system has no trusted roots at all.
/// if let Ok(connector) = connector {
///     assert_eq!(connector.config().alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl TlsConnector {
    /// A builder with safe defaults: the system's trusted roots, host names checked, TLS 1.2
    /// and 1.3 only, ring as the crypto provider, a 60 s handshake and 30 s shutdown timeout.
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().system_roots(false);
    /// let err = builder.build().unwrap_err(); // no roots at all: nothing could be trusted
    /// assert!(err.to_string().contains("no trusted root"));
    /// ```
    pub fn builder() -> ConnectorBuilder {
        ConnectorBuilder {
            system_roots: true,
            roots: Vec::new(),
            root_files: Vec::new(),
            alpn: Vec::new(),
            identity: None,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            shutdown_timeout: SHUTDOWN_TIMEOUT,
        }
    }

    /// Starts a TLS handshake over `stream` with the server named `server_name` (a DNS name or
    /// an IP address): the name is sent as SNI, unless it is an address, and the server's
    /// certificate must be valid for it.
    ///
    /// This is also STARTTLS: `stream` may be a connection that already carried plaintext.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # let acceptor = loop_tls::TlsAcceptor::builder().certificate(vec![cert.clone()], key).build()?;
    /// use futures_lite::{AsyncReadExt, AsyncWriteExt};
    /// use std::os::unix::net::UnixStream;
    ///
    /// let connector = loop_tls::TlsConnector::builder()
    ///     .system_roots(false)
    ///     .add_root_certificate(cert)
    ///     .build()?;
    /// let (a, b) = UnixStream::pair()?;
    /// loop_core::EventLoop::new()?.block_on(async move {
    ///     let server = loop_core::spawn(async move {
    ///         let mut plain = loop_core::Async::new(b)?;
    ///         plain.write_all(b"220 ready for TLS\n").await?; // the plaintext part
    ///         acceptor.accept(plain).await?.shutdown().await
    ///     });
    ///     let mut plain = loop_core::Async::new(a)?;
    ///     let mut banner = [0; 18];
    ///     plain.read_exact(&mut banner).await?;
    ///     let mut tls = connector.connect("localhost", plain).await?; // STARTTLS
    ///     assert_eq!(tls.sni_hostname(), Some("localhost"));
    ///     tls.shutdown().await?;
    ///     server.await.unwrap()
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect<S>(&self, server_name: &str, stream: S) -> Handshake<S> {
        Handshake::new(self.start(server_name, stream), self.handshake_timeout)
    }

    fn start<S>(&self, server_name: &str, stream: S) -> io::Result<TlsStream<S>> {
        let name = ServerName::try_from(server_name)
            .map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid TLS server name {server_name:?}: {e}"),
                )
            })?
            .to_owned();
        let sni = matches!(name, ServerName::DnsName(_)).then(|| server_name.into());
        let conn = ClientConnection::new(self.config.clone(), name).map_err(error::from_rustls)?;
        Ok(TlsStream::new(
            stream,
            conn.into(),
            sni,
            self.shutdown_timeout,
        ))
    }

    /// The rustls configuration.
    ///
    /// ```
    /// let config = std::sync::Arc::new(
    ///     rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into())
    ///         .with_safe_default_protocol_versions().unwrap()
    ///         .with_root_certificates(rustls::RootCertStore::empty())
    ///         .with_no_client_auth(),
    /// );
    /// let connector = loop_tls::TlsConnector::from(config.clone());
    /// assert!(std::sync::Arc::ptr_eq(connector.config(), &config));
    /// ```
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Replaces the handshake timeout (default 60 s).
    ///
    /// ```
    /// # let config = std::sync::Arc::new(rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into()).with_safe_default_protocol_versions().unwrap().with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth());
    /// let connector = loop_tls::TlsConnector::from(config)
    ///     .with_handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn with_handshake_timeout(mut self, limit: Duration) -> TlsConnector {
        self.handshake_timeout = limit;
        self
    }

    /// Replaces the shutdown timeout given to each stream (default 30 s).
    ///
    /// ```
    /// # let config = std::sync::Arc::new(rustls::ClientConfig::builder_with_provider(rustls::crypto::ring::default_provider().into()).with_safe_default_protocol_versions().unwrap().with_root_certificates(rustls::RootCertStore::empty()).with_no_client_auth());
    /// let connector = loop_tls::TlsConnector::from(config)
    ///     .with_shutdown_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn with_shutdown_timeout(mut self, limit: Duration) -> TlsConnector {
        self.shutdown_timeout = limit;
        self
    }
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector {
            config,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            shutdown_timeout: SHUTDOWN_TIMEOUT,
        }
    }
}

/// Configures a [`TlsConnector`]; see [`TlsConnector::builder`] for the defaults.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let builder = loop_tls::TlsConnector::builder()
///     .add_root_pem_file("/etc/my-ca.pem")
///     .alpn_protocols(["h2"])
///     .client_auth_pem_files("client.pem", "client.key")
///     .handshake_timeout(Duration::from_secs(10));
/// // Files are read by build(), which names the one that is missing.
/// assert!(builder.build().unwrap_err().to_string().contains("/etc/my-ca.pem"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct ConnectorBuilder {
    system_roots: bool,
    roots: Vec<CertificateDer<'static>>,
    root_files: Vec<PathBuf>,
    alpn: Vec<Vec<u8>>,
    identity: Option<Identity>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl ConnectorBuilder {
    /// Whether to trust the operating system's root store (default: yes). It is read from disk
    /// (`/etc/ssl/certs` and the like, or `SSL_CERT_FILE`/`SSL_CERT_DIR`) once per process.
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().system_roots(false);
    /// ```
    pub fn system_roots(mut self, trust: bool) -> Self {
        self.system_roots = trust;
        self
    }

    /// Also trusts `cert` as a root.
    ///
    /// ```
    /// # let (cert, _key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let connector = loop_tls::TlsConnector::builder()
    ///     .system_roots(false)
    ///     .add_root_certificate(cert)
    ///     .build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn add_root_certificate(mut self, cert: CertificateDer<'static>) -> Self {
        self.roots.push(cert);
        self
    }

    /// Also trusts every certificate in this PEM file as a root (read by `build`).
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().add_root_pem_file("ca.pem");
    /// ```
    pub fn add_root_pem_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.root_files.push(path.into());
        self
    }

    /// The protocols to offer through ALPN, most preferred first.
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().alpn_protocols(["h2", "http/1.1"]);
    /// ```
    pub fn alpn_protocols<P: AsRef<[u8]>>(
        mut self,
        protocols: impl IntoIterator<Item = P>,
    ) -> Self {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// Presents this client certificate chain and key when the server asks (mutual TLS).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["client".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let builder = loop_tls::TlsConnector::builder().client_auth_certificate(vec![cert], key);
    /// ```
    pub fn client_auth_certificate(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.identity = Some(Identity::der(chain, key));
        self
    }

    /// As [`client_auth_certificate`](Self::client_auth_certificate), from PEM files read by
    /// `build`.
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().client_auth_pem_files("me.pem", "me.key");
    /// ```
    pub fn client_auth_pem_files(
        mut self,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.identity = Some(Identity::files(cert, key));
        self
    }

    /// How long a handshake may take before it fails and its stream is closed (default 60 s).
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handshake_timeout(mut self, limit: Duration) -> Self {
        self.handshake_timeout = limit;
        self
    }

    /// How long [`TlsStream::shutdown`] waits for the peer's close_notify (default 30 s).
    ///
    /// ```
    /// let builder = loop_tls::TlsConnector::builder().shutdown_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn shutdown_timeout(mut self, limit: Duration) -> Self {
        self.shutdown_timeout = limit;
        self
    }

    /// Reads the files named, checks the client key matches its certificate, and makes the
    /// connector. Fails with an error naming the file or the fault; with no trusted root at all,
    /// fails with [`io::ErrorKind::NotFound`].
    ///
    /// ```
    /// # let (cert, _key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let connector = loop_tls::TlsConnector::builder()
    ///     .system_roots(false)
    ///     .add_root_certificate(cert)
    ///     .build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn build(self) -> io::Result<TlsConnector> {
        let provider = provider();
        let mut roots = RootCertStore::empty();
        for path in &self.root_files {
            for cert in load_certificates(path)? {
                roots.add(cert).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unusable root certificate in {}: {e}", path.display()),
                    )
                })?;
            }
        }
        for cert in self.roots {
            roots.add(cert).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unusable root certificate: {e}"),
                )
            })?;
        }
        if self.system_roots {
            match system_roots() {
                Ok(system) => roots.roots.extend(system.roots.iter().cloned()),
                // The roots given explicitly are enough to go on with.
                Err(_) if !roots.is_empty() => {}
                Err(e) => return Err(e),
            }
        }
        if roots.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no trusted root certificates: add some, or turn on system_roots",
            ));
        }
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(error::from_rustls)?
            .with_root_certificates(roots);
        let mut config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some(identity) => {
                let key = identity.load(&provider)?;
                builder.with_client_cert_resolver(Arc::new(ClientIdentity(key)))
            }
        };
        config.alpn_protocols = self.alpn;
        Ok(TlsConnector {
            config: Arc::new(config),
            handshake_timeout: self.handshake_timeout,
            shutdown_timeout: self.shutdown_timeout,
        })
    }
}

/// The one certificate this client presents whenever a server asks for one.
#[derive(Debug)]
struct ClientIdentity(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for ClientIdentity {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}
