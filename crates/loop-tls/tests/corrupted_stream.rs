//! Garbage injected into an established TLS stream (asyncio's S-T9): the next read fails with a
//! TLS error, and closing still completes.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use std::io;

#[test]
fn garbage_mid_stream_is_a_tls_error_on_the_next_read() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(s).await.unwrap();
            tls.write_all(b"line one\n").await.unwrap();
            tls.flush().await.unwrap();
            // Plaintext bytes straight onto the socket, under the TLS layer.
            tls.get_mut()
                .write_all(b"\x17\x03\x03\x00\x10not a real record")
                .await
                .unwrap();
            tls.get_mut().flush().await.unwrap();
            let mut rest = Vec::new();
            let _ = tls.read_to_end(&mut rest).await;
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        let mut line = [0; 9];
        tls.read_exact(&mut line).await.unwrap();
        assert_eq!(&line, b"line one\n");
        let err = tls.read(&mut [0; 16]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err:?}");
        assert!(loop_tls::rustls_error(&err).is_some(), "{err:?}");
        // The session is dead, but closing it still completes and releases the socket.
        let _ = tls.close().await;
        drop(tls);
        server.await.unwrap();
    });
}
