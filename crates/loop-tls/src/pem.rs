//! Certificate chains and private keys from PEM files, with errors that name the file and the fault.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Reads every certificate in a PEM file, in order (for a chain: the leaf first).
///
/// Errors: [`io::ErrorKind::NotFound`] and the like when the file cannot be read,
/// [`io::ErrorKind::InvalidData`] when it is not PEM or holds no certificate; the message names
/// the file.
///
/// # Examples
///
/// ```
/// let err = loop_tls::load_certificates("/no/such/cert.pem").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("/no/such/cert.pem"));
/// ```
pub fn load_certificates(path: impl AsRef<Path>) -> io::Result<Vec<CertificateDer<'static>>> {
    let path = path.as_ref();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, "certificate", e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, "certificate", e))?;
    if certs.is_empty() {
        return Err(pem_error(path, "certificate", pem::Error::NoItemsFound));
    }
    Ok(certs)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
///
/// Errors as [`load_certificates`].
///
/// # Examples
///
/// ```
/// let dir = std::env::temp_dir().join(format!("loop-tls-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("not-a-key.pem");
/// std::fs::write(&path, "hello")?;
/// let err = loop_tls::load_private_key(&path).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// assert!(err.to_string().contains("no private key"));
/// # std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
pub fn load_private_key(path: impl AsRef<Path>) -> io::Result<PrivateKeyDer<'static>> {
    let path = path.as_ref();
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_error(path, "private key", e))
}

fn pem_error(path: &Path, what: &str, err: pem::Error) -> io::Error {
    let path = path.display();
    match err {
        pem::Error::Io(e) => {
            io::Error::new(e.kind(), format!("cannot read {what} file {path}: {e}"))
        }
        pem::Error::NoItemsFound => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no {what} found in {path} (expected a PEM file with a \"BEGIN\" section)"),
        ),
        e => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("malformed PEM in {what} file {path}: {e}"),
        ),
    }
}

/// A certificate chain and its private key, checked to belong together.
pub(crate) fn certified_key(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
    origin: &str,
) -> io::Result<Arc<CertifiedKey>> {
    if chain.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{origin}: the certificate chain is empty"),
        ));
    }
    let signer = provider.key_provider.load_private_key(key).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{origin}: unusable private key: {e}"),
        )
    })?;
    let certified = CertifiedKey::new(chain, signer);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{origin}: the private key does not match the certificate"),
        )),
        Err(e) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{origin}: unusable certificate: {e}"),
        )),
    }
}

/// Where a certificate and key come from, read when the builder builds.
#[derive(Debug, Clone)]
pub(crate) enum Identity {
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
    Der {
        chain: Vec<CertificateDer<'static>>,
        key: Arc<PrivateKeyDer<'static>>,
    },
}

impl Identity {
    pub(crate) fn der(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        Identity::Der {
            chain,
            key: Arc::new(key),
        }
    }

    pub(crate) fn files(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Identity::Files {
            cert: cert.into(),
            key: key.into(),
        }
    }

    pub(crate) fn load(&self, provider: &CryptoProvider) -> io::Result<Arc<CertifiedKey>> {
        match self {
            Identity::Files { cert, key } => {
                let chain = load_certificates(cert)?;
                let der = load_private_key(key)?;
                let origin = format!("{} with {}", cert.display(), key.display());
                certified_key(chain, der, provider, &origin)
            }
            Identity::Der { chain, key } => {
                certified_key(chain.clone(), key.clone_key(), provider, "certificate")
            }
        }
    }
}
