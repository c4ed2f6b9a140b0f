//! Partner webhooks (issue 22): the retry schedule of failed deliveries and
//! the default `stock.low` threshold of new subscriptions.
use std::time::Duration;

use super::{ConfigError, invalid, parse_duration, vars};

#[derive(Clone, Debug, PartialEq)]
pub struct PartnerWebhooksConfig {
    /// Waits after the 1st, 2nd, … failed attempt; the last one repeats
    /// until 24 h from the first attempt have passed.
    pub retry_delays: Vec<Duration>,
    /// The `stock.low` threshold a subscription gets unless it names one.
    pub stock_low_threshold: i64,
}

impl PartnerWebhooksConfig {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let i = (attempt.max(1) as usize - 1).min(self.retry_delays.len().saturating_sub(1));
        self.retry_delays
            .get(i)
            .copied()
            .unwrap_or(Duration::from_secs(60))
    }
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<PartnerWebhooksConfig, ConfigError> {
    let var = &vars::PARTNER_WEBHOOK_RETRY_DELAYS;
    let raw = env.text(var);
    let retry_delays: Vec<Duration> = raw
        .split(',')
        .map(|d| parse_duration(d).filter(|d| !d.is_zero()))
        .collect::<Option<_>>()
        .filter(|v: &Vec<Duration>| !v.is_empty() && v.len() <= 20)
        .ok_or_else(|| {
            invalid(
                var.name,
                format!(
                    "expected 1 to 20 comma-separated durations such as 1m,5m,30m, got `{raw}`"
                ),
            )
        })?;
    let stock_low_threshold = env.number(&vars::PARTNER_STOCK_LOW_THRESHOLD, 0..=1_000_000)? as i64;
    Ok(PartnerWebhooksConfig {
        retry_delays,
        stock_low_threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_repeat_the_last_one() {
        let lookup = |name: &str| {
            (name == "VITRINE_PARTNER_WEBHOOK_RETRY_DELAYS").then(|| "1m, 5m,2h".to_owned())
        };
        let config = parse(&vars::Env::new(&lookup)).unwrap();
        let mins: Vec<u64> = (1..=5)
            .map(|n| config.retry_delay(n).as_secs() / 60)
            .collect();
        assert_eq!(mins, [1, 5, 120, 120, 120]);
        assert_eq!(config.stock_low_threshold, 5);
        for bad in ["", "0s", "1m,,5m", "soon"] {
            let lookup = |name: &str| {
                (name == "VITRINE_PARTNER_WEBHOOK_RETRY_DELAYS").then(|| bad.to_owned())
            };
            // An empty value counts as unset: the default.
            assert_eq!(
                parse(&vars::Env::new(&lookup)).is_ok(),
                bad.is_empty(),
                "{bad}"
            );
        }
    }
}
