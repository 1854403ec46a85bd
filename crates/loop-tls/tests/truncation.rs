//! A peer that drops TCP without close_notify is told apart from a clean TLS close.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::time::Duration;

#[test]
fn tcp_close_without_close_notify_is_unexpected_eof() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(s).await.unwrap();
            tls.write_all(b"partial").await.unwrap();
            tls.flush().await.unwrap();
            // Drop the TLS session and the socket without a close_notify.
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        server.await.unwrap();
        let mut got = Vec::new();
        let err = tls.read_to_end(&mut got).await.unwrap_err();
        assert_eq!(got, b"partial", "data before the cut still arrives");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err:?}");
        assert!(err.to_string().contains("close_notify"), "{err}");
    });
}

#[test]
fn close_notify_reads_as_a_clean_end() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(s).await.unwrap();
            tls.write_all(b"OK").await.unwrap();
            tls.close().await.unwrap(); // close_notify, then the TCP write side
            let mut rest = Vec::new();
            tls.read_to_end(&mut rest).await.unwrap();
            rest
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        let mut got = Vec::new();
        tls.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"OK");
        // TLS 1.3 half-close: the server still reads what we send after its close_notify.
        tls.write_all(b"after").await.unwrap();
        tls.close().await.unwrap();
        assert_eq!(server.await.unwrap(), b"after");
    });
}

#[test]
fn shutdown_without_the_peers_close_notify_times_out() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let tls = acceptor.accept(s).await.unwrap();
            // Hold the connection open and never answer the close_notify.
            loop_core::sleep(Duration::from_secs(10)).await;
            drop(tls);
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        tls.set_shutdown_timeout(Duration::from_millis(200));
        let err = tls.shutdown().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err:?}");
        assert!(err.to_string().contains("shutdown timed out"), "{err}");
        let _ = server.cancel().await;
    });
}

#[test]
fn shutdown_reports_a_peer_that_closes_without_close_notify() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            drop(acceptor.accept(s).await.unwrap());
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        server.await.unwrap();
        let err = tls.shutdown().await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionReset
            ),
            "{err:?}"
        );
    });
}
