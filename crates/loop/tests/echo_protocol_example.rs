//! `echo_server --protocol`: the transport/protocol echo, end to end from the example's own
//! source, against blocking std peers on other threads.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::thread;
use std::time::Duration;

use evloop::net::TcpListener;

#[allow(dead_code)]
#[path = "../examples/echo_server.rs"]
mod echo_server;

fn protocol_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        evloop::run(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            echo_server::echo_protocol_forever(listener).await
        })
        .unwrap()
        .unwrap();
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap()
}

#[test]
fn protocol_echo_serves_many_connections_at_once() {
    let addr = protocol_server();
    let peers: Vec<_> = (0..20)
        .map(|i| {
            thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                let msg: Vec<u8> = (0..100_000u32).map(|b| (b * 31 + i) as u8).collect();
                let writer = {
                    let mut w = s.try_clone().unwrap();
                    let msg = msg.clone();
                    thread::spawn(move || {
                        for piece in msg.chunks(7_000) {
                            w.write_all(piece).unwrap();
                        }
                        w.shutdown(Shutdown::Write).unwrap();
                    })
                };
                let mut back = Vec::new();
                s.read_to_end(&mut back).unwrap();
                writer.join().unwrap();
                assert_eq!(back, msg);
            })
        })
        .collect();
    for p in peers {
        p.join().unwrap();
    }
}

#[test]
fn the_protocol_flag_is_parsed_anywhere() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        echo_server::parse_args(&args(&["127.0.0.1:0", "--protocol"])),
        Ok(("127.0.0.1:0".to_string(), true))
    );
    assert_eq!(
        echo_server::parse_args(&args(&["--protocol", "127.0.0.1:0"])),
        Ok(("127.0.0.1:0".to_string(), true))
    );
    assert_eq!(
        echo_server::parse_args(&args(&["127.0.0.1:0"])),
        Ok(("127.0.0.1:0".to_string(), false))
    );
    assert!(echo_server::parse_args(&args(&["--protocol"])).is_err());
}
