//! UDP on the transport/protocol API: asyncio's `create_datagram_endpoint`,
//! `DatagramTransport` and `DatagramProtocol`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::driver_waker::DriverWaker;
use crate::transport_conn::report;
use crate::transport_receiver::{Fault, ReadBuffer, guarded};
use crate::udp::UdpSocket;
use crate::write_flow::{WriteFlow, resolve_limits};

/// The receiving side of a datagram endpoint (asyncio's `DatagramProtocol`).
///
/// Calls: `connection_made` once, then `datagram_received` and `error_received` in any
/// order, then `connection_lost` once. A panic in a callback is reported to the loop's
/// exception handler and aborts the endpoint.
///
/// ```
/// use std::net::SocketAddr;
/// use loop_net::{DatagramProtocol, DatagramTransport};
///
/// #[derive(Default)]
/// struct Echo(Option<DatagramTransport>);
/// impl DatagramProtocol for Echo {
///     fn connection_made(&mut self, t: DatagramTransport) { self.0 = Some(t); }
///     fn datagram_received(&mut self, data: &[u8], from: SocketAddr) {
///         let _ = self.0.as_ref().unwrap().sendto(data, Some(from));
///     }
/// }
/// # let _ = Echo::default();
/// ```
pub trait DatagramProtocol: 'static {
    /// The endpoint is ready; keep `transport` to send.
    fn connection_made(&mut self, transport: DatagramTransport) {
        let _ = transport;
    }

    /// A datagram arrived from `addr`. `data` borrows a reused buffer.
    fn datagram_received(&mut self, data: &[u8], addr: SocketAddr);

    /// A send or receive failed (for instance `ConnectionRefused` after an ICMP port
    /// unreachable); the endpoint stays usable.
    fn error_received(&mut self, error: io::Error) {
        let _ = error;
    }

    /// The endpoint is closed: `None` after close or abort, the error after a fatal one.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// The send queue went above the high-water mark.
    fn pause_writing(&mut self) {}

    /// The send queue drained to the low-water mark.
    fn resume_writing(&mut self) {}
}

struct Endpoint {
    socket: RefCell<Option<UdpSocket>>,
    protocol: RefCell<Option<Rc<RefCell<dyn DatagramProtocol>>>>,
    remote: Option<SocketAddr>,
    local: Option<SocketAddr>,
    queue: RefCell<VecDeque<(Vec<u8>, Option<SocketAddr>)>>,
    queued_bytes: Cell<usize>,
    errors: RefCell<VecDeque<io::Error>>,
    flow: WriteFlow,
    driver: DriverWaker,
    closing: Cell<bool>,
    aborted: Cell<bool>,
    finished: Cell<bool>,
    fault: RefCell<Option<Fault>>,
    dropped: Cell<u64>,
}

/// The sending side of a datagram endpoint (asyncio's `DatagramTransport`). Cheap to clone.
///
/// [`sendto`](DatagramTransport::sendto) never blocks: when the kernel is busy the datagram is
/// queued, and queued datagrams go out in order.
#[derive(Clone)]
pub struct DatagramTransport {
    ep: Rc<Endpoint>,
}

/// Opens a UDP endpoint: bound to `local_addr` (or an ephemeral port), connected to
/// `remote_addr` if given, and runs `protocol_factory()`'s protocol on it (asyncio's
/// `loop.create_datagram_endpoint`). `connection_made` has run when this returns.
///
/// # Errors
///
/// `InvalidInput` when both addresses are `None`; bind or connect errors; no running loop.
///
/// ```
/// use std::net::SocketAddr;
/// use loop_net::{DatagramProtocol, create_datagram_endpoint};
///
/// struct Sink(Vec<Vec<u8>>);
/// impl DatagramProtocol for Sink {
///     fn datagram_received(&mut self, data: &[u8], _: SocketAddr) { self.0.push(data.to_vec()); }
/// }
///
/// loop_core::run(async {
///     let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
///     let (server, sink) = create_datagram_endpoint(|| Sink(Vec::new()), Some(any), None).await?;
///     let to = server.local_addr().unwrap();
///     let (client, _) = create_datagram_endpoint(|| Sink(Vec::new()), None, Some(to)).await?;
///     client.sendto(b"ping", None)?;
///     while sink.borrow().0.is_empty() {
///         loop_core::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(sink.borrow().0, [b"ping".to_vec()]);
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub async fn create_datagram_endpoint<F, P>(
    mut protocol_factory: F,
    local_addr: Option<SocketAddr>,
    remote_addr: Option<SocketAddr>,
) -> io::Result<(DatagramTransport, Rc<RefCell<P>>)>
where
    F: FnMut() -> P,
    P: DatagramProtocol,
{
    let bind_to = match (local_addr, remote_addr) {
        (Some(local), _) => local,
        (None, Some(SocketAddr::V4(_))) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        (None, Some(SocketAddr::V6(_))) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        (None, None) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a datagram endpoint needs a local or a remote address",
            ));
        }
    };
    let lp = loop_core::get_running_loop().map_err(io::Error::other)?;
    let socket = UdpSocket::bind_addr(bind_to)?;
    if let Some(remote) = remote_addr {
        socket.connect(remote).await?;
    }
    let protocol = Rc::new(RefCell::new(protocol_factory()));
    let ep = Rc::new(Endpoint {
        local: socket.local_addr().ok(),
        remote: remote_addr,
        socket: RefCell::new(Some(socket)),
        protocol: RefCell::new(Some(protocol.clone())),
        queue: RefCell::new(VecDeque::new()),
        queued_bytes: Cell::new(0),
        errors: RefCell::new(VecDeque::new()),
        flow: WriteFlow::new(),
        driver: DriverWaker::new(),
        closing: Cell::new(false),
        aborted: Cell::new(false),
        finished: Cell::new(false),
        fault: RefCell::new(None),
        dropped: Cell::new(0),
    });
    let transport = DatagramTransport { ep: ep.clone() };
    let made = {
        let mut p = protocol.borrow_mut();
        guarded("connection_made", || p.connection_made(transport.clone()))
    };
    if let Err(fault) = made {
        ep.set_fault(fault);
    }
    lp.spawn_local(Driver { ep }).detach();
    Ok((transport, protocol))
}

impl Endpoint {
    fn wake_driver(&self) {
        self.driver.wake();
    }

    fn set_fault(&self, fault: Fault) {
        let mut slot = self.fault.borrow_mut();
        if slot.is_none() {
            *slot = Some(fault);
        }
        drop(slot);
        self.wake_driver();
    }

    /// Calls `f` on the protocol now, if it is not busy; `false` if it is.
    fn call(&self, callback: &'static str, f: impl FnOnce(&mut dyn DatagramProtocol)) -> bool {
        let protocol = self.protocol.borrow().clone();
        let Some(protocol) = protocol else {
            return true;
        };
        let Ok(mut p) = protocol.try_borrow_mut() else {
            return false;
        };
        if let Err(fault) = guarded(callback, || f(&mut *p)) {
            drop(p);
            self.set_fault(fault);
        }
        true
    }

    /// Delivers queued errors and flow-control changes; `false` if the protocol was busy.
    fn deliver(&self) -> bool {
        while let Some(pause) = self.flow.untold() {
            let told = if pause {
                self.call("pause_writing", |p| p.pause_writing())
            } else {
                self.call("resume_writing", |p| p.resume_writing())
            };
            if !told {
                return false;
            }
            self.flow.told(pause);
        }
        loop {
            let Some(error) = self.errors.borrow_mut().pop_front() else {
                return true;
            };
            let mut slot = Some(error);
            let told = self.call("error_received", |p| {
                p.error_received(slot.take().expect("taken once"));
            });
            if !told {
                let error = slot.take().expect("not delivered");
                self.errors.borrow_mut().push_front(error);
                return false;
            }
        }
    }

    fn check_flow(&self) {
        if self.flow.update(self.queued_bytes.get()) && !self.deliver() {
            self.wake_driver();
        }
    }

    fn error(&self, error: io::Error) {
        self.errors.borrow_mut().push_back(error);
        if !self.deliver() {
            self.wake_driver();
        }
    }

    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
        addr: Option<SocketAddr>,
    ) -> Poll<io::Result<usize>> {
        let socket = self.socket.borrow();
        let Some(socket) = socket.as_ref() else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        match addr {
            Some(addr) if self.remote.is_none() => socket.poll_send_to(cx, data, addr),
            _ => socket.poll_send(cx, data),
        }
    }

    fn flush(&self, cx: &mut Context<'_>) {
        loop {
            let front = self.queue.borrow_mut().pop_front();
            let Some((data, addr)) = front else { return };
            match self.poll_send(cx, &data, addr) {
                Poll::Pending => {
                    self.queue.borrow_mut().push_front((data, addr));
                    return;
                }
                Poll::Ready(result) => {
                    self.queued_bytes.set(self.queued_bytes.get() - data.len());
                    self.check_flow();
                    if let Err(e) = result {
                        self.error(e);
                    }
                }
            }
        }
    }

    fn drive(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut budget = 32;
        loop {
            self.deliver();
            if let Some(fault) = self.fault.borrow_mut().take() {
                self.finish(Some(fault));
                return Poll::Ready(());
            }
            if self.aborted.get() {
                self.finish(None);
                return Poll::Ready(());
            }
            self.flush(cx);
            if self.closing.get() {
                if self.queue.borrow().is_empty() {
                    self.finish(None);
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            let mut buf = ReadBuffer::take();
            let received = {
                let socket = self.socket.borrow();
                match socket.as_ref() {
                    Some(s) => s.poll_recv_from(cx, buf.get()),
                    None => return Poll::Pending,
                }
            };
            match received {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok((n, from))) => {
                    let data = &buf.get()[..n];
                    if !self.call("datagram_received", |p| p.datagram_received(data, from)) {
                        self.set_fault(Fault::Protocol {
                            callback: "datagram_received",
                            detail: "the protocol was already borrowed".to_owned(),
                        });
                    }
                }
                Poll::Ready(Err(e)) => self.error(e),
            }
            budget -= 1;
            if budget == 0 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }

    fn finish(&self, fault: Option<Fault>) {
        if self.finished.replace(true) {
            return;
        }
        self.queue.borrow_mut().clear();
        self.queued_bytes.set(0);
        let error = fault.map(|fault| {
            if let Fault::Protocol { callback, detail } = &fault {
                report(callback, detail);
            }
            fault.into_error()
        });
        let protocol = self.protocol.borrow_mut().take();
        let socket = self.socket.borrow_mut().take();
        if let Some(protocol) = protocol {
            let result = match protocol.try_borrow_mut() {
                Ok(mut p) => guarded("connection_lost", || p.connection_lost(error)),
                Err(_) => Ok(()),
            };
            if let Err(Fault::Protocol { callback, detail }) = result {
                report(callback, &detail);
            }
        }
        drop(socket);
    }
}

impl DatagramTransport {
    /// Sends `data` to `addr`, or to the connected peer when `addr` is `None`. Never blocks:
    /// if the kernel is busy the datagram is queued. Send errors go to the protocol's
    /// `error_received`; after [`close`](DatagramTransport::close) datagrams are dropped.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an `addr` other than the connected peer on a connected endpoint,
    /// or no `addr` on an unconnected one (asyncio's `ValueError`).
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// t.sendto(b"ping", None)?; // to the connected peer
    /// let mut buf = [0; 4];
    /// peer.recv(&mut buf)?;
    /// assert_eq!(&buf, b"ping");
    /// let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    /// assert!(t.sendto(b"x", Some(elsewhere)).is_err());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn sendto(&self, data: &[u8], addr: Option<SocketAddr>) -> io::Result<()> {
        let ep = &self.ep;
        match (ep.remote, addr) {
            (Some(remote), Some(addr)) if addr != remote => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid address: must be None or {remote}"),
                ));
            }
            (None, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "an unconnected endpoint needs a destination address",
                ));
            }
            _ => {}
        }
        if ep.closing.get() || ep.aborted.get() || ep.finished.get() {
            ep.dropped.set(ep.dropped.get() + 1);
            return Ok(());
        }
        if ep.queue.borrow().is_empty() {
            match ep.driver.with_context(|cx| ep.poll_send(cx, data, addr)) {
                Poll::Ready(Ok(_)) => return Ok(()),
                Poll::Ready(Err(e)) => {
                    ep.error(e);
                    return Ok(());
                }
                Poll::Pending => {}
            }
        }
        ep.queue.borrow_mut().push_back((data.to_vec(), addr));
        ep.queued_bytes.set(ep.queued_bytes.get() + data.len());
        ep.check_flow();
        Ok(())
    }

    /// Sends what is queued, then closes; `connection_lost(None)` follows. Idempotent.
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// t.close();
    /// t.close(); // idempotent
    /// assert!(t.is_closing());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn close(&self) {
        if !self.ep.closing.replace(true) {
            self.ep.wake_driver();
        }
    }

    /// Closes at once, dropping what is queued.
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// t.abort();
    /// assert!(t.is_closing());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn abort(&self) {
        if !self.ep.aborted.replace(true) {
            self.ep.queue.borrow_mut().clear();
            self.ep.queued_bytes.set(0);
            self.ep.wake_driver();
        }
    }

    /// Whether the endpoint is closing or closed.
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// assert!(!t.is_closing());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn is_closing(&self) -> bool {
        self.ep.closing.get() || self.ep.aborted.get() || self.ep.finished.get()
    }

    /// The bound address (asyncio's `sockname`).
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// assert_ne!(t.local_addr().unwrap().port(), 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.ep.local
    }

    /// The connected peer, if any (asyncio's `peername`).
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// assert_eq!(t.peer_addr(), Some(peer.local_addr()?));
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.ep.remote
    }

    /// Bytes queued and not yet sent.
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// t.sendto(b"x", None)?;
    /// assert_eq!(t.write_buffer_size(), 0); // sent at once
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.ep.queued_bytes.get()
    }

    /// Sets the send-queue limits, as [`Transport::set_write_buffer_limits`](crate::Transport::set_write_buffer_limits).
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `high < low`.
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// t.set_write_buffer_limits(Some(1500), None)?;
    /// assert!(t.set_write_buffer_limits(Some(1), Some(2)).is_err());
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> io::Result<()> {
        let (high, low) = resolve_limits(high, low)?;
        self.ep.flow.set_limits(high, low);
        self.ep.check_flow();
        Ok(())
    }

    /// Datagrams dropped because the endpoint was closing.
    ///
    /// ```
    /// # use std::net::SocketAddr;
    /// # use loop_net::{DatagramProtocol, create_datagram_endpoint};
    /// # struct Nop;
    /// # impl DatagramProtocol for Nop { fn datagram_received(&mut self, _: &[u8], _: SocketAddr) {} }
    /// # loop_core::run(async {
    /// # let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// # let (t, _) = create_datagram_endpoint(|| Nop, None, Some(peer.local_addr()?)).await?;
    /// t.close();
    /// t.sendto(b"late", None)?;
    /// assert_eq!(t.dropped_datagrams(), 1);
    /// # std::io::Result::Ok(())
    /// # }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dropped_datagrams(&self) -> u64 {
        self.ep.dropped.get()
    }
}

impl fmt::Debug for DatagramTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramTransport")
            .field("local", &self.ep.local)
            .field("remote", &self.ep.remote)
            .field("closing", &self.is_closing())
            .finish()
    }
}

struct Driver {
    ep: Rc<Endpoint>,
}

impl Future for Driver {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ep = &self.ep;
        ep.driver.poll(cx, |cx| ep.drive(cx))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let ep = &self.ep;
        if !ep.finished.replace(true) {
            drop(ep.socket.borrow_mut().take());
            drop(ep.protocol.borrow_mut().take());
        }
        ep.driver.forget();
    }
}
