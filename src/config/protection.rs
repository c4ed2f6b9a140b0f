//! Settings of the API's protections (API-3, API-4): query limits, rate-limit
//! windows and persisted-only mode. The types live here, with the
//! configuration that fills them; `protection::limits` and
//! `protection::rate_limit` enforce them.
use std::time::Duration;

use super::{ConfigError, Environment, invalid, parse_duration, vars};

/// The limits in force (`VITRINE_MAX_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: u64,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_directives: usize,
    pub max_tokens: usize,
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 10_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 5,
            max_tokens: 5_000,
            introspection: true,
        }
    }
}

/// A rate-limit window: at most `limit` cost per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub name: &'static str,
    pub limit: u64,
    pub window: Duration,
}

/// Parses `10000/60s` (cost per window).
pub fn parse_policy(name: &'static str, raw: &str) -> Option<Policy> {
    let (limit, window) = raw.split_once('/')?;
    let limit = limit.trim().parse::<u64>().ok().filter(|n| *n > 0)?;
    let window = parse_duration(window.trim())?;
    Some(Policy {
        name,
        limit,
        window,
    })
}

/// The three windows (`VITRINE_RATE_LIMIT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub user: Policy,
    pub ip: Policy,
    pub auth: Policy,
}

impl Default for RateLimits {
    fn default() -> Self {
        let window = |name, var: &vars::Var| {
            var.default
                .and_then(|raw| parse_policy(name, raw))
                .unwrap_or(Policy {
                    name,
                    limit: 1,
                    window: Duration::from_secs(1),
                })
        };
        Self {
            user: window("user", &vars::RATE_LIMIT_USER),
            ip: window("ip", &vars::RATE_LIMIT_IP),
            auth: window("auth", &vars::RATE_LIMIT_AUTH),
        }
    }
}

/// The load balancers and reverse proxies in front of the API
/// (`VITRINE_TRUSTED_PROXIES`): only a connection from one of them may name
/// the client in `X-Forwarded-For`. Empty: the peer address is the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(std::net::IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8, 127.0.0.1, ::1` (an address alone is a /32 or
    /// /128).
    pub fn parse(raw: &str) -> Option<Self> {
        let mut nets = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((addr, bits)) => (addr, Some(bits.parse::<u8>().ok()?)),
                None => (item, None),
            };
            let addr: std::net::IpAddr = addr.parse().ok()?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            if bits > max {
                return None;
            }
            nets.push((addr, bits));
        }
        Some(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the proxies (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                u32::from(*net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                u128::from(*net) & mask == u128::from(ip) & mask
            }
            _ => false,
        })
    }
}

/// What `Config::from_lookup` reads for the protections.
pub(super) struct Protection {
    pub limits: QueryLimits,
    pub rate_limits: RateLimits,
    pub persisted_only: bool,
    pub trusted_proxies: TrustedProxies,
}

pub(super) fn parse(
    env: &vars::Env<'_>,
    environment: Environment,
) -> Result<Protection, ConfigError> {
    let count = |var: &'static vars::Var, max: u64| env.number(var, 1..=max);
    let limits = QueryLimits {
        max_depth: count(&vars::MAX_DEPTH, 50)? as usize,
        max_complexity: count(&vars::MAX_COMPLEXITY, 10_000_000)?,
        max_aliases: count(&vars::MAX_ALIASES, 1_000)? as usize,
        max_root_fields: count(&vars::MAX_ROOT_FIELDS, 1_000)? as usize,
        max_directives: count(&vars::MAX_DIRECTIVES, 100)? as usize,
        max_tokens: count(&vars::MAX_TOKENS, 1_000_000)? as usize,
        introspection: environment != Environment::Production,
    };
    let policy = |var: &'static vars::Var, name: &'static str| {
        parse_policy(name, &env.text(var))
            .ok_or_else(|| invalid(var.name, "expected <cost>/<window>, e.g. 10000/60s"))
    };
    let rate_limits = RateLimits {
        user: policy(&vars::RATE_LIMIT_USER, "user")?,
        ip: policy(&vars::RATE_LIMIT_IP, "ip")?,
        auth: policy(&vars::RATE_LIMIT_AUTH, "auth")?,
    };
    let trusted_proxies =
        TrustedProxies::parse(&env.text(&vars::TRUSTED_PROXIES)).ok_or_else(|| {
            invalid(
                vars::TRUSTED_PROXIES.name,
                "expected comma-separated addresses or CIDR ranges, e.g. 10.0.0.0/8, ::1",
            )
        })?;
    Ok(Protection {
        limits,
        rate_limits,
        persisted_only: env.flag(&vars::PERSISTED_ONLY)?,
        trusted_proxies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_match_ranges() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7, fd00::/8").unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert!(t.contains(ip("10.200.3.4")));
        assert!(t.contains(ip("::ffff:10.1.1.1")));
        assert!(t.contains(ip("192.168.1.7")));
        assert!(!t.contains(ip("192.168.1.8")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("2001:db8::1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_none());
        assert!(TrustedProxies::parse("proxy.internal").is_none());
    }

    #[test]
    fn policies_parse() {
        let p = parse_policy("user", "500/30s").unwrap();
        assert_eq!((p.limit, p.window), (500, Duration::from_secs(30)));
        assert!(parse_policy("user", "0/30s").is_none());
        assert!(parse_policy("user", "500").is_none());
    }

    #[test]
    fn defaults_match_the_table() {
        let d = RateLimits::default();
        assert_eq!(
            (d.user.limit, d.user.window),
            (20_000, Duration::from_secs(60))
        );
        assert_eq!((d.ip.limit, d.ip.window), (10_000, Duration::from_secs(60)));
        assert_eq!(
            (d.auth.limit, d.auth.window),
            (20, Duration::from_secs(300))
        );
    }
}
