//! asyncio X3, X7, X9: kill / terminate / send_signal, then wait; a cancelled wait; signals
//! after exit.

mod common;

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use futures_lite::AsyncBufReadExt;
use loop_process::{Command, Signal, Stdio};

fn sleeper() -> loop_process::Child {
    Command::new("sleep")
        .arg("60")
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[test]
fn kill_then_wait() {
    common::run(async {
        let mut child = sleeper();
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(9));
        assert_eq!(child.returncode(), Some(-9));
    });
}

#[test]
fn terminate_then_wait() {
    common::run(async {
        let mut child = sleeper();
        child.terminate().unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(15));
        assert_eq!(child.returncode(), Some(-15));
    });
}

#[test]
fn send_signal_after_the_child_is_ready() {
    common::run(async {
        let mut child = Command::shell("echo sleeping; exec sleep 60")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = futures_lite::io::BufReader::new(child.stdout.take().unwrap()).lines();
        use futures_lite::StreamExt;
        assert_eq!(lines.next().await.unwrap().unwrap(), "sleeping");
        child.send_signal(Signal::HUP).unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(1));
        assert_eq!(child.returncode(), Some(-1));
    });
}

#[test]
fn a_cancelled_wait_does_not_break_a_later_one() {
    common::run(async {
        let mut child = sleeper();
        let cancelled = loop_core::timeout(Duration::from_millis(20), child.wait()).await;
        assert!(cancelled.is_err(), "sleep 60 cannot have exited");
        assert_eq!(child.try_wait().unwrap(), None);
        child.kill().unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(9));
    });
}

#[test]
fn signals_after_exit_are_a_clear_error() {
    common::run(async {
        let mut child = Command::new("true").spawn().unwrap();
        assert!(child.wait().await.unwrap().success());
        for result in [
            child.kill(),
            child.terminate(),
            child.send_signal(Signal::HUP),
        ] {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains("already exited"), "{err}");
        }
    });
}

#[test]
fn an_exited_unreaped_child_gets_no_signal() {
    common::run(async {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Let it exit without reaping it: a zombie until we look.
        while common::state(pid) != Some('Z') {
            loop_core::sleep(Duration::from_millis(2)).await;
        }
        let err = child.kill().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            child.try_wait().unwrap().unwrap().success(),
            "exit status kept, not SIGKILL"
        );
        assert!(!common::exists(pid), "reaped by the check");
    });
}

#[test]
fn try_wait_before_and_after() {
    common::run(async {
        let mut child = sleeper();
        assert_eq!(child.try_wait().unwrap(), None);
        assert_eq!(child.returncode(), None);
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(child.try_wait().unwrap(), Some(status));
    });
}
