//! `run CMD [ARGS…]`: runs a child, streams its stdout and stderr line by line with `out:` /
//! `err:` prefixes, and exits with the child's exit code (128 + N if signal N killed it).
//!
//! ```text
//! cargo run -p evloop --example run -- sh -c 'echo hello; echo oops >&2; exit 3'
//! ```

use std::io;
use std::os::unix::process::ExitStatusExt;

use evloop::process::{Command, PipeReader, Stdio};
use futures_lite::io::BufReader;
use futures_lite::{AsyncBufReadExt, StreamExt};

/// Prints each line of `pipe` behind `prefix` until EOF.
async fn relay(prefix: &'static str, pipe: PipeReader) -> io::Result<()> {
    let mut lines = BufReader::new(pipe).lines();
    while let Some(line) = lines.next().await {
        println!("{prefix}: {}", line?);
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: run CMD [ARGS...]");
        std::process::exit(2);
    };
    let status = evloop::run(async move {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        // One task per stream, so lines show up as the child writes them, in either order.
        let out = evloop::spawn_local(relay("out", child.stdout.take().expect("piped")));
        let err = evloop::spawn_local(relay("err", child.stderr.take().expect("piped")));
        out.await.map_err(|e| io::Error::other(e.to_string()))??;
        err.await.map_err(|e| io::Error::other(e.to_string()))??;
        child.wait().await
    })
    .map_err(io::Error::other)??;
    let code = status
        .code()
        .or_else(|| status.signal().map(|n| 128 + n))
        .unwrap_or(1);
    std::process::exit(code);
}
