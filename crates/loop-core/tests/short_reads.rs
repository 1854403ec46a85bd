//! On a poller that reports hang-ups (`EpollPoller`), `AsyncRead` on a stream socket takes a
//! short read as "drained": cached readability is cleared and the next read waits for the next
//! event. These tests check, on that poller and on the default one, that no data and no EOF is
//! ever stranded by that (whatever the chunking, and when the peer shuts down before the last
//! read), that non-socket streams keep working, and that `readable()` after a short read waits
//! for new data.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_core::{Async, EpollPoller, EventLoop, yield_now};

mod common;

use common::watchdog;

/// Chunk sizes that cycle through small, odd and larger-than-the-buffer writes.
fn chunk(i: usize) -> usize {
    [1, 7, 100, 4096, 5000, 3, 65536, 12][i % 8]
}

/// A loop on each poller: the default one, and `EpollPoller` (which enables the shortcut).
fn loops() -> [EventLoop; 2] {
    [
        EventLoop::new().unwrap(),
        EventLoop::builder()
            .poller(EpollPoller::new().unwrap())
            .build()
            .unwrap(),
    ]
}

fn pattern(i: usize) -> u8 {
    (i % 253) as u8
}

/// Reads everything `total` bytes long from `reader` with a 4 KiB buffer, checking each byte.
async fn read_all(mut reader: impl futures_lite::AsyncRead + Unpin, total: usize) -> usize {
    let mut buf = vec![0u8; 4096];
    let mut seen = 0;
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            return seen;
        }
        for (k, &b) in buf[..n].iter().enumerate() {
            assert_eq!(b, pattern(seen + k), "byte {}", seen + k);
        }
        seen += n;
        assert!(seen <= total);
    }
}

#[test]
fn a_stream_socket_fed_in_uneven_chunks_from_another_thread_delivers_every_byte() {
    for lp in loops() {
        uneven_chunks_on(lp);
    }
}

fn uneven_chunks_on(lp: EventLoop) {
    const TOTAL: usize = 2_000_000;
    let (_dog, fired) = watchdog(&lp, Duration::from_secs(60));
    let (mut writer, reader) = UnixStream::pair().unwrap();
    let feeder = thread::spawn(move || {
        let (mut sent, mut i) = (0, 0);
        while sent < TOTAL {
            let n = chunk(i).min(TOTAL - sent);
            let bytes: Vec<u8> = (sent..sent + n).map(pattern).collect();
            writer.write_all(&bytes).unwrap();
            sent += n;
            i += 1;
            if i % 16 == 0 {
                thread::yield_now();
            }
        }
    });
    let got = lp
        .block_on(async { read_all(Async::new(reader).unwrap(), TOTAL).await })
        .unwrap();
    feeder.join().unwrap();
    assert!(
        !fired.get(),
        "the watchdog fired: a read waited for data that had arrived"
    );
    assert_eq!(got, TOTAL);
}

#[test]
fn tcp_ping_pong_with_short_reads_never_stalls() {
    for lp in loops() {
        tcp_ping_pong_with_short_reads_never_stalls_on(lp);
    }
}

fn tcp_ping_pong_with_short_reads_never_stalls_on(lp: EventLoop) {
    let (_dog, fired) = watchdog(&lp, Duration::from_secs(60));
    let rounds = lp
        .block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = Async::new(std::net::TcpStream::connect(addr).unwrap()).unwrap();
            let (server, _) = listener.accept().unwrap();
            let server = Async::new(server).unwrap();
            let echo = loop_core::get_running_loop()
                .unwrap()
                .spawn_local(async move {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = (&server).read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        (&server).write_all(&buf[..n]).await.unwrap();
                    }
                });
            let mut back = vec![0u8; 70_000];
            for round in 0..500 {
                let size = chunk(round).max(1);
                let msg: Vec<u8> = (0..size).map(|i| pattern(i + round)).collect();
                (&client).write_all(&msg).await.unwrap();
                (&client).read_exact(&mut back[..size]).await.unwrap();
                assert_eq!(&back[..size], &msg[..], "round {round}");
            }
            drop(client);
            echo.await.unwrap();
            500
        })
        .unwrap();
    assert!(!fired.get());
    assert_eq!(rounds, 500);
}

#[test]
fn a_pipe_is_not_a_socket_and_reads_as_before() {
    for lp in loops() {
        a_pipe_is_not_a_socket_and_reads_as_before_on(lp);
    }
}

fn a_pipe_is_not_a_socket_and_reads_as_before_on(lp: EventLoop) {
    let (_dog, fired) = watchdog(&lp, Duration::from_secs(60));
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    let feeder = thread::spawn(move || {
        let mut file = std::fs::File::from(write_end);
        for i in 0..200 {
            let bytes: Vec<u8> = (i * 10..i * 10 + 10).map(pattern).collect();
            file.write_all(&bytes).unwrap();
        }
    });
    let got = lp
        .block_on(async {
            read_all(Async::new(std::fs::File::from(read_end)).unwrap(), 2000).await
        })
        .unwrap();
    feeder.join().unwrap();
    assert!(!fired.get());
    assert_eq!(got, 2000);
}

#[test]
fn readable_after_a_short_read_waits_for_new_data() {
    // Only where the shortcut is on: the default poller keeps readability cached.
    let [_, lp] = loops();
    readable_after_a_short_read_waits_for_new_data_on(lp);
}

fn readable_after_a_short_read_waits_for_new_data_on(lp: EventLoop) {
    lp.block_on(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let b = Async::new(listener.accept().unwrap().0).unwrap();
        a.write_all(b"abc").unwrap();
        b.readable().await.unwrap(); // the event for "abc" has been seen
        let mut buf = [0u8; 16];
        assert_eq!((&b).read(&mut buf).await.unwrap(), 3);
        for _ in 0..3 {
            yield_now().await;
        }
        let pending = std::future::poll_fn(|cx| Poll::Ready(b.poll_readable(cx).is_pending()));
        assert!(pending.await, "drained: readability is no longer cached");
        a.write_all(b"de").unwrap();
        b.readable().await.unwrap();
        assert_eq!((&b).read(&mut buf).await.unwrap(), 2);
        assert_eq!(&buf[..2], b"de");
    })
    .unwrap();
}

#[test]
fn a_unix_stream_socket_keeps_readability_after_a_short_read() {
    // Its reads stop early where passed descriptors or credentials change, with data still
    // queued, so a short read proves nothing there: readability stays cached.
    let [_, lp] = loops();
    lp.block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        let b = Async::new(b).unwrap();
        a.write_all(b"abc").unwrap();
        b.readable().await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!((&b).read(&mut buf).await.unwrap(), 3);
        let ready = std::future::poll_fn(|cx| Poll::Ready(b.poll_readable(cx).is_ready()));
        assert!(
            ready.await,
            "a Unix socket's short read leaves readability cached"
        );
    })
    .unwrap();
}

#[test]
fn data_then_shutdown_before_the_first_read_gives_the_data_then_eof() {
    for lp in loops() {
        data_then_shutdown_on(lp);
    }
}

fn data_then_shutdown_on(lp: EventLoop) {
    let (_dog, fired) = watchdog(&lp, Duration::from_secs(60));
    for round in 0..50 {
        let got = lp
            .block_on(async {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let mut peer =
                    std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                let (ours, _) = listener.accept().unwrap();
                let ours = Async::new(ours).unwrap();
                peer.write_all(b"last words").unwrap();
                peer.shutdown(std::net::Shutdown::Write).unwrap();
                if round % 2 == 0 {
                    // Let the loop see the data and the shutdown before the first read; on odd
                    // rounds the first read comes before any event was seen.
                    loop_core::sleep(Duration::from_millis(5)).await;
                }
                let mut buf = [0u8; 64];
                let mut got = Vec::new();
                loop {
                    let n = (&ours).read(&mut buf).await.unwrap();
                    if n == 0 {
                        return got;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            })
            .unwrap();
        assert!(!fired.get(), "round {round}: the EOF was stranded");
        assert_eq!(got, b"last words");
    }
}

#[test]
fn a_short_read_off_the_loop_still_returns_the_bytes_it_took() {
    for lp in loops() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut b = Async::with_loop(&lp, b).unwrap();
        a.write_all(b"hi").unwrap();
        // The loop is not running: the read itself succeeds, and its bytes must come back
        // rather than an error about the loop after they were taken from the socket.
        let mut buf = [0u8; 8];
        let n = futures_lite::future::block_on(b.read(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"hi");
    }
}
