//! A handshake that never finishes fails after its timeout, with the socket closed.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::AsyncReadExt;
use std::io;
use std::time::Duration;

#[test]
fn a_silent_server_times_the_client_out_and_the_socket_is_closed() {
    let (connector, _acceptor, _ca) = pair_config();
    let connector = connector.with_handshake_timeout(Duration::from_millis(300));
    run(async move {
        let (c, mut s) = tcp_pair().await.unwrap();
        let err = connector.connect("localhost", c).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err:?}");
        assert!(
            err.to_string()
                .contains("handshake is taking longer than 300ms"),
            "{err}"
        );
        // The server side sees the ClientHello, then EOF: the client's socket is closed.
        let mut seen = Vec::new();
        s.read_to_end(&mut seen).await.unwrap();
        assert_eq!(seen[0], 0x16, "a TLS handshake record came first");
    });
}

#[test]
fn a_silent_client_times_the_server_out() {
    let (_connector, acceptor, _ca) = pair_config();
    let acceptor = acceptor.with_handshake_timeout(Duration::from_millis(300));
    run(async move {
        let (mut c, s) = tcp_pair().await.unwrap();
        let err = acceptor.accept(s).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err:?}");
        let mut seen = Vec::new();
        assert_eq!(
            c.read_to_end(&mut seen).await.unwrap(),
            0,
            "closed, nothing sent"
        );
    });
}

#[test]
fn the_default_is_sixty_seconds_as_in_asyncio() {
    let lp = loop_core::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap();
    let (connector, _acceptor, _ca) = pair_config();
    let (err, waited) = lp
        .block_on(async move {
            let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
            let start = loop_core::get_running_loop().unwrap().time();
            let err = connector
                .connect("localhost", loop_core::Async::new(a).unwrap())
                .await
                .unwrap_err();
            (err, loop_core::get_running_loop().unwrap().time() - start)
        })
        .unwrap();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(waited, Duration::from_secs(60));
}

#[test]
fn cancelling_a_handshake_closes_its_socket() {
    let (connector, _acceptor, _ca) = pair_config();
    run(async move {
        let (c, mut s) = tcp_pair().await.unwrap();
        // asyncio's wait_for(..., 0.5) around the connect: the outer deadline wins.
        let outer = loop_core::timeout(
            Duration::from_millis(100),
            connector.connect("localhost", c),
        )
        .await;
        assert!(outer.is_err(), "the outer timeout fired first");
        let mut seen = Vec::new();
        s.read_to_end(&mut seen).await.unwrap();
        assert_eq!(seen[0], 0x16, "the ClientHello, then EOF");
    });
}
