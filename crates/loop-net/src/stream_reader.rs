//! [`StreamReader`]: asyncio's StreamReader over any `AsyncRead`: lines, separators, exact
//! counts, with a limit on how much one frame may buffer.

use std::fmt;
use std::io::{self, IoSliceMut};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::io::{AsyncBufRead, AsyncRead};

use crate::read_error::ReadError;

/// Asyncio's default stream limit: 64 KiB.
///
/// ```
/// assert_eq!(loop_net::DEFAULT_LIMIT, 65536);
/// ```
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// A buffered reader with asyncio's framed reads: [`read_line`](StreamReader::read_line),
/// [`read_until`](StreamReader::read_until), [`read_exact`](StreamReader::read_exact). It is
/// also an `AsyncRead` and `AsyncBufRead`, so futures' `lines()`, `read_to_end()` and the rest
/// work on it too.
///
/// The limit (64 KiB by default) bounds how far a separator is searched for: a frame longer
/// than that is a [`ReadError::LimitOverrun`] that leaves the data buffered. It does not bound
/// `read_exact` or plain reads (asyncio's rule). The buffer only grows when a frame needs it,
/// so memory stays near the limit however fast the peer sends: nothing is read until asked.
///
/// ```
/// use loop_net::{ReadError, StreamReader};
///
/// loop_core::run(async {
///     let input: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\npartial";
///     let mut r = StreamReader::new(input);
///     assert_eq!(r.read_line().await?, b"GET / HTTP/1.1\r\n");
///     assert_eq!(r.read_until(b"\r\n\r\n").await?, b"Host: x\r\n\r\n");
///     match r.read_line().await {
///         Err(ReadError::IncompleteRead { partial, expected: None }) => {
///             assert_eq!(partial, b"partial")
///         }
///         other => panic!("{other:?}"),
///     }
///     assert!(r.at_eof());
///     Ok::<_, ReadError>(())
/// }).unwrap()?;
/// # Ok::<_, ReadError>(())
/// ```
pub struct StreamReader<R> {
    inner: R,
    /// Bytes `buf[start..end]` are read and not yet consumed; the rest is spare room.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    limit: usize,
    eof: bool,
}

impl<R: AsyncRead + Unpin> StreamReader<R> {
    /// A reader with the default limit (64 KiB).
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"one\ntwo\n"[..]);
    ///     assert_eq!(r.limit(), loop_net::DEFAULT_LIMIT);
    ///     assert_eq!(r.read_line().await.unwrap(), b"one\n");
    /// }).unwrap();
    /// ```
    pub fn new(inner: R) -> StreamReader<R> {
        StreamReader::with_limit(inner, DEFAULT_LIMIT)
    }

    /// A reader whose separator searches stop after `limit` bytes.
    ///
    /// # Panics
    ///
    /// When `limit` is 0.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::with_limit(&b"far too long\n"[..], 4);
    ///     assert!(r.read_line().await.is_err());
    /// }).unwrap();
    /// ```
    pub fn with_limit(inner: R, limit: usize) -> StreamReader<R> {
        assert!(limit > 0, "a StreamReader limit must be positive");
        StreamReader {
            inner,
            buf: Box::default(),
            start: 0,
            end: 0,
            limit,
            eof: false,
        }
    }

    /// The limit.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     assert_eq!(StreamReader::with_limit(&b""[..], 10).limit(), 10);
    /// }).unwrap();
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The bytes read and not yet consumed.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"a\nb"[..]);
    ///     r.read_line().await.unwrap();
    ///     assert_eq!(r.buffer(), b"b"); // read along with the line, not yet consumed
    /// }).unwrap();
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Drops the first `n` buffered bytes (at most all of them): how to skip past an over-long
    /// frame after a [`ReadError::LimitOverrun`].
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::with_limit(&b"0123456789\nok\n"[..], 4);
    ///     let Err(loop_net::ReadError::LimitOverrun { consumed, found }) = r.read_line().await else {
    ///         unreachable!()
    ///     };
    ///     assert!(found); // the whole long line is buffered: `consumed` covers it
    ///     r.consume(consumed);
    ///     assert_eq!(r.read_line().await.unwrap(), b"ok\n");
    /// }).unwrap();
    /// ```
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Whether the stream has ended and everything read has been consumed.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"x"[..]);
    ///     assert!(!r.at_eof());
    ///     r.read_exact(1).await.unwrap();
    ///     r.read_some(1).await.unwrap(); // sees the end
    ///     assert!(r.at_eof());
    /// }).unwrap();
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.start == self.end
    }

    /// The wrapped reader.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let r = StreamReader::new(&b"abc"[..]);
    ///     assert_eq!(*r.get_ref(), b"abc");
    /// }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped reader (reading from it directly skips the buffer).
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"abc"[..]);
    ///     let _inner: &mut &[u8] = r.get_mut();
    /// }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The wrapped reader and the bytes still buffered.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"head\nbody"[..]);
    ///     r.read_line().await.unwrap();
    ///     let (_inner, rest) = r.into_parts();
    ///     assert_eq!(rest, b"body");
    /// }).unwrap();
    /// ```
    pub fn into_parts(self) -> (R, Vec<u8>) {
        let rest = self.buf[self.start..self.end].to_vec();
        (self.inner, rest)
    }

    /// Reads one line, `\n` included (asyncio's `readuntil(b"\n")`; unlike asyncio's
    /// `readline`, an over-long line is left buffered, see [`ReadError::LimitOverrun`]).
    ///
    /// # Errors
    ///
    /// See [`read_until`](StreamReader::read_until).
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"a\r\nb"[..]);
    ///     assert_eq!(r.read_line().await.unwrap(), b"a\r\n");
    ///     assert!(r.read_line().await.is_err()); // "b" then EOF: incomplete
    /// }).unwrap();
    /// ```
    pub async fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        self.read_until(b"\n").await
    }

    /// Reads up to and including `sep`.
    ///
    /// # Errors
    ///
    /// [`LimitOverrun`](ReadError::LimitOverrun) when more than the limit would be needed
    /// (the data stays buffered); [`IncompleteRead`](ReadError::IncompleteRead) with the bytes
    /// read when the stream ends first; [`Io`](ReadError::Io).
    ///
    /// # Panics
    ///
    /// When `sep` is empty.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"key=value;rest"[..]);
    ///     assert_eq!(r.read_until(b"=").await.unwrap(), b"key=");
    ///     assert_eq!(r.read_until(b";").await.unwrap(), b"value;");
    /// }).unwrap();
    /// ```
    pub async fn read_until(&mut self, sep: &[u8]) -> Result<Vec<u8>, ReadError> {
        assert!(!sep.is_empty(), "the separator must not be empty");
        let mut searched = 0; // where the next search may start, relative to `start`
        loop {
            let data = self.buffer();
            if let Some(at) = find(&data[searched..], sep) {
                let frame_end = searched + at + sep.len();
                if searched + at > self.limit {
                    return Err(ReadError::LimitOverrun {
                        consumed: frame_end,
                        found: true,
                    });
                }
                let frame = data[..frame_end].to_vec();
                self.consume(frame_end);
                return Ok(frame);
            }
            // A separator may straddle what is here and what comes next.
            searched = (data.len() + 1).saturating_sub(sep.len());
            if searched > self.limit {
                return Err(ReadError::LimitOverrun {
                    consumed: searched,
                    found: false,
                });
            }
            if self.eof {
                return Err(self.incomplete(None));
            }
            self.fill_more().await?;
        }
    }

    /// Reads exactly `n` bytes (the limit does not apply).
    ///
    /// # Errors
    ///
    /// [`IncompleteRead`](ReadError::IncompleteRead) with the bytes read and `expected:
    /// Some(n)` when the stream ends first; [`Io`](ReadError::Io).
    ///
    /// ```
    /// use loop_net::{ReadError, StreamReader};
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&[7u8; 18][..]);
    ///     let err = r.read_exact(36).await.unwrap_err();
    ///     assert_eq!(err.to_string(), "18 bytes read on a total of 36 expected bytes");
    ///     assert!(matches!(err, ReadError::IncompleteRead { expected: Some(36), .. }));
    /// }).unwrap();
    /// ```
    pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.end - self.start < n {
            if self.eof {
                return Err(self.incomplete(Some(n)));
            }
            self.fill_more().await?;
        }
        let frame = self.buffer()[..n].to_vec();
        self.consume(n);
        Ok(frame)
    }

    /// Reads at most `max` bytes: what is buffered, or else one read (asyncio's `read(n)`; an
    /// empty result means the end of the stream).
    ///
    /// # Errors
    ///
    /// The stream's.
    ///
    /// ```
    /// use loop_net::StreamReader;
    /// loop_core::run(async {
    ///     let mut r = StreamReader::new(&b"abcdef"[..]);
    ///     assert_eq!(r.read_some(4).await.unwrap(), b"abcd");
    ///     assert_eq!(r.read_some(4).await.unwrap(), b"ef");
    ///     assert!(r.read_some(4).await.unwrap().is_empty()); // EOF
    /// }).unwrap();
    /// ```
    pub async fn read_some(&mut self, max: usize) -> io::Result<Vec<u8>> {
        if self.start == self.end && !self.eof {
            self.fill_more().await?;
        }
        let n = max.min(self.end - self.start);
        let out = self.buffer()[..n].to_vec();
        self.consume(n);
        Ok(out)
    }

    fn incomplete(&mut self, expected: Option<usize>) -> ReadError {
        let partial = self.buffer().to_vec();
        self.start = self.end;
        ReadError::IncompleteRead { partial, expected }
    }

    /// Reads once more into the buffer.
    async fn fill_more(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_fill_more(cx)).await
    }

    fn poll_fill_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.make_room();
        let n = ready!(Pin::new(&mut self.inner).poll_read(cx, &mut self.buf[self.end..]))?;
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Poll::Ready(Ok(()))
    }

    /// Ensures a useful amount of spare room after `end`: moves the unread bytes to the front
    /// when that frees enough, else doubles the buffer (from 8 KiB). Growth follows the data
    /// actually received, never a size the peer announces.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        let spare = self.buf.len() - self.end;
        if spare > 0 && (self.start == 0 || spare >= self.buf.len() / 4) {
            return;
        }
        let len = self.end - self.start;
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
        } else {
            let mut bigger = vec![0; (len * 2).max(8 * 1024)].into_boxed_slice();
            bigger[..len].copy_from_slice(&self.buf[..len]);
            self.buf = bigger;
        }
        self.start = 0;
        self.end = len;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return haystack.iter().position(|&b| b == needle[0]);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<R: AsyncRead + Unpin> AsyncRead for StreamReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // Nothing buffered and a large read: straight from the stream, no copy.
        if this.start == this.end && out.len() >= this.buf.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, out))?;
            if n == 0 {
                this.eof = true;
            }
            return Poll::Ready(Ok(n));
        }
        let data = ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        this.consume(n);
        Poll::Ready(Ok(n))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        match bufs.iter_mut().find(|b| !b.is_empty()) {
            Some(buf) => self.poll_read(cx, buf),
            None => Poll::Ready(Ok(0)),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for StreamReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.start == this.end && !this.eof {
            ready!(this.poll_fill_more(cx))?;
        }
        Poll::Ready(Ok(&this.buf[this.start..this.end]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        StreamReader::consume(self.get_mut(), amt);
    }
}

impl<R> fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &(self.end - self.start))
            .field("limit", &self.limit)
            .field("eof", &self.eof)
            .finish_non_exhaustive()
    }
}
