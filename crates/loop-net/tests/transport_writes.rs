//! Transport writes: direct sends, buffering, vectored writes, and write flow control
//! (asyncio's pause_writing/resume_writing, P2 and the slow-reader case).

mod proto;

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;

use loop_net::{Protocol, Transport, create_server};
use proto::{Ev, Rec, Shared, addr_of, client, on_thread, run, until};

#[test]
fn echo_round_trip_through_a_server() {
    let shared = Shared::new();
    shared.echo.set(true);
    let ((), reports) = run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let got = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"hello transport").unwrap();
            let mut buf = [0; 15];
            s.read_exact(&mut buf).unwrap();
            buf
        })
        .await;
        assert_eq!(&got, b"hello transport");
        until(|| shared.lost()).await;
    });
    assert_eq!(
        shared.shape(),
        [
            Ev::Made,
            Ev::Data(b"hello transport".to_vec()),
            Ev::Eof,
            Ev::Lost(None)
        ]
    );
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn writelines_sends_mixed_buffers_in_order() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let peer = on_thread(move || proto::read_to_end(&mut client(addr)));
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        let owned = vec![b'A'];
        let boxed: Box<[u8]> = Box::new(*b"M");
        t.writelines([b"SP".as_slice(), owned.as_slice(), &boxed]);
        // More buffers than one vectored batch holds.
        let many: Vec<Vec<u8>> = (0..200u8).map(|i| vec![i]).collect();
        t.writelines(&many);
        t.close();
        let got = peer.await;
        assert_eq!(&got[..4], b"SPAM");
        assert_eq!(&got[4..], (0..200u8).collect::<Vec<_>>().as_slice());
    });
}

#[test]
fn a_write_the_socket_takes_whole_is_not_buffered_and_does_not_pause() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let peer = on_thread(move || {
            let mut s = client(addr);
            let mut buf = [0; 3];
            s.read_exact(&mut buf).unwrap();
            buf
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        t.set_write_buffer_limits(Some(1), Some(0)).unwrap();
        t.write(b"abc");
        assert_eq!(t.write_buffer_size(), 0);
        assert_eq!(&peer.await, b"abc");
        t.close();
        until(|| shared.lost()).await;
    });
    assert_eq!(shared.count(&Ev::Pause), 0);
}

#[test]
fn limits_validate_and_default_like_asyncio() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let _peer = client(addr);
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        assert_eq!(t.write_buffer_limits(), (64 * 1024, 16 * 1024));
        let err = t.set_write_buffer_limits(Some(0), Some(1)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        t.set_write_buffer_limits(Some(400), None).unwrap();
        assert_eq!(t.write_buffer_limits(), (400, 100));
        t.set_write_buffer_limits(None, Some(10)).unwrap();
        assert_eq!(t.write_buffer_limits(), (40, 10));
        t.set_write_buffer_limits(None, None).unwrap();
        assert_eq!(t.write_buffer_limits(), (64 * 1024, 16 * 1024));
        t.abort();
        until(|| shared.lost()).await;
    });
}

/// Fills the peer's receive window (the peer does not read) so later writes must queue.
fn fill_until_buffered(t: &Transport) -> usize {
    let chunk = vec![b'x'; 64 * 1024];
    let mut written = 0;
    while t.write_buffer_size() == 0 {
        t.write(&chunk);
        written += chunk.len();
        assert!(written < 1 << 30, "the socket never filled");
    }
    written
}

#[test]
fn pause_once_above_high_and_resume_once_at_low() {
    let shared = Shared::new();
    let (total, _) = run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let peer = on_thread(move || {
            let mut s = client(addr);
            go_rx.recv().unwrap();
            proto::read_to_end(&mut s).len()
        });
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        t.set_write_buffer_limits(Some(4), Some(0)).unwrap();
        let mut total = fill_until_buffered(&t);
        // A socket that refused everything: buffer 3 bytes more than whatever is queued.
        let queued = t.write_buffer_size();
        assert!(queued > 4);
        // Already above high after the fill: paused exactly once so far.
        assert_eq!(shared.count(&Ev::Pause), 1);
        t.write(b"abc");
        total += 3;
        assert_eq!(t.write_buffer_size(), queued + 3);
        assert_eq!(shared.count(&Ev::Pause), 1);
        go_tx.send(()).unwrap();
        until(|| shared.count(&Ev::Resume) == 1).await;
        assert_eq!(t.write_buffer_size(), 0);
        t.close();
        assert_eq!(peer.await, total);
        total
    });
    assert!(total > 0);
    let flow: Vec<Ev> = shared
        .events()
        .into_iter()
        .filter(|e| matches!(e, Ev::Pause | Ev::Resume))
        .collect();
    assert_eq!(flow, [Ev::Pause, Ev::Resume]);
}

#[test]
fn lowering_high_below_the_queue_pauses_at_once() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let _peer = client(addr); // never reads
        until(|| shared.transport.borrow().is_some()).await;
        let t = shared.transport();
        t.set_write_buffer_limits(Some(1 << 30), None).unwrap();
        fill_until_buffered(&t);
        assert_eq!(shared.count(&Ev::Pause), 0);
        t.set_write_buffer_limits(Some(1), Some(0)).unwrap();
        assert_eq!(shared.count(&Ev::Pause), 1);
        t.abort();
        until(|| shared.lost()).await;
    });
}

/// A producer that writes as long as it is not paused, and records what it saw.
struct Producer {
    transport: Option<Transport>,
    paused: bool,
    chunks_left: usize,
    stats: Rc<Stats>,
}

#[derive(Default)]
struct Stats {
    pauses: Cell<usize>,
    peak_buffer: Cell<usize>,
}

const CHUNK: usize = 16 * 1024;

impl Producer {
    fn pump(&mut self) {
        let t = self.transport.clone().unwrap();
        let chunk = [b'p'; CHUNK];
        // Inside a callback pause_writing cannot arrive before the callback returns, so the
        // loop also asks the transport.
        while !self.paused && !t.writing_paused() && self.chunks_left > 0 {
            t.write(&chunk);
            self.chunks_left -= 1;
            let peak = self.stats.peak_buffer.get().max(t.write_buffer_size());
            self.stats.peak_buffer.set(peak);
        }
        if self.chunks_left == 0 {
            t.close();
        }
    }
}

impl Protocol for Producer {
    fn connection_made(&mut self, transport: Transport) {
        self.transport = Some(transport);
        self.pump();
    }
    fn data_received(&mut self, _: &[u8]) {}
    fn pause_writing(&mut self) {
        self.paused = true;
        self.stats.pauses.set(self.stats.pauses.get() + 1);
    }
    fn resume_writing(&mut self) {
        self.paused = false;
        self.pump();
    }
}

#[test]
fn a_slow_reader_engages_pause_writing_and_memory_stays_bounded() {
    const CHUNKS: usize = 2048; // 32 MiB, far more than the socket buffers hold
    let stats = Rc::new(Stats::default());
    let for_factory = stats.clone();
    let (received, _) = run(async {
        let server = create_server(
            move || Producer {
                transport: None,
                paused: false,
                chunks_left: CHUNKS,
                stats: for_factory.clone(),
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = addr_of(&server);
        on_thread(move || {
            let mut s = client(addr);
            let mut buf = [0; 4096];
            let mut total = 0;
            loop {
                // Slow: small reads, with a nap every MiB.
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    return total;
                }
                total += n;
                if total % (1 << 20) < n {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        })
        .await
    });
    assert_eq!(received, CHUNKS * CHUNK);
    assert!(stats.pauses.get() > 0, "the producer was never paused");
    // The queue never holds more than the high-water mark plus the write that crossed it.
    assert!(
        stats.peak_buffer.get() <= 64 * 1024 + CHUNK,
        "peak write buffer {} bytes",
        stats.peak_buffer.get()
    );
}
