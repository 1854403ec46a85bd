//! Ciphertext read from the stream ahead of rustls, in large reads.
//!
//! rustls' `read_tls` asks its reader for at most 4 KiB at a time, so handing it the socket
//! costs four or more `read` syscalls per 16 KiB record. Reading into a buffer of our own and
//! feeding rustls from it costs one syscall per buffer instead, and a memcpy, which is cheaper.
//!
//! rustls is fed one TLS record at a time, never past the end of the current one: once it has
//! seen close_notify it takes nothing more, so whatever the peer sent after the TLS session (a
//! protocol going back to plaintext) stays here for `TlsStream::into_inner` to hand back.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::AsyncRead;
use rustls::Connection;

/// Room for one largest TLS record with plenty to spare: bulk transfers read several at once.
const SIZE: usize = 32 * 1024;
/// A TLS record header: content type, version, and the length of what follows.
const HEADER: usize = 5;

#[derive(Debug, Default)]
pub(crate) struct ReadAhead {
    /// Empty until the first read, then `SIZE` bytes for the stream's life.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes of the current record not yet given to rustls; 0 at a record boundary.
    record_left: usize,
}

impl ReadAhead {
    /// Reads more of the stream behind what is buffered; `Ok(0)` is the stream's EOF.
    pub(crate) fn poll_fill<S: AsyncRead + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        if self.buf.is_empty() {
            self.buf = vec![0; SIZE];
        }
        if self.start > 0 {
            // At most a partial record header is left: move it to the front.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = ready!(Pin::new(io).poll_read(cx, &mut self.buf[self.end..]))?;
        self.end += n;
        Poll::Ready(Ok(n))
    }

    /// Hands rustls buffered ciphertext, up to the end of the current record. `None`: more must
    /// be read first (nothing buffered, or only part of a record header); `Some(0)`: rustls
    /// takes no more (it saw close_notify).
    pub(crate) fn feed(&mut self, conn: &mut Connection) -> io::Result<Option<usize>> {
        let rest = &self.buf[self.start..self.end];
        if self.record_left == 0 {
            let Some(header) = rest.get(..HEADER) else {
                return Ok(None);
            };
            self.record_left = HEADER + usize::from(u16::from_be_bytes([header[3], header[4]]));
        }
        if rest.is_empty() {
            // An empty read would tell rustls the stream ended.
            return Ok(None);
        }
        let mut record = &rest[..rest.len().min(self.record_left)];
        let n = conn.read_tls(&mut record)?;
        self.start += n;
        self.record_left -= n;
        Ok(Some(n))
    }

    /// At the stream's EOF: gives rustls what is left (part of a record header at most), then
    /// the EOF itself, by which rustls tells a truncation from a clean close.
    pub(crate) fn feed_eof(&mut self, conn: &mut Connection) -> io::Result<()> {
        let mut rest = &self.buf[self.start..self.end];
        while !rest.is_empty() && conn.read_tls(&mut rest)? > 0 {}
        self.start = self.end - rest.len();
        conn.read_tls(&mut &[][..])?;
        Ok(())
    }

    /// What was read from the stream and not fed to rustls.
    pub(crate) fn into_unread(mut self) -> Vec<u8> {
        self.buf.truncate(self.end);
        self.buf.drain(..self.start);
        self.buf
    }
}
