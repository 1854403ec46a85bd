//! 1000 concurrent connections on one loop: both ends of each are tasks on the same loop,
//! all open at once, each echoing a message that identifies it.

use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use loop_net::{TcpListener, TcpStream};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

mod common;

use common::run;

const CONNS: usize = 1000;

/// Raises the soft descriptor limit so that both ends of every connection fit.
fn enough_descriptors() {
    let want = (2 * CONNS + 200) as u64;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|soft| soft < want) {
        let raised = limit.maximum.map_or(want, |hard| hard.min(want));
        assert!(raised >= want, "the hard descriptor limit is below {want}");
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            },
        )
        .unwrap();
    }
}

#[test]
fn a_thousand_concurrent_connections_on_one_loop() {
    enough_descriptors();
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = loop_core::spawn(async move {
            let mut handlers = Vec::with_capacity(CONNS);
            let mut incoming = listener.incoming();
            while handlers.len() < CONNS {
                let mut conn = incoming.next().await.unwrap().unwrap();
                handlers.push(loop_core::spawn(async move {
                    let mut buf = Vec::new();
                    conn.read_to_end(&mut buf).await.unwrap();
                    conn.write_all(&buf).await.unwrap();
                }));
            }
            for h in handlers {
                h.await.unwrap();
            }
        });
        // Connect all first, so every connection is open at the same time.
        let mut clients = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let talkers: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                loop_core::spawn(async move {
                    let msg = format!("connection {i}");
                    c.write_all(msg.as_bytes()).await.unwrap();
                    c.close().await.unwrap();
                    let mut back = String::new();
                    c.read_to_string(&mut back).await.unwrap();
                    assert_eq!(back, msg);
                })
            })
            .collect();
        for t in talkers {
            t.await.unwrap();
        }
        server.await.unwrap();
    });
}
