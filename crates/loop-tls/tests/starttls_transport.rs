//! STARTTLS on the transport/protocol API (asyncio's `loop.start_tls`): a plaintext exchange,
//! then the same protocol carries on over TLS; `connection_made` is called once.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{Protocol, StreamInfo, Transport};
use loop_tls::TlsInfo;
use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

#[derive(Default)]
struct Recorder {
    made: usize,
    data: Vec<u8>,
    lost: Option<Option<io::ErrorKind>>,
}

impl Protocol for Recorder {
    fn connection_made(&mut self, _: Transport) {
        self.made += 1;
    }
    fn data_received(&mut self, data: &[u8]) {
        self.data.extend_from_slice(data);
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.lost = Some(error.map(|e| e.kind()));
    }
}

/// Waits (the watchdog bounds it) until the protocol's data ends with `tail`.
async fn until_received(proto: &Rc<RefCell<Recorder>>, tail: &[u8]) {
    while !proto.borrow().data.ends_with(tail) {
        loop_core::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn client_transport_upgrades_and_keeps_its_protocol() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, mut s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut cmd = vec![0; 100 * 1024 + 9];
            s.read_exact(&mut cmd).await.unwrap();
            assert!(cmd.ends_with(b"STARTTLS\n"));
            s.write_all(b"OK\n").await.unwrap();
            let mut tls = acceptor.accept(s).await.unwrap();
            let mut secret = [0; 7];
            tls.read_exact(&mut secret).await.unwrap();
            assert_eq!(&secret, b"secret\n");
            tls.write_all(b"reply\n").await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let (plain, proto) =
            Transport::from_stream(c, StreamInfo::new(), Recorder::default).unwrap();
        // asyncio's S-T4: 100 KiB of plaintext first.
        plain.write(&vec![b'x'; 100 * 1024]);
        plain.write(b"STARTTLS\n");
        until_received(&proto, b"OK\n").await;
        let tls = connector
            .start_tls(&plain, proto.clone(), "localhost")
            .await
            .unwrap();
        assert!(!tls.can_write_eof());
        let info = tls.extra::<TlsInfo>().expect("TLS details as an extra");
        assert_eq!(info.sni_hostname.as_deref(), Some("localhost"));
        tls.write(b"secret\n");
        until_received(&proto, b"reply\n").await;
        server.await.unwrap();
        while proto.borrow().lost.is_none() {
            loop_core::sleep(Duration::from_millis(1)).await;
        }
        let proto = proto.borrow();
        assert_eq!(proto.made, 1, "connection_made is not called again");
        assert_eq!(proto.data, b"OK\nreply\n");
        assert_eq!(
            proto.lost,
            Some(None),
            "a clean close_notify ends it without error"
        );
    });
}

#[test]
fn server_transport_upgrades_with_a_pipelined_client_hello() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (mut c, s) = tcp_pair().await.unwrap();
        let (plain, proto) =
            Transport::from_stream(s, StreamInfo::new(), Recorder::default).unwrap();
        let client = loop_core::spawn(async move {
            // The ClientHello goes right behind the command, without waiting for an answer.
            c.write_all(b"STARTTLS\n").await.unwrap();
            let mut tls = connector.connect("localhost", c).await.unwrap();
            tls.write_all(b"over tls\n").await.unwrap();
            let mut back = Vec::new();
            tls.read_to_end(&mut back).await.unwrap();
            tls.shutdown().await.unwrap();
            back
        });
        until_received(&proto, b"").await;
        loop {
            let data = proto.borrow().data.clone();
            if let Some(at) = data.windows(9).position(|w| w == b"STARTTLS\n") {
                let unconsumed = data[at + 9..].to_vec();
                proto.borrow_mut().data.clear();
                let tls = acceptor
                    .start_tls(&plain, proto.clone(), &unconsumed)
                    .await
                    .unwrap();
                until_received(&proto, b"over tls\n").await;
                tls.write(b"done\n");
                tls.close();
                break;
            }
            loop_core::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(client.await.unwrap(), b"done\n");
        assert_eq!(proto.borrow().made, 1);
    });
}

/// asyncio's test_start_tls_client_buf_proto_1: the same with a buffered protocol.
#[derive(Default)]
struct BufRecorder {
    made: usize,
    buf: Vec<u8>,
    data: Vec<u8>,
}

impl loop_net::BufferedProtocol for BufRecorder {
    fn connection_made(&mut self, _: Transport) {
        self.made += 1;
    }
    fn get_buffer(&mut self, _size_hint: usize) -> &mut [u8] {
        self.buf.resize(4096, 0);
        &mut self.buf
    }
    fn buffer_updated(&mut self, n: usize) {
        let got = self.buf[..n].to_vec();
        self.data.extend_from_slice(&got);
    }
}

#[test]
fn a_buffered_protocol_upgrades_too() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, mut s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            s.write_all(b"GO\n").await.unwrap();
            let mut tls = acceptor.accept(s).await.unwrap();
            tls.write_all(b"over tls\n").await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let (plain, proto) = Transport::from_stream(
            c,
            StreamInfo::new(),
            loop_net::Buffered(BufRecorder::default),
        )
        .unwrap();
        while !proto.borrow().data.ends_with(b"GO\n") {
            loop_core::sleep(Duration::from_millis(1)).await;
        }
        let (stream, info) = connector
            .start_tls_stream(&plain, "localhost")
            .await
            .unwrap();
        let tls = Transport::attach_buffered(stream, info, proto.clone()).unwrap();
        assert!(tls.extra::<TlsInfo>().is_some());
        while !proto.borrow().data.ends_with(b"over tls\n") {
            loop_core::sleep(Duration::from_millis(1)).await;
        }
        server.await.unwrap();
        assert_eq!(proto.borrow().data, b"GO\nover tls\n");
        assert_eq!(proto.borrow().made, 1);
    });
}
