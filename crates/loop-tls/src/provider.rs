//! The crypto provider and the system's trusted roots, each made once per process.

use std::io;
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;

/// The protocol versions our builders enable: TLS 1.3 and 1.2, never older.
pub(crate) static VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// ring's provider, named explicitly so that a second provider compiled in elsewhere in the
/// program cannot make rustls' process-wide default ambiguous.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The operating system's trusted roots (on Linux, the OpenSSL-style bundle or directory that
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` or the distribution's defaults name), read from disk once.
pub(crate) fn system_roots() -> io::Result<Arc<RootCertStore>> {
    static ROOTS: OnceLock<Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (_added, _unparsable) = store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "no trusted root certificates in the system store ({}); install the \
                     ca-certificates package, or add roots to the builder",
                    if why.is_empty() {
                        "it is empty".to_string()
                    } else {
                        why.join("; ")
                    }
                ));
            }
            Ok(Arc::new(store))
        })
        .clone()
        .map_err(|msg| io::Error::new(io::ErrorKind::NotFound, msg))
}
