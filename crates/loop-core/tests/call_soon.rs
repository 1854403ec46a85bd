//! `call_soon` and `call_soon_threadsafe`: one FIFO for callbacks from any thread, and panics
//! in callbacks routed to the exception handler (asyncio spec §2.1 L1, L2 and §2.11 K9).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread;

use loop_core::{EventLoop, ExceptionContext, get_running_loop};

mod common;

use common::record_reports;

type Log = Arc<Mutex<Vec<&'static str>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn pusher(log: &Log, word: &'static str) -> impl FnOnce() + Send + 'static {
    let log = log.clone();
    move || log.lock().unwrap().push(word)
}

fn stopper(lp: &EventLoop) -> impl FnOnce() + 'static {
    let lp = (**lp).clone();
    move || lp.stop()
}

/// L1: `call_soon(cb, 'hello', 'world')` then `run_forever`, cb calls `stop()`.
#[test]
fn l1_call_soon_runs_the_callback_once_with_its_arguments() {
    let lp = EventLoop::new().unwrap();
    let results = Rc::new(RefCell::new(Vec::new()));
    let (sink, inner) = (results.clone(), (*lp).clone());
    let args = ("hello", "world");
    lp.call_soon(move || {
        sink.borrow_mut().push(args);
        inner.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*results.borrow(), [("hello", "world")]);
}

#[test]
fn callbacks_run_in_fifo_order_and_later_ones_wait_for_the_next_batch() {
    let lp = EventLoop::new().unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    for i in 0..100 {
        let (sink, inner) = (order.clone(), (*lp).clone());
        lp.call_soon(move || {
            sink.borrow_mut().push(i);
            if i == 0 {
                // Queued during the batch: runs after every callback already queued.
                let sink = sink.clone();
                inner
                    .call_soon(move || sink.borrow_mut().push(1000))
                    .unwrap();
            }
        })
        .unwrap();
    }
    let (sink, inner) = (order.clone(), (*lp).clone());
    lp.call_soon(move || {
        // Last of the first batch: stop after the callback queued by callback 0 has run.
        let sink = sink.clone();
        let again = inner.clone();
        inner
            .call_soon(move || {
                sink.borrow_mut().push(2000);
                again.stop();
            })
            .unwrap();
    })
    .unwrap();
    lp.run_forever().unwrap();
    let expected: Vec<i32> = (0..100).chain([1000, 2000]).collect();
    assert_eq!(*order.borrow(), expected);
}

/// L2: a second thread calls `call_soon_threadsafe(cb, 'hello')`; after that the main thread
/// calls `call_soon(cb, 'world')` and runs the loop: `['hello', 'world']`.
#[test]
fn l2_threadsafe_callback_from_another_thread_joins_the_same_fifo() {
    let lp = EventLoop::new().unwrap();
    let words = log();
    let handle = lp.handle();
    let hello = pusher(&words, "hello");
    thread::spawn(move || handle.call_soon_threadsafe(hello).unwrap())
        .join()
        .unwrap();
    lp.call_soon(pusher(&words, "world")).unwrap();
    lp.call_soon(stopper(&lp)).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        *words.lock().unwrap(),
        ["hello", "world"],
        "a callback submitted from another thread before call_soon must run before it"
    );
}

/// L2 while the loop runs: the other thread's submission happens before the loop thread's
/// `call_soon`, so it runs first.
#[test]
fn l2_threadsafe_callback_while_running_keeps_submission_order() {
    let lp = EventLoop::new().unwrap();
    let words = log();
    let (sink, handle) = (words.clone(), lp.handle());
    lp.call_soon(move || {
        let lp = get_running_loop().unwrap();
        let hello = pusher(&sink, "hello");
        let handle = handle.clone();
        thread::spawn(move || handle.call_soon_threadsafe(hello).unwrap())
            .join()
            .unwrap();
        lp.call_soon(pusher(&sink, "world")).unwrap();
        let again = lp.clone();
        lp.call_soon(move || again.stop()).unwrap();
    })
    .unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*words.lock().unwrap(), ["hello", "world"]);
}

/// The loop thread's own `call_soon_threadsafe` and `call_soon` share the FIFO too.
#[test]
fn threadsafe_and_plain_call_soon_on_the_loop_thread_keep_their_order() {
    let lp = EventLoop::new().unwrap();
    let words = log();
    lp.call_soon_threadsafe(pusher(&words, "first")).unwrap();
    lp.call_soon(pusher(&words, "second")).unwrap();
    lp.call_soon_threadsafe(pusher(&words, "third")).unwrap();
    lp.call_soon(stopper(&lp)).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(*words.lock().unwrap(), ["first", "second", "third"]);
}

/// Callbacks one other thread submits run in the order it submitted them.
#[test]
fn threadsafe_callbacks_from_one_thread_run_in_submission_order() {
    let lp = EventLoop::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (sink, handle) = (seen.clone(), lp.handle());
    let submitter = thread::spawn(move || {
        for i in 0..500 {
            let sink = sink.clone();
            handle
                .call_soon_threadsafe(move || sink.lock().unwrap().push(i))
                .unwrap();
        }
        handle
            .call_soon_threadsafe(|| get_running_loop().unwrap().stop())
            .unwrap();
    });
    lp.run_forever().unwrap();
    submitter.join().unwrap();
    assert_eq!(*seen.lock().unwrap(), (0..500).collect::<Vec<_>>());
}

/// K9: a panicking callback goes to the exception handler ("Exception in callback", detail =
/// the panic message); the loop survives and runs the callbacks after it.
#[test]
fn k9_panicking_callback_is_reported_and_the_loop_survives() {
    let lp = EventLoop::new().unwrap();
    let seen = record_reports(&lp);
    let after = Rc::new(Cell::new(0));
    lp.call_soon(|| panic!("boom in callback")).unwrap();
    let count = after.clone();
    lp.call_soon(move || count.set(count.get() + 1)).unwrap();
    lp.call_soon(stopper(&lp)).unwrap();
    lp.run_forever().unwrap();

    assert_eq!(after.get(), 1, "the callback after the panicking one ran");
    let reports = seen.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].message.starts_with("Exception in callback"),
        "message: {:?}",
        reports[0].message
    );
    assert_eq!(reports[0].detail.as_deref(), Some("boom in callback"));
    drop(reports);

    // The loop keeps working, for timers and thread-safe callbacks as well.
    lp.call_later(std::time::Duration::ZERO, || panic!("boom in timer"))
        .unwrap();
    lp.call_soon_threadsafe(|| panic!("boom from threadsafe"))
        .unwrap();
    assert_eq!(
        lp.block_on(async {
            loop_core::yield_now().await;
            loop_core::yield_now().await;
            3
        })
        .unwrap(),
        3
    );
    let details: Vec<_> = seen
        .borrow()
        .iter()
        .map(|c| {
            assert!(c.message.starts_with("Exception in callback"), "{c:?}");
            c.detail.clone().unwrap_or_default()
        })
        .collect();
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(details.contains(&"boom in timer".to_owned()));
    assert!(details.contains(&"boom from threadsafe".to_owned()));
}

/// K9: a handler that itself panics does not take the loop down.
#[test]
fn k9_panicking_exception_handler_does_not_take_the_loop_down() {
    let lp = EventLoop::new().unwrap();
    let calls = Rc::new(Cell::new(0));
    let count = calls.clone();
    lp.set_exception_handler(move |_ctx| {
        count.set(count.get() + 1);
        panic!("the handler is broken too");
    });
    let after = Rc::new(Cell::new(0));
    for _ in 0..2 {
        lp.call_soon(|| panic!("boom")).unwrap();
        let count = after.clone();
        lp.call_soon(move || count.set(count.get() + 1)).unwrap();
    }
    lp.call_soon(stopper(&lp)).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(calls.get(), 2, "the handler was called for each panic");
    assert_eq!(after.get(), 2, "callbacks after each panic still ran");

    // Still usable afterwards, and a direct call to the broken handler does not unwind.
    lp.call_exception_handler(ExceptionContext::from_message("direct"));
    assert_eq!(calls.get(), 3);
    assert_eq!(lp.block_on(async { "alive" }).unwrap(), "alive");
}

#[test]
fn reset_exception_handler_stops_calling_the_custom_handler() {
    let lp = EventLoop::new().unwrap();
    let seen = record_reports(&lp);
    lp.call_exception_handler(ExceptionContext::from_message("custom"));
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(seen.borrow()[0].message, "custom");
    lp.reset_exception_handler();
    lp.call_soon(|| panic!("to the default handler")).unwrap();
    lp.call_soon(stopper(&lp)).unwrap();
    lp.run_forever().unwrap();
    assert_eq!(seen.borrow().len(), 1, "the custom handler was replaced");
}
