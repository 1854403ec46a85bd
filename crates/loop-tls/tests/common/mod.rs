// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers shared by loop-tls's integration tests: certificates made on the spot, a loop with a
//! watchdog, and a connected TCP pair.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use loop_core::EventLoop;
use loop_net::{TcpListener, TcpStream};
use loop_tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use loop_tls::{TlsAcceptor, TlsConnector};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// Generous: a deadline that only a hang reaches, never a stopwatch.
pub(crate) const WATCHDOG: Duration = Duration::from_secs(120);

/// Runs `fut` on a fresh loop; a hang fails the test instead of stalling the suite.
pub(crate) fn run<T: 'static>(fut: impl Future<Output = T> + 'static) -> T {
    let lp = EventLoop::new().expect("event loop");
    lp.block_on(async move {
        loop_core::timeout(WATCHDOG, fut)
            .await
            .expect("watchdog: the test hung")
    })
    .expect("the test's future panicked")
}

/// A certificate chain (leaf first) with its private key.
pub(crate) struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

impl Identity {
    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

/// A test certificate authority.
pub(crate) struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub(crate) fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// The CA's own certificate, to trust.
    pub(crate) fn cert(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    pub(crate) fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate for `names`, good for both server and client authentication.
    pub(crate) fn issue(&self, names: &[&str]) -> Identity {
        self.issue_with(names, |_| {})
    }

    /// A certificate for `names` that expired in 2001.
    pub(crate) fn issue_expired(&self, names: &[&str]) -> Identity {
        self.issue_with(names, |params| {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        })
    }

    fn issue_with(&self, names: &[&str], edit: impl FnOnce(&mut CertificateParams)) -> Identity {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "loop-tls test");
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        edit(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity {
            chain: vec![cert.der().clone(), self.cert()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            cert_pem: format!("{}{}", cert.pem(), self.cert_pem()),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A server for "localhost" (and 127.0.0.1) and a client that trusts only its CA.
pub(crate) fn pair_config() -> (TlsConnector, TlsAcceptor, Ca) {
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost", "127.0.0.1"]);
    let acceptor = TlsAcceptor::builder()
        .certificate(id.chain.clone(), id.key())
        .build()
        .unwrap();
    (client_trusting(&ca), acceptor, ca)
}

pub(crate) fn client_trusting(ca: &Ca) -> TlsConnector {
    TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(ca.cert())
        .build()
        .unwrap()
}

/// A connected loopback TCP pair: (client, server).
pub(crate) async fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (client, server) =
        futures_lite::future::try_zip(TcpStream::connect(addr), listener.accept()).await?;
    Ok((client, server.0))
}

/// A fresh directory of its own for one test's files.
pub(crate) fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loop-tls-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
