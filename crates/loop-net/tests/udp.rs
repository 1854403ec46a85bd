//! UDP sockets: datagrams to and from addresses, connected sockets, options, multicast.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use loop_net::UdpSocket;

mod common;

use common::run;

#[test]
fn datagrams_keep_their_boundaries_and_senders() {
    run(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = server.local_addr().unwrap();
        for msg in [&b"one"[..], b"", b"three three"] {
            assert_eq!(client.send_to(msg, to).await.unwrap(), msg.len());
        }
        let mut buf = [0; 64];
        for msg in [&b"one"[..], b"", b"three three"] {
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (msg, client.local_addr().unwrap()));
        }
    });
}

#[test]
fn a_std_peer_gets_an_echo() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    run(async {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let ours = s.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            let mut buf = [0; 16];
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            peer.send_to(&buf[..n], from).unwrap();
            from
        });
        s.connect(peer_addr).await.unwrap();
        assert_eq!(s.peer_addr().unwrap(), peer_addr);
        s.send(b"marco").await.unwrap();
        let mut buf = [0; 16];
        let n = s.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"marco");
        assert_eq!(thread.join().unwrap(), ours);
    });
}

#[test]
fn a_connected_socket_sees_the_refusal_of_a_closed_port() {
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    run(async {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.connect(addr).await.unwrap();
        s.send(b"anyone?").await.unwrap();
        let mut buf = [0; 8];
        // The ICMP port-unreachable arrives as an error on the next receive.
        let err = s.recv(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        // ... and the socket stays usable.
        s.send(b"still here").await.unwrap();
    });
}

#[test]
fn options_read_back() {
    run(async {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert!(!s.broadcast().unwrap());
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        s.set_ttl(7).unwrap();
        assert_eq!(s.ttl().unwrap(), 7);
        s.set_multicast_ttl_v4(3).unwrap();
        assert_eq!(s.multicast_ttl_v4().unwrap(), 3);
        s.set_multicast_loop_v4(false).unwrap();
        assert!(!s.multicast_loop_v4().unwrap());
        assert_eq!(s.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    });
}

#[test]
fn multicast_v4_join_and_leave() {
    run(async {
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        let group = Ipv4Addr::new(239, 255, 77, 77);
        // Loopback only: join on the loopback interface.
        s.join_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
        // Leaving a group we are not in is the OS's error, not a panic.
        assert!(s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err());
    });
}

#[test]
fn multicast_v6_join_and_leave_where_ipv6_exists() {
    run(async {
        let Ok(s) = UdpSocket::bind("[::1]:0").await else {
            return; // no IPv6 on this machine: nothing to check
        };
        let group: Ipv6Addr = "ff02::7777".parse().unwrap();
        let lo = 1; // the loopback interface's index on Linux
        match s.join_multicast_v6(group, lo) {
            Ok(()) => s.leave_multicast_v6(group, lo).unwrap(),
            // Some kernels refuse multicast on lo; that must still be an error, not a panic.
            Err(e) => assert_ne!(e.kind(), ErrorKind::InvalidInput, "{e}"),
        }
    });
}

#[test]
fn ipv6_loopback_round_trip_where_ipv6_exists() {
    run(async {
        let Ok(a) = UdpSocket::bind("[::1]:0").await else {
            return;
        };
        let b = UdpSocket::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 0)))
            .await
            .unwrap();
        a.send_to(b"six", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0; 3];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"six"[..], a.local_addr().unwrap()));
    });
}
