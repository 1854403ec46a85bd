//! [`UdpSocket`]: a UDP socket registered with the running loop.

use std::future::poll_fn;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{Context, Poll};

use loop_core::Async;
use socket2::{Domain, Protocol, Socket, Type};

use crate::addr::{ToSocketAddrs, lookup_host};
use crate::sys;

/// A UDP socket: datagrams to and from any address, or to one connected peer.
///
/// `send_to` takes a numeric [`SocketAddr`] so that sending allocates nothing and resolves
/// nothing; resolve names once with [`lookup_host`].
///
/// ```
/// use loop_net::UdpSocket;
///
/// loop_core::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
pub struct UdpSocket {
    io: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first of `addr`'s addresses that binds (port 0: the OS chooses).
    ///
    /// # Errors
    ///
    /// A malformed address or failed lookup; when nothing binds, the last bind error.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(s.local_addr()?.port() != 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for addr in lookup_host(addr).await? {
            match UdpSocket::bind_addr(addr) {
                Ok(socket) => return Ok(socket),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
    }

    /// Binds to one numeric address, on the running loop.
    ///
    /// # Errors
    ///
    /// The OS's, or no running loop.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let t = loop_net::UdpSocket::bind_addr("127.0.0.1:0".parse().unwrap())?;
    ///     assert_ne!(t.local_addr()?, s.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_addr(addr: SocketAddr) -> io::Result<UdpSocket> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::DGRAM.nonblocking(),
            Some(Protocol::UDP),
        )?;
        socket.bind(&addr.into())?;
        UdpSocket::from_std(socket.into())
    }

    /// Adopts a std socket (made non-blocking) on the running loop.
    ///
    /// # Errors
    ///
    /// No running loop, or registration fails.
    ///
    /// ```
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = std_socket.local_addr()?;
    /// loop_core::run(async move {
    ///     let s = loop_net::UdpSocket::from_std(std_socket)?;
    ///     assert_eq!(s.local_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: Async::new(socket)?,
        })
    }

    /// Deregisters the socket and returns it (still non-blocking).
    ///
    /// # Errors
    ///
    /// When the poller refuses to let go of it.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let std_socket = s.into_std()?;
    ///     assert!(std_socket.local_addr()?.port() != 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner()
    }

    /// The registered socket, for readiness and hand-made I/O.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.as_async().writable().await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn as_async(&self) -> &Async<std::net::UdpSocket> {
        &self.io
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(s.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UdpSocket::connect).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(s.peer_addr().is_err()); // not connected
    ///     s.connect("127.0.0.1:9").await?;
    ///     assert_eq!(s.peer_addr()?.port(), 9);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets the default destination and accepts datagrams from it only.
    ///
    /// # Errors
    ///
    /// A malformed address or failed lookup; when no address works, the last error.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let a = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let mut last = None;
        for addr in lookup_host(addr).await? {
            match self.io.get_ref().connect(addr) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
    }

    /// Sends a datagram to the connected peer; the number of bytes sent.
    ///
    /// # Errors
    ///
    /// The OS's (`ConnectionRefused` when an earlier datagram drew an ICMP refusal).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.connect(s.local_addr()?).await?; // to itself
    ///     assert_eq!(s.send(b"me").await?, 2);
    ///     let mut buf = [0; 2];
    ///     assert_eq!(s.recv(&mut buf).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// Polls [`send`](UdpSocket::send).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.connect(s.local_addr()?).await?;
    ///     let n = std::future::poll_fn(|cx| s.poll_send(cx, b"x")).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        sys::poll_write_with(&self.io, cx, |s| s.send(buf))
    }

    /// Receives a datagram from the connected peer into `buf` (a longer one is truncated).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.connect(s.local_addr()?).await?;
    ///     s.send(b"loop").await?;
    ///     let mut buf = [0; 2]; // too short: the rest of the datagram is dropped
    ///     assert_eq!(s.recv(&mut buf).await?, 2);
    ///     assert_eq!(&buf, b"lo");
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// Polls [`recv`](UdpSocket::recv).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.connect(s.local_addr()?).await?;
    ///     s.send(b"x").await?;
    ///     let mut buf = [0; 1];
    ///     let n = std::future::poll_fn(|cx| s.poll_recv(cx, &mut buf)).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        sys::poll_read_with(&self.io, cx, |s| s.recv(buf))
    }

    /// Sends a datagram to `target`.
    ///
    /// # Errors
    ///
    /// The OS's (`EISCONN`-style errors on a connected socket, `PermissionDenied` for a
    /// broadcast address without [`set_broadcast`](UdpSocket::set_broadcast)).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let to = s.local_addr()?;
    ///     assert_eq!(s.send_to(b"self", to).await?, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send_to(cx, buf, target)).await
    }

    /// Polls [`send_to`](UdpSocket::send_to).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let to = s.local_addr()?;
    ///     let n = std::future::poll_fn(|cx| s.poll_send_to(cx, b"x", to)).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        sys::poll_write_with(&self.io, cx, |s| s.send_to(buf, target))
    }

    /// Receives a datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.send_to(b"hey", s.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = s.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"hey"[..], s.local_addr()?));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.send_to(b"x", s.local_addr()?).await?;
    ///     let mut buf = [0; 1];
    ///     let (n, _) = std::future::poll_fn(|cx| s.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        sys::poll_read_with(&self.io, cx, |s| s.recv_from(buf))
    }

    /// Sends a datagram to `target` without waiting: `WouldBlock` when the socket's buffer is
    /// full (then [`as_async`](UdpSocket::as_async)`().writable()` waits for room).
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(s.try_send_to(b"me", s.local_addr()?)?, 2);
    ///     s.as_async().readable().await?;
    ///     let mut buf = [0; 2];
    ///     assert_eq!(s.try_recv_from(&mut buf)?, (2, s.local_addr()?));
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        sys::try_write_with(&self.io, |s| s.send_to(buf, target))
    }

    /// Receives a datagram without waiting: `WouldBlock` when none is queued (and then
    /// [`as_async`](UdpSocket::as_async)`().readable()` waits for the next).
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     let err = s.try_recv_from(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        sys::try_read_with(&self.io, |s| s.recv_from(buf))
    }

    /// `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(!s.broadcast()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `SO_BROADCAST` (allow sending to broadcast addresses).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.set_broadcast(true)?;
    ///     assert!(s.broadcast()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(s.ttl()? > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.set_ttl(2)?;
    ///     assert_eq!(s.ttl()?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Joins an IPv4 multicast group on the interface with address `interface`
    /// (`UNSPECIFIED`: the system's choice).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     use std::net::Ipv4Addr;
    ///     let group = Ipv4Addr::new(239, 1, 2, 3);
    ///     s.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// The OS's (`EADDRNOTAVAIL` when not a member).
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     use std::net::Ipv4Addr;
    ///     let group = Ipv4Addr::new(239, 1, 2, 4);
    ///     assert!(s.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err()); // never joined
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&group, &interface)
    }

    /// Joins an IPv6 multicast group on the interface with index `interface` (0: any).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     // Only where the machine has IPv6.
    ///     let Ok(s) = loop_net::UdpSocket::bind("[::1]:0").await else { return Ok(()) };
    ///     let group: std::net::Ipv6Addr = "ff02::1:3".parse().unwrap();
    ///     // Interface 1 is the loopback; a kernel may refuse multicast there, as an error.
    ///     if s.join_multicast_v6(group, 1).is_ok() {
    ///         s.leave_multicast_v6(group, 1)?;
    ///     }
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn join_multicast_v6(&self, group: Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(&group, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     // Only where the machine has IPv6.
    ///     let Ok(s) = loop_net::UdpSocket::bind("[::1]:0").await else { return Ok(()) };
    ///     let group: std::net::Ipv6Addr = "ff02::1:4".parse().unwrap();
    ///     assert!(s.leave_multicast_v6(group, 1).is_err()); // never joined
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn leave_multicast_v6(&self, group: Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(&group, interface)
    }

    /// Whether IPv4 multicast sent from here loops back to local members.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(s.multicast_loop_v4()?); // on by default
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.set_multicast_loop_v4(false)?;
    ///     assert!(!s.multicast_loop_v4()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(s.multicast_ttl_v4()?, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL` (1, the default, keeps multicast on the local network).
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     s.set_multicast_ttl_v4(4)?;
    ///     assert_eq!(s.multicast_ttl_v4()?, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// Whether IPv6 multicast sent from here loops back to local members.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     // Only where the machine has IPv6.
    ///     let Ok(s) = loop_net::UdpSocket::bind("[::1]:0").await else { return Ok(()) };
    ///     assert!(s.multicast_loop_v6()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     // Only where the machine has IPv6.
    ///     let Ok(s) = loop_net::UdpSocket::bind("[::1]:0").await else { return Ok(()) };
    ///     s.set_multicast_loop_v6(false)?;
    ///     assert!(!s.multicast_loop_v6()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// The pending socket error (`SO_ERROR`), cleared by reading it: how an ICMP refusal
    /// of an earlier datagram shows up on an unconnected socket.
    ///
    /// # Errors
    ///
    /// The OS's.
    ///
    /// ```
    /// loop_core::run(async {
    ///     let s = loop_net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(s.take_error()?.is_none());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

crate::socket_impls::impl_socket!(UdpSocket, local_addr, peer_addr);
