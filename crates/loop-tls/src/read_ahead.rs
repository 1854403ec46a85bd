//! Ciphertext read from the stream ahead of rustls, in large reads.
//!
//! rustls' `read_tls` asks its reader for at most 4 KiB at a time, so handing it the socket
//! costs four or more `read` syscalls per 16 KiB record. Reading into a buffer of our own and
//! feeding rustls from it costs one syscall per buffer instead, and a memcpy, which is cheaper.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::AsyncRead;
use rustls::Connection;

/// Room for one largest TLS record with plenty to spare: bulk transfers read several at once.
const SIZE: usize = 32 * 1024;

#[derive(Debug, Default)]
pub(crate) struct ReadAhead {
    /// Empty until the first read, then `SIZE` bytes for the stream's life.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadAhead {
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Refills the (empty) buffer with one read of the stream; `Ok(0)` is the stream's EOF.
    pub(crate) fn poll_fill<S: AsyncRead + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        debug_assert!(self.is_empty());
        if self.buf.is_empty() {
            self.buf = vec![0; SIZE];
        }
        let n = ready!(Pin::new(io).poll_read(cx, &mut self.buf))?;
        self.start = 0;
        self.end = n;
        Poll::Ready(Ok(n))
    }

    /// Hands rustls as much of the buffered ciphertext as it takes in one call.
    pub(crate) fn feed(&mut self, conn: &mut Connection) -> io::Result<usize> {
        let mut rest = &self.buf[self.start..self.end];
        let n = conn.read_tls(&mut rest)?;
        self.start += n;
        Ok(n)
    }

    /// What was read from the stream and not fed to rustls.
    pub(crate) fn into_unread(mut self) -> Vec<u8> {
        self.buf.truncate(self.end);
        self.buf.drain(..self.start);
        self.buf
    }
}
