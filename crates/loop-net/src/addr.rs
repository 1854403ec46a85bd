//! Socket addresses: what a connect or bind target names, and resolving host names off the
//! loop (getaddrinfo on the blocking pool; numeric addresses skip it).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What a [`ToSocketAddrs`] value names: addresses already known, or a host name to resolve.
///
/// ```
/// use loop_net::{Address, ToSocketAddrs};
/// assert!(matches!(("10.0.0.1", 80).to_address()?, Address::Addrs(_)));
/// assert!(matches!(("example.org", 80).to_address()?, Address::Host(..)));
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Address {
    /// Numeric addresses; no lookup needed.
    Addrs(Vec<SocketAddr>),
    /// A host name and a port, resolved with getaddrinfo on the blocking pool.
    Host(String, u16),
}

/// Values that name one or more socket addresses: `SocketAddr`, `(IpAddr, u16)`,
/// `"host:port"`, `("host", port)`, slices of addresses, and so on (std's `ToSocketAddrs`, but
/// resolving off the loop).
///
/// A malformed string is an [`InvalidInput`](io::ErrorKind::InvalidInput) error that quotes it.
///
/// ```
/// use loop_net::{Address, ToSocketAddrs};
///
/// let numeric = "127.0.0.1:8080".to_address()?;
/// assert_eq!(numeric, Address::Addrs(vec!["127.0.0.1:8080".parse().unwrap()]));
/// assert_eq!("localhost:80".to_address()?, Address::Host("localhost".into(), 80));
/// let err = "localhost".to_address().unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// # std::io::Result::Ok(())
/// ```
pub trait ToSocketAddrs {
    /// What this value names, without resolving anything.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for a malformed address.
    fn to_address(&self) -> io::Result<Address>;
}

/// Resolves `addr` to socket addresses: host names through getaddrinfo on the blocking pool
/// (asyncio's `getaddrinfo`), numeric addresses at once.
///
/// # Errors
///
/// A malformed address ([`InvalidInput`](io::ErrorKind::InvalidInput)), or the resolver's
/// error, naming the host; a name with no addresses is [`NotFound`](io::ErrorKind::NotFound).
///
/// ```
/// let addrs = loop_core::run(loop_net::lookup_host("127.0.0.1:80")).unwrap()?;
/// assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// # std::io::Result::Ok(())
/// ```
pub async fn lookup_host(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.to_address()? {
        Address::Addrs(addrs) => Ok(addrs),
        Address::Host(host, port) => {
            loop_core::unblock(move || {
                let found: Vec<SocketAddr> =
                    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                        .map_err(|e| io::Error::new(e.kind(), format!("resolving {host:?}: {e}")))?
                        .collect();
                if found.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("resolving {host:?}: no addresses"),
                    ));
                }
                Ok(found)
            })
            .await
        }
    }
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

/// A host (name or IP literal, brackets allowed around IPv6) and a port.
fn host_and_port(host: &str, port: u16, whole: &str) -> io::Result<Address> {
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(Address::Addrs(vec![SocketAddr::new(ip, port)]));
    }
    if host.is_empty() {
        return Err(invalid(format!(
            "invalid socket address {whole:?}: missing host"
        )));
    }
    if host.contains(':') || host.starts_with('[') {
        return Err(invalid(format!(
            "invalid socket address {whole:?}: {host:?} is not an IP address; IPv6 addresses go in brackets, as in [::1]:8080"
        )));
    }
    let valid = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid || host.len() > 253 {
        return Err(invalid(format!(
            "invalid socket address {whole:?}: {host:?} is not a host name"
        )));
    }
    Ok(Address::Host(host.to_owned(), port))
}

fn parse(s: &str) -> io::Result<Address> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(Address::Addrs(vec![addr]));
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(invalid(format!(
            "invalid socket address {s:?}: expected HOST:PORT, as in 127.0.0.1:8080"
        )));
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid(format!("invalid socket address {s:?}: bad port {port:?}")))?;
    if host.contains(':') && !host.starts_with('[') {
        return Err(invalid(format!(
            "invalid socket address {s:?}: IPv6 addresses go in brackets, as in [::1]:8080"
        )));
    }
    host_and_port(host, port, s)
}

impl ToSocketAddrs for Address {
    fn to_address(&self) -> io::Result<Address> {
        Ok(self.clone())
    }
}

impl ToSocketAddrs for SocketAddr {
    fn to_address(&self) -> io::Result<Address> {
        Ok(Address::Addrs(vec![*self]))
    }
}

impl ToSocketAddrs for SocketAddrV4 {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::V4(*self).to_address()
    }
}

impl ToSocketAddrs for SocketAddrV6 {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::V6(*self).to_address()
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::from(*self).to_address()
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::from(*self).to_address()
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {
    fn to_address(&self) -> io::Result<Address> {
        SocketAddr::from(*self).to_address()
    }
}

impl ToSocketAddrs for (&str, u16) {
    fn to_address(&self) -> io::Result<Address> {
        host_and_port(self.0, self.1, &format!("{}:{}", self.0, self.1))
    }
}

impl ToSocketAddrs for (String, u16) {
    fn to_address(&self) -> io::Result<Address> {
        (self.0.as_str(), self.1).to_address()
    }
}

impl ToSocketAddrs for str {
    fn to_address(&self) -> io::Result<Address> {
        parse(self)
    }
}

impl ToSocketAddrs for String {
    fn to_address(&self) -> io::Result<Address> {
        parse(self)
    }
}

impl ToSocketAddrs for [SocketAddr] {
    fn to_address(&self) -> io::Result<Address> {
        Ok(Address::Addrs(self.to_vec()))
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {
    fn to_address(&self) -> io::Result<Address> {
        self.as_slice().to_address()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    fn to_address(&self) -> io::Result<Address> {
        (**self).to_address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> io::ErrorKind {
        s.to_address().unwrap_err().kind()
    }

    #[test]
    fn numeric_forms_need_no_lookup() {
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!("[::1]:9".to_address().unwrap(), Address::Addrs(vec![v6]));
        assert_eq!(("::1", 9).to_address().unwrap(), Address::Addrs(vec![v6]));
        assert_eq!(("[::1]", 9).to_address().unwrap(), Address::Addrs(vec![v6]));
        let v4: SocketAddr = "10.0.0.1:1".parse().unwrap();
        assert_eq!(
            ("10.0.0.1", 1).to_address().unwrap(),
            Address::Addrs(vec![v4])
        );
    }

    #[test]
    fn names_are_left_for_the_resolver() {
        assert_eq!(
            "example.com:443".to_address().unwrap(),
            Address::Host("example.com".into(), 443)
        );
        assert_eq!(
            ("my_host-1", 1).to_address().unwrap(),
            Address::Host("my_host-1".into(), 1)
        );
    }

    #[test]
    fn malformed_strings_are_invalid_input_quoting_the_input() {
        for bad in [
            "",
            "nohost",
            ":80",
            "host:",
            "host:99999",
            "host:x",
            "::1:80",
            "[::1:80",
            "a b:1",
            "[foo]:1",
        ] {
            assert_eq!(kind(bad), io::ErrorKind::InvalidInput, "{bad:?}");
            let msg = bad.to_address().unwrap_err().to_string();
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
        }
    }
}
