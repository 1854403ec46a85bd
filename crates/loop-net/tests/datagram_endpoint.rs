//! Datagram endpoints: echo with a blocking UDP peer, connected endpoints reject other
//! destinations (P8), a refused send goes to error_received and the endpoint stays usable,
//! close/abort and the call order.

mod proto;

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::rc::Rc;

use loop_net::{DatagramProtocol, DatagramTransport, create_datagram_endpoint};
use proto::{WATCHDOG, on_thread, run, until};

#[derive(Debug, Clone, PartialEq)]
enum Dv {
    Made,
    Datagram(Vec<u8>, SocketAddr),
    Error(io::ErrorKind),
    Lost(Option<String>),
}

#[derive(Default)]
struct Log {
    events: Vec<Dv>,
    transport: Option<DatagramTransport>,
    echo: bool,
}

struct Rec(Rc<RefCell<Log>>);

impl DatagramProtocol for Rec {
    fn connection_made(&mut self, t: DatagramTransport) {
        let mut log = self.0.borrow_mut();
        log.events.push(Dv::Made);
        log.transport = Some(t);
    }
    fn datagram_received(&mut self, data: &[u8], addr: SocketAddr) {
        let mut log = self.0.borrow_mut();
        log.events.push(Dv::Datagram(data.to_vec(), addr));
        if log.echo {
            log.transport
                .as_ref()
                .unwrap()
                .sendto(data, Some(addr))
                .unwrap();
        }
    }
    fn error_received(&mut self, error: io::Error) {
        self.0.borrow_mut().events.push(Dv::Error(error.kind()));
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.0
            .borrow_mut()
            .events
            .push(Dv::Lost(error.map(|e| e.to_string())));
    }
}

fn local() -> Option<SocketAddr> {
    Some("127.0.0.1:0".parse().unwrap())
}

fn peer() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(WATCHDOG)).unwrap();
    s
}

#[test]
fn echo_server_endpoint_with_a_blocking_peer() {
    let log = Rc::new(RefCell::new(Log {
        echo: true,
        ..Log::default()
    }));
    let for_factory = log.clone();
    run(async {
        let (t, _) = create_datagram_endpoint(move || Rec(for_factory.clone()), local(), None)
            .await
            .unwrap();
        let addr = t.local_addr().unwrap();
        assert_eq!(t.peer_addr(), None);
        let (replies, from) = on_thread(move || {
            let s = peer();
            let mut replies = Vec::new();
            for msg in [&b"one"[..], b"two", b"three"] {
                s.send_to(msg, addr).unwrap();
                let mut buf = [0; 16];
                let (n, _) = s.recv_from(&mut buf).unwrap();
                replies.push(buf[..n].to_vec());
            }
            (replies, s.local_addr().unwrap())
        })
        .await;
        assert_eq!(
            replies,
            [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        t.close();
        t.close();
        assert!(t.is_closing());
        until(|| {
            log.borrow()
                .events
                .last()
                .is_some_and(|e| matches!(e, Dv::Lost(_)))
        })
        .await;
        let events = log.borrow().events.clone();
        assert_eq!(
            events,
            [
                Dv::Made,
                Dv::Datagram(b"one".to_vec(), from),
                Dv::Datagram(b"two".to_vec(), from),
                Dv::Datagram(b"three".to_vec(), from),
                Dv::Lost(None)
            ]
        );
    });
}

#[test]
fn a_connected_endpoint_rejects_other_destinations() {
    let log = Rc::new(RefCell::new(Log::default()));
    let for_factory = log.clone();
    run(async {
        let target = peer();
        let target_addr = target.local_addr().unwrap();
        let (t, _) =
            create_datagram_endpoint(move || Rec(for_factory.clone()), None, Some(target_addr))
                .await
                .unwrap();
        assert_eq!(t.peer_addr(), Some(target_addr));
        let other: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(
            t.sendto(b"x", Some(other)).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        t.sendto(b"to peer", Some(target_addr)).unwrap();
        t.sendto(b"default", None).unwrap();
        let got = on_thread(move || {
            let mut out = Vec::new();
            for _ in 0..2 {
                let mut buf = [0; 16];
                let n = target.recv(&mut buf).unwrap();
                out.push(buf[..n].to_vec());
            }
            out
        })
        .await;
        assert_eq!(got, [b"to peer".to_vec(), b"default".to_vec()]);
        t.abort();
        until(|| log.borrow().events.contains(&Dv::Lost(None))).await;
    });

    // Unconnected: a destination is required.
    let log = Rc::new(RefCell::new(Log::default()));
    let for_factory = log.clone();
    run(async {
        let (t, _) = create_datagram_endpoint(move || Rec(for_factory.clone()), local(), None)
            .await
            .unwrap();
        assert_eq!(
            t.sendto(b"x", None).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let result = create_datagram_endpoint(move || Rec(Rc::default()), None, None).await;
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(io::ErrorKind::InvalidInput)
        );
    });
}

#[test]
fn a_refused_send_goes_to_error_received_and_the_endpoint_stays_usable() {
    let log = Rc::new(RefCell::new(Log::default()));
    let for_factory = log.clone();
    run(async {
        // Nothing listens there: the ICMP port-unreachable comes back as ConnectionRefused.
        let closed = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let (t, _) = create_datagram_endpoint(move || Rec(for_factory.clone()), None, Some(closed))
            .await
            .unwrap();
        until(|| {
            let _ = t.sendto(b"anyone?", None);
            log.borrow()
                .events
                .contains(&Dv::Error(io::ErrorKind::ConnectionRefused))
        })
        .await;
        assert!(!t.is_closing());
        assert!(!log.borrow().events.iter().any(|e| matches!(e, Dv::Lost(_))));
        t.close();
        until(|| log.borrow().events.contains(&Dv::Lost(None))).await;
    });
}

#[test]
fn datagrams_sent_after_close_are_dropped() {
    let log = Rc::new(RefCell::new(Log::default()));
    let for_factory = log.clone();
    run(async {
        let target = peer();
        let (t, _) = create_datagram_endpoint(
            move || Rec(for_factory.clone()),
            None,
            Some(target.local_addr().unwrap()),
        )
        .await
        .unwrap();
        t.close();
        t.sendto(b"late", None).unwrap();
        assert_eq!(t.dropped_datagrams(), 1);
        until(|| log.borrow().events.contains(&Dv::Lost(None))).await;
    });
}

#[test]
fn a_panic_in_datagram_received_is_reported_and_closes_the_endpoint() {
    struct Bad;
    impl DatagramProtocol for Bad {
        fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {
            panic!("bad datagram handler");
        }
    }
    let (_, reports) = run(async {
        let (t, _) = create_datagram_endpoint(|| Bad, local(), None)
            .await
            .unwrap();
        let addr = t.local_addr().unwrap();
        on_thread(move || peer().send_to(b"x", addr).unwrap()).await;
        until(|| t.is_closing()).await;
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].message,
        "Fatal error: protocol.datagram_received() call failed."
    );
}
