//! pause_reading stops data_received, resume_reading restarts it; both idempotent (P3).

mod proto;

use std::io::Write;

use loop_net::create_server;
use proto::{Rec, Shared, addr_of, client, on_thread, run, until};

#[test]
fn paused_reading_delivers_nothing_until_resumed() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (tx, rx) = std::sync::mpsc::channel::<&'static [u8]>();
        let peer = on_thread(move || {
            let mut s = client(addr);
            while let Ok(chunk) = rx.recv() {
                s.write_all(chunk).unwrap();
            }
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        assert!(t.is_reading());
        tx.send(b"one").unwrap();
        until(|| shared.data() == b"one").await;
        t.pause_reading();
        t.pause_reading(); // idempotent
        assert!(!t.is_reading());
        tx.send(b"two").unwrap();
        // Let the bytes arrive and the loop turn many times: nothing is delivered.
        for _ in 0..50 {
            loop_core::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(shared.data(), b"one");
        t.resume_reading();
        t.resume_reading(); // idempotent
        assert!(t.is_reading());
        until(|| shared.data() == b"onetwo").await;
        drop(tx);
        peer.await;
        until(|| shared.lost()).await;
    });
}

#[test]
fn pausing_inside_data_received_stops_the_next_delivery() {
    use loop_net::{Protocol, Transport};
    use std::cell::RefCell;
    use std::rc::Rc;

    struct PauseAfterFirst(Rc<RefCell<Vec<Vec<u8>>>>, Option<Transport>);
    impl Protocol for PauseAfterFirst {
        fn connection_made(&mut self, t: Transport) {
            self.1 = Some(t);
        }
        fn data_received(&mut self, data: &[u8]) {
            self.0.borrow_mut().push(data.to_vec());
            self.1.as_ref().unwrap().pause_reading();
        }
    }

    let chunks = Rc::new(RefCell::new(Vec::new()));
    let c = chunks.clone();
    run(async move {
        let server = create_server(move || PauseAfterFirst(c.clone(), None), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let peer = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"first").unwrap();
            rx.recv().unwrap();
            s.write_all(b"second").unwrap();
            let _ = rx.recv(); // until the loop side is done
        });
        until(|| chunks.borrow().len() == 1).await;
        tx.send(()).unwrap();
        for _ in 0..50 {
            loop_core::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(*chunks.borrow(), [b"first".to_vec()]);
        drop(tx);
        peer.await;
    });
}
