//! A server picks its certificate by the name the client sends (SNI).

mod common;

use common::{Ca, run, tcp_pair};
use loop_tls::{TlsAcceptor, TlsConnector, rustls_error};

fn connect(
    acceptor: &TlsAcceptor,
    connector: &TlsConnector,
    name: &'static str,
) -> std::io::Result<Vec<u8>> {
    let (acceptor, connector) = (acceptor.clone(), connector.clone());
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            acceptor
                .accept(s)
                .await
                .map(|tls| tls.sni_hostname().map(str::to_owned))
        });
        let tls = connector.connect(name, c).await;
        let seen = server.await.unwrap();
        let tls = tls?;
        assert_eq!(seen?.as_deref(), Some(name.to_ascii_lowercase().as_str()));
        Ok(tls.peer_certificates().unwrap()[0].to_vec())
    })
}

#[test]
fn each_name_gets_its_own_certificate_and_others_the_default() {
    let ca = Ca::new("test CA");
    let a = ca.issue(&["a.test"]);
    let b = ca.issue(&["b.test"]);
    let fallback = ca.issue(&["fallback.test", "c.test"]);
    let acceptor = TlsAcceptor::builder()
        .sni_certificate("a.test", a.chain.clone(), a.key())
        .sni_certificate("B.Test", b.chain.clone(), b.key())
        .certificate(fallback.chain.clone(), fallback.key())
        .build()
        .unwrap();
    let connector = common::client_trusting(&ca);
    assert_eq!(
        connect(&acceptor, &connector, "a.test").unwrap(),
        a.chain[0].to_vec()
    );
    assert_eq!(
        connect(&acceptor, &connector, "b.test").unwrap(),
        b.chain[0].to_vec()
    );
    assert_eq!(
        connect(&acceptor, &connector, "B.TEST").unwrap(),
        b.chain[0].to_vec()
    );
    assert_eq!(
        connect(&acceptor, &connector, "c.test").unwrap(),
        fallback.chain[0].to_vec()
    );
}

#[test]
fn without_a_default_an_unknown_name_is_refused() {
    let ca = Ca::new("test CA");
    let a = ca.issue(&["a.test"]);
    let acceptor = TlsAcceptor::builder()
        .sni_certificate("a.test", a.chain.clone(), a.key())
        .build()
        .unwrap();
    let connector = common::client_trusting(&ca);
    assert!(connect(&acceptor, &connector, "a.test").is_ok());
    let err = connect(&acceptor, &connector, "z.test").unwrap_err();
    assert!(rustls_error(&err).is_some(), "{err:?}");
}
