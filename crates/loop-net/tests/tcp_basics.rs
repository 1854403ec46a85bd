//! TCP listener and stream against real peers (blocking std sockets on other threads):
//! accept, connect, both I/O directions, vectored writes, options, addresses.

use std::io::{IoSlice, Read, Write};
use std::net::Shutdown;
use std::thread;

use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use loop_net::{TcpListenOptions, TcpListener, TcpStream};

mod common;

use common::{run, std_listener};

#[test]
fn accepts_a_std_client_and_echoes_it() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let peer = thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"hello world").unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            let mut back = Vec::new();
            s.read_to_end(&mut back).unwrap();
            back
        });
        let (mut conn, peer_addr) = listener.accept().await.unwrap();
        assert_eq!(conn.peer_addr().unwrap(), peer_addr);
        assert_eq!(conn.local_addr().unwrap(), addr);
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap();
        conn.write_all(&got).await.unwrap();
        drop(conn);
        assert_eq!(peer.join().unwrap(), b"hello world");
    });
}

#[test]
fn connects_to_a_std_server_with_vectored_writes() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    run(async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        assert_eq!(s.peer_addr().unwrap(), addr);
        let bufs = [IoSlice::new(b"SP"), IoSlice::new(b"A"), IoSlice::new(b"M")];
        let n = s.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 4); // a fresh socket's buffer takes all four bytes
        s.close().await.unwrap(); // shutdown(Write): the peer's read_to_end ends
    });
    assert_eq!(peer.join().unwrap(), b"SPAM");
}

#[test]
fn a_megabyte_each_way_through_a_shared_reference() {
    const LEN: usize = 1 << 20;
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut r = s.try_clone().unwrap();
        let echo = thread::spawn(move || {
            let mut buf = vec![0; 64 * 1024];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).unwrap();
            }
            s.shutdown(Shutdown::Write).unwrap();
        });
        echo.join().unwrap();
    });
    run(async {
        let s = TcpStream::connect(addr).await.unwrap();
        let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let (mut r, mut w) = s.split();
        let write = async {
            w.write_all(&data).await.unwrap();
            w.close().await.unwrap();
        };
        let read = async {
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = futures_lite::future::zip(write, read).await;
        assert!(got == data, "the echo came back different");
    });
    peer.join().unwrap();
}

#[test]
fn options_read_back() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    run(async {
        let s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        assert!(s.nodelay().unwrap());
        s.set_ttl(42).unwrap();
        assert_eq!(s.ttl().unwrap(), 42);
        s.set_linger(Some(std::time::Duration::from_secs(3)))
            .unwrap();
        assert_eq!(s.linger().unwrap(), Some(std::time::Duration::from_secs(3)));
        s.set_keepalive(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        assert!(s.keepalive().unwrap());
        assert!(format!("{s:?}").contains("TcpStream"));
    });
}

#[test]
fn reuse_address_is_on_by_default_and_reuse_port_is_an_option() {
    run(async {
        let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sock = socket2::SockRef::from(&plain);
        assert!(sock.reuse_address().unwrap());
        assert!(!sock.reuse_port().unwrap());
        let port = plain.local_addr().unwrap().port();
        let err = TcpListener::bind(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);

        let a = TcpListenOptions::new().reuse_port(true).backlog(5);
        let a = a.bind("127.0.0.1:0").await.unwrap();
        assert!(socket2::SockRef::from(&a).reuse_port().unwrap());
    });
}

#[test]
fn incoming_yields_each_connection() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients = thread::spawn(move || {
            (0..3)
                .map(|_| std::net::TcpStream::connect(addr).unwrap())
                .collect::<Vec<_>>()
        });
        let conns: Vec<_> = listener.incoming().take(3).try_collect().await.unwrap();
        let clients = clients.join().unwrap();
        let mut peers: Vec<_> = conns.iter().map(|c| c.peer_addr().unwrap()).collect();
        let mut locals: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        peers.sort();
        locals.sort();
        assert_eq!(peers, locals);
    });
}

#[test]
fn owned_halves_move_to_tasks_and_reunite() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        s.write_all(b"from peer").unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap(); // ends when our write half is dropped
        got
    });
    run(async {
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        let writer = loop_core::spawn(async move {
            w.write_all(b"from us").await.unwrap();
            w
        });
        let mut buf = [0; 9];
        r.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"from peer");
        let w = writer.await.unwrap();
        let s = r.reunite(w).unwrap();
        assert_eq!(s.peer_addr().unwrap(), addr);
        let (_r, w) = s.into_split();
        drop(w); // shuts down writing: the peer's read_to_end returns
    });
    assert_eq!(peer.join().unwrap(), b"from us");
}

#[test]
fn try_write_until_full_then_writable_waits_for_the_peer_to_read() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (b, _) = listener.accept().await.unwrap();
        let chunk = vec![1u8; 64 * 1024];
        let mut sent = 0;
        loop {
            match a.try_write(&chunk) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        // Full: writability was forgotten, so waiting for it now needs the peer to read.
        let mut wait = std::pin::pin!(a.as_async().writable());
        assert!(futures_lite::future::poll_once(&mut wait).await.is_none());
        let reader = loop_core::spawn(async move {
            let mut buf = vec![0; 64 * 1024];
            let mut got = 0;
            while got < sent {
                got += (&b).read(&mut buf).await.unwrap();
            }
            got
        });
        wait.await.unwrap();
        assert_eq!(reader.await.unwrap(), sent);
    });
}
