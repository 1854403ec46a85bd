//! Network echo benchmark: requests per second, server CPU time per request and syscalls per
//! request, evloop against tokio, smol and a hand-written epoll server.
//!
//! Every row is `echo_c<connections>_<message size>`; each implementation is a separate server
//! process (this same binary, re-executed with `EVLOOP_NET_BENCH_SERVER=<name>`), pinned to one
//! CPU, echoing every byte back. This process is the load client, identical for every server,
//! pinned to another CPU: one thread drives all connections through edge-triggered epoll, each
//! connection writing one message, reading the whole echo back, and writing the next (ping-pong).
//! One criterion iteration is one request, so criterion's throughput is requests per second.
//!
//! Servers (the benchmark ids under each row):
//! - `evloop`: evloop's stream API (`evloop::net::TcpListener` / `TcpStream`), a task per
//!   connection, on the default poller.
//! - `evloop-protocol`: evloop's transport/protocol API (`Server`, a `Protocol` whose
//!   `data_received` writes the bytes back), on the default poller.
//! - `evloop-epoll`: the stream server on loop-core's `EpollPoller` instead of the default.
//! - `evloop-async`: loop-core's `Async<std::net::TcpStream>` and its `AsyncRead` on
//!   `EpollPoller`: the loop with nothing between it and the socket.
//! - `tokio`: a `current_thread` runtime, `tokio::net`, a task per connection.
//! - `smol`: async-io's `Async` with async-executor's `LocalExecutor`, a task per connection.
//! - `epoll`: the floor, a minimal edge-triggered epoll loop (no runtime at all).
//!
//! Besides criterion's timing, each (row, server) gets two figures, printed and written to
//! `<criterion dir>/<row>/<server>/net.json` for `benches/ratios.py`:
//! - server CPU time per request: the server's CPU time over every request criterion ran
//!   against it, divided by their number. It is read from `/proc/PID/task/*/schedstat`
//!   (nanoseconds on CPU, user and system), falling back to utime + stime from
//!   `/proc/PID/stat` (10 ms ticks) where the kernel has no schedstat;
//! - syscalls per request: a separate short pass after the timing, counted by
//!   `perf stat -e raw_syscalls:sys_enter -p PID` (or `strace -c -f -p PID` when perf cannot
//!   count syscalls here); left out, and said so, when neither tool works.
//!
//! The client and server CPUs are the first two CPUs this process may run on; with only one,
//! nothing is pinned. Run it with `cargo bench --bench net && python3 benches/ratios.py`.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use rustix::buffer::spare_capacity;
use rustix::event::epoll;

/// The environment variable that turns this binary into one of the servers.
const SERVER_ENV: &str = "EVLOOP_NET_BENCH_SERVER";
/// Connection counts and message sizes: the rows are their product.
const CONNS: [usize; 3] = [1, 10, 100];
const SIZES: [(usize, &str); 3] = [(100, "100b"), (1024, "1k"), (64 * 1024, "64k")];
/// The servers, in the order they run (each row's ratio compares `evloop` to the others).
const SERVERS: [&str; 7] = [
    "evloop",
    "evloop-protocol",
    "evloop-epoll",
    "evloop-async",
    "tokio",
    "smol",
    "epoll",
];
/// How long the syscall-counting pass drives a server.
const SYSCALL_PASS: Duration = Duration::from_millis(300);
/// How long a counting tool gets to attach before the pass starts.
const TOOL_ATTACH: Duration = Duration::from_millis(250);
/// Every server reads into a buffer this large.
const SERVER_BUF: usize = 64 * 1024;

fn main() {
    if let Ok(name) = std::env::var(SERVER_ENV) {
        if let Err(e) = serve(&name) {
            eprintln!("net bench server {name}: {e}");
            std::process::exit(1);
        }
        return;
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .sample_size(10)
        .configure_from_args();
    let counter = SyscallCounter::detect();
    match counter {
        Some(counter) => println!("net: syscalls per request counted with {}", counter.name()),
        None => println!("net: neither perf nor strace can count syscalls here; column skipped"),
    }
    let (server_cpu, client_cpu) = cpus();
    pin(client_cpu);
    for conns in CONNS {
        for (size, size_name) in SIZES {
            let row = format!("echo_c{conns}_{size_name}");
            let mut group = criterion.benchmark_group(&row);
            group
                .throughput(Throughput::Elements(1))
                .sampling_mode(SamplingMode::Flat);
            for name in SERVERS {
                let mut run: Option<Run> = None;
                group.bench_function(name, |b| {
                    let run = run.get_or_insert_with(|| {
                        Run::start(name, server_cpu, conns, size).expect("start the echo run")
                    });
                    b.iter_custom(|iters| run.timed(iters));
                });
                if let Some(mut run) = run {
                    let syscalls = counter.and_then(|c| run.count_syscalls(c));
                    run.report(&row, name, syscalls, counter);
                }
            }
            group.finish();
        }
    }
    criterion.final_summary();
}

// ---------------------------------------------------------------------------------------------
// Processes, CPUs and where results go.

/// The CPUs for the server and for the client: the first two this process may use.
fn cpus() -> (Option<usize>, Option<usize>) {
    let Ok(set) = rustix::thread::sched_getaffinity(None) else {
        return (None, None);
    };
    let mut allowed = (0..rustix::thread::CpuSet::MAX_CPU).filter(|&cpu| set.is_set(cpu));
    match (allowed.next(), allowed.next()) {
        (Some(server), Some(client)) => (Some(server), Some(client)),
        _ => (None, None),
    }
}

fn pin(cpu: Option<usize>) {
    if let Some(cpu) = cpu {
        let mut set = rustix::thread::CpuSet::new();
        set.set(cpu);
        if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
            eprintln!("net: could not pin to CPU {cpu}: {e}");
        }
    }
}

/// criterion's output directory, where `ratios.py` looks.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // This binary is <target>/<profile>/deps/net-<hash>.
    let exe = std::env::current_exe().expect("the bench binary's path");
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("criterion")
}

/// A server process, killed (by its pid) and reaped on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn spawn(name: &str, cpu: Option<usize>) -> io::Result<Server> {
        let mut command = Command::new(std::env::current_exe()?);
        command
            .env(SERVER_ENV, name)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(cpu) = cpu {
            command.env("EVLOOP_NET_BENCH_CPU", cpu.to_string());
        }
        let mut child = command.spawn()?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line.trim().parse().map_err(|_| {
            let _ = child.kill();
            let _ = child.wait();
            io::Error::other(format!("server {name} printed {line:?}, not its address"))
        })?;
        Ok(Server { child, addr })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the server process has used so far, in nanoseconds: the sum of its threads'
    /// on-CPU time from `/proc/PID/task/*/schedstat` (nanosecond resolution), or, where the
    /// kernel has no schedstat, utime + stime from `/proc/PID/stat` (clock ticks).
    fn cpu_ns(&self) -> u64 {
        self.schedstat_ns().unwrap_or_else(|| self.stat_ns())
    }

    fn schedstat_ns(&self) -> Option<u64> {
        let mut total = 0;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid())).ok()? {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(total)
    }

    fn stat_ns(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("read the server's /proc/PID/stat");
        // The fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields[11].parse().expect("utime");
        let stime: u64 = fields[12].parse().expect("stime");
        (utime + stime) * 1_000_000_000 / rustix::param::clock_ticks_per_second()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// One (row, server) run: the server, the client's connections, and the CPU time they used.

struct Run {
    server: Server,
    load: Load,
    requests: u64,
    cpu_ns: u64,
    elapsed: Duration,
}

impl Run {
    fn start(name: &str, cpu: Option<usize>, conns: usize, size: usize) -> io::Result<Run> {
        let server = Server::spawn(name, cpu)?;
        let load = Load::connect(server.addr, conns, size)?;
        Ok(Run {
            server,
            load,
            requests: 0,
            cpu_ns: 0,
            elapsed: Duration::ZERO,
        })
    }

    fn timed(&mut self, iters: u64) -> Duration {
        let before = self.server.cpu_ns();
        let took = self.load.run(iters).expect("echo load");
        self.cpu_ns += self.server.cpu_ns() - before;
        self.requests += iters;
        self.elapsed += took;
        took
    }

    /// A separate pass under a syscall counter, sized from the measured rate.
    fn count_syscalls(&mut self, counter: SyscallCounter) -> Option<f64> {
        let rate = self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9);
        let requests = ((rate * SYSCALL_PASS.as_secs_f64()) as u64).max(200);
        let tool = counter.attach(self.server.pid())?;
        std::thread::sleep(TOOL_ATTACH);
        self.load.run(requests).ok()?;
        let count = tool.finish()?;
        Some(count as f64 / requests as f64)
    }

    fn report(
        &self,
        row: &str,
        name: &str,
        syscalls: Option<f64>,
        counter: Option<SyscallCounter>,
    ) {
        let cpu_ns = self.cpu_ns as f64 / self.requests as f64;
        let syscall_text = syscalls.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}"));
        println!(
            "{row}/{name}: server CPU {:.2} µs/request, {syscall_text} syscalls/request \
             ({} requests)",
            cpu_ns / 1e3,
            self.requests
        );
        let mut json = String::from("{");
        let _ = write!(json, "\"requests\": {}, ", self.requests);
        let _ = write!(json, "\"cpu_ns_per_request\": {cpu_ns:.1}, ");
        match syscalls {
            Some(s) => {
                let _ = write!(json, "\"syscalls_per_request\": {s:.3}, ");
            }
            None => json.push_str("\"syscalls_per_request\": null, "),
        }
        match counter.filter(|_| syscalls.is_some()) {
            Some(c) => {
                let _ = write!(json, "\"syscall_counter\": \"{}\"", c.name());
            }
            None => json.push_str("\"syscall_counter\": null"),
        }
        json.push_str("}\n");
        let dir = criterion_dir().join(row).join(name);
        if let Err(e) = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("net.json"), json.as_bytes()))
        {
            eprintln!("net: could not write {}: {e}", dir.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Counting a server's syscalls.

#[derive(Debug, Clone, Copy)]
enum SyscallCounter {
    Perf,
    Strace,
}

/// A counting tool attached to the server.
struct Attached {
    child: Child,
    counter: SyscallCounter,
}

impl SyscallCounter {
    fn name(self) -> &'static str {
        match self {
            SyscallCounter::Perf => "perf stat -e raw_syscalls:sys_enter",
            SyscallCounter::Strace => "strace -c -f",
        }
    }

    /// The first tool that counts the syscalls of a short-lived child of ours.
    fn detect() -> Option<SyscallCounter> {
        [SyscallCounter::Perf, SyscallCounter::Strace]
            .into_iter()
            .find(|&counter| counter.works())
    }

    fn works(self) -> bool {
        let Ok(mut probe) = Command::new("sleep").arg("2").stdout(Stdio::null()).spawn() else {
            return false;
        };
        let counted = self.attach(probe.id()).and_then(|tool| {
            std::thread::sleep(TOOL_ATTACH);
            tool.finish()
        });
        let _ = probe.kill();
        let _ = probe.wait();
        counted.is_some()
    }

    fn attach(self, pid: u32) -> Option<Attached> {
        let pid = pid.to_string();
        let mut command = match self {
            SyscallCounter::Perf => {
                let mut c = Command::new("perf");
                c.args(["stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", &pid]);
                c
            }
            SyscallCounter::Strace => {
                let mut c = Command::new("strace");
                c.args(["-c", "-f", "-q", "-p", &pid]);
                c
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        Some(Attached {
            child,
            counter: self,
        })
    }
}

impl Attached {
    /// Stops the tool (SIGINT, as at a terminal) and reads its count.
    fn finish(mut self) -> Option<u64> {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::INT).ok()?;
        let mut report = String::new();
        self.child
            .stderr
            .take()
            .expect("piped stderr")
            .read_to_string(&mut report)
            .ok()?;
        self.child.wait().ok()?;
        match self.counter {
            // `<count>,<unit>,raw_syscalls:sys_enter,...`; `<not counted>` when the process
            // made no syscall at all while perf watched.
            SyscallCounter::Perf => {
                let line = report
                    .lines()
                    .find(|line| line.contains("raw_syscalls:sys_enter"))?;
                match line.split(',').next()?.trim() {
                    "<not counted>" => Some(0),
                    count => count.parse().ok(),
                }
            }
            // The table's last line: `100.00  <seconds>  <usecs/call>  <calls>  [errors]  total`.
            SyscallCounter::Strace => {
                let total = report
                    .lines()
                    .rev()
                    .find(|l| l.trim_end().ends_with("total"))?;
                let fields: Vec<&str> = total.split_whitespace().collect();
                fields.get(3)?.parse().ok()
            }
        }
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The load client: `conns` ping-pong connections on one edge-triggered epoll.

struct Conn {
    stream: TcpStream,
    /// Bytes of the current request written, and of its echo read.
    written: usize,
    read: usize,
    busy: bool,
}

struct Load {
    epoll: rustix::fd::OwnedFd,
    conns: Vec<Conn>,
    message: Vec<u8>,
    scratch: Vec<u8>,
    events: Vec<epoll::Event>,
}

impl Load {
    fn connect(addr: SocketAddr, conns: usize, size: usize) -> io::Result<Load> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let mut list = Vec::with_capacity(conns);
        for key in 0..conns {
            let stream = TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            epoll::add(
                &epoll,
                &stream,
                epoll::EventData::new_u64(key as u64),
                epoll::EventFlags::IN | epoll::EventFlags::OUT | epoll::EventFlags::ET,
            )?;
            list.push(Conn {
                stream,
                written: 0,
                read: 0,
                busy: false,
            });
        }
        let mut load = Load {
            epoll,
            conns: list,
            message: (0..size).map(|i| (i % 251) as u8).collect(),
            scratch: vec![0; size],
            events: Vec::with_capacity(conns.max(16)),
        };
        // One checked round trip per connection before anything is timed.
        load.run(conns as u64)?;
        load.check_echo()?;
        Ok(load)
    }

    /// A last request on the first connection, its echo compared byte for byte.
    fn check_echo(&mut self) -> io::Result<()> {
        let conn = &mut self.conns[0];
        conn.stream.set_nonblocking(false)?;
        (&conn.stream).write_all(&self.message)?;
        (&conn.stream).read_exact(&mut self.scratch)?;
        conn.stream.set_nonblocking(true)?;
        if self.scratch != self.message {
            return Err(io::Error::other(
                "the server's echo differs from the request",
            ));
        }
        Ok(())
    }

    /// Runs `requests` requests across the connections; the time they took.
    fn run(&mut self, requests: u64) -> io::Result<Duration> {
        let start = Instant::now();
        let mut count = Count {
            requests,
            issued: 0,
            done: 0,
        };
        for key in 0..self.conns.len() {
            if count.issued == requests {
                break;
            }
            count.issued += 1;
            self.conns[key].begin();
            self.drive(key, &mut count)?;
        }
        while count.done < requests {
            self.events.clear();
            epoll::wait(&self.epoll, spare_capacity(&mut self.events), None)?;
            for i in 0..self.events.len() {
                let key = self.events[i].data.u64() as usize;
                if self.conns[key].busy {
                    self.drive(key, &mut count)?;
                }
            }
        }
        Ok(start.elapsed())
    }

    /// Moves connection `key` on as far as it goes without blocking, starting its next request
    /// each time an echo completes while requests are left to issue.
    fn drive(&mut self, key: usize, count: &mut Count) -> io::Result<()> {
        let conn = &mut self.conns[key];
        while conn.advance(&self.message, &mut self.scratch)? {
            count.done += 1;
            conn.busy = false;
            if count.issued == count.requests {
                break;
            }
            count.issued += 1;
            conn.begin();
        }
        Ok(())
    }
}

/// Requests of one `Load::run`: how many to run, started so far, and finished.
struct Count {
    requests: u64,
    issued: u64,
    done: u64,
}

impl Conn {
    fn begin(&mut self) {
        self.busy = true;
        self.written = 0;
        self.read = 0;
    }

    /// Writes what is left of the request and reads what has come of its echo, each until it
    /// would block; `true` once the whole echo has arrived. A read asks for exactly the bytes
    /// still due, so a short read means the socket is drained and the next edge will tell.
    fn advance(&mut self, message: &[u8], scratch: &mut [u8]) -> io::Result<bool> {
        while self.written < message.len() {
            match (&self.stream).write(&message[self.written..]) {
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        while self.read < self.written {
            let want = message.len() - self.read;
            match (&self.stream).read(&mut scratch[..want]) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    self.read += n;
                    if n < want {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(self.read == message.len())
    }
}

// ---------------------------------------------------------------------------------------------
// The servers.

fn serve(name: &str) -> io::Result<()> {
    // Exit with the client, however it ends.
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
    if let Some(cpu) = std::env::var("EVLOOP_NET_BENCH_CPU")
        .ok()
        .and_then(|c| c.parse().ok())
    {
        pin(Some(cpu));
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let announce = move || {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{addr}");
        let _ = out.flush();
    };
    match name {
        "evloop" => evloop_server(evloop_loop(false)?, listener, announce),
        "evloop-epoll" => evloop_server(evloop_loop(true)?, listener, announce),
        "evloop-protocol" => evloop_protocol_server(evloop_loop(false)?, listener, announce),
        "evloop-async" => evloop_async_server(evloop_loop(true)?, listener, announce),
        "tokio" => tokio_server(listener, announce),
        "smol" => smol_server(listener, announce),
        "epoll" => epoll_server(listener, announce),
        other => Err(io::Error::other(format!("unknown server {other:?}"))),
    }
}

fn evloop_loop(epoll: bool) -> io::Result<evloop::core::EventLoop> {
    if epoll {
        let poller = evloop::core::EpollPoller::new()?;
        evloop::core::EventLoop::builder().poller(poller).build()
    } else {
        evloop::core::EventLoop::new()
    }
}

/// evloop's stream API: `TcpListener::accept`, a task per connection, `read` / `write_all`.
fn evloop_server(
    lp: evloop::core::EventLoop,
    listener: TcpListener,
    announce: impl FnOnce(),
) -> io::Result<()> {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    async fn echo(mut stream: evloop::net::TcpStream) -> io::Result<()> {
        let mut buf = vec![0; SERVER_BUF];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    }

    lp.block_on(async {
        let listener = evloop::net::TcpListener::from_std(listener)?;
        announce();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            lp.spawn_local(echo(stream)).detach();
        }
    })
    .map_err(io::Error::other)?
}

/// loop-core alone: `Async<TcpListener>` / `Async<TcpStream>`, a task per connection.
fn evloop_async_server(
    lp: evloop::core::EventLoop,
    listener: TcpListener,
    announce: impl FnOnce(),
) -> io::Result<()> {
    use evloop::core::Async;
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    async fn echo(stream: Async<TcpStream>) -> io::Result<()> {
        let mut buf = vec![0; SERVER_BUF];
        loop {
            let n = (&stream).read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            (&stream).write_all(&buf[..n]).await?;
        }
    }

    lp.block_on(async {
        let listener = Async::new(listener)?;
        announce();
        loop {
            let (stream, _) = listener.read_with(|l| l.accept()).await?;
            stream.set_nodelay(true)?;
            lp.spawn_local(echo(Async::new(stream)?)).detach();
        }
    })
    .map_err(io::Error::other)?
}

/// evloop's transport/protocol API: `data_received` writes the bytes straight back.
fn evloop_protocol_server(
    lp: evloop::core::EventLoop,
    listener: TcpListener,
    announce: impl FnOnce(),
) -> io::Result<()> {
    use evloop::net::{Protocol, Server, Transport};

    #[derive(Default)]
    struct Echo(Option<Transport>);

    impl Protocol for Echo {
        fn connection_made(&mut self, transport: Transport) {
            self.0 = Some(transport);
        }

        fn data_received(&mut self, data: &[u8]) {
            if let Some(transport) = &self.0 {
                transport.write(data);
            }
        }
    }

    lp.block_on(async {
        let listener = evloop::net::TcpListener::from_std(listener)?;
        let server = Server::builder(Echo::default).serve_listener(listener)?;
        announce();
        server.serve_forever().await
    })
    .map_err(io::Error::other)?
}

fn tokio_server(listener: TcpListener, announce: impl FnOnce()) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn echo(mut stream: tokio::net::TcpStream) -> io::Result<()> {
        let mut buf = vec![0; SERVER_BUF];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n]).await?;
        }
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        announce();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(echo(stream));
        }
    })
}

fn smol_server(listener: TcpListener, announce: impl FnOnce()) -> io::Result<()> {
    use async_io::Async;
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    async fn echo(stream: Async<TcpStream>) -> io::Result<()> {
        let mut buf = vec![0; SERVER_BUF];
        loop {
            let n = (&stream).read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            (&stream).write_all(&buf[..n]).await?;
        }
    }

    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = Async::new(listener)?;
        announce();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.get_ref().set_nodelay(true)?;
            ex.spawn(echo(stream)).detach();
        }
    }))
}

/// The floor: one thread, edge-triggered epoll, no runtime. A connection reads until a short
/// read or `WouldBlock` and writes back what it read; a write the socket cannot take whole is
/// finished when the socket reports writable, and reading waits for it.
fn epoll_server(listener: TcpListener, announce: impl FnOnce()) -> io::Result<()> {
    struct Conn {
        stream: TcpStream,
        pending: Vec<u8>,
    }

    /// Echoes what `conn` has; `Ok(false)` once the peer has closed.
    fn pump(conn: &mut Conn, buf: &mut [u8]) -> io::Result<bool> {
        loop {
            while !conn.pending.is_empty() {
                match (&conn.stream).write(&conn.pending) {
                    Ok(n) => {
                        conn.pending.drain(..n);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                    Err(e) => return Err(e),
                }
            }
            let n = match (&conn.stream).read(buf) {
                Ok(0) => return Ok(false),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(e) => return Err(e),
            };
            let mut sent = 0;
            while sent < n {
                match (&conn.stream).write(&buf[sent..n]) {
                    Ok(k) => sent += k,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        conn.pending.extend_from_slice(&buf[sent..n]);
                        return Ok(true);
                    }
                    Err(e) => return Err(e),
                }
            }
            if n < buf.len() {
                return Ok(true); // a short read: drained, the next edge says when there is more
            }
        }
    }

    const LISTENER: u64 = u64::MAX;
    listener.set_nonblocking(true)?;
    let ep = epoll::create(epoll::CreateFlags::CLOEXEC)?;
    epoll::add(
        &ep,
        &listener,
        epoll::EventData::new_u64(LISTENER),
        epoll::EventFlags::IN | epoll::EventFlags::ET,
    )?;
    announce();
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut buf = vec![0; SERVER_BUF];
    let mut events = Vec::with_capacity(256);
    loop {
        events.clear();
        epoll::wait(&ep, spare_capacity(&mut events), None)?;
        for event in &events {
            let key = event.data.u64();
            if key == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nodelay(true)?;
                            stream.set_nonblocking(true)?;
                            let slot =
                                conns.iter().position(Option::is_none).unwrap_or_else(|| {
                                    conns.push(None);
                                    conns.len() - 1
                                });
                            epoll::add(
                                &ep,
                                stream.as_fd(),
                                epoll::EventData::new_u64(slot as u64),
                                epoll::EventFlags::IN
                                    | epoll::EventFlags::OUT
                                    | epoll::EventFlags::RDHUP
                                    | epoll::EventFlags::ET,
                            )?;
                            conns[slot] = Some(Conn {
                                stream,
                                pending: Vec::new(),
                            });
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let slot = key as usize;
            let Some(conn) = conns[slot].as_mut() else {
                continue;
            };
            if !matches!(pump(conn, &mut buf), Ok(true)) {
                let conn = conns[slot].take().expect("open connection");
                epoll::delete(&ep, &conn.stream)?;
            }
        }
    }
}
