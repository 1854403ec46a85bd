//! asyncio X5: output written before the exit is all there, read slowly after the exit.

mod common;

use std::time::Duration;

use futures_lite::AsyncReadExt;
use loop_process::{Command, Stdio};

#[test]
fn all_output_arrives_after_the_exit() {
    common::run(async {
        // 64 writes of 4 KiB, then exit 1.
        let mut child =
            Command::shell("for i in $(seq 64); do head -c 4096 /dev/zero; done; exit 1")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut total = 0;
        let mut chunk = vec![0; 64 * 1024];
        loop {
            let n = stdout.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
            loop_core::sleep(Duration::from_millis(30)).await;
        }
        assert_eq!(total, 64 * 4096);
        assert_eq!(child.wait().await.unwrap().code(), Some(1));
    });
}
