//! Who the client is when the API runs behind a load balancer.
//!
//! A connection from a trusted proxy (`VITRINE_TRUSTED_PROXIES`) names its
//! client in `X-Forwarded-For`; every proxy appends the address it got the
//! request from, so the client is the rightmost entry that is not itself a
//! proxy (entries further left were written by the client and prove
//! nothing). This layer replaces the request's [`ConnectInfo`] with that
//! address, so rate limits, the block list, the security monitor and
//! session fingerprints all see the client rather than the balancer. A
//! connection from anyone else keeps its peer address, whatever it sends.
use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};

use crate::{config::TrustedProxies, state::AppState};

pub async fn resolve(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let proxies = &app.config.trusted_proxies;
    if !proxies.is_empty()
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied()
        && let Some(client) = forwarded_client(proxies, peer.ip(), req.headers())
    {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
    }
    next.run(req).await
}

fn forwarded_client(
    proxies: &TrustedProxies,
    peer: IpAddr,
    headers: &axum::http::HeaderMap,
) -> Option<IpAddr> {
    if !proxies.contains(peer) {
        return None;
    }
    // Several headers are one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // An unreadable entry: nothing left of it can be trusted.
            return None;
        };
        if !proxies.contains(ip) {
            return Some(ip);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let lb: IpAddr = "10.0.0.2".parse().unwrap();
        let got = |h: &[&str]| forwarded_client(&proxies, lb, &headers(h));
        assert_eq!(got(&["203.0.113.9"]), Some("203.0.113.9".parse().unwrap()));
        // A client's own claim on the left is ignored.
        assert_eq!(
            got(&["1.1.1.1, 203.0.113.9, 10.0.0.7"]),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            got(&["1.1.1.1", "203.0.113.9"]),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(got(&["10.0.0.9"]), None);
        assert_eq!(
            got(&["junk, 203.0.113.9"]),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(got(&["203.0.113.9, junk"]), None);
        assert_eq!(got(&[]), None);
        // Not from a proxy: the header is not read at all.
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            forwarded_client(&proxies, stranger, &headers(&["203.0.113.9"])),
            None
        );
    }
}
