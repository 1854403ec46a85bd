//! The poller seam, proved from outside loop-core: a user-defined poller that counts every call
//! runs real TCP I/O, and the counts show what each readiness event costs in syscalls.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use evloop::{Async, DefaultPoller, Event, EventLoop, Events, PollMode, Poller};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Default)]
struct Counts {
    add: AtomicUsize,
    modify: AtomicUsize,
    delete: AtomicUsize,
    wait: AtomicUsize,
    notify: AtomicUsize,
}

impl Counts {
    fn get(&self) -> [usize; 5] {
        [
            &self.add,
            &self.modify,
            &self.delete,
            &self.wait,
            &self.notify,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }
}

/// Wraps the default poller, counts calls, and can hide edge/level support so that the loop
/// falls back to oneshot registrations.
#[derive(Debug)]
struct CountingPoller {
    inner: DefaultPoller,
    counts: Arc<Counts>,
    advertise_modes: bool,
}

impl Poller for CountingPoller {
    unsafe fn add(&self, fd: RawFd, interest: Event, mode: PollMode) -> io::Result<()> {
        self.counts.add.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the loop upholds `add`'s contract for us, and we pass it on unchanged.
        unsafe { self.inner.add(fd, interest, mode) }
    }

    fn modify(&self, fd: BorrowedFd<'_>, interest: Event, mode: PollMode) -> io::Result<()> {
        self.counts.modify.fetch_add(1, Ordering::Relaxed);
        self.inner.modify(fd, interest, mode)
    }

    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.counts.delete.fetch_add(1, Ordering::Relaxed);
        self.inner.delete(fd)
    }

    fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        self.counts.wait.fetch_add(1, Ordering::Relaxed);
        self.inner.wait(events, timeout)
    }

    fn notify(&self) -> io::Result<()> {
        self.counts.notify.fetch_add(1, Ordering::Relaxed);
        self.inner.notify()
    }

    fn supports_edge(&self) -> bool {
        self.advertise_modes && self.inner.supports_edge()
    }

    fn supports_level(&self) -> bool {
        self.advertise_modes && self.inner.supports_level()
    }
}

const ROUND_TRIPS: usize = 1000;
const MESSAGE: usize = 64;

/// Echoes `ROUND_TRIPS` 64-byte messages over loopback TCP between two tasks on one loop.
/// Returns the poller counts taken after connecting and after echoing.
fn echo_on(advertise_modes: bool) -> ([usize; 5], [usize; 5]) {
    let counts = Arc::new(Counts::default());
    let poller = CountingPoller {
        inner: DefaultPoller::new().unwrap(),
        counts: counts.clone(),
        advertise_modes,
    };
    let lp = EventLoop::with_poller(poller);
    let (before, after) = lp
        .block_on(async {
            let listener = Async::new(TcpListener::bind("127.0.0.1:0")?)?;
            let addr = listener.get_ref().local_addr()?;
            let client = Async::new(TcpStream::connect(addr)?)?;
            let (server, _) = listener.read_with(|l| l.accept()).await?;
            server.set_nodelay(true)?;
            client.get_ref().set_nodelay(true)?;
            let server = Async::new(server)?;
            let before = counts.get();

            let echo = evloop::spawn_local(async move {
                let mut buf = [0u8; MESSAGE];
                for _ in 0..ROUND_TRIPS {
                    (&server).read_exact(&mut buf).await?;
                    (&server).write_all(&buf).await?;
                }
                io::Result::Ok(())
            });
            let mut buf = [0u8; MESSAGE];
            for i in 0..ROUND_TRIPS {
                let msg = [(i % 251) as u8; MESSAGE];
                (&client).write_all(&msg).await?;
                (&client).read_exact(&mut buf).await?;
                assert_eq!(buf, msg, "round trip {i} came back intact");
            }
            echo.await.unwrap()?;
            io::Result::Ok((before, counts.get()))
        })
        .unwrap()
        .unwrap();
    drop(lp);
    let [add, _, delete, ..] = counts.get();
    assert_eq!(
        add, delete,
        "every registered fd is deleted by the time the loop is gone"
    );
    (before, after)
}

#[test]
fn edge_triggered_sources_never_re_arm() {
    let (before, after) = echo_on(true);
    let [add, modify, _, wait, notify] = before;
    assert_eq!(
        add, 3,
        "listener, client and server are each registered once"
    );
    let modifies = after[1] - modify;
    let waits = after[3] - wait;
    eprintln!(
        "edge mode, {ROUND_TRIPS} round trips: {modifies} modify, {waits} wait, {} notify",
        after[4] - notify
    );
    assert_eq!(
        modifies, 0,
        "edge-triggered registration needs no re-arm per event"
    );
    assert!(
        waits <= 3 * ROUND_TRIPS,
        "at most a few polls per round trip, got {waits}"
    );
    assert_eq!(
        after[4], notify,
        "a single-threaded loop never notifies itself"
    );
}

#[test]
fn oneshot_fallback_works_and_re_arms_only_while_waiting() {
    let (before, after) = echo_on(false);
    let modifies = after[1] - before[1];
    let waits = after[3] - before[3];
    eprintln!("oneshot mode, {ROUND_TRIPS} round trips: {modifies} modify, {waits} wait");
    assert!(modifies > 0, "oneshot registrations are re-armed");
    assert!(
        modifies <= 4 * ROUND_TRIPS,
        "re-arms happen per wait, not per poll: {modifies}"
    );
}
