//! `chat_server ADDR`: every line a client sends goes to every other client.
//!
//! Prints `listening on ADDR`. Each client has a bounded outbox; a client too slow to keep up
//! misses lines rather than making the server buffer without bound.
//!
//! ```text
//! cargo run --release -p evloop --example chat_server -- 127.0.0.1:7001
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::process::ExitCode;
use std::rc::Rc;

use evloop::net::{ReadError, StreamReader, TcpListener, ToSocketAddrs};
use evloop::sync::Queue;
use futures_lite::{AsyncWriteExt, StreamExt};

const USAGE: &str = "usage: chat_server ADDR    (for example 127.0.0.1:7001)";
/// Lines a client may have waiting before it misses some.
const OUTBOX: usize = 256;
/// The longest line relayed; longer ones are dropped.
const MAX_LINE: usize = 4096;

type Outboxes = Rc<RefCell<HashMap<u64, Rc<Queue<Rc<[u8]>>>>>>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = match args.as_slice() {
        [addr] => match addr.to_address() {
            Ok(_) => addr.clone(),
            Err(e) => return usage(&e.to_string()),
        },
        _ => return usage("expected exactly one argument, ADDR"),
    };
    let served = evloop::run(async move {
        let listener = TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        serve_chat(listener).await
    });
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("chat_server: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("chat_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("chat_server: {msg}\n{USAGE}");
    ExitCode::from(2)
}

/// Relays lines between the clients of `listener`, forever.
pub(crate) async fn serve_chat(listener: TcpListener) -> io::Result<()> {
    let outboxes: Outboxes = Rc::default();
    let mut incoming = listener.incoming();
    let mut next_id = 0u64;
    while let Some(conn) = incoming.next().await {
        let conn = conn?;
        let id = next_id;
        next_id += 1;
        let outbox = Rc::new(Queue::new(OUTBOX));
        outboxes.borrow_mut().insert(id, outbox.clone());
        let outboxes = outboxes.clone();
        evloop::spawn_local(async move {
            let (r, mut w) = conn.into_split();
            let writer = evloop::spawn_local(async move {
                while let Ok(line) = outbox.get().await {
                    if w.write_all(&line).await.is_err() {
                        break;
                    }
                }
            });
            let mut r = StreamReader::with_limit(r, MAX_LINE);
            loop {
                match r.read_line().await {
                    Ok(line) => {
                        let line: Rc<[u8]> = line.into();
                        for (other, outbox) in outboxes.borrow().iter() {
                            if *other != id {
                                let _ = outbox.try_put(line.clone()); // full: that client misses it
                            }
                        }
                    }
                    Err(ReadError::LimitOverrun { consumed, .. }) => r.consume(consumed),
                    Err(_) => break,
                }
            }
            if let Some(outbox) = outboxes.borrow_mut().remove(&id) {
                outbox.shutdown(true);
            }
            drop(writer);
        })
        .detach();
    }
    Ok(())
}
