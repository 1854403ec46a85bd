//! Connecting: resolve, order the addresses (RFC 8305 family interleaving), race them with a
//! stagger (Happy Eyeballs), bound it all with an optional timeout.

use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::addr::{ToSocketAddrs, lookup_host};
use crate::tcp_stream::TcpStream;

/// How [`TcpStream::connect`] connects: Happy Eyeballs delay (250 ms, RFC 8305's
/// recommendation), an optional timeout over resolution and every attempt, a local address.
///
/// ```
/// use std::time::Duration;
/// use loop_net::TcpConnectOptions;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// loop_core::run(async move {
///     let s = TcpConnectOptions::new()
///         .timeout(Duration::from_secs(10))
///         .connect(addr)
///         .await?;
///     assert_eq!(s.peer_addr()?, addr);
///     std::io::Result::Ok(())
/// }).unwrap()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct TcpConnectOptions {
    happy_eyeballs_delay: Duration,
    timeout: Option<Duration>,
    local_addr: Option<SocketAddr>,
}

impl Default for TcpConnectOptions {
    fn default() -> TcpConnectOptions {
        TcpConnectOptions::new()
    }
}

impl TcpConnectOptions {
    /// Happy Eyeballs with a 250 ms stagger, no timeout, any local address.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// use loop_net::TcpConnectOptions;
    /// loop_core::run(async move {
    ///     let s = TcpConnectOptions::new().connect(addr).await?;
    ///     assert_eq!(s.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> TcpConnectOptions {
        TcpConnectOptions {
            happy_eyeballs_delay: Duration::from_millis(250),
            timeout: None,
            local_addr: None,
        }
    }

    /// How long an attempt runs alone before the next address is tried beside it.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// use loop_net::TcpConnectOptions;
    /// loop_core::run(async move {
    ///     let opts = TcpConnectOptions::new().happy_eyeballs_delay(std::time::Duration::from_millis(100));
    ///     let s = opts.connect(("localhost", addr.port())).await?;
    ///     assert_eq!(s.peer_addr()?.port(), addr.port());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> TcpConnectOptions {
        self.happy_eyeballs_delay = delay;
        self
    }

    /// A limit on the whole connect, resolution included; on expiry every socket opened is
    /// closed and the error is [`TimedOut`](io::ErrorKind::TimedOut).
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// use loop_net::TcpConnectOptions;
    /// loop_core::run(async move {
    ///     let opts = TcpConnectOptions::new().timeout(std::time::Duration::from_secs(10));
    ///     assert!(opts.connect(addr).await.is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> TcpConnectOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Binds the socket to this local address before connecting.
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// use loop_net::TcpConnectOptions;
    /// loop_core::run(async move {
    ///     let opts = TcpConnectOptions::new().local_addr("127.0.0.1:0".parse().unwrap());
    ///     let s = opts.connect(addr).await?;
    ///     assert!(s.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(mut self, addr: SocketAddr) -> TcpConnectOptions {
        self.local_addr = Some(addr);
        self
    }

    /// Connects to `addr` (see [`TcpStream::connect`]).
    ///
    /// # Errors
    ///
    /// A malformed address ([`InvalidInput`](io::ErrorKind::InvalidInput)), a failed lookup,
    /// the connect error of a single address, an error naming every failed attempt when there
    /// were several, or [`TimedOut`](io::ErrorKind::TimedOut).
    ///
    /// ```
    /// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = server.local_addr()?;
    /// use loop_net::TcpConnectOptions;
    /// loop_core::run(async move {
    ///     let s = TcpConnectOptions::new().connect(format!("127.0.0.1:{}", addr.port())).await?;
    ///     assert_eq!(s.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// }).unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let target = addr.to_address()?;
        let attempt = async {
            let addrs = interleave(lookup_host(target).await?);
            self.race(addrs).await
        };
        match self.timeout {
            None => attempt.await,
            Some(limit) => loop_core::timeout(limit, attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("connect timed out after {limit:?}"),
                    ))
                }),
        }
    }

    async fn race(&self, addrs: Vec<SocketAddr>) -> io::Result<TcpStream> {
        let local = self.local_addr;
        if let [addr] = addrs[..] {
            return TcpStream::connect_addr(addr, local).await;
        }
        // Owned addresses: a closure over `&SocketAddr` would make the future not `Send`.
        let attempts = addrs
            .clone()
            .into_iter()
            .map(move |addr| move || TcpStream::connect_addr(addr, local));
        match loop_core::staggered_race(attempts, self.happy_eyeballs_delay).await {
            Ok((_, stream)) => Ok(stream),
            Err(errors) => Err(all_failed(&addrs, errors)),
        }
    }
}

/// RFC 8305 section 4: alternate the address families, starting with the resolver's first.
fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_v6 = first.is_ipv6();
    let (mut preferred, mut other): (Vec<_>, Vec<_>) =
        addrs.into_iter().partition(|a| a.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(preferred.len() + other.len());
    preferred.reverse();
    other.reverse();
    loop {
        match (preferred.pop(), other.pop()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

/// One error naming every attempt ("Multiple exceptions" in asyncio); its kind is the attempts'
/// common kind, or `Other` when they differ.
fn all_failed(addrs: &[SocketAddr], errors: Vec<io::Error>) -> io::Error {
    let kind = match errors.first() {
        Some(e) if errors.iter().all(|x| x.kind() == e.kind()) => e.kind(),
        _ => io::ErrorKind::Other,
    };
    let mut msg = format!("all {} connection attempts failed:", errors.len());
    for (addr, e) in addrs.iter().zip(&errors) {
        let _ = write!(msg, " {addr}: {e};");
    }
    msg.pop();
    io::Error::new(kind, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn families_alternate_starting_with_the_first() {
        let got = interleave(addrs(&[
            "[::1]:1",
            "[::2]:1",
            "[::3]:1",
            "1.1.1.1:1",
            "2.2.2.2:1",
        ]));
        let want = addrs(&["[::1]:1", "1.1.1.1:1", "[::2]:1", "2.2.2.2:1", "[::3]:1"]);
        assert_eq!(got, want);
        let got = interleave(addrs(&["1.1.1.1:1", "[::1]:1"]));
        assert_eq!(got, addrs(&["1.1.1.1:1", "[::1]:1"]));
    }

    #[test]
    fn the_all_failed_error_names_each_attempt() {
        let list = addrs(&["127.0.0.1:1", "[::1]:1"]);
        let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
        let e = all_failed(&list, vec![refused(), refused()]);
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        let msg = e.to_string();
        assert!(
            msg.contains("127.0.0.1:1") && msg.contains("[::1]:1"),
            "{msg}"
        );
        let mixed = all_failed(&list, vec![refused(), io::ErrorKind::TimedOut.into()]);
        assert_eq!(mixed.kind(), io::ErrorKind::Other);
    }
}
