//! `Async<T>`: readiness-driven I/O on Unix sockets and TCP.
//!
//! Includes the analogue of asyncio's L16 (a read pending in a cancelled task ends promptly
//! and the fd is released), fd reuse after deregistration, misuse off the loop, and a large
//! transfer that depends on edge-triggered readiness being cleared by `WouldBlock`.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_core::{Async, EventLoop, sleep, yield_now};

mod common;

use common::{DropFlag, turns_until};

/// Lets the loop run several turns, including at least one that blocks in the poller.
async fn settle() {
    for _ in 0..3 {
        yield_now().await;
    }
    sleep(Duration::from_millis(20)).await;
    for _ in 0..3 {
        yield_now().await;
    }
}

#[test]
fn echo_1000_round_trips_of_64_bytes_between_two_tasks() {
    const ROUNDS: usize = 1000;
    let lp = EventLoop::new().unwrap();
    let (count, server_count) = lp
        .block_on(async {
            let (a, b) = UnixStream::pair()?;
            let (mut client, mut server) = (Async::new(a)?, Async::new(b)?);
            let echo = lp.spawn(async move {
                let mut buf = [0u8; 64];
                let mut n = 0usize;
                loop {
                    match server.read_exact(&mut buf).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                        Err(e) => return Err(e),
                    }
                    server.write_all(&buf).await?;
                    n += 1;
                }
                io::Result::Ok(n)
            });
            let talker = lp.spawn(async move {
                let mut back = [0u8; 64];
                for round in 0..ROUNDS {
                    let msg: Vec<u8> = (0..64).map(|i| (round * 7 + i) as u8).collect();
                    client.write_all(&msg).await?;
                    client.read_exact(&mut back).await?;
                    assert_eq!(&back[..], &msg[..], "round {round} came back wrong");
                }
                drop(client); // EOF for the echo task
                io::Result::Ok(ROUNDS)
            });
            let count = talker.await.unwrap()?;
            let server_count = echo.await.unwrap()?;
            io::Result::Ok((count, server_count))
        })
        .unwrap()
        .unwrap();
    assert_eq!(count, ROUNDS);
    assert_eq!(server_count, ROUNDS);
}

#[test]
fn read_with_waits_for_data_and_write_with_writes() {
    let lp = EventLoop::new().unwrap();
    let got = lp
        .block_on(async {
            let (a, b) = UnixStream::pair()?;
            let a = Async::new(a)?;
            let b = Rc::new(Async::new(b)?);
            let done = Rc::new(Cell::new(false));
            let (reader_b, reader_done) = (b.clone(), done.clone());
            let reader = lp.spawn_local(async move {
                let mut buf = [0u8; 32];
                let n = reader_b.read_with(|s| (&*s).read(&mut buf)).await?;
                reader_done.set(true);
                io::Result::Ok(buf[..n].to_vec())
            });
            settle().await;
            assert!(
                !done.get(),
                "read_with returned before any data was written"
            );
            let n = a.write_with(|s| (&*s).write(b"hello")).await?;
            assert_eq!(n, 5);
            let got = reader.await.unwrap()?;
            // read_with tries the operation first: data already there means no waiting.
            a.write_with(|s| (&*s).write(b"!")).await?;
            let mut one = [0u8; 1];
            b.readable().await?;
            let n = b.read_with(|s| (&*s).read(&mut one)).await?;
            assert_eq!(&one[..n], b"!");
            io::Result::Ok(got)
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, b"hello");
}

#[test]
fn readable_and_writable_follow_the_socket() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let (a, b) = UnixStream::pair()?;
        let (a, b) = (Async::new(a)?, Async::new(b)?);
        // A fresh socket is writable.
        a.writable().await?;
        // Nothing sent: not readable.
        settle().await;
        let pending = std::future::poll_fn(|cx| Poll::Ready(b.poll_readable(cx).is_pending()));
        assert!(pending.await, "readable before anything was sent");
        (a.get_ref()).write_all(b"xyz")?;
        b.readable().await?;
        // Readiness is cached until an operation reports WouldBlock.
        let mut buf = [0u8; 8];
        assert_eq!((b.get_ref()).read(&mut buf)?, 3);
        b.readable().await?;
        let err = (b.get_ref()).read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        b.clear_readable()?;
        settle().await;
        let pending = std::future::poll_fn(|cx| Poll::Ready(b.poll_readable(cx).is_pending()));
        assert!(
            pending.await,
            "readable after WouldBlock and clear_readable"
        );
        // New data makes it readable again.
        (a.get_ref()).write_all(b"more")?;
        b.readable().await?;
        assert_eq!((b.get_ref()).read(&mut buf)?, 4);
        io::Result::Ok(())
    })
    .unwrap()
    .unwrap();
}

/// L16: a task blocked reading an `Async` is cancelled: it ends promptly, the fd is released
/// (the peer sees EOF), and new sockets registered afterwards work normally.
#[test]
fn l16_cancelling_a_task_blocked_in_a_read_is_prompt_and_releases_the_fd() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let (a, mut peer) = UnixStream::pair()?;
        let a = Async::new(a)?;
        let dropped = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicBool::new(false));
        let (d, s) = (dropped.clone(), started.clone());
        let reader = lp.spawn(async move {
            let _guard = DropFlag(d);
            let mut a = a;
            let mut buf = [0u8; 16];
            s.store(true, Ordering::SeqCst);
            let r = a.read_exact(&mut buf).await;
            (r.is_ok(), buf)
        });
        assert!(turns_until(|| started.load(Ordering::SeqCst), 10).await);
        settle().await;
        let begin = Instant::now();
        let out = reader.cancel().await;
        assert!(out.unwrap_err().is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
        assert!(
            begin.elapsed() < Duration::from_secs(2),
            "cancel took {:?}",
            begin.elapsed()
        );
        // The Async went with the task: its socket is closed, so the peer reads EOF.
        peer.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut buf = [0u8; 1];
        assert_eq!(
            peer.read(&mut buf)?,
            0,
            "the cancelled task's socket is still open"
        );

        // Register new sockets (likely reusing the old fd number; the dup2 test below forces
        // it) and use them.
        for round in 0..3u8 {
            let (x, y) = UnixStream::pair()?;
            let (mut x, mut y) = (Async::new(x)?, Async::new(y)?);
            x.write_all(&[round; 100]).await?;
            let mut back = [0u8; 100];
            y.read_exact(&mut back).await?;
            assert_eq!(back, [round; 100]);
        }
        io::Result::Ok(())
    })
    .unwrap()
    .unwrap();
}

/// A source that was readable is deregistered; its fd number is then given to a different
/// socket (dup2 onto the same number) and registered again. The new registration must not
/// inherit the old readiness: its reader returns only what the new peer sends.
#[test]
fn a_reused_fd_number_does_not_inherit_stale_readiness() {
    let lp = EventLoop::new().unwrap();
    let got = lp
        .block_on(async {
            let (a, mut a_peer) = UnixStream::pair()?;
            let a = Async::new(a)?;
            a_peer.write_all(b"stale data for A")?;
            a.readable().await?; // the loop has seen A readable; the readiness is cached
            let number = a.get_ref().as_raw_fd();

            // Deregister A but keep its fd number open, then point that number at B.
            let mut a_fd = OwnedFd::from(a.into_inner()?);
            let (b, mut b_peer) = UnixStream::pair()?;
            rustix::io::dup2(&b, &mut a_fd)?;
            drop(b);
            assert_eq!(a_fd.as_raw_fd(), number);
            let b = Rc::new(Async::new(UnixStream::from(a_fd))?);
            assert_eq!(b.get_ref().as_raw_fd(), number);
            drop(a_peer); // A's socket is gone; its peer has nothing more to say

            let done = Rc::new(Cell::new(false));
            let (rb, rd) = (b.clone(), done.clone());
            let reader = lp.spawn_local(async move {
                let mut buf = [0u8; 64];
                let n = rb.read_with(|s| (&*s).read(&mut buf)).await?;
                rd.set(true);
                io::Result::Ok(buf[..n].to_vec())
            });
            settle().await;
            assert!(
                !done.get(),
                "B's reader returned before B's peer wrote anything"
            );
            b_peer.write_all(b"fresh data for B")?;
            let got = reader.await.unwrap()?;
            io::Result::Ok(got)
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, b"fresh data for B");
}

/// Dropping an `Async` and registering new sockets many times, with pending readiness on the
/// dropped ones: every new reader gets exactly its own peer's bytes.
#[test]
fn drop_and_reregister_many_times_never_cross_wires() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        for round in 0..50u8 {
            let (old, mut old_peer) = UnixStream::pair()?;
            let old = Async::new(old)?;
            old_peer.write_all(b"old")?;
            if round % 2 == 0 {
                old.readable().await?;
            }
            drop(old);
            drop(old_peer);
            let (new, mut new_peer) = UnixStream::pair()?;
            let new = Async::new(new)?;
            let reader = async {
                let mut buf = [0u8; 8];
                let n = new.read_with(|s| (&*s).read(&mut buf)).await?;
                io::Result::Ok(buf[..n].to_vec())
            };
            let writer = async {
                yield_now().await;
                new_peer.write_all(&[round])?;
                io::Result::Ok(())
            };
            let (got, _) = futures_lite::future::zip(reader, writer).await;
            assert_eq!(got?, [round], "round {round}");
        }
        io::Result::Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn async_new_outside_a_running_loop_is_an_error() {
    let (a, _b) = UnixStream::pair().unwrap();
    let err = Async::new(a).unwrap_err();
    assert!(!err.to_string().is_empty());
    // Also with a loop that exists but is not running.
    let _lp = EventLoop::new().unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    assert!(Async::new(a).is_err());
}

/// An `Async` used off its loop (loop not running, or another loop running) gives an error,
/// not a panic, and works again on its own loop afterwards.
#[test]
fn using_an_async_while_its_loop_is_not_running_is_an_error() {
    let lp = EventLoop::new().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let a = Async::with_loop(&lp, a).unwrap();
    let mut b = Async::with_loop(&lp, b).unwrap();

    use futures_lite::future::block_on;
    assert!(block_on(b.readable()).is_err(), "readable off the loop");
    assert!(b.clear_readable().is_err(), "clear_readable off the loop");
    let mut buf = [0u8; 4];
    assert!(
        block_on(b.read_with(|s| (&*s).read(&mut buf))).is_err(),
        "read_with off the loop"
    );
    assert!(
        block_on(b.read(&mut buf)).is_err(),
        "AsyncRead off the loop"
    );

    let other = EventLoop::new().unwrap();
    let on_other = other.block_on(async { b.readable().await }).unwrap();
    assert!(on_other.is_err(), "readable on another loop");

    // Back on its own loop, the same objects work.
    let got = lp
        .block_on(async {
            (&a).write_all(b"ok").await?;
            let mut buf = [0u8; 2];
            b.read_exact(&mut buf).await?;
            io::Result::Ok(buf)
        })
        .unwrap()
        .unwrap();
    assert_eq!(&got, b"ok");
}

fn pattern_byte(i: usize) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

fn fnv1a(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x100_0000_01b3);
    }
}

/// 8 MiB through a socket pair, a writer task and a reader task: arrives intact.
#[test]
fn an_8_mib_transfer_arrives_intact() {
    const TOTAL: usize = 8 << 20;
    let lp = EventLoop::new().unwrap();
    let (expected_hash, got_len, got_hash) = lp
        .block_on(async {
            let (a, b) = UnixStream::pair()?;
            let (mut tx, mut rx) = (Async::new(a)?, Async::new(b)?);
            let writer = lp.spawn(async move {
                let mut hash = 0xcbf2_9ce4_8422_2325u64;
                let mut sent = 0;
                let mut chunk = vec![0u8; 61_440 + 17];
                while sent < TOTAL {
                    let n = chunk.len().min(TOTAL - sent);
                    for (i, byte) in chunk[..n].iter_mut().enumerate() {
                        *byte = pattern_byte(sent + i);
                    }
                    tx.write_all(&chunk[..n]).await?;
                    fnv1a(&mut hash, &chunk[..n]);
                    sent += n;
                }
                tx.close().await?;
                drop(tx);
                io::Result::Ok(hash)
            });
            let reader = lp.spawn(async move {
                let mut hash = 0xcbf2_9ce4_8422_2325u64;
                let mut len = 0usize;
                let mut buf = vec![0u8; 32 * 1024 + 3];
                loop {
                    let n = rx.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    fnv1a(&mut hash, &buf[..n]);
                    len += n;
                }
                io::Result::Ok((len, hash))
            });
            let expected = writer.await.unwrap()?;
            let (len, hash) = reader.await.unwrap()?;
            io::Result::Ok((expected, len, hash))
        })
        .unwrap()
        .unwrap();
    assert_eq!(got_len, TOTAL);
    assert_eq!(got_hash, expected_hash, "the data was corrupted in transit");
}

/// TCP on 127.0.0.1: accept through `read_with` on the listener, echo a few messages.
#[test]
fn tcp_echo_on_localhost() {
    let lp = EventLoop::new().unwrap();
    let replies = lp
        .block_on(async {
            let listener = Async::new(TcpListener::bind("127.0.0.1:0")?)?;
            let addr = listener.get_ref().local_addr()?;
            let server = lp.spawn(async move {
                let (stream, _) = listener.read_with(|l| l.accept()).await?;
                let mut stream = Async::new(stream)?;
                let mut buf = [0u8; 1024];
                let mut echoed = 0;
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).await?;
                    echoed += n;
                }
                io::Result::Ok(echoed)
            });
            let mut client = Async::new(TcpStream::connect(addr)?)?;
            let mut replies = Vec::new();
            let mut total = 0;
            for msg in ["hello", "asyncio in rust", &"x".repeat(900)] {
                client.write_all(msg.as_bytes()).await?;
                let mut back = vec![0u8; msg.len()];
                client.read_exact(&mut back).await?;
                total += back.len();
                replies.push(String::from_utf8(back).unwrap());
            }
            client.get_ref().shutdown(std::net::Shutdown::Write)?;
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await?;
            assert!(rest.is_empty());
            assert_eq!(server.await.unwrap()?, total);
            io::Result::Ok(replies)
        })
        .unwrap()
        .unwrap();
    assert_eq!(replies[0], "hello");
    assert_eq!(replies[1], "asyncio in rust");
    assert_eq!(replies[2], "x".repeat(900));
}
