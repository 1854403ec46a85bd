//! STARTTLS on the stream API: a plaintext exchange, then TLS on the same connection.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[test]
fn upgrade_after_a_plaintext_exchange() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (mut c, mut s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            s.write_all(b"220 hello\r\n").await.unwrap();
            let mut cmd = [0; 10];
            s.read_exact(&mut cmd).await.unwrap();
            assert_eq!(&cmd, b"STARTTLS\r\n");
            s.write_all(b"220 go\r\n").await.unwrap();
            let mut tls = acceptor.accept(s).await.unwrap();
            let mut msg = [0; 6];
            tls.read_exact(&mut msg).await.unwrap();
            tls.write_all(&msg).await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let mut banner = [0; 11];
        c.read_exact(&mut banner).await.unwrap();
        assert_eq!(&banner, b"220 hello\r\n");
        c.write_all(b"STARTTLS\r\n").await.unwrap();
        let mut go = [0; 8];
        c.read_exact(&mut go).await.unwrap();
        let mut tls = connector.connect("localhost", c).await.unwrap();
        tls.write_all(b"secret").await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"secret");
        tls.shutdown().await.unwrap();
        server.await.unwrap();
    });
}
