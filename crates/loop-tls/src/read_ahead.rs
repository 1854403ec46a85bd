//! Ciphertext read from the stream ahead of rustls, in large reads.
//!
//! rustls' `read_tls` asks its reader only for the room left in its own buffer (often 4 KiB,
//! never more than one record), so handing it the socket costs several `read` syscalls per
//! 16 KiB record. Reading 32 KiB into a buffer of our own and feeding rustls from it costs
//! one syscall per buffer instead, plus a memcpy, which is cheaper.
//!
//! rustls is never fed past the end of a small record (an alert such as close_notify) in one
//! go: once it has seen close_notify it takes nothing more, so whatever the peer sent after
//! the TLS session (a protocol going back to plaintext) stays here for
//! `TlsStream::into_inner` to hand back.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::AsyncRead;
use rustls::Connection;

/// Room for one largest TLS record with plenty to spare: bulk transfers read several at once.
const SIZE: usize = 32 * 1024;
/// A TLS record header: content type, version, and the length of what follows.
const HEADER: usize = 5;
/// Records at least this long are never alerts, so rustls may be fed across their ends.
const LARGE: usize = 512;
/// The content type of every record after the handshake (TLS 1.3 hides the real type inside).
const APPLICATION_DATA: u8 = 23;

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

    /// The length, header included, of the record whose header starts at `pos` (relative to
    /// `start`), if the whole header is buffered.
    fn record_at(&self, pos: usize) -> Option<usize> {
        let header = self.buf[self.start..self.end].get(pos..pos + HEADER)?;
        Some(HEADER + usize::from(u16::from_be_bytes([header[3], header[4]])))
    }

    /// The length of the record at `pos` if it is bulk data: a whole, well-formed
    /// application-data header and a length no alert or short message has. Plaintext that
    /// follows a TLS session practically never looks like one.
    fn bulk_record_at(&self, pos: usize) -> Option<usize> {
        let header = self.buf[self.start..self.end].get(pos..pos + HEADER)?;
        let len = HEADER + usize::from(u16::from_be_bytes([header[3], header[4]]));
        let bulk = header[0] == APPLICATION_DATA && header[1..3] == [3, 3] && len >= LARGE;
        bulk.then_some(len)
    }

    /// Hands rustls buffered ciphertext: the current record, and any bulk records after it.
    /// `None`: more must be read first (nothing buffered, or only part of a record header);
    /// `Some(0)`: rustls takes no more (it saw close_notify).
    ///
    /// Feeding stops before any small or odd-looking record, so a close_notify (a small alert)
    /// or plaintext is never taken along with the records before it; stopping at every
    /// boundary instead would make rustls shrink and regrow its buffer for each record.
    pub(crate) fn feed(&mut self, conn: &mut Connection) -> io::Result<Option<usize>> {
        let Some(len) = self.offer() else {
            return Ok(None);
        };
        let mut records = &self.buf[self.start..self.start + len];
        let n = conn.read_tls(&mut records)?;
        self.consumed(n);
        Ok(Some(n))
    }

    /// How many buffered bytes rustls may be offered now (see [`feed`](Self::feed)).
    fn offer(&mut self) -> Option<usize> {
        if self.record_left == 0 {
            self.record_left = self.record_at(0)?;
        }
        let buffered = self.end - self.start;
        if buffered == 0 {
            // An empty read would tell rustls the stream ended.
            return None;
        }
        let mut limit = self.record_left;
        while limit < buffered {
            match self.bulk_record_at(limit) {
                Some(len) => limit += len,
                None => break,
            }
        }
        Some(buffered.min(limit))
    }

    /// Moves past `n` bytes given to rustls, keeping track of where records end.
    fn consumed(&mut self, mut n: usize) {
        while n >= self.record_left && self.record_left > 0 {
            n -= self.record_left;
            self.start += self.record_left;
            // 0 (unknown yet) when the next header is not all here: `feed` parses it later.
            self.record_left = self.record_at(0).unwrap_or(0);
        }
        self.start += n;
        self.record_left -= n;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: usize) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        r.extend_from_slice(&(body as u16).to_be_bytes());
        r.resize(HEADER + body, 0xAB);
        r
    }

    fn buffered(parts: &[&[u8]]) -> ReadAhead {
        let buf = parts.concat();
        ReadAhead {
            end: buf.len(),
            buf,
            start: 0,
            record_left: 0,
        }
    }

    #[test]
    fn bulk_records_are_offered_together_but_never_an_alert_behind_them() {
        let big = record(APPLICATION_DATA, 16 * 1024);
        let alert = record(APPLICATION_DATA, 19); // a TLS 1.3 close_notify's size
        let mut ahead = buffered(&[&big, &big, &alert, b"plaintext after"]);
        assert_eq!(ahead.offer(), Some(2 * big.len()));
        ahead.consumed(2 * big.len());
        assert_eq!(ahead.offer(), Some(alert.len()), "the alert alone");
        ahead.consumed(alert.len());
        assert_eq!(ahead.into_unread(), b"plaintext after");
    }

    #[test]
    fn a_partial_header_waits_for_more_and_positions_survive_partial_feeds() {
        let big = record(APPLICATION_DATA, 1000);
        let mut ahead = buffered(&[&big, &big[..3]]);
        assert_eq!(
            ahead.offer(),
            Some(big.len()),
            "only the whole header's record"
        );
        ahead.consumed(600);
        assert_eq!(ahead.record_left, big.len() - 600);
        ahead.consumed(big.len() - 600);
        assert_eq!(ahead.record_left, 0, "next header incomplete");
        assert_eq!(ahead.offer(), None);
        assert_eq!(ahead.into_unread(), &big[..3]);
    }

    #[test]
    fn plaintext_that_looks_long_is_not_taken_for_a_record() {
        let small = record(APPLICATION_DATA, 20);
        // "plain" reads as a length of 0x696e: long, but not an application-data header.
        let mut ahead = buffered(&[&small, b"plain again, and more plain text"]);
        assert_eq!(ahead.offer(), Some(small.len()));
    }
}
