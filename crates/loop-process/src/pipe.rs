//! Pipes on the loop: any file descriptor as an `AsyncRead` or `AsyncWrite` (the stream side of
//! asyncio's `connect_read_pipe` / `connect_write_pipe`, and the child's stdio).

use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};
use loop_core::{Async, Loop};

/// The read end of a pipe (or any readable fd: a FIFO, a tty, a socket), registered with a loop.
///
/// The descriptor is switched to non-blocking mode, as asyncio does; when it is shared with
/// another process (an inherited stdin, say), that process sees the change too.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
///
/// loop_core::run(async {
///     let (mut reader, mut writer) = loop_process::pipe()?;
///     writer.write_all(b"through the pipe").await?;
///     drop(writer);
///     let mut text = String::new();
///     reader.read_to_string(&mut text).await?;
///     assert_eq!(text, "through the pipe");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct PipeReader {
    io: Async<File>,
}

/// The write end of a pipe (or any writable fd), registered with a loop.
///
/// Writing after the reader has gone fails with `BrokenPipe` (Rust programs ignore `SIGPIPE`,
/// so the process is not killed). Dropping it closes the descriptor: the reader sees EOF.
///
/// ```
/// use futures_lite::AsyncWriteExt;
///
/// loop_core::run(async {
///     let (reader, mut writer) = loop_process::pipe()?;
///     drop(reader);
///     let err = writer.write_all(b"nobody listens").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct PipeWriter {
    io: Async<File>,
}

/// Creates a pipe whose two ends are registered with the running loop.
///
/// # Errors
///
/// When no loop runs on this thread, or the OS refuses the pipe.
///
/// ```
/// loop_core::run(async { loop_process::pipe().map(drop) }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub fn pipe() -> io::Result<(PipeReader, PipeWriter)> {
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    Ok((PipeReader::new(read)?, PipeWriter::new(write)?))
}

fn registered(lp: Option<&Loop>, fd: OwnedFd) -> io::Result<Async<File>> {
    match lp {
        Some(lp) => Async::with_loop(lp, File::from(fd)),
        None => Async::new(File::from(fd)),
    }
}

fn unregistered(io: Async<File>) -> io::Result<OwnedFd> {
    let file = io.into_inner()?;
    rustix::io::ioctl_fionbio(&file, false)?;
    Ok(file.into())
}

impl PipeReader {
    /// Registers a readable descriptor with the running loop.
    ///
    /// # Errors
    ///
    /// When no loop runs on this thread, or the OS refuses non-blocking mode or registration.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (read, _write) = std::os::unix::net::UnixStream::pair()?;
    ///     loop_process::PipeReader::new(read).map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(fd: impl Into<OwnedFd>) -> io::Result<PipeReader> {
        registered(None, fd.into()).map(|io| PipeReader { io })
    }

    pub(crate) fn with_loop(lp: &Loop, fd: impl Into<OwnedFd>) -> io::Result<PipeReader> {
        registered(Some(lp), fd.into()).map(|io| PipeReader { io })
    }

    /// Deregisters the descriptor, puts it back in blocking mode and returns it: how a child's
    /// stdout becomes the next child's stdin.
    ///
    /// # Errors
    ///
    /// When the poller or the OS refuses.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (reader, _writer) = loop_process::pipe()?;
    ///     reader.into_owned_fd().map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        unregistered(self.io)
    }
}

impl PipeWriter {
    /// Registers a writable descriptor with the running loop.
    ///
    /// # Errors
    ///
    /// When no loop runs on this thread, or the OS refuses non-blocking mode or registration.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (_read, write) = std::os::unix::net::UnixStream::pair()?;
    ///     loop_process::PipeWriter::new(write).map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(fd: impl Into<OwnedFd>) -> io::Result<PipeWriter> {
        registered(None, fd.into()).map(|io| PipeWriter { io })
    }

    pub(crate) fn with_loop(lp: &Loop, fd: impl Into<OwnedFd>) -> io::Result<PipeWriter> {
        registered(Some(lp), fd.into()).map(|io| PipeWriter { io })
    }

    /// Ready once the read end has been closed everywhere (the kernel reports an error
    /// condition on the write end), so an idle writer learns that its reader left.
    pub(crate) fn poll_reader_gone(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }

    /// Deregisters the descriptor, puts it back in blocking mode and returns it.
    ///
    /// # Errors
    ///
    /// When the poller or the OS refuses.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (_reader, writer) = loop_process::pipe()?;
    ///     writer.into_owned_fd().map(drop)
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        unregistered(self.io)
    }
}

impl AsyncRead for PipeReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for PipeWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsFd for PipeReader {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsFd for PipeWriter {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PipeReader")
            .field(&self.io.get_ref())
            .finish()
    }
}

impl fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PipeWriter")
            .field(&self.io.get_ref())
            .finish()
    }
}
