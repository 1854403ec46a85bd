//! No descriptor outlives its owner: the process's open descriptors are counted before and after
//! a run through every socket type, failed and cancelled operations included. Alone in a child
//! process, so other tests' descriptors do not disturb the count.

use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::{
    TcpConnectOptions, TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};

mod common;

use common::{blackhole, closed_port, in_subprocess, open_fds, run};

#[test]
fn sockets_are_closed_on_drop_failure_and_cancellation() {
    in_subprocess(
        "sockets_are_closed_on_drop_failure_and_cancellation",
        scenario,
    );
}

fn scenario() {
    // Set up what the run needs that lives on (the blackhole) before counting.
    let hole = blackhole();
    let refused = closed_port();
    let dir = std::env::temp_dir().join(format!("loop-net-fd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A first run warms up lazily created descriptors (the blocking pool's threads, ...).
    run(workout(hole.addr, refused, dir.clone()));
    let before = open_fds();
    for _ in 0..3 {
        run(workout(hole.addr, refused, dir.clone()));
    }
    let after = open_fds();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(before, after, "descriptors leaked");
}

async fn workout(
    hole: std::net::SocketAddr,
    refused: std::net::SocketAddr,
    dir: std::path::PathBuf,
) {
    // TCP: a connection both ways, split, dropped.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.write_all(b"x").await.unwrap();
    let (mut r, _w) = server.into_split();
    r.read_exact(&mut [0]).await.unwrap();
    // Refused, timed out, and cancelled connects.
    assert!(TcpStream::connect(refused).await.is_err());
    let timed_out = TcpConnectOptions::new()
        .timeout(Duration::from_millis(50))
        .connect(hole)
        .await;
    assert!(timed_out.is_err());
    // Happy Eyeballs: the hanging first attempt loses to the second and is closed.
    let winner = TcpConnectOptions::new()
        .happy_eyeballs_delay(Duration::from_millis(5))
        .connect(&[hole, addr][..])
        .await
        .unwrap();
    assert_eq!(winner.peer_addr().unwrap(), addr);
    let _loser_side = listener.accept().await.unwrap();
    let pending = loop_core::spawn(TcpStream::connect(hole));
    loop_core::sleep(Duration::from_millis(10)).await;
    drop(pending);
    // An accept and a read cancelled while waiting.
    let accept = loop_core::spawn(async move { listener.accept().await.map(|_| ()) });
    let reader = loop_core::spawn(async move {
        let mut buf = [0; 1];
        client.read(&mut buf).await
    });
    loop_core::sleep(Duration::from_millis(10)).await;
    drop(accept);
    drop(reader);
    // UDP and Unix.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(b"x", udp.local_addr().unwrap()).await.unwrap();
    let path = dir.join("s");
    let unix = UnixListener::bind(&path).unwrap();
    let _a = UnixStream::connect(&path).await.unwrap();
    let _b = unix.accept().await.unwrap();
    let _pair = UnixStream::pair().unwrap();
    let _dgram = UnixDatagram::pair().unwrap();
    let _bound = UnixDatagram::bind(dir.join("d")).unwrap();
    // Let the cancelled tasks' futures be dropped before the loop closes.
    loop_core::sleep(Duration::from_millis(10)).await;
}
