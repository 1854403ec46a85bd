//! 1000 concurrent connections with both ends on the protocol API of one loop, and no
//! descriptor left behind once the server is closed and every connection lost.

mod proto;

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use loop_net::{Protocol, Transport, create_connection, create_server};
use proto::{run, until};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

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

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Echoes, and closes once the peer has half-closed and the echo is flushed.
#[derive(Default)]
struct Echo(Option<Transport>);

impl Protocol for Echo {
    fn connection_made(&mut self, t: Transport) {
        self.0 = Some(t);
    }
    fn data_received(&mut self, data: &[u8]) {
        self.0.as_ref().unwrap().write(data);
    }
}

/// Each finished connection: the message sent and what came back.
type Finished = Rc<RefCell<Vec<(String, Vec<u8>)>>>;

/// Sends its message, half-closes, and records what came back when the connection ends.
struct Client {
    msg: String,
    got: Vec<u8>,
    done: Finished,
}

impl Protocol for Client {
    fn connection_made(&mut self, t: Transport) {
        t.write(self.msg.as_bytes());
        t.write_eof().unwrap();
    }
    fn data_received(&mut self, data: &[u8]) {
        self.got.extend_from_slice(data);
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        assert!(error.is_none(), "{error:?}");
        let got = std::mem::take(&mut self.got);
        self.done.borrow_mut().push((self.msg.clone(), got));
    }
}

#[test]
fn a_thousand_concurrent_connections_and_no_descriptor_leak() {
    enough_descriptors();
    let done: Finished = Rc::default();
    let (leaked, _) = run(async {
        let before = open_fds();
        let server = create_server(Echo::default, "127.0.0.1:0").await.unwrap();
        let addr = server.sockets()[0].as_inet().unwrap();
        let next = Rc::new(Cell::new(0));
        let mut transports = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            let (done, next) = (done.clone(), next.clone());
            let (t, _) = create_connection(
                move || {
                    next.set(next.get() + 1);
                    Client {
                        msg: format!("connection {}", next.get()),
                        got: Vec::new(),
                        done: done.clone(),
                    }
                },
                addr,
            )
            .await
            .unwrap();
            transports.push(t);
        }
        until(|| done.borrow().len() == CONNS).await;
        server.close();
        server.wait_closed().await;
        drop(transports);
        drop(server);
        open_fds().saturating_sub(before)
    });
    let done = done.borrow();
    assert_eq!(done.len(), CONNS);
    for (msg, got) in done.iter() {
        assert_eq!(got, msg.as_bytes());
    }
    assert_eq!(leaked, 0, "descriptors left open");
}
