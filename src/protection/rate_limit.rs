//! Rate limiting (API-4): a sliding-window log per caller, weighted by the
//! operation's complexity. Signed-in callers are limited per user, anonymous
//! ones per IP; sign-in, sign-up and token refresh have a stricter window of
//! their own per IP that counts every occurrence (each alias, each operation
//! of a batch) as one attempt.
//!
//! With `REDIS_URL` the log is a Redis sorted set per key, updated by one
//! atomic script, so every instance shares it. **When Redis is unreachable
//! the limiter fails open to a per-instance limit**: the same windows, kept
//! in this process, so an instance never answers 500 because of Redis and a
//! client can get at most (instances × limit) through until Redis is back.
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

pub use crate::config::{Policy, RateLimits, parse_policy};

impl Policy {
    /// `RateLimit-Policy` item: `"user";q=10000;w=60`.
    pub fn header(&self) -> String {
        format!(
            "\"{}\";q={};w={}",
            self.name,
            self.limit,
            self.window.as_secs()
        )
    }
}

/// The limiter's answer for one charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub policy: Policy,
    pub allowed: bool,
    /// Cost still available in the window (after this charge if allowed).
    pub remaining: u64,
    /// Seconds until enough of the window frees up (for `Retry-After` when
    /// refused, the `t` of `RateLimit` otherwise).
    pub reset_secs: u64,
}

impl Decision {
    /// `RateLimit` item: `"user";r=9500;t=42`.
    pub fn header(&self) -> String {
        format!(
            "\"{}\";r={};t={}",
            self.policy.name, self.remaining, self.reset_secs
        )
    }
}

/// Sliding-window logs kept in this process (the embedded backend, and the
/// fallback while Redis is unreachable).
#[derive(Default)]
pub struct LocalWindows {
    logs: Mutex<HashMap<String, VecDeque<(i64, u64)>>>,
}

impl LocalWindows {
    pub fn charge(&self, key: &str, now_ms: i64, policy: Policy, cost: u64) -> Decision {
        let window_ms = policy.window.as_millis() as i64;
        let mut logs = crate::sync::lock(&self.logs);
        // Forget idle keys now and then so the map stays bounded.
        if logs.len() > 100_000 {
            logs.retain(|_, log| log.back().is_some_and(|(t, _)| *t > now_ms - window_ms));
        }
        let log = logs.entry(key.to_owned()).or_default();
        while log.front().is_some_and(|(t, _)| *t <= now_ms - window_ms) {
            log.pop_front();
        }
        let used: u64 = log.iter().map(|(_, c)| c).sum();
        if used + cost > policy.limit {
            let need = used + cost - policy.limit;
            let mut freed = 0;
            let mut reset_ms = window_ms;
            for (t, c) in log.iter() {
                freed += c;
                if freed >= need {
                    reset_ms = t + window_ms - now_ms;
                    break;
                }
            }
            return Decision {
                policy,
                allowed: false,
                remaining: policy.limit.saturating_sub(used),
                reset_secs: ceil_secs(reset_ms),
            };
        }
        log.push_back((now_ms, cost));
        let oldest = log.front().map(|(t, _)| *t).unwrap_or(now_ms);
        Decision {
            policy,
            allowed: true,
            remaining: policy.limit - used - cost,
            reset_secs: ceil_secs(oldest + window_ms - now_ms),
        }
    }
}

fn ceil_secs(ms: i64) -> u64 {
    (ms.max(0) as u64).div_ceil(1000)
}

/// The script behind the Redis backend: trims the window, sums the costs
/// recorded in it (members are `cost:unique`), and records this charge if
/// it fits. Returns `{allowed, remaining, reset_ms}`.
const REDIS_WINDOW: &str = r#"
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do
  used = used + (tonumber(string.match(entries[i], '^(%d+):')) or 1)
end
if used + cost > limit then
  local need = used + cost - limit
  local freed = 0
  local reset = window
  for i = 1, #entries, 2 do
    freed = freed + (tonumber(string.match(entries[i], '^(%d+):')) or 1)
    if freed >= need then
      reset = tonumber(entries[i + 1]) + window - now
      break
    end
  end
  return {0, limit - used, reset}
end
redis.call('ZADD', key, now, cost .. ':' .. ARGV[5])
redis.call('PEXPIRE', key, window)
local oldest = now
if #entries > 0 then oldest = tonumber(entries[2]) end
return {1, limit - used - cost, oldest + window - now}
"#;

pub struct RateLimiter {
    redis: Option<redis::aio::ConnectionManager>,
    prefix: String,
    local: LocalWindows,
    pub user: Policy,
    pub ip: Policy,
    pub auth: Policy,
    /// Logged once per outage, not once per request.
    redis_down: std::sync::atomic::AtomicBool,
}

impl RateLimiter {
    pub fn new(
        redis: Option<redis::aio::ConnectionManager>,
        prefix: &str,
        limits: &RateLimits,
    ) -> Arc<Self> {
        Arc::new(Self {
            redis,
            prefix: prefix.to_owned(),
            local: LocalWindows::default(),
            user: limits.user,
            ip: limits.ip,
            auth: limits.auth,
            redis_down: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Charges `cost` to `key` under `policy`.
    pub async fn charge(&self, key: &str, policy: Policy, cost: u64) -> Decision {
        let now_ms = chrono::Utc::now().timestamp_millis();
        if let Some(conn) = &self.redis {
            let mut conn = conn.clone();
            let full_key = format!("{}:rl:{}:{key}", self.prefix, policy.name);
            let member = uuid::Uuid::new_v4().simple().to_string();
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(REDIS_WINDOW)
                .arg(1)
                .arg(&full_key)
                .arg(now_ms)
                .arg(policy.window.as_millis() as u64)
                .arg(cost)
                .arg(policy.limit)
                .arg(member);
            let call = cmd.query_async::<(i64, i64, i64)>(&mut conn);
            match tokio::time::timeout(Duration::from_secs(1), call).await {
                Ok(Ok((allowed, remaining, reset_ms))) => {
                    if self
                        .redis_down
                        .swap(false, std::sync::atomic::Ordering::Relaxed)
                    {
                        tracing::info!("rate limiter: redis is back; limits are shared again");
                    }
                    return Decision {
                        policy,
                        allowed: allowed == 1,
                        remaining: remaining.max(0) as u64,
                        reset_secs: ceil_secs(reset_ms),
                    };
                }
                failed => {
                    if !self
                        .redis_down
                        .swap(true, std::sync::atomic::Ordering::Relaxed)
                    {
                        let error = match failed {
                            Ok(Err(e)) => e.to_string(),
                            _ => "timed out".into(),
                        };
                        tracing::warn!(%error, "rate limiter: redis unreachable; failing open to per-instance limits");
                    }
                }
            }
        }
        self.local
            .charge(&format!("{}:{key}", policy.name), now_ms, policy, cost)
    }
}

/// Sign-in, sign-up and refresh fields in a document: every name among
/// them followed by `(` counts once (aliases included), found by a scan of
/// the raw text so that even a document refused for its size is charged.
pub fn auth_attempts(query: &str) -> u64 {
    const FIELDS: [&str; 7] = [
        "login",
        "register",
        "refreshToken",
        "requestEmailCode",
        "verifyEmailCode",
        "requestPasswordReset",
        "resetPassword",
    ];
    let bytes = query.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            // Skip strings (block strings too): their content is not a field.
            let block = bytes[i..].starts_with(b"\"\"\"");
            i += if block { 3 } else { 1 };
            while i < bytes.len() {
                if block && bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    break;
                }
                if !block && bytes[i] == b'"' {
                    i += 1;
                    break;
                }
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let name = &query[start..i];
            let preceded_by_dollar = start > 0 && bytes[start - 1] == b'$';
            let mut j = i;
            while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r' | b',') {
                j += 1;
            }
            if !preceded_by_dollar && j < bytes.len() && bytes[j] == b'(' && FIELDS.contains(&name)
            {
                count += 1;
            }
            continue;
        }
        i += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(limit: u64) -> Policy {
        Policy {
            name: "t",
            limit,
            window: Duration::from_secs(10),
        }
    }

    #[test]
    fn the_window_slides_and_weighs_costs() {
        let w = LocalWindows::default();
        let p = policy(10);
        let d = w.charge("k", 0, p, 4);
        assert!(d.allowed);
        assert_eq!((d.remaining, d.reset_secs), (6, 10));
        assert!(w.charge("k", 1_000, p, 6).allowed);
        let refused = w.charge("k", 2_000, p, 1);
        assert!(!refused.allowed);
        // The first charge (4) leaves the window at 10 s: 8 s from now.
        assert_eq!(refused.reset_secs, 8);
        assert!(w.charge("k", 10_001, p, 4).allowed);
        assert!(!w.charge("k", 10_002, p, 1).allowed);
        // Other keys have their own window.
        assert!(w.charge("other", 2_000, p, 10).allowed);
        assert!(!w.charge("huge", 0, p, 11).allowed);
    }

    #[test]
    fn auth_attempts_count_every_alias() {
        let aliases: String = (0..1000)
            .map(|i| {
                format!(
                    "a{i}: login(input: {{email: \"x\", password: \"login(\"}}) {{ accessToken }} "
                )
            })
            .collect();
        assert_eq!(auth_attempts(&format!("mutation {{ {aliases} }}")), 1000);
        assert_eq!(
            auth_attempts("mutation($t: String!) { refreshToken(token: $t) { accessToken } }"),
            1
        );
        assert_eq!(auth_attempts("{ me { login } }"), 0);
        assert_eq!(auth_attempts("query($login: Int) { a(login: $login) }"), 0);
    }

    #[test]
    fn policies_parse() {
        let p = parse_policy("user", "500/30s").unwrap();
        assert_eq!((p.limit, p.window), (500, Duration::from_secs(30)));
        assert_eq!(p.header(), "\"user\";q=500;w=30");
        assert!(parse_policy("user", "0/30s").is_none());
        assert!(parse_policy("user", "500").is_none());
    }
}
