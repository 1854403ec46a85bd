//! `add_reader` / `add_writer` callbacks: level-triggered readiness callbacks on raw sockets
//! (asyncio spec §2.1 L15).

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use loop_core::EventLoop;

mod common;

use common::watchdog;

fn nonblocking_pair() -> (UnixStream, Rc<UnixStream>) {
    let (peer, ours) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    (peer, Rc::new(ours))
}

/// L15: the peer sends "abc", then "def", then closes. The callback reads without blocking,
/// tolerates spurious wake-ups, collects "abcdef" in order, sees EOF and stops the loop.
/// `remove_reader` returns true, then false.
#[test]
fn l15_reader_callback_collects_bytes_in_order_until_eof() {
    let lp = EventLoop::new().unwrap();
    let (peer, sock) = nonblocking_pair();
    let data = Rc::new(RefCell::new(Vec::new()));
    let eof = Rc::new(Cell::new(false));
    let calls = Rc::new(Cell::new(0));
    let (progress_tx, progress_rx) = mpsc::channel::<usize>();

    let (reader, sink, seen_eof, count, stopper) = (
        sock.clone(),
        data.clone(),
        eof.clone(),
        calls.clone(),
        (*lp).clone(),
    );
    lp.add_reader(sock.clone(), move || {
        count.set(count.get() + 1);
        // One small read per call, as asyncio's test does: level triggering brings us back
        // while bytes remain.
        let mut buf = [0u8; 2];
        match (&*reader).read(&mut buf) {
            Ok(0) => {
                seen_eof.set(true);
                stopper.stop();
            }
            Ok(n) => {
                sink.borrow_mut().extend_from_slice(&buf[..n]);
                progress_tx.send(sink.borrow().len()).unwrap();
            }
            // Spurious wake-ups are tolerated.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => panic!("read failed: {e}"),
        }
    })
    .unwrap();

    // The peer sends the second chunk only after the loop has read the first.
    let writer = thread::spawn(move || {
        let wait_for = |total: usize| loop {
            match progress_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(n) if n >= total => return,
                Ok(_) => continue,
                Err(e) => panic!("the reader stalled before {total} bytes: {e}"),
            }
        };
        (&peer).write_all(b"abc").unwrap();
        wait_for(3);
        (&peer).write_all(b"def").unwrap();
        wait_for(6);
        drop(peer);
    });

    let (guard, timed_out) = watchdog(&lp, Duration::from_secs(20));
    lp.run_forever().unwrap();
    guard.cancel();
    writer.join().unwrap();

    assert!(!timed_out.get(), "the reader never saw EOF");
    assert_eq!(&*data.borrow(), b"abcdef");
    assert!(eof.get());
    assert!(
        calls.get() >= 4,
        "6 bytes in reads of at most 2, then EOF: at least 4 calls, got {}",
        calls.get()
    );

    let fd = sock.as_raw_fd();
    assert!(lp.remove_reader(fd));
    assert!(!lp.remove_reader(fd));
    assert_eq!(
        Rc::strong_count(&sock),
        1,
        "remove_reader releases the source the loop kept alive"
    );
}

/// After `remove_reader`, the callback is not called again even though data is waiting.
#[test]
fn removed_reader_is_not_called() {
    let lp = EventLoop::new().unwrap();
    let (peer, sock) = nonblocking_pair();
    let calls = Rc::new(Cell::new(0));
    let count = calls.clone();
    lp.add_reader(sock.clone(), move || count.set(count.get() + 1))
        .unwrap();
    (&peer).write_all(b"waiting").unwrap();
    assert!(lp.remove_reader(sock.as_raw_fd()));
    lp.block_on(async {
        for _ in 0..5 {
            loop_core::yield_now().await;
        }
        loop_core::sleep(Duration::from_millis(20)).await;
    })
    .unwrap();
    assert_eq!(calls.get(), 0);
}

/// Level-triggered: unread data makes the callback run again on the next turns.
#[test]
fn reader_is_level_triggered() {
    let lp = EventLoop::new().unwrap();
    let (peer, sock) = nonblocking_pair();
    let calls = Rc::new(Cell::new(0));
    let (count, stopper) = (calls.clone(), (*lp).clone());
    lp.add_reader(sock.clone(), move || {
        count.set(count.get() + 1);
        if count.get() == 3 {
            stopper.stop();
        }
    })
    .unwrap();
    (&peer).write_all(b"x").unwrap();
    let (guard, timed_out) = watchdog(&lp, Duration::from_secs(10));
    lp.run_forever().unwrap();
    guard.cancel();
    assert!(
        !timed_out.get(),
        "the unread byte did not keep the reader firing"
    );
    assert_eq!(calls.get(), 3);
    assert!(lp.remove_reader(sock.as_raw_fd()));
}

/// A fresh socket is writable at once; `remove_writer` returns true, then false.
#[test]
fn add_writer_fires_on_a_fresh_socket() {
    let lp = EventLoop::new().unwrap();
    let (_peer, sock) = nonblocking_pair();
    let calls = Rc::new(Cell::new(0));
    let (count, stopper) = (calls.clone(), (*lp).clone());
    lp.add_writer(sock.clone(), move || {
        count.set(count.get() + 1);
        stopper.stop();
    })
    .unwrap();
    let (guard, timed_out) = watchdog(&lp, Duration::from_secs(10));
    lp.run_forever().unwrap();
    guard.cancel();
    assert!(!timed_out.get());
    assert!(calls.get() >= 1);
    let fd = sock.as_raw_fd();
    assert!(lp.remove_writer(fd));
    assert!(!lp.remove_writer(fd));
    assert!(!lp.remove_reader(fd), "no reader was registered on it");
    assert_eq!(Rc::strong_count(&sock), 1);
}

/// Adding a reader again for the same fd replaces the callback: the old one is dropped at
/// once and only the new one runs; one removal clears it.
#[test]
fn re_adding_a_reader_replaces_the_callback() {
    struct Dropped(Rc<Cell<bool>>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    let lp = EventLoop::new().unwrap();
    let (peer, sock) = nonblocking_pair();
    let old_calls = Rc::new(Cell::new(0));
    let old_dropped = Rc::new(Cell::new(false));
    let (count, guard) = (old_calls.clone(), Dropped(old_dropped.clone()));
    lp.add_reader(sock.clone(), move || {
        let _keep = &guard;
        count.set(count.get() + 1);
    })
    .unwrap();

    let new_data = Rc::new(RefCell::new(Vec::new()));
    let (reader, sink, stopper) = (sock.clone(), new_data.clone(), (*lp).clone());
    lp.add_reader(sock.clone(), move || {
        let mut buf = [0u8; 16];
        if let Ok(n) = (&*reader).read(&mut buf) {
            sink.borrow_mut().extend_from_slice(&buf[..n]);
            stopper.stop();
        }
    })
    .unwrap();
    assert!(old_dropped.get(), "the replaced callback is dropped");

    (&peer).write_all(b"new").unwrap();
    let (timer, timed_out) = watchdog(&lp, Duration::from_secs(10));
    lp.run_forever().unwrap();
    timer.cancel();
    assert!(!timed_out.get());
    assert_eq!(old_calls.get(), 0, "only the new callback runs");
    assert_eq!(&*new_data.borrow(), b"new");

    let fd = sock.as_raw_fd();
    assert!(lp.remove_reader(fd));
    assert!(!lp.remove_reader(fd), "one registration, not two");
    assert_eq!(Rc::strong_count(&sock), 1);
}

/// A reader and a writer on one fd are independent: removing the writer keeps the reader.
#[test]
fn reader_and_writer_on_one_fd_are_independent() {
    let lp = EventLoop::new().unwrap();
    let (peer, sock) = nonblocking_pair();
    let writes = Rc::new(Cell::new(0));
    let count = writes.clone();
    lp.add_writer(sock.clone(), move || count.set(count.get() + 1))
        .unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let (reader, sink, stopper) = (sock.clone(), got.clone(), (*lp).clone());
    lp.add_reader(sock.clone(), move || {
        let mut buf = [0u8; 16];
        if let Ok(n) = (&*reader).read(&mut buf) {
            sink.borrow_mut().extend_from_slice(&buf[..n]);
            stopper.stop();
        }
    })
    .unwrap();
    assert!(lp.remove_writer(sock.as_raw_fd()));
    let writes_before = writes.get();

    (&peer).write_all(b"ping").unwrap();
    let (timer, timed_out) = watchdog(&lp, Duration::from_secs(10));
    lp.run_forever().unwrap();
    timer.cancel();
    assert!(
        !timed_out.get(),
        "the reader stopped working when the writer was removed"
    );
    assert_eq!(&*got.borrow(), b"ping");
    assert_eq!(
        writes.get(),
        writes_before,
        "the removed writer did not run"
    );
    assert!(lp.remove_reader(sock.as_raw_fd()));
    assert!(!lp.remove_writer(sock.as_raw_fd()));
}

/// Closing the loop releases the sources it kept open for its callbacks.
#[test]
fn close_releases_callback_sources() {
    let lp = EventLoop::new().unwrap();
    let (_peer, sock) = nonblocking_pair();
    lp.add_reader(sock.clone(), || ()).unwrap();
    lp.add_writer(sock.clone(), || ()).unwrap();
    assert!(Rc::strong_count(&sock) > 1);
    lp.close().unwrap();
    assert_eq!(Rc::strong_count(&sock), 1);
}
