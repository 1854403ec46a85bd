//! Stress: several threads, each running an evloop event loop with many tasks, plus plain threads
//! using the blocking calls, hammer one `Mutex`, one `Semaphore` and one `Queue`. Some waits
//! are cancelled at random by racing them against a few yields. Checked at the end: mutual
//! exclusion, no lost or duplicated items, no lost permits.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use loop_core::{EventLoop, yield_now};
use loop_sync::{Mutex, Queue, Semaphore};

const LOOPS: usize = 3;
const TASKS: usize = 24;
const PLAIN_THREADS: usize = 2;

/// A tiny deterministic generator per task (no extra dependency needed).
struct Rng(u64);

impl Rng {
    fn new(seed: usize) -> Rng {
        Rng(0x9E37_79B9_7F4A_7C15 ^ (seed as u64).wrapping_mul(0x2545_F491_4F6C_DD1D))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Races `fut` against a few yields: `None` means `fut` was dropped (cancelled) unfinished. The
/// yields are polled first half of the time, so that `fut` is sometimes dropped after it was
/// woken but before it could run.
async fn or_cancel<T>(fut: impl Future<Output = T>, rng: &mut Rng) -> Option<T> {
    // 0 to 127 yields: long enough, sometimes, to reach the front of a long line.
    let yields = (1 << rng.below(8)) - 1;
    let cancel = async move {
        for _ in 0..yields {
            yield_now().await;
        }
        None
    };
    let fut = async { Some(fut.await) };
    if rng.below(2) == 0 {
        futures_lite::future::or(fut, cancel).await
    } else {
        futures_lite::future::or(cancel, fut).await
    }
}

/// Runs `make(loop_index, task_index)` as `TASKS` tasks on each of `LOOPS` event-loop threads,
/// and `plain(thread_index)` on `PLAIN_THREADS` plain threads, and fails instead of hanging if
/// everything has not finished within a minute.
fn hammer<F, Fut>(make: F, plain: impl Fn(usize) + Send + Sync + 'static)
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let make = Arc::new(make);
    let plain = Arc::new(plain);
    let (done_tx, done_rx) = mpsc::channel();
    let mut threads = Vec::new();
    for l in 0..LOOPS {
        let (make, done) = (make.clone(), done_tx.clone());
        threads.push(std::thread::spawn(move || {
            let lp = EventLoop::new().unwrap();
            lp.block_on(async {
                let tasks: Vec<_> = (0..TASKS).map(|t| lp.spawn_local(make(l, t))).collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
            .unwrap();
            done.send(()).unwrap();
        }));
    }
    for p in 0..PLAIN_THREADS {
        let (plain, done) = (plain.clone(), done_tx.clone());
        threads.push(std::thread::spawn(move || {
            plain(p);
            done.send(()).unwrap();
        }));
    }
    for _ in 0..LOOPS + PLAIN_THREADS {
        done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the stress test hung: a wake-up, a permit or an item was lost");
    }
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn mutex_mutual_exclusion_with_cancelled_waiters() {
    const ROUNDS: usize = 300;
    let lock = Arc::new(Mutex::new(0usize));
    let inside = Arc::new(AtomicBool::new(false));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let increments = Arc::new(AtomicUsize::new(0));

    let (l, i, o, n) = (
        lock.clone(),
        inside.clone(),
        overlaps.clone(),
        increments.clone(),
    );
    let (pl, pi, po, pn) = (
        lock.clone(),
        inside.clone(),
        overlaps.clone(),
        increments.clone(),
    );
    hammer(
        move |loop_index, task| {
            let (lock, inside, overlaps, increments) = (l.clone(), i.clone(), o.clone(), n.clone());
            async move {
                let mut rng = Rng::new(loop_index * 1000 + task);
                for _ in 0..ROUNDS {
                    let guard = if rng.below(3) == 0 {
                        match or_cancel(lock.lock(), &mut rng).await {
                            Some(g) => g,
                            None => continue,
                        }
                    } else {
                        lock.lock().await
                    };
                    if inside.swap(true, Ordering::SeqCst) {
                        overlaps.fetch_add(1, Ordering::SeqCst);
                    }
                    let mut guard = guard;
                    let before = *guard;
                    if rng.below(4) == 0 {
                        yield_now().await;
                    }
                    *guard = before + 1;
                    increments.fetch_add(1, Ordering::SeqCst);
                    inside.store(false, Ordering::SeqCst);
                }
            }
        },
        move |_| {
            for _ in 0..2000 {
                let mut guard = pl.lock_blocking();
                if pi.swap(true, Ordering::SeqCst) {
                    po.fetch_add(1, Ordering::SeqCst);
                }
                *guard += 1;
                pn.fetch_add(1, Ordering::SeqCst);
                pi.store(false, Ordering::SeqCst);
            }
        },
    );
    assert_eq!(overlaps.load(Ordering::SeqCst), 0, "two owners at once");
    assert_eq!(*lock.lock_blocking(), increments.load(Ordering::SeqCst));
    assert!(!lock.is_locked());
    assert!(lock.try_lock().is_some(), "no waiter is left behind");
}

#[test]
fn semaphore_never_overcommits_and_loses_no_permit() {
    const PERMITS: usize = 5;
    const ROUNDS: usize = 300;
    let sem = Arc::new(Semaphore::new(PERMITS));
    let in_use = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));

    let (s, u, p) = (sem.clone(), in_use.clone(), peak.clone());
    let (ps, pu, pp) = (sem.clone(), in_use.clone(), peak.clone());
    hammer(
        move |loop_index, task| {
            let (sem, in_use, peak) = (s.clone(), u.clone(), p.clone());
            async move {
                let mut rng = Rng::new(7 + loop_index * 1000 + task);
                for _ in 0..ROUNDS {
                    let n = 1 + rng.below(3) as usize;
                    let permit = if rng.below(3) == 0 {
                        match or_cancel(sem.acquire_many(n), &mut rng).await {
                            Some(p) => p,
                            None => continue,
                        }
                    } else {
                        sem.acquire_many(n).await
                    };
                    let now = in_use.fetch_add(n, Ordering::SeqCst) + n;
                    peak.fetch_max(now, Ordering::SeqCst);
                    if rng.below(2) == 0 {
                        yield_now().await;
                    }
                    in_use.fetch_sub(n, Ordering::SeqCst);
                    drop(permit);
                }
            }
        },
        move |t| {
            for _ in 0..1500 {
                let n = 1 + t % 2;
                let permit = futures_lite::future::block_on(ps.acquire_many(n));
                let now = pu.fetch_add(n, Ordering::SeqCst) + n;
                pp.fetch_max(now, Ordering::SeqCst);
                pu.fetch_sub(n, Ordering::SeqCst);
                drop(permit);
            }
        },
    );
    assert!(
        peak.load(Ordering::SeqCst) <= PERMITS,
        "more permits in use than exist"
    );
    assert_eq!(sem.available_permits(), PERMITS, "a permit was lost");
    assert!(!sem.is_locked());
    assert!(
        sem.try_acquire_many(PERMITS).is_some(),
        "no waiter is left behind"
    );
}

#[test]
fn queue_loses_and_duplicates_no_item() {
    const PER_PRODUCER: usize = 300;
    let queue = Arc::new(Queue::new(8));
    // One slot per possible item id (only the even tasks produce): how often it was sent and
    // received.
    let ids = LOOPS * TASKS * PER_PRODUCER + PLAIN_THREADS * PER_PRODUCER;
    let cancelled = Arc::new(AtomicUsize::new(0));
    let sent: Arc<Vec<AtomicUsize>> = Arc::new((0..ids).map(|_| AtomicUsize::new(0)).collect());
    let received: Arc<Vec<AtomicUsize>> = Arc::new((0..ids).map(|_| AtomicUsize::new(0)).collect());
    let producers_left = Arc::new(AtomicUsize::new(LOOPS * TASKS / 2 + PLAIN_THREADS));

    let (q, s, r, left) = (
        queue.clone(),
        sent.clone(),
        received.clone(),
        producers_left.clone(),
    );
    let c = cancelled.clone();
    let (pq, ps, pr, pleft) = (
        queue.clone(),
        sent.clone(),
        received.clone(),
        producers_left.clone(),
    );
    hammer(
        move |loop_index, task| {
            let (queue, sent, received, left) = (q.clone(), s.clone(), r.clone(), left.clone());
            let cancelled = c.clone();
            async move {
                let mut rng = Rng::new(99 + loop_index * 1000 + task);
                if task % 2 == 0 {
                    // Producer: unique ids; a cancelled put sends nothing.
                    let base = (loop_index * TASKS + task) * PER_PRODUCER;
                    for id in base..base + PER_PRODUCER {
                        // The queue shuts down only after every producer is done, so a put
                        // that is not cancelled always succeeds.
                        let ok = if rng.below(3) == 0 {
                            or_cancel(queue.put(id), &mut rng).await.is_some()
                        } else {
                            queue.put(id).await.is_ok()
                        };
                        if ok {
                            sent[id].fetch_add(1, Ordering::SeqCst);
                        } else {
                            cancelled.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    if left.fetch_sub(1, Ordering::SeqCst) == 1 {
                        queue.shutdown(false);
                    }
                } else {
                    // Consumer: a cancelled get takes nothing.
                    loop {
                        let got = if rng.below(3) == 0 {
                            match or_cancel(queue.get(), &mut rng).await {
                                Some(got) => got,
                                None => continue,
                            }
                        } else {
                            queue.get().await
                        };
                        match got {
                            Ok(id) => {
                                received[id].fetch_add(1, Ordering::SeqCst);
                                queue.task_done().unwrap();
                            }
                            Err(_) => break,
                        }
                    }
                }
            }
        },
        move |t| {
            if t == 0 {
                let base = LOOPS * TASKS * PER_PRODUCER;
                for id in base..base + 2 * PER_PRODUCER {
                    pq.put_blocking(id).unwrap();
                    ps[id].fetch_add(1, Ordering::SeqCst);
                }
                // This thread stands for both plain producers.
                if pleft.fetch_sub(PLAIN_THREADS, Ordering::SeqCst) == PLAIN_THREADS {
                    pq.shutdown(false);
                }
            } else {
                while let Ok(id) = pq.get_blocking() {
                    pr[id].fetch_add(1, Ordering::SeqCst);
                    pq.task_done().unwrap();
                }
            }
        },
    );
    futures_lite::future::block_on(queue.join());
    let mut total = 0;
    for id in 0..ids {
        let (s, r) = (
            sent[id].load(Ordering::SeqCst),
            received[id].load(Ordering::SeqCst),
        );
        assert!(s <= 1, "item {id} was sent twice");
        assert_eq!(r, s, "item {id}: sent {s} times, received {r} times");
        total += s;
    }
    let attempted = LOOPS * TASKS / 2 * PER_PRODUCER + PLAIN_THREADS * PER_PRODUCER;
    assert_eq!(total + cancelled.load(Ordering::SeqCst), attempted);
    assert!(queue.is_empty());
    assert_eq!(queue.unfinished_tasks(), 0);
}
