//! Section 11: TLS with a certificate made on the spot.

use std::io;

use evloop::EventLoop;
use evloop::net::{TcpListener, TcpStream};
use evloop::tls::rustls::pki_types::PrivateKeyDer;
use evloop::tls::{TlsAcceptor, TlsConnector};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// A TLS round trip over loopback: our client verifies our server's self-made certificate.
pub(crate) fn section(lp: &EventLoop) -> io::Result<()> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(io::Error::other)?;
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let acceptor = TlsAcceptor::builder()
        .certificate(vec![cert.clone()], key)
        .alpn_protocols(["tour/1"])
        .build()?;
    let connector = TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(cert)
        .alpn_protocols(["tour/1"])
        .build()?;
    let line = lp
        .block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let server = evloop::spawn(async move {
                let (tcp, _) = listener.accept().await?;
                let mut tls = acceptor.accept(tcp).await?;
                let mut word = [0; 5];
                tls.read_exact(&mut word).await?;
                word.reverse();
                tls.write_all(&word).await?;
                tls.shutdown().await
            });
            let mut tls = connector
                .connect("localhost", TcpStream::connect(addr).await?)
                .await?;
            tls.write_all(b"hello").await?;
            let mut back = String::new();
            tls.read_to_string(&mut back).await?;
            tls.shutdown().await?;
            server
                .await
                .map_err(|e| io::Error::other(e.to_string()))??;
            io::Result::Ok(format!(
                "11. tls: {:?} with {:?}, ALPN {}, sent hello, got {back}",
                tls.protocol_version().unwrap(),
                tls.cipher_suite().unwrap().suite(),
                String::from_utf8_lossy(tls.alpn_protocol().unwrap_or_default()),
            ))
        })
        .map_err(|e| io::Error::other(e.to_string()))??;
    println!("{line}");
    Ok(())
}
