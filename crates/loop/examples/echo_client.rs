//! `echo_client ADDR --conns N --size BYTES --secs S`: a ping-pong load generator for an echo
//! server. Each of N connections sends BYTES, waits for them to come back, and repeats for S
//! seconds; then it prints requests per second and the p50/p99 round-trip latency.
//!
//! ```text
//! cargo run --release -p evloop --example echo_client -- 127.0.0.1:7000 --conns 10 --size 100 --secs 3
//! ```

use std::io;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use evloop::net::{TcpStream, ToSocketAddrs};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const USAGE: &str = "usage: echo_client ADDR --conns N --size BYTES --secs S";

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Load {
    pub(crate) addr: String,
    pub(crate) conns: usize,
    pub(crate) size: usize,
    pub(crate) secs: f64,
}

/// What came of it.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) requests: u64,
    pub(crate) elapsed: Duration,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let load = match parse_args(&args) {
        Ok(load) => load,
        Err(msg) => {
            eprintln!("echo_client: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match evloop::run(run_load(load)) {
        Ok(Ok(r)) => {
            let rps = r.requests as f64 / r.elapsed.as_secs_f64();
            println!(
                "{} requests in {:.2} s: {rps:.0} requests/s, latency p50 {} us, p99 {} us",
                r.requests,
                r.elapsed.as_secs_f64(),
                r.p50.as_micros(),
                r.p99.as_micros()
            );
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("echo_client: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("echo_client: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn parse_args(args: &[String]) -> Result<Load, String> {
    let (addr, flags) = args.split_first().ok_or("missing ADDR")?;
    addr.to_address().map_err(|e| e.to_string())?;
    let mut load = Load {
        addr: addr.clone(),
        conns: 1,
        size: 100,
        secs: 3.0,
    };
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        let value = flags
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = || format!("bad value {value:?} for {flag}");
        match flag.as_str() {
            "--conns" => load.conns = value.parse().map_err(|_| bad())?,
            "--size" => load.size = value.parse().map_err(|_| bad())?,
            "--secs" => load.secs = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown option {flag:?}")),
        }
    }
    if load.conns == 0 || load.size == 0 || !(load.secs > 0.0 && load.secs.is_finite()) {
        return Err("--conns, --size and --secs must be positive".into());
    }
    Ok(load)
}

/// Connects `conns` connections and ping-pongs on each until the time is up.
pub(crate) async fn run_load(load: Load) -> io::Result<Report> {
    let mut conns = Vec::with_capacity(load.conns);
    for _ in 0..load.conns {
        let conn = TcpStream::connect(load.addr.as_str()).await?;
        conn.set_nodelay(true)?;
        conns.push(conn);
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(load.secs);
    let size = load.size;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|conn| evloop::spawn(ping_pong(conn, size, deadline)))
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        let done = task.await.map_err(|e| io::Error::other(e.to_string()))?;
        latencies.extend(done?);
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).copied().unwrap_or_default()
    };
    Ok(Report {
        requests: latencies.len() as u64,
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
    })
}

async fn ping_pong(
    mut conn: TcpStream,
    size: usize,
    deadline: Instant,
) -> io::Result<Vec<Duration>> {
    let msg = vec![b'x'; size];
    let mut back = vec![0; size];
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let sent = Instant::now();
        conn.write_all(&msg).await?;
        conn.read_exact(&mut back).await?;
        latencies.push(sent.elapsed());
    }
    Ok(latencies)
}
