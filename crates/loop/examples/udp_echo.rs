//! `udp_echo ADDR`: sends every datagram back to its sender.
//!
//! Prints `listening on ADDR` with the bound address (port 0 works) and runs until stopped.
//!
//! ```text
//! cargo run --release -p evloop --example udp_echo -- 127.0.0.1:7002
//! ```

use std::io;
use std::process::ExitCode;

use evloop::net::{ToSocketAddrs, UdpSocket};

const USAGE: &str = "usage: udp_echo ADDR    (for example 127.0.0.1:7002)";

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
        let socket = UdpSocket::bind(addr).await?;
        println!("listening on {}", socket.local_addr()?);
        echo_datagrams(&socket).await
    });
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("udp_echo: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("udp_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("udp_echo: {msg}\n{USAGE}");
    ExitCode::from(2)
}

/// Echoes datagrams forever. A send that fails (the sender went away and an ICMP error came
/// back) loses that datagram only.
pub(crate) async fn echo_datagrams(socket: &UdpSocket) -> io::Result<()> {
    let mut buf = vec![0; 65536];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            // An earlier echo's ICMP refusal surfaces here; it concerns that peer only.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(e),
        };
        let _ = socket.send_to(&buf[..n], from).await;
    }
}
