//! A server that requires client certificates accepts a client with one and refuses the rest.

mod common;

use common::{Ca, Identity, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_tls::{TlsAcceptor, TlsConnector, rustls_error};
use std::io;

struct Setup {
    server_ca: Ca,
    client_ca: Ca,
    acceptor: TlsAcceptor,
}

fn setup(required: bool) -> Setup {
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let id = server_ca.issue(&["localhost"]);
    let acceptor = TlsAcceptor::builder()
        .certificate(id.chain.clone(), id.key())
        .client_auth(vec![client_ca.cert()], required)
        .build()
        .unwrap();
    Setup {
        server_ca,
        client_ca,
        acceptor,
    }
}

fn client(setup: &Setup, identity: Option<&Identity>) -> TlsConnector {
    let builder = TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(setup.server_ca.cert());
    match identity {
        Some(id) => builder.client_auth_certificate(id.chain.clone(), id.key()),
        None => builder,
    }
    .build()
    .unwrap()
}

/// Runs one session; the server reports the client's leaf certificate, the client what it read.
fn session(
    acceptor: TlsAcceptor,
    connector: TlsConnector,
) -> (io::Result<Option<Vec<u8>>>, io::Result<Vec<u8>>) {
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(s).await?;
            let leaf = tls.peer_certificates().map(|chain| chain[0].to_vec());
            tls.write_all(b"welcome").await?;
            tls.shutdown().await?;
            Ok(leaf)
        });
        let client = async {
            let mut tls = connector.connect("localhost", c).await?;
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await?;
            tls.shutdown().await?;
            Ok(got)
        }
        .await;
        (server.await.unwrap(), client)
    })
}

#[test]
fn a_client_with_a_trusted_certificate_is_accepted_and_seen() {
    let setup = setup(true);
    let id = setup.client_ca.issue(&["client.example"]);
    let connector = client(&setup, Some(&id));
    let (server, client) = session(setup.acceptor.clone(), connector);
    assert_eq!(client.unwrap(), b"welcome");
    assert_eq!(server.unwrap().unwrap(), id.chain[0].to_vec());
}

#[test]
fn a_client_without_a_certificate_is_refused() {
    let setup = setup(true);
    let connector = client(&setup, None);
    let (server, client) = session(setup.acceptor.clone(), connector);
    let err = server.unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            Some(loop_tls::rustls::Error::NoCertificatesPresented)
        ),
        "{err:?}"
    );
    // In TLS 1.3 the client learns of it at its first read, through the server's alert.
    let err = client.unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            Some(loop_tls::rustls::Error::AlertReceived(_))
        ),
        "{err:?}"
    );
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let setup = setup(true);
    let id = Ca::new("stranger CA").issue(&["client.example"]);
    let connector = client(&setup, Some(&id));
    let (server, _client) = session(setup.acceptor.clone(), connector);
    let err = server.unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            Some(loop_tls::rustls::Error::InvalidCertificate(
                loop_tls::rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{err:?}"
    );
}

#[test]
fn optional_client_auth_lets_anonymous_clients_in() {
    let setup = setup(false);
    let connector = client(&setup, None);
    let (server, client) = session(setup.acceptor.clone(), connector);
    assert_eq!(client.unwrap(), b"welcome");
    assert_eq!(server.unwrap(), None);
}
