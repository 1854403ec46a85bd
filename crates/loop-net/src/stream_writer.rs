//! [`StreamWriter`]: asyncio's StreamWriter over any `AsyncWrite`: `write` buffers, `drain`
//! waits while the buffer is above its high-water mark.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::io::AsyncWrite;

/// Asyncio's default high-water mark: 64 KiB.
///
/// ```
/// assert_eq!(loop_net::DEFAULT_HIGH_WATER, 64 * 1024);
/// ```
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;
/// Asyncio's default low-water mark: a quarter of the high one, 16 KiB.
///
/// ```
/// assert_eq!(loop_net::DEFAULT_LOW_WATER, 16 * 1024);
/// ```
pub const DEFAULT_LOW_WATER: usize = DEFAULT_HIGH_WATER / 4;

/// A buffered writer with asyncio's flow control: [`write`](StreamWriter::write) never waits
/// (it appends to the buffer), and [`drain`](StreamWriter::drain) is where a fast writer waits
/// for a slow peer: while the buffer holds more than the high-water mark (64 KiB), it sends
/// until at most the low-water mark (16 KiB) is left.
///
/// It is also an `AsyncWrite` whose writes wait the same way, so `write_all` on it keeps memory
/// bounded without any `drain` call. `flush` sends everything; `close` flushes and then closes
/// the inner writer (for a socket: `shutdown(Write)`, asyncio's `write_eof`).
///
/// ```
/// use futures_lite::AsyncWriteExt;
/// use loop_net::StreamWriter;
///
/// loop_core::run(async {
///     let mut w = StreamWriter::new(Vec::new());
///     w.write(b"hello ");
///     w.writelines([&b"wor"[..], b"ld"]);
///     assert_eq!(w.buffer_size(), 11);
///     w.drain().await?; // below the high-water mark: returns at once
///     w.flush().await?;
///     assert_eq!(w.get_ref(), b"hello world");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct StreamWriter<W> {
    inner: W,
    /// Bytes `buf[start..]` are waiting to be sent.
    buf: Vec<u8>,
    start: usize,
    high: usize,
    low: usize,
}

impl<W: AsyncWrite + Unpin> StreamWriter<W> {
    /// A writer with the default marks (64 KiB high, 16 KiB low).
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let w = StreamWriter::new(Vec::<u8>::new());
    ///     assert_eq!(w.write_buffer_limits(), (65536, 16384));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(inner: W) -> StreamWriter<W> {
        StreamWriter {
            inner,
            buf: Vec::new(),
            start: 0,
            high: DEFAULT_HIGH_WATER,
            low: DEFAULT_LOW_WATER,
        }
    }

    /// Sets the marks (asyncio's `set_write_buffer_limits`).
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) when `high < low`.
    ///
    /// ```
    /// let mut w = loop_net::StreamWriter::new(Vec::new());
    /// assert!(w.set_write_buffer_limits(0, 1).is_err());
    /// w.set_write_buffer_limits(4, 1)?;
    /// assert_eq!(w.write_buffer_limits(), (4, 1));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_buffer_limits(&mut self, high: usize, low: usize) -> io::Result<()> {
        if high < low {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("high-water mark ({high}) must be >= low-water mark ({low})"),
            ));
        }
        self.high = high;
        self.low = low;
        Ok(())
    }

    /// The marks: `(high, low)`.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let mut w = StreamWriter::new(Vec::<u8>::new());
    ///     w.set_write_buffer_limits(100, 10)?;
    ///     assert_eq!(w.write_buffer_limits(), (100, 10));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        (self.high, self.low)
    }

    /// How many bytes wait in the buffer.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     use futures_lite::AsyncWriteExt;
    ///     let mut w = StreamWriter::new(Vec::new());
    ///     w.write(b"12345");
    ///     assert_eq!(w.buffer_size(), 5);
    ///     w.flush().await?;
    ///     assert_eq!(w.buffer_size(), 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn buffer_size(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Appends `data` to the buffer; nothing is sent until [`drain`](StreamWriter::drain),
    /// [`flush`](futures_lite::AsyncWriteExt::flush) or a write through `AsyncWrite`.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let mut w = StreamWriter::new(Vec::new());
    ///     w.write(b"buffered");
    ///     assert!(w.get_ref().is_empty()); // nothing sent yet
    ///     w.drain().await?; // sends what the writer takes
    ///     assert_eq!(w.get_ref(), b"buffered");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write(&mut self, data: &[u8]) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Appends each buffer in turn (asyncio's `writelines`).
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let mut w = StreamWriter::new(Vec::new());
    ///     w.writelines(["a", "b", "c"]);
    ///     assert_eq!(w.buffer_size(), 3);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn writelines<I>(&mut self, data: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        for chunk in data {
            self.write(chunk.as_ref());
        }
    }

    /// Sends what the writer takes without waiting; and, while the buffer is above the
    /// high-water mark, waits until it is down to the low-water mark.
    ///
    /// # Errors
    ///
    /// The writer's: a peer that reset the connection makes this fail, it never spins
    /// (asyncio's test_drain_raises). Unsent data stays buffered.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     let mut w = StreamWriter::new(a);
    ///     w.write(&vec![0; 1 << 20]); // far above the high-water mark
    ///     let reader = loop_core::spawn(async move {
    ///         use futures_lite::AsyncReadExt;
    ///         let mut sink = Vec::new();
    ///         (&b).read_to_end(&mut sink).await.map(|_| sink.len())
    ///     });
    ///     w.drain().await?; // waits for the reader to take all but 16 KiB at most
    ///     assert!(w.buffer_size() <= 16 * 1024);
    ///     w.write_eof().await?;
    ///     assert_eq!(reader.await.unwrap()?, 1 << 20);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn drain(&mut self) -> io::Result<()> {
        poll_fn(|cx| {
            if self.buffer_size() > self.high {
                ready!(self.poll_send_down_to(cx, self.low))?;
            }
            match self.poll_send_down_to(cx, 0) {
                Poll::Pending => Poll::Ready(Ok(())),
                done => done,
            }
        })
        .await
    }

    /// Flushes everything, then shuts down the writing side of the inner writer (asyncio's
    /// `write_eof`; the same as `AsyncWriteExt::close`).
    ///
    /// # Errors
    ///
    /// The writer's.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let (a, b) = loop_net::UnixStream::pair()?;
    ///     let mut w = StreamWriter::new(a);
    ///     w.write(b"last words");
    ///     w.write_eof().await?;
    ///     use futures_lite::AsyncReadExt;
    ///     let mut got = String::new();
    ///     (&b).read_to_string(&mut got).await?;
    ///     assert_eq!(got, "last words");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn write_eof(&mut self) -> io::Result<()> {
        futures_lite::AsyncWriteExt::close(self).await
    }

    /// The wrapped writer.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let w = StreamWriter::new(Vec::<u8>::new());
    ///     assert!(w.get_ref().is_empty());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped writer (writing to it directly bypasses the buffer).
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let mut w = StreamWriter::new(Vec::<u8>::new());
    ///     w.get_mut().extend_from_slice(b"direct");
    ///     assert_eq!(w.buffer_size(), 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The wrapped writer and the bytes not yet sent.
    ///
    /// ```
    /// use loop_net::StreamWriter;
    /// loop_core::run(async {
    ///     let mut w = StreamWriter::new(Vec::<u8>::new());
    ///     w.write(b"unsent");
    ///     let (inner, unsent) = w.into_parts();
    ///     assert!(inner.is_empty());
    ///     assert_eq!(unsent, b"unsent");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_parts(mut self) -> (W, Vec<u8>) {
        self.buf.drain(..self.start);
        (self.inner, self.buf)
    }

    /// Sends until at most `target` bytes wait.
    fn poll_send_down_to(&mut self, cx: &mut Context<'_>, target: usize) -> Poll<io::Result<()>> {
        while self.buffer_size() > target {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.start..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.start += n;
        }
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > self.buf.len() / 2 {
            // Keep the unsent tail at the front so the buffer does not creep forward forever.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for StreamWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.buffer_size() + data.len() > this.high {
            ready!(this.poll_send_down_to(cx, this.low))?;
            // Nothing waiting and a large write: hand it over directly, no copy.
            if this.buffer_size() == 0 && data.len() > this.high {
                return Pin::new(&mut this.inner).poll_write(cx, data);
            }
        }
        let room = this.high.saturating_sub(this.buffer_size()).max(1);
        let n = data.len().min(room);
        this.write(&data[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send_down_to(cx, 0))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl<W> fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("buffered", &(self.buf.len() - self.start))
            .field("high", &self.high)
            .field("low", &self.low)
            .finish_non_exhaustive()
    }
}
