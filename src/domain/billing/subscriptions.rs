//! Subscriptions (PAY-2): `startSubscription` opens a Stripe Checkout
//! session for a paid plan, `cancelSubscription` cancels at the end of the
//! paid period, `billingPortalUrl` opens the provider's portal (cards,
//! invoices). The plan itself changes only when the provider's events say
//! so ([`super::webhooks`]).
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use super::{provider, provider_error};
use crate::{
    entities::{
        billing_account::{self, Plan},
        user,
    },
    error::{AppError, AppResult},
    infra::stripe::CheckoutRequest,
    state::AppState,
};

fn return_url(state: &AppState) -> AppResult<String> {
    state
        .config
        .billing
        .return_url
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            AppError::PaymentProvider(
                "no return URL is configured (VITRINE_BILLING_RETURN_URL or VITRINE_PUBLIC_URL)"
                    .into(),
            )
        })
}

/// The user's provider customer (`account` is theirs, as read), created
/// once (its id is stored only while none is: two racing requests keep the
/// first).
async fn customer(
    state: &AppState,
    owner: &user::Model,
    account: &billing_account::Model,
) -> AppResult<String> {
    let now = state.security.now();
    if let Some(id) = &account.stripe_customer_id {
        return Ok(id.clone());
    }
    let created = provider(state)?
        .create_customer(
            &owner.email,
            owner.id,
            &format!("customer-user-{}", owner.id),
        )
        .await
        .map_err(provider_error)?;
    billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::StripeCustomerId,
            Expr::value(Some(created.id.clone())),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(billing_account::Column::UserId.eq(owner.id))
        .filter(billing_account::Column::StripeCustomerId.is_null())
        .exec(&state.db)
        .await?;
    let stored = super::account(&state.db, owner.id, now).await?;
    stored
        .stripe_customer_id
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("customer id not stored")))
}

/// Where to send the user to pay for `plan`.
pub struct Checkout {
    pub id: String,
    pub url: String,
}

pub async fn start(state: &AppState, owner: &user::Model, plan: Plan) -> AppResult<Checkout> {
    if plan == Plan::Free {
        return Err(AppError::validation(
            "plan",
            "FREE needs no subscription: cancelSubscription instead",
        ));
    }
    let settings = state
        .config
        .billing
        .stripe
        .as_ref()
        .ok_or_else(super::not_configured)?;
    let price = if plan == Plan::Pro {
        settings.price_pro.clone()
    } else {
        settings.price_enterprise.clone()
    };
    let account = super::account(&state.db, owner.id, state.security.now()).await?;
    if account.subscribed_plan == Some(plan)
        && account.stripe_subscription_id.is_some()
        && !account.cancel_at_period_end
    {
        return Err(AppError::conflict(
            "plan",
            format!("already subscribed to {}", plan.as_str()),
        ));
    }
    let back = return_url(state)?;
    let customer = customer(state, owner, &account).await?;
    let success = format!("{back}/billing/success?session_id={{CHECKOUT_SESSION_ID}}");
    let cancel = format!("{back}/billing/cancelled");
    let session = provider(state)?
        .create_checkout_session(
            &CheckoutRequest {
                customer: &customer,
                price: &price,
                user_id: owner.id,
                plan: plan.as_str(),
                success_url: &success,
                cancel_url: &cancel,
            },
            &format!("checkout-{}-{}", owner.id, uuid::Uuid::new_v4()),
        )
        .await
        .map_err(provider_error)?;
    Ok(Checkout {
        id: session.id,
        url: session.url,
    })
}

/// Cancels the subscription at the end of its paid period (the plan stays
/// until then; `customer.subscription.deleted` ends it).
pub async fn cancel(state: &AppState, owner: &user::Model) -> AppResult<billing_account::Model> {
    let now = state.security.now();
    let account = super::account(&state.db, owner.id, now).await?;
    let Some(subscription) = account.stripe_subscription_id.clone() else {
        return Err(AppError::conflict(
            "plan",
            "there is no subscription to cancel",
        ));
    };
    let updated = provider(state)?
        .set_cancel_at_period_end(&subscription, true, &format!("cancel-{subscription}"))
        .await
        .map_err(provider_error)?;
    billing_account::Entity::update_many()
        .col_expr(
            billing_account::Column::CancelAtPeriodEnd,
            Expr::value(updated.cancel_at_period_end),
        )
        .col_expr(billing_account::Column::UpdatedAt, Expr::value(now))
        .filter(billing_account::Column::UserId.eq(owner.id))
        .exec(&state.db)
        .await?;
    super::account(&state.db, owner.id, now).await
}

/// The provider's billing portal for the user's customer.
pub async fn portal_url(state: &AppState, owner: &user::Model) -> AppResult<String> {
    let account = super::account(&state.db, owner.id, state.security.now()).await?;
    let Some(customer) = account.stripe_customer_id else {
        return Err(AppError::conflict(
            "plan",
            "no billing account yet: subscribe first",
        ));
    };
    let back = return_url(state)?;
    provider(state)?
        .create_portal_session(
            &customer,
            &format!("{back}/billing"),
            &format!("portal-{}", uuid::Uuid::new_v4()),
        )
        .await
        .map_err(provider_error)
}
