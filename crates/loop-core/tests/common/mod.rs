// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers shared by loop-core's integration tests: each test file says `mod common;`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use loop_core::{EventLoop, ExceptionContext, TimerHandle, yield_now};

/// Sets its flag when dropped: how a test sees that a task's future was dropped (cancelled).
pub(crate) struct DropFlag(pub(crate) Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A fresh, unset flag for a `DropFlag` (or any other one-shot signal).
pub(crate) fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// Whether `flag` has been set.
pub(crate) fn is_set(flag: &AtomicBool) -> bool {
    flag.load(Ordering::SeqCst)
}

/// Yields (one loop turn each) until `cond` holds, at most `max` times; returns `cond()`.
pub(crate) async fn turns_until(mut cond: impl FnMut() -> bool, max: usize) -> bool {
    for _ in 0..max {
        if cond() {
            return true;
        }
        yield_now().await;
    }
    cond()
}

/// The reports an exception handler installed by `record_reports` has received.
pub(crate) type Reports = Rc<RefCell<Vec<ExceptionContext>>>;

/// Installs an exception handler on `lp` that records every report, and returns the record.
pub(crate) fn record_reports(lp: &EventLoop) -> Reports {
    let reports: Reports = Rc::new(RefCell::new(Vec::new()));
    let sink = reports.clone();
    lp.set_exception_handler(move |ctx| sink.borrow_mut().push(ctx.clone()));
    reports
}

/// A timer that stops the loop after `after` (a broken test fails, not hangs): handle, fired flag.
pub(crate) fn watchdog(lp: &EventLoop, after: Duration) -> (TimerHandle, Rc<Cell<bool>>) {
    let fired = Rc::new(Cell::new(false));
    let (flag, inner) = (fired.clone(), (**lp).clone());
    let handle = lp
        .call_later(after, move || {
            flag.set(true);
            inner.stop();
        })
        .unwrap();
    (handle, fired)
}

/// Panics (with its message) when dropped: a cleanup that fails during cancellation.
pub(crate) struct PanicOnDrop(pub(crate) &'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

/// A child process's stderr without backtrace frames (an abort prints a full backtrace).
pub(crate) fn without_backtrace(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|line| {
            let t = line.trim_start();
            let frame = t
                .split_once(':')
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
            !(frame || t.starts_with("at "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `scenario` in a child process filtered to `test_name` (an abort fails only it); its stderr.
pub(crate) fn in_subprocess(test_name: &str, scenario: impl FnOnce()) -> String {
    const CHILD: &str = "LOOP_CORE_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        scenario();
        return String::new();
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = without_backtrace(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the scenario failed or took the process down ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    stderr
}

/// A loop on the virtual clock: timers fire at their exact loop time, instantly.
pub(crate) fn vloop() -> loop_core::EventLoop {
    loop_core::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap()
}

/// `n` seconds.
pub(crate) fn secs(n: u64) -> std::time::Duration {
    std::time::Duration::from_secs(n)
}

/// `n` milliseconds.
pub(crate) fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

/// The running loop's time.
pub(crate) fn now() -> std::time::Instant {
    loop_core::get_running_loop().unwrap().time()
}

/// A boxed, type-erased future, so futures of different types fit in one list.
pub(crate) type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// Boxes `future` as a [`BoxFut`].
pub(crate) fn boxed<T>(future: impl std::future::Future<Output = T> + 'static) -> BoxFut<T> {
    Box::pin(future)
}
