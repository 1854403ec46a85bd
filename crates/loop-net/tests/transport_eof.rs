//! End of stream in each direction: the peer's half-close (eof_received keeps the connection
//! or closes it, P4) and our write_eof (P5).

mod proto;

use std::io::{Read, Write};
use std::net::Shutdown;

use loop_net::create_server;
use proto::{Ev, Rec, Shared, addr_of, client, on_thread, run, until};

#[test]
fn eof_received_false_closes_the_transport() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let rest = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"bye").unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            proto::read_to_end(&mut s) // our side closes: EOF
        })
        .await;
        assert!(rest.is_empty());
        until(|| shared.lost()).await;
    });
    assert_eq!(
        shared.shape(),
        [Ev::Made, Ev::Data(b"bye".to_vec()), Ev::Eof, Ev::Lost(None)]
    );
}

#[test]
fn eof_received_true_keeps_the_connection_half_open_for_writing() {
    let shared = Shared::new();
    shared.keep_open.set(true);
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (eof_tx, eof_rx) = std::sync::mpsc::channel::<()>();
        let peer = on_thread(move || {
            let mut s = client(addr);
            s.shutdown(Shutdown::Write).unwrap();
            eof_rx.recv().unwrap();
            proto::read_to_end(&mut s)
        });
        until(|| shared.events().contains(&Ev::Eof)).await;
        let t = shared.transport();
        assert!(!t.is_closing());
        t.write(b"still here");
        t.close();
        eof_tx.send(()).unwrap();
        assert_eq!(peer.await, b"still here");
        until(|| shared.lost()).await;
    });
    assert_eq!(shared.shape(), [Ev::Made, Ev::Eof, Ev::Lost(None)]);
}

#[test]
fn write_eof_half_closes_after_the_buffer_and_reading_goes_on() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let peer = on_thread(move || {
            let mut s = client(addr);
            go_rx.recv().unwrap();
            let got = proto::read_to_end(&mut s); // ends at our write_eof
            s.write_all(b"reply after eof").unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            got
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        assert!(t.can_write_eof());
        // Queue more than the socket takes, so the shutdown must wait for the buffer.
        let big = vec![b'z'; 8 << 20];
        t.write(&big);
        t.write_eof().unwrap();
        t.write_eof().unwrap(); // idempotent
        t.write(b"dropped"); // after write_eof: dropped and counted
        assert_eq!(t.dropped_writes(), 1);
        go_tx.send(()).unwrap();
        let got = peer.await;
        assert_eq!(got.len(), big.len());
        until(|| shared.lost()).await;
    });
    assert_eq!(
        shared.shape(),
        [
            Ev::Made,
            Ev::Pause,
            Ev::Resume,
            Ev::Data(b"reply after eof".to_vec()),
            Ev::Eof,
            Ev::Lost(None)
        ]
    );
}

#[test]
fn a_peer_reset_is_an_error_on_that_connection_only() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let peer = on_thread(move || {
            let s = client(addr);
            go_rx.recv().unwrap();
            // Linger 0: close sends RST.
            socket2::SockRef::from(&s)
                .set_linger(Some(std::time::Duration::ZERO))
                .unwrap();
            drop(s);
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        t.write(&vec![1; 1 << 20]);
        go_tx.send(()).unwrap();
        peer.await;
        // Keep writing into the dead connection until the reset surfaces.
        until(|| {
            t.write(b"x");
            shared.lost()
        })
        .await;
        // The server still serves.
        let again = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"ok").unwrap();
            let mut b = [0; 1];
            let _ = s.read(&mut b);
        });
        until(|| shared.data().ends_with(b"ok")).await;
        shared.transport().close();
        again.await;
    });
    let errors: Vec<_> = shared
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Ev::Lost(err) => Some(err),
            _ => None,
        })
        .collect();
    assert!(errors[0].is_some(), "{errors:?}");
}
