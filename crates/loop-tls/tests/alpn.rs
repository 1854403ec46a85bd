//! ALPN: the server's preference among what the client offers, and a refusal when none fits.

mod common;

use common::{Ca, run, tcp_pair};
use loop_tls::{TlsAcceptor, TlsConnector};

/// The protocol one side ended up with.
type Alpn = Option<Vec<u8>>;

fn negotiate(server: &[&str], client: &[&str]) -> std::io::Result<(Alpn, Alpn)> {
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    let acceptor = TlsAcceptor::builder()
        .certificate(id.chain.clone(), id.key())
        .alpn_protocols(server)
        .build()
        .unwrap();
    let connector = TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(ca.cert())
        .alpn_protocols(client)
        .build()
        .unwrap();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move {
            acceptor
                .accept(s)
                .await
                .map(|t| t.alpn_protocol().map(<[u8]>::to_vec))
        });
        let client = connector.connect("localhost", c).await;
        let server = server.await.unwrap()?;
        Ok((client?.alpn_protocol().map(<[u8]>::to_vec), server))
    })
}

#[test]
fn both_sides_agree_on_a_protocol_they_share() {
    let (client, server) = negotiate(&["h2", "http/1.1"], &["http/1.1", "h2"]).unwrap();
    assert_eq!(client.as_deref(), Some(&b"h2"[..]));
    assert_eq!(server, client);
}

#[test]
fn no_alpn_when_the_client_offers_none() {
    let (client, server) = negotiate(&["h2"], &[]).unwrap();
    assert_eq!((client, server), (None, None));
}

#[test]
fn no_shared_protocol_refuses_the_handshake() {
    let err = negotiate(&["h2"], &["imap"]).unwrap_err();
    assert!(
        matches!(
            loop_tls::rustls_error(&err),
            Some(loop_tls::rustls::Error::AlertReceived(_))
                | Some(loop_tls::rustls::Error::NoApplicationProtocol)
        ),
        "{err:?}"
    );
}
