//! BufferedProtocol: receiving straight into the protocol's own buffer (P9), and an empty
//! buffer is a protocol error that ends only that connection.

mod proto;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use loop_net::{Buffered, BufferedProtocol, Server, Transport, create_server};
use proto::{addr_of, client, on_thread, run, until};

#[derive(Default)]
struct Log {
    data: Vec<u8>,
    asks: usize,
    eof: bool,
    lost: Option<Option<String>>,
}

/// Lends a 100-byte buffer each time and copies out what was read into it.
struct Small {
    buf: [u8; 100],
    log: Rc<RefCell<Log>>,
    give_empty: bool,
}

impl BufferedProtocol for Small {
    fn connection_made(&mut self, _: Transport) {}
    fn get_buffer(&mut self, size_hint: usize) -> &mut [u8] {
        assert!(size_hint > 0);
        self.log.borrow_mut().asks += 1;
        if self.give_empty {
            return &mut [];
        }
        &mut self.buf
    }
    fn buffer_updated(&mut self, n: usize) {
        assert!(n <= 100);
        self.log.borrow_mut().data.extend_from_slice(&self.buf[..n]);
    }
    fn eof_received(&mut self) -> bool {
        self.log.borrow_mut().eof = true;
        false
    }
    fn connection_lost(&mut self, error: Option<std::io::Error>) {
        self.log.borrow_mut().lost = Some(error.map(|e| e.to_string()));
    }
}

async fn server(log: &Rc<RefCell<Log>>, give_empty: bool) -> Server {
    let log = log.clone();
    create_server(
        Buffered(move || Small {
            buf: [0; 100],
            log: log.clone(),
            give_empty,
        }),
        "127.0.0.1:0",
    )
    .await
    .unwrap()
}

#[test]
fn nine_kib_arrive_through_hundred_byte_buffers() {
    let payload: Vec<u8> = (0..9 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let log = Rc::new(RefCell::new(Log::default()));
    let (_, reports) = run(async {
        let server = server(&log, false).await;
        let addr = addr_of(&server);
        let sent = payload.clone();
        on_thread(move || {
            let mut s = client(addr);
            s.write_all(&sent).unwrap();
        })
        .await;
        until(|| log.borrow().lost.is_some()).await;
    });
    let log = log.borrow();
    assert_eq!(log.data, payload);
    assert!(log.asks >= 9 * 1024 / 100, "{} buffers", log.asks);
    assert!(log.eof);
    assert_eq!(log.lost, Some(None));
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn an_empty_buffer_aborts_that_connection_and_is_reported() {
    let log = Rc::new(RefCell::new(Log::default()));
    let (_, reports) = run(async {
        let server = server(&log, true).await;
        let addr = addr_of(&server);
        let got = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"data").unwrap();
            // Closed with our bytes unread, the kernel may answer with a reset.
            let mut rest = Vec::new();
            let _ = std::io::Read::read_to_end(&mut s, &mut rest);
            rest
        })
        .await;
        assert!(got.is_empty());
        until(|| log.borrow().lost.is_some()).await;
        assert!(server.is_serving());
    });
    let lost = log.borrow().lost.clone().unwrap().unwrap();
    assert!(lost.contains("get_buffer"), "{lost}");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].message.contains("get_buffer"));
}

/// Echoes from `buffer_updated`, and uses its transport from inside `get_buffer` too.
struct EchoBuf {
    buf: Vec<u8>,
    transport: Option<Transport>,
    peers_seen: Rc<RefCell<usize>>,
}

impl BufferedProtocol for EchoBuf {
    fn connection_made(&mut self, t: Transport) {
        self.transport = Some(t);
    }
    fn get_buffer(&mut self, _: usize) -> &mut [u8] {
        let t = self.transport.as_ref().unwrap();
        if t.peer_addr().is_some() {
            *self.peers_seen.borrow_mut() += 1;
        }
        t.write(b""); // a no-op write, even here, is harmless
        &mut self.buf
    }
    fn buffer_updated(&mut self, n: usize) {
        self.transport.as_ref().unwrap().write(&self.buf[..n]);
    }
}

#[test]
fn a_buffered_protocol_can_echo_and_use_its_transport_in_get_buffer() {
    let peers_seen = Rc::new(RefCell::new(0));
    let seen = peers_seen.clone();
    let (_, reports) = run(async {
        let server = create_server(
            Buffered(move || EchoBuf {
                buf: vec![0; 7],
                transport: None,
                peers_seen: seen.clone(),
            }),
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = addr_of(&server);
        let echoed = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"zero-copy echo through 7-byte buffers")
                .unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            proto::read_to_end(&mut s)
        })
        .await;
        assert_eq!(echoed, b"zero-copy echo through 7-byte buffers");
    });
    assert!(*peers_seen.borrow() > 0);
    assert!(reports.is_empty(), "{reports:?}");
}
