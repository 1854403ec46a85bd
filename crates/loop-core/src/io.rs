//! [`Async<T>`]: any file descriptor, made non-blocking and registered with the running loop.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::task::{Context, Poll, ready};

use futures_lite::io::{AsyncRead, AsyncWrite};

use crate::arena::Key;
use crate::context;
use crate::event_loop::{Core, Loop, get_running_loop};
use crate::handle::{Remote, Shared};
use crate::reactor::{READ, WRITE};

/// An I/O object registered with an event loop: await readiness, or run an operation until it
/// stops returning `WouldBlock`.
///
/// The object is switched to non-blocking mode and registered once. Readiness is cached: an
/// event marks the source readable (or writable) until an operation returns `WouldBlock`.
/// [`read_with`](Async::read_with) and the `AsyncRead`/`AsyncWrite` impls clear it for you; if
/// you do I/O by hand after [`readable`](Async::readable), call
/// [`clear_readable`](Async::clear_readable) when it returns `WouldBlock`.
///
/// An `Async` must be used on the loop it was registered with, while that loop runs; elsewhere
/// its operations return an error. Dropping it deregisters the source and then closes it.
///
/// # Examples
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use loop_core::{Async, EventLoop};
/// use std::os::unix::net::UnixStream;
///
/// let lp = EventLoop::new()?;
/// lp.block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct Async<T: AsFd> {
    io: Option<T>,
    key: Key,
    shared: Arc<Shared>,
    /// Whether a short read may clear cached readability: [`DRAIN_UNKNOWN`] until the first
    /// short read asks the OS whether `io` is a TCP socket, then [`DRAIN_YES`] or
    /// [`DRAIN_NO`]; `DRAIN_NO` from the start when the loop's poller cannot tell a hang-up.
    short_read_drains: AtomicU8,
    /// Set when a short read from a TCP socket cleared cached readability: until an event
    /// sets it again, the next read would only return `WouldBlock`, so it is not tried.
    read_drained: AtomicBool,
}

const DRAIN_UNKNOWN: u8 = 0;
const DRAIN_YES: u8 = 1;
const DRAIN_NO: u8 = 2;

impl<T: AsFd> Async<T> {
    /// Registers `io` with the running loop.
    ///
    /// # Errors
    ///
    /// When no loop runs on this thread, or the OS refuses non-blocking mode or registration.
    ///
    /// ```
    /// assert!(loop_core::Async::new(std::os::unix::net::UnixStream::pair()?.0).is_err());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(io: T) -> io::Result<Async<T>> {
        let lp = get_running_loop().map_err(io::Error::other)?;
        Async::with_loop(&lp, io)
    }

    /// Registers `io` with `lp`, which need not be running yet.
    ///
    /// # Errors
    ///
    /// When the loop is closed, or the OS refuses non-blocking mode or registration.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// lp.block_on(a.writable()).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_loop(lp: &Loop, io: T) -> io::Result<Async<T>> {
        if lp.is_closed() {
            return Err(io::Error::other(crate::Closed));
        }
        rustix::io::ioctl_fionbio(io.as_fd(), true)?;
        let core = lp.core();
        let mut reactor = core.reactor.borrow_mut();
        let key = reactor.register(&*core.shared.poller, io.as_fd().as_raw_fd())?;
        let drains = if reactor.short_reads_drain() {
            DRAIN_UNKNOWN
        } else {
            DRAIN_NO
        };
        drop(reactor);
        Ok(Async {
            io: Some(io),
            key,
            shared: core.shared.clone(),
            short_read_drains: AtomicU8::new(drains),
            read_drained: AtomicBool::new(false),
        })
    }

    /// The wrapped I/O object.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// assert!(a.get_ref().peer_addr().is_ok());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io.as_ref().expect("I/O object present until drop")
    }

    /// Deregisters and returns the I/O object (still in non-blocking mode).
    ///
    /// # Errors
    ///
    /// When the poller refuses to delete the source.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// let plain: std::os::unix::net::UnixStream = a.into_inner()?;
    /// # let _ = plain;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_inner(mut self) -> io::Result<T> {
        self.deregister();
        Ok(self.io.take().expect("I/O object present until drop"))
    }

    fn with_core<R>(&self, f: impl FnOnce(&Core) -> R) -> io::Result<R> {
        context::with_loop(self.shared.id, f).ok_or_else(|| {
            io::Error::other(
                "this Async belongs to an event loop that is not running on this thread",
            )
        })
    }

    fn poll_ready(&self, dir: u8, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with_core(|core| {
            core.reactor
                .borrow_mut()
                .poll_ready(&*core.shared.poller, self.key, dir, cx.waker())
        })?
    }

    fn clear(&self, dir: u8) -> io::Result<()> {
        self.with_core(|core| core.reactor.borrow_mut().clear_ready(self.key, dir))
    }

    /// Polls for readability (see [`readable`](Async::readable)).
    ///
    /// # Errors
    ///
    /// When used off its loop, or the poller fails.
    ///
    /// ```
    /// use std::task::Poll;
    /// let lp = loop_core::EventLoop::new()?;
    /// let (_a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let b = loop_core::Async::with_loop(&lp, b)?;
    /// lp.block_on(std::future::poll_fn(|cx| {
    ///     assert!(b.poll_readable(cx).is_pending()); // nothing sent yet
    ///     Poll::Ready(())
    /// })).unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(READ, cx)
    }

    /// Polls for writability (see [`writable`](Async::writable)).
    ///
    /// # Errors
    ///
    /// When used off its loop, or the poller fails.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// lp.block_on(std::future::poll_fn(|cx| a.poll_writable(cx))).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(WRITE, cx)
    }

    /// Waits until the loop has seen the source readable since readiness was last cleared.
    ///
    /// ```
    /// use std::io::Write;
    /// let lp = loop_core::EventLoop::new()?;
    /// let (mut a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let b = loop_core::Async::with_loop(&lp, b)?;
    /// a.write_all(b"x")?;
    /// lp.block_on(b.readable()).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn readable(&self) -> Readable<'_, T> {
        Readable { io: self }
    }

    /// Waits until the loop has seen the source writable since readiness was last cleared.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// lp.block_on(a.writable()).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn writable(&self) -> Writable<'_, T> {
        Writable { io: self }
    }

    /// Forgets cached readability: the next [`readable`](Async::readable) waits for an event.
    /// Call it when an operation you ran by hand returned `WouldBlock`.
    ///
    /// # Errors
    ///
    /// When used off its loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (_a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let b = loop_core::Async::with_loop(&lp, b)?;
    /// lp.block_on(async { b.clear_readable() }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn clear_readable(&self) -> io::Result<()> {
        self.clear(READ)
    }

    /// Forgets cached writability, as [`clear_readable`](Async::clear_readable) does for reads.
    ///
    /// # Errors
    ///
    /// When used off its loop.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// lp.block_on(async { a.clear_writable() }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn clear_writable(&self) -> io::Result<()> {
        self.clear(WRITE)
    }

    /// Runs `op` until it returns something other than `WouldBlock`, waiting for readability
    /// in between. `op` is tried once before any waiting.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns, or a readiness error.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let lp = loop_core::EventLoop::new()?;
    /// let (mut a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let b = loop_core::Async::with_loop(&lp, b)?;
    /// a.write_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// let n = lp.block_on(b.read_with(|s| (&*s).read(&mut buf))).unwrap()?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(READ, cx, &mut op)).await
    }

    /// Runs `op` until it returns something other than `WouldBlock`, waiting for writability
    /// in between.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns, or a readiness error.
    ///
    /// ```
    /// use std::io::Write;
    /// let lp = loop_core::EventLoop::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = loop_core::Async::with_loop(&lp, a)?;
    /// let n = lp.block_on(a.write_with(|s| (&*s).write(b"hello"))).unwrap()?;
    /// assert_eq!(n, 5);
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(WRITE, cx, &mut op)).await
    }

    fn poll_io<R>(
        &self,
        dir: u8,
        cx: &mut Context<'_>,
        op: &mut impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear(dir)?;
                    ready!(self.poll_ready(dir, cx))?;
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// Polls a read-like `op` (one that fills at most `len` bytes and returns how many), as
    /// the `AsyncRead` impl does; for stream wrappers that do their own reads (`recv` with
    /// flags, vectored reads).
    ///
    /// On a loop whose poller reports hang-ups ([`EpollPoller`](crate::EpollPoller)), a TCP
    /// socket's read that returns less than `len` drained the receive queue at that moment, and
    /// data arriving later is a new readiness event; so cached readability is cleared then, and
    /// the next call waits for that event instead of spending a syscall on `WouldBlock` (not
    /// once an event has announced the peer's shutdown or an error, which no new event would
    /// announce again). Other descriptors (Unix stream sockets, whose reads stop early where
    /// passed descriptors or credentials change; datagram sockets, ttys, inotify, which may
    /// return short with more queued) and other pollers run `op` as
    /// [`read_with`](Async::read_with) does.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns, or a readiness error.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let lp = loop_core::EventLoop::new()?;
    /// let (mut a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let b = loop_core::Async::with_loop(&lp, b)?;
    /// a.write_all(b"hi")?;
    /// let mut buf = [0; 8];
    /// let n = lp
    ///     .block_on(std::future::poll_fn(|cx| {
    ///         b.poll_read_stream(cx, buf.len(), |s| (&*s).read(&mut buf))
    ///     }))
    ///     .unwrap()?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if self.read_drained.load(Ordering::Relaxed) {
            ready!(self.poll_ready(READ, cx))?;
            self.read_drained.store(false, Ordering::Relaxed);
        }
        let result = ready!(self.poll_io(READ, cx, &mut op));
        if let Ok(n) = result {
            if n > 0 && n < len && self.short_read_drains() {
                // Off its loop the bytes just read still go back to the caller; readability
                // then simply stays cached.
                let drained = context::with_loop(self.shared.id, |core| {
                    core.reactor.borrow_mut().drained_by_short_read(self.key)
                });
                self.read_drained
                    .store(drained == Some(true), Ordering::Relaxed);
            }
        }
        Poll::Ready(result)
    }

    fn short_read_drains(&self) -> bool {
        match self.short_read_drains.load(Ordering::Relaxed) {
            DRAIN_YES => true,
            DRAIN_NO => false,
            _ => {
                // TCP only: a Unix stream socket's read also stops early where passed file
                // descriptors or credentials change, with data still queued behind them.
                use rustix::net::{AddressFamily, SocketType, sockopt};
                let fd = self.get_ref();
                let tcp = sockopt::socket_type(fd).is_ok_and(|kind| kind == SocketType::STREAM)
                    && sockopt::socket_domain(fd).is_ok_and(|family| {
                        family == AddressFamily::INET || family == AddressFamily::INET6
                    });
                let drains = if tcp { DRAIN_YES } else { DRAIN_NO };
                self.short_read_drains.store(drains, Ordering::Relaxed);
                tcp
            }
        }
    }

    fn deregister(&mut self) {
        let key = self.key;
        let on_loop = context::with_loop(self.shared.id, |core| {
            let removed = core
                .reactor
                .borrow_mut()
                .deregister(&*core.shared.poller, key);
            drop(removed);
        });
        if on_loop.is_none() {
            // Another thread: delete the fd now (the poller is thread-safe), free the slot on
            // the loop's thread later.
            if let Some(io) = &self.io {
                let _ = self.shared.poller.delete(io.as_fd());
            }
            let id = self.shared.id;
            let _ = self.shared.push(Remote::Call(Box::new(move || {
                context::with_loop(id, |core| {
                    let removed = core.reactor.borrow_mut().forget(key);
                    drop(removed);
                });
            })));
        }
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if self.io.is_some() {
            self.deregister();
        }
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async").field("io", &self.io).finish()
    }
}

/// Future of [`Async::readable`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Readable<'a, T: AsFd> {
    io: &'a Async<T>,
}

impl<T: AsFd> Future for Readable<'_, T> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }
}

impl<T: AsFd> fmt::Debug for Readable<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readable").finish_non_exhaustive()
    }
}

/// Future of [`Async::writable`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Writable<'a, T: AsFd> {
    io: &'a Async<T>,
}

impl<T: AsFd> Future for Writable<'_, T> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_writable(cx)
    }
}

impl<T: AsFd> fmt::Debug for Writable<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writable").finish_non_exhaustive()
    }
}

impl<T: AsFd> AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_stream(cx, buf.len(), |io: &T| {
            let mut io = io;
            io.read(buf)
        })
    }
}

impl<T: AsFd> AsyncRead for Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read(cx, buf)
    }
}

impl<T: AsFd> AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(WRITE, cx, &mut |io: &T| {
            let mut io = io;
            io.write(buf)
        })
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_io(WRITE, cx, &mut |io: &T| {
            let mut io = io;
            io.flush()
        })
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: AsFd> AsyncWrite for Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}
