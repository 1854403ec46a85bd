//! asyncio's SubprocessProtocol API (X8, X9, X10): callback order, close kills a running
//! child but not an exited one, pipe transports, signals after exit.

mod common;

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use loop_process::{
    Command, PipeTransport, Signal, Stdio, SubprocessProtocol, SubprocessTransport, subprocess_exec,
};

#[derive(Debug, Default)]
struct Recorder {
    events: Vec<String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    done: bool,
}

impl SubprocessProtocol for Recorder {
    fn connection_made(&mut self, transport: &SubprocessTransport) {
        assert!(transport.get_returncode().is_none());
        self.events.push("connection_made".into());
    }
    fn pipe_data_received(&mut self, fd: i32, data: &[u8]) {
        match fd {
            1 => self.stdout.extend_from_slice(data),
            2 => self.stderr.extend_from_slice(data),
            _ => panic!("data on fd {fd}"),
        }
    }
    fn pipe_connection_lost(&mut self, fd: i32, error: Option<io::Error>) {
        assert!(error.is_none(), "{error:?}");
        self.events.push(format!("pipe_connection_lost({fd})"));
    }
    fn process_exited(&mut self) {
        self.events.push("process_exited".into());
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        assert!(error.is_none());
        self.events.push("connection_lost".into());
        self.done = true;
    }
}

async fn finished(protocol: &Rc<RefCell<Recorder>>) {
    while !protocol.borrow().done {
        loop_core::sleep(Duration::from_millis(1)).await;
    }
}

/// The events without the pipe ends, whose order among themselves and the exit is not fixed.
fn main_events(protocol: &Rc<RefCell<Recorder>>) -> Vec<String> {
    let p = protocol.borrow();
    p.events
        .iter()
        .filter(|e| !e.starts_with("pipe_"))
        .cloned()
        .collect()
}

#[test]
fn callback_order_and_data() {
    common::run(async {
        let (transport, protocol) = subprocess_exec(
            Recorder::default,
            &mut Command::shell("echo out; echo err >&2; exit 3"),
        )
        .await
        .unwrap();
        assert!(transport.get_pid() > 0);
        finished(&protocol).await;
        assert_eq!(
            main_events(&protocol),
            ["connection_made", "process_exited", "connection_lost"]
        );
        let p = protocol.borrow();
        for fd in 0..3 {
            assert!(p.events.contains(&format!("pipe_connection_lost({fd})")));
        }
        assert_eq!(
            (&p.stdout[..], &p.stderr[..]),
            (&b"out\n"[..], &b"err\n"[..])
        );
        assert_eq!(transport.get_returncode(), Some(3));
        for result in [
            transport.kill(),
            transport.terminate(),
            transport.send_signal(Signal::HUP),
        ] {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::NotFound);
        }
    });
}

#[test]
fn stdin_pipe_transport_feeds_the_child() {
    common::run(async {
        let (transport, protocol) = subprocess_exec(Recorder::default, &mut Command::new("cat"))
            .await
            .unwrap();
        let Some(PipeTransport::Write(stdin)) = transport.get_pipe_transport(0) else {
            panic!("stdin is piped");
        };
        stdin.write(b"some ").unwrap();
        stdin.write(b"data").unwrap();
        stdin.write_eof();
        assert!(matches!(
            transport.get_pipe_transport(1),
            Some(PipeTransport::Read(_))
        ));
        finished(&protocol).await;
        assert_eq!(protocol.borrow().stdout, b"some data");
        assert_eq!(transport.get_returncode(), Some(0));
    });
}

#[test]
fn merged_stderr_has_no_pipe_transport() {
    common::run(async {
        let mut cmd = Command::shell("printf OUT:; printf ERR: >&2");
        cmd.stderr(Stdio::stdout());
        let (transport, protocol) = subprocess_exec(Recorder::default, &mut cmd).await.unwrap();
        assert!(transport.get_pipe_transport(2).is_none());
        finished(&protocol).await;
        assert_eq!(protocol.borrow().stdout, b"OUT:ERR:");
    });
}

#[test]
fn close_kills_a_running_child() {
    common::run(async {
        let (transport, protocol) =
            subprocess_exec(Recorder::default, Command::new("sleep").arg("60"))
                .await
                .unwrap();
        transport.close();
        assert!(transport.is_closing());
        finished(&protocol).await;
        assert_eq!(transport.get_returncode(), Some(-9));
        assert_eq!(
            main_events(&protocol),
            ["connection_made", "process_exited", "connection_lost"]
        );
    });
}

#[test]
fn close_does_not_kill_an_exited_child() {
    common::run(async {
        let (transport, protocol) =
            subprocess_exec(Recorder::default, &mut Command::shell("exit 0"))
                .await
                .unwrap();
        let pid = transport.get_pid();
        while common::state(pid) != Some('Z') && transport.get_returncode().is_none() {
            loop_core::sleep(Duration::from_millis(1)).await;
        }
        transport.close();
        finished(&protocol).await;
        assert_eq!(
            transport.get_returncode(),
            Some(0),
            "exited on its own, not killed"
        );
    });
}

#[test]
fn a_parked_waiter_wakes_when_another_handle_reaps() {
    common::run(async {
        let (transport, protocol) =
            subprocess_exec(Recorder::default, Command::new("sleep").arg("0.05"))
                .await
                .unwrap();
        let waiter = {
            let transport = transport.clone();
            loop_core::spawn_local(async move { transport.wait().await.unwrap() })
        };
        // The waiter and the exit task park on the child's exit watch.
        for _ in 0..3 {
            loop_core::yield_now().await;
        }
        // The child exits while the loop does not turn; then this handle reaps it.
        loop {
            match common::state(transport.get_pid()) {
                Some('Z') => break,
                Some(_) => std::thread::sleep(Duration::from_millis(1)),
                None => panic!("reaped before the scenario was set up"),
            }
        }
        assert_eq!(
            transport.kill().unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(waiter.await.unwrap().success());
        finished(&protocol).await;
        assert_eq!(
            main_events(&protocol),
            ["connection_made", "process_exited", "connection_lost"]
        );
    });
}
