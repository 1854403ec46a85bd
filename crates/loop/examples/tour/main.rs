//! A tour of evloop: each capability as it lands, in a few lines each. Exits 0.
//!
//! Run it with `cargo run --release -p evloop --example tour`.
//!
//! Sections 1-9 (the loop itself) are below; each later crate's section lives in its own module
//! beside this file and is called from `main` in order.

mod net;
mod process;
mod taskgraph;
mod tls;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::{Async, EventLoop, TaskBuilder, TaskGroup};
use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};

fn main() -> io::Result<()> {
    let lp = EventLoop::new()?;

    // 1. Callbacks: call_soon runs in FIFO order, call_later after a delay; stop ends run_forever.
    let log = Rc::new(RefCell::new(Vec::new()));
    for word in ["callbacks", "run", "in", "order"] {
        let log = log.clone();
        lp.call_soon(move || log.borrow_mut().push(word)).unwrap();
    }
    let stopper = lp.clone();
    lp.call_later(Duration::from_millis(5), move || stopper.stop())
        .unwrap();
    lp.run_forever().unwrap();
    println!("1. call_soon / call_later: {}", log.borrow().join(" "));

    let summary = lp.block_on(async {
        // 2. Tasks: spawn, await, cancel by dropping, names and ids.
        let squares: Vec<_> = (1..=4u64)
            .map(|i| evloop::spawn(async move { i * i }))
            .collect();
        let mut sum = 0;
        for task in squares {
            sum += task.await.unwrap();
        }
        let named = TaskBuilder::new()
            .name("greeter")
            .spawn_local(&lp, async { evloop::current_task().unwrap().to_string() });
        let forever = evloop::spawn(evloop::sleep(Duration::from_secs(3600)));
        let cancelled = forever.cancel().await.unwrap_err().is_cancelled();
        println!(
            "2. tasks: sum of squares {sum}, current_task() = {:?}, cancelled = {cancelled}",
            named.await.unwrap()
        );

        // 3. Timers: sleep, and an interval stream.
        let start = Instant::now();
        evloop::sleep(Duration::from_millis(2)).await;
        let ticks = evloop::Timer::interval(Duration::from_millis(1))
            .take(3)
            .count()
            .await;
        println!(
            "3. timers: slept and ticked {ticks} times in {:?}",
            start.elapsed()
        );

        // 4. I/O: a TCP echo over loopback, readiness-driven.
        let listener = Async::new(TcpListener::bind("127.0.0.1:0")?)?;
        let addr = listener.get_ref().local_addr()?;
        let server = evloop::spawn_local(async move {
            let (conn, _) = listener.read_with(|l| l.accept()).await?;
            let conn = Async::new(conn)?;
            let mut buf = [0u8; 5];
            (&conn).read_exact(&mut buf).await?;
            (&conn).write_all(&buf).await?;
            io::Result::Ok(())
        });
        let client = Async::new(TcpStream::connect(addr)?)?;
        (&client).write_all(b"hello").await?;
        let mut reply = [0u8; 5];
        (&client).read_exact(&mut reply).await?;
        server.await.unwrap()?;
        println!(
            "4. tcp echo on {addr}: {:?}",
            String::from_utf8_lossy(&reply)
        );

        // 5. add_reader: asyncio-style readiness callbacks.
        let (a, b) = UnixStream::pair()?;
        b.set_nonblocking(true)?;
        let b = Rc::new(b);
        let got = lp.create_future::<String>();
        let (reader, promise) = (b.clone(), got.clone());
        lp.add_reader(b.clone(), move || {
            let mut buf = [0u8; 32];
            if let Ok(n) = (&*reader).read(&mut buf) {
                let _ = promise.set_result(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        })?;
        (&a).write_all(b"ready to read")?;
        let text = got.await.unwrap();
        lp.remove_reader(std::os::fd::AsRawFd::as_raw_fd(&*b));
        println!("5. add_reader callback read {text:?}");

        // 6. Other threads: a promise set from a thread, a task spawned from a thread.
        let promise = lp.create_future::<u32>();
        let (setter, handle) = (promise.clone(), lp.handle());
        let remote = std::thread::spawn(move || {
            setter.set_result(7).unwrap();
            handle.spawn(async { "spawned from another thread" })
        })
        .join()
        .unwrap();
        println!(
            "6. threads: promise = {}, {}",
            promise.await.unwrap(),
            remote.await.unwrap()
        );

        // 7. Blocking work on the thread pool.
        let fib = evloop::unblock(|| (0..30u64).fold((0u64, 1u64), |(a, b), _| (b, a + b)).0).await;
        println!("7. unblock: fib(30) = {fib} computed off the loop thread");

        // 8. A panicking task does not take the loop down; its awaiter gets the error.
        //    (The default panic hook would print a backtrace; this demo mutes it.)
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let err = evloop::spawn(async { panic!("on purpose") })
            .await
            .unwrap_err();
        std::panic::set_hook(hook);
        println!("8. panics: {err}; loop still running: {}", lp.is_running());

        // 9. Structured concurrency: a TaskGroup waits for its children; the first failure
        //    cancels the rest. A timeout bounds any future.
        let group = TaskGroup::new();
        for (name, ms) in [("fetch", 3u64), ("parse", 1), ("store", 2)] {
            group
                .spawn(async move {
                    evloop::sleep(Duration::from_millis(ms)).await;
                    Ok::<_, String>(name)
                })
                .unwrap();
        }
        let done = evloop::timeout(Duration::from_secs(5), group.join()).await;
        let failing = TaskGroup::<(), _>::new();
        failing
            .spawn(async { Err("bad record".to_owned()) })
            .unwrap();
        failing.spawn(std::future::pending()).unwrap();
        let failed = failing.join().await.unwrap_err();
        let late = evloop::timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
        println!(
            "9. task group: {:?}; a failing group: {failed}; a timeout: {}",
            done.unwrap().unwrap(),
            late.unwrap_err()
        );

        io::Result::Ok(format!(
            "{} turns, {} live tasks",
            lp.turns(),
            lp.live_tasks()
        ))
    });
    net::tour(&lp)?;
    tls::section(&lp)?;
    process::tour(&lp)?;
    taskgraph::section()?;
    println!("tour finished: {}", summary.unwrap()?);
    lp.close().unwrap();
    Ok(())
}
