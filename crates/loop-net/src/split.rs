//! Read and write halves of a stream: borrowed ([`ReadHalf`], [`WriteHalf`]) or owned and
//! movable to different tasks ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//!
//! A stream's `&S` already reads and writes, so a half is that reference (or a shared `Arc`)
//! limited to one direction: no lock, no extra cost per call.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};

/// A connected stream that can be split: [`TcpStream`](crate::TcpStream) and
/// [`UnixStream`](crate::UnixStream).
///
/// ```
/// use futures_lite::AsyncReadExt;
/// loop_core::run(async {
///     use loop_net::Duplex;
///     let (a, b) = loop_net::UnixStream::pair()?;
///     a.shutdown_write()?;
///     let mut rest = Vec::new();
///     (&b).read_to_end(&mut rest).await?;
///     assert!(rest.is_empty());
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub trait Duplex: fmt::Debug
where
    for<'a> &'a Self: AsyncRead + AsyncWrite,
{
    /// Shuts down the writing direction (the peer reads EOF).
    ///
    /// # Errors
    ///
    /// The OS's.
    fn shutdown_write(&self) -> io::Result<()>;
}

pub(crate) fn split<S: Duplex>(stream: &S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>)
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    (ReadHalf(stream), WriteHalf(stream))
}

pub(crate) fn into_split<S: Duplex>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>)
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    let stream = Arc::new(stream);
    (
        OwnedReadHalf(stream.clone()),
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        },
    )
}

/// The reading half of a borrowed stream.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// loop_core::run(async {
///     let (a, b) = loop_net::UnixStream::pair()?;
///     (&b).write_all(b"x").await?;
///     let (mut r, _w) = a.split();
///     r.read_exact(&mut [0; 1]).await?;
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a, S>(&'a S);

/// The writing half of a borrowed stream.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// loop_core::run(async {
///     let (a, b) = loop_net::UnixStream::pair()?;
///     let (_r, mut w) = a.split();
///     w.write_all(b"x").await?;
///     (&b).read_exact(&mut [0; 1]).await?;
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a, S>(&'a S);

/// The owned reading half of a stream.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// loop_core::run(async {
///     let (a, b) = loop_net::UnixStream::pair()?;
///     let (mut r, _w) = a.into_split();
///     let t = loop_core::spawn(async move { r.read_exact(&mut [0; 1]).await });
///     (&b).write_all(b"x").await?;
///     t.await.unwrap()?;
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf<S>(Arc<S>);

/// The owned writing half of a stream; dropping it shuts down writing, so the peer reads EOF.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// loop_core::run(async {
///     let (a, b) = loop_net::UnixStream::pair()?;
///     let (_r, mut w) = a.into_split();
///     w.write_all(b"bye").await?;
///     drop(w);
///     let mut got = Vec::new();
///     (&b).read_to_end(&mut got).await?; // EOF after the write half went
///     assert_eq!(got, b"bye");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf<S: Duplex>
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    stream: Arc<S>,
    shutdown_on_drop: bool,
}

/// [`OwnedReadHalf::reunite`] was given halves of two different streams; here they are back.
///
/// ```
/// loop_core::run(async {
///     let (a, b) = loop_net::UnixStream::pair()?;
///     let (ar, _aw) = a.into_split();
///     let (_br, bw) = b.into_split();
///     let err = ar.reunite(bw).unwrap_err();
///     assert_eq!(err.to_string(), "tried to reunite halves of two different streams");
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct ReuniteError<S: Duplex>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>)
where
    for<'a> &'a S: AsyncRead + AsyncWrite;

impl<S: Duplex> fmt::Display for ReuniteError<S>
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves of two different streams")
    }
}

impl<S: Duplex> std::error::Error for ReuniteError<S> where for<'a> &'a S: AsyncRead + AsyncWrite {}

impl<S: Duplex> OwnedReadHalf<S>
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    /// Puts the halves back together into the stream.
    ///
    /// # Errors
    ///
    /// When the halves come from two different streams.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let (a, _b) = loop_net::UnixStream::pair()?;
    ///     let (r, w) = a.into_split();
    ///     let a = r.reunite(w).unwrap();
    ///     assert!(a.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reunite(self, mut write: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.0, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown_on_drop = false;
        let stream = write.stream.clone();
        drop(write);
        drop(self);
        Ok(Arc::into_inner(stream).expect("both halves were given back"))
    }

    /// The whole stream, for its addresses and options.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.block_on(async {
    ///     let (a, _b) = loop_net::UnixStream::pair()?;
    ///     let (r, w) = a.into_split();
    ///     assert!(r.stream().local_addr()?.is_unnamed());
    ///     assert!(w.stream().peer_addr()?.is_unnamed());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stream(&self) -> &S {
        &self.0
    }
}

impl<S: Duplex> OwnedWriteHalf<S>
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    /// The whole stream, for its addresses and options.
    ///
    /// ```
    /// let lp = loop_core::EventLoop::new()?;
    /// lp.block_on(async {
    ///     let (a, _b) = loop_net::UnixStream::pair()?;
    ///     let (r, w) = a.into_split();
    ///     assert!(r.stream().local_addr()?.is_unnamed());
    ///     assert!(w.stream().peer_addr()?.is_unnamed());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stream(&self) -> &S {
        &self.stream
    }
}

impl<S: Duplex> Drop for OwnedWriteHalf<S>
where
    for<'a> &'a S: AsyncRead + AsyncWrite,
{
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may be gone already; nothing to report from a destructor.
            let _ = self.stream.shutdown_write();
        }
    }
}

macro_rules! read_impl {
    ($ty:ty, $($gen:tt)*) => {
        impl<$($gen)*> AsyncRead for $ty
        where
            for<'b> &'b S: AsyncRead + AsyncWrite,
        {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self.0).poll_read(cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self.0).poll_read_vectored(cx, bufs)
            }
        }
    };
}

read_impl!(ReadHalf<'_, S>, S: Duplex);
read_impl!(OwnedReadHalf<S>, S: Duplex);

macro_rules! write_impl {
    ($ty:ty, $field:tt, $($gen:tt)*) => {
        impl<$($gen)*> AsyncWrite for $ty
        where
            for<'b> &'b S: AsyncRead + AsyncWrite,
        {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self.$field).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self.$field).poll_write_vectored(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &*self.$field).poll_flush(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &*self.$field).poll_close(cx)
            }
        }
    };
}

write_impl!(WriteHalf<'_, S>, 0, S: Duplex);
write_impl!(OwnedWriteHalf<S>, stream, S: Duplex);
