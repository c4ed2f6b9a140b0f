//! What a running job sees: who it is, its attempt, a way to report
//! progress (RT-7: published to `jobProgress` subscribers at once, stored
//! on the row at the next heartbeat), and a signal to stop early.
use std::sync::{Arc, Mutex, PoisonError};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use tokio::sync::watch;

use crate::{
    entities::job::JobState,
    realtime::{JobProgress, Realtime},
};

/// Where progress events go: the real-time bus in the app.
#[async_trait::async_trait]
pub trait ProgressSink: Send + Sync + 'static {
    async fn publish(&self, owner_id: Option<i64>, event: JobProgress);
}

#[async_trait::async_trait]
impl ProgressSink for Realtime {
    async fn publish(&self, owner_id: Option<i64>, event: JobProgress) {
        // Jobs nobody asked for (scheduled ones) are watched by admins on
        // the topic of user 0.
        self.job_progress(owner_id.unwrap_or(0), &event).await;
    }
}

/// The opaque id clients see for job `id` (the same form as every other
/// global id: `base64url("Job:42")`).
pub fn public_id(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("Job:{id}"))
}

/// The job id in a [`public_id`], if it is one.
pub fn parse_public_id(raw: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(raw.as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("Job:")?.parse().ok().filter(|id| *id > 0)
}

/// The last progress reported, for the heartbeat to store.
#[derive(Default)]
pub(super) struct Reported {
    pub progress: f64,
    pub message: Option<String>,
}

#[derive(Clone)]
pub struct JobContext {
    pub id: i64,
    pub kind: String,
    /// 1 on the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    pub owner_id: Option<i64>,
    pub(super) reported: Arc<Mutex<Reported>>,
    pub(super) sink: Arc<dyn ProgressSink>,
    pub(super) stop: watch::Receiver<bool>,
}

impl JobContext {
    /// Whether a failure now ends the job (DEAD) rather than retrying it.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }

    /// Reports progress (0.0 to 1.0) with a short message.
    pub async fn progress(&self, fraction: f64, message: impl Into<String>) {
        let message = message.into();
        let fraction = fraction.clamp(0.0, 1.0);
        {
            let mut reported = self.reported.lock().unwrap_or_else(PoisonError::into_inner);
            reported.progress = fraction;
            reported.message = Some(message.clone());
        }
        self.publish(JobState::Running, fraction, Some(message))
            .await;
    }

    pub(super) async fn publish(&self, state: JobState, progress: f64, message: Option<String>) {
        let event = JobProgress {
            job_id: public_id(self.id),
            kind: self.kind.clone(),
            state,
            progress,
            message,
            at: chrono::Utc::now(),
        };
        self.sink.publish(self.owner_id, event).await;
    }

    /// Resolves when the job should stop: the instance is shutting down
    /// and its grace ran out, or the job was cancelled or lost its lease.
    /// Long handlers may select on it to stop cleanly; others are dropped.
    pub async fn stopped(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|s| *s).await;
    }

    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }
}
