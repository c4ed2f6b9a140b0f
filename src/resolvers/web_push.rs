//! Web Push over GraphQL (issue 23): the VAPID public key browsers
//! subscribe with, and registering / removing a browser's subscription.
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::{state, viewer};
use crate::{
    auth::RoleGuard,
    conventions::encode_id,
    domain::realtime::web_push::{self, NewSubscription},
    entities::push_subscription,
};

/// `PushSubscription.toJSON().keys` of the browser.
#[derive(InputObject)]
pub struct PushSubscriptionKeysInput {
    /// The browser's P-256 public key, base64url (65 bytes uncompressed).
    #[graphql(name = "p256dh")]
    pub p256dh: String,
    /// The browser's authentication secret, base64url (16 bytes).
    pub auth: String,
}

/// A browser's Web Push subscription.
#[derive(SimpleObject)]
pub struct PushSubscription {
    pub id: ID,
    pub endpoint: String,
    pub created_at: DateTime<Utc>,
    /// When a push service last accepted a message for it.
    pub last_success_at: Option<DateTime<Utc>>,
}

impl From<push_subscription::Model> for PushSubscription {
    fn from(row: push_subscription::Model) -> Self {
        Self {
            id: encode_id("PushSubscription", row.id),
            endpoint: row.endpoint,
            created_at: row.created_at,
            last_success_at: row.last_success_at,
        }
    }
}

#[derive(Default)]
pub struct WebPushQuery;

#[Object]
impl WebPushQuery {
    /// The server's VAPID public key (RFC 8292), base64url: the
    /// `applicationServerKey` of `pushManager.subscribe`.
    async fn web_push_public_key(&self, ctx: &Context<'_>) -> String {
        state(ctx).web_push.public_key().to_owned()
    }

    /// The caller's push subscriptions (at most 10), newest first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_push_subscriptions(&self, ctx: &Context<'_>) -> Result<Vec<PushSubscription>> {
        let me = viewer(ctx).await?;
        let rows = web_push::of_user(&state(ctx).db, me.id()).await?;
        Ok(rows.into_iter().map(PushSubscription::from).collect())
    }
}

#[derive(Default)]
pub struct WebPushMutation;

#[Object]
impl WebPushMutation {
    /// Stores this browser's push subscription: notifications that find no
    /// open socket of the caller are pushed to it. Registering an endpoint
    /// again updates it (and moves it to the caller); the oldest beyond 10
    /// are dropped. `VALIDATION` for a non-https endpoint or bad keys.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn register_push_subscription(
        &self,
        ctx: &Context<'_>,
        endpoint: String,
        keys: PushSubscriptionKeysInput,
    ) -> Result<PushSubscription> {
        let me = viewer(ctx).await?;
        let new = NewSubscription {
            endpoint: &endpoint,
            p256dh: &keys.p256dh,
            auth: &keys.auth,
        };
        let app = state(ctx);
        let row = web_push::register(&app.db, &app.config, me.id(), &new).await?;
        Ok(row.into())
    }

    /// Removes the caller's subscription of `endpoint` (on sign-out, or
    /// when the user turns pushes off); whether there was one.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_push_subscription(&self, ctx: &Context<'_>, endpoint: String) -> Result<bool> {
        let me = viewer(ctx).await?;
        Ok(web_push::remove(&state(ctx).db, me.id(), &endpoint).await?)
    }
}
