//! Blocked IP addresses (AUTH-6): an admin blocks a candidate (or any
//! address); every request from it is then refused with FORBIDDEN before
//! any work. Each instance keeps the list in memory, reloaded every few
//! seconds (and at once on its own changes), so the check costs no query.
use std::{collections::HashMap, net::IpAddr, sync::Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder,
};

use crate::{
    entities::{ip_block, security_alert},
    error::{AppError, AppResult},
};

use super::monitor::AlertKind;

/// For start-up: the list could not be read.
pub fn load_error(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("cannot read the IP block list: {}", e.into_anyhow())
}

/// How often each instance re-reads the list (blocks made elsewhere).
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Re-reads the list every [`RELOAD_EVERY`], forever.
pub async fn keep_loaded(list: std::sync::Arc<Blocklist>, db: DatabaseConnection) {
    let mut tick = tokio::time::interval(RELOAD_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = list.reload(&db).await {
            tracing::warn!(error = ?e, "could not reload the IP block list");
        }
    }
}

#[derive(Default)]
pub struct Blocklist {
    /// Address → until (forever when `None`).
    blocked: Mutex<HashMap<String, Option<DateTime<Utc>>>>,
}

/// The canonical text of an address (`::ffff:1.2.3.4` is `1.2.3.4`), as
/// blocks are stored and requests are checked.
pub fn canonical(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_else(|| v6.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// [`canonical`] of an address given in `field`.
pub fn canonical_ip(field: &str, raw: &str) -> AppResult<String> {
    raw.trim()
        .parse()
        .map(canonical)
        .map_err(|_| AppError::validation(field, "not an IP address"))
}

impl Blocklist {
    /// Whether any address is blocked (most of the time none is, and a
    /// request need not format its address to be let through).
    pub fn is_empty(&self) -> bool {
        crate::sync::lock(&self.blocked).is_empty()
    }

    /// Whether requests from `ip` are refused at `now`.
    pub fn is_blocked(&self, ip: &str, now: DateTime<Utc>) -> bool {
        let blocked = crate::sync::lock(&self.blocked);
        match blocked.get(ip) {
            Some(None) => true,
            Some(Some(until)) => *until > now,
            None => false,
        }
    }

    /// Reads the list from the database.
    pub async fn reload(&self, db: &DatabaseConnection) -> AppResult<()> {
        let rows = ip_block::Entity::find().all(db).await?;
        let fresh: HashMap<_, _> = rows.into_iter().map(|r| (r.ip, r.until)).collect();
        *crate::sync::lock(&self.blocked) = fresh;
        Ok(())
    }

    /// `blockIp`: blocks `ip` until `until` (forever when `None`); blocking
    /// again replaces the reason and the end.
    pub async fn block(
        &self,
        db: &DatabaseConnection,
        admin_id: i64,
        ip: &str,
        reason: &str,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> AppResult<ip_block::Model> {
        let ip = canonical_ip("ip", ip)?;
        let reason = crate::domain::text("reason", reason, 1, 500, true)?;
        if until.is_some_and(|u| u <= now) {
            return Err(AppError::validation(
                "until",
                "`until` must be in the future",
            ));
        }
        ip_block::Entity::delete_by_id(ip.clone()).exec(db).await?;
        let stored = ip_block::ActiveModel {
            ip: Set(ip),
            reason: Set(reason),
            blocked_by: Set(admin_id),
            until: Set(until),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        self.reload(db).await?;
        Ok(stored)
    }

    /// `unblockIp`: whether it was blocked.
    pub async fn unblock(&self, db: &DatabaseConnection, ip: &str) -> AppResult<bool> {
        let ip = canonical_ip("ip", ip)?;
        let deleted = ip_block::Entity::delete_by_id(ip).exec(db).await?;
        self.reload(db).await?;
        Ok(deleted.rows_affected > 0)
    }
}

/// The blocked addresses, newest first.
pub async fn list(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<Vec<ip_block::Model>> {
    Ok(ip_block::Entity::find()
        .filter(
            Condition::any()
                .add(ip_block::Column::Until.is_null())
                .add(ip_block::Column::Until.gt(now)),
        )
        .order_by_desc(ip_block::Column::CreatedAt)
        .all(db)
        .await?)
}

/// A block-list candidate: an address that sent too many invalid tokens.
pub struct Candidate {
    pub ip: String,
    pub alert: security_alert::Model,
}

/// Addresses with an INVALID_TOKENS alert within `since`, not blocked now,
/// newest first.
pub async fn candidates(
    db: &DatabaseConnection,
    blocklist: &Blocklist,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Candidate>> {
    let alerts = security_alert::Entity::find()
        .filter(security_alert::Column::Kind.eq(AlertKind::InvalidTokens.as_str()))
        .filter(security_alert::Column::CreatedAt.gt(since))
        .order_by_desc(security_alert::Column::CreatedAt)
        .all(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(alerts
        .into_iter()
        .filter_map(|alert| {
            let ip = alert.subject.strip_prefix("ip:")?.to_owned();
            (seen.insert(ip.clone()) && !blocklist.is_blocked(&ip, now))
                .then_some(Candidate { ip, alert })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_canonical() {
        assert_eq!(canonical_ip("ip", " 203.0.113.9 ").unwrap(), "203.0.113.9");
        assert_eq!(
            canonical_ip("ip", "::ffff:203.0.113.9").unwrap(),
            "203.0.113.9"
        );
        assert_eq!(canonical_ip("ip", "2001:DB8::1").unwrap(), "2001:db8::1");
        assert!(canonical_ip("ip", "203.0.113").is_err());
    }

    #[test]
    fn blocks_end_when_they_say() {
        let list = Blocklist::default();
        let now = Utc::now();
        crate::sync::lock(&list.blocked).insert("1.2.3.4".into(), None);
        crate::sync::lock(&list.blocked)
            .insert("5.6.7.8".into(), Some(now + chrono::Duration::minutes(5)));
        assert!(list.is_blocked("1.2.3.4", now));
        assert!(list.is_blocked("5.6.7.8", now));
        assert!(!list.is_blocked("5.6.7.8", now + chrono::Duration::minutes(6)));
        assert!(!list.is_blocked("9.9.9.9", now));
    }
}
