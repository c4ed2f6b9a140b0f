//! Partner webhooks (issue 22): partners (the API-key holders of API-2)
//! subscribe a target URL to event types; admins, who manage partners,
//! manage their subscriptions.
//!
//! - This module: the event types, subscriptions (create, update, delete,
//!   rotate the secret, list) and the rules of a target URL.
//! - [`scope`]: which event types a partner's allow-list lets it receive
//!   (only events on data its persisted operations may read).
//! - [`emit`]: [`emit_in`] / [`stock_low_in`], called inside the
//!   transaction that causes an event: one delivery row per matching
//!   subscription and its delivery job, committed with the write or not at all.
//! - [`deliver`]: the delivery job (signed POST, retries for 24 h, a
//!   subscription failing for 24 h is disabled and its owners told), the
//!   delivery log and redelivery by hand.
//!
//! Signing is Stripe's scheme (`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`),
//! the very code our own Stripe endpoint verifies with
//! ([`crate::infra::stripe::signature`]), so partners can use any Stripe
//! webhook library. The secret is stored as is (it must be, to sign) and is
//! readable only in the payload that creates or rotates it.
pub mod deliver;
pub mod emit;
pub mod scope;

use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

pub use deliver::DeliverPartnerWebhook;
pub use emit::{Event, emit_in, line_moved_in, stock_low_in};

use crate::{
    config::Config,
    entities::{partner, partner_webhook_subscription as subscription},
    error::{AppError, AppResult},
};

/// What a partner may subscribe to; the wire name is [`EventType::as_str`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    OrderPaid,
    OrderShipped,
    ProductUpdated,
    StockLow,
    ReviewCreated,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        Self::OrderPaid,
        Self::OrderShipped,
        Self::ProductUpdated,
        Self::StockLow,
        Self::ReviewCreated,
    ];

    /// The name in payloads (`type`) and in `event_types`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderPaid => "order.paid",
            Self::OrderShipped => "order.shipped",
            Self::ProductUpdated => "product.updated",
            Self::StockLow => "stock.low",
            Self::ReviewCreated => "review.created",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// The event types a subscription stored (unknown names, which only a
/// downgrade could leave, are skipped).
pub fn event_types(s: &subscription::Model) -> Vec<EventType> {
    serde_json::from_str::<Vec<String>>(&s.event_types)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| EventType::parse(t))
        .collect()
}

/// Subscriptions one partner may hold.
pub const MAX_PER_PARTNER: u64 = 10;
/// `stockLowThreshold` bounds.
pub const MAX_STOCK_LOW_THRESHOLD: i64 = 1_000_000;

/// A new subscription.
pub struct NewSubscription {
    pub partner_id: i64,
    pub url: String,
    pub events: Vec<EventType>,
    /// `None`: `VITRINE_PARTNER_STOCK_LOW_THRESHOLD`.
    pub stock_low_threshold: Option<i64>,
}

/// Changes to a subscription; `None` leaves a field as it is.
#[derive(Default)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub stock_low_threshold: Option<i64>,
    /// `true` re-enables a disabled subscription (its failure clock starts
    /// over); `false` pauses it.
    pub enabled: Option<bool>,
}

/// A target URL: see [`crate::domain::outbound_url`].
pub fn check_url(config: &Config, raw: &str) -> AppResult<String> {
    crate::domain::outbound_url(config, "url", raw)
}

fn check_events(events: &[EventType]) -> AppResult<String> {
    if events.is_empty() {
        return Err(AppError::validation(
            "events",
            "subscribe to at least one event type",
        ));
    }
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).map_err(AppError::internal)
}

fn check_threshold(threshold: i64) -> AppResult<i64> {
    if !(0..=MAX_STOCK_LOW_THRESHOLD).contains(&threshold) {
        return Err(AppError::validation(
            "stockLowThreshold",
            format!("`stockLowThreshold` must be 0 to {MAX_STOCK_LOW_THRESHOLD}"),
        ));
    }
    Ok(threshold)
}

/// A fresh signing secret, Stripe's way: `whsec_` and 48 hex digits.
fn new_secret() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!("whsec_{}", hex::encode(bytes))
}

async fn live_partner(db: &DatabaseConnection, partner_id: i64) -> AppResult<partner::Model> {
    let found = partner::Entity::find_by_id(partner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Partner"))?;
    if found.revoked_at.is_some() {
        return Err(AppError::conflict(
            "partnerId",
            "this partner's key was revoked",
        ));
    }
    Ok(found)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> AppResult<subscription::Model> {
    subscription::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("PartnerWebhook"))
}

/// Creates a subscription; returns it with its secret (shown only now).
pub async fn create(
    db: &DatabaseConnection,
    config: &Config,
    admin_id: i64,
    input: NewSubscription,
    now: DateTime<Utc>,
) -> AppResult<(subscription::Model, String)> {
    let url = check_url(config, &input.url)?;
    let event_types = check_events(&input.events)?;
    let threshold = check_threshold(
        input
            .stock_low_threshold
            .unwrap_or(config.partner_webhooks.stock_low_threshold),
    )?;
    live_partner(db, input.partner_id).await?;
    let held = subscription::Entity::find()
        .filter(subscription::Column::PartnerId.eq(input.partner_id))
        .count(db)
        .await?;
    if held >= MAX_PER_PARTNER {
        return Err(AppError::conflict(
            "partnerId",
            format!("a partner holds at most {MAX_PER_PARTNER} webhook subscriptions"),
        ));
    }
    let secret = new_secret();
    let created = subscription::ActiveModel {
        partner_id: Set(input.partner_id),
        url: Set(url),
        event_types: Set(event_types),
        secret: Set(secret.clone()),
        stock_low_threshold: Set(threshold),
        enabled: Set(true),
        failing_since: Set(None),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        created_by: Set(admin_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created, secret))
}

pub async fn update(
    db: &DatabaseConnection,
    config: &Config,
    id: i64,
    changes: SubscriptionChanges,
    now: DateTime<Utc>,
) -> AppResult<subscription::Model> {
    let found = get(db, id).await?;
    let mut active = found.clone().into_active_model();
    if let Some(url) = &changes.url {
        active.url = Set(check_url(config, url)?);
    }
    if let Some(events) = &changes.events {
        active.event_types = Set(check_events(events)?);
    }
    if let Some(threshold) = changes.stock_low_threshold {
        active.stock_low_threshold = Set(check_threshold(threshold)?);
    }
    match changes.enabled {
        Some(true) if !found.enabled => {
            live_partner(db, found.partner_id).await?;
            active.enabled = Set(true);
            active.failing_since = Set(None);
            active.disabled_at = Set(None);
            active.disabled_reason = Set(None);
        }
        Some(false) if found.enabled => {
            active.enabled = Set(false);
            active.disabled_at = Set(Some(now));
            active.disabled_reason = Set(Some("disabled by an admin".into()));
        }
        _ => {}
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// A new secret, returned only now; the old one stops signing at once.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<(subscription::Model, String)> {
    let found = get(db, id).await?;
    let secret = new_secret();
    let mut active = found.into_active_model();
    active.secret = Set(secret.clone());
    active.updated_at = Set(now);
    Ok((active.update(db).await?, secret))
}

/// Deletes a subscription with its deliveries and their attempts (the
/// foreign keys cascade); queued delivery jobs find nothing and end.
pub async fn delete(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    let done = subscription::Entity::delete_by_id(id).exec(db).await?;
    if done.rows_affected == 0 {
        return Err(AppError::not_found("PartnerWebhook"));
    }
    Ok(())
}

/// Newest first, of one partner or of all, keyset on id.
pub async fn list(
    db: &DatabaseConnection,
    partner_id: Option<i64>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<subscription::Model>> {
    let mut query = subscription::Entity::find()
        .order_by_desc(subscription::Column::Id)
        .limit(limit);
    if let Some(p) = partner_id {
        query = query.filter(subscription::Column::PartnerId.eq(p));
    }
    if let Some(after) = after_id {
        query = query.filter(subscription::Column::Id.lt(after));
    }
    Ok(query.all(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &str) -> Config {
        let lookup = |name: &str| match name {
            "VITRINE_ENV" => Some(env.to_owned()),
            "VITRINE_JWT_SECRET" => Some("x".repeat(40)),
            _ => None,
        };
        Config::from_lookup(lookup).expect("config")
    }

    #[test]
    fn target_urls() {
        let dev = config("development");
        for ok in [
            "https://hooks.example.com/vitrine",
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://[::1]:8080/",
        ] {
            assert!(check_url(&dev, ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/x",
            "http://example.com/hook",
            "http://10.0.0.1/hook",
            "https://user:pw@example.com/",
            "https://example.com/#x",
        ] {
            assert!(check_url(&dev, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("order.refunded"), None);
        assert_eq!(
            check_events(&[
                EventType::StockLow,
                EventType::OrderPaid,
                EventType::StockLow
            ])
            .unwrap(),
            r#"["order.paid","stock.low"]"#
        );
        assert!(check_events(&[]).is_err());
    }
}
