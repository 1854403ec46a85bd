//! asyncio X2: the explicit shell variant, and a new session or process group.

mod common;

use loop_process::{Command, Stdio};

#[test]
fn shell_exit_code() {
    let status = common::run(Command::shell("exit 7").status()).unwrap();
    assert_eq!(status.code(), Some(7));
}

#[test]
fn new_session_exit_code_and_sid() {
    common::run(async {
        let status = Command::shell("exit 8")
            .new_session()
            .status()
            .await
            .unwrap();
        assert_eq!(status.code(), Some(8));
        // In a new session the child leads it: its session id is its own pid.
        let out = Command::shell("echo $$; ps -o sid= -p $$")
            .new_session()
            .stdout(Stdio::piped())
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.split_whitespace();
        let (pid, sid) = (lines.next(), lines.next());
        if sid.is_some() {
            assert_eq!(pid, sid, "ps output: {text}");
        }
    });
}

#[test]
fn new_process_group_leads_its_group() {
    common::run(async {
        let child = Command::new("sleep")
            .arg("30")
            .new_process_group()
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        // Field 5 of /proc/PID/stat is the process group id (state, ppid, pgrp).
        assert_eq!(fields[2], child.id().to_string());
    });
}

#[test]
fn no_shell_means_no_parsing() {
    let out = common::run(Command::new("echo").arg("$HOME; exit 3").output()).unwrap();
    assert_eq!(out.stdout, b"$HOME; exit 3\n");
    assert!(out.status.success());
}
