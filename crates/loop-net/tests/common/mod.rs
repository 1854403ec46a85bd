// Every test binary compiles this module separately and none of them uses every helper.
#![allow(dead_code)]
//! Helpers shared by loop-net's integration tests: each test file says `mod common;`.

use std::future::Future;
use std::time::Duration;

use loop_core::EventLoop;

/// Runs `future` on a fresh loop, failing the test (instead of hanging it) after 60 s.
pub(crate) fn run<T>(future: impl Future<Output = T>) -> T {
    let lp = EventLoop::new().unwrap();
    lp.block_on(async {
        match loop_core::timeout(Duration::from_secs(60), future).await {
            Ok(out) => out,
            Err(_) => panic!("watchdog: the test did not finish within 60 s"),
        }
    })
    .unwrap()
}

/// Runs `scenario` in a child process filtered to `test_name`, so process-wide state it changes
/// (resource limits, signal dispositions, the descriptor table) touches no other test.
pub(crate) fn in_subprocess(test_name: &str, scenario: impl FnOnce()) {
    const CHILD: &str = "LOOP_NET_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        scenario();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the scenario failed or took the process down ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
}

/// A listening blocking std socket on 127.0.0.1 and a port the OS chose.
pub(crate) fn std_listener() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

/// A port on 127.0.0.1 with nothing listening (bound, then closed).
pub(crate) fn closed_port() -> std::net::SocketAddr {
    std_listener().local_addr().unwrap()
}

/// An address whose connects hang: a listener with a full accept queue drops new SYNs, so a
/// connect there neither succeeds nor fails until the kernel's retries run out (minutes).
pub(crate) struct Blackhole {
    _listener: socket2::Socket,
    _filler: std::net::TcpStream,
    pub(crate) addr: std::net::SocketAddr,
}

pub(crate) fn blackhole() -> Blackhole {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    listener.bind(&any.into()).unwrap();
    listener.listen(0).unwrap(); // room for one unaccepted connection
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let filler = std::net::TcpStream::connect(addr).unwrap();
    Blackhole {
        _listener: listener,
        _filler: filler,
        addr,
    }
}

/// How many descriptors this process has open.
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
