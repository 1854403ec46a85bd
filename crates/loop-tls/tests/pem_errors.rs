//! Certificates and keys read from PEM files: the good case, and a clear error for each fault.

mod common;

use common::{Ca, run, tcp_pair, temp_dir};
use loop_tls::{TlsAcceptor, TlsConnector};
use std::io::ErrorKind;

#[test]
fn good_files_make_a_working_server_and_client() {
    let dir = temp_dir("pem-good");
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    std::fs::write(dir.join("chain.pem"), &id.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &id.key_pem).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    assert_eq!(
        loop_tls::load_certificates(dir.join("chain.pem")).unwrap(),
        id.chain
    );
    let acceptor = TlsAcceptor::builder()
        .certificate_pem_files(dir.join("chain.pem"), dir.join("key.pem"))
        .build()
        .unwrap();
    let connector = TlsConnector::builder()
        .system_roots(false)
        .add_root_pem_file(dir.join("ca.pem"))
        .build()
        .unwrap();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move { acceptor.accept(s).await.map(drop) });
        connector.connect("localhost", c).await.unwrap();
        server.await.unwrap().unwrap();
    });
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_file_is_not_found_and_named() {
    let dir = temp_dir("pem-missing");
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    std::fs::write(dir.join("key.pem"), &id.key_pem).unwrap();
    let missing = dir.join("nope.pem");
    let err = TlsAcceptor::builder()
        .certificate_pem_files(&missing, dir.join("key.pem"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("certificate"), "{err}");
    let err = TlsConnector::builder()
        .add_root_pem_file(&missing)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_pem_is_invalid_data_and_says_why() {
    let dir = temp_dir("pem-bad");
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&key, &id.key_pem).unwrap();

    std::fs::write(&cert, "this is not PEM at all\n").unwrap();
    let err = TlsAcceptor::builder()
        .certificate_pem_files(&cert, &key)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("no certificate found"), "{err}");

    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = TlsAcceptor::builder()
        .certificate_pem_files(&cert, &key)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("malformed PEM"), "{err}");

    let cut = &id.cert_pem[..id.cert_pem.len() / 3];
    std::fs::write(&cert, cut).unwrap();
    let err = TlsAcceptor::builder()
        .certificate_pem_files(&cert, &key)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");

    // A certificate where the key should be.
    std::fs::write(&cert, &id.cert_pem).unwrap();
    let err = TlsAcceptor::builder()
        .certificate_pem_files(&cert, &cert)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("no private key found"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused() {
    let dir = temp_dir("pem-mismatch");
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    let other = ca.issue(&["localhost"]);
    std::fs::write(dir.join("cert.pem"), &id.cert_pem).unwrap();
    std::fs::write(dir.join("other.key"), &other.key_pem).unwrap();
    let err = TlsAcceptor::builder()
        .certificate_pem_files(dir.join("cert.pem"), dir.join("other.key"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(err.to_string().contains("other.key"), "{err}");
    // The same check guards client certificates.
    let err = TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(ca.cert())
        .client_auth_pem_files(dir.join("cert.pem"), dir.join("other.key"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
