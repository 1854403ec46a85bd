//! Half-close: a peer's `shutdown(Write)` reads as EOF here while our writes still go through,
//! and our `close()` / `shutdown(Write)` is asyncio's write_eof for the peer.

use std::io::{Read, Write};
use std::net::Shutdown;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_net::TcpStream;

mod common;

use common::{run, std_listener};

#[test]
fn the_peers_half_close_is_eof_and_our_writes_still_arrive() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        s.write_all(b"request").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).unwrap();
        reply
    });
    run(async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"request");
        // EOF again, as often as asked.
        assert_eq!(s.read(&mut [0; 8]).await.unwrap(), 0);
        // The other direction is open: a reply much larger than the socket buffers.
        let reply = vec![b'r'; 4 << 20];
        s.write_all(&reply).await.unwrap();
        s.shutdown(Shutdown::Write).unwrap();
    });
    assert_eq!(peer.join().unwrap().len(), 4 << 20);
}

#[test]
fn our_close_is_write_eof_and_we_can_still_read() {
    let server = std_listener();
    let addr = server.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap(); // returns only once we half-close
        s.write_all(&got).unwrap();
    });
    run(async {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"echo me").await.unwrap();
        s.close().await.unwrap();
        s.close().await.unwrap(); // twice is fine
        let mut back = Vec::new();
        s.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"echo me");
    });
    peer.join().unwrap();
}
