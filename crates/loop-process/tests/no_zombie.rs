//! A dropped child is reaped in the background and never left a zombie (checked in /proc).

mod common;

use std::time::Duration;

use loop_process::Command;

#[test]
fn dropped_running_child_is_reaped_when_it_exits() {
    common::run(async {
        let child = Command::new("sleep").arg("0.2").spawn().unwrap();
        let pid = child.id();
        drop(child);
        assert!(common::exists(pid), "still running: not killed by the drop");
        common::until_gone(pid).await;
    });
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    common::run(async {
        let child = Command::new("sleep")
            .arg("60")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id();
        drop(child);
        common::until_gone(pid).await;
    });
}

#[test]
fn dropped_exited_child_is_reaped_at_once() {
    common::run(async {
        let child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        while common::state(pid) != Some('Z') {
            loop_core::sleep(Duration::from_millis(2)).await;
        }
        drop(child);
        assert!(!common::exists(pid), "reaped by the drop itself");
    });
}

#[test]
fn child_outliving_its_loop_is_reaped() {
    let lp = loop_core::EventLoop::new().unwrap();
    let child = lp
        .block_on(async { Command::new("sleep").arg("0.2").spawn().unwrap() })
        .unwrap();
    lp.close().unwrap();
    drop(lp);
    let pid = child.id();
    drop(child); // off any loop
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while common::exists(pid) {
        assert!(std::time::Instant::now() < deadline, "{pid} left behind");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn many_dropped_children_all_reaped() {
    common::run(async {
        let pids: Vec<u32> = (0..50)
            .map(|i| {
                let child = Command::new("sleep")
                    .arg(format!("0.{:02}", i % 20))
                    .spawn()
                    .unwrap();
                child.id()
            })
            .collect();
        for pid in pids {
            common::until_gone(pid).await;
        }
    });
}

#[test]
fn transport_left_running_when_its_loop_closes_is_reaped() {
    #[derive(Debug)]
    struct Quiet;
    impl loop_process::SubprocessProtocol for Quiet {}
    let pid = loop_core::run(async {
        let (transport, _) =
            loop_process::subprocess_exec(|| Quiet, Command::new("sleep").arg("0.2"))
                .await
                .unwrap();
        transport.get_pid()
    })
    .unwrap(); // the loop closes here, cancelling the transport's tasks
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while common::exists(pid) {
        assert!(std::time::Instant::now() < deadline, "{pid} left behind");
        std::thread::sleep(Duration::from_millis(5));
    }
}
