//! TLS on asyncio's transports and protocols: STARTTLS on a live transport, and the
//! `StreamInfo` a TLS transport reports.

use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};
use loop_net::{Protocol, StreamInfo, Transport, TransportAddr};

use crate::{TlsAcceptor, TlsConnector, TlsStream};

/// What a transport over `tls` reports: the addresses given, no half-close (TLS has none that
/// asyncio offers: `can_write_eof()` is false), and the session's [`TlsInfo`](crate::TlsInfo)
/// as an extra.
///
/// # Examples
///
/// ```
/// # let (cert, key) = { let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap(); (c.cert.der().clone(), rustls::pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into())) };
/// # loop_core::EventLoop::new()?.block_on(async move {
/// let (client, _server) = loop_tls::doc_support::pair(cert, key).await?;
/// let info = loop_tls::stream_info(&client, None, None);
/// assert!(format!("{info:?}").contains("can_write_eof: false"));
/// # std::io::Result::Ok(()) }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub fn stream_info<S>(
    tls: &TlsStream<S>,
    peer: Option<TransportAddr>,
    local: Option<TransportAddr>,
) -> StreamInfo {
    let mut info = StreamInfo::new().can_write_eof(false).extra(tls.info());
    if let Some(peer) = peer {
        info = info.peer(peer);
    }
    if let Some(local) = local {
        info = info.local(local);
    }
    info
}

/// Attaches `protocol` to a finished TLS session without `connection_made`.
fn reattach<S, P>(
    tls: TlsStream<S>,
    peer: Option<TransportAddr>,
    local: Option<TransportAddr>,
    protocol: Rc<RefCell<P>>,
) -> io::Result<Transport>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
    P: Protocol,
{
    let info = stream_info(&tls, peer, local);
    Transport::attach(ClosesOnDrop(Some(tls)), info, protocol)
}

/// A TLS session lent to a transport. The transport drops its stream when it is done with it
/// (after `close`, or at the peer's close_notify); this then ends the session as asyncio's
/// `close()` does, on a task of its own: close_notify, and a wait bounded by the shutdown
/// timeout for the peer's, before the socket closes.
#[derive(Debug)]
pub(crate) struct ClosesOnDrop<S: AsyncRead + AsyncWrite + Unpin + 'static>(
    pub(crate) Option<TlsStream<S>>,
);

impl<S: AsyncRead + AsyncWrite + Unpin + 'static> ClosesOnDrop<S> {
    fn tls(&mut self) -> Pin<&mut TlsStream<S>> {
        Pin::new(self.0.as_mut().expect("present until drop"))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + 'static> Drop for ClosesOnDrop<S> {
    fn drop(&mut self) {
        let Some(mut tls) = self.0.take() else { return };
        // Without a loop (it is shutting down) the socket just closes.
        if let Ok(lp) = loop_core::get_running_loop() {
            lp.spawn_local(async move {
                // The peer may be gone or slow; the bound and the close happen either way.
                let _ = tls.shutdown().await;
            })
            .detach();
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + 'static> AsyncRead for ClosesOnDrop<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().tls().poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + 'static> AsyncWrite for ClosesOnDrop<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().tls().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().tls().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().tls().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().tls().poll_close(cx)
    }
}

impl TlsConnector {
    /// STARTTLS on a transport (asyncio's `loop.start_tls(..., server_side=False)`): takes the
    /// connection out of `transport` once its queued writes are sent, runs the client
    /// handshake with `server_name`, and returns the new transport, which feeds the same
    /// `protocol`. `connection_made` is not called again; the old transport is done.
    ///
    /// On failure the error is returned, the connection is closed, and the protocol hears
    /// nothing more.
    ///
    /// # Examples
    ///
    /// See `tests/starttls_transport.rs`; in short:
    ///
    /// ```
    /// # use std::{cell::RefCell, rc::Rc};
    /// async fn upgrade<P: loop_net::Protocol>(
    ///     connector: &loop_tls::TlsConnector,
    ///     transport: &loop_net::Transport,
    ///     protocol: Rc<RefCell<P>>,
    /// ) -> std::io::Result<loop_net::Transport> {
    ///     connector.start_tls(transport, protocol, "mail.example").await
    /// }
    /// ```
    pub async fn start_tls<P: Protocol>(
        &self,
        transport: &Transport,
        protocol: Rc<RefCell<P>>,
        server_name: &str,
    ) -> io::Result<Transport> {
        let (peer, local) = (transport.peer_addr(), transport.local_addr());
        let plain = transport.detach(&[]).await?.into_stream();
        let tls = self.connect(server_name, plain).await?;
        reattach(tls, peer, local, protocol)
    }
}

impl TlsAcceptor {
    /// STARTTLS on a transport, server side (asyncio's `loop.start_tls(..., server_side=True)`):
    /// as [`TlsConnector::start_tls`]. `unconsumed` is the tail of the data last given to the
    /// protocol that already belongs to TLS (a client that sent its ClientHello right behind
    /// its STARTTLS command); the handshake reads it first.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{cell::RefCell, rc::Rc};
    /// async fn upgrade<P: loop_net::Protocol>(
    ///     acceptor: &loop_tls::TlsAcceptor,
    ///     transport: &loop_net::Transport,
    ///     protocol: Rc<RefCell<P>>,
    /// ) -> std::io::Result<loop_net::Transport> {
    ///     acceptor.start_tls(transport, protocol, &[]).await
    /// }
    /// ```
    pub async fn start_tls<P: Protocol>(
        &self,
        transport: &Transport,
        protocol: Rc<RefCell<P>>,
        unconsumed: &[u8],
    ) -> io::Result<Transport> {
        let (peer, local) = (transport.peer_addr(), transport.local_addr());
        let plain = transport.detach(unconsumed).await?.into_stream();
        let tls = self.accept(plain).await?;
        reattach(tls, peer, local, protocol)
    }
}
