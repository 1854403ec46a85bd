//! 100 MiB through TLS arrive intact, in order, both ways at once.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const TOTAL: usize = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// A pattern that shifts with the offset, so a lost, repeated or reordered chunk shows.
fn pattern(offset: usize, buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        let at = offset + i;
        *b = (at as u8) ^ ((at >> 16) as u8);
    }
}

#[test]
fn one_hundred_mib_arrive_intact() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        // The server echoes everything back; the client writes and reads concurrently.
        let server = loop_core::spawn(async move {
            let tls = acceptor.accept(s).await.unwrap();
            let (mut r, mut w) = futures_lite::io::split(tls);
            futures_lite::io::copy(&mut r, &mut w).await.unwrap();
            w.close().await.unwrap();
        });
        let tls = connector.connect("localhost", c).await.unwrap();
        let (mut r, mut w) = futures_lite::io::split(tls);
        let writer = loop_core::spawn(async move {
            let mut chunk = vec![0; CHUNK];
            for offset in (0..TOTAL).step_by(CHUNK) {
                pattern(offset, &mut chunk);
                w.write_all(&chunk).await.unwrap();
            }
            w.close().await.unwrap(); // close_notify: the server's copy ends
        });
        let mut got = vec![0; CHUNK];
        let mut expected = vec![0; CHUNK];
        let mut offset = 0;
        loop {
            let n = r.read(&mut got).await.unwrap();
            if n == 0 {
                break;
            }
            pattern(offset, &mut expected[..n]);
            assert!(got[..n] == expected[..n], "corrupt data at offset {offset}");
            offset += n;
        }
        assert_eq!(offset, TOTAL);
        writer.await.unwrap();
        server.await.unwrap();
    });
}
