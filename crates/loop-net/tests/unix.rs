//! Unix sockets: streams and datagrams by path and abstract name, asyncio's stale-socket rule.

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;

use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use loop_net::{UnixDatagram, UnixListener, UnixStream};

mod common;

use common::run;

/// A fresh directory for this test's socket files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("loop-net-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_stream_server_echoes_a_std_client() {
    let dir = TempDir::new("echo");
    let path = dir.0.join("s");
    run(async {
        let listener = UnixListener::bind(&path).unwrap();
        let p = path.clone();
        let client = std::thread::spawn(move || {
            let mut s = std::os::unix::net::UnixStream::connect(p).unwrap();
            s.write_all(b"line\n").unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let mut back = String::new();
            s.read_to_string(&mut back).unwrap();
            back
        });
        let mut conn = listener.incoming().next().await.unwrap().unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap();
        conn.write_all(&got).await.unwrap();
        drop(conn);
        assert_eq!(client.join().unwrap(), "line\n");
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
    });
}

#[test]
fn binding_replaces_a_stale_socket_but_not_a_regular_file() {
    let dir = TempDir::new("stale");
    let sock = dir.0.join("sock");
    let file = dir.0.join("file");
    std::fs::write(&file, b"precious").unwrap();
    // A socket file nobody listens on any more.
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    run(async {
        let listener = UnixListener::bind(&sock).unwrap();
        let _c = UnixStream::connect(&sock).await.unwrap();
        listener.accept().await.unwrap();

        let err = UnixListener::bind(&file).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        let err = UnixDatagram::bind(&file).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    });
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
}

#[test]
fn abstract_names_need_no_file() {
    let name = format!("\0loop-net-test-{}", std::process::id());
    run(async {
        let listener = UnixListener::bind(&name).unwrap();
        let mut client = UnixStream::connect(&name).await.unwrap();
        let (mut conn, _) = listener.accept().await.unwrap();
        client.write_all(b"abstract").await.unwrap();
        let mut buf = [0; 8];
        conn.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abstract");
    });
}

#[test]
fn connecting_to_nothing_fails_clearly() {
    let dir = TempDir::new("nothing");
    run(async {
        let err = UnixStream::connect(dir.0.join("absent")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn pair_halves_and_half_close() {
    run(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (mut ar, mut aw) = a.into_split();
        aw.write_all(b"to b").await.unwrap();
        drop(aw); // the peer reads EOF
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"to b");
        b.write_all(b"to a").await.unwrap(); // our half-closed side still reads
        let mut buf = [0; 4];
        ar.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"to a");
    });
}

#[test]
fn datagrams_by_path_and_connected() {
    let dir = TempDir::new("dgram");
    let (pa, pb) = (dir.0.join("a"), dir.0.join("b"));
    run(async {
        let a = UnixDatagram::bind(&pa).unwrap();
        let b = UnixDatagram::bind(&pb).unwrap();
        a.send_to(b"hello", &pb).await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(pa.as_path()));
        b.connect(&pa).unwrap();
        b.send(b"back").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");

        let anon = UnixDatagram::unbound().unwrap();
        anon.send_to(b"anon", &pa).await.unwrap();
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"anon");
        assert!(from.is_unnamed());
    });
}

#[test]
fn dropping_a_listener_removes_its_socket_file_but_not_a_newer_one() {
    let dir = TempDir::new("cleanup");
    let path = dir.0.join("s");
    run(async {
        let first = UnixListener::bind(&path).unwrap();
        assert!(path.exists());
        drop(first);
        assert!(!path.exists(), "the socket file outlived its listener");

        // A listener whose file was replaced by a newer server's leaves the new one alone.
        let old = UnixListener::bind(&path).unwrap();
        let new = UnixListener::bind(&path).unwrap(); // removes old's file, binds its own
        drop(old);
        assert!(path.exists(), "the newer server's socket file was removed");
        let _c = UnixStream::connect(&path).await.unwrap();
        new.accept().await.unwrap();
        drop(new);
        assert!(!path.exists());

        // into_std hands the file over with the socket.
        let kept = UnixListener::bind(&path).unwrap().into_std().unwrap();
        assert!(path.exists());
        drop(kept);
        assert!(path.exists());
    });
}

#[test]
fn connecting_while_the_backlog_is_full_waits_for_room() {
    let dir = TempDir::new("backlog");
    let path = dir.0.join("s");
    run(async {
        // Backlog 0: one connection waits unaccepted, the next finds the queue full (EAGAIN).
        let socket =
            socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(&socket2::SockAddr::unix(&path).unwrap())
            .unwrap();
        socket.listen(0).unwrap();
        let listener = UnixListener::from_std(socket.into()).unwrap();
        let _first = UnixStream::connect(&path).await.unwrap();
        let second = loop_core::spawn(UnixStream::connect(path.clone()));
        loop_core::sleep(std::time::Duration::from_millis(30)).await;
        assert!(
            !second.is_finished(),
            "the queue was not full: nothing tested"
        );
        listener.accept().await.unwrap(); // room for one more
        let mut second = second.await.unwrap().unwrap();
        let (mut conn, _) = listener.accept().await.unwrap();
        second.write_all(b"made it").await.unwrap();
        let mut buf = [0; 7];
        conn.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"made it");
    });
}
