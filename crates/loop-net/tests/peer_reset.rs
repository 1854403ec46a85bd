//! A peer that resets the connection mid-write: an error on that connection only, never a
//! SIGPIPE (checked with SIGPIPE back at its default, killing disposition), other connections
//! unaffected.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{TcpListener, TcpStream, UnixStream};

mod common;

use common::{in_subprocess, run};

/// Restores SIGPIPE's default action (terminate), which Rust's runtime set to "ignore": a
/// write that raised SIGPIPE would now kill the test process.
fn sigpipe_kills() {
    // SAFETY: `signal` with SIG_DFL installs no handler code; this runs at the start of a
    // single-test child process, before it starts any thread of its own.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

fn is_peer_gone(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::ConnectionReset | ErrorKind::BrokenPipe)
}

/// Writes (plain or vectored) until the write fails, and returns the error.
async fn write_until_error(mut s: &TcpStream, vectored: bool) -> std::io::Error {
    let chunk = vec![0u8; 64 * 1024];
    loop {
        let result = if vectored {
            let bufs = [IoSlice::new(&chunk[..100]), IoSlice::new(&chunk)];
            s.write_vectored(&bufs).await
        } else {
            s.write(&chunk).await
        };
        if let Err(e) = result {
            return e;
        }
        loop_core::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn a_reset_mid_write_fails_that_connection_only_without_sigpipe() {
    in_subprocess(
        "a_reset_mid_write_fails_that_connection_only_without_sigpipe",
        || {
            sigpipe_kills();
            run(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                for vectored in [false, true] {
                    let victim = TcpStream::connect(addr).await.unwrap();
                    let (peer, _) = listener.accept().await.unwrap();
                    let bystander = TcpStream::connect(addr).await.unwrap();
                    let (mut bystander_peer, _) = listener.accept().await.unwrap();

                    // The peer reads a little, then resets (linger 0) while we keep writing.
                    let mut buf = [0; 10];
                    let writer = loop_core::spawn(async move {
                        let e = write_until_error(&victim, vectored).await;
                        (victim, e)
                    });
                    let mut p = &peer;
                    p.read_exact(&mut buf).await.unwrap();
                    peer.set_linger(Some(Duration::ZERO)).unwrap();
                    drop(peer);
                    let (victim, err) = writer.await.unwrap();
                    assert!(is_peer_gone(err.kind()), "{err}");
                    // Writing again is still just an error.
                    let again = (&victim).write(b"x").await.unwrap_err();
                    assert!(is_peer_gone(again.kind()), "{again}");

                    // The other connection is untouched.
                    (&bystander).write_all(b"still fine").await.unwrap();
                    let mut got = [0; 10];
                    bystander_peer.read_exact(&mut got).await.unwrap();
                    assert_eq!(&got, b"still fine");
                }
            });
        },
    );
}

#[test]
fn a_unix_peer_that_closed_gives_broken_pipe_without_sigpipe() {
    in_subprocess(
        "a_unix_peer_that_closed_gives_broken_pipe_without_sigpipe",
        || {
            sigpipe_kills();
            run(async {
                let (mut a, b) = UnixStream::pair().unwrap();
                drop(b);
                let err = a.write_all(b"nobody there").await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::BrokenPipe);
                let bufs = [IoSlice::new(b"still"), IoSlice::new(b"nobody")];
                let err = a.write_vectored(&bufs).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            });
        },
    );
}

#[test]
fn a_std_peer_reset_reads_as_connection_reset() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut buf = [0; 4];
        s.read_exact(&mut buf).unwrap();
        socket2::SockRef::from(&s)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        s.write_all(b"bye").unwrap();
    });
    run(async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"ping").await.unwrap();
        peer.join().unwrap();
        let mut got = Vec::new();
        // Whatever arrived before the reset may be read; then the reset is an error.
        let err = loop {
            let mut buf = [0; 16];
            match s.read(&mut buf).await {
                Ok(0) => panic!("a reset must not read as a clean EOF"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        assert!(b"bye".starts_with(&got));
    });
}
