//! Partner webhooks (issue 22), administered by admins as partners are:
//! subscriptions (the secret is returned once, at creation and at each
//! rotation), their deliveries with every attempt, and redelivery by hand.
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    context::{state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::partner_webhooks::{
        self as hooks, EventType, NewSubscription, SubscriptionChanges, deliver, scope,
    },
    entities::{
        partner,
        partner_webhook_delivery::{self as delivery, attempt},
        partner_webhook_subscription as subscription,
    },
};

/// An event a partner can subscribe to; payloads carry the wire name.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PartnerWebhookEvent {
    /// `order.paid`: an order was paid (needs an order query in the allow-list).
    OrderPaid,
    /// `order.shipped`: a line of an order was shipped (needs an order query).
    OrderShipped,
    /// `product.updated`: an active product changed (needs a product query).
    ProductUpdated,
    /// `stock.low`: a sale left a product at or under the subscription's
    /// threshold (needs a product query that reads `stock`).
    StockLow,
    /// `review.created`: a review was written (needs a review query).
    ReviewCreated,
}

impl From<PartnerWebhookEvent> for EventType {
    fn from(e: PartnerWebhookEvent) -> Self {
        match e {
            PartnerWebhookEvent::OrderPaid => Self::OrderPaid,
            PartnerWebhookEvent::OrderShipped => Self::OrderShipped,
            PartnerWebhookEvent::ProductUpdated => Self::ProductUpdated,
            PartnerWebhookEvent::StockLow => Self::StockLow,
            PartnerWebhookEvent::ReviewCreated => Self::ReviewCreated,
        }
    }
}

impl From<EventType> for PartnerWebhookEvent {
    fn from(e: EventType) -> Self {
        match e {
            EventType::OrderPaid => Self::OrderPaid,
            EventType::OrderShipped => Self::OrderShipped,
            EventType::ProductUpdated => Self::ProductUpdated,
            EventType::StockLow => Self::StockLow,
            EventType::ReviewCreated => Self::ReviewCreated,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::partner_webhook_delivery::DeliveryStatus")]
pub enum PartnerWebhookDeliveryStatus {
    /// Not delivered yet; an attempt is queued.
    Pending,
    /// A 2xx answer came back.
    Delivered,
    /// Given up: 24 h of failures, or the subscription was disabled.
    Failed,
}

/// A partner's subscription to events. Its secret is never readable here.
pub struct PartnerWebhook(subscription::Model, Option<partner::Model>);

/// `rows` with their partners, loaded in one statement.
async fn with_partners(
    db: &sea_orm::DatabaseConnection,
    rows: Vec<subscription::Model>,
) -> Result<Vec<PartnerWebhook>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ids: Vec<i64> = rows.iter().map(|r| r.partner_id).collect();
    let partners = if ids.is_empty() {
        Vec::new()
    } else {
        partner::Entity::find()
            .filter(partner::Column::Id.is_in(ids))
            .all(db)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let p = partners.iter().find(|p| p.id == r.partner_id).cloned();
            PartnerWebhook(r, p)
        })
        .collect())
}

async fn one(db: &sea_orm::DatabaseConnection, row: subscription::Model) -> Result<PartnerWebhook> {
    Ok(with_partners(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| crate::error::AppError::not_found("PartnerWebhook"))?)
}

#[Object]
impl PartnerWebhook {
    async fn id(&self) -> ID {
        encode_id("PartnerWebhook", self.0.id)
    }
    async fn partner_id(&self) -> ID {
        encode_id("Partner", self.0.partner_id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// The event types subscribed to.
    async fn events(&self) -> Vec<PartnerWebhookEvent> {
        hooks::event_types(&self.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    /// Of `events`, those the partner's allow-list lets it receive; the
    /// others are never sent.
    async fn deliverable_events(&self) -> Vec<PartnerWebhookEvent> {
        hooks::event_types(&self.0)
            .into_iter()
            .filter(|t| self.1.as_ref().is_some_and(|p| scope::allows(p, *t)))
            .map(Into::into)
            .collect()
    }
    /// `stock.low` is sent when a sale leaves this many or fewer.
    async fn stock_low_threshold(&self) -> i64 {
        self.0.stock_low_threshold
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// The first failure since the last success; null when healthy.
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since
    }
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One HTTP attempt of a delivery.
#[derive(SimpleObject)]
pub struct PartnerWebhookAttempt {
    attempted_at: DateTime<Utc>,
    /// The answer's status, when one came.
    status_code: Option<i32>,
    /// Why it failed: a non-2xx status, a timeout, a refused connection.
    error: Option<String>,
    duration_ms: i64,
    success: bool,
    /// Sent by `redeliverPartnerWebhook`.
    manual: bool,
}

impl From<attempt::Model> for PartnerWebhookAttempt {
    fn from(a: attempt::Model) -> Self {
        Self {
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
            success: a.success,
            manual: a.manual,
        }
    }
}

/// One event sent to one subscription, with its attempts.
pub struct PartnerWebhookDelivery {
    row: delivery::Model,
    attempts: Vec<attempt::Model>,
}

#[Object]
impl PartnerWebhookDelivery {
    async fn id(&self) -> ID {
        encode_id("PartnerWebhookDelivery", self.row.id)
    }
    /// The receivers' de-duplication key (`evt_…`), also in the body.
    async fn event_id(&self) -> &str {
        &self.row.event_id
    }
    async fn event(&self) -> Option<PartnerWebhookEvent> {
        EventType::parse(&self.row.event_type).map(Into::into)
    }
    /// The JSON body exactly as sent.
    async fn payload(&self) -> &str {
        &self.row.payload
    }
    async fn status(&self) -> PartnerWebhookDeliveryStatus {
        self.row.status.into()
    }
    async fn attempt_count(&self) -> i32 {
        self.row.attempts
    }
    async fn first_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.row.first_attempt_at
    }
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.row.last_attempt_at
    }
    /// When the next automatic attempt is due.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.row.next_attempt_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.row.delivered_at
    }
    async fn last_status_code(&self) -> Option<i32> {
        self.row.last_status_code
    }
    async fn last_error(&self) -> Option<&str> {
        self.row.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// Its attempts, oldest first (the latest 50).
    async fn attempts(&self) -> Vec<PartnerWebhookAttempt> {
        self.attempts.iter().cloned().map(Into::into).collect()
    }
}

#[derive(InputObject)]
pub struct CreatePartnerWebhookInput {
    partner_id: ID,
    /// `https://…` (`http://` to this machine outside production).
    url: String,
    events: Vec<PartnerWebhookEvent>,
    /// Default: `VITRINE_PARTNER_STOCK_LOW_THRESHOLD`.
    stock_low_threshold: Option<i64>,
}

#[derive(SimpleObject)]
pub struct PartnerWebhookSecretPayload {
    partner_webhook: PartnerWebhook,
    /// `whsec_…`: verify `Vitrine-Signature` with it. Shown only here.
    secret: String,
}

#[derive(InputObject)]
pub struct UpdatePartnerWebhookInput {
    id: ID,
    url: Option<String>,
    events: Option<Vec<PartnerWebhookEvent>>,
    stock_low_threshold: Option<i64>,
    /// `true` re-enables a disabled subscription; `false` pauses it.
    enabled: Option<bool>,
}

#[derive(SimpleObject)]
pub struct PartnerWebhookPayload {
    partner_webhook: PartnerWebhook,
}

#[derive(InputObject)]
pub struct PartnerWebhookIdInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct DeletePartnerWebhookPayload {
    deleted_id: ID,
}

#[derive(InputObject)]
pub struct RedeliverPartnerWebhookInput {
    delivery_id: ID,
}

#[derive(SimpleObject)]
pub struct RedeliverPartnerWebhookPayload {
    delivery: PartnerWebhookDelivery,
}

#[derive(Default)]
pub struct PartnerWebhooksQuery;

#[Object]
impl PartnerWebhooksQuery {
    /// Subscriptions, newest first; of one partner when `partnerId` is given.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn partner_webhooks(
        &self,
        ctx: &Context<'_>,
        partner_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PartnerWebhook>> {
        let page = PageArgs::new(first, after)?;
        let partner_id = partner_id
            .map(|id| decode_id("Partner", "partnerId", &id))
            .transpose()?;
        let db = &state(ctx).db;
        let rows = hooks::list(db, partner_id, page.after_key()?, page.fetch_limit()).await?;
        let rows = with_partners(db, rows).await?;
        Ok(connection(&page, rows, EmptyFields, |s| s.0.id, |s| s))
    }

    /// A subscription's deliveries, newest first, each with its attempts.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn partner_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        subscription_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PartnerWebhookDelivery>> {
        let page = PageArgs::new(first, after)?;
        let id = decode_id("PartnerWebhook", "subscriptionId", &subscription_id)?;
        let db = &state(ctx).db;
        hooks::get(db, id).await?;
        let rows = deliver::list(db, id, page.after_key()?, page.fetch_limit()).await?;
        let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
        let mut attempts = deliver::attempts_of(db, &ids).await?;
        let nodes: Vec<PartnerWebhookDelivery> = rows
            .into_iter()
            .map(|row| PartnerWebhookDelivery {
                attempts: attempts.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect();
        Ok(connection(&page, nodes, EmptyFields, |d| d.row.id, |d| d))
    }
}

#[derive(Default)]
pub struct PartnerWebhooksMutation;

#[Object]
impl PartnerWebhooksMutation {
    #[graphql(guard = "RoleGuard::admin()")]
    async fn create_partner_webhook(
        &self,
        ctx: &Context<'_>,
        input: CreatePartnerWebhookInput,
    ) -> Result<PartnerWebhookSecretPayload> {
        let admin = viewer(ctx).await?;
        let app = state(ctx);
        let (created, secret) = hooks::create(
            &app.db,
            &app.config,
            admin.id(),
            NewSubscription {
                partner_id: decode_id("Partner", "partnerId", &input.partner_id)?,
                url: input.url,
                events: input.events.into_iter().map(Into::into).collect(),
                stock_low_threshold: input.stock_low_threshold,
            },
            app.security.now(),
        )
        .await?;
        Ok(PartnerWebhookSecretPayload {
            partner_webhook: one(&app.db, created).await?,
            secret,
        })
    }

    /// Changes the URL, events or threshold; `enabled: true` re-enables a
    /// subscription disabled after a day of failures.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn update_partner_webhook(
        &self,
        ctx: &Context<'_>,
        input: UpdatePartnerWebhookInput,
    ) -> Result<PartnerWebhookPayload> {
        let app = state(ctx);
        let id = decode_id("PartnerWebhook", "id", &input.id)?;
        let updated = hooks::update(
            &app.db,
            &app.config,
            id,
            SubscriptionChanges {
                url: input.url,
                events: input
                    .events
                    .map(|e| e.into_iter().map(Into::into).collect()),
                stock_low_threshold: input.stock_low_threshold,
                enabled: input.enabled,
            },
            app.security.now(),
        )
        .await?;
        Ok(PartnerWebhookPayload {
            partner_webhook: one(&app.db, updated).await?,
        })
    }

    /// A new signing secret, shown only in this payload; the old one stops
    /// signing at once.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn rotate_partner_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: PartnerWebhookIdInput,
    ) -> Result<PartnerWebhookSecretPayload> {
        let app = state(ctx);
        let id = decode_id("PartnerWebhook", "id", &input.id)?;
        let (updated, secret) = hooks::rotate_secret(&app.db, id, app.security.now()).await?;
        Ok(PartnerWebhookSecretPayload {
            partner_webhook: one(&app.db, updated).await?,
            secret,
        })
    }

    /// Deletes a subscription with its delivery log.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn delete_partner_webhook(
        &self,
        ctx: &Context<'_>,
        input: PartnerWebhookIdInput,
    ) -> Result<DeletePartnerWebhookPayload> {
        let id = decode_id("PartnerWebhook", "id", &input.id)?;
        hooks::delete(&state(ctx).db, id).await?;
        Ok(DeletePartnerWebhookPayload {
            deleted_id: input.id,
        })
    }

    /// Sends a delivery once more, now (a new attempt, marked manual).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn redeliver_partner_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverPartnerWebhookInput,
    ) -> Result<RedeliverPartnerWebhookPayload> {
        let app = state(ctx);
        let id = decode_id("PartnerWebhookDelivery", "deliveryId", &input.delivery_id)?;
        let row = deliver::redeliver(app, id).await?;
        let mut attempts = deliver::attempts_of(&app.db, &[row.id]).await?;
        Ok(RedeliverPartnerWebhookPayload {
            delivery: PartnerWebhookDelivery {
                attempts: attempts.remove(&row.id).unwrap_or_default(),
                row,
            },
        })
    }
}
