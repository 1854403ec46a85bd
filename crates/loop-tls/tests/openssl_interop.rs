//! Interoperability with the `openssl` command-line tool, both ways: our client against
//! `openssl s_server`, and `openssl s_client` against our server. CI installs openssl.

mod common;

use common::{Ca, run, temp_dir};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{TcpListener, TcpStream};
use loop_tls::TlsAcceptor;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Kills and reaps the child however the test ends.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn our_client_against_openssl_s_server() {
    let dir = temp_dir("openssl-server");
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    std::fs::write(dir.join("chain.pem"), &id.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &id.key_pem).unwrap();
    // -rev: a line echoed back reversed; -naccept 1: exit after one connection.
    let mut server = Reaped(
        Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                "127.0.0.1:0",
                "-rev",
                "-naccept",
                "1",
            ])
            .arg("-cert")
            .arg(dir.join("chain.pem"))
            .arg("-key")
            .arg(dir.join("key.pem"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the openssl command-line tool (CI installs it)"),
    );
    let mut out = BufReader::new(server.0.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "s_server exited before listening"
        );
        if let Some(addr) = line.trim().strip_prefix("ACCEPT ") {
            break addr.to_string();
        }
    };
    let connector = common::client_trusting(&ca);
    let reply = run(async move {
        let tcp = TcpStream::connect(addr.as_str()).await.unwrap();
        let mut tls = connector.connect("localhost", tcp).await.unwrap();
        assert!(tls.cipher_suite().is_some());
        tls.write_all(b"hello openssl\n").await.unwrap();
        let mut reply = Vec::new();
        let mut byte = [0; 1];
        while !reply.ends_with(b"\n") {
            assert_eq!(tls.read(&mut byte).await.unwrap(), 1, "closed early");
            reply.push(byte[0]);
        }
        reply
    });
    assert_eq!(reply, b"lssnepo olleh\n");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn openssl_s_client_against_our_server() {
    let dir = temp_dir("openssl-client");
    let ca = Ca::new("test CA");
    let id = ca.issue(&["localhost"]);
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    let acceptor = TlsAcceptor::builder()
        .certificate(id.chain.clone(), id.key())
        .build()
        .unwrap();
    let (output, received) = run(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = loop_core::unblock(move || {
            let mut child = Command::new("openssl")
                .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
                .args(["-servername", "localhost", "-verify_return_error", "-quiet"])
                .arg("-CAfile")
                .arg(dir.join("ca.pem"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the openssl command-line tool (CI installs it)");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"ping from openssl\n")
                .unwrap();
            let output = child.wait_with_output().unwrap();
            std::fs::remove_dir_all(dir).unwrap();
            output
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut line = Vec::new();
        let mut byte = [0; 1];
        while !line.ends_with(b"\n") {
            assert_eq!(tls.read(&mut byte).await.unwrap(), 1, "closed early");
            line.push(byte[0]);
        }
        tls.write_all(b"pong from evloop\n").await.unwrap();
        // close_notify makes s_client exit; it may or may not answer with its own.
        tls.close().await.unwrap();
        (client.await, line)
    });
    assert_eq!(received, b"ping from openssl\n");
    assert!(
        output.status.success(),
        "s_client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "pong from evloop\n"
    );
}
