//! The default builder trusts the operating system's store, read from disk (offline). Each
//! case runs in a child process of this test binary, with `SSL_CERT_FILE` / `SSL_CERT_DIR`
//! pointing the store where the case needs it (the store is read once per process).

mod common;

use common::{Ca, run, tcp_pair, temp_dir};
use loop_tls::{TlsAcceptor, TlsConnector};
use std::process::Command;

/// Runs the named test of this binary in a child with `env` set; returns its success.
fn child(test: &str, env: &[(&str, &std::path::Path)]) -> bool {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture"])
        .env("LOOP_TLS_CHILD", "1");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test: {stdout}"
    );
    out.status.success()
}

fn in_child() -> bool {
    std::env::var_os("LOOP_TLS_CHILD").is_some()
}

#[test]
fn a_ca_in_the_system_store_is_trusted_by_default() {
    if in_child() {
        return;
    }
    let dir = temp_dir("system-roots");
    let ca = Ca::new("system CA");
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    let id = ca.issue(&["localhost"]);
    std::fs::write(dir.join("leaf.pem"), &id.cert_pem).unwrap();
    std::fs::write(dir.join("leaf.key"), &id.key_pem).unwrap();
    let ok = child(
        "system_store_child",
        &[
            ("SSL_CERT_FILE", &dir.join("ca.pem")),
            ("SSL_CERT_DIR", &dir.join("no-such-dir")),
            ("LEAF_DIR", &dir),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(ok, "the child failed");
}

/// Child of the test above: a default connector verifies a server whose CA is in the store.
#[test]
fn system_store_child() {
    if !in_child() {
        return; // only meaningful with the environment its parent sets
    }
    let dir = std::path::PathBuf::from(std::env::var("LEAF_DIR").unwrap());
    let connector = TlsConnector::builder().build().unwrap();
    let acceptor = TlsAcceptor::builder()
        .certificate_pem_files(dir.join("leaf.pem"), dir.join("leaf.key"))
        .build()
        .unwrap();
    run(async move {
        let (c, s) = tcp_pair().await.unwrap();
        let server = loop_core::spawn(async move { acceptor.accept(s).await.map(drop) });
        connector.connect("localhost", c).await.unwrap();
        server.await.unwrap().unwrap();
    });
}

#[test]
fn an_empty_system_store_is_a_clear_error() {
    if in_child() {
        return;
    }
    let dir = temp_dir("no-roots");
    let ok = child(
        "empty_store_child",
        &[
            ("SSL_CERT_FILE", &dir.join("none.pem")),
            ("SSL_CERT_DIR", &dir.join("none")),
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(ok, "the child failed");
}

/// Child of the test above.
#[test]
fn empty_store_child() {
    if !in_child() {
        return;
    }
    let err = TlsConnector::builder().build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(
        err.to_string().contains("no trusted root certificates"),
        "{err}"
    );
    // Roots given explicitly are enough on their own.
    let ca = Ca::new("explicit CA");
    TlsConnector::builder()
        .add_root_certificate(ca.cert())
        .build()
        .unwrap();
}
