//! A connected pair of TLS streams for the documentation's examples. Not part of the API.

use std::io;
use std::os::unix::net::UnixStream;

use loop_core::Async;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{TlsAcceptor, TlsConnector, TlsStream};

/// A client and a server session over a Unix socket pair, the server holding `cert` for
/// "localhost" and the client trusting it. Needs a running loop.
pub async fn pair(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> io::Result<(TlsStream<Async<UnixStream>>, TlsStream<Async<UnixStream>>)> {
    let acceptor = TlsAcceptor::builder()
        .certificate(vec![cert.clone()], key)
        .build()?;
    let connector = TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(cert)
        .build()?;
    let (a, b) = UnixStream::pair()?;
    futures_lite::future::try_zip(
        connector.connect("localhost", Async::new(a)?),
        acceptor.accept(Async::new(b)?),
    )
    .await
}
