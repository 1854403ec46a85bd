//! asyncio X10: a failed spawn leaves no pipe open and no child behind (alone in its binary,
//! so no other test opens fds meanwhile).

mod common;

use std::io;

use loop_process::{Command, Stdio, SubprocessProtocol, subprocess_exec};

#[derive(Debug)]
struct Nothing;
impl SubprocessProtocol for Nothing {}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn failed_spawns_leak_no_fd() {
    common::run(async {
        // Warm up the loop's own fds first.
        let _ = Command::new("/nonexistent/prog").spawn();
        let before = open_fds();
        for _ in 0..10 {
            let err = subprocess_exec(|| Nothing, &mut Command::new("/nonexistent/prog"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
            let err = Command::new("/nonexistent/prog")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::stdout())
                .spawn()
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
        }
        assert_eq!(open_fds(), before);
    });
}
