//! asyncio X10: stderr merged into stdout (asyncio's STDOUT), and no fd-2 pipe.

mod common;

use loop_process::{Command, Stdio};

#[test]
fn merged_into_a_pipe() {
    common::run(async {
        let mut child = Command::shell("printf OUT:; printf ERR: >&2; printf done")
            .stdout(Stdio::piped())
            .stderr(Stdio::stdout())
            .spawn()
            .unwrap();
        assert!(child.stderr.is_none());
        let out = child.communicate(b"").await.unwrap();
        assert_eq!(out.stdout, b"OUT:ERR:done");
    });
}

#[test]
fn merged_into_a_file() {
    common::run(async {
        let path = std::env::temp_dir().join(format!("loop-process-merge-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let status = Command::shell("echo out; echo err >&2")
            .stdout(file)
            .stderr(Stdio::stdout())
            .status()
            .await
            .unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "out\nerr\n");
        std::fs::remove_file(path).unwrap();
    });
}

#[test]
fn stdout_setting_is_for_stderr_only() {
    common::run(async {
        let err = Command::new("true")
            .stdout(Stdio::stdout())
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    });
}
