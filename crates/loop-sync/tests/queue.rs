//! Queues: asyncio's cases (spec §2.6, Q1–Q9) on evloop, the LIFO and priority orders, the
//! stream, and plain threads bridged to async code with the blocking calls.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::StreamExt;
use loop_core::{EventLoop, sleep};
use loop_sync::{LifoQueue, PriorityQueue, Queue, TryGetError};

mod common;

use common::{Probe, step, ticks};

/// `asyncio.wait_for(fut, d)` for these tests: `None` if `d` passed first.
async fn within<T>(d: Duration, fut: impl std::future::Future<Output = T>) -> Option<T> {
    futures_lite::future::or(async { Some(fut.await) }, async {
        sleep(d).await;
        None
    })
    .await
}

#[test]
fn q1_a_putter_blocks_at_maxsize_until_a_get_makes_room_and_order_is_fifo() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::new(2));
        let progress = Rc::new(RefCell::new(Vec::new()));
        let (q2, p) = (q.clone(), progress.clone());
        let putter = lp.spawn_local(async move {
            for i in 0..3 {
                q2.put(i).await.unwrap();
                p.borrow_mut().push(i);
            }
        });
        ticks(3).await;
        assert_eq!(*progress.borrow(), [0, 1]);
        assert!(q.is_full());
        assert_eq!(q.get().await, Ok(0));
        putter.await.unwrap();
        assert_eq!(*progress.borrow(), [0, 1, 2]);
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.get().await, Ok(2));
    })
    .unwrap();
}

#[test]
fn q2_a_cancelled_getter_drops_no_item() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::new(0));
        let q2 = q.clone();
        let reader = lp.spawn_local(async move { q2.get().await });
        ticks(1).await;
        q.try_put(1).unwrap();
        q.try_put(2).unwrap();
        drop(reader);
        let q2 = q.clone();
        let reader = lp.spawn_local(async move { q2.get().await });
        assert_eq!(reader.await.unwrap(), Ok(1), "1 was not dropped");
        assert_eq!(q.len(), 1);
    })
    .unwrap();
}

#[test]
fn q2_a_cancelled_putter_neither_adds_nor_duplicates_its_item() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::new(1));
        q.try_put(1).unwrap();
        let q2 = q.clone();
        let writer = lp.spawn_local(async move { q2.put(2).await });
        ticks(1).await;
        assert_eq!(q.try_get(), Ok(1));
        drop(writer);
        let q2 = q.clone();
        let writer = lp.spawn_local(async move { q2.put(2).await });
        writer.await.unwrap().unwrap();
        assert_eq!(q.try_get(), Ok(2));
        assert_eq!(q.len(), 0);
        assert_eq!(q.unfinished_tasks(), 2);
    })
    .unwrap();
}

#[test]
fn q3_a_timed_out_get_leaves_no_stale_getter() {
    common::run(async {
        let q = Queue::new(0);
        assert_eq!(within(Duration::from_millis(5), q.get()).await, None);
        // A stale getter would swallow the wake-up meant for this one.
        let probe = Probe::new();
        let mut getter = q.get();
        assert!(probe.poll(&mut getter).is_pending());
        q.try_put(1).unwrap();
        assert_eq!(probe.wakes(), 1);
        assert_eq!(step(&mut getter), Some(Ok(1)));
    });
}

#[test]
fn q3_a_timed_out_put_leaves_no_stale_putter() {
    common::run(async {
        let q = Queue::new(1);
        q.try_put(0).unwrap();
        assert_eq!(within(Duration::from_millis(5), q.put(1)).await, None);
        assert_eq!(q.len(), 1);
        let probe = Probe::new();
        let mut putter = q.put(2);
        assert!(probe.poll(&mut putter).is_pending());
        assert_eq!(q.try_get(), Ok(0));
        assert_eq!(probe.wakes(), 1);
        assert_eq!(step(&mut putter), Some(Ok(())));
        assert_eq!(q.try_get(), Ok(2));
    });
}

#[test]
fn q4_try_get_on_empty_and_try_put_on_full_report_why() {
    let q = Queue::new(1);
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
    q.try_put('a').unwrap();
    let err = q.try_put('b').unwrap_err();
    assert!(err.is_full() && !err.is_shut_down());
    assert_eq!(err.to_string(), "the queue is full");
    assert_eq!(err.into_inner(), 'b');
    assert_eq!(q.unfinished_tasks(), 1, "a refused item is not counted");
}

#[test]
fn q5_workers_task_done_and_join_returns_when_all_are_processed() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::new(0));
        q.join().await;
        for i in 1..=100 {
            q.try_put(i).unwrap();
        }
        let sum = Rc::new(RefCell::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (q, sum) = (q.clone(), sum.clone());
                lp.spawn_local(async move {
                    while let Ok(item) = q.get().await {
                        *sum.borrow_mut() += item;
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        q.join().await;
        assert_eq!(*sum.borrow(), 5050);
        assert_eq!(q.unfinished_tasks(), 0);
        assert!(q.task_done().is_err(), "a surplus task_done is an error");
        q.shutdown(false);
        for w in workers {
            w.await.unwrap();
        }
    })
    .unwrap();
}

#[test]
fn q6_lifo_and_priority_orders() {
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    for i in [1, 3, 2] {
        lifo.try_put(i).unwrap();
        prio.try_put(i).unwrap();
    }
    let lifo_out: Vec<_> = (0..3).map(|_| lifo.try_get().unwrap()).collect();
    let prio_out: Vec<_> = (0..3).map(|_| prio.try_get().unwrap()).collect();
    assert_eq!(lifo_out, [2, 3, 1]);
    assert_eq!(prio_out, [1, 2, 3]);
}

#[test]
fn q7_shutdown_of_an_empty_queue_fails_blocked_getters_and_releases_join() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::<u32>::new(0));
        let q2 = q.clone();
        let getter = lp.spawn_local(async move { q2.get().await });
        let q2 = q.clone();
        let joiner = lp.spawn_local(async move { q2.join().await });
        ticks(2).await;
        q.shutdown(false);
        assert!(getter.await.unwrap().is_err());
        joiner.await.unwrap();
        assert!(q.is_shut_down());
        assert!(q.put(1).await.is_err());
        assert!(q.get().await.is_err());
        assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
        assert!(q.try_put(1).unwrap_err().is_shut_down());
    })
    .unwrap();
}

#[test]
fn q8_shutdown_of_a_full_queue_fails_the_putter_but_keeps_the_items() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::new(1));
        q.try_put("kept").unwrap();
        let q2 = q.clone();
        let putter = lp.spawn_local(async move { q2.put("refused").await });
        ticks(2).await;
        q.shutdown(false);
        let err = putter.await.unwrap().unwrap_err();
        assert_eq!(err.into_inner(), "refused");
        assert_eq!(q.get().await, Ok("kept"));
        assert!(q.get().await.is_err());

        let q2 = q.clone();
        let joiner = lp.spawn_local(async move { q2.join().await });
        ticks(2).await;
        assert!(!joiner.is_finished(), "join waits for task_done");
        q.task_done().unwrap();
        joiner.await.unwrap();
    })
    .unwrap();
}

#[test]
fn q9_immediate_shutdown_drops_the_items_and_releases_join() {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        let q = Rc::new(Queue::new(0));
        for i in 0..5 {
            q.try_put(Rc::new(i)).unwrap();
        }
        let taken = q.try_get().unwrap();
        let witness = q.try_get().unwrap();
        q.task_done().unwrap();
        let q2 = q.clone();
        let joiner = lp.spawn_local(async move { q2.join().await });
        ticks(2).await;
        let weak = Rc::downgrade(&witness);
        q.try_put(witness).unwrap();

        q.shutdown(true);
        assert_eq!(q.len(), 0);
        assert!(weak.upgrade().is_none(), "the queued items were dropped");
        assert_eq!(
            q.unfinished_tasks(),
            1,
            "only the item taken and not done is left"
        );
        ticks(2).await;
        assert!(!joiner.is_finished());
        drop(taken);
        q.task_done().unwrap();
        joiner.await.unwrap();
        assert!(q.get().await.is_err());
    })
    .unwrap();
}

#[test]
fn q9_immediate_shutdown_fails_blocked_getters_at_once() {
    let q = Queue::<u8>::new(0);
    let probe = Probe::new();
    let mut getter = q.get();
    assert!(probe.poll(&mut getter).is_pending());
    q.shutdown(true);
    assert_eq!(probe.wakes(), 1);
    assert!(step(&mut getter).unwrap().is_err());
    assert!(
        step(&mut q.join()).is_some(),
        "nothing unfinished: join is ready"
    );
}

#[test]
fn one_put_wakes_one_getter_and_a_dropped_notified_getter_passes_it_on() {
    let q = Queue::new(0);
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut g1 = q.get();
    let mut g2 = q.get();
    assert!(p1.poll(&mut g1).is_pending());
    assert!(p2.poll(&mut g2).is_pending());
    q.try_put(10).unwrap();
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    drop(g1);
    assert_eq!(p2.wakes(), 1);
    assert_eq!(step(&mut g2), Some(Ok(10)));
}

#[test]
fn a_dropped_notified_putter_passes_the_free_slot_on() {
    let q = Queue::new(1);
    q.try_put(0).unwrap();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut w1 = q.put(1);
    let mut w2 = q.put(2);
    assert!(p1.poll(&mut w1).is_pending());
    assert!(p2.poll(&mut w2).is_pending());
    assert_eq!(q.try_get(), Ok(0));
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    assert_eq!(w1.into_inner(), Some(1));
    assert_eq!(p2.wakes(), 1);
    assert_eq!(step(&mut w2), Some(Ok(())));
    assert_eq!(q.try_get(), Ok(2));
}

#[test]
fn the_stream_yields_until_shutdown_and_dropping_it_loses_nothing() {
    let q = Queue::new(0);
    {
        let mut stream = q.stream();
        let mut next = stream.next();
        assert!(step(&mut next).is_none());
    }
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    q.shutdown(false);
    let items: Vec<_> = futures_lite::future::block_on(q.stream().collect());
    assert_eq!(items, [1, 2]);
    assert_eq!(q.unfinished_tasks(), 2);
}

#[test]
fn bounded_lifo_and_priority_queues_block_and_wake_like_the_fifo_one() {
    futures_lite::future::block_on(async {
        let lifo = LifoQueue::new(1);
        lifo.put(1).await.unwrap();
        let mut blocked = lifo.put(2);
        assert!(step(&mut blocked).is_none());
        assert!(lifo.is_full());
        assert_eq!(lifo.get().await, Ok(1));
        blocked.await.unwrap();
        assert_eq!(lifo.get().await, Ok(2));

        let prio = PriorityQueue::new(2);
        prio.put(5).await.unwrap();
        prio.put(4).await.unwrap();
        let mut blocked = prio.put(1);
        assert!(step(&mut blocked).is_none());
        assert_eq!(prio.get().await, Ok(4));
        blocked.await.unwrap();
        assert_eq!(prio.get().await, Ok(1));
        prio.shutdown(true);
        assert!(prio.is_empty());
        assert_eq!(prio.unfinished_tasks(), 2);
    });
}

#[test]
fn a_plain_thread_feeds_an_evloop_task_through_put_blocking() {
    let q = Arc::new(Queue::new(4));
    let producer = {
        let q = q.clone();
        std::thread::spawn(move || {
            for i in 0..200 {
                q.put_blocking(i).unwrap();
            }
            q.shutdown(false);
        })
    };
    let received = common::run(async {
        let mut got = Vec::new();
        while let Ok(i) = q.get().await {
            got.push(i);
        }
        got
    });
    producer.join().unwrap();
    assert_eq!(received, (0..200).collect::<Vec<_>>());
}

#[test]
fn an_evloop_task_feeds_a_plain_thread_through_get_blocking() {
    let q = Arc::new(Queue::new(2));
    let consumer = {
        let q = q.clone();
        std::thread::spawn(move || {
            let mut sum = 0;
            while let Ok(i) = q.get_blocking() {
                sum += i;
            }
            sum
        })
    };
    common::run(async {
        for i in 0..100 {
            q.put(i).await.unwrap();
        }
        q.shutdown(false);
    });
    assert_eq!(consumer.join().unwrap(), 4950);
}

#[test]
fn debug_output() {
    let q = Queue::new(3);
    q.try_put(1).unwrap();
    assert_eq!(
        format!("{q:?}"),
        "Queue { len: 1, maxsize: 3, unfinished_tasks: 1, shut_down: false }"
    );
    assert!(format!("{:?}", PriorityQueue::<u8>::new(0)).starts_with("PriorityQueue {"));
    assert!(format!("{:?}", LifoQueue::<u8>::new(0)).starts_with("LifoQueue {"));
    assert_eq!(format!("{:?}", q.get()), "Get { done: false, .. }");
}
