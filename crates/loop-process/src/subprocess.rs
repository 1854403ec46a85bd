//! asyncio's protocol-level subprocess API: [`subprocess_exec`], [`SubprocessProtocol`],
//! [`SubprocessTransport`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::ExitStatus;
use std::rc::Rc;

use loop_core::get_running_loop;

use crate::child::Child;
use crate::command::Command;
use crate::signal::Signal;
use crate::transport::{ReadPipeTransport, WritePipeTransport, start_reader, start_writer};

/// What a child started by [`subprocess_exec`] reports, in asyncio's order:
/// `connection_made`; `pipe_data_received` per chunk of stdout (fd 1) or stderr (fd 2);
/// `pipe_connection_lost` as each pipe closes; `process_exited`; and `connection_lost(None)`
/// once the child has exited and every pipe is closed.
///
/// Every method is called from a task on the loop, never from inside a transport method, so
/// a protocol may use its transport freely.
pub trait SubprocessProtocol: 'static {
    /// The child is running; called once, first.
    fn connection_made(&mut self, transport: &SubprocessTransport) {
        let _ = transport;
    }
    /// `data` arrived on the child's stdout (`fd` 1) or stderr (`fd` 2).
    fn pipe_data_received(&mut self, fd: i32, data: &[u8]) {
        let _ = (fd, data);
    }
    /// The pipe for `fd` closed: `None` at EOF or after close, else the error.
    fn pipe_connection_lost(&mut self, fd: i32, error: Option<io::Error>) {
        let _ = (fd, error);
    }
    /// The child exited; [`SubprocessTransport::get_returncode`] has its code.
    fn process_exited(&mut self) {}
    /// The child has exited and all its pipes are closed; the last call.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }
}

/// One of a child's pipes, as [`SubprocessTransport::get_pipe_transport`] returns it.
#[derive(Clone, Debug)]
pub enum PipeTransport {
    /// The child's stdin (fd 0).
    Write(WritePipeTransport),
    /// The child's stdout (fd 1) or stderr (fd 2).
    Read(ReadPipeTransport),
}

struct State {
    child: RefCell<Child>,
    protocol: Rc<RefCell<dyn SubprocessProtocol>>,
    stdin: Option<WritePipeTransport>,
    stdout: Option<ReadPipeTransport>,
    stderr: Option<ReadPipeTransport>,
    open_pipes: Cell<usize>,
    exited: Cell<bool>,
    closed: Cell<bool>,
    finished: Cell<bool>,
}

impl State {
    /// asyncio's `_try_finish`: `connection_lost` once the exit and every pipe's end are in.
    fn try_finish(&self) {
        if self.exited.get() && self.open_pipes.get() == 0 && !self.finished.replace(true) {
            self.protocol.borrow_mut().connection_lost(None);
        }
    }

    fn pipe_lost(&self, fd: i32, error: Option<io::Error>) {
        self.protocol.borrow_mut().pipe_connection_lost(fd, error);
        self.open_pipes.set(self.open_pipes.get() - 1);
        self.try_finish();
    }
}

/// A child started by [`subprocess_exec`]: its pid, its return code, its pipes, signals.
/// Cloning gives another handle to the same child.
///
/// The loop keeps the child's pipes and exit watch alive until it has exited and the protocol
/// got `connection_lost`, whether or not a handle is kept.
#[derive(Clone)]
pub struct SubprocessTransport {
    state: Rc<State>,
}

impl SubprocessTransport {
    /// The child's process id.
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, &mut Command::new("true")).await?;
    ///     assert!(transport.get_pid() > 0);
    ///     transport.wait().await.map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_pid(&self) -> u32 {
        self.state.child.borrow().id()
    }

    /// `None` until the child's exit has been seen; then its exit code, or `-N` if signal `N`
    /// killed it.
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, &mut Command::shell("exit 7")).await?;
    ///     transport.wait().await?;
    ///     assert_eq!(transport.get_returncode(), Some(7));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_returncode(&self) -> Option<i32> {
        self.state.child.borrow().returncode()
    }

    /// The transport of the child's pipe `fd` (0, 1 or 2); `None` when that stream is not
    /// piped (for fd 2 also when stderr is merged into stdout).
    ///
    /// ```
    /// # use loop_process::{Command, PipeTransport, Stdio, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let mut cmd = Command::new("cat");
    ///     cmd.stderr(Stdio::stdout());
    ///     let (transport, _) = subprocess_exec(|| P, &mut cmd).await?;
    ///     assert!(matches!(transport.get_pipe_transport(0), Some(PipeTransport::Write(_))));
    ///     assert!(transport.get_pipe_transport(2).is_none());
    ///     transport.close();
    ///     transport.wait().await.map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_pipe_transport(&self, fd: i32) -> Option<PipeTransport> {
        match fd {
            0 => self.state.stdin.clone().map(PipeTransport::Write),
            1 => self.state.stdout.clone().map(PipeTransport::Read),
            2 => self.state.stderr.clone().map(PipeTransport::Read),
            _ => None,
        }
    }

    /// Sends `signal` to the child.
    ///
    /// # Errors
    ///
    /// `NotFound` (asyncio's `ProcessLookupError`) once the child has exited; never a signal
    /// to another process that reused the pid.
    ///
    /// ```
    /// # use loop_process::{Command, Signal, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, Command::new("sleep").arg("10")).await?;
    ///     transport.send_signal(Signal::HUP)?;
    ///     transport.wait().await?;
    ///     assert_eq!(transport.get_returncode(), Some(-1));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send_signal(&self, signal: Signal) -> io::Result<()> {
        self.state.child.borrow_mut().send_signal(signal)
    }

    /// Sends `SIGTERM`.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, Command::new("sleep").arg("10")).await?;
    ///     transport.terminate()?;
    ///     transport.wait().await?;
    ///     assert_eq!(transport.get_returncode(), Some(-15));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(Signal::TERM)
    }

    /// Sends `SIGKILL`.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, Command::new("sleep").arg("10")).await?;
    ///     transport.kill()?;
    ///     transport.wait().await?;
    ///     assert_eq!(transport.get_returncode(), Some(-9));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(Signal::KILL)
    }

    /// Closes every pipe and kills the child if it is still running (one that already exited,
    /// reaped or not, gets no signal). The protocol still gets its `pipe_connection_lost`,
    /// `process_exited` and `connection_lost` calls.
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, Command::new("sleep").arg("10")).await?;
    ///     transport.close();
    ///     assert!(transport.is_closing());
    ///     assert_eq!(transport.wait().await?.code(), None);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        if self.state.closed.replace(true) {
            return;
        }
        if let Some(stdin) = &self.state.stdin {
            stdin.close();
        }
        for pipe in [&self.state.stdout, &self.state.stderr]
            .into_iter()
            .flatten()
        {
            pipe.close();
        }
        let mut child = self.state.child.borrow_mut();
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
        }
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, &mut Command::new("true")).await?;
    ///     assert!(!transport.is_closing());
    ///     transport.wait().await.map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closing(&self) -> bool {
        self.state.closed.get()
    }

    /// Waits for the child's exit (asyncio's `Process.wait`); cancel-safe.
    ///
    /// # Errors
    ///
    /// When `waitpid` or the loop's poller fails.
    ///
    /// ```
    /// # use loop_process::{Command, SubprocessProtocol, subprocess_exec};
    /// # struct P;
    /// # impl SubprocessProtocol for P {}
    /// loop_core::run(async {
    ///     let (transport, _) = subprocess_exec(|| P, &mut Command::new("true")).await?;
    ///     assert!(transport.wait().await?.success());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn wait(&self) -> io::Result<ExitStatus> {
        poll_fn(|cx| self.state.child.borrow_mut().poll_wait(cx)).await
    }
}

impl fmt::Debug for SubprocessTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubprocessTransport")
            .field("pid", &self.get_pid())
            .field("returncode", &self.get_returncode())
            .field("closed", &self.state.closed.get())
            .finish()
    }
}

/// Starts `command` on the running loop with a protocol (asyncio's `loop.subprocess_exec`; for
/// `subprocess_shell`, pass [`Command::shell`]). stdin, stdout and stderr are piped unless the
/// command sets them otherwise.
///
/// # Errors
///
/// As [`Command::spawn`]; on error no child is left behind and no pipe stays open.
///
/// # Examples
///
/// ```
/// use std::io;
/// use loop_process::{Command, SubprocessProtocol, SubprocessTransport, subprocess_exec};
///
/// #[derive(Default)]
/// struct Recorder {
///     events: Vec<String>,
/// }
///
/// impl SubprocessProtocol for Recorder {
///     fn connection_made(&mut self, _: &SubprocessTransport) {
///         self.events.push("made".into());
///     }
///     fn pipe_data_received(&mut self, fd: i32, data: &[u8]) {
///         self.events.push(format!("{fd}:{}", String::from_utf8_lossy(data).trim_end()));
///     }
///     fn process_exited(&mut self) {
///         self.events.push("exited".into());
///     }
///     fn connection_lost(&mut self, _: Option<io::Error>) {
///         self.events.push("lost".into());
///     }
/// }
///
/// loop_core::run(async {
///     let (transport, protocol) =
///         subprocess_exec(Recorder::default, &mut Command::shell("echo hi")).await?;
///     transport.wait().await?;
///     while protocol.borrow().events.last().map(String::as_str) != Some("lost") {
///         loop_core::yield_now().await;
///     }
///     assert_eq!(protocol.borrow().events, ["made", "1:hi", "exited", "lost"]);
///     io::Result::Ok(())
/// }).unwrap()?;
/// # io::Result::Ok(())
/// ```
pub async fn subprocess_exec<P: SubprocessProtocol>(
    protocol_factory: impl FnOnce() -> P,
    command: &mut Command,
) -> io::Result<(SubprocessTransport, Rc<RefCell<P>>)> {
    let lp = get_running_loop().map_err(io::Error::other)?;
    let mut child = command.spawn_piped()?;
    let protocol = Rc::new(RefCell::new(protocol_factory()));
    let dyn_protocol: Rc<RefCell<dyn SubprocessProtocol>> = protocol.clone();
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let open_pipes =
        stdin.is_some() as usize + stdout.is_some() as usize + stderr.is_some() as usize;
    // The pipe tasks report into the shared state, which holds their transports: they reach
    // it through a cell filled below, before any of them runs (tasks start on a later turn).
    let slot: Rc<RefCell<Option<Rc<State>>>> = Rc::new(RefCell::new(None));
    let on_end = |fd: i32| {
        let slot = slot.clone();
        move |error: Option<io::Error>| {
            if let Some(state) = slot.borrow().clone() {
                state.pipe_lost(fd, error);
            }
        }
    };
    let stdin = stdin.map(|pipe| start_writer(&lp, pipe, on_end(0)));
    let mut readers = [(1, stdout), (2, stderr)].map(|(fd, pipe)| {
        pipe.map(|pipe| {
            let to_protocol = dyn_protocol.clone();
            let end = on_end(fd);
            start_reader(
                &lp,
                pipe,
                move |data| to_protocol.borrow_mut().pipe_data_received(fd, data),
                move |_eof, error| end(error),
            )
        })
    });
    let state = Rc::new(State {
        child: RefCell::new(child),
        protocol: dyn_protocol,
        stdin,
        stdout: readers[0].take(),
        stderr: readers[1].take(),
        open_pipes: Cell::new(open_pipes),
        exited: Cell::new(false),
        closed: Cell::new(false),
        finished: Cell::new(false),
    });
    *slot.borrow_mut() = Some(state.clone());
    let transport = SubprocessTransport {
        state: state.clone(),
    };
    let watcher = state.clone();
    lp.spawn_local(async move {
        // An error here means the exit can no longer be observed; report it as the end.
        let result = poll_fn(|cx| watcher.child.borrow_mut().poll_wait(cx)).await;
        watcher.exited.set(true);
        match result {
            Ok(_) => {
                watcher.protocol.borrow_mut().process_exited();
                watcher.try_finish();
            }
            Err(e) => {
                if !watcher.finished.replace(true) {
                    watcher.protocol.borrow_mut().connection_lost(Some(e));
                }
            }
        }
    })
    .detach();
    protocol.borrow_mut().connection_made(&transport);
    Ok((transport, protocol))
}
