//! Who the client is, for the rate limits and for absolute links: the TCP peer, unless the
//! peer is one of the configured trusted proxies (`--trusted-proxies`), in which case the
//! client is the nearest untrusted address in `Forwarded: for=` / `X-Forwarded-For`, and the
//! host of links comes from `Forwarded: host=` / `X-Forwarded-Host`. From anyone else these
//! headers are ignored: a client cannot give itself a fresh rate-limit budget or write another
//! host into our links.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;

use crate::config::canonical;
pub use crate::config::TrustedProxies;

impl TrustedProxies {
    fn trusts(&self, req: &HttpRequest) -> bool {
        !self.is_empty() && req.peer_addr().is_some_and(|p| self.contains(p.ip()))
    }

    /// The client's address: the peer, or behind trusted proxies the last address in the
    /// forwarding chain that is not itself a trusted proxy. When the proxy sent both
    /// `X-Forwarded-For` and `Forwarded` and they name different clients, both are returned:
    /// a proxy appends to one and passes the client's own copy of the other through, and which
    /// one is not known here, so the rate limits count under both (see [`rate_key`]).
    pub fn client_ips(&self, req: &HttpRequest) -> Vec<IpAddr> {
        let peer = req.peer_addr().map(|a| canonical(a.ip()));
        if !self.trusts(req) {
            return peer.into_iter().collect();
        }
        let nearest = |chain: Vec<IpAddr>| {
            chain
                .iter()
                .rev()
                .map(|ip| canonical(*ip))
                .find(|ip| !self.contains(*ip))
                .or_else(|| chain.first().copied().map(canonical))
        };
        let mut out: Vec<IpAddr> = [
            nearest(x_forwarded_for(req.headers())),
            nearest(forwarded_for(req.headers())),
        ]
        .into_iter()
        .flatten()
        .collect();
        out.dedup();
        if out.is_empty() {
            out.extend(peer);
        }
        out
    }

    /// The first of [`TrustedProxies::client_ips`].
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.client_ips(req).into_iter().next()
    }

    /// The scheme and host the client used, for absolute links: from the forwarding headers
    /// of a trusted proxy, else the request's own `Host` (the scheme is `http`: this server
    /// speaks no TLS itself).
    pub fn base_url(&self, req: &HttpRequest) -> String {
        if self.trusts(req) {
            let ci = req.connection_info();
            return format!("{}://{}", ci.scheme(), ci.host());
        }
        let host = req
            .headers()
            .get(actix_web::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| host_ok(h))
            .map(str::to_owned)
            .unwrap_or_else(|| req.app_config().host().to_owned());
        format!("http://{host}")
    }
}

/// A `Host` value fit to write into a link: a name or address and a port, nothing else.
fn host_ok(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// Every address of `X-Forwarded-For`, in order (nearest proxy last).
fn x_forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else { continue };
        out.extend(v.split(',').filter_map(|s| parse_node(s.trim())));
    }
    out
}

/// Every address of `Forwarded: for=` (RFC 7239), in order (nearest proxy last).
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for v in headers.get_all("forwarded") {
        let Ok(v) = v.to_str() else { continue };
        for element in v.split(',') {
            for pair in element.split(';') {
                let Some((k, val)) = pair.trim().split_once('=') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("for") {
                    if let Some(ip) = parse_node(val.trim().trim_matches('"')) {
                        out.push(ip);
                    }
                }
            }
        }
    }
    out
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `2001:db8::1`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

/// The key a client is counted under by the rate limits (then salted and hashed there, never
/// kept): an IPv4 address as it is; an IPv6 address by its /64 (one household or host gets a
/// whole /64, so counting single addresses would give it billions of budgets); every loopback
/// address as one.
pub fn rate_key(ip: Option<IpAddr>) -> String {
    match ip.map(canonical) {
        None => "unknown".into(),
        Some(ip) if ip.is_loopback() => "loopback".into(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn req(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        r.to_http_request()
    }

    #[test]
    fn headers_are_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let lb = TrustedProxies::parse(&["10.0.0.0/8", "::1"]).unwrap();
        let xff = [("X-Forwarded-For", "203.0.113.7, 10.1.1.1")];
        // An untrusted peer cannot claim another address.
        let r = req("198.51.100.9:5000", &xff);
        assert_eq!(none.client_ip(&r), "198.51.100.9".parse().ok());
        assert_eq!(lb.client_ip(&r), "198.51.100.9".parse().ok());
        // Behind the balancer: the nearest untrusted address of the chain.
        let r = req("10.0.0.2:5000", &xff);
        assert_eq!(lb.client_ip(&r), "203.0.113.7".parse().ok());
        let r = req(
            "10.0.0.2:5000",
            &[(
                "Forwarded",
                "for=192.0.2.60;proto=http, for=\"[2001:db8::7]:4711\"",
            )],
        );
        assert_eq!(lb.client_ip(&r), "2001:db8::7".parse().ok());
        // A spoofed first entry does not help the client behind the proxy.
        let r = req(
            "10.0.0.2:5000",
            &[("X-Forwarded-For", "1.1.1.1, 203.0.113.7")],
        );
        assert_eq!(lb.client_ip(&r), "203.0.113.7".parse().ok());
    }

    #[test]
    fn keys_group_ipv6_by_64_and_loopback_as_one() {
        let k = |s: &str| rate_key(s.parse().ok());
        assert_eq!(k("2001:db8:1:2::1"), k("2001:db8:1:2:ffff::9"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_eq!(k("127.0.0.1"), k("127.0.0.2"));
        assert_eq!(k("::1"), k("127.0.0.1"));
        assert_eq!(k("::ffff:203.0.113.7"), k("203.0.113.7"));
        assert_ne!(k("203.0.113.7"), k("203.0.113.8"));
    }

    #[test]
    fn forwarded_host_only_from_trusted_proxies() {
        let lb = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let h = [
            ("Host", "hotspot.example"),
            ("X-Forwarded-Host", "evil.example"),
        ];
        assert_eq!(
            lb.base_url(&req("198.51.100.9:5000", &h)),
            "http://hotspot.example"
        );
        let h = [
            ("Host", "10.0.0.5:8080"),
            ("X-Forwarded-Host", "kort.kk.dk"),
            ("X-Forwarded-Proto", "https"),
        ];
        assert_eq!(lb.base_url(&req("10.0.0.2:5000", &h)), "https://kort.kk.dk");
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
    }
}
