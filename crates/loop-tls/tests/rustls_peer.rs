//! Against a plain blocking rustls peer (`rustls::StreamOwned` over `std::net`) on a thread.

mod common;

use common::{Ca, run};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{TcpListener, TcpStream};
use loop_tls::TlsAcceptor;
use loop_tls::rustls::{
    self, ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned,
};
use std::io::{Read, Write};
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[test]
fn our_client_against_a_blocking_rustls_server() {
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(id.chain.clone(), id.key())
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let conn = ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = StreamOwned::new(conn, tcp);
        let mut buf = [0; 5];
        tls.read_exact(&mut buf).unwrap();
        tls.write_all(&buf.repeat(2)).unwrap();
        tls.conn.send_close_notify();
        tls.flush().unwrap();
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest).unwrap(); // until our close_notify
        rest
    });
    let connector = common::client_trusting(&ca);
    run(async move {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).await.unwrap();
        tls.write_all(b"hello").await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"hellohello");
        tls.shutdown().await.unwrap();
    });
    assert_eq!(peer.join().unwrap(), b"");
}

#[test]
fn a_blocking_rustls_client_against_our_server() {
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    let acceptor = TlsAcceptor::builder()
        .certificate(id.chain.clone(), id.key())
        .build()
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert()).unwrap();
    let config = Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let tcp = std::net::TcpStream::connect(addr).unwrap();
            let conn = ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
            let mut tls = StreamOwned::new(conn, tcp);
            let data: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
            tls.write_all(&data).unwrap();
            let mut back = vec![0; data.len()];
            tls.read_exact(&mut back).unwrap();
            tls.conn.send_close_notify();
            tls.flush().unwrap();
            let mut rest = Vec::new();
            tls.read_to_end(&mut rest).unwrap();
            back == data && rest.is_empty()
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut buf = vec![0; 300_000];
        tls.read_exact(&mut buf).await.unwrap();
        tls.write_all(&buf).await.unwrap();
        tls.shutdown().await.unwrap();
        assert!(loop_core::unblock(move || peer.join().unwrap()).await);
    });
}
