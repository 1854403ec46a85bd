//! `EVLOOP_POLLER` picks the poller of loops that do not choose one.

use std::process::Command;

const CHILD: &str = "LOOP_CORE_POLLER_ENV_CHILD";

/// Runs the test `name` of this binary again in a child with `EVLOOP_POLLER=value`.
fn child_with(name: &str, value: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env(loop_core::POLLER_ENV, value)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} with {value:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn epoll_is_chosen_by_the_environment() {
    if std::env::var_os(CHILD).is_none() {
        return child_with("epoll_is_chosen_by_the_environment", "epoll");
    }
    let lp = loop_core::EventLoop::new().unwrap();
    assert!(format!("{lp:?}").contains("EpollPoller"), "{lp:?}");
}

#[test]
fn polling_is_the_default() {
    if std::env::var_os(CHILD).is_none() {
        return child_with("polling_is_the_default", "");
    }
    let lp = loop_core::EventLoop::new().unwrap();
    assert!(!format!("{lp:?}").contains("EpollPoller"), "{lp:?}");
}

#[test]
fn an_unknown_poller_is_a_clear_error() {
    if std::env::var_os(CHILD).is_none() {
        return child_with("an_unknown_poller_is_a_clear_error", "kqueue-please");
    }
    let err = loop_core::EventLoop::new().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("EVLOOP_POLLER"), "{err}");
}
