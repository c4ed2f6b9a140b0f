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

/// What `Config::from_lookup` reads for the protections.
pub(super) struct Protection {
    pub limits: QueryLimits,
    pub rate_limits: RateLimits,
    pub persisted_only: bool,
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
    Ok(Protection {
        limits,
        rate_limits,
        persisted_only: env.flag(&vars::PERSISTED_ONLY)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
