// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers shared by loop-process's integration tests: each test file says `mod common;`.

use std::future::Future;
use std::time::Duration;

use loop_core::{EventLoop, RunError};

/// How long any one test may take before the watchdog fails it (a broken test fails, not hangs).
pub(crate) const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `main` on a fresh loop under a watchdog; panics if the watchdog fires.
pub(crate) fn run<F: Future>(main: F) -> F::Output {
    let lp = EventLoop::new().unwrap();
    let stopper = (*lp).clone();
    let _watchdog = lp.call_later(DEADLINE, move || stopper.stop()).unwrap();
    match lp.block_on(main) {
        Ok(out) => out,
        Err(RunError::Stopped) => panic!("the watchdog fired after {DEADLINE:?}"),
        Err(e) => panic!("the loop failed: {e}"),
    }
}

/// Whether process `pid` exists at all (running or zombie).
pub(crate) fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The process state letter from `/proc/PID/stat` (`Z` for a zombie), or `None` once gone.
pub(crate) fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.trim_start().chars().next()
}

/// Waits (loop turns and short sleeps, under the watchdog) until `pid` no longer exists.
pub(crate) async fn until_gone(pid: u32) {
    while exists(pid) {
        loop_core::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `scenario` in a child process running only `test_name` (signals and process-wide
/// settings then cannot disturb the other tests); fails if the scenario failed there.
pub(crate) fn in_subprocess(test_name: &str, envs: &[(&str, &str)], scenario: impl FnOnce()) {
    const CHILD: &str = "LOOP_PROCESS_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        scenario();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the scenario failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this process currently catches `signal` (the `SigCgt` mask of /proc/self/status).
pub(crate) fn catches(signal: i32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
        .unwrap();
    mask & (1 << (signal - 1)) != 0
}
