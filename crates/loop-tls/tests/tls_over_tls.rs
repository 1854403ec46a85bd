//! A TLS session carried inside another one (as through a TLS proxy): TlsStream is itself a
//! stream that TlsConnector and TlsAcceptor accept.

mod common;

use common::{Ca, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_tls::TlsAcceptor;

#[test]
fn an_inner_session_runs_over_an_outer_one() {
    let ca = Ca::new("test CA");
    let proxy = ca.issue(&["proxy.test"]);
    let origin = ca.issue(&["origin.test"]);
    let outer = TlsAcceptor::builder()
        .certificate(proxy.chain.clone(), proxy.key())
        .build()
        .unwrap();
    let inner = TlsAcceptor::builder()
        .certificate(origin.chain.clone(), origin.key())
        .build()
        .unwrap();
    let connector = common::client_trusting(&ca);
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let outer = outer.accept(s).await.unwrap();
            let mut tls = inner.accept(outer).await.unwrap();
            assert_eq!(tls.sni_hostname(), Some("origin.test"));
            assert_eq!(tls.get_ref().sni_hostname(), Some("proxy.test"));
            let mut buf = vec![0; 100_000];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf).await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let outer = connector.connect("proxy.test", c).await.unwrap();
        let mut tls = connector.connect("origin.test", outer).await.unwrap();
        assert_eq!(tls.peer_certificates().unwrap()[0], origin.chain[0]);
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        tls.write_all(&data).await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert!(back == data);
        tls.shutdown().await.unwrap();
        server.await.unwrap();
    });
}
