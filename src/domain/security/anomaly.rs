//! Sign-up anomalies (PAY-5): a daily comparison of yesterday's sign-ups
//! and account deletions with the day before (a change beyond ±300%
//! raises a SIGNUP_ANOMALY alert, muted 24 hours), and an hourly burst
//! check for spam waves (the last hour far above the trailing day's hourly
//! average raises SIGNUP_BURST).
use std::time::Duration;

use chrono::{DateTime, Duration as Span, DurationRound, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::monitor::{Alert, AlertKind, Outlets, SecurityMonitor, Severity};
use crate::{
    entities::user,
    error::AppResult,
    jobs::{JobKind, KindOptions},
};

/// A day-over-day change beyond this (in percent, either way) is an anomaly.
pub const DAILY_CHANGE_PERCENT: f64 = 300.0;
/// With no sign-ups the day before, this many in a day is an anomaly.
pub const FROM_ZERO: u64 = 20;
/// The last hour is a burst at this multiple of the trailing hourly
/// average, and at least [`BURST_MIN`] sign-ups.
pub const BURST_FACTOR: f64 = 5.0;
pub const BURST_MIN: u64 = 10;
const DAY: Duration = Duration::from_secs(86_400);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckSignups {}

impl JobKind for CheckSignups {
    const KIND: &'static str = "SIGNUP_ANOMALY_CHECK";
    fn options() -> KindOptions {
        chore()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckSignupBurst {}

impl JobKind for CheckSignupBurst {
    const KIND: &'static str = "SIGNUP_BURST_CHECK";
    fn options() -> KindOptions {
        chore()
    }
}

fn chore() -> KindOptions {
    KindOptions {
        concurrency: 1,
        timeout: Duration::from_secs(300),
        max_attempts: 3,
        ..KindOptions::default()
    }
}

async fn signups(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::CreatedAt.gte(from))
        .filter(user::Column::CreatedAt.lt(to))
        .count(db)
        .await?)
}

async fn deletions(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(user::Entity::find()
        .filter(user::Column::DeletedAt.gte(from))
        .filter(user::Column::DeletedAt.lt(to))
        .count(db)
        .await?)
}

/// The change from `before` to `after` in percent, when it is an anomaly.
pub fn anomalous_change(before: u64, after: u64) -> Option<f64> {
    if before == 0 {
        return (after >= FROM_ZERO).then_some(f64::INFINITY);
    }
    let change = (after as f64 - before as f64) / before as f64 * 100.0;
    (change.abs() > DAILY_CHANGE_PERCENT).then_some(change)
}

/// The daily check at `now`: yesterday (UTC) against the day before.
/// Returns a summary for the job's result.
pub async fn daily(
    monitor: &SecurityMonitor,
    out: &Outlets<'_>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let today = now.duration_trunc(Span::days(1)).unwrap_or(now);
    let yesterday = today - Span::days(1);
    let before = yesterday - Span::days(1);
    let mut report = Vec::new();
    for (what, subject) in [("sign-ups", "signups"), ("deletions", "deletions")] {
        let (b, y) = if subject == "signups" {
            (
                signups(out.db, before, yesterday).await?,
                signups(out.db, yesterday, today).await?,
            )
        } else {
            (
                deletions(out.db, before, yesterday).await?,
                deletions(out.db, yesterday, today).await?,
            )
        };
        report.push(format!("{what} {b} → {y}"));
        if let Some(change) = anomalous_change(b, y) {
            let shown = if change.is_finite() {
                format!("{change:+.0}%")
            } else {
                "from none".to_owned()
            };
            monitor
                .raise(
                    out,
                    Alert {
                        kind: AlertKind::SignupAnomaly,
                        severity: Severity::Medium,
                        subject: subject.to_owned(),
                        message: format!(
                            "{what} on {}: {y}, the day before {b} ({shown})",
                            yesterday.date_naive()
                        ),
                        data: json!({ "day": yesterday.date_naive().to_string(), "before": b, "after": y }),
                    },
                    DAY,
                )
                .await?;
        }
    }
    Ok(report.join("; "))
}

/// The hourly burst check at `now`.
pub async fn burst(
    monitor: &SecurityMonitor,
    out: &Outlets<'_>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let hour_ago = now - Span::hours(1);
    let last_hour = signups(out.db, hour_ago, now).await?;
    let trailing = signups(out.db, hour_ago - Span::days(1), hour_ago).await?;
    let average = trailing as f64 / 24.0;
    let is_burst = last_hour >= BURST_MIN && last_hour as f64 >= BURST_FACTOR * average.max(1.0);
    if is_burst {
        monitor
            .raise(
                out,
                Alert {
                    kind: AlertKind::SignupBurst,
                    severity: Severity::High,
                    subject: "signups".to_owned(),
                    message: format!(
                        "{last_hour} sign-ups in the last hour; the day before averaged {average:.1} an hour"
                    ),
                    data: json!({ "lastHour": last_hour, "hourlyAverage": average }),
                },
                Duration::from_secs(6 * 3600),
            )
            .await?;
    }
    Ok(format!(
        "{last_hour} sign-ups in the last hour (average {average:.1})"
    ))
}

#[cfg(test)]
mod tests {
    use super::anomalous_change;

    #[test]
    fn thresholds() {
        assert!(anomalous_change(2, 9).is_some(), "+350%");
        assert!(anomalous_change(2, 7).is_none(), "+250%");
        assert!(anomalous_change(8, 2).is_none(), "-75% is within ±300%");
        assert!(anomalous_change(0, 25).is_some());
        assert!(anomalous_change(0, 5).is_none());
        assert!(anomalous_change(10, 10).is_none());
    }
}
