//! Process benchmarks: evloop's `loop-process` against tokio::process and async-process, and
//! a bare loop with no runtime, in one run.
//!
//! Rows (benchmark ids `<row>/<impl>`):
//!
//! - `spawn_wait_true`: spawn `/bin/true` with inherited stdio, wait for its exit.
//! - `cat_round_trip`: spawn `/bin/cat` with stdin and stdout piped, write one line, read it
//!   back, close stdin, wait for the exit.
//!
//! Implementations:
//!
//! - `evloop`: one `EventLoop`, `block_on` per iteration; exits seen through a pidfd in the
//!   loop's poller.
//! - `tokio`: a current-thread runtime (`enable_all`), `block_on` per iteration; tokio also
//!   watches a pidfd.
//! - `async-process`: `async_io::block_on` per iteration.
//! - `bare`: `std::process::Command` + blocking `wait()`, no runtime: the same `posix_spawn`
//!   (glibc: `clone(CLONE_VM | CLONE_VFORK)` + `execve`) and a blocking `wait4`, plus blocking
//!   `write`/`read` for the pipe row. This is the floor; the runtimes add a pidfd, its
//!   registration, and non-blocking pipe I/O through their reactors.
//!
//! Before the criterion groups, an interleaved pass times all four round-robin (300 rounds)
//! and prints each median with the ratios evloop / best peer and evloop / bare: the figures
//! to trust on a busy machine, where load drifts between back-to-back criterion groups.
//!
//! Spawning costs about 0.5..0.9 ms here (limits.md), so each row takes few samples; the whole
//! run stays well under three minutes. Each workload's result is checked once before timing.
//! `python3 benches/ratios.py` does not know these rows yet; the README's loop-process section
//! shows how the table was computed.

use std::hint::black_box;
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

const TRUE: &str = "/bin/true";
const CAT: &str = "/bin/cat";
const LINE: &[u8] = b"one line through cat\n";

fn evloop_true(lp: &evloop::EventLoop) -> bool {
    lp.block_on(async {
        let status = evloop::process::Command::new(TRUE).status().await.unwrap();
        status.success()
    })
    .unwrap()
}

fn evloop_cat(lp: &evloop::EventLoop) -> Vec<u8> {
    use evloop::process::{Command, Stdio};
    use futures_lite::{AsyncBufReadExt, AsyncWriteExt};
    lp.block_on(async {
        let mut child = Command::new(CAT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(LINE).await.unwrap();
        let mut out = futures_lite::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = Vec::new();
        out.read_until(b'\n', &mut line).await.unwrap();
        drop(stdin);
        assert!(child.wait().await.unwrap().success());
        line
    })
    .unwrap()
}

fn tokio_true(rt: &tokio::runtime::Runtime) -> bool {
    rt.block_on(async {
        let status = tokio::process::Command::new(TRUE).status().await.unwrap();
        status.success()
    })
}

fn tokio_cat(rt: &tokio::runtime::Runtime) -> Vec<u8> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    rt.block_on(async {
        let mut child = tokio::process::Command::new(CAT)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(LINE).await.unwrap();
        let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = Vec::new();
        out.read_until(b'\n', &mut line).await.unwrap();
        drop(stdin);
        assert!(child.wait().await.unwrap().success());
        line
    })
}

fn async_process_true() -> bool {
    async_io::block_on(async {
        let status = async_process::Command::new(TRUE).status().await.unwrap();
        status.success()
    })
}

fn async_process_cat() -> Vec<u8> {
    use futures_lite::{AsyncBufReadExt, AsyncWriteExt};
    async_io::block_on(async {
        let mut child = async_process::Command::new(CAT)
            .stdin(async_process::Stdio::piped())
            .stdout(async_process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(LINE).await.unwrap();
        let mut out = futures_lite::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = Vec::new();
        out.read_until(b'\n', &mut line).await.unwrap();
        drop(stdin);
        assert!(child.status().await.unwrap().success());
        line
    })
}

fn bare_true() -> bool {
    let mut child = std::process::Command::new(TRUE).spawn().unwrap();
    child.wait().unwrap().success()
}

fn bare_cat() -> Vec<u8> {
    let mut child = std::process::Command::new(CAT)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(LINE).unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = Vec::new();
    out.read_until(b'\n', &mut line).unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    line
}

/// Times the implementations round-robin, one call each per round (the first one rotating),
/// and prints each one's median: on a loaded machine the load then falls on all of them
/// alike, which back-to-back criterion groups cannot promise.
fn interleaved(row: &str, impls: &mut [(&str, &mut dyn FnMut())]) {
    const ROUNDS: usize = 300;
    let mut times = vec![Vec::with_capacity(ROUNDS); impls.len()];
    for round in 0..ROUNDS {
        for k in 0..impls.len() {
            let i = (round + k) % impls.len();
            let start = Instant::now();
            (impls[i].1)();
            times[i].push(start.elapsed());
        }
    }
    let medians: Vec<Duration> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect();
    let line: Vec<String> = impls
        .iter()
        .zip(&medians)
        .map(|((name, _), m)| format!("{name} {:.0} µs", m.as_secs_f64() * 1e6))
        .collect();
    let ratio = |i: usize, j: usize| medians[i].as_secs_f64() / medians[j].as_secs_f64();
    let best_peer = (1..impls.len() - 1)
        .min_by_key(|&i| medians[i])
        .expect("peers");
    println!(
        "interleaved {row}: {}; evloop / best peer ({}) {:.2}; evloop / bare {:.2}",
        line.join(", "),
        impls[best_peer].0,
        ratio(0, best_peer),
        ratio(0, impls.len() - 1)
    );
}

fn process(c: &mut Criterion) {
    let lp = evloop::EventLoop::new().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    assert!(evloop_true(&lp) && tokio_true(&rt) && async_process_true() && bare_true());
    for line in [
        evloop_cat(&lp),
        tokio_cat(&rt),
        async_process_cat(),
        bare_cat(),
    ] {
        assert_eq!(line, LINE);
    }

    interleaved(
        "spawn_wait_true",
        &mut [
            ("evloop", &mut || assert!(evloop_true(&lp))),
            ("tokio", &mut || assert!(tokio_true(&rt))),
            ("async-process", &mut || assert!(async_process_true())),
            ("bare", &mut || assert!(bare_true())),
        ],
    );
    interleaved(
        "cat_round_trip",
        &mut [
            ("evloop", &mut || assert_eq!(evloop_cat(&lp), LINE)),
            ("tokio", &mut || assert_eq!(tokio_cat(&rt), LINE)),
            ("async-process", &mut || {
                assert_eq!(async_process_cat(), LINE)
            }),
            ("bare", &mut || assert_eq!(bare_cat(), LINE)),
        ],
    );

    let mut group = c.benchmark_group("spawn_wait_true");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("evloop", |b| b.iter(|| black_box(evloop_true(&lp))));
    group.bench_function("tokio", |b| b.iter(|| black_box(tokio_true(&rt))));
    group.bench_function("async-process", |b| {
        b.iter(|| black_box(async_process_true()))
    });
    group.bench_function("bare", |b| b.iter(|| black_box(bare_true())));
    group.finish();

    let mut group = c.benchmark_group("cat_round_trip");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("evloop", |b| b.iter(|| black_box(evloop_cat(&lp))));
    group.bench_function("tokio", |b| b.iter(|| black_box(tokio_cat(&rt))));
    group.bench_function("async-process", |b| {
        b.iter(|| black_box(async_process_cat()))
    });
    group.bench_function("bare", |b| b.iter(|| black_box(bare_cat())));
    group.finish();
}

criterion_group!(benches, process);
criterion_main!(benches);
