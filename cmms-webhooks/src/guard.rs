//! The address policy (SSRF): which addresses a webhook may not reach unless private targets
//! are allowed, and the resolver that applies it to every address a host name resolves to —
//! the connector connects only to addresses this resolver returned, so a DNS answer that
//! changes between a check and the connection cannot slip an internal address in.

use hyper_util::client::legacy::connect::dns::Name;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Why a target was refused (the text ends up in the delivery log).
pub(crate) const REFUSED: &str = "refused: the webhook URL resolves to a loopback, private or \
     otherwise internal address (set CMMS_WEBHOOKS_ALLOW_PRIVATE=1 to allow)";

/// Whether a webhook may not reach `ip` unless private targets are allowed: loopback,
/// private, link-local (cloud metadata), carrier-grade NAT, unspecified, broadcast, multicast,
/// documentation, benchmarking and reserved ranges, and the IPv6 forms of all of them.
///
/// ```
/// use cmms_webhooks::is_refused;
/// assert!(is_refused("169.254.169.254".parse().unwrap()));
/// assert!(is_refused("::ffff:10.0.0.1".parse().unwrap()));
/// assert!(!is_refused("93.184.215.14".parse().unwrap()));
/// ```
pub fn is_refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_refused(v4),
        IpAddr::V6(v6) => v6_refused(v6),
    }
}

fn v4_refused(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn v6_refused(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_refused(v4);
    }
    // NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form (::a.b.c.d) embed IPv4.
    let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]) || s[0..6] == [0; 6] {
        return ip.is_unspecified() || ip.is_loopback() || v4_refused(embedded);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
}

/// Resolves host names with the system resolver and keeps only the addresses the policy
/// allows; none left is an error saying why.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub(crate) allow_private: bool,
}

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> =
                found.iter().copied().filter(|a| allow || !is_refused(a.ip())).collect();
            if kept.is_empty() {
                let why = if found.is_empty() { "the host name has no address" } else { REFUSED };
                return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why));
            }
            Ok(kept.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.1.1.1",
            "192.0.2.5",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "::a00:1",
        ] {
            assert!(is_refused(ip.parse().unwrap()), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!is_refused(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[tokio::test]
    async fn the_resolver_filters_names() {
        use tower_service::Service;
        let name: Name = "localhost".parse().unwrap();
        let mut strict = GuardedResolver { allow_private: false };
        let err = strict.call(name.clone()).await.unwrap_err();
        assert!(err.to_string().contains("refused"), "{err}");
        let mut open = GuardedResolver { allow_private: true };
        assert!(open.call(name).await.unwrap().all(|a| a.ip().is_loopback()));
    }
}
