//! `seq 1 100000 | grep 7 | wc -l`, wired by the loop with pipes instead of a shell: each
//! child's stdout pipe becomes the next one's stdin, and the loop reads the last one.
//!
//! ```text
//! cargo run -p evloop --example pipeline
//! ```

use std::io;

use evloop::process::{Command, Stdio};

fn main() -> io::Result<()> {
    let count = evloop::run(async {
        let mut seq = Command::new("seq")
            .args(["1", "100000"])
            .stdout(Stdio::piped())
            .spawn()?;
        let mut grep = Command::new("grep")
            .arg("7")
            .stdin(Stdio::try_from(seq.stdout.take().expect("piped"))?)
            .stdout(Stdio::piped())
            .spawn()?;
        let mut wc = Command::new("wc")
            .arg("-l")
            .stdin(Stdio::try_from(grep.stdout.take().expect("piped"))?)
            .stdout(Stdio::piped())
            .spawn()?;
        let out = wc.communicate(b"").await?;
        for (name, child) in [("seq", &mut seq), ("grep", &mut grep)] {
            let status = child.wait().await?;
            if !status.success() {
                return Err(io::Error::other(format!("{name} failed: {status}")));
            }
        }
        io::Result::Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    })
    .map_err(io::Error::other)??;
    println!("seq 1 100000 | grep 7 | wc -l = {count}");
    Ok(())
}
