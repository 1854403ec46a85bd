//! Section 12 of the tour: a subprocess round trip (`evloop::process`).

use std::io;

use evloop::EventLoop;
use evloop::process::{Command, Stdio};

pub(crate) fn tour(lp: &EventLoop) -> io::Result<()> {
    lp.block_on(async {
        // 12. Subprocesses: feed a child's stdin and read its stdout at the same time, then
        //     its exit status; a shell line is an explicit choice, never the default.
        let mut cat = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let echoed = cat.communicate(b"round trip").await?;
        let code = Command::shell("exit 3").status().await?.code();
        println!(
            "12. process: cat echoed {:?} ({}); `sh -c 'exit 3'` gave {:?}",
            String::from_utf8_lossy(&echoed.stdout),
            echoed.status,
            code
        );
        io::Result::Ok(())
    })
    .map_err(io::Error::other)?
}
