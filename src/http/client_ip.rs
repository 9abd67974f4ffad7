//! Who is the client: the peer address, or — only behind a trusted proxy — the right-most
//! address in `X-Forwarded-For` that is not itself a trusted proxy.
//!
//! Anyone can send `X-Forwarded-For`; only hops appended by our own proxies are true.
//! Each proxy appends the address it received the request from, so reading the header
//! from the right and skipping our proxies finds the first address no proxy of ours
//! vouches for. From an untrusted peer the header is ignored altogether, so a spoofed
//! header cannot dodge the rate limits.
use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;

use crate::domain::IpNet;

/// The client address of a request from `peer` with `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Several X-Forwarded-For headers form one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    return ip;
                }
            }
            // Garbage where an address should be: trust nothing further left.
            None => return client,
        }
    }
    // Every hop was one of our proxies: the left-most is the best we know.
    client
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.trim_matches(|c| c == '[' || c == ']').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in xff {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Table of peers, headers and the client each resolves to.
    #[test]
    fn resolution() {
        let trusted = [IpNet::parse("10.0.0.0/8").unwrap()];
        let cases: &[(&str, &[&str], &str, &str)] = &[
            (
                "203.0.113.9",
                &["1.1.1.1"],
                "203.0.113.9",
                "untrusted peer: header ignored",
            ),
            ("10.0.0.1", &[], "10.0.0.1", "trusted peer, no header"),
            ("10.0.0.1", &["198.51.100.7"], "198.51.100.7", "one proxy"),
            (
                "10.0.0.1",
                &["6.6.6.6, 198.51.100.7"],
                "198.51.100.7",
                "spoofed left part ignored",
            ),
            (
                "10.0.0.1",
                &["6.6.6.6, 198.51.100.7, 10.0.0.2"],
                "198.51.100.7",
                "two proxies",
            ),
            (
                "10.0.0.1",
                &["6.6.6.6", "198.51.100.7"],
                "198.51.100.7",
                "several headers",
            ),
            (
                "10.0.0.1",
                &["10.0.0.3, 10.0.0.2"],
                "10.0.0.3",
                "all hops trusted",
            ),
            (
                "10.0.0.1",
                &["6.6.6.6, junk, 10.0.0.2"],
                "10.0.0.2",
                "garbage stops the walk",
            ),
            (
                "10.0.0.1",
                &["198.51.100.7:4711"],
                "198.51.100.7",
                "hop with port",
            ),
            (
                "10.0.0.1",
                &["[2001:db8::1]:80"],
                "2001:db8::1",
                "IPv6 hop with port",
            ),
        ];
        for (peer, xff, expected, why) in cases {
            assert_eq!(
                resolve(ip(peer), &headers(xff), &trusted),
                ip(expected),
                "{why}"
            );
        }
    }
}
