//! `echo_server ADDR [--protocol]`: a TCP echo server on the stream API, or with
//! `--protocol` on asyncio's transport/protocol API.
//!
//! Prints `listening on ADDR` with the bound address (so port 0 works), echoes every byte back
//! until the peer closes, serves many connections at once, and runs until SIGINT or SIGTERM,
//! which it catches to say so and exit 0.
//!
//! ```text
//! cargo run --release -p evloop --example echo_server -- 127.0.0.1:7000
//! cargo run --release -p evloop --example echo_server -- 127.0.0.1:7000 --protocol
//! ```

use std::io;
use std::process::ExitCode;

use evloop::net::{Protocol, Server, TcpListener, TcpStream, ToSocketAddrs, Transport};
use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};

const USAGE: &str = "usage: echo_server ADDR [--protocol]    (for example 127.0.0.1:7000; port 0 picks a free port)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (addr, protocol) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(msg) => {
            eprintln!("echo_server: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let served = evloop::run(async move {
        let serve = async move {
            if protocol {
                serve_protocol(addr).await
            } else {
                serve_streams(addr).await
            }
        };
        futures_lite::future::or(serve, until_stopped()).await
    });
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("echo_server: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("echo_server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Waits for SIGINT or SIGTERM (caught from here on, so they end the server cleanly).
async fn until_stopped() -> io::Result<()> {
    use evloop::process::{Signal, Signals};
    let (mut int, mut term) = (Signals::new(Signal::INT)?, Signals::new(Signal::TERM)?);
    let signal = futures_lite::future::or(int.recv(), term.recv()).await;
    eprintln!("echo_server: {signal:?}, shutting down");
    Ok(())
}

/// The address argument, checked (a malformed one is reported before anything starts), and
/// whether `--protocol` was given.
pub(crate) fn parse_args(args: &[String]) -> Result<(String, bool), String> {
    let protocol = args.iter().any(|a| a == "--protocol");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--protocol").collect();
    match rest[..] {
        [addr] => {
            addr.to_address().map_err(|e| e.to_string())?;
            Ok((addr.clone(), protocol))
        }
        [] => Err("missing ADDR".into()),
        _ => Err(format!("expected one address, got {}", rest.len())),
    }
}

/// Binds `addr`, prints `listening on ADDR`, and echoes on every connection, forever.
pub(crate) async fn serve_streams(addr: String) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    echo_forever(listener).await
}

/// Accepts connections and echoes on each in its own task; returns only on a fatal accept
/// error (`incoming` already rides out aborted connections and descriptor exhaustion).
pub(crate) async fn echo_forever(listener: TcpListener) -> io::Result<()> {
    let mut incoming = listener.incoming();
    while let Some(conn) = incoming.next().await {
        evloop::spawn(async move {
            // A connection's error ends that connection only.
            let _ = echo(conn?).await;
            io::Result::Ok(())
        })
        .detach();
    }
    Ok(())
}

async fn echo(mut conn: TcpStream) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n]).await?;
    }
}

/// The echo on the transport/protocol API: every chunk is written back from `data_received`
/// (one `send` straight from the read buffer, nothing copied when the socket takes it all).
#[derive(Default)]
pub(crate) struct EchoProtocol {
    transport: Option<Transport>,
}

impl Protocol for EchoProtocol {
    fn connection_made(&mut self, transport: Transport) {
        self.transport = Some(transport);
    }

    fn data_received(&mut self, data: &[u8]) {
        if let Some(t) = &self.transport {
            t.write(data);
        }
    }
}

/// Binds `addr`, prints `listening on ADDR`, and echoes with [`EchoProtocol`], forever.
pub(crate) async fn serve_protocol(addr: String) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    echo_protocol_forever(listener).await
}

/// Serves [`EchoProtocol`] on `listener` until the server is closed (never, here).
pub(crate) async fn echo_protocol_forever(listener: TcpListener) -> io::Result<()> {
    let server = Server::builder(EchoProtocol::default).serve_listener(listener)?;
    server.serve_forever().await
}
