//! Connecting: numeric addresses, host names resolved off the loop, Happy Eyeballs over several
//! addresses, timeouts, and the errors for a closed port and a malformed address.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use loop_net::{TcpConnectOptions, TcpListener, TcpStream, lookup_host};

mod common;

use common::{blackhole, closed_port, in_subprocess, open_fds, run, std_listener};

#[test]
fn a_closed_port_is_connection_refused() {
    let addr = closed_port();
    run(async {
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    });
}

#[test]
fn malformed_addresses_are_invalid_input_naming_the_input() {
    run(async {
        for bad in [
            "127.0.0.1",
            "127.0.0.1:http",
            "::1:80",
            "bad host:80",
            ":80",
        ] {
            let err = TcpStream::connect(bad).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}: {err}");
            assert!(err.to_string().contains(bad), "{err}");
        }
        let err = TcpListener::bind("nonsense").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn the_forms_of_address_all_connect() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let port = addr.port();
    run(async {
        let s = format!("127.0.0.1:{port}");
        for stream in [
            TcpStream::connect(addr).await,
            TcpStream::connect(s.as_str()).await,
            TcpStream::connect(&s).await,
            TcpStream::connect(("127.0.0.1", port)).await,
            TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).await,
            TcpStream::connect(&[addr][..]).await,
        ] {
            assert_eq!(stream.unwrap().peer_addr().unwrap(), addr);
        }
    });
}

#[test]
fn a_host_name_is_resolved_and_its_addresses_tried() {
    let server = std_listener();
    let port = server.local_addr().unwrap().port();
    run(async {
        // "localhost" may resolve to ::1 first, where nobody listens: that attempt is refused and
        // the next address gets its turn.
        let stream = TcpStream::connect(("localhost", port)).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        let addrs = lookup_host(format!("localhost:{port}")).await.unwrap();
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == port)
        );
    });
}

#[test]
fn happy_eyeballs_starts_the_next_address_when_the_first_hangs() {
    let hole = blackhole();
    let server = std_listener();
    let good = server.local_addr().unwrap();
    run(async {
        let stream = TcpConnectOptions::new()
            .happy_eyeballs_delay(Duration::from_millis(50))
            .connect(&[hole.addr, good][..])
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), good);
    });
}

#[test]
fn a_failed_attempt_starts_the_next_at_once_and_all_failures_are_named() {
    let (a, b) = (closed_port(), closed_port());
    run(async {
        // A stagger longer than the watchdog: only "a failure starts the next" can finish this.
        let opts = TcpConnectOptions::new().happy_eyeballs_delay(Duration::from_secs(3600));
        let err = opts.connect(&[a, b][..]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let msg = err.to_string();
        assert!(
            msg.contains(&a.to_string()) && msg.contains(&b.to_string()),
            "{msg}"
        );

        let server = std_listener();
        let good = server.local_addr().unwrap();
        let s = opts.connect(&[a, good][..]).await.unwrap();
        assert_eq!(s.peer_addr().unwrap(), good);
    });
}

#[test]
fn a_connect_timeout_is_timed_out_and_closes_the_socket() {
    // Alone in a process, so other tests' descriptors do not disturb the count.
    in_subprocess(
        "a_connect_timeout_is_timed_out_and_closes_the_socket",
        timed_out,
    );
}

fn timed_out() {
    let hole = blackhole();
    run(async {
        let before = open_fds();
        let addrs: Vec<SocketAddr> = vec![hole.addr, hole.addr];
        let err = TcpConnectOptions::new()
            .timeout(Duration::from_millis(200))
            .happy_eyeballs_delay(Duration::from_millis(10))
            .connect(addrs)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert_eq!(
            open_fds(),
            before,
            "a socket of a timed-out attempt is still open"
        );
    });
}

#[test]
fn a_local_address_is_bound_before_connecting() {
    let server = std_listener();
    run(async {
        let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let s = TcpConnectOptions::new()
            .local_addr(local)
            .connect(server.local_addr().unwrap())
            .await
            .unwrap();
        assert!(s.local_addr().unwrap().ip().is_loopback());
    });
}
