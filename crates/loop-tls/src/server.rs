//! The server side: `TlsAcceptor`, its builder, and certificate choice by SNI.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig, ServerConnection};

use crate::client::{HANDSHAKE_TIMEOUT, SHUTDOWN_TIMEOUT};
use crate::pem::{Identity, load_certificates};
use crate::provider::{VERSIONS, provider};
use crate::{Handshake, TlsStream, error};

/// Accepts TLS sessions as a server over any stream: a rustls [`ServerConfig`] plus the
/// handshake and shutdown timeouts. Cheap to clone.
///
/// [`TlsAcceptor::builder`] makes one with safe defaults; [`TlsAcceptor::from`] takes any
/// `Arc<ServerConfig>`.
///
/// # Examples
///
/// ```
/// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
/// let acceptor = loop_tls::TlsAcceptor::builder()
///     .certificate(vec![cert], key)
///     .alpn_protocols(["h2", "http/1.1"])
///     .build()?;
/// assert_eq!(acceptor.config().alpn_protocols.len(), 2);
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl TlsAcceptor {
    /// A builder with safe defaults: TLS 1.2 and 1.3 only, ring as the crypto provider, no
    /// client certificates asked for, a 60 s handshake and 30 s shutdown timeout. It needs at
    /// least one certificate.
    ///
    /// ```
    /// let err = loop_tls::TlsAcceptor::builder().build().unwrap_err();
    /// assert!(err.to_string().contains("no certificate"));
    /// ```
    pub fn builder() -> AcceptorBuilder {
        AcceptorBuilder {
            default: None,
            by_name: Vec::new(),
            client_roots: None,
            alpn: Vec::new(),
            handshake_timeout: HANDSHAKE_TIMEOUT,
            shutdown_timeout: SHUTDOWN_TIMEOUT,
        }
    }

    /// Starts the server side of a TLS handshake over `stream` (an accepted connection, or one
    /// that already carried plaintext: STARTTLS).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// use std::os::unix::net::UnixStream;
    /// let acceptor = loop_tls::TlsAcceptor::builder().certificate(vec![cert], key).build()?;
    /// let (a, b) = UnixStream::pair()?;
    /// // Garbage instead of a ClientHello fails this one handshake with a clear error.
    /// std::io::Write::write_all(&mut &a, b"GET / HTTP/1.1\r\n\r\n")?;
    /// let err = loop_core::EventLoop::new()?.block_on(async move {
    ///     acceptor.accept(loop_core::Async::new(b).unwrap()).await.unwrap_err()
    /// }).unwrap();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn accept<S>(&self, stream: S) -> Handshake<S> {
        let stream = ServerConnection::new(self.config.clone())
            .map(|conn| TlsStream::new(stream, conn.into(), None, self.shutdown_timeout))
            .map_err(error::from_rustls);
        Handshake::new(stream, self.handshake_timeout)
    }

    /// The rustls configuration.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let acceptor = loop_tls::TlsAcceptor::builder().certificate(vec![cert], key).build()?;
    /// assert!(acceptor.config().alpn_protocols.is_empty());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Replaces the handshake timeout (default 60 s).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let acceptor = loop_tls::TlsAcceptor::builder().certificate(vec![cert], key).build()?
    ///     .with_handshake_timeout(std::time::Duration::from_secs(5));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_handshake_timeout(mut self, limit: Duration) -> TlsAcceptor {
        self.handshake_timeout = limit;
        self
    }

    /// Replaces the shutdown timeout given to each stream (default 30 s).
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let acceptor = loop_tls::TlsAcceptor::builder().certificate(vec![cert], key).build()?
    ///     .with_shutdown_timeout(std::time::Duration::from_secs(5));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_shutdown_timeout(mut self, limit: Duration) -> TlsAcceptor {
        self.shutdown_timeout = limit;
        self
    }
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor {
            config,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            shutdown_timeout: SHUTDOWN_TIMEOUT,
        }
    }
}

/// Configures a [`TlsAcceptor`]; see [`TlsAcceptor::builder`] for the defaults.
///
/// # Examples
///
/// ```
/// let err = loop_tls::TlsAcceptor::builder()
///     .certificate_pem_files("/no/such/cert.pem", "/no/such/key.pem")
///     .build()
///     .unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("/no/such/cert.pem"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct AcceptorBuilder {
    default: Option<Identity>,
    by_name: Vec<(String, Identity)>,
    client_roots: Option<(Vec<CertificateDer<'static>>, Vec<PathBuf>, bool)>,
    alpn: Vec<Vec<u8>>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl AcceptorBuilder {
    /// The certificate chain (leaf first) and key served to clients whose SNI names no
    /// certificate of [`sni_certificate`](Self::sni_certificate), or that send none.
    ///
    /// ```
    /// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let builder = loop_tls::TlsAcceptor::builder().certificate(vec![cert], key);
    /// ```
    pub fn certificate(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        self.default = Some(Identity::der(chain, key));
        self
    }

    /// As [`certificate`](Self::certificate), from PEM files read by `build`.
    ///
    /// ```
    /// let builder = loop_tls::TlsAcceptor::builder().certificate_pem_files("cert.pem", "key.pem");
    /// ```
    pub fn certificate_pem_files(
        mut self,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.default = Some(Identity::files(cert, key));
        self
    }

    /// Serves this chain and key to clients whose SNI is `host_name` (compared ignoring case).
    ///
    /// ```
    /// # let (a, a_key) = { let c = rcgen::generate_simple_self_signed(vec!["a.example".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # let (b, b_key) = { let c = rcgen::generate_simple_self_signed(vec!["b.example".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let acceptor = loop_tls::TlsAcceptor::builder()
    ///     .sni_certificate("a.example", vec![a], a_key)
    ///     .sni_certificate("b.example", vec![b], b_key)
    ///     .build()?; // no default: clients naming neither are refused
    /// # std::io::Result::Ok(())
    /// ```
    pub fn sni_certificate(
        mut self,
        host_name: &str,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        let identity = Identity::der(chain, key);
        self.by_name
            .push((host_name.to_ascii_lowercase(), identity));
        self
    }

    /// As [`sni_certificate`](Self::sni_certificate), from PEM files read by `build`.
    ///
    /// ```
    /// let builder = loop_tls::TlsAcceptor::builder()
    ///     .sni_certificate_pem_files("a.example", "a.pem", "a.key");
    /// ```
    pub fn sni_certificate_pem_files(
        mut self,
        host_name: &str,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        let identity = Identity::files(cert, key);
        self.by_name
            .push((host_name.to_ascii_lowercase(), identity));
        self
    }

    /// Asks every client for a certificate issued by one of `roots` and refuses clients without
    /// one (mutual TLS). With `required == false`, clients may send none, but one they send
    /// must verify.
    ///
    /// ```
    /// # let (ca, _key) = { let c = rcgen::generate_simple_self_signed(vec!["my-ca".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let builder = loop_tls::TlsAcceptor::builder().client_auth(vec![ca], true);
    /// ```
    pub fn client_auth(mut self, roots: Vec<CertificateDer<'static>>, required: bool) -> Self {
        self.client_roots = Some((roots, Vec::new(), required));
        self
    }

    /// As [`client_auth`](Self::client_auth), with the roots read from a PEM file by `build`.
    ///
    /// ```
    /// let builder = loop_tls::TlsAcceptor::builder().client_auth_pem_file("clients-ca.pem", true);
    /// ```
    pub fn client_auth_pem_file(mut self, path: impl Into<PathBuf>, required: bool) -> Self {
        self.client_roots = Some((Vec::new(), vec![path.into()], required));
        self
    }

    /// The protocols this server accepts through ALPN, most preferred first. A client that
    /// offers ALPN but none of these is refused, as RFC 7301 asks.
    ///
    /// ```
    /// let builder = loop_tls::TlsAcceptor::builder().alpn_protocols(["h2", "http/1.1"]);
    /// ```
    pub fn alpn_protocols<P: AsRef<[u8]>>(
        mut self,
        protocols: impl IntoIterator<Item = P>,
    ) -> Self {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// How long a handshake may take before it fails and its stream is closed (default 60 s).
    ///
    /// ```
    /// let builder = loop_tls::TlsAcceptor::builder().handshake_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handshake_timeout(mut self, limit: Duration) -> Self {
        self.handshake_timeout = limit;
        self
    }

    /// How long [`TlsStream::shutdown`] waits for the peer's close_notify (default 30 s).
    ///
    /// ```
    /// let builder = loop_tls::TlsAcceptor::builder().shutdown_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn shutdown_timeout(mut self, limit: Duration) -> Self {
        self.shutdown_timeout = limit;
        self
    }

    /// Reads the files named, checks each key matches its certificate, and makes the acceptor.
    ///
    /// ```
    /// # let (cert, _) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// # let (_, other_key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
    /// let err = loop_tls::TlsAcceptor::builder().certificate(vec![cert], other_key).build().unwrap_err();
    /// assert!(err.to_string().contains("does not match"));
    /// ```
    pub fn build(self) -> io::Result<TlsAcceptor> {
        let provider = provider();
        let default = self
            .default
            .as_ref()
            .map(|id| id.load(&provider))
            .transpose()?;
        let mut by_name = HashMap::with_capacity(self.by_name.len());
        for (name, identity) in &self.by_name {
            by_name.insert(name.clone(), identity.load(&provider)?);
        }
        if default.is_none() && by_name.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a TLS server needs a certificate: no certificate was given to the builder",
            ));
        }
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(error::from_rustls)?;
        let builder = match self.client_roots {
            None => builder.with_no_client_auth(),
            Some((certs, files, required)) => {
                let mut roots = RootCertStore::empty();
                let from_files = files
                    .iter()
                    .map(load_certificates)
                    .collect::<io::Result<Vec<_>>>()?;
                for cert in certs.into_iter().chain(from_files.into_iter().flatten()) {
                    roots.add(cert).map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("unusable client CA: {e}"),
                        )
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if required {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                let verifier = verifier.build().map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("client authentication: {e}"),
                    )
                })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(Arc::new(SniResolver { by_name, default }));
        config.alpn_protocols = self.alpn;
        Ok(TlsAcceptor {
            config: Arc::new(config),
            handshake_timeout: self.handshake_timeout,
            shutdown_timeout: self.shutdown_timeout,
        })
    }
}

/// Picks the certificate named by the client's SNI, else the default one.
#[derive(Debug)]
struct SniResolver {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // rustls hands SNI over already lowercased and validated as a DNS name.
        hello
            .server_name()
            .and_then(|name| self.by_name.get(name))
            .or(self.default.as_ref())
            .cloned()
    }
}
