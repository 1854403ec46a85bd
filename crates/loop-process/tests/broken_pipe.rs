//! asyncio X4 and the bad-input rule: writing to a child that has exited is a BrokenPipe
//! error, never a crash; communicate ignores it.

mod common;

use std::io::ErrorKind;

use futures_lite::AsyncWriteExt;
use loop_process::{Command, Stdio};

const LARGE: usize = 4 * 1024 * 1024;

#[test]
fn writing_to_an_exited_child_is_broken_pipe() {
    common::run(async {
        let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        child.wait().await.unwrap();
        let err = stdin.write_all(&vec![b'x'; LARGE]).await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
            ),
            "{err:?}"
        );
    });
}

#[test]
fn communicate_ignores_a_child_that_stops_reading() {
    common::run(async {
        let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        let out = child.communicate(&vec![b'x'; LARGE]).await.unwrap();
        assert!(out.status.success());
    });
}
