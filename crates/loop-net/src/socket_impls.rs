//! The trait impls the socket types share to the letter. Macros rather than a generic
//! wrapper, so each socket stays its own public type and every call stays a direct,
//! monomorphic one.

/// Implements `Debug` (the named address methods, `.ok()`, and the fd), `AsFd` and `AsRawFd`
/// for a socket type whose registered socket is in a field `io: Async<_>`.
macro_rules! impl_socket {
    ($socket:ident, $($addr:ident),+) => {
        // An unnamed scope, so these imports cannot clash with the caller's.
        const _: () = {
            use std::fmt;
            use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

            impl fmt::Debug for $socket {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.debug_struct(stringify!($socket))
                        $(.field(stringify!($addr), &self.$addr().ok()))+
                        .field("fd", &self.as_raw_fd())
                        .finish()
                }
            }

            impl AsFd for $socket {
                fn as_fd(&self) -> BorrowedFd<'_> {
                    self.io.get_ref().as_fd()
                }
            }

            impl AsRawFd for $socket {
                fn as_raw_fd(&self) -> RawFd {
                    self.io.get_ref().as_raw_fd()
                }
            }
        };
    };
}

/// `impl_socket!` with both addresses, and `Duplex` and futures-io `AsyncRead` / `AsyncWrite`
/// (on the value and on a shared reference) for a stream type with `shutdown`, `local_addr`
/// and `peer_addr` methods and its registered socket in a field `io: Async<_>`.
macro_rules! impl_socket_stream {
    ($stream:ident) => {
        $crate::socket_impls::impl_socket!($stream, local_addr, peer_addr);

        // An unnamed scope, so these imports cannot clash with the caller's.
        const _: () = {
            use std::io::{self, IoSlice, IoSliceMut, Read};
            use std::net::Shutdown;
            use std::pin::Pin;
            use std::task::{Context, Poll};

            use futures_lite::io::{AsyncRead, AsyncWrite};

            use $crate::sys;
            use $crate::sys::shutdown_write;

            impl $crate::split::Duplex for $stream {
                fn shutdown_write(&self) -> io::Result<()> {
                    self.shutdown(Shutdown::Write)
                }
            }

            impl AsyncRead for &$stream {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut [u8],
                ) -> Poll<io::Result<usize>> {
                    self.io.poll_read_stream(cx, buf.len(), |mut s| s.read(buf))
                }

                fn poll_read_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &mut [IoSliceMut<'_>],
                ) -> Poll<io::Result<usize>> {
                    let len = bufs.iter().map(|b| b.len()).sum();
                    self.io
                        .poll_read_stream(cx, len, |mut s| s.read_vectored(bufs))
                }
            }

            impl AsyncWrite for &$stream {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    sys::poll_write_with(&self.io, cx, |s| sys::send(s, buf))
                }

                fn poll_write_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &[IoSlice<'_>],
                ) -> Poll<io::Result<usize>> {
                    sys::poll_write_with(&self.io, cx, |s| sys::send_vectored(s, bufs))
                }

                fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(Ok(())) // nothing is buffered here
                }

                fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(shutdown_write(self.io.get_ref()))
                }
            }

            impl AsyncRead for $stream {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut [u8],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &*self).poll_read(cx, buf)
                }

                fn poll_read_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &mut [IoSliceMut<'_>],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &*self).poll_read_vectored(cx, bufs)
                }
            }

            impl AsyncWrite for $stream {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &*self).poll_write(cx, buf)
                }

                fn poll_write_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &[IoSlice<'_>],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
                }

                fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Pin::new(&mut &*self).poll_flush(cx)
                }

                fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Pin::new(&mut &*self).poll_close(cx)
                }
            }
        };
    };
}

pub(crate) use {impl_socket, impl_socket_stream};
