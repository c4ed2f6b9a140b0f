//! Plans, quotas and payments over GraphQL (PAY-1 … PAY-4): the viewer's
//! plan and usage, subscribing through Checkout, cancelling, the billing
//! portal, paying a shop order, and the admins' risk report.
use async_graphql::{
    Context, Enum, ID, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    context::{state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::billing::{self, payments, reconcile, subscriptions},
    entities::{billing_account, payment},
};

/// A plan (PAY-1): how many AI generations a month.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::billing_account::Plan")]
pub enum Plan {
    /// 2 generations a month.
    Free,
    /// 200 generations a month.
    Pro,
    /// No limit.
    Enterprise,
}

/// The viewer's plan and the subscription behind it.
pub struct BillingPlan(billing_account::Model);

#[Object]
impl BillingPlan {
    /// The plan in force.
    async fn plan(&self) -> Plan {
        self.0.plan.into()
    }
    /// What the subscription pays for (differs from `plan` while restricted
    /// after an unpaid renewal).
    async fn subscribed_plan(&self) -> Option<Plan> {
        self.0.subscribed_plan.map(Into::into)
    }
    /// The provider's status of the subscription (`active`, `past_due`, …).
    async fn subscription_status(&self) -> Option<&str> {
        self.0.subscription_status.as_deref()
    }
    /// The subscription ends at `periodEnd` instead of renewing.
    async fn cancel_at_period_end(&self) -> bool {
        self.0.cancel_at_period_end
    }
    /// After a declined renewal: when the plan falls to FREE unless paid.
    async fn grace_until(&self) -> Option<DateTime<Utc>> {
        self.0.grace_until
    }
    async fn period_start(&self) -> DateTime<Utc> {
        self.0.period_start
    }
    async fn period_end(&self) -> DateTime<Utc> {
        self.0.period_end
    }
}

/// Generations used in the current period.
#[derive(SimpleObject)]
pub struct Usage {
    plan: Plan,
    used: i32,
    /// `null`: unlimited.
    limit: Option<i32>,
    /// `null`: unlimited.
    remaining: Option<i32>,
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
}

/// Where to send the user to pay (Stripe Checkout).
#[derive(SimpleObject)]
pub struct CheckoutSession {
    id: String,
    url: String,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::payment::PaymentStatus")]
pub enum PaymentStatus {
    RequiresPayment,
    Failed,
    Succeeded,
    RefundPending,
    Refunded,
}

/// A shop order's payment and refund.
pub struct OrderPayment(pub payment::Model);

#[Object]
impl OrderPayment {
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }
    /// In the currency's smallest unit (won).
    async fn amount(&self) -> i64 {
        self.0.amount
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn refunded_amount(&self) -> i64 {
        self.0.refunded_amount
    }
    /// Why the last attempt was declined.
    async fn failure_message(&self) -> Option<&str> {
        self.0.failure_message.as_deref()
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    async fn refunded_at(&self) -> Option<DateTime<Utc>> {
        self.0.refunded_at
    }
}

/// `payOrder`'s answer: the payment, and the secret the buyer's app
/// confirms it with (Stripe.js `confirmPayment`).
#[derive(SimpleObject)]
pub struct PayOrderPayload {
    payment: OrderPayment,
    client_secret: String,
    order_id: ID,
}

/// One subscription in the risk report.
#[derive(SimpleObject)]
pub struct SubscriptionRisk {
    user_id: ID,
    plan: Plan,
    subscribed_plan: Option<Plan>,
    subscription_status: Option<String>,
    failures_last_7_days: i64,
    /// `null`: never paid.
    days_since_last_success: Option<i64>,
    grace_until: Option<DateTime<Utc>>,
    /// 0 to 100; the formula is in the README ("Billing").
    score: i64,
}

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// The viewer's plan.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_plan(&self, ctx: &Context<'_>) -> Result<BillingPlan> {
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(BillingPlan(
            billing::current(&s.db, me.id(), s.security.now()).await?,
        ))
    }

    /// Generations used in the viewer's current period.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_usage(&self, ctx: &Context<'_>) -> Result<Usage> {
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let u = billing::usage(&s.db, me.id(), s.security.now()).await?;
        Ok(Usage {
            plan: u.plan.into(),
            used: u.used,
            limit: u.limit,
            remaining: u.limit.map(|l| (l - u.used).max(0)),
            period_start: u.period_start,
            period_end: u.period_end,
        })
    }

    /// Subscriptions at risk, riskiest first (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn subscription_risk_report(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, SubscriptionRisk>> {
        let page = PageArgs::new(first, after)?;
        let s = state(ctx);
        let after_key = page.after_key::<(i64, i64)>()?;
        let rows: Vec<reconcile::Risk> = reconcile::risk_report(s, s.security.now())
            .await?
            .into_iter()
            .filter(|r| match after_key {
                // Riskiest first, then by user: what comes after the cursor.
                Some((score, user)) => r.score < score || (r.score == score && r.user_id > user),
                None => true,
            })
            .take(page.fetch_limit() as usize)
            .collect();
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |r| (r.score, r.user_id),
            |r| SubscriptionRisk {
                user_id: encode_id("User", r.user_id),
                plan: r.plan.into(),
                subscribed_plan: r.subscribed_plan.map(Into::into),
                subscription_status: r.subscription_status,
                failures_last_7_days: r.failures_last_7_days,
                days_since_last_success: r.days_since_last_success,
                grace_until: r.grace_until,
                score: r.score,
            },
        ))
    }
}

#[derive(Default)]
pub struct BillingMutation;

#[Object]
impl BillingMutation {
    /// Opens a Stripe Checkout session for PRO or ENTERPRISE; send the user
    /// to `url`. The plan changes when the provider confirms the payment.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn start_subscription(&self, ctx: &Context<'_>, plan: Plan) -> Result<CheckoutSession> {
        let me = viewer(ctx).await?;
        let started = subscriptions::start(state(ctx), &me.user, plan.into()).await?;
        Ok(CheckoutSession {
            id: started.id,
            url: started.url,
        })
    }

    /// Cancels the subscription at the end of the paid period.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn cancel_subscription(&self, ctx: &Context<'_>) -> Result<BillingPlan> {
        let me = viewer(ctx).await?;
        Ok(BillingPlan(
            subscriptions::cancel(state(ctx), &me.user).await?,
        ))
    }

    /// A link to the provider's billing portal (cards, invoices).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn billing_portal_url(&self, ctx: &Context<'_>) -> Result<String> {
        let me = viewer(ctx).await?;
        Ok(subscriptions::portal_url(state(ctx), &me.user).await?)
    }

    /// Puts a user on `plan` without a subscription (admins): ENTERPRISE
    /// contracts, gifts, support fixes.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn grant_plan(&self, ctx: &Context<'_>, user_id: ID, plan: Plan) -> Result<BillingPlan> {
        let id = decode_id("User", "userId", &user_id)?;
        let s = state(ctx);
        Ok(BillingPlan(
            billing::grant_plan(&s.db, id, plan.into(), s.security.now()).await?,
        ))
    }

    /// Starts paying one of the viewer's orders waiting for payment. Calling
    /// it again before paying answers the same payment.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn pay_order(&self, ctx: &Context<'_>, order_id: ID) -> Result<PayOrderPayload> {
        let id = decode_id("Order", "orderId", &order_id)?;
        let me = viewer(ctx).await?;
        let paid = payments::pay_order(state(ctx), &me.user, id).await?;
        Ok(PayOrderPayload {
            client_secret: paid.client_secret.clone(),
            order_id: encode_id("Order", paid.order_id),
            payment: OrderPayment(paid),
        })
    }
}
