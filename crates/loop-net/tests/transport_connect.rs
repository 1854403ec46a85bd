//! Client connections on the protocol API: create_connection (and its failures),
//! create_connection_with's transform, the Unix variants, and a server's per-connection
//! transform (the hooks asyncio's ssl= is built on).

mod proto;

use std::io::{self, Read, Write};

use loop_net::{
    Server, StreamInfo, TcpConnectOptions, TcpListener, UnixStream, connect_accepted,
    connect_accepted_unix, create_connection, create_connection_with, create_unix_connection,
    create_unix_server,
};
use proto::{Ev, Rec, Shared, addr_of, client, on_thread, run, until};

#[test]
fn create_connection_runs_the_protocol_against_a_blocking_peer() {
    let shared = Shared::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    run(async {
        let peer = on_thread(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"welcome").unwrap();
            let mut buf = [0; 5];
            s.read_exact(&mut buf).unwrap();
            buf
        });
        let (t, handle) = create_connection(Rec::factory(&shared), addr)
            .await
            .unwrap();
        // connection_made ran before create_connection returned.
        assert_eq!(shared.events(), [Ev::Made]);
        assert!(std::rc::Rc::ptr_eq(&handle.borrow().0, &shared));
        assert_eq!(t.peer_addr().unwrap().as_inet(), Some(addr));
        assert!(t.local_addr().unwrap().as_inet().is_some());
        t.write(b"hello");
        assert_eq!(&peer.await, b"hello");
        until(|| shared.lost()).await;
    });
    assert_eq!(
        shared.shape(),
        [
            Ev::Made,
            Ev::Data(b"welcome".to_vec()),
            Ev::Eof,
            Ev::Lost(None)
        ]
    );
}

#[test]
fn connecting_to_a_closed_port_is_refused_and_makes_no_protocol() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let shared = Shared::new();
    run(async {
        let err = create_connection(Rec::factory(&shared), addr)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        let err = create_connection(Rec::factory(&shared), "not an address")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
    assert!(shared.events().is_empty());
}

#[test]
fn create_connection_with_transforms_the_stream_first() {
    let shared = Shared::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    run(async {
        let peer = on_thread(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut hello = [0; 9];
            s.read_exact(&mut hello).unwrap();
            assert_eq!(&hello, b"handshake");
            proto::read_to_end(&mut s)
        });
        let (t, _) = create_connection_with(
            Rec::factory(&shared),
            addr,
            &TcpConnectOptions::new(),
            |mut stream, info| async move {
                // The protocol is not made until the transform is done.
                futures_lite::AsyncWriteExt::write_all(&mut stream, b"handshake").await?;
                Ok((stream, info.extra(7u32)))
            },
        )
        .await
        .unwrap();
        assert_eq!(t.extra::<u32>(), Some(7));
        assert_eq!(t.peer_addr().unwrap().as_inet(), Some(addr));
        t.write(b"after");
        t.close();
        assert_eq!(peer.await, b"after");
        until(|| shared.lost()).await;
    });

    let shared = Shared::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    run(async {
        let err = create_connection_with(
            Rec::factory(&shared),
            addr,
            &TcpConnectOptions::new(),
            |_stream, _info| async move {
                Err::<(loop_net::TcpStream, StreamInfo), _>(io::Error::other("handshake failed"))
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "handshake failed");
    });
    assert!(shared.events().is_empty());
}

#[test]
fn a_server_transform_runs_before_each_protocol_and_a_failure_is_reported() {
    let shared = Shared::new();
    shared.echo.set(true);
    let (_, reports) = run(async {
        let server = Server::builder(Rec::factory(&shared))
            .wrap(|mut stream, info| async move {
                let mut first = [0; 1];
                futures_lite::AsyncReadExt::read_exact(&mut stream, &mut first).await?;
                if first[0] != b'+' {
                    return Err(io::Error::other("bad greeting"));
                }
                Ok((stream, info.extra("greeted")))
            })
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (bad, good) = on_thread(move || {
            let mut bad = client(addr);
            bad.write_all(b"-nope").unwrap();
            let mut rest = Vec::new();
            let _ = bad.read_to_end(&mut rest); // closed, maybe reset
            let mut good = client(addr);
            good.write_all(b"+echo").unwrap();
            let mut buf = [0; 4];
            good.read_exact(&mut buf).unwrap();
            (rest, buf)
        })
        .await;
        assert!(bad.is_empty());
        assert_eq!(&good, b"echo");
        until(|| shared.lost()).await;
        assert_eq!(shared.transport().extra::<&str>(), Some("greeted"));
        server.close();
        server.wait_closed().await;
    });
    assert_eq!(shared.count(&Ev::Made), 1);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].message,
        "Error on transport creation for incoming connection"
    );
    assert_eq!(reports[0].detail.as_deref(), Some("bad greeting"));
}

#[test]
fn unix_connection_to_a_unix_server() {
    let dir = std::env::temp_dir().join(format!("loop-net-connect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let server_side = Shared::new();
    server_side.echo.set(true);
    let client_side = Shared::new();
    run(async {
        let server = create_unix_server(Rec::factory(&server_side), &path).unwrap();
        let (t, _) = create_unix_connection(Rec::factory(&client_side), &path)
            .await
            .unwrap();
        assert!(matches!(
            t.peer_addr(),
            Some(loop_net::TransportAddr::Unix(_))
        ));
        t.write(b"over unix");
        until(|| client_side.data() == b"over unix").await;
        t.write_eof().unwrap();
        until(|| client_side.lost()).await;
        server.close();
        server.wait_closed().await;
    });
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        client_side.shape(),
        [
            Ev::Made,
            Ev::Data(b"over unix".to_vec()),
            Ev::Eof,
            Ev::Lost(None)
        ]
    );
}

#[test]
fn adopting_accepted_streams() {
    let tcp = Shared::new();
    let unix = Shared::new();
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"adopted").unwrap();
        });
        let (stream, _) = listener.accept().await.unwrap();
        let (_t, _) = connect_accepted(Rec::factory(&tcp), stream).unwrap();
        peer.await;
        until(|| tcp.lost()).await;

        let (a, b) = UnixStream::pair().unwrap();
        let (t, _) = connect_accepted_unix(Rec::factory(&unix), a).unwrap();
        t.write(b"to b");
        let mut buf = [0; 4];
        futures_lite::AsyncReadExt::read_exact(&mut &b, &mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"to b");
        drop(b);
        until(|| unix.lost()).await;
    });
    assert_eq!(tcp.data(), b"adopted");
}
