//! A server whose certificate does not verify is refused, each fault with its own clear error.

mod common;

use common::{Ca, client_trusting, run, tcp_pair};
use loop_tls::rustls::{CertificateError, Error};
use loop_tls::{TlsAcceptor, rustls_error};
use std::io;

/// Connects to a server presenting `id` as `name`; returns the client's and server's errors.
fn handshake_errors(
    client_ca: &Ca,
    id: common::Identity,
    name: &'static str,
) -> (io::Error, io::Error) {
    let connector = client_trusting(client_ca);
    let acceptor = TlsAcceptor::builder()
        .certificate(id.chain.clone(), id.key())
        .build()
        .unwrap();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move { acceptor.accept(s).await.unwrap_err() });
        let client = connector.connect(name, c).await.unwrap_err();
        (client, server.await.unwrap())
    })
}

#[test]
fn wrong_host_name() {
    let ca = Ca::new("test CA");
    let (client, server) = handshake_errors(&ca, ca.issue(&["other.example"]), "localhost");
    assert_eq!(client.kind(), io::ErrorKind::InvalidData);
    assert!(
        matches!(
            rustls_error(&client),
            Some(Error::InvalidCertificate(
                CertificateError::NotValidForNameContext { .. }
            )) | Some(Error::InvalidCertificate(CertificateError::NotValidForName))
        ),
        "{client:?}"
    );
    assert!(
        client.to_string().contains("not valid for name"),
        "{client}"
    );
    // The server hears why: our client sent an alert before closing.
    assert!(
        matches!(rustls_error(&server), Some(Error::AlertReceived(_))),
        "{server:?}"
    );
}

#[test]
fn expired_certificate() {
    let ca = Ca::new("test CA");
    let (client, _) = handshake_errors(&ca, ca.issue_expired(&["localhost"]), "localhost");
    assert!(
        matches!(
            rustls_error(&client),
            Some(Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            )) | Some(Error::InvalidCertificate(CertificateError::Expired))
        ),
        "{client:?}"
    );
    assert!(client.to_string().contains("expired"), "{client}");
}

#[test]
fn unknown_certificate_authority() {
    let trusted = Ca::new("trusted CA");
    let stranger = Ca::new("stranger CA");
    let (client, _) = handshake_errors(&trusted, stranger.issue(&["localhost"]), "localhost");
    assert!(
        matches!(
            rustls_error(&client),
            Some(Error::InvalidCertificate(CertificateError::UnknownIssuer))
        ),
        "{client:?}"
    );
    assert!(client.to_string().contains("UnknownIssuer"), "{client}");
}

#[test]
fn an_invalid_server_name_is_refused_before_any_io() {
    let ca = Ca::new("test CA");
    let connector = client_trusting(&ca);
    run(async move {
        let (c, _s) = tcp_pair().await.unwrap();
        let err = connector.connect("not a host name!", c).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("invalid TLS server name"), "{err}");
    });
}
