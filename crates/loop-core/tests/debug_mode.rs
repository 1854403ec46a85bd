//! Debug mode: callbacks and task polls slower than `slow_callback_duration` are reported to
//! the exception handler ("Executing task <name> (id N) took S seconds", "Executing a callback
//! took S seconds"), as asyncio's debug mode logs them (spec §2.11 K10). Also how debug mode is
//! turned on: the builder, `set_debug`, and the `EVLOOP_DEBUG` environment variable (tested in
//! child processes, since the environment is shared by the test threads).

use std::process::Command;
use std::time::Duration;

use loop_core::{DEBUG_ENV, EventLoop, ExceptionContext, TaskBuilder, yield_now};

mod common;

use common::record_reports;

const THRESHOLD: Duration = Duration::from_millis(10);
const SLOW: Duration = Duration::from_millis(30);

fn debug_loop() -> EventLoop {
    EventLoop::builder()
        .debug(true)
        .slow_callback_duration(THRESHOLD)
        .build()
        .unwrap()
}

/// The seconds in "... took S seconds".
fn seconds(report: &ExceptionContext) -> f64 {
    let s = report
        .message
        .strip_suffix(" seconds")
        .and_then(|m| m.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no duration in {:?}", report.message));
    s.parse().unwrap()
}

fn slow_reports(reports: &[ExceptionContext]) -> Vec<ExceptionContext> {
    reports
        .iter()
        .filter(|r| r.message.starts_with("Executing "))
        .cloned()
        .collect()
}

#[test]
fn the_builder_sets_debug_mode_and_the_threshold() {
    let lp = debug_loop();
    assert!(lp.is_debug());
    assert_eq!(lp.slow_callback_duration(), THRESHOLD);
    let lp = EventLoop::builder().debug(false).build().unwrap();
    assert!(!lp.is_debug());
    assert_eq!(lp.slow_callback_duration(), Duration::from_millis(100));
}

/// A slow poll of a named task is reported with its name and id, the duration, and the task
/// in `ctx.task`; a fast task on the same loop is not reported.
#[test]
fn a_slow_task_poll_is_reported_with_the_task_name_and_id() {
    let lp = debug_loop();
    let reports = record_reports(&lp);
    let (slow_id, fast_id) = lp
        .block_on(async {
            let slow = TaskBuilder::new().name("slowpoke").spawn_local(&lp, async {
                std::thread::sleep(SLOW);
            });
            let fast = TaskBuilder::new().name("quick").spawn_local(&lp, async {
                yield_now().await;
            });
            let ids = (slow.id(), fast.id());
            slow.await.unwrap();
            fast.await.unwrap();
            ids
        })
        .unwrap();
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 1, "{slow:?}");
    let report = &slow[0];
    let prefix = format!("Executing task slowpoke (id {slow_id}) took ");
    assert!(
        report.message.starts_with(&prefix),
        "{:?} does not start with {prefix:?}",
        report.message
    );
    assert!(seconds(report) >= SLOW.as_secs_f64(), "{}", report.message);
    let task = report.task.as_ref().expect("ctx.task is set");
    assert_eq!(task.name(), Some("slowpoke"));
    assert_eq!(task.id(), slow_id);
    assert_ne!(task.id(), fast_id);
}

/// An unnamed task is reported under its default name, `Task-N`.
#[test]
fn an_unnamed_slow_task_is_reported_as_task_n() {
    let lp = debug_loop();
    let reports = record_reports(&lp);
    let id = lp
        .block_on(async {
            let t = lp.spawn_local(async { std::thread::sleep(SLOW) });
            let id = t.id();
            t.await.unwrap();
            id
        })
        .unwrap();
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert!(
        slow[0]
            .message
            .starts_with(&format!("Executing task Task-{id} (id {id}) took ")),
        "{}",
        slow[0].message
    );
}

/// A slow `call_soon` callback is reported as a callback, with no task.
#[test]
fn a_slow_callback_is_reported_as_a_callback() {
    let lp = debug_loop();
    let reports = record_reports(&lp);
    lp.call_soon(|| std::thread::sleep(SLOW)).unwrap();
    lp.block_on(yield_now()).unwrap();
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert!(
        slow[0].message.starts_with("Executing a callback took "),
        "{}",
        slow[0].message
    );
    assert!(seconds(&slow[0]) >= SLOW.as_secs_f64());
    assert!(slow[0].task.is_none());
}

/// Debug mode off: the same slow task and callback are not reported.
#[test]
fn debug_off_reports_nothing() {
    let lp = EventLoop::builder()
        .debug(false)
        .slow_callback_duration(THRESHOLD)
        .build()
        .unwrap();
    let reports = record_reports(&lp);
    lp.call_soon(|| std::thread::sleep(SLOW)).unwrap();
    lp.block_on(async {
        lp.spawn_local(async { std::thread::sleep(SLOW) })
            .await
            .unwrap();
    })
    .unwrap();
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

/// `set_debug` and `set_slow_callback_duration` take effect on a running loop.
#[test]
fn debug_mode_can_be_switched_at_run_time() {
    let lp = EventLoop::builder().debug(false).build().unwrap();
    let reports = record_reports(&lp);
    let slow_task = |lp: &EventLoop| {
        lp.block_on(async {
            lp.spawn_local(async { std::thread::sleep(SLOW) })
                .await
                .unwrap();
        })
        .unwrap();
    };
    slow_task(&lp);
    assert!(slow_reports(&reports.borrow()).is_empty());

    lp.set_debug(true);
    assert!(lp.is_debug());
    slow_task(&lp); // under the default 100 ms threshold
    assert!(slow_reports(&reports.borrow()).is_empty());

    lp.set_slow_callback_duration(THRESHOLD);
    assert_eq!(lp.slow_callback_duration(), THRESHOLD);
    slow_task(&lp);
    assert_eq!(slow_reports(&reports.borrow()).len(), 1);

    lp.set_debug(false);
    slow_task(&lp);
    assert_eq!(slow_reports(&reports.borrow()).len(), 1);
}

/// Each slow poll is reported once: a task that is slow in two polls gets two reports, both
/// naming it.
#[test]
fn each_slow_poll_is_reported() {
    let lp = debug_loop();
    let reports = record_reports(&lp);
    let id = lp
        .block_on(async {
            let t = TaskBuilder::new().name("twice").spawn_local(&lp, async {
                std::thread::sleep(SLOW);
                yield_now().await;
                std::thread::sleep(SLOW);
            });
            let id = t.id();
            t.await.unwrap();
            id
        })
        .unwrap();
    let slow = slow_reports(&reports.borrow());
    assert_eq!(slow.len(), 2, "{slow:?}");
    assert!(
        slow.iter()
            .all(|r| r.task.as_ref().map(|t| t.id()) == Some(id))
    );
}

// ---- EVLOOP_DEBUG, in child processes ----

/// Set in the child: what the child should find (`on` / `off`).
const EXPECT: &str = "LOOP_CORE_DEBUG_EXPECT";

/// Runs `test_name` alone in a child process with `EVLOOP_DEBUG` set to `value` (or unset),
/// telling it whether to expect debug mode; asserts that the child's test passed.
fn run_child(test_name: &str, value: Option<&str>, expect_on: bool) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(EXPECT, if expect_on { "on" } else { "off" });
    match value {
        Some(v) => cmd.env(DEBUG_ENV, v),
        None => cmd.env_remove(DEBUG_ENV),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child with {DEBUG_ENV}={value:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// In the child: a loop built without `.debug(..)` follows the environment, and reports a slow
/// task when it is on; `.debug(false)` overrides the environment.
fn child_scenario(expect_on: bool) {
    let lp = EventLoop::new().unwrap();
    assert_eq!(lp.is_debug(), expect_on, "EventLoop::new()");
    let built = EventLoop::builder().build().unwrap();
    assert_eq!(built.is_debug(), expect_on, "builder without .debug()");
    assert!(
        !EventLoop::builder()
            .debug(false)
            .build()
            .unwrap()
            .is_debug()
    );
    assert!(EventLoop::builder().debug(true).build().unwrap().is_debug());

    lp.set_slow_callback_duration(THRESHOLD);
    let reports = record_reports(&lp);
    lp.block_on(async {
        TaskBuilder::new()
            .name("env-slow")
            .spawn_local(&lp, async { std::thread::sleep(SLOW) })
            .await
            .unwrap();
    })
    .unwrap();
    let slow = slow_reports(&reports.borrow());
    if expect_on {
        assert_eq!(slow.len(), 1, "{slow:?}");
        assert!(slow[0].message.starts_with("Executing task env-slow (id "));
    } else {
        assert!(slow.is_empty(), "{slow:?}");
    }
}

/// The child half of the tests below; does nothing when run directly.
#[test]
fn env_child() {
    match std::env::var(EXPECT).as_deref() {
        Ok("on") => child_scenario(true),
        Ok("off") => child_scenario(false),
        _ => {}
    }
}

#[test]
fn evloop_debug_turns_debug_mode_on() {
    run_child("env_child", Some("1"), true);
    run_child("env_child", Some("yes"), true);
}

#[test]
fn evloop_debug_zero_empty_or_unset_leaves_it_off() {
    run_child("env_child", Some("0"), false);
    run_child("env_child", Some(""), false);
    run_child("env_child", None, false);
}
