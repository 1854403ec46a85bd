//! `echo_server ADDR`: a TCP echo server on the stream API.
//!
//! Prints `listening on ADDR` with the bound address (so port 0 works), echoes every byte back
//! until the peer closes, serves many connections at once, and runs until SIGINT or SIGTERM.
//!
//! ```text
//! cargo run --release -p evloop --example echo_server -- 127.0.0.1:7000
//! ```

use std::io;
use std::process::ExitCode;

use evloop::net::{TcpListener, TcpStream, ToSocketAddrs};
use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};

const USAGE: &str =
    "usage: echo_server ADDR    (for example 127.0.0.1:7000; port 0 picks a free port)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = match parse_args(&args) {
        Ok(addr) => addr,
        Err(msg) => {
            eprintln!("echo_server: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match evloop::run(serve_streams(addr)) {
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

/// The address argument, checked (a malformed one is reported before anything starts).
pub(crate) fn parse_args(args: &[String]) -> Result<String, String> {
    match args {
        [addr] => {
            addr.to_address().map_err(|e| e.to_string())?;
            Ok(addr.clone())
        }
        [] => Err("missing ADDR".into()),
        _ => Err(format!("expected one argument, got {}", args.len())),
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
