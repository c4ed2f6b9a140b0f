//! Each external provider's call quota (`VITRINE_*_QUOTA`), counted in the
//! shared kv so that every instance draws on one budget: a counter per
//! provider and fixed window (windows start at multiples of their length
//! since the epoch, so a `1d` window starts at 00:00 UTC), taken before
//! each call and expiring with its window.
//!
//! A call is counted whether or not it then succeeds, as the providers
//! count it. When the kv cannot be reached the call is allowed (and a
//! warning logged): the quota protects a budget the provider enforces
//! anyway, and shopping should not stop with the kv.
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{config::shopping::Quota, infra::kv::Kv, infra::shopping::ProviderName};

/// Whether a call may be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// Within the quota: this is the window's `n`th call.
    Allowed(i64),
    /// The window's calls are spent.
    Exhausted,
}

/// The kv key of `provider`'s counter for the window holding `now`, and
/// how long that window still runs.
pub fn window_key(
    prefix: &str,
    provider: ProviderName,
    quota: Quota,
    now: DateTime<Utc>,
) -> (String, Duration) {
    let length = quota.window.as_secs().max(1) as i64;
    let now_secs = now.timestamp();
    let index = now_secs.div_euclid(length);
    let left = ((index + 1) * length - now_secs).max(1) as u64;
    (
        format!(
            "{prefix}:shopping:quota:{}:{length}:{index}",
            provider.as_str()
        ),
        Duration::from_secs(left),
    )
}

/// Takes one call of `provider`'s quota, if there is one left.
pub async fn take(
    kv: &dyn Kv,
    prefix: &str,
    provider: ProviderName,
    quota: Quota,
    now: DateTime<Utc>,
) -> Allowance {
    let (key, ttl) = window_key(prefix, provider, quota, now);
    match kv.incr_with_ttl(&key, ttl).await {
        Ok(n) if n as u64 <= quota.limit => Allowance::Allowed(n),
        Ok(_) => Allowance::Exhausted,
        Err(e) => {
            tracing::warn!(provider = provider.as_str(), error = %e, "shopping quota not counted: the kv failed; the call is allowed");
            Allowance::Allowed(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::kv::MemoryKv;
    use chrono::TimeZone;

    fn quota(limit: u64, secs: u64) -> Quota {
        Quota {
            limit,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn daily_windows_start_at_midnight_utc() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap();
        let (key, left) = window_key("v", ProviderName::Naver, quota(5, 86_400), at);
        assert_eq!(left, Duration::from_secs(3600));
        assert!(key.starts_with("v:shopping:quota:naver:86400:"), "{key}");
        let next_day = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 1).unwrap();
        let (next, _) = window_key("v", ProviderName::Naver, quota(5, 86_400), next_day);
        assert_ne!(key, next);
    }

    #[tokio::test]
    async fn calls_past_the_limit_are_refused_until_the_next_window() {
        let kv = MemoryKv::default();
        let q = quota(2, 3600);
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
        let google = ProviderName::Google;
        assert_eq!(take(&kv, "v", google, q, at).await, Allowance::Allowed(1));
        assert_eq!(take(&kv, "v", google, q, at).await, Allowance::Allowed(2));
        assert_eq!(take(&kv, "v", google, q, at).await, Allowance::Exhausted);
        // Another provider has its own budget.
        assert_eq!(
            take(&kv, "v", ProviderName::Coupang, q, at).await,
            Allowance::Allowed(1)
        );
        let later = at + chrono::Duration::hours(1);
        assert_eq!(
            take(&kv, "v", google, q, later).await,
            Allowance::Allowed(1)
        );
    }
}
