//! A TLS client: connects, verifies the server, prints the session, sends standard input and
//! prints what comes back.
//!
//! ```text
//! echo hello | cargo run --release -p evloop --example tls_client -- localhost:8443 --ca ca.pem
//! ```
//!
//! Without `--ca` the system's trusted roots are used; with it, only that file's. The session
//! details go to standard error, the server's bytes to standard output. After standard input
//! ends, the client sends close_notify and prints the rest of the server's reply.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use evloop::net::TcpStream;
use evloop::tls::TlsConnector;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const USAGE: &str = "usage: tls_client HOST:PORT [--ca CA.pem] [--alpn PROTO]";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)).and_then(talk) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tls_client: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Args {
    addr: String,
    host: String,
    ca: Option<String>,
    alpn: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> io::Result<Args> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}\n{USAGE}"));
    let (mut addr, mut ca, mut alpn) = (None, None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ca" => ca = Some(args.next().ok_or_else(|| bad("--ca needs a file"))?),
            "--alpn" => alpn.push(args.next().ok_or_else(|| bad("--alpn needs a protocol"))?),
            flag if flag.starts_with('-') => return Err(bad(&format!("unknown option {flag}"))),
            _ if addr.is_none() => addr = Some(arg),
            _ => return Err(bad(&format!("unexpected argument {arg}"))),
        }
    }
    let addr = addr.ok_or_else(|| bad("missing HOST:PORT"))?;
    let (host, _port) = addr
        .rsplit_once(':')
        .ok_or_else(|| bad("HOST:PORT needs a port"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    Ok(Args {
        addr,
        host,
        ca,
        alpn,
    })
}

fn talk(args: Args) -> io::Result<()> {
    let mut builder = TlsConnector::builder().alpn_protocols(&args.alpn);
    if let Some(ca) = &args.ca {
        builder = builder.system_roots(false).add_root_pem_file(ca);
    }
    let connector = builder.build()?;
    let ran = evloop::run(async move {
        let tcp = TcpStream::connect(args.addr.as_str()).await?;
        let mut tls = connector.connect(&args.host, tcp).await?;
        eprintln!("connected to {} ({})", args.addr, args.host);
        eprintln!("  protocol:    {:?}", tls.protocol_version().unwrap());
        eprintln!("  cipher:      {:?}", tls.cipher_suite().unwrap().suite());
        let alpn = tls.alpn_protocol().map(String::from_utf8_lossy);
        eprintln!("  alpn:        {}", alpn.as_deref().unwrap_or("(none)"));
        eprintln!(
            "  sni:         {}",
            tls.sni_hostname().unwrap_or("(none: an address)")
        );
        let chain = tls.peer_certificates().unwrap_or_default();
        eprintln!("  certificates: {} in the server's chain", chain.len());

        let input = evloop::unblock(|| {
            let mut input = Vec::new();
            io::stdin().read_to_end(&mut input).map(|_| input)
        })
        .await?;
        tls.write_all(&input).await?;
        tls.close().await?; // close_notify: we are done sending
        let mut reply = Vec::new();
        tls.read_to_end(&mut reply).await?;
        io::stdout().write_all(&reply)?;
        io::Result::Ok(())
    });
    ran.map_err(|e| io::Error::other(e.to_string()))?
}
