//! 200 children at once, each awaited on one loop.

mod common;

use loop_process::{Command, Stdio};

#[test]
fn two_hundred_children_at_once() {
    common::run(async {
        let mut children: Vec<_> = (0..200)
            .map(|i| {
                Command::shell(format!("exit {}", i % 50))
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let waits: Vec<_> = children.iter_mut().map(|c| c.wait()).collect();
        let statuses = loop_core::join_all(waits).await;
        for (i, status) in statuses.into_iter().enumerate() {
            assert_eq!(status.unwrap().code(), Some((i % 50) as i32));
        }
    });
}

#[test]
fn two_hundred_outputs_at_once() {
    common::run(async {
        let mut commands: Vec<_> = (0..200)
            .map(|i| {
                let mut cmd = Command::new("echo");
                cmd.arg(i.to_string());
                cmd
            })
            .collect();
        let outputs = loop_core::join_all(commands.iter_mut().map(|c| c.output())).await;
        for (i, out) in outputs.into_iter().enumerate() {
            assert_eq!(out.unwrap().stdout, format!("{i}\n").into_bytes());
        }
    });
}
