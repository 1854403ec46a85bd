//! Subprocesses with async pipes, and signals, for the evloop event loop.
//!
//! - [`Command`] builds a child (no shell unless you ask with [`Command::shell`]) and spawns it
//!   on the running loop; [`Child`] has its pid, its pipes (`AsyncRead` / `AsyncWrite`),
//!   [`wait`](Child::wait), [`kill`](Child::kill) and [`communicate`](Child::communicate).
//! - [`subprocess_exec`] is asyncio's protocol API: a [`SubprocessProtocol`] gets
//!   `pipe_data_received(fd, data)`, `pipe_connection_lost`, `process_exited`.
//! - [`pipe`], [`PipeReader`], [`PipeWriter`], [`connect_read_pipe`] and [`connect_write_pipe`]
//!   put any fd on the loop.
//! - [`Signals`] is a stream of a signal's arrivals; [`ctrl_c`] waits for Ctrl-C.
//!
//! # Examples
//!
//! ```
//! use loop_process::Command;
//!
//! loop_core::run(async {
//!     let out = Command::new("sh").args(["-c", "echo $0", "hi"]).output().await?;
//!     assert_eq!(out.stdout, b"hi\n");
//!     std::io::Result::Ok(())
//! }).unwrap()?;
//! # std::io::Result::Ok(())
//! ```
//!
//! # From asyncio
//!
//! | asyncio | loop-process |
//! |---|---|
//! | `create_subprocess_exec(prog, *args, stdin=PIPE)` | [`Command::new`]`(prog).args(..).stdin(`[`Stdio::piped`]`()).spawn()` |
//! | `create_subprocess_shell(cmd)` | [`Command::shell`]`(cmd).spawn()` |
//! | `PIPE`, `DEVNULL`, `STDOUT`, fd, file | [`Stdio::piped`], [`Stdio::null`], [`Stdio::stdout`], `Stdio::from(fd)` |
//! | `start_new_session=True`, `process_group=0` | [`Command::new_session`], [`Command::new_process_group`] |
//! | `proc.communicate(input)`, `proc.wait()`, `proc.returncode` | [`Child::communicate`], [`Child::wait`], [`Child::returncode`] |
//! | `kill()`, `terminate()`, `send_signal(sig)` | [`Child::kill`], [`Child::terminate`], [`Child::send_signal`] |
//! | `loop.subprocess_exec(factory, ...)` | [`subprocess_exec`] |
//! | `loop.connect_read_pipe` / `connect_write_pipe` | [`connect_read_pipe`], [`connect_write_pipe`] |
//! | `loop.add_signal_handler(sig, cb)` | [`Signals::new`]`(sig)` (a stream) |
//!
//! # Implementation
//!
//! Spawning goes through [`std::process::Command`] (`posix_spawn` or `vfork` + `exec`). A child's
//! exit is watched with a pidfd registered with the loop's poller (Linux 5.3+), or with a
//! `SIGCHLD` listener where there is none. A child dropped while still running is handed to
//! one process-wide thread named `evloop-reaper`, started on the first such drop, which reaps
//! every such child as it exits. No other thread is started, and none per child.
//!
//! Signal handlers are process-wide (`sigaction`); each bumps a counter and writes a byte to a
//! wake pipe, whose read end every [`Signals`] watches on its own loop.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![doc(test(attr(deny(warnings, rust_2018_idioms))))]

mod child;
mod command;
mod pipe;
mod reap;
mod signal;
mod subprocess;
mod transport;

pub use crate::child::{Child, ChildStderr, ChildStdin, ChildStdout};
pub use crate::command::{Command, Stdio};
pub use crate::pipe::{PipeReader, PipeWriter, pipe};
pub use crate::signal::{Signal, Signals, ctrl_c};
pub use crate::subprocess::{
    PipeTransport, SubprocessProtocol, SubprocessTransport, subprocess_exec,
};
pub use crate::transport::{
    ReadPipeProtocol, ReadPipeTransport, WritePipeProtocol, WritePipeTransport, connect_read_pipe,
    connect_write_pipe,
};
pub use std::process::{ExitStatus, Output};

#[cfg(test)]
mod tests {
    fn send<T: Send>() {}

    #[test]
    fn handles_can_move_between_threads() {
        // A child, its pipes, a command and a signal stream may be created on one thread and
        // moved (not used) elsewhere, as with tokio's and async-process's types.
        send::<super::Child>();
        send::<super::Command>();
        send::<super::PipeReader>();
        send::<super::PipeWriter>();
        send::<super::Signals>();
    }
}
