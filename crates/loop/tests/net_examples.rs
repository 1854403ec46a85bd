//! The loop-net examples' behaviour, end to end: their serving functions (included from the
//! example sources, so the code tested is the code run) against real blocking std peers on
//! other threads, and their argument parsing.
#![cfg(all(feature = "net", feature = "sync"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::thread;
use std::time::Duration;

use evloop::net::{TcpListener, UdpSocket};

#[allow(dead_code)]
#[path = "../examples/echo_server.rs"]
mod echo_server;

#[allow(dead_code)]
#[path = "../examples/echo_client.rs"]
mod echo_client;

#[allow(dead_code)]
#[path = "../examples/chat_server.rs"]
mod chat_server;

#[allow(dead_code)]
#[path = "../examples/udp_echo.rs"]
mod udp_echo;

/// Starts `serve` on a loop of its own thread with a listener on a free port; its address.
/// The thread runs until the test process ends, as a server does.
fn tcp_server<F, Fut>(serve: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>> + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        evloop::run(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve(listener).await
        })
        .unwrap()
        .unwrap();
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap()
}

fn connect(addr: SocketAddr) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

#[test]
fn echo_server_echoes_many_connections_at_once_until_each_peer_closes() {
    let addr = tcp_server(echo_server::echo_forever);
    // All connections open together; each sends in pieces, half-closes, reads everything back.
    let peers: Vec<_> = (0..20)
        .map(|i| {
            thread::spawn(move || {
                let mut s = connect(addr);
                let msg: Vec<u8> = (0..100_000u32).map(|b| (b * 7 + i) as u8).collect();
                for piece in msg.chunks(30_000) {
                    s.write_all(piece).unwrap();
                }
                s.shutdown(Shutdown::Write).unwrap();
                let mut back = Vec::new();
                s.read_to_end(&mut back).unwrap();
                back == msg
            })
        })
        .collect();
    for p in peers {
        assert!(p.join().unwrap(), "an echo came back different");
    }
}

#[test]
fn echo_client_measures_a_load_against_the_echo_server() {
    let addr = tcp_server(echo_server::echo_forever);
    let load = echo_client::parse_args(&[
        addr.to_string(),
        "--conns".into(),
        "4".into(),
        "--size".into(),
        "1000".into(),
        "--secs".into(),
        "0.3".into(),
    ])
    .unwrap();
    assert_eq!((load.conns, load.size), (4, 1000));
    let report = evloop::run(echo_client::run_load(load)).unwrap().unwrap();
    assert!(report.requests > 0);
    assert!(
        report.p50 <= report.p99 && report.p99 > Duration::ZERO,
        "{report:?}"
    );
}

#[test]
fn the_examples_reject_bad_arguments_with_a_message() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(echo_server::parse_args(&args(&["127.0.0.1:0"])).is_ok());
    for bad in [&[][..], &["127.0.0.1"], &["a", "b"], &["[::1:80"]] {
        let msg = echo_server::parse_args(&args(bad)).unwrap_err();
        assert!(!msg.is_empty());
    }
    for bad in [
        &["127.0.0.1:1", "--conns"][..],
        &["127.0.0.1:1", "--conns", "zero"],
        &["127.0.0.1:1", "--conns", "0"],
        &["127.0.0.1:1", "--secs", "-1"],
        &["127.0.0.1:1", "--speed", "9"],
        &["nohost"],
    ] {
        let msg = echo_client::parse_args(&args(bad)).unwrap_err();
        assert!(!msg.is_empty(), "{bad:?}");
    }
}

#[test]
fn chat_server_relays_each_line_to_every_other_client() {
    let addr = tcp_server(chat_server::serve_chat);
    let mut clients: Vec<_> = (0..3).map(|_| connect(addr)).collect();
    // Each client says one line once all are connected; a line sent before the server has
    // accepted a client would not reach it, so wait until a probe comes through.
    let mut readers: Vec<_> = clients
        .iter()
        .map(|c| BufReader::new(c.try_clone().unwrap()))
        .collect();
    loop {
        clients[0].write_all(b"probe\n").unwrap();
        let mut line = String::new();
        readers[2].read_line(&mut line).unwrap();
        if line == "probe\n" {
            // Client 1 may have got some probes too; drain them through a marker.
            clients[0].write_all(b"ready\n").unwrap();
            for r in &mut readers[1..] {
                loop {
                    let mut l = String::new();
                    r.read_line(&mut l).unwrap();
                    if l == "ready\n" {
                        break;
                    }
                }
            }
            break;
        }
    }
    clients[1].write_all(b"hello from 1\n").unwrap();
    clients[2].write_all(b"hello from 2\n").unwrap();
    let mut got0 = Vec::new();
    for _ in 0..2 {
        let mut l = String::new();
        readers[0].read_line(&mut l).unwrap();
        got0.push(l);
    }
    got0.sort();
    assert_eq!(got0, ["hello from 1\n", "hello from 2\n"]);
    let mut l = String::new();
    readers[1].read_line(&mut l).unwrap();
    assert_eq!(
        l, "hello from 2\n",
        "a client must not get its own line back"
    );
    let mut l = String::new();
    readers[2].read_line(&mut l).unwrap();
    assert_eq!(l, "hello from 1\n");
}

#[test]
fn udp_echo_sends_each_datagram_back() {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        evloop::run(async move {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            tx.send(socket.local_addr().unwrap()).unwrap();
            udp_echo::echo_datagrams(&socket).await
        })
        .unwrap()
        .unwrap();
    });
    let server = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    for msg in [&b"one"[..], b"two two", &[9u8; 1400]] {
        peer.send_to(msg, server).unwrap();
        let mut buf = [0; 2048];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (msg, server));
    }
}
