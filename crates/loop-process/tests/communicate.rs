//! asyncio X1 and X6: a cat-like child by hand and through communicate; empty input; DEVNULL.

mod common;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_process::{Command, Stdio};

fn cat() -> Command {
    let mut cmd = Command::new("cat");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    cmd
}

#[test]
fn write_close_read_wait() {
    common::run(async {
        let mut child = cat().spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"some data").await.unwrap();
        stdin.flush().await.unwrap();
        drop(stdin);
        let mut out = Vec::new();
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!((status.code(), out), (Some(0), b"some data".to_vec()));
    });
}

#[test]
fn communicate_gives_the_same() {
    common::run(async {
        let mut child = cat().spawn().unwrap();
        let out = child.communicate(b"some data").await.unwrap();
        assert_eq!(
            (out.status.code(), out.stdout),
            (Some(0), b"some data".to_vec())
        );
        assert_eq!(child.returncode(), Some(0));
    });
}

#[test]
fn empty_input_is_eof_at_once() {
    common::run(async {
        let mut child = Command::shell("wc -c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.communicate(b"").await.unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    });
}

#[test]
fn devnull_stdin_reads_nothing() {
    common::run(async {
        let out = Command::shell("wc -c")
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    });
}

#[test]
fn devnull_outputs_are_not_piped() {
    common::run(async {
        let mut child = Command::shell("echo out; echo err >&2")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(child.stdout.is_none());
        let out = child.communicate(b"").await.unwrap();
        assert_eq!((out.stdout, out.stderr), (vec![], b"err\n".to_vec()));
        let mut child = Command::shell("echo out; echo err >&2")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(child.stderr.is_none());
        let out = child.communicate(b"").await.unwrap();
        assert_eq!((out.stdout, out.stderr), (b"out\n".to_vec(), vec![]));
    });
}

#[test]
fn input_without_a_stdin_pipe_is_refused() {
    common::run(async {
        let mut child = Command::new("true").spawn().unwrap();
        let err = child.communicate(b"lost?").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        child.wait().await.unwrap();
    });
}
