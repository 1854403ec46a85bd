//! [`Command`]: what to run and how its stdio is wired, then [`spawn`](Command::spawn).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ExitStatus, Output};

use loop_core::get_running_loop;

use crate::child::Child;
use crate::pipe::{PipeReader, PipeWriter};
use crate::reap::{Watch, reap_in_background};

/// Where a child's stdin, stdout or stderr goes (asyncio's `PIPE`, `DEVNULL`, `STDOUT`, an fd
/// or a file).
///
/// ```
/// use loop_process::{Command, Stdio};
/// let mut cmd = Command::new("echo");
/// cmd.stdout(Stdio::piped()).stderr(Stdio::null());
/// ```
pub struct Stdio(Kind);

enum Kind {
    Piped,
    Null,
    Inherit,
    Fd(OwnedFd),
    Stdout,
}

impl Stdio {
    /// A new pipe to the parent: the child's end is wired to the stream, the parent's end
    /// appears as [`Child::stdin`], [`Child::stdout`] or [`Child::stderr`].
    ///
    /// ```
    /// let _ = loop_process::Stdio::piped();
    /// ```
    pub fn piped() -> Stdio {
        Stdio(Kind::Piped)
    }

    /// `/dev/null` (asyncio's `DEVNULL`).
    ///
    /// ```
    /// let _ = loop_process::Stdio::null();
    /// ```
    pub fn null() -> Stdio {
        Stdio(Kind::Null)
    }

    /// The parent's own stream (the default for [`Command::spawn`]).
    ///
    /// ```
    /// let _ = loop_process::Stdio::inherit();
    /// ```
    pub fn inherit() -> Stdio {
        Stdio(Kind::Inherit)
    }

    /// For stderr only: wherever stdout goes (asyncio's `STDOUT`, the shell's `2>&1`).
    ///
    /// ```
    /// use loop_process::{Command, Stdio};
    /// loop_core::run(async {
    ///     let out = Command::shell("echo out; echo err >&2")
    ///         .stderr(Stdio::stdout())
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"out\nerr\n");
    ///     assert!(out.stderr.is_empty());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stdout() -> Stdio {
        Stdio(Kind::Stdout)
    }

    fn describe(&self) -> &'static str {
        match self.0 {
            Kind::Piped => "piped",
            Kind::Null => "null",
            Kind::Inherit => "inherit",
            Kind::Fd(_) => "fd",
            Kind::Stdout => "stdout",
        }
    }
}

impl From<OwnedFd> for Stdio {
    /// An fd the child gets as its stream (the parent keeps its own copy until the
    /// [`Command`] is dropped).
    fn from(fd: OwnedFd) -> Stdio {
        Stdio(Kind::Fd(fd))
    }
}

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio(Kind::Fd(file.into()))
    }
}

impl TryFrom<PipeReader> for Stdio {
    type Error = io::Error;

    /// A pipe end back in blocking mode, for another child: `a.stdout` into `b.stdin`.
    fn try_from(pipe: PipeReader) -> io::Result<Stdio> {
        pipe.into_owned_fd().map(Stdio::from)
    }
}

impl TryFrom<PipeWriter> for Stdio {
    type Error = io::Error;

    fn try_from(pipe: PipeWriter) -> io::Result<Stdio> {
        pipe.into_owned_fd().map(Stdio::from)
    }
}

impl fmt::Debug for Stdio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What to run and how: a program and its arguments (no shell involved), environment, working
/// directory, stdio, process group or session, and whether dropping the [`Child`] kills it.
///
/// A thin layer over [`std::process::Command`], so spawning takes std's fastest path
/// (`posix_spawn`, or `vfork` + `exec`) unless [`new_session`](Command::new_session) needs a
/// `setsid` between fork and exec.
///
/// # Examples
///
/// ```
/// use loop_process::Command;
///
/// loop_core::run(async {
///     let out = Command::new("echo").arg("hello").output().await?;
///     assert!(out.status.success());
///     assert_eq!(out.stdout, b"hello\n");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct Command {
    inner: std::process::Command,
    program: OsString,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    kill_on_drop: bool,
}

impl Command {
    /// A command running `program` with no arguments. A program without a `/` is looked up
    /// in `PATH`. No shell parses anything: arguments reach the program as given.
    ///
    /// ```
    /// let _ = loop_process::Command::new("ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        let program = program.as_ref();
        Command {
            inner: std::process::Command::new(program),
            program: program.to_owned(),
            stdin: None,
            stdout: None,
            stderr: None,
            kill_on_drop: false,
        }
    }

    /// A command line for `/bin/sh -c` (asyncio's `create_subprocess_shell`): pipes,
    /// redirections and globbing work, and so does injection, so never splice untrusted text
    /// into `line`.
    ///
    /// ```
    /// use loop_process::Command;
    /// loop_core::run(async {
    ///     let status = Command::shell("exit 7").status().await?;
    ///     assert_eq!(status.code(), Some(7));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shell(line: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(line);
        command
    }

    /// Adds an argument.
    ///
    /// ```
    /// let _ = loop_process::Command::new("ls").arg("-l");
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// ```
    /// let _ = loop_process::Command::new("ls").args(["-l", "-a"]);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// ```
    /// let _ = loop_process::Command::new("env").env("LANG", "C");
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env(key, value);
        self
    }

    /// Sets several environment variables.
    ///
    /// ```
    /// let _ = loop_process::Command::new("env").envs([("A", "1"), ("B", "2")]);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.inner.envs(vars);
        self
    }

    /// Removes a variable from the child's environment.
    ///
    /// ```
    /// let _ = loop_process::Command::new("env").env_remove("HOME");
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what [`env`](Command::env) adds).
    ///
    /// ```
    /// let _ = loop_process::Command::new("/usr/bin/env").env_clear();
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// The child's working directory.
    ///
    /// ```
    /// let _ = loop_process::Command::new("pwd").current_dir("/");
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// The child's stdin (default: inherited; for [`output`](Command::output): null).
    ///
    /// ```
    /// let _ = loop_process::Command::new("cat").stdin(loop_process::Stdio::piped());
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdin = Some(cfg.into());
        self
    }

    /// The child's stdout (default: inherited; for [`output`](Command::output): piped).
    ///
    /// ```
    /// let _ = loop_process::Command::new("ls").stdout(loop_process::Stdio::piped());
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdout = Some(cfg.into());
        self
    }

    /// The child's stderr (default: inherited; for [`output`](Command::output): piped).
    /// [`Stdio::stdout`] merges it into stdout.
    ///
    /// ```
    /// let _ = loop_process::Command::new("ls").stderr(loop_process::Stdio::stdout());
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stderr = Some(cfg.into());
        self
    }

    /// Puts the child in a new process group whose id is its pid (`setpgid(0, 0)`), so a
    /// terminal's Ctrl-C does not reach it and `kill(-pid)` reaches all of its own children.
    ///
    /// ```
    /// let _ = loop_process::Command::new("sleep").arg("1").new_process_group();
    /// ```
    pub fn new_process_group(&mut self) -> &mut Command {
        self.inner.process_group(0);
        self
    }

    /// Starts the child in a new session (`setsid`, asyncio's `start_new_session=True`): a new
    /// process group, and no controlling terminal.
    ///
    /// ```
    /// use loop_process::Command;
    /// loop_core::run(async {
    ///     let status = Command::shell("exit 8").new_session().status().await?;
    ///     assert_eq!(status.code(), Some(8));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_session(&mut self) -> &mut Command {
        // SAFETY: the closure runs in the child between fork and exec, where only
        // async-signal-safe calls are allowed: `setsid` is one, and it allocates nothing.
        unsafe {
            self.inner
                .pre_exec(|| rustix::process::setsid().map(drop).map_err(io::Error::from));
        }
        self
    }

    /// Whether dropping the [`Child`] before it has been waited for sends it `SIGKILL`
    /// (default: no; the child runs on and is reaped in the background when it exits).
    ///
    /// ```
    /// let _ = loop_process::Command::new("sleep").arg("60").kill_on_drop(true);
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// The underlying [`std::process::Command`], for what this builder does not cover (uid,
    /// gid, `arg0`, `pre_exec`). Stdio set there is overridden by this builder's.
    ///
    /// ```
    /// use std::os::unix::process::CommandExt;
    /// let mut cmd = loop_process::Command::new("sh");
    /// cmd.as_std_mut().arg0("login-shell");
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.inner
    }

    /// Starts the child on the running loop.
    ///
    /// # Errors
    ///
    /// - `NotFound` (naming the program) when it does not exist;
    /// - `PermissionDenied` when it is not executable;
    /// - `InvalidInput` when an argument, the program or the environment holds a NUL byte, or
    ///   stdin or stdout is set to [`Stdio::stdout`];
    /// - any other error from the OS, or when no loop runs on this thread.
    ///
    /// ```
    /// use loop_process::Command;
    /// loop_core::run(async {
    ///     let err = Command::new("no-such-program-here").spawn().unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     assert!(err.to_string().contains("no-such-program-here"));
    /// }).unwrap();
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_with(Kind::Inherit, Kind::Inherit, Kind::Inherit)
    }

    /// Runs the child to completion, its stdio as configured; its exit status.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn), or a failure while waiting.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let status = loop_process::Command::new("true").status().await?;
    ///     assert!(status.success());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }

    /// Runs the child to completion and collects its stdout and stderr (piped unless set
    /// otherwise; stdin is null unless set otherwise).
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn), or a failure while reading or waiting.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let out = loop_process::Command::shell("echo err >&2; exit 3").output().await?;
    ///     assert_eq!(out.status.code(), Some(3));
    ///     assert_eq!(out.stderr, b"err\n");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        let mut child = self.spawn_with(Kind::Null, Kind::Piped, Kind::Piped)?;
        child.communicate(b"").await
    }

    /// `spawn` with every stream piped unless set otherwise (asyncio's `subprocess_exec`).
    pub(crate) fn spawn_piped(&mut self) -> io::Result<Child> {
        self.spawn_with(Kind::Piped, Kind::Piped, Kind::Piped)
    }

    fn spawn_with(&mut self, stdin: Kind, stdout: Kind, stderr: Kind) -> io::Result<Child> {
        let lp = get_running_loop().map_err(io::Error::other)?;
        let stdin = self.stdin.as_ref().map_or(&stdin, |s| &s.0);
        let stdout = self.stdout.as_ref().map_or(&stdout, |s| &s.0);
        let stderr = self.stderr.as_ref().map_or(&stderr, |s| &s.0);
        if matches!(stdin, Kind::Stdout) || matches!(stdout, Kind::Stdout) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Stdio::stdout() is for stderr only",
            ));
        }
        self.inner.stdin(std_stdio(stdin)?);
        // stderr into stdout: both get the write end of one pipe we make ourselves.
        let mut merged_reader = None;
        if matches!(stderr, Kind::Stdout) {
            let write = match stdout {
                Kind::Piped => {
                    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
                    merged_reader = Some(read);
                    Some(write)
                }
                Kind::Null => None,
                Kind::Inherit => Some(io::stdout().as_fd().try_clone_to_owned()?),
                Kind::Fd(fd) => Some(fd.try_clone()?),
                Kind::Stdout => unreachable!("rejected above"),
            };
            match write {
                Some(write) => {
                    self.inner.stderr(write.try_clone()?);
                    self.inner.stdout(write);
                }
                None => {
                    self.inner.stdout(std::process::Stdio::null());
                    self.inner.stderr(std::process::Stdio::null());
                }
            }
        } else {
            self.inner.stdout(std_stdio(stdout)?);
            self.inner.stderr(std_stdio(stderr)?);
        }
        let spawned = self.inner.spawn();
        // The parent's copies of the child's ends must close now, or readers never see EOF.
        self.inner
            .stdin(std::process::Stdio::inherit())
            .stdout(std::process::Stdio::inherit())
            .stderr(std::process::Stdio::inherit());
        let mut child = spawned.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run {}: {e}", Path::new(&self.program).display()),
            )
        })?;
        let pid = rustix::process::Pid::from_child(&child);
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(OwnedFd::from).or(merged_reader);
        let stderr = child.stderr.take();
        drop(child); // std's handle neither kills nor waits on drop; we reap by pid from now on
        let wired = (|| {
            Ok::<_, io::Error>((
                Watch::new(&lp, pid)?,
                stdin.map(|s| PipeWriter::with_loop(&lp, s)).transpose()?,
                stdout.map(|s| PipeReader::with_loop(&lp, s)).transpose()?,
                stderr.map(|s| PipeReader::with_loop(&lp, s)).transpose()?,
            ))
        })();
        match wired {
            Ok((watch, stdin, stdout, stderr)) => Ok(Child::new(
                pid,
                watch,
                stdin,
                stdout,
                stderr,
                self.kill_on_drop,
            )),
            Err(e) => {
                // Nothing to hand back: the child must not outlive the error as a zombie.
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                reap_in_background(pid, None);
                Err(e)
            }
        }
    }
}

fn std_stdio(kind: &Kind) -> io::Result<std::process::Stdio> {
    Ok(match kind {
        Kind::Piped => std::process::Stdio::piped(),
        Kind::Null => std::process::Stdio::null(),
        Kind::Inherit | Kind::Stdout => std::process::Stdio::inherit(),
        Kind::Fd(fd) => fd.try_clone()?.into(),
    })
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("command", &self.inner)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
