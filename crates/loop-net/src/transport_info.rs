//! What a transport can tell about itself: asyncio's `get_extra_info`.

use std::any::Any;
use std::fmt;
use std::net::SocketAddr;

/// A transport's peer or local address: IP or Unix (asyncio's `peername` / `sockname`).
///
/// ```
/// use loop_net::TransportAddr;
/// let a = TransportAddr::Inet("127.0.0.1:80".parse().unwrap());
/// assert_eq!(a.as_inet().unwrap().port(), 80);
/// ```
#[derive(Debug, Clone)]
pub enum TransportAddr {
    /// An IPv4 or IPv6 socket address.
    Inet(SocketAddr),
    /// A Unix socket address (possibly unnamed or abstract).
    Unix(std::os::unix::net::SocketAddr),
}

impl TransportAddr {
    /// The IP address, if this is one.
    ///
    /// ```
    /// let a = loop_net::TransportAddr::Inet("[::1]:9".parse().unwrap());
    /// assert!(a.as_inet().is_some());
    /// ```
    pub fn as_inet(&self) -> Option<SocketAddr> {
        match self {
            TransportAddr::Inet(addr) => Some(*addr),
            TransportAddr::Unix(_) => None,
        }
    }
}

impl From<SocketAddr> for TransportAddr {
    fn from(addr: SocketAddr) -> TransportAddr {
        TransportAddr::Inet(addr)
    }
}

/// What a transport over a caller-supplied stream knows that the stream cannot say: its
/// addresses, whether it can half-close, and extra values of any type (say a TLS session's
/// details) for [`Transport::extra`](crate::Transport::extra).
///
/// ```
/// use loop_net::StreamInfo;
/// #[derive(Clone, Debug, PartialEq)]
/// struct Alpn(&'static str);
///
/// let info = StreamInfo::new()
///     .peer("127.0.0.1:443".parse::<std::net::SocketAddr>().unwrap())
///     .can_write_eof(false)
///     .extra(Alpn("h2"));
/// assert!(format!("{info:?}").contains("can_write_eof: false"));
/// ```
#[derive(Default)]
pub struct StreamInfo {
    pub(crate) peer: Option<TransportAddr>,
    pub(crate) local: Option<TransportAddr>,
    pub(crate) no_write_eof: bool,
    pub(crate) extras: Extras,
}

impl StreamInfo {
    /// No addresses, half-close allowed, no extras.
    ///
    /// ```
    /// let _ = loop_net::StreamInfo::new();
    /// ```
    pub fn new() -> StreamInfo {
        StreamInfo::default()
    }

    /// The peer's address.
    ///
    /// ```
    /// let _ = loop_net::StreamInfo::new().peer("[::1]:1".parse::<std::net::SocketAddr>().unwrap());
    /// ```
    pub fn peer(mut self, addr: impl Into<TransportAddr>) -> StreamInfo {
        self.peer = Some(addr.into());
        self
    }

    /// Our own address.
    ///
    /// ```
    /// let _ = loop_net::StreamInfo::new().local("[::1]:1".parse::<std::net::SocketAddr>().unwrap());
    /// ```
    pub fn local(mut self, addr: impl Into<TransportAddr>) -> StreamInfo {
        self.local = Some(addr.into());
        self
    }

    /// Whether [`write_eof`](crate::Transport::write_eof) may close the stream's sending side
    /// (its `poll_close`). TLS says `false`, as asyncio's TLS transports do.
    ///
    /// ```
    /// let _ = loop_net::StreamInfo::new().can_write_eof(false);
    /// ```
    pub fn can_write_eof(mut self, yes: bool) -> StreamInfo {
        self.no_write_eof = !yes;
        self
    }

    /// Attaches a value the transport hands out through
    /// [`Transport::extra`](crate::Transport::extra), one per type (a later one of the same
    /// type replaces the earlier).
    ///
    /// ```
    /// let _ = loop_net::StreamInfo::new().extra(String::from("session"));
    /// ```
    pub fn extra<T: Any>(mut self, value: T) -> StreamInfo {
        self.extras.insert(value);
        self
    }
}

impl fmt::Debug for StreamInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamInfo")
            .field("peer", &self.peer)
            .field("local", &self.local)
            .field("can_write_eof", &!self.no_write_eof)
            .field("extras", &self.extras.0.len())
            .finish()
    }
}

/// Values keyed by their type.
#[derive(Default)]
pub(crate) struct Extras(Vec<Box<dyn Any>>);

impl Extras {
    pub(crate) fn insert<T: Any>(&mut self, value: T) {
        self.0.retain(|v| !v.is::<T>());
        self.0.push(Box::new(value));
    }

    pub(crate) fn get<T: Any>(&self) -> Option<&T> {
        self.0.iter().find_map(|v| v.downcast_ref::<T>())
    }
}
