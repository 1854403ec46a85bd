//! asyncio's `ssl=`: create_server and create_connection with TLS, the protocol unaware.

mod common;

use common::{pair_config, run};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{Protocol, TcpStream, Transport};
use loop_tls::TlsInfo;
use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

/// Echoes everything; records how the connection ended and what TLS it ran.
#[derive(Default)]
struct Echo {
    transport: Option<Transport>,
    info: Option<TlsInfo>,
    received: usize,
    lost: Rc<RefCell<Vec<Option<io::ErrorKind>>>>,
}

impl Protocol for Echo {
    fn connection_made(&mut self, t: Transport) {
        assert!(!t.can_write_eof(), "TLS transports do not half-close");
        self.info = t.extra::<TlsInfo>();
        assert!(self.info.is_some());
        self.transport = Some(t);
    }
    fn data_received(&mut self, data: &[u8]) {
        self.received += data.len();
        self.transport.as_ref().unwrap().write(data);
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.lost.borrow_mut().push(error.map(|e| e.kind()));
    }
}

#[derive(Debug, Default)]
struct Collect {
    data: Vec<u8>,
    lost: Option<Option<io::ErrorKind>>,
}

impl Protocol for Collect {
    fn data_received(&mut self, data: &[u8]) {
        self.data.extend_from_slice(data);
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.lost = Some(error.map(|e| e.kind()));
    }
}

async fn until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        loop_core::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn protocols_talk_over_tls_both_ends() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let lost = Rc::new(RefCell::new(Vec::new()));
        let server_lost = lost.clone();
        let server = acceptor
            .create_server(
                move || Echo {
                    lost: server_lost.clone(),
                    ..Echo::default()
                },
                "127.0.0.1:0",
            )
            .await
            .unwrap();
        let addr = server.sockets()[0].as_inet().unwrap();
        let (transport, client) = connector
            .create_connection(Collect::default, addr, "localhost")
            .await
            .unwrap();
        let info = transport.extra::<TlsInfo>().unwrap();
        assert_eq!(info.sni_hostname.as_deref(), Some("localhost"));
        assert_eq!(transport.peer_addr().unwrap().as_inet(), Some(addr));
        // asyncio's S-T6 in small: everything written before close arrives before close_notify.
        let block = vec![7u8; 1024 * 1024];
        for _ in 0..4 {
            transport.write(&block);
        }
        until(|| client.borrow().data.len() == 4 * block.len()).await;
        transport.close();
        until(|| client.borrow().lost.is_some() && !lost.borrow().is_empty()).await;
        assert_eq!(client.borrow().lost, Some(None));
        assert_eq!(
            lost.borrow()[0],
            None,
            "the server saw a clean close_notify"
        );
        server.close();
        server.wait_closed().await;
    });
}

#[test]
fn abort_sends_no_close_notify_so_the_peer_sees_truncation() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let lost = Rc::new(RefCell::new(Vec::new()));
        let server_lost = lost.clone();
        let server = acceptor
            .create_server(
                move || Echo {
                    lost: server_lost.clone(),
                    ..Echo::default()
                },
                "127.0.0.1:0",
            )
            .await
            .unwrap();
        let addr = server.sockets()[0].as_inet().unwrap();
        let (transport, client) = connector
            .create_connection(Collect::default, addr, "localhost")
            .await
            .unwrap();
        transport.write(b"ping");
        until(|| client.borrow().data.len() == 4).await;
        transport.abort();
        until(|| client.borrow().lost.is_some() && !lost.borrow().is_empty()).await;
        assert_eq!(
            client.borrow().lost,
            Some(None),
            "abort is not our own error"
        );
        let seen = lost.borrow_mut().remove(0);
        assert_eq!(
            seen,
            Some(io::ErrorKind::UnexpectedEof),
            "the server saw the TCP close without close_notify"
        );
        server.close();
        server.wait_closed().await;
    });
}

#[test]
fn a_failed_handshake_drops_one_connection_and_the_server_serves_on() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let server = acceptor
            .create_server(Echo::default, "127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.sockets()[0].as_inet().unwrap();
        let mut garbage = TcpStream::connect(addr).await.unwrap();
        garbage
            .write_all(b"\x16\x03\x01\x00\x02hi, not TLS")
            .await
            .unwrap();
        let mut rest = Vec::new();
        let _ = garbage.read_to_end(&mut rest).await;

        let (transport, client) = connector
            .create_connection(Collect::default, addr, "localhost")
            .await
            .unwrap();
        transport.write(b"still here");
        until(|| client.borrow().data == b"still here").await;
        transport.close();
        server.close();
        server.wait_closed().await;
    });
}

#[test]
fn a_rejected_certificate_fails_create_connection() {
    let (_, acceptor, _ca) = pair_config();
    let (stranger, _, _other_ca) = pair_config();
    run(async move {
        let server = acceptor
            .create_server(Echo::default, "127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.sockets()[0].as_inet().unwrap();
        let err = stranger
            .create_connection(Collect::default, addr, "localhost")
            .await
            .unwrap_err();
        assert!(
            matches!(
                loop_tls::rustls_error(&err),
                Some(loop_tls::rustls::Error::InvalidCertificate(_))
            ),
            "{err:?}"
        );
        server.close();
        server.wait_closed().await;
    });
}
