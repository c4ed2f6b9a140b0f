//! Session fingerprints (seed: "Device Fingerprinting").
//!
//! A session remembers where it was opened: its device id, the family of
//! its user agent (browser or app, and operating system, without versions,
//! so an update does not sign anybody out) and its network (the IPv4 /24 or
//! IPv6 /48 the address falls in, so a phone hopping between addresses of
//! one carrier cell is still "the same place"). A refresh is compared with
//! it: another device or browser is a stolen token until proven otherwise;
//! another network alone is a person on the move, recorded and told.
use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// The parts of a fingerprint, as stored on the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub ua_family: String,
    pub network: String,
    /// SHA-256 (hex) of device id, family and network.
    pub hash: String,
}

impl Fingerprint {
    pub fn of(device_id: &str, user_agent: Option<&str>, ip: Option<&str>) -> Self {
        let ua_family = ua_family(user_agent);
        let network = network(ip);
        let hash = hash(device_id, &ua_family, &network);
        Self {
            ua_family,
            network,
            hash,
        }
    }
}

/// How a presented fingerprint compares with the stored one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    Same,
    /// Same device and browser, another network.
    NewNetwork {
        from: String,
        to: String,
    },
    /// Another device id or user-agent family.
    OtherDevice,
}

/// Compares what a refresh presents with what the session stored. A
/// session stored before fingerprints existed has no family and matches
/// anything (it adopts the presented one).
pub fn compare(
    stored_device_id: &str,
    stored_family: Option<&str>,
    stored_network: Option<&str>,
    presented_device_id: Option<&str>,
    presented: &Fingerprint,
) -> Comparison {
    if presented_device_id.is_some_and(|id| id != stored_device_id) {
        return Comparison::OtherDevice;
    }
    if stored_family.is_some_and(|family| family != presented.ua_family) {
        return Comparison::OtherDevice;
    }
    match stored_network {
        Some(from) if from != presented.network => Comparison::NewNetwork {
            from: from.to_owned(),
            to: presented.network.clone(),
        },
        _ => Comparison::Same,
    }
}

fn hash(device_id: &str, ua_family: &str, network: &str) -> String {
    let mut digest = Sha256::new();
    for part in [device_id, ua_family, network] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    hex::encode(digest.finalize())
}

/// The network an address belongs to: `a.b.c.0/24`, or the first 48 bits
/// of an IPv6 address as `x:y:z::/48` (IPv4-mapped IPv6 counts as IPv4);
/// `unknown` without a readable address.
pub fn network(ip: Option<&str>) -> String {
    let Some(ip) = ip.and_then(|raw| raw.trim().parse::<IpAddr>().ok()) else {
        return "unknown".to_owned();
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// `Browser/OS` of a user agent, without versions: `Chrome/Windows`,
/// `Safari/iOS`, `Firefox/Linux`, or for an app the first product token
/// (`vitrine-ios/iOS`, `okhttp/Android`); `unknown` when none was sent.
pub fn ua_family(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "unknown".to_owned();
    };
    format!("{}/{}", client_family(ua), os_family(ua))
}

fn client_family(ua: &str) -> String {
    // Order matters: most browsers also claim to be Chrome and Safari.
    const BROWSERS: [(&str, &str); 11] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    if ua.starts_with("Mozilla/") {
        if let Some((_, name)) = BROWSERS.iter().find(|(token, _)| ua.contains(token)) {
            return (*name).to_owned();
        }
        return "Mozilla".to_owned();
    }
    // An app or library: its product name, up to the version.
    ua.split(['/', ' ', ';', '('])
        .next()
        .filter(|product| !product.is_empty())
        .map(|product| product.chars().take(40).collect())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn os_family(ua: &str) -> &'static str {
    const SYSTEMS: [(&str, &str); 11] = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("iOS", "iOS"),
        ("CFNetwork", "iOS"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Darwin", "macOS"),
        ("Linux", "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WIN_120: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const CHROME_WIN_131: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const EDGE_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    #[test]
    fn families_ignore_versions_and_tell_browsers_apart() {
        assert_eq!(ua_family(Some(CHROME_WIN_120)), "Chrome/Windows");
        assert_eq!(ua_family(Some(CHROME_WIN_131)), "Chrome/Windows");
        assert_eq!(ua_family(Some(EDGE_WIN)), "Edge/Windows");
        assert_eq!(ua_family(Some(SAFARI_IPHONE)), "Safari/iOS");
        assert_eq!(ua_family(Some(FIREFOX_LINUX)), "Firefox/Linux");
        assert_eq!(
            ua_family(Some("vitrine-ios/2.3.1 (iPhone15,2; iOS 17.5)")),
            "vitrine-ios/iOS"
        );
        assert_eq!(ua_family(Some("okhttp/4.12.0")), "okhttp/other");
        assert_eq!(ua_family(None), "unknown");
        assert_eq!(ua_family(Some("  ")), "unknown");
    }

    #[test]
    fn networks_are_prefixes() {
        assert_eq!(network(Some("203.0.113.77")), "203.0.113.0/24");
        assert_eq!(network(Some("::ffff:203.0.113.9")), "203.0.113.0/24");
        assert_eq!(network(Some("2001:db8:abcd:12::1")), "2001:db8:abcd::/48");
        assert_eq!(network(Some("2001:db8:abcd:ffff::9")), "2001:db8:abcd::/48");
        assert_eq!(network(Some("not an ip")), "unknown");
        assert_eq!(network(None), "unknown");
    }

    #[test]
    fn comparison_separates_devices_from_networks() {
        let signed_in = Fingerprint::of("phone-1", Some(CHROME_WIN_120), Some("203.0.113.7"));
        let same = Fingerprint::of("phone-1", Some(CHROME_WIN_131), Some("203.0.113.200"));
        assert_eq!(
            signed_in.hash, same.hash,
            "versions and hosts within a /24 do not count"
        );
        let stored = |p: &Fingerprint| {
            compare(
                "phone-1",
                Some(&signed_in.ua_family),
                Some(&signed_in.network),
                None,
                p,
            )
        };
        assert_eq!(stored(&same), Comparison::Same);
        let moved = Fingerprint::of("phone-1", Some(CHROME_WIN_131), Some("198.51.100.4"));
        assert_eq!(
            stored(&moved),
            Comparison::NewNetwork {
                from: "203.0.113.0/24".into(),
                to: "198.51.100.0/24".into()
            }
        );
        let edge = Fingerprint::of("phone-1", Some(EDGE_WIN), Some("203.0.113.7"));
        assert_eq!(stored(&edge), Comparison::OtherDevice);
        assert_eq!(
            compare(
                "phone-1",
                Some("Chrome/Windows"),
                None,
                Some("phone-2"),
                &same
            ),
            Comparison::OtherDevice
        );
        // A session from before fingerprints adopts the first refresh's.
        assert_eq!(
            compare("phone-1", None, None, None, &edge),
            Comparison::Same
        );
    }
}
