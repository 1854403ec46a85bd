//! 10 MiB through `cat` both ways, with no deadlock: communicate, and by hand.

mod common;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_process::{Command, Stdio};

const SIZE: usize = 10 * 1024 * 1024;

fn pattern() -> Vec<u8> {
    (0..SIZE).map(|i| (i % 251) as u8).collect()
}

#[test]
fn communicate_ten_mib() {
    common::run(async {
        let input = pattern();
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.communicate(&input).await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.len(), SIZE);
        assert!(out.stdout == input, "the bytes came back changed");
    });
}

#[test]
fn ten_mib_by_hand_both_directions_at_once() {
    common::run(async {
        let input = pattern();
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let write = async {
            stdin.write_all(&input).await.unwrap();
            drop(stdin);
        };
        let read = async {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).await.unwrap();
            out
        };
        let ((), out) = futures_lite::future::zip(write, read).await;
        assert!(out == input);
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn ten_mib_on_stdout_and_stderr_together() {
    common::run(async {
        let out = Command::shell("head -c 10485760 /dev/zero; head -c 10485760 /dev/zero >&2")
            .output()
            .await
            .unwrap();
        assert_eq!((out.stdout.len(), out.stderr.len()), (SIZE, SIZE));
    });
}
