//! Periodic jobs. Every instance runs the same scheduler loop; what makes a
//! period run once, however many instances there are, is the job's
//! `unique_key` (`<name>@<period start>`): the first instance to enqueue a
//! period wins and the others' inserts do nothing. No per-process timer
//! decides anything, so instances may start, stop and restart freely.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use tokio::sync::watch;

use super::{
    kind::JobKind,
    queue::{Enqueue, JobQueue},
};
use crate::error::AppResult;

/// When a periodic job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Periods of this length, aligned to the Unix epoch (every hour on the
    /// hour), each enqueued as soon as it starts.
    Every(Duration),
    /// Once a day at this UTC time. A day whose time passed more than an
    /// hour before any instance looked is skipped, not caught up later.
    DailyAt(NaiveTime),
}

/// How late a daily period may still be enqueued.
const DAILY_WINDOW: chrono::Duration = chrono::Duration::hours(1);

impl Schedule {
    /// The start of the period `now` falls in, if it is still to be run.
    pub fn period_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            Schedule::Every(every) => {
                let every = every.as_millis().max(1) as i64;
                let start = now.timestamp_millis().div_euclid(every) * every;
                Utc.timestamp_millis_opt(start).single()
            }
            Schedule::DailyAt(at) => {
                let today = now.date_naive().and_time(at).and_utc();
                let start = if today <= now {
                    today
                } else {
                    today - chrono::Duration::days(1)
                };
                (now - start < DAILY_WINDOW).then_some(start)
            }
        }
    }

    /// `every 1h` / `daily 03:00` for logs and docs.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every(d) => format!("every {d:?}"),
            Schedule::DailyAt(t) => format!("daily at {} UTC", t.format("%H:%M")),
        }
    }
}

type EnqueueFn = Arc<
    dyn Fn(JobQueue, String) -> futures::future::BoxFuture<'static, AppResult<Option<i64>>>
        + Send
        + Sync,
>;

/// One periodic job: a name (part of each period's unique key), a
/// schedule, and the job it enqueues.
#[derive(Clone)]
pub struct Periodic {
    pub name: &'static str,
    pub kind: &'static str,
    pub schedule: Schedule,
    enqueue: EnqueueFn,
}

impl Periodic {
    /// `job` every period; `active_key`, if any, also skips a period while
    /// an earlier job with that key is still queued or running.
    pub fn new<J: JobKind + Clone>(
        name: &'static str,
        schedule: Schedule,
        job: J,
        active_key: Option<String>,
    ) -> Self {
        let enqueue: EnqueueFn = Arc::new(move |queue: JobQueue, unique_key: String| {
            let job = job.clone();
            let active_key = active_key.clone();
            Box::pin(async move {
                let db = queue.db().clone();
                queue
                    .enqueue_if_absent(
                        &db,
                        &job,
                        Enqueue {
                            unique_key: Some(unique_key),
                            active_key,
                            ..Enqueue::default()
                        },
                    )
                    .await
            })
        });
        Self {
            name,
            kind: J::KIND,
            schedule,
            enqueue,
        }
    }

    /// Enqueues the current period's job unless it already was; returns
    /// the new job's id.
    pub async fn tick(&self, queue: &JobQueue) -> AppResult<Option<i64>> {
        let Some(start) = self.schedule.period_start(queue.now()) else {
            return Ok(None);
        };
        let key = format!("{}@{}", self.name, start.format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        let id = (self.enqueue)(queue.clone(), key).await?;
        if id.is_some() {
            queue.wake();
        }
        Ok(id)
    }
}

/// Runs `periodics` every `interval` until `stop` turns true.
pub async fn run(
    queue: JobQueue,
    periodics: Vec<Periodic>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    for p in &periodics {
        tracing::info!(name = p.name, kind = p.kind, schedule = %p.schedule.describe(), "periodic job scheduled");
    }
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        for p in &periodics {
            match p.tick(&queue).await {
                Ok(Some(id)) => tracing::debug!(name = p.name, job = id, "periodic job enqueued"),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(name = p.name, error = ?e, "periodic job not enqueued; next tick retries")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn fixed_periods_are_aligned_to_the_epoch() {
        let hourly = Schedule::Every(Duration::from_secs(3600));
        assert_eq!(
            hourly.period_start(at("2026-11-30T10:59:59Z")),
            Some(at("2026-11-30T10:00:00Z"))
        );
        assert_eq!(
            hourly.period_start(at("2026-11-30T11:00:00Z")),
            Some(at("2026-11-30T11:00:00Z"))
        );
    }

    #[test]
    fn daily_runs_within_the_hour_after_its_time_only() {
        let nightly = Schedule::DailyAt(NaiveTime::from_hms_opt(3, 0, 0).unwrap());
        assert_eq!(nightly.period_start(at("2026-11-30T02:59:00Z")), None);
        assert_eq!(
            nightly.period_start(at("2026-11-30T03:00:00Z")),
            Some(at("2026-11-30T03:00:00Z"))
        );
        assert_eq!(
            nightly.period_start(at("2026-11-30T03:59:59Z")),
            Some(at("2026-11-30T03:00:00Z"))
        );
        assert_eq!(nightly.period_start(at("2026-11-30T04:00:00Z")), None);
        let late = Schedule::DailyAt(NaiveTime::from_hms_opt(23, 30, 0).unwrap());
        assert_eq!(
            late.period_start(at("2026-12-01T00:10:00Z")),
            Some(at("2026-11-30T23:30:00Z"))
        );
    }
}
