//! `LoopHandle` from other threads: spawning, stopping and waking a loop that is blocked in
//! its poller (asyncio spec §2.1 L2, §2.11 K5).
//!
//! A loop that misses a wake-up would block forever, so the tests that rely on one arm a
//! watchdog: a thread that, if the loop has not finished within 10 s, writes to a socket the
//! loop watches with `add_reader`. That wakes the poller through an ordinary fd event (no
//! timer, no `notify`), and the reader callback records that the watchdog had to step in.

use std::cell::Cell;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use loop_core::{EventLoop, LoopHandle, get_running_loop};

struct Watchdog {
    fired: Rc<Cell<bool>>,
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    fn arm(lp: &EventLoop, after: Duration) -> Watchdog {
        let (poke, watched) = UnixStream::pair().unwrap();
        watched.set_nonblocking(true).unwrap();
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        lp.add_reader(watched, move || {
            flag.set(true);
            get_running_loop().unwrap().stop();
        })
        .unwrap();
        let (done, finished) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(after) {
                let _ = (&poke).write_all(b"!");
            }
            // Keep `poke` open until the loop side is done with it.
            let _ = finished.recv();
        });
        Watchdog {
            fired,
            done: Some(done),
            thread: Some(thread),
        }
    }

    /// Disarms the watchdog; true if it had to wake the loop.
    fn disarm(mut self) -> bool {
        drop(self.done.take());
        self.thread.take().unwrap().join().unwrap();
        self.fired.get()
    }
}

/// Sends on `tx` when the loop starts running `run_forever`.
fn signal_when_running(lp: &EventLoop) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    lp.call_soon(move || tx.send(()).unwrap()).unwrap();
    rx
}

#[test]
fn spawn_from_another_thread_runs_on_the_loop_thread() {
    let lp = EventLoop::new().unwrap();
    let loop_thread = thread::current().id();
    let handle = lp.handle();
    let task = thread::spawn(move || handle.spawn(async { (thread::current().id(), 6 * 7) }))
        .join()
        .unwrap();
    let (ran_on, value) = lp.block_on(task).unwrap().unwrap();
    assert_eq!(value, 42);
    assert_eq!(
        ran_on, loop_thread,
        "a handle's task runs on the loop's thread"
    );
}

/// A thread spawns work through the handle while the loop is blocked in `block_on`, and the
/// loop thread awaits the result.
#[test]
fn spawn_from_another_thread_while_the_loop_waits() {
    let lp = EventLoop::new().unwrap();
    let promise = lp.create_future::<u32>();
    let (handle, result) = (lp.handle(), promise.clone());
    let dog = Watchdog::arm(&lp, Duration::from_secs(10));
    let spawner = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20)); // let the loop block first (not a sync)
        handle
            .spawn(async move {
                loop_core::yield_now().await;
                result.set_result(99).unwrap();
            })
            .detach();
    });
    let got = lp.block_on(promise).unwrap();
    spawner.join().unwrap();
    assert!(!dog.disarm(), "the spawn did not wake the loop");
    assert_eq!(got.unwrap(), 99);
}

/// `stop()` from another thread ends `run_forever` while the loop is blocked in its poller
/// with no timer at all.
#[test]
fn stop_from_another_thread_ends_a_blocked_run_forever() {
    let lp = EventLoop::new().unwrap();
    let running = signal_when_running(&lp);
    let handle = lp.handle();
    let dog = Watchdog::arm(&lp, Duration::from_secs(10));
    let stopper = thread::spawn(move || {
        running.recv().unwrap();
        // Give the loop time to block in its poller; correctness does not depend on it.
        thread::sleep(Duration::from_millis(50));
        handle.stop();
    });
    let before = lp.turns();
    let start = Instant::now();
    lp.run_forever().unwrap();
    let elapsed = start.elapsed();
    stopper.join().unwrap();
    assert!(!dog.disarm(), "stop() did not wake the blocked loop");
    assert!(elapsed >= Duration::from_millis(50));
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let turns = lp.turns() - before;
    assert!(turns <= 10, "the idle loop spun: {turns} turns");
}

/// `call_soon_threadsafe` wakes a loop sleeping in its poller promptly.
#[test]
fn call_soon_threadsafe_wakes_a_sleeping_loop() {
    let lp = EventLoop::new().unwrap();
    let running = signal_when_running(&lp);
    let handle = lp.handle();
    let dog = Watchdog::arm(&lp, Duration::from_secs(10));
    let caller = thread::spawn(move || {
        running.recv().unwrap();
        thread::sleep(Duration::from_millis(50));
        handle
            .call_soon_threadsafe(|| get_running_loop().unwrap().stop())
            .unwrap();
    });
    let start = Instant::now();
    lp.run_forever().unwrap();
    let elapsed = start.elapsed();
    caller.join().unwrap();
    assert!(!dog.disarm(), "call_soon_threadsafe did not wake the loop");
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

/// K5-like: a thread submits a task through the handle and blocks on its result while the
/// loop runs; the task's completion wakes the foreign waiter.
#[test]
fn a_thread_can_wait_for_a_task_it_submitted() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    let dog = Watchdog::arm(&lp, Duration::from_secs(10));
    let client = thread::spawn(move || {
        let task = handle.spawn(async {
            loop_core::sleep(Duration::from_millis(10)).await;
            "from the loop"
        });
        let out = futures_lite::future::block_on(task);
        handle.stop();
        out
    });
    lp.run_forever().unwrap();
    let out = client.join().unwrap();
    assert!(!dog.disarm());
    assert_eq!(out.unwrap(), "from the loop");
}

/// Four threads each spawn 1000 tasks through the handle; every result arrives.
#[test]
fn many_threads_spawn_many_tasks() {
    const THREADS: usize = 4;
    const TASKS: u64 = 1000;
    let lp = EventLoop::new().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(THREADS));
    let mut promises = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..THREADS {
        let promise = lp.create_future::<u64>();
        promises.push(promise.clone());
        let (handle, ran, barrier): (LoopHandle, _, _) =
            (lp.handle(), ran.clone(), barrier.clone());
        threads.push(thread::spawn(move || {
            barrier.wait();
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    let ran = ran.clone();
                    handle.spawn(async move {
                        ran.fetch_add(1, Ordering::Relaxed);
                        i
                    })
                })
                .collect();
            handle
                .spawn(async move {
                    let mut sum = 0;
                    for task in tasks {
                        sum += task.await.unwrap();
                    }
                    promise.set_result(sum).unwrap();
                })
                .detach();
        }));
    }
    let dog = Watchdog::arm(&lp, Duration::from_secs(30));
    let sums = lp
        .block_on(async {
            let mut sums = Vec::new();
            for p in promises {
                sums.push(p.await.unwrap());
            }
            sums
        })
        .unwrap();
    for t in threads {
        t.join().unwrap();
    }
    assert!(!dog.disarm(), "the loop missed a wake-up");
    assert_eq!(sums, vec![TASKS * (TASKS - 1) / 2; THREADS]);
    assert_eq!(ran.load(Ordering::Relaxed), THREADS * TASKS as usize);
    assert_eq!(lp.live_tasks(), 0);
}

/// Callbacks from many threads all run.
#[test]
fn many_threads_call_soon_threadsafe() {
    let lp = EventLoop::new().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let dog = Watchdog::arm(&lp, Duration::from_secs(30));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (handle, count) = (lp.handle(), count.clone());
            thread::spawn(move || {
                for _ in 0..1000 {
                    let count = count.clone();
                    handle
                        .call_soon_threadsafe(move || {
                            if count.fetch_add(1, Ordering::Relaxed) + 1 == 4000 {
                                get_running_loop().unwrap().stop();
                            }
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    lp.run_forever().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    assert!(!dog.disarm());
    assert_eq!(count.load(Ordering::Relaxed), 4000);
}

/// A handle outlives its loop: it then reports the loop closed and refuses work.
#[test]
fn handle_after_the_loop_is_dropped() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    assert!(!handle.is_closed());
    drop(lp);
    assert!(handle.is_closed());
    let worker = thread::spawn(move || {
        let refused = handle
            .call_soon_threadsafe(|| panic!("must not run"))
            .is_err();
        let task = handle.spawn(async { 1 });
        handle.stop(); // harmless
        (refused, futures_lite::future::block_on(task))
    });
    let (refused, task) = worker.join().unwrap();
    assert!(refused);
    assert!(task.is_err_and(|e| e.is_cancelled()));
}
