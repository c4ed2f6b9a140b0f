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
///
/// Each key's log is at most [`SLOTS`] + 1 buckets with a running total, so
/// a charge costs the same whatever the window's length, the limit or the
/// traffic. Charges less than a slot (window / 64, at least 1 ms) apart
/// share a bucket, which leaves the window when its *latest* charge does.
/// The error bound: a charge may be held up to one slot (1/64 of the
/// window, 1.6%) longer than an exact log would hold it, never shorter, so
/// no more than `limit` is ever let through in any window. Keys are spread
/// over [`SHARDS`] locks.
pub struct LocalWindows {
    shards: Vec<Mutex<Shard>>,
}

/// Buckets per window.
pub const SLOTS: i64 = 64;
const SHARDS: usize = 64;
/// A shard drops idle keys at most this often, and only past this size.
const SWEEP_EVERY_MS: i64 = 10_000;
const SWEEP_ABOVE: usize = 1024;

#[derive(Default)]
struct Shard {
    logs: HashMap<String, KeyLog>,
    next_sweep_ms: i64,
}

struct KeyLog {
    window_ms: i64,
    used: u64,
    buckets: VecDeque<Bucket>,
}

struct Bucket {
    first_ms: i64,
    last_ms: i64,
    cost: u64,
}

impl Default for LocalWindows {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl KeyLog {
    fn expire(&mut self, now_ms: i64) {
        while let Some(front) = self.buckets.front() {
            if front.last_ms > now_ms - self.window_ms {
                break;
            }
            self.used -= front.cost;
            self.buckets.pop_front();
        }
    }
}

impl LocalWindows {
    pub fn charge(&self, key: &str, now_ms: i64, policy: Policy, cost: u64) -> Decision {
        let window_ms = (policy.window.as_millis() as i64).max(1);
        let slot_ms = (window_ms / SLOTS).max(1);
        let mut shard = crate::sync::lock(&self.shards[shard_of(key)]);
        if now_ms >= shard.next_sweep_ms {
            shard.next_sweep_ms = now_ms + SWEEP_EVERY_MS;
            if shard.logs.len() > SWEEP_ABOVE {
                shard.logs.retain(|_, log| {
                    log.expire(now_ms);
                    !log.buckets.is_empty()
                });
            }
        }
        let log = match shard.logs.get_mut(key) {
            Some(log) => log,
            None => shard.logs.entry(key.to_owned()).or_insert(KeyLog {
                window_ms,
                used: 0,
                buckets: VecDeque::new(),
            }),
        };
        log.window_ms = window_ms;
        log.expire(now_ms);
        let used = log.used;
        if used + cost > policy.limit {
            let need = used + cost - policy.limit;
            let mut freed = 0;
            let mut reset_ms = window_ms;
            for bucket in &log.buckets {
                freed += bucket.cost;
                if freed >= need {
                    reset_ms = bucket.last_ms + window_ms - now_ms;
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
        match log.buckets.back_mut() {
            Some(back) if now_ms - back.first_ms < slot_ms => {
                back.last_ms = back.last_ms.max(now_ms);
                back.cost += cost;
            }
            _ => log.buckets.push_back(Bucket {
                first_ms: now_ms,
                last_ms: now_ms,
                cost,
            }),
        }
        log.used += cost;
        let oldest = log.buckets.front().map_or(now_ms, |b| b.last_ms);
        Decision {
            policy,
            allowed: true,
            remaining: policy.limit - used - cost,
            reset_secs: ceil_secs(oldest + window_ms - now_ms),
        }
    }
}

/// FNV-1a: a stable spread of keys over the shards.
fn shard_of(key: &str) -> usize {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % SHARDS as u64) as usize
}

fn ceil_secs(ms: i64) -> u64 {
    (ms.max(0) as u64).div_ceil(1000)
}

/// The script behind the Redis backend: the same buckets as
/// [`LocalWindows`] on a fixed grid of slots (window / 64). `KEYS[1]` is a
/// sorted set of slot → its latest charge time, `KEYS[2]` a hash of slot →
/// cost plus the running `total`; both share a hash tag. Expired slots are
/// subtracted from the total and removed, so a charge reads at most the
/// slots that expire (and, when refused, the 65 left). Returns `{allowed,
/// remaining, reset_ms}`.
const REDIS_WINDOW: &str = r#"
local times = KEYS[1]
local costs = KEYS[2]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local slot_ms = tonumber(ARGV[5])
local expired = redis.call('ZRANGEBYSCORE', times, '-inf', now - window)
if #expired > 0 then
  local freed = 0
  for i = 1, #expired do
    freed = freed + (tonumber(redis.call('HGET', costs, expired[i])) or 0)
    redis.call('HDEL', costs, expired[i])
  end
  redis.call('ZREMRANGEBYSCORE', times, '-inf', now - window)
  redis.call('HINCRBY', costs, 'total', -freed)
end
local used = tonumber(redis.call('HGET', costs, 'total')) or 0
if used + cost > limit then
  local need = used + cost - limit
  local freed = 0
  local reset = window
  local slots = redis.call('ZRANGE', times, 0, -1, 'WITHSCORES')
  for i = 1, #slots, 2 do
    freed = freed + (tonumber(redis.call('HGET', costs, slots[i])) or 0)
    if freed >= need then
      reset = tonumber(slots[i + 1]) + window - now
      break
    end
  end
  return {0, limit - used, reset}
end
local slot = tostring(math.floor(now / slot_ms))
redis.call('HINCRBY', costs, slot, cost)
redis.call('HINCRBY', costs, 'total', cost)
redis.call('ZADD', times, now, slot)
redis.call('PEXPIRE', times, window + slot_ms)
redis.call('PEXPIRE', costs, window + slot_ms)
local oldest = redis.call('ZRANGE', times, 0, 0, 'WITHSCORES')
return {1, limit - used - cost, tonumber(oldest[2]) + window - now}
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
            let tag = format!("{}:rl:{{{}:{key}}}", self.prefix, policy.name);
            let window_ms = (policy.window.as_millis() as i64).max(1);
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(REDIS_WINDOW)
                .arg(2)
                .arg(format!("{tag}:t"))
                .arg(format!("{tag}:c"))
                .arg(now_ms)
                .arg(window_ms)
                .arg(cost)
                .arg(policy.limit)
                .arg((window_ms / SLOTS).max(1));
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
    fn never_more_than_the_limit_in_any_window_and_held_at_most_a_slot() {
        // One charge per 7 ms against 100 per second: the exact log would
        // let a charge through as soon as the one 100 before it is 1 s old.
        let w = LocalWindows::default();
        let p = Policy {
            name: "t",
            limit: 100,
            window: Duration::from_secs(1),
        };
        let slot = 1000 / SLOTS;
        let mut allowed: Vec<i64> = Vec::new();
        for now in (0..20_000).step_by(7) {
            let d = w.charge("k", now, p, 1);
            if d.allowed {
                allowed.push(now);
            }
            let in_window = allowed.iter().filter(|t| **t > now - 1000).count();
            assert!(
                in_window <= 100,
                "{in_window} in the window ending at {now}"
            );
        }
        // Past the first window, each admitted charge follows the one 100
        // before it by at least the window and at most window + slot + step.
        for pair in allowed.windows(101).skip(100) {
            let gap = pair[100] - pair[0];
            assert!((1000..=1000 + slot + 7).contains(&gap), "gap {gap}");
        }
    }

    #[test]
    fn a_key_keeps_at_most_a_bucket_per_slot_whatever_the_traffic() {
        let w = LocalWindows::default();
        let p = Policy {
            name: "t",
            limit: u64::MAX / 2,
            window: Duration::from_secs(60),
        };
        for now in 0..200_000 {
            assert!(w.charge("k", now, p, 1).allowed);
        }
        let shard = crate::sync::lock(&w.shards[shard_of("k")]);
        let log = &shard.logs["k"];
        assert!(
            log.buckets.len() as i64 <= SLOTS + 1,
            "{}",
            log.buckets.len()
        );
        // The last 60 s, and at most one slot more (the bucket straddling
        // the window's start leaves with its latest charge).
        let slot = 60_000 / SLOTS as u64;
        assert!((60_000..=60_000 + slot).contains(&log.used), "{}", log.used);
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
