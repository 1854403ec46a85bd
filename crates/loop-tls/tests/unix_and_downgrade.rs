//! TLS over a Unix socket, and back to plaintext afterwards with `into_inner`: bytes the peer
//! sent right behind its last TLS record are not lost in our read-ahead buffer.

mod common;

use common::{pair_config, run};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::UnixStream;

#[test]
fn tls_over_unix_then_plaintext_on_the_same_socket() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (a, b) = UnixStream::pair().unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(b).await.unwrap();
            let mut hello = [0; 5];
            tls.read_exact(&mut hello).await.unwrap();
            // The last TLS record and plaintext right behind it: the client reads both at once.
            tls.write_all(b"bye").await.unwrap();
            tls.flush().await.unwrap();
            let (mut plain, _) = tls.into_inner();
            plain.write_all(b"plain again").await.unwrap();
        });
        let mut tls = connector.connect("localhost", a).await.unwrap();
        tls.write_all(b"hello").await.unwrap();
        server.await.unwrap();
        let mut got = [0; 3];
        tls.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"bye");
        let (mut plain, _) = tls.into_inner();
        let mut rest = Vec::new();
        plain.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"plain again");
    });
}
