//! Behind a load balancer every connection comes from the balancer. The balancers named with
//! `--trusted-proxies` say whom they forward for (`X-Forwarded-For`); nobody else is believed,
//! so a reader cannot pick the address their comments and rate limits are counted under.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Addresses (or networks, `10.0.0.0/8`) of the proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `203.0.113.7`, `10.0.0.0/8` or `fd00::/8` entries.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (entry, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| {
                format!("{entry:?} is not an address or a network such as 10.0.0.0/8")
            })?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("{entry:?}: a prefix is 0 to {max} bits"))?,
                None => max,
            };
            nets.push((ip, bits));
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| within(ip, *net, *bits))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
    /// nearest address in `X-Forwarded-For` that is not itself a trusted proxy (the entries to
    /// its left were written by the client and prove nothing).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.contains(*ip))
            .unwrap_or(peer)
    }
}

fn within(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.1".into()]).unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        // From the proxy: the nearest address it was not told by another trusted proxy.
        assert_eq!(
            trusted.client(proxy, &headers("203.0.113.9")),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            trusted.client(proxy, &headers("1.1.1.1, 203.0.113.9, 192.0.2.1")),
            "203.0.113.9".parse::<IpAddr>().unwrap(),
            "a client's own entries on the left prove nothing"
        );
        assert_eq!(trusted.client(proxy, &headers("not an address")), proxy);
        // From anyone else: the header is ignored.
        assert_eq!(trusted.client(stranger, &headers("203.0.113.9")), stranger);
        assert!(TrustedProxies::default().client(proxy, &headers("203.0.113.9")) == proxy);
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example".into()]).is_err());
        assert!(TrustedProxies::parse(&["::ffff:0:0/96".into()]).is_ok());
        assert!(
            trusted.contains("::ffff:10.0.0.1".parse().unwrap()),
            "mapped IPv4"
        );
    }
}
