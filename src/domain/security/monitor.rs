//! The security monitor (AUTH-6): sliding-window counters of failed logins
//! (per account and per IP) and of forged or invalid access tokens (per
//! IP), and the alerts they raise.
//!
//! - Counters are sorted sets in the shared [`Kv`] (Redis when configured,
//!   so every instance counts together); when Redis fails the monitor
//!   counts in this instance's memory instead and requests never fail
//!   because of it.
//! - An alert is stored (`security_alerts`), sent to every ADMIN as an
//!   ADMIN_ALERT notification (stored, then pushed on
//!   `notificationReceived`), and mailed to them when HIGH. The same kind
//!   and subject is muted for a while after it was raised.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};

use crate::{
    domain::{
        mail::{self, Locale, Template},
        realtime::notifications::{self, NewNotification},
    },
    entities::{
        notification::NotificationKind,
        security_alert,
        user::{self, Role, UserStatus},
    },
    error::AppResult,
    events::EventBus,
    infra::kv::{Kv, MemoryKv},
    jobs::{Clock, JobQueue},
};

/// Thresholds and windows (`VITRINE_SECURITY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonitorSettings {
    /// Failed logins of one account, or from one IP, within `login_window`
    /// that raise an alert.
    pub login_threshold: u64,
    pub login_window: Duration,
    /// Invalid access tokens from one IP within `token_window` that make it
    /// a block-list candidate.
    pub token_threshold: u64,
    pub token_window: Duration,
    /// How long the same alert (kind and subject) stays quiet once raised.
    pub mute: Duration,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            login_threshold: 5,
            login_window: Duration::from_secs(300),
            token_threshold: 20,
            token_window: Duration::from_secs(3600),
            mute: Duration::from_secs(1800),
        }
    }
}

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    BruteForceAccount,
    BruteForceIp,
    InvalidTokens,
    RbacMismatch,
    SessionFingerprint,
    SignupAnomaly,
    SignupBurst,
}

impl AlertKind {
    pub const ALL: [Self; 7] = [
        Self::BruteForceAccount,
        Self::BruteForceIp,
        Self::InvalidTokens,
        Self::RbacMismatch,
        Self::SessionFingerprint,
        Self::SignupAnomaly,
        Self::SignupBurst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BruteForceAccount => "BRUTE_FORCE_ACCOUNT",
            Self::BruteForceIp => "BRUTE_FORCE_IP",
            Self::InvalidTokens => "INVALID_TOKENS",
            Self::RbacMismatch => "RBAC_MISMATCH",
            Self::SessionFingerprint => "SESSION_FINGERPRINT",
            Self::SignupAnomaly => "SIGNUP_ANOMALY",
            Self::SignupBurst => "SIGNUP_BURST",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
        }
    }
}

/// An alert to raise.
pub struct Alert {
    pub kind: AlertKind,
    pub severity: Severity,
    pub subject: String,
    pub message: String,
    pub data: Value,
}

/// What raising needs besides the monitor.
pub struct Outlets<'a> {
    pub db: &'a DatabaseConnection,
    pub events: &'a EventBus,
    pub jobs: &'a JobQueue,
}

pub struct SecurityMonitor {
    kv: Arc<dyn Kv>,
    fallback: MemoryKv,
    prefix: String,
    settings: MonitorSettings,
    clock: Arc<dyn Clock>,
    /// Raising is check-then-insert: one at a time per instance.
    raising: tokio::sync::Mutex<()>,
}

impl SecurityMonitor {
    pub fn new(
        kv: Arc<dyn Kv>,
        prefix: &str,
        settings: MonitorSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            kv,
            fallback: MemoryKv::default(),
            prefix: format!("{prefix}:security"),
            settings,
            clock,
            raising: tokio::sync::Mutex::new(()),
        }
    }

    pub fn settings(&self) -> MonitorSettings {
        self.settings
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Records one event under `key` and returns how many fell within
    /// `window` (this one included).
    async fn hit(&self, key: &str, window: Duration) -> u64 {
        let key = format!("{}:{key}", self.prefix);
        let now = self.clock.now().timestamp_millis();
        let since = now - window.as_millis() as i64;
        let member = uuid::Uuid::new_v4().to_string();
        let counted = async {
            self.kv.zadd(&key, &member, now, window).await?;
            self.kv.zremrange_below(&key, since).await?;
            self.kv
                .zcount_at_least(std::slice::from_ref(&key), since)
                .await
        }
        .await;
        match counted {
            Ok(counts) => counts.first().copied().unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "security monitor: shared store unavailable, counting in memory");
                let _ = self.fallback.zadd(&key, &member, now, window).await;
                let _ = self.fallback.zremrange_below(&key, since).await;
                self.fallback
                    .zcount_at_least(std::slice::from_ref(&key), since)
                    .await
                    .ok()
                    .and_then(|c| c.first().copied())
                    .unwrap_or(0)
            }
        }
    }

    async fn forget(&self, key: &str) {
        let key = format!("{}:{key}", self.prefix);
        if let Err(e) = self.kv.delete(&key).await {
            tracing::warn!(error = %e, "security monitor: shared store unavailable");
        }
        let _ = self.fallback.delete(&key).await;
    }

    /// A failed login of `email` (normalised, whether or not it has an
    /// account) from `ip`.
    pub async fn login_failed(&self, out: &Outlets<'_>, email: &str, ip: Option<&str>) {
        let s = self.settings;
        let account = self
            .hit(&format!("login:account:{email}"), s.login_window)
            .await;
        if account >= s.login_threshold {
            self.raise_logged(
                out,
                Alert {
                    kind: AlertKind::BruteForceAccount,
                    severity: Severity::High,
                    subject: format!("account:{email}"),
                    message: format!(
                        "{account} failed logins for {email} within {} minutes",
                        s.login_window.as_secs() / 60
                    ),
                    data: json!({ "email": email, "failures": account, "ip": ip }),
                },
            )
            .await;
        }
        if let Some(ip) = ip {
            let from_ip = self.hit(&format!("login:ip:{ip}"), s.login_window).await;
            if from_ip >= s.login_threshold {
                self.raise_logged(
                    out,
                    Alert {
                        kind: AlertKind::BruteForceIp,
                        severity: Severity::Medium,
                        subject: format!("ip:{ip}"),
                        message: format!(
                            "{from_ip} failed logins from {ip} within {} minutes",
                            s.login_window.as_secs() / 60
                        ),
                        data: json!({ "ip": ip, "failures": from_ip }),
                    },
                )
                .await;
            }
        }
    }

    /// A successful login: the account's consecutive failures start over.
    pub async fn login_succeeded(&self, email: &str) {
        self.forget(&format!("login:account:{email}")).await;
    }

    /// A forged or invalid access token from `ip`: past the threshold the
    /// address becomes a block-list candidate (an INVALID_TOKENS alert).
    pub async fn invalid_token(&self, out: &Outlets<'_>, ip: &str, reason: &str) {
        let s = self.settings;
        let count = self.hit(&format!("token:ip:{ip}"), s.token_window).await;
        if count >= s.token_threshold {
            self.raise_logged(
                out,
                Alert {
                    kind: AlertKind::InvalidTokens,
                    severity: Severity::Medium,
                    subject: format!("ip:{ip}"),
                    message: format!(
                        "{count} invalid access tokens from {ip} within {} minutes; candidate for blocking",
                        s.token_window.as_secs() / 60
                    ),
                    data: json!({ "ip": ip, "count": count, "lastReason": reason }),
                },
            )
            .await;
        }
    }

    /// A valid token whose role claim the database no longer agrees with.
    pub async fn rbac_mismatch(
        &self,
        out: &Outlets<'_>,
        user_id: i64,
        claimed: &str,
        actual: &str,
    ) {
        self.raise_logged(
            out,
            Alert {
                kind: AlertKind::RbacMismatch,
                severity: Severity::High,
                subject: format!("user:{user_id}"),
                message: format!(
                    "user {user_id} presented a token claiming {claimed}; the account is {actual} (served as {actual})"
                ),
                data: json!({ "userId": user_id, "claimed": claimed, "actual": actual }),
            },
        )
        .await;
    }

    async fn raise_logged(&self, out: &Outlets<'_>, alert: Alert) {
        let kind = alert.kind;
        if let Err(e) = self.raise(out, alert, self.settings.mute).await {
            tracing::error!(kind = kind.as_str(), error = ?e, "could not raise a security alert");
        }
    }

    /// Stores and delivers `alert` unless the same kind and subject was
    /// raised within `mute`. The stored alert, or `None` when muted.
    pub async fn raise(
        &self,
        out: &Outlets<'_>,
        alert: Alert,
        mute: Duration,
    ) -> AppResult<Option<security_alert::Model>> {
        let _one_at_a_time = self.raising.lock().await;
        let now = self.clock.now();
        let quiet_since = now - chrono::Duration::from_std(mute).unwrap_or_default();
        let recent = security_alert::Entity::find()
            .filter(security_alert::Column::Kind.eq(alert.kind.as_str()))
            .filter(security_alert::Column::Subject.eq(alert.subject.as_str()))
            .filter(security_alert::Column::CreatedAt.gt(quiet_since))
            .one(out.db)
            .await?;
        if recent.is_some() {
            return Ok(None);
        }
        let stored = security_alert::ActiveModel {
            kind: Set(alert.kind.as_str().to_owned()),
            severity: Set(alert.severity.as_str().to_owned()),
            subject: Set(alert.subject.clone()),
            message: Set(alert.message.clone()),
            data: Set(alert.data.to_string()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(out.db)
        .await?;
        tracing::warn!(
            kind = alert.kind.as_str(),
            severity = alert.severity.as_str(),
            subject = alert.subject,
            "security alert: {}",
            alert.message
        );
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin))
            .filter(user::Column::Status.eq(UserStatus::Active))
            .all(out.db)
            .await?;
        for admin in &admins {
            notifications::send(
                out.db,
                out.events,
                NewNotification {
                    recipient_id: admin.id,
                    kind: NotificationKind::AdminAlert,
                    actor_id: None,
                    subject: None,
                    data: json!({
                        "alertId": stored.id,
                        "kind": stored.kind,
                        "severity": stored.severity,
                        "subject": stored.subject,
                        "message": stored.message,
                    }),
                },
            )
            .await?;
            if alert.severity == Severity::High {
                mail::enqueue(
                    out.db,
                    out.jobs,
                    &admin.email,
                    Locale::parse(&admin.locale),
                    &Template::SecurityAlert {
                        kind: stored.kind.clone(),
                        message: stored.message.clone(),
                    },
                )
                .await?;
            }
        }
        if alert.severity == Severity::High && !admins.is_empty() {
            out.jobs.wake();
        }
        Ok(Some(stored))
    }
}
