//! Shop order payments: `payOrder` creates the provider PaymentIntent for
//! the order's total and hands its client secret to the buyer's app; the
//! provider's `payment_intent.succeeded` moves the order's lines
//! PENDING_PAYMENT → PAID (buyer and sellers told), `payment_failed` tells
//! the buyer, cancelling a paid order asks for a refund (a job) that
//! `charge.refunded` confirms; unpaid orders are cancelled after
//! `VITRINE_ORDER_PAYMENT_TIMEOUT`, with their stock restored.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, SqlErr, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{provider, provider_error, webhooks::Applied};
use crate::{
    db::begin_write,
    domain::{
        commerce::orders,
        realtime::notifications::{self, NewNotification},
    },
    entities::{
        notification::NotificationKind,
        order::{self, OrderStatus, line},
        payment::{self, PaymentStatus},
        user,
    },
    error::{AppError, AppResult},
    events::DomainEvent,
    infra::stripe::PaymentIntentRequest,
    jobs::{JobKind, JobQueue, KindOptions, queue::Enqueue},
    state::AppState,
};

/// `payOrder`: the payment of the buyer's own PENDING_PAYMENT order, created
/// with the provider once (a second call while unpaid answers the same
/// payment; a paid order is a CONFLICT).
pub async fn pay_order(
    state: &AppState,
    buyer: &user::Model,
    order_id: i64,
) -> AppResult<payment::Model> {
    let found = order::Entity::find_by_id(order_id)
        .one(&state.db)
        .await?
        .filter(|o| o.buyer_id == buyer.id)
        .ok_or_else(|| AppError::not_found("Order"))?;
    let existing = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(found.id))
        .one(&state.db)
        .await?;
    if let Some(p) = &existing
        && !matches!(
            p.status,
            PaymentStatus::RequiresPayment | PaymentStatus::Failed
        )
    {
        return Err(AppError::conflict("orderId", "this order is already paid"));
    }
    if found.status != OrderStatus::PendingPayment {
        return Err(AppError::conflict(
            "orderId",
            format!(
                "only an order waiting for payment can be paid (it is {:?})",
                found.status
            ),
        ));
    }
    if let Some(p) = existing {
        return Ok(p);
    }
    let stripe = provider(state)?;
    let config = &state.config.billing;
    let intent = stripe
        .create_payment_intent(
            &PaymentIntentRequest {
                amount: found.total_amount,
                currency: &config.currency,
                order_id: found.id,
                buyer_id: buyer.id,
                description: &format!("vitrine order {}", found.id),
            },
            // One intent per order, however often the buyer taps "pay".
            &format!("order-{}-payment", found.id),
        )
        .await
        .map_err(provider_error)?;
    let now = Utc::now();
    let inserted = payment::ActiveModel {
        order_id: Set(found.id),
        buyer_id: Set(buyer.id),
        payment_intent_id: Set(intent.id.clone()),
        client_secret: Set(intent.client_secret.clone()),
        amount: Set(found.total_amount),
        currency: Set(config.currency.clone()),
        status: Set(PaymentStatus::RequiresPayment),
        failure_message: Set(None),
        refund_id: Set(None),
        refunded_amount: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
        refunded_at: Set(None),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(p) => Ok(p),
        // Two taps at once: the same intent (same idempotency key) won.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            payment::Entity::find()
                .filter(payment::Column::OrderId.eq(found.id))
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment vanished")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The payment of the intent in `o`; NOT_FOUND when it is not one of ours.
async fn of_intent(txn: &impl ConnectionTrait, o: &Value) -> AppResult<payment::Model> {
    // A PaymentIntent names itself; a charge or refund names its intent.
    let id = if o["object"] == "payment_intent" || o["payment_intent"].is_null() {
        o["id"].as_str()
    } else {
        o["payment_intent"].as_str()
    }
    .ok_or_else(|| AppError::validation("payment_intent", "no payment intent"))?;
    payment::Entity::find()
        .filter(payment::Column::PaymentIntentId.eq(id))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("Payment"))
}

async fn notify(
    txn: &impl ConnectionTrait,
    recipient_id: i64,
    kind: NotificationKind,
    order_id: i64,
    data: Value,
) -> AppResult<Option<crate::entities::notification::Model>> {
    notifications::notify(
        txn,
        NewNotification {
            recipient_id,
            kind,
            actor_id: None,
            subject: Some(("Order", order_id)),
            data,
        },
    )
    .await
}

/// `payment_intent.succeeded`: the amount must be the order's; its waiting
/// lines become PAID. An order cancelled meanwhile is refunded instead.
pub async fn intent_succeeded(
    state: &AppState,
    txn: &impl ConnectionTrait,
    o: &Value,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let paid = of_intent(txn, o).await?;
    let amount = o["amount_received"]
        .as_i64()
        .filter(|a| *a > 0)
        .or_else(|| o["amount"].as_i64());
    let currency = o["currency"].as_str().unwrap_or_default();
    if amount != Some(paid.amount) || !currency.eq_ignore_ascii_case(&paid.currency) {
        return Err(AppError::validation(
            "amount",
            format!(
                "the intent's {} {currency} is not order {}'s {} {}",
                amount.unwrap_or(0),
                paid.order_id,
                paid.amount,
                paid.currency
            ),
        ));
    }
    let settled = payment::Entity::update_many()
        .col_expr(
            payment::Column::Status,
            Expr::value(PaymentStatus::Succeeded),
        )
        .col_expr(payment::Column::PaidAt, Expr::value(Some(now)))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(paid.id))
        .filter(
            payment::Column::Status.is_in([PaymentStatus::RequiresPayment, PaymentStatus::Failed]),
        )
        .exec(txn)
        .await?;
    if settled.rows_affected == 0 {
        return Ok(Applied {
            outcome: format!("order {}: already applied", paid.order_id),
            ..Applied::default()
        });
    }
    let moved = line::Entity::update_many()
        .col_expr(line::Column::Status, Expr::value(OrderStatus::Paid))
        .col_expr(line::Column::UpdatedAt, Expr::value(now))
        .filter(line::Column::OrderId.eq(paid.order_id))
        .filter(line::Column::Status.eq(OrderStatus::PendingPayment))
        .exec(txn)
        .await?;
    if moved.rows_affected == 0 {
        // Cancelled (by the buyer or the unpaid-order sweep) before the
        // money came: give it back.
        request_refund(txn, &state.jobs, paid.order_id, now).await?;
        return Ok(Applied {
            outcome: format!(
                "order {}: paid after it was cancelled; refund requested",
                paid.order_id
            ),
            mail: true,
            ..Applied::default()
        });
    }
    let status = orders::refresh_order_status(txn, paid.order_id).await?;
    crate::domain::partner_webhooks::emit_in(
        txn,
        crate::domain::partner_webhooks::Event::OrderPaid {
            order_id: paid.order_id,
        },
    )
    .await?;
    let mut notes = Vec::new();
    notes.extend(
        notify(
            txn,
            paid.buyer_id,
            NotificationKind::OrderStatus,
            paid.order_id,
            json!({ "status": "PAID", "orderLineId": null }),
        )
        .await?,
    );
    for seller in orders::sellers_of(txn, paid.order_id).await? {
        notes.extend(
            notify(
                txn,
                seller,
                NotificationKind::OrderPaid,
                paid.order_id,
                json!({ "orderId": crate::conventions::encode_id("Order", paid.order_id).to_string() }),
            )
            .await?,
        );
    }
    Ok(Applied {
        outcome: format!("order {}: paid", paid.order_id),
        notes,
        events: vec![DomainEvent::OrderStatusChanged {
            order_id: paid.order_id,
            buyer_id: paid.buyer_id,
            order_line_id: None,
            status: format!("{status:?}").to_uppercase(),
        }],
        ..Applied::default()
    })
}

/// `payment_intent.payment_failed`: the buyer is told and may pay again.
pub async fn intent_failed(
    txn: &impl ConnectionTrait,
    o: &Value,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let paid = of_intent(txn, o).await?;
    let message = o["last_payment_error"]["message"]
        .as_str()
        .unwrap_or("the payment was declined")
        .chars()
        .take(500)
        .collect::<String>();
    let failed = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Failed))
        .col_expr(
            payment::Column::FailureMessage,
            Expr::value(Some(message.clone())),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(paid.id))
        .filter(payment::Column::Status.eq(PaymentStatus::RequiresPayment))
        .exec(txn)
        .await?;
    if failed.rows_affected == 0 {
        return Ok(Applied {
            outcome: format!("order {}: nothing to fail", paid.order_id),
            ..Applied::default()
        });
    }
    let notes = notify(
        txn,
        paid.buyer_id,
        NotificationKind::PaymentFailed,
        paid.order_id,
        json!({ "orderId": crate::conventions::encode_id("Order", paid.order_id).to_string(), "message": message }),
    )
    .await?
    .into_iter()
    .collect();
    Ok(Applied {
        outcome: format!("order {}: payment failed", paid.order_id),
        notes,
        ..Applied::default()
    })
}

/// `charge.refunded`: the provider confirms the refund.
pub async fn charge_refunded(
    txn: &impl ConnectionTrait,
    o: &Value,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let paid = of_intent(txn, o).await?;
    let refunded = o["amount_refunded"].as_i64().unwrap_or(0);
    if refunded <= 0 || refunded > paid.amount {
        return Err(AppError::validation(
            "amount_refunded",
            format!("{refunded} is not a refund of {}", paid.amount),
        ));
    }
    let status = if refunded == paid.amount {
        PaymentStatus::Refunded
    } else {
        paid.status
    };
    let done = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(status))
        .col_expr(payment::Column::RefundedAmount, Expr::value(refunded))
        .col_expr(payment::Column::RefundedAt, Expr::value(Some(now)))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(paid.id))
        .filter(payment::Column::RefundedAmount.lt(refunded))
        .exec(txn)
        .await?;
    Ok(Applied {
        outcome: if done.rows_affected == 0 {
            format!("order {}: refund already recorded", paid.order_id)
        } else {
            format!("order {}: {refunded} refunded", paid.order_id)
        },
        ..Applied::default()
    })
}

/// A cancelled order's money goes back: a SUCCEEDED payment becomes
/// REFUND_PENDING and a REFUND_PAYMENT job is queued in `txn`. False when
/// there was nothing paid.
pub async fn request_refund(
    txn: &impl ConnectionTrait,
    jobs: &JobQueue,
    order_id: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let asked = payment::Entity::update_many()
        .col_expr(
            payment::Column::Status,
            Expr::value(PaymentStatus::RefundPending),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Succeeded))
        .exec(txn)
        .await?;
    if asked.rows_affected == 0 {
        return Ok(false);
    }
    jobs.enqueue(
        txn,
        &RefundPayment { order_id },
        Enqueue {
            active_key: Some(format!("refund:order:{order_id}")),
            ..Enqueue::default()
        },
    )
    .await?;
    Ok(true)
}

/// Asks the provider to refund a cancelled order's payment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefundPayment {
    pub order_id: i64,
}

impl JobKind for RefundPayment {
    const KIND: &'static str = "REFUND_PAYMENT";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(120),
            max_attempts: 8,
            ..KindOptions::default()
        }
    }
}

pub async fn run_refund(state: &AppState, job: &RefundPayment) -> anyhow::Result<String> {
    let db = state.jobs.db();
    let Some(paid) = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(job.order_id))
        .one(db)
        .await?
    else {
        return Ok(format!("order {}: no payment", job.order_id));
    };
    if paid.status != PaymentStatus::RefundPending || paid.refund_id.is_some() {
        return Ok(format!("order {}: nothing to refund", job.order_id));
    }
    let stripe = state
        .stripe
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("payments are not configured"))?;
    // The same key on every attempt: one refund, however often retried.
    let refund = stripe
        .create_refund(
            &paid.payment_intent_id,
            None,
            job.order_id,
            &format!("order-{}-refund", job.order_id),
        )
        .await
        .map_err(|e| anyhow::anyhow!("refund of order {}: {e}", job.order_id))?;
    payment::Entity::update_many()
        .col_expr(
            payment::Column::RefundId,
            Expr::value(Some(refund.id.clone())),
        )
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(paid.id))
        .exec(db)
        .await?;
    Ok(format!(
        "order {}: refund {} of {} asked",
        job.order_id, refund.id, refund.amount
    ))
}

/// Cancels orders still waiting for payment after
/// `VITRINE_ORDER_PAYMENT_TIMEOUT`, stock restored; every 5 minutes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExpireUnpaidOrders {}

impl JobKind for ExpireUnpaidOrders {
    const KIND: &'static str = "ORDERS_PAYMENT_EXPIRY";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 1,
            timeout: Duration::from_secs(300),
            max_attempts: 3,
            ..KindOptions::default()
        }
    }
}

pub async fn expire_unpaid(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let db = state.jobs.db();
    let timeout = chrono::Duration::from_std(state.config.billing.order_payment_timeout)
        .unwrap_or_else(|_| chrono::Duration::minutes(30));
    let stale = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .filter(order::Column::CreatedAt.lt(now - timeout))
        .limit(500)
        .all(db)
        .await?;
    let mut cancelled = 0;
    for found in stale {
        // A payment that succeeded but whose event is late keeps its order.
        let paying = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(found.id))
            .filter(payment::Column::Status.eq(PaymentStatus::Succeeded))
            .one(db)
            .await?;
        if paying.is_some() {
            continue;
        }
        let txn = begin_write(db).await?;
        // Still waiting (a webhook may have paid it since the read).
        let still = order::Entity::find_by_id(found.id)
            .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
            .one(&txn)
            .await?;
        let Some(still) = still else {
            txn.rollback().await?;
            continue;
        };
        let done = orders::cancel_in(&txn, &state.jobs, &still, None).await?;
        txn.commit().await?;
        done.publish(&state.events, &state.jobs);
        cancelled += 1;
    }
    Ok(cancelled)
}
