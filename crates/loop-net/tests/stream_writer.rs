//! StreamWriter: buffering writes, drain's high/low water marks against a slow reader, mixed
//! buffer types (R8), and drain failing instead of spinning once the peer has gone (R6).

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::AsyncWriteExt;
use futures_lite::io::AsyncWrite;
use loop_net::{StreamWriter, TcpStream};

mod common;

use common::{run, std_listener};

/// A writer that takes at most `per_call` bytes per write and records them.
struct Trickle {
    taken: Vec<u8>,
    per_call: usize,
    calls: usize,
}

impl AsyncWrite for Trickle {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(self.per_call);
        self.taken.extend_from_slice(&buf[..n]);
        self.calls += 1;
        Poll::Ready(Ok(n))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn write_only_buffers_and_drain_above_high_sends_down_to_low() {
    run(async {
        let mut w = StreamWriter::new(Trickle {
            taken: Vec::new(),
            per_call: 1,
            calls: 0,
        });
        w.set_write_buffer_limits(4, 2).unwrap();
        w.write(b"abc");
        assert_eq!(
            (w.buffer_size(), w.get_ref().calls),
            (3, 0),
            "write must not send"
        );
        w.write(b"def");
        assert_eq!(w.buffer_size(), 6);
        w.drain().await.unwrap();
        // The trickle never blocks, so drain sends everything it can.
        assert_eq!(w.get_ref().taken, b"abcdef");
    });
}

#[test]
fn r8_writelines_takes_mixed_buffer_types() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    run(async {
        let mut w = StreamWriter::new(TcpStream::connect(addr).await.unwrap());
        let owned = vec![b'A'];
        let parts: [&[u8]; 3] = [b"SP", &owned, &b"M"[..]];
        w.writelines(parts);
        w.write_eof().await.unwrap();
    });
    assert_eq!(peer.join().unwrap(), b"SPAM");
}

#[test]
fn a_slow_reader_makes_drain_wait_and_memory_stays_bounded() {
    const TOTAL: usize = 8 << 20;
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut buf = vec![0; 4096];
        let mut n = 0;
        loop {
            std::thread::sleep(std::time::Duration::from_micros(50));
            match s.read(&mut buf).unwrap() {
                0 => return n,
                k => n += k,
            }
        }
    });
    run(async {
        let mut w = StreamWriter::new(TcpStream::connect(addr).await.unwrap());
        let chunk = vec![7u8; 16 * 1024];
        let mut peak = 0;
        let mut sent = 0;
        while sent < TOTAL {
            w.write(&chunk);
            sent += chunk.len();
            peak = peak.max(w.buffer_size());
            w.drain().await.unwrap();
            assert!(
                w.buffer_size() <= 64 * 1024,
                "drain returned above the high-water mark"
            );
        }
        assert!(peak <= 64 * 1024 + chunk.len(), "peak {peak}");
        w.write_eof().await.unwrap();
    });
    assert_eq!(peer.join().unwrap(), TOTAL);
}

#[test]
fn async_write_through_it_is_bounded_too() {
    run(async {
        let mut w = StreamWriter::new(Trickle {
            taken: Vec::new(),
            per_call: 3,
            calls: 0,
        });
        w.set_write_buffer_limits(8, 2).unwrap();
        let data: Vec<u8> = (0..100).collect();
        for piece in data.chunks(5) {
            w.write_all(piece).await.unwrap();
            assert!(w.buffer_size() <= 8);
        }
        w.flush().await.unwrap();
        assert_eq!(w.get_ref().taken, data);
    });
}

#[test]
fn r6_drain_fails_instead_of_spinning_once_the_peer_has_gone() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (s, _) = server.accept().unwrap();
        // Reset only once the client has surely seen the connection established: a reset
        // racing the handshake would fail `connect` itself, which is not what this tests.
        let mut hello = [0u8; 1];
        std::io::Read::read_exact(&mut &s, &mut hello).unwrap();
        socket2::SockRef::from(&s)
            .set_linger(Some(std::time::Duration::ZERO))
            .unwrap();
        drop(s); // linger 0: a reset, not a FIN
    });
    run(async {
        let mut w = StreamWriter::new(TcpStream::connect(addr).await.unwrap());
        w.write(b"!");
        w.drain().await.unwrap();
        peer.join().unwrap();
        let chunk = vec![1u8; 128 * 1024];
        let err = loop {
            w.write(&chunk);
            if let Err(e) = w.drain().await {
                break e;
            }
            loop_core::sleep(std::time::Duration::from_millis(1)).await;
        };
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "{err}"
        );
    });
}
