//! Our client against our server over loopback TCP: data both ways, many sessions at once,
//! what the session reports, and a clean close at each end.

mod common;

use common::{pair_config, run, tcp_pair};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{TcpListener, TcpStream};
use loop_tls::rustls::ProtocolVersion;

#[test]
fn echo_and_session_info() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(s).await.unwrap();
            assert!(tls.is_server());
            assert_eq!(tls.sni_hostname(), Some("localhost"));
            let mut buf = vec![0; 11];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf).await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        assert_eq!(tls.protocol_version(), Some(ProtocolVersion::TLSv1_3));
        assert!(tls.cipher_suite().is_some());
        assert_eq!(tls.alpn_protocol(), None);
        assert_eq!(tls.peer_certificates().unwrap().len(), 2, "leaf and CA");
        assert_eq!(tls.sni_hostname(), Some("localhost"));
        tls.write_all(b"hello world").await.unwrap();
        let mut back = Vec::new();
        tls.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"hello world");
        tls.shutdown().await.unwrap();
        server.await.unwrap();
    });
}

#[test]
fn connecting_by_ip_address_checks_the_address_and_sends_no_sni() {
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let tls = acceptor.accept(s).await.unwrap();
            tls.sni_hostname().map(str::to_owned)
        });
        let tls = connector.connect("127.0.0.1", c).await.unwrap();
        assert_eq!(tls.sni_hostname(), None);
        assert_eq!(server.await.unwrap(), None);
    });
}

/// asyncio's S-T1, scaled to a 2-core test machine: concurrent clients each send two
/// blocks and read both back; the server counts them all.
#[test]
fn concurrent_clients_each_get_their_own_data_back() {
    const CLIENTS: usize = 16;
    const BLOCK: usize = 128 * 1024;
    let (connector, acceptor, _ca) = pair_config();
    run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = loop_core::spawn(async move {
            let mut sessions = Vec::new();
            for _ in 0..CLIENTS {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                sessions.push(loop_core::spawn(async move {
                    let mut tls = acceptor.accept(tcp).await.unwrap();
                    let mut buf = vec![0; 2 * BLOCK];
                    tls.read_exact(&mut buf).await.unwrap();
                    tls.write_all(&buf).await.unwrap();
                    tls.shutdown().await.unwrap();
                }));
            }
            for session in sessions {
                session.await.unwrap();
            }
            CLIENTS
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let connector = connector.clone();
                loop_core::spawn(async move {
                    let tcp = TcpStream::connect(addr).await.unwrap();
                    let mut tls = connector.connect("localhost", tcp).await.unwrap();
                    let a = vec![b'A' ^ i as u8; BLOCK];
                    let b = vec![b'B' ^ i as u8; BLOCK];
                    tls.write_all(&a).await.unwrap();
                    tls.write_all(&b).await.unwrap();
                    let mut back = Vec::new();
                    tls.read_to_end(&mut back).await.unwrap();
                    assert_eq!(back.len(), 2 * BLOCK);
                    assert!(back[..BLOCK] == a[..] && back[BLOCK..] == b[..]);
                    tls.shutdown().await.unwrap();
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        assert_eq!(server.await.unwrap(), CLIENTS);
    });
}

#[test]
fn tls12_is_negotiated_when_the_client_allows_only_it() {
    let (_, acceptor, ca) = pair_config();
    let mut roots = loop_tls::rustls::RootCertStore::empty();
    roots.add(ca.cert()).unwrap();
    let config = loop_tls::rustls::ClientConfig::builder_with_provider(
        loop_tls::rustls::crypto::ring::default_provider().into(),
    )
    .with_protocol_versions(&[&loop_tls::rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = loop_tls::TlsConnector::from(std::sync::Arc::new(config));
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            let mut tls = acceptor.accept(s).await.unwrap();
            let mut buf = [0; 2];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf).await.unwrap();
            tls.flush().await.unwrap();
            tls.protocol_version()
        });
        let mut tls = connector.connect("localhost", c).await.unwrap();
        tls.write_all(b"12").await.unwrap();
        let mut buf = [0; 2];
        tls.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"12");
        assert_eq!(tls.protocol_version(), Some(ProtocolVersion::TLSv1_2));
        assert_eq!(server.await.unwrap(), Some(ProtocolVersion::TLSv1_2));
    });
}
