//! Behaviour tracking (COMM-6): batches of up to 500 client events, checked as
//! a whole (one bad event refuses the batch, naming it), written in one
//! statement; a client event id already received is skipped, so retrying a
//! batch is harmless.
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TryInsertResult};

use crate::{
    db::begin_write,
    entities::behavior_event,
    error::{AppError, AppResult},
};

pub const MAX_BATCH: usize = 500;
pub const EVENT_TYPES: &[&str] = &[
    "VIEW",
    "CLICK",
    "DWELL",
    "SCROLL_DEPTH",
    "ZOOM",
    "SAVE",
    "SHARE",
    "PURCHASE",
];
pub const TARGET_TYPES: &[&str] = &["POST", "DESIGN", "PRODUCT", "SHORT"];

#[derive(Clone, Debug)]
pub struct RawEvent {
    pub client_event_id: String,
    pub event_type: String,
    pub target_type: String,
    pub target_id: i64,
    pub value: Option<f64>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Ingested {
    pub accepted: usize,
    pub duplicates: usize,
}

fn check(index: usize, e: &RawEvent, now: DateTime<Utc>) -> AppResult<()> {
    let at = |what: &str| format!("events[{index}].{what}");
    let name = format!("event {index} (clientEventId `{}`)", e.client_event_id);
    let id_ok = (1..=64).contains(&e.client_event_id.len())
        && e.client_event_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if !id_ok {
        return Err(AppError::validation(
            at("clientEventId"),
            format!("{name}: clientEventId must be 1 to 64 of A-Z a-z 0-9 - _ : ."),
        ));
    }
    if !EVENT_TYPES.contains(&e.event_type.as_str()) {
        return Err(AppError::validation(
            at("type"),
            format!(
                "{name}: unknown event type `{}`; known: {}",
                e.event_type,
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    if !TARGET_TYPES.contains(&e.target_type.as_str()) {
        return Err(AppError::validation(
            at("targetType"),
            format!("{name}: unknown target type `{}`", e.target_type),
        ));
    }
    match (e.event_type.as_str(), e.value) {
        ("DWELL", Some(v)) if v > 0.0 && v <= 3600.0 => {}
        ("DWELL", _) => {
            return Err(AppError::validation(
                at("value"),
                format!("{name}: DWELL needs a value of 0 to 3600 seconds"),
            ));
        }
        ("SCROLL_DEPTH", Some(v)) if (0.0..=100.0).contains(&v) && v % 10.0 == 0.0 => {}
        ("SCROLL_DEPTH", _) => {
            return Err(AppError::validation(
                at("value"),
                format!("{name}: SCROLL_DEPTH needs a value in 10% steps, 0 to 100"),
            ));
        }
        (_, Some(v)) if !v.is_finite() => {
            return Err(AppError::validation(
                at("value"),
                format!("{name}: value must be finite"),
            ));
        }
        _ => {}
    }
    if e.occurred_at > now + ChronoDuration::minutes(5)
        || e.occurred_at < now - ChronoDuration::days(30)
    {
        return Err(AppError::validation(
            at("occurredAt"),
            format!("{name}: occurredAt must be within the last 30 days"),
        ));
    }
    Ok(())
}

pub async fn ingest(
    db: &DatabaseConnection,
    user_id: i64,
    events: Vec<RawEvent>,
) -> AppResult<Ingested> {
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(AppError::validation(
            "events",
            format!("send 1 to {MAX_BATCH} events per batch"),
        ));
    }
    let now = Utc::now();
    for (i, e) in events.iter().enumerate() {
        check(i, e, now)?;
    }
    let total = events.len();
    let rows = events.into_iter().map(|e| behavior_event::ActiveModel {
        user_id: Set(user_id),
        client_event_id: Set(e.client_event_id),
        event_type: Set(e.event_type),
        target_type: Set(e.target_type),
        target_id: Set(e.target_id),
        value: Set(e.value),
        occurred_at: Set(e.occurred_at),
        received_at: Set(now),
        ..Default::default()
    });
    let txn = begin_write(db).await?;
    let inserted = behavior_event::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            behavior_event::Column::UserId,
            behavior_event::Column::ClientEventId,
        ])
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    let accepted = match inserted {
        TryInsertResult::Inserted(n) => n as usize,
        TryInsertResult::Conflicted | TryInsertResult::Empty => 0,
    };
    Ok(Ingested {
        accepted,
        duplicates: total - accepted,
    })
}
