//! close (flush, then connection_lost(None)) versus abort (drop the buffer, lost promptly);
//! writes after close are dropped (P6, P7, and the call order of P1).

mod proto;

use loop_net::create_server;
use proto::{Ev, Rec, Shared, addr_of, client, on_thread, run, until};

#[test]
fn close_flushes_the_buffer_before_connection_lost() {
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
            proto::read_to_end(&mut s)
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        let big: Vec<u8> = (0..8u32 << 20).map(|i| i as u8).collect();
        t.write(&big);
        assert!(t.write_buffer_size() > 0, "the socket took 8 MiB at once");
        t.close();
        t.close(); // idempotent
        assert!(t.is_closing());
        assert!(!t.is_reading());
        t.write(b"late");
        assert_eq!(t.dropped_writes(), 1);
        loop_core::sleep(std::time::Duration::from_millis(5)).await;
        assert!(!shared.lost(), "connection_lost before the buffer was sent");
        go_tx.send(()).unwrap();
        assert_eq!(peer.await, big);
        until(|| shared.lost()).await;
    });
    // 8 MiB queued went above the high-water mark, and drained before the end.
    assert_eq!(
        shared.shape(),
        [Ev::Made, Ev::Pause, Ev::Resume, Ev::Lost(None)]
    );
}

#[test]
fn abort_drops_the_buffer_and_loses_the_connection_promptly() {
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
            let mut got = Vec::new();
            // A reset may cut the read short; either way less than everything arrives.
            let _ = std::io::Read::read_to_end(&mut s, &mut got);
            got.len()
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        let big = vec![7u8; 32 << 20];
        t.write(&big);
        assert!(t.write_buffer_size() > 0);
        t.abort();
        assert_eq!(t.write_buffer_size(), 0);
        assert!(t.is_closing());
        // Lost without the peer reading anything.
        until(|| shared.lost()).await;
        go_tx.send(()).unwrap();
        assert!(peer.await < big.len());
    });
    // No resume: the buffer was dropped, not drained.
    assert_eq!(shared.shape(), [Ev::Made, Ev::Pause, Ev::Lost(None)]);
}

#[test]
fn connection_lost_comes_once_even_after_close_and_abort() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let peer = on_thread(move || proto::read_to_end(&mut client(addr)));
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        t.close();
        t.abort();
        t.close();
        peer.await;
        until(|| shared.lost()).await;
        loop_core::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(t.peer_addr().map(|a| a.as_inet()), None); // the socket is gone
    });
    assert_eq!(shared.shape(), [Ev::Made, Ev::Lost(None)]);
}
