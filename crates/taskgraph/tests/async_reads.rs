//! Async reads on an evloop event loop: awaiting a threaded pool never blocks the loop, and an
//! inline pool runs its chunks inside the loop's polls.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use common::{n, within};
use futures_lite::StreamExt;
use loop_core::EventLoop;
use taskgraph::{Error, Pool};

/// Spawns a task that counts loop turns until `stop` is set: if a read blocked the thread,
/// the count would not move while it waits.
fn ticker(lp: &EventLoop, stop: &Rc<Cell<bool>>) -> Rc<Cell<u64>> {
    let ticks = Rc::new(Cell::new(0));
    let (t, s) = (Rc::clone(&ticks), Rc::clone(stop));
    lp.spawn_local(async move {
        while !s.get() {
            t.set(t.get() + 1);
            loop_core::yield_now().await;
        }
    })
    .detach();
    ticks
}

#[test]
fn read_async_on_a_threaded_pool_leaves_the_loop_running() {
    within(|| {
        let lp = EventLoop::new().unwrap();
        let pool = Pool::new(2);
        // The stage waits for the test to release it, so the read really has to wait.
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let gate = std::sync::Mutex::new(gate_rx);
        let r = pool
            .source(0..10u32)
            .build()
            .map(move |x| {
                if x == 0 {
                    gate.lock().unwrap().recv().unwrap();
                }
                Ok(x * 2)
            })
            .ordered(true)
            .build();
        let stop = Rc::new(Cell::new(false));
        let ticks = ticker(&lp, &stop);
        let t = Rc::clone(&ticks);
        let got = lp
            .block_on(async move {
                let release = async {
                    // Let the loop turn while the read waits, then open the gate.
                    while t.get() < 100 {
                        loop_core::yield_now().await;
                    }
                    gate_tx.send(()).unwrap();
                };
                let (batch, ()) = futures_lite::future::zip(r.read_async(n(10)), release).await;
                stop.set(true);
                batch
            })
            .unwrap()
            .unwrap();
        assert_eq!(got.items, (0..10).map(|x| x * 2).collect::<Vec<_>>());
        assert!(
            ticks.get() >= 100,
            "the loop kept turning while the read waited"
        );
    });
}

#[test]
fn a_reader_stream_on_the_loop_yields_items_then_the_error() {
    for workers in [0, 2] {
        within(move || {
            let lp = EventLoop::new().unwrap();
            let pool = Pool::new(workers);
            let s = pool
                .source(0..5u32)
                .build()
                .map(|x| if x == 3 { Err("three".into()) } else { Ok(x) })
                .name("check")
                .ordered(true)
                .build()
                .into_stream();
            let items: Vec<Result<u32, Error>> = lp.block_on(s.collect()).unwrap();
            assert_eq!(items.len(), 4);
            assert_eq!(
                items[..3]
                    .iter()
                    .map(|r| *r.as_ref().unwrap())
                    .collect::<Vec<_>>(),
                [0, 1, 2]
            );
            assert_eq!(items[3].as_ref().unwrap_err().stage_name(), Some("check"));
        });
    }
}

#[test]
fn an_inline_pool_runs_inside_the_loop_and_lets_other_tasks_run() {
    within(|| {
        let lp = EventLoop::new().unwrap();
        let pool = Pool::inline();
        let r = pool
            .source(0..10_000u32)
            .max_chunk(n(16))
            .build()
            .map(|x| Ok(x + 1))
            .max_chunk(n(16))
            .build();
        let stop = Rc::new(Cell::new(false));
        let ticks = ticker(&lp, &stop);
        let s = Rc::clone(&stop);
        let b = lp
            .block_on(async move {
                let b = r.read_async(n(10_000)).await;
                s.set(true);
                b
            })
            .unwrap()
            .unwrap();
        assert_eq!(b.items.len(), 10_000);
        assert!(ticks.get() > 0, "chunks yield to the loop between them");
    });
}

#[test]
fn a_stream_source_wakes_its_stage_from_the_loop() {
    within(|| {
        let lp = EventLoop::new().unwrap();
        let pool = Pool::new(1);
        // Items arrive from a loop timer; the source waits for its waker meanwhile.
        let (tx, rx) = async_channel_like();
        let r = pool.source_stream(rx).build();
        let got = lp
            .block_on(async move {
                let send = async move {
                    for i in 0..3u8 {
                        loop_core::sleep(Duration::from_millis(2)).await;
                        tx.send(i);
                    }
                    drop(tx);
                };
                let (items, ()) = futures_lite::future::zip(r.read_async(n(10)), send).await;
                items
            })
            .unwrap()
            .unwrap();
        assert_eq!((got.items, got.end), (vec![0, 1, 2], true));
    });
}

/// A minimal unbounded channel whose receiver is a `Stream`, built on std only.
fn async_channel_like() -> (Sender, Receiver) {
    let shared = std::sync::Arc::new(std::sync::Mutex::new(ChanState::default()));
    (Sender(std::sync::Arc::clone(&shared)), Receiver(shared))
}

#[derive(Default)]
struct ChanState {
    items: std::collections::VecDeque<u8>,
    closed: bool,
    waker: Option<std::task::Waker>,
}

struct Sender(std::sync::Arc<std::sync::Mutex<ChanState>>);
struct Receiver(std::sync::Arc<std::sync::Mutex<ChanState>>);

impl Sender {
    fn send(&self, v: u8) {
        let waker = {
            let mut st = self.0.lock().unwrap();
            st.items.push_back(v);
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.0.lock().unwrap();
            st.closed = true;
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl futures_lite::Stream for Receiver {
    type Item = u8;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<u8>> {
        let mut st = self.0.lock().unwrap();
        if let Some(v) = st.items.pop_front() {
            return std::task::Poll::Ready(Some(v));
        }
        if st.closed {
            return std::task::Poll::Ready(None);
        }
        st.waker = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}
