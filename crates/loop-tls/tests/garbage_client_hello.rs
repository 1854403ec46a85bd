//! Garbage instead of a ClientHello ends that one handshake; the server goes on serving others.

mod common;

use common::{pair_config, run};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{TcpListener, TcpStream};
use std::io;

#[test]
fn garbage_fails_one_handshake_and_the_next_client_is_served() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = loop_core::spawn(async move {
            let mut outcomes = Vec::new();
            for _ in 0..3 {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                // Each connection in its own task: one failure touches no other.
                let session = loop_core::spawn(async move {
                    let mut tls = acceptor.accept(tcp).await?;
                    let mut buf = [0; 4];
                    tls.read_exact(&mut buf).await?;
                    tls.write_all(&buf).await?;
                    tls.shutdown().await
                });
                outcomes.push(session.await.unwrap());
            }
            outcomes
        });

        // An HTTP request where a ClientHello should be.
        let mut plain = TcpStream::connect(addr).await.unwrap();
        plain
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        // The server answers with an alert at most, then closes.
        let _ = plain.read_to_end(&mut rest).await;
        assert!(rest.len() < 64, "the server sent {} bytes", rest.len());

        // Random bytes that look like a TLS record header, then close.
        let mut plain = TcpStream::connect(addr).await.unwrap();
        plain
            .write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
            .await
            .unwrap();
        drop(plain);

        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).await.unwrap();
        tls.write_all(b"ping").await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"ping");
        tls.shutdown().await.unwrap();

        let outcomes = server.await.unwrap();
        let first = outcomes[0].as_ref().unwrap_err();
        assert_eq!(first.kind(), io::ErrorKind::InvalidData, "{first:?}");
        assert!(loop_tls::rustls_error(first).is_some(), "{first:?}");
        assert!(outcomes[1].is_err());
        assert!(outcomes[2].is_ok(), "{:?}", outcomes[2]);
    });
}
