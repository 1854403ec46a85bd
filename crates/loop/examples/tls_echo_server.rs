//! A TLS echo server: every byte a client sends comes back, over TLS.
//!
//! ```text
//! cargo run --release -p evloop --example tls_echo_server -- 127.0.0.1:8443 --cert cert.pem --key key.pem
//! ```
//!
//! Prints `listening on ADDR` (the bound address, so port 0 works) once bound, serves many
//! connections at once, and runs until killed. A failed handshake ends that connection only.

use std::io;
use std::process::ExitCode;

use evloop::net::{TcpListener, TcpStream};
use evloop::tls::{TlsAcceptor, TlsStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const USAGE: &str = "usage: tls_echo_server ADDR --cert CERT.pem --key KEY.pem";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)).and_then(serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tls_echo_server: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Args {
    addr: String,
    cert: String,
    key: String,
}

fn parse(mut args: impl Iterator<Item = String>) -> io::Result<Args> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}\n{USAGE}"));
    let (mut addr, mut cert, mut key) = (None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cert" => cert = Some(args.next().ok_or_else(|| bad("--cert needs a file"))?),
            "--key" => key = Some(args.next().ok_or_else(|| bad("--key needs a file"))?),
            flag if flag.starts_with('-') => return Err(bad(&format!("unknown option {flag}"))),
            _ if addr.is_none() => addr = Some(arg),
            _ => return Err(bad(&format!("unexpected argument {arg}"))),
        }
    }
    Ok(Args {
        addr: addr.ok_or_else(|| bad("missing ADDR"))?,
        cert: cert.ok_or_else(|| bad("missing --cert"))?,
        key: key.ok_or_else(|| bad("missing --key"))?,
    })
}

fn serve(args: Args) -> io::Result<()> {
    let acceptor = TlsAcceptor::builder()
        .certificate_pem_files(&args.cert, &args.key)
        .build()?;
    let served = evloop::run(async move {
        let listener = TcpListener::bind(args.addr.as_str()).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (tcp, peer) = listener.accept().await?;
            let acceptor = acceptor.clone();
            evloop::spawn(async move {
                if let Err(e) = echo(&acceptor, tcp).await {
                    eprintln!("{peer}: {e}");
                }
            })
            .detach();
        }
    });
    served.map_err(|e| io::Error::other(e.to_string()))?
}

async fn echo(acceptor: &TlsAcceptor, tcp: TcpStream) -> io::Result<()> {
    let mut tls: TlsStream<TcpStream> = acceptor.accept(tcp).await?;
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = tls.read(&mut buf).await?;
        if n == 0 {
            // The client's close_notify: answer with ours and wait for nothing more.
            return tls.close().await;
        }
        tls.write_all(&buf[..n]).await?;
    }
}
