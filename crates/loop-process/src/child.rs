//! [`Child`]: a running (or finished) child process, its pipes, its exit.

use std::fmt;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll, Waker, ready};

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use rustix::process::Pid;

use crate::pipe::{PipeReader, PipeWriter};
use crate::reap::{Watch, reap_in_background, try_reap};
use crate::signal::Signal;

/// The parent's end of a child's stdin.
pub type ChildStdin = PipeWriter;
/// The parent's end of a child's stdout.
pub type ChildStdout = PipeReader;
/// The parent's end of a child's stderr.
pub type ChildStderr = PipeReader;

/// A child process started by [`Command::spawn`](crate::Command::spawn).
///
/// Its piped streams are the public fields; take them to use them on their own (writing to
/// `stdin` after the child exited fails with `BrokenPipe`; the parent is not killed).
///
/// Dropping a `Child` never leaves a zombie: if it is still running it is killed first when
/// [`kill_on_drop`](crate::Command::kill_on_drop) was set, and reaped in the background once
/// it exits.
///
/// # Examples
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use loop_process::{Command, Stdio};
///
/// loop_core::run(async {
///     let mut child = Command::new("cat")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"some data").await?;
///     drop(stdin); // EOF for cat
///     let mut echoed = Vec::new();
///     child.stdout.as_mut().unwrap().read_to_end(&mut echoed).await?;
///     assert!(child.wait().await?.success());
///     assert_eq!(echoed, b"some data");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct Child {
    /// The parent's end of the child's stdin, when piped.
    pub stdin: Option<ChildStdin>,
    /// The parent's end of the child's stdout, when piped.
    pub stdout: Option<ChildStdout>,
    /// The parent's end of the child's stderr, when piped.
    pub stderr: Option<ChildStderr>,
    pid: Pid,
    status: Option<ExitStatus>,
    watch: Option<Watch>,
    /// Everyone parked in `poll_wait` (the protocol API's exit task and its `wait`s share one
    /// child): whoever reaps wakes them all, since a watch may keep only the latest waker.
    parked: Vec<Waker>,
    kill_on_drop: bool,
}

impl Child {
    pub(crate) fn new(
        pid: Pid,
        watch: Watch,
        stdin: Option<ChildStdin>,
        stdout: Option<ChildStdout>,
        stderr: Option<ChildStderr>,
        kill_on_drop: bool,
    ) -> Child {
        Child {
            stdin,
            stdout,
            stderr,
            pid,
            status: None,
            watch: Some(watch),
            parked: Vec::new(),
            kill_on_drop,
        }
    }

    /// The child's process id. It stays valid (no other process can get it) until the child
    /// has been waited for.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("true").spawn()?;
    ///     assert!(child.id() > 0);
    ///     child.wait().await.map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn id(&self) -> u32 {
        self.pid.as_raw_nonzero().get().unsigned_abs()
    }

    /// The exit status if the child has exited, without waiting; reaps it if so.
    ///
    /// # Errors
    ///
    /// When `waitpid` fails (someone else reaped the child).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("sleep").arg("10").spawn()?;
    ///     assert!(child.try_wait()?.is_none());
    ///     child.kill()?;
    ///     child.wait().await.map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = try_reap(self.pid)?;
            if self.status.is_some() {
                self.parked.drain(..).for_each(Waker::wake);
            }
        }
        Ok(self.status)
    }

    /// asyncio's `returncode`: `None` while running (or not yet seen to exit), the exit code
    /// once exited, `-N` when killed by signal `N`.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::shell("exit 5").spawn()?;
    ///     child.wait().await?;
    ///     assert_eq!(child.returncode(), Some(5));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn returncode(&self) -> Option<i32> {
        self.status.map(returncode)
    }

    /// Waits for the child to exit and reaps it; closes the child's stdin first (if still
    /// held), so a child reading it sees EOF instead of both sides waiting forever.
    ///
    /// Cancel-safe: dropping the future loses nothing, and a later `wait` works.
    ///
    /// # Errors
    ///
    /// When `waitpid` or the loop's poller fails.
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("sleep").arg("10").spawn()?;
    ///     child.kill()?;
    ///     let status = child.wait().await?;
    ///     assert_eq!(status.signal(), Some(9));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        std::future::poll_fn(|cx| self.poll_wait(cx)).await
    }

    /// Polls for the child's exit (see [`wait`](Child::wait), which also closes stdin).
    ///
    /// # Errors
    ///
    /// As [`wait`](Child::wait).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("true").spawn()?;
    ///     std::future::poll_fn(|cx| child.poll_wait(cx)).await.map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            if !self.parked.iter().any(|w| w.will_wake(cx.waker())) {
                self.parked.push(cx.waker().clone());
            }
            let watch = self.watch.as_mut().expect("a running child has a watch");
            ready!(watch.poll_changed(cx))?;
        }
    }

    /// Sends `SIGKILL` (see [`send_signal`](Child::send_signal)).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Child::send_signal).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("sleep").arg("10").spawn()?;
    ///     child.kill()?;
    ///     assert_eq!(child.wait().await?.code(), None);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(Signal::KILL)
    }

    /// Sends `SIGTERM` (see [`send_signal`](Child::send_signal)).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Child::send_signal).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("sleep").arg("10").spawn()?;
    ///     child.terminate()?;
    ///     assert_eq!(child.wait().await?.code(), None);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(Signal::TERM)
    }

    /// Sends `signal` to the child, through its pidfd where there is one.
    ///
    /// Never reaches another process: the child is checked first, and until it is reaped its
    /// pid cannot be reused.
    ///
    /// # Errors
    ///
    /// `NotFound` ("process N has already exited", asyncio's `ProcessLookupError`) once the
    /// child has exited, even if it was not reaped yet; an OS error otherwise.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let mut child = loop_process::Command::new("true").spawn()?;
    ///     child.wait().await?;
    ///     let err = child.send_signal(loop_process::Signal::HUP).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send_signal(&mut self, signal: Signal) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Err(exited(self.id()));
        }
        let sent = match self.watch.as_ref().and_then(Watch::pidfd) {
            Some(pidfd) => rustix::process::pidfd_send_signal(pidfd, signal.to_rustix()),
            None => rustix::process::kill_process(self.pid, signal.to_rustix()),
        };
        match sent {
            Err(rustix::io::Errno::SRCH) => Err(exited(self.id())),
            other => Ok(other?),
        }
    }

    /// Feeds `input` to stdin and closes it, reads stdout and stderr to EOF at the same time
    /// (so no pipe fills up and blocks the child, whatever the sizes), then waits for the exit.
    ///
    /// A child that exits without reading all of `input` is not an error (asyncio ignores
    /// `BrokenPipeError` here too). Streams that are not piped come back empty; streams
    /// already taken from the `Child` are not read.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `input` is not empty and stdin is not piped; an I/O error
    /// otherwise.
    ///
    /// ```
    /// use loop_process::{Command, Stdio};
    /// loop_core::run(async {
    ///     let mut child = Command::new("cat")
    ///         .stdin(Stdio::piped())
    ///         .stdout(Stdio::piped())
    ///         .spawn()?;
    ///     let out = child.communicate(b"some data").await?;
    ///     assert_eq!((out.status.code(), &out.stdout[..]), (Some(0), &b"some data"[..]));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn communicate(&mut self, input: &[u8]) -> io::Result<Output> {
        let stdin = self.stdin.take();
        if stdin.is_none() && !input.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "communicate was given input but the child's stdin is not piped",
            ));
        }
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let feed = async move {
            if let Some(mut stdin) = stdin {
                match stdin.write_all(input).await {
                    Err(e)
                        if e.kind() == io::ErrorKind::BrokenPipe
                            || e.kind() == io::ErrorKind::ConnectionReset => {}
                    other => other?,
                }
            }
            Ok(())
        };
        let outputs = futures_lite::future::try_zip(drain(stdout), drain(stderr));
        let ((), (stdout, stderr)) = futures_lite::future::try_zip(feed, outputs).await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

async fn drain(pipe: Option<PipeReader>) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut data).await?;
    }
    Ok(data)
}

/// asyncio's `returncode` of an exit status: the code, or `-signal`.
pub(crate) fn returncode(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| -s))
        .unwrap_or(-1)
}

pub(crate) fn exited(pid: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("process {pid} has already exited"),
    )
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = self.kill();
        }
        if matches!(self.try_wait(), Ok(None)) {
            reap_in_background(self.pid, self.watch.take());
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.id())
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
