//! The SIGCHLD backend (for kernels without pidfds), forced with LOOP_PROCESS_SIGCHLD=1 in a
//! subprocess of this test binary: wait, kill, many children, and dropped children reaped.

mod common;

use std::os::unix::process::ExitStatusExt;

use loop_process::{Command, Signal};

const FORCE: &[(&str, &str)] = &[("LOOP_PROCESS_SIGCHLD", "1")];

#[test]
fn wait_and_kill_without_pidfd() {
    common::in_subprocess("wait_and_kill_without_pidfd", FORCE, || {
        common::run(async {
            let mut child = Command::new("sleep").arg("60").spawn().unwrap();
            assert!(
                common::catches(Signal::CHLD.as_raw()),
                "SIGCHLD backend in use"
            );
            child.kill().unwrap();
            assert_eq!(child.wait().await.unwrap().signal(), Some(9));
            let status = Command::shell("exit 4").status().await.unwrap();
            assert_eq!(status.code(), Some(4));
            let mut children: Vec<_> = (0..50)
                .map(|i| Command::shell(format!("exit {}", i % 7)).spawn().unwrap())
                .collect();
            let statuses = loop_core::join_all(children.iter_mut().map(|c| c.wait())).await;
            for (i, status) in statuses.into_iter().enumerate() {
                assert_eq!(status.unwrap().code(), Some(i as i32 % 7));
            }
        });
        assert!(!common::catches(Signal::CHLD.as_raw()), "default restored");
    });
}

#[test]
fn dropped_children_reaped_without_pidfd() {
    common::in_subprocess("dropped_children_reaped_without_pidfd", FORCE, || {
        common::run(async {
            let pids: Vec<u32> = (0..10)
                .map(|_| Command::new("sleep").arg("0.1").spawn().unwrap().id())
                .collect();
            for pid in pids {
                common::until_gone(pid).await;
            }
        });
    });
}
