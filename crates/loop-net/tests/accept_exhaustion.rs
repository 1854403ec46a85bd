//! The accept loop (`incoming`) out of descriptors: it backs off without spinning and resumes
//! when descriptors free up. Runs in a child process with a lowered RLIMIT_NOFILE.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use loop_net::{TcpListener, TcpStream};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

mod common;

use common::{in_subprocess, open_fds, run};

/// CPU time (user + system) the thread that opened `stat` has used, in clock ticks (10 ms).
/// The file is opened beforehand: there will be no descriptor to spare when measuring.
fn thread_cpu_ticks(stat: &mut std::fs::File) -> u64 {
    use std::io::{Read, Seek};
    stat.rewind().unwrap();
    let mut text = String::new();
    stat.read_to_string(&mut text).unwrap();
    let stat = text;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 of `rest`.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn incoming_survives_emfile_and_resumes_when_descriptors_free_up() {
    in_subprocess(
        "incoming_survives_emfile_and_resumes_when_descriptors_free_up",
        emfile_scenario,
    );
}

fn emfile_scenario() {
    const CLIENTS: usize = 12;
    const ROOM: usize = 3;
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // All clients connect first (they complete in the kernel's backlog), so that only the
        // server side needs descriptors from here on.
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut stat = std::fs::File::open("/proc/thread-self/stat").unwrap();
        let limit = getrlimit(Resource::Nofile);
        let room = (open_fds() + ROOM) as u64;
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(room),
                maximum: limit.maximum,
            },
        )
        .unwrap();

        let held = Rc::new(RefCell::new(Vec::new()));
        let accepted = Rc::new(Cell::new(0usize));
        let release = Rc::new(Cell::new(false));
        let acceptor = {
            let (held, accepted, release) = (held.clone(), accepted.clone(), release.clone());
            loop_core::spawn_local(async move {
                let mut incoming = listener.incoming();
                while accepted.get() < CLIENTS {
                    let conn = incoming.next().await.unwrap().unwrap();
                    accepted.set(accepted.get() + 1);
                    if !release.get() {
                        held.borrow_mut().push(conn);
                    }
                }
            })
        };
        while accepted.get() < ROOM {
            loop_core::sleep(Duration::from_millis(5)).await;
        }
        loop_core::sleep(Duration::from_millis(100)).await;
        let stuck_at = accepted.get();
        assert!(stuck_at < CLIENTS, "the descriptor limit did not bite");
        // Out of descriptors: the loop must wait, not spin, and not give up.
        let cpu_before = thread_cpu_ticks(&mut stat);
        loop_core::sleep(Duration::from_millis(500)).await;
        let cpu = thread_cpu_ticks(&mut stat) - cpu_before;
        assert_eq!(
            accepted.get(),
            stuck_at,
            "accepted beyond the descriptor limit?"
        );
        assert!(!acceptor.is_finished(), "the accept loop gave up");
        assert!(
            cpu < 25,
            "the accept loop spun: {cpu} ticks of CPU in 500 ms"
        );

        // Free the descriptors: the loop picks up every waiting connection.
        release.set(true);
        held.borrow_mut().clear();
        acceptor.await.unwrap();
        assert_eq!(accepted.get(), CLIENTS);
        setrlimit(Resource::Nofile, limit).unwrap();
    });
}

#[test]
fn a_connection_reset_before_accept_does_not_stop_incoming() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let doomed = std::net::TcpStream::connect(addr).unwrap();
        socket2::SockRef::from(&doomed)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(doomed); // reset while still in the backlog
        let _fine = std::net::TcpStream::connect(addr).unwrap();
        let mut incoming = listener.incoming();
        // The reset one may be handed out (Linux does) or skipped; the next one must arrive.
        let mut seen = 0;
        while seen < 2 {
            let conn = incoming.next().await.unwrap().unwrap();
            seen += 1;
            if conn
                .peer_addr()
                .is_ok_and(|p| p == _fine.local_addr().unwrap())
            {
                return;
            }
        }
        panic!("the healthy connection never came");
    });
}
