//! Visual shopping (COMM-8): the external shopping providers (Naver
//! Shopping search, Google Custom Search, Coupang Partners), each optional
//! and off until its credentials are set, their base URLs, the per-provider
//! timeout, and each provider's call quota.
use std::time::Duration;

use super::{ConfigError, Secret, invalid, parse_duration, vars};

/// Calls a provider may take per window (`25000/1d`); counted in the shared
/// kv, in fixed windows starting at 00:00 UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub window: Duration,
}

/// Naver Search API (`/v1/search/shop.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct NaverSettings {
    /// Without a trailing `/`.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub quota: Quota,
}

/// Google Custom Search JSON API (`/customsearch/v1`).
#[derive(Clone, Debug, PartialEq)]
pub struct GoogleSettings {
    pub base_url: String,
    pub key: Secret,
    /// The Programmable Search Engine id.
    pub cx: String,
    pub quota: Quota,
}

/// Coupang Partners Open API (HMAC-signed).
#[derive(Clone, Debug, PartialEq)]
pub struct CoupangSettings {
    pub base_url: String,
    pub access_key: String,
    pub secret_key: Secret,
    pub quota: Quota,
}

/// The providers that are configured (`None`: off); with none, suggestions
/// come from the platform's own catalogue alone.
#[derive(Clone, Debug, PartialEq)]
pub struct ShoppingConfig {
    /// Longest wait for one provider's answer.
    pub timeout: Duration,
    pub naver: Option<NaverSettings>,
    pub google: Option<GoogleSettings>,
    pub coupang: Option<CoupangSettings>,
}

/// Parses `calls/window` (`25000/1d`, `10/1h`).
pub fn parse_quota(raw: &str) -> Option<Quota> {
    let (limit, window) = raw.split_once('/')?;
    let limit = limit.trim().parse::<u64>().ok().filter(|n| *n > 0)?;
    let window = parse_duration(window.trim()).filter(|w| w.as_secs() >= 1)?;
    Some(Quota { limit, window })
}

fn quota(env: &vars::Env<'_>, var: &'static vars::Var) -> Result<Quota, ConfigError> {
    let raw = env.text(var);
    parse_quota(&raw).ok_or_else(|| {
        invalid(
            var.name,
            format!("expected calls per window such as 25000/1d or 10/1h, got `{raw}`"),
        )
    })
}

fn base_url(env: &vars::Env<'_>, var: &'static vars::Var) -> Result<String, ConfigError> {
    Ok(env
        .http_url(var)?
        .unwrap_or_else(|| env.text(var))
        .trim_end_matches('/')
        .to_owned())
}

/// Both halves of a credential, or neither; the error names the missing one.
fn pair(
    env: &vars::Env<'_>,
    first: &'static vars::Var,
    second: &'static vars::Var,
) -> Result<Option<(String, String)>, ConfigError> {
    match (env.raw(first), env.raw(second)) {
        (None, None) => Ok(None),
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (Some(_), None) => Err(invalid(
            second.name,
            format!("required when {} is set", first.name),
        )),
        (None, Some(_)) => Err(invalid(
            first.name,
            format!("required when {} is set", second.name),
        )),
    }
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<ShoppingConfig, ConfigError> {
    let timeout = env.duration(&vars::SHOPPING_TIMEOUT)?;
    if timeout > Duration::from_secs(30) {
        return Err(invalid(vars::SHOPPING_TIMEOUT.name, "must be at most 30s"));
    }
    // Quotas and URLs are checked even while their provider is off, so a
    // typo is found before the credentials are added.
    let (naver_quota, google_quota, coupang_quota) = (
        quota(env, &vars::NAVER_QUOTA)?,
        quota(env, &vars::GOOGLE_CSE_QUOTA)?,
        quota(env, &vars::COUPANG_QUOTA)?,
    );
    let (naver_url, google_url, coupang_url) = (
        base_url(env, &vars::NAVER_BASE_URL)?,
        base_url(env, &vars::GOOGLE_CSE_BASE_URL)?,
        base_url(env, &vars::COUPANG_BASE_URL)?,
    );
    let naver = pair(env, &vars::NAVER_CLIENT_ID, &vars::NAVER_CLIENT_SECRET)?.map(
        |(client_id, secret)| NaverSettings {
            base_url: naver_url,
            client_id,
            client_secret: Secret::new(secret),
            quota: naver_quota,
        },
    );
    let google =
        pair(env, &vars::GOOGLE_CSE_KEY, &vars::GOOGLE_CSE_CX)?.map(|(key, cx)| GoogleSettings {
            base_url: google_url,
            key: Secret::new(key),
            cx,
            quota: google_quota,
        });
    let coupang = pair(env, &vars::COUPANG_ACCESS_KEY, &vars::COUPANG_SECRET_KEY)?.map(
        |(access_key, secret)| CoupangSettings {
            base_url: coupang_url,
            access_key,
            secret_key: Secret::new(secret),
            quota: coupang_quota,
        },
    );
    Ok(ShoppingConfig {
        timeout,
        naver,
        google,
        coupang,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<ShoppingConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| map.get(k).cloned();
        parse(&vars::Env::new(&lookup))
    }

    #[test]
    fn every_provider_is_off_by_default() {
        let c = load(&[]).unwrap();
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert!(c.naver.is_none() && c.google.is_none() && c.coupang.is_none());
    }

    #[test]
    fn a_provider_is_on_with_both_credentials_and_documented_quotas() {
        let c = load(&[
            ("VITRINE_NAVER_CLIENT_ID", "id"),
            ("VITRINE_NAVER_CLIENT_SECRET", "secret"),
            ("VITRINE_COUPANG_ACCESS_KEY", "ak"),
            ("VITRINE_COUPANG_SECRET_KEY", "sk"),
            ("VITRINE_COUPANG_BASE_URL", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        let naver = c.naver.unwrap();
        assert_eq!(naver.base_url, "https://openapi.naver.com");
        assert_eq!(
            naver.quota,
            Quota {
                limit: 25_000,
                window: Duration::from_secs(86_400)
            }
        );
        let coupang = c.coupang.unwrap();
        assert_eq!(coupang.base_url, "http://127.0.0.1:9");
        assert_eq!(coupang.quota.limit, 10);
        assert_eq!(coupang.quota.window, Duration::from_secs(3600));
        assert!(c.google.is_none());
    }

    #[test]
    fn errors_name_the_variable() {
        for (pairs, var) in [
            (
                vec![("VITRINE_NAVER_CLIENT_ID", "id")],
                "VITRINE_NAVER_CLIENT_SECRET",
            ),
            (
                vec![("VITRINE_GOOGLE_CSE_CX", "cx")],
                "VITRINE_GOOGLE_CSE_KEY",
            ),
            (
                vec![("VITRINE_COUPANG_QUOTA", "10 per hour")],
                "VITRINE_COUPANG_QUOTA",
            ),
            (vec![("VITRINE_NAVER_QUOTA", "0/1d")], "VITRINE_NAVER_QUOTA"),
            (
                vec![("VITRINE_SHOPPING_TIMEOUT", "1m")],
                "VITRINE_SHOPPING_TIMEOUT",
            ),
            (
                vec![("VITRINE_GOOGLE_CSE_BASE_URL", "ftp://x")],
                "VITRINE_GOOGLE_CSE_BASE_URL",
            ),
        ] {
            assert_eq!(load(&pairs).unwrap_err().var, var, "{pairs:?}");
        }
    }
}
