//! The few socket calls the streams make themselves: sends that never raise SIGPIPE, a
//! `shutdown(Write)` that tolerates a vanished peer, and readiness-driven polling of a
//! non-blocking operation.

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::task::{Context, Poll, ready};

use loop_core::Async;
use socket2::SockRef;

/// `send(2)` with `MSG_NOSIGNAL`: a peer that has gone gives `EPIPE`, never a signal that would
/// kill a process which did not ignore SIGPIPE (a library cannot assume Rust's start-up did).
pub(crate) fn send(fd: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    SockRef::from(fd).send_with_flags(buf, libc::MSG_NOSIGNAL)
}

/// `sendmsg(2)` with `MSG_NOSIGNAL` (plain `writev` could raise SIGPIPE).
pub(crate) fn send_vectored(fd: &impl AsFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    SockRef::from(fd).send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
}

/// `shutdown(Write)`, where a peer that is already gone is no error: closing is done.
pub(crate) fn shutdown_write(fd: &impl AsFd) -> io::Result<()> {
    match SockRef::from(fd).shutdown(Shutdown::Write) {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    }
}

/// Runs `op` until it stops returning `WouldBlock`, waiting for readability in between.
pub(crate) fn poll_read_with<T: AsFd, R>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    mut op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>> {
    loop {
        match op(io.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                io.clear_readable()?;
                ready!(io.poll_readable(cx))?;
            }
            result => return Poll::Ready(result),
        }
    }
}

/// Runs `op` until it stops returning `WouldBlock`, waiting for writability in between.
pub(crate) fn poll_write_with<T: AsFd, R>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    mut op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>> {
    loop {
        match op(io.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                io.clear_writable()?;
                ready!(io.poll_writable(cx))?;
            }
            result => return Poll::Ready(result),
        }
    }
}

/// One attempt at a read-side operation; `WouldBlock` also forgets cached readability, so a
/// later wait for readiness waits for a new event.
pub(crate) fn try_read_with<T: AsFd, R>(
    io: &Async<T>,
    op: impl FnOnce(&T) -> io::Result<R>,
) -> io::Result<R> {
    let result = op(io.get_ref());
    if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
        io.clear_readable()?;
    }
    result
}

/// One attempt at a write-side operation, as [`try_read_with`] for writability.
pub(crate) fn try_write_with<T: AsFd, R>(
    io: &Async<T>,
    op: impl FnOnce(&T) -> io::Result<R>,
) -> io::Result<R> {
    let result = op(io.get_ref());
    if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
        io.clear_writable()?;
    }
    result
}

/// Whether an `accept` error concerns one connection only (it was reset or aborted before we
/// took it): skip it and accept the next.
pub(crate) fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) || matches!(e.raw_os_error(), Some(libc::EPROTO | libc::EPERM))
}

/// Whether an `accept` error means the process or system is out of a resource (descriptors,
/// buffers): retry after a pause rather than spin or give up.
pub(crate) fn is_resource_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}
