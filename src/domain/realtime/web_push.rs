//! Web Push for people who are not looking (issue 23; the seeds' "VAPID
//! Push Notification" and "Hybrid Notification Delivery"): browsers
//! register their push subscription; every stored notification queues one
//! `WEB_PUSH` job per subscription of its recipient, in the transaction
//! that stores it; the job sends it only when the recipient has no live
//! socket at that moment (otherwise the socket already showed it), retries
//! what the push service could not take, and drops subscriptions the push
//! service answers 404/410 for.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    config::Config,
    conventions::encode_id,
    domain::{mail::Locale, outbound_url},
    entities::{
        notification::{self, NotificationKind},
        push_subscription, user,
    },
    error::{AppError, AppResult},
    infra::web_push::{Outcome, Target, WebPush},
    jobs::{
        Backoff, Enqueue, HandlerResult, JobContext, JobKind, JobQueue, KindOptions, permanent,
    },
    realtime::presence::Presence,
    telemetry::Metrics,
};

/// Subscriptions kept per user (browsers and devices); registering one more
/// drops the oldest.
pub const MAX_PER_USER: u64 = 10;

/// A browser's subscription as `PushSubscription.toJSON()` gives it.
pub struct NewSubscription<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// Checks a subscription before it is stored: an endpoint the server may
/// send to ([`crate::domain::outbound_url`]: https, or http to this machine
/// outside production), a P-256 public key and a 16-byte secret, both
/// base64url.
pub fn validate(config: &Config, new: &NewSubscription<'_>) -> AppResult<()> {
    outbound_url(config, "endpoint", new.endpoint)?;
    let key = decode(new.p256dh);
    let valid_key = key.as_deref().is_some_and(|k| {
        k.len() == 65 && web_push_native::p256::PublicKey::from_sec1_bytes(k).is_ok()
    });
    if !valid_key {
        return Err(AppError::validation(
            "keys.p256dh",
            "`keys.p256dh` must be an uncompressed P-256 public key, base64url",
        ));
    }
    if decode(new.auth).is_none_or(|a| a.len() != 16) {
        return Err(AppError::validation(
            "keys.auth",
            "`keys.auth` must be 16 bytes, base64url",
        ));
    }
    Ok(())
}

fn decode(raw: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(raw.trim().trim_end_matches('='))
        .ok()
}

/// Stores `user_id`'s subscription (moving the endpoint to them if another
/// user registered it in that browser before) and keeps their newest
/// [`MAX_PER_USER`].
pub async fn register(
    db: &DatabaseConnection,
    config: &Config,
    user_id: i64,
    new: &NewSubscription<'_>,
) -> AppResult<push_subscription::Model> {
    validate(config, new)?;
    let endpoint = new.endpoint.trim().to_owned();
    let p256dh = new.p256dh.trim().trim_end_matches('=').to_owned();
    let auth = new.auth.trim().trim_end_matches('=').to_owned();
    let txn = db.begin().await?;
    let existing = push_subscription::Entity::find()
        .filter(push_subscription::Column::Endpoint.eq(&endpoint))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(row) => {
            let mut active: push_subscription::ActiveModel = row.into();
            active.user_id = Set(user_id);
            active.p256dh = Set(p256dh);
            active.auth = Set(auth);
            active.update(&txn).await?
        }
        None => {
            push_subscription::ActiveModel {
                user_id: Set(user_id),
                endpoint: Set(endpoint),
                p256dh: Set(p256dh),
                auth: Set(auth),
                created_at: Set(Utc::now()),
                last_success_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let newest: Vec<i64> = push_subscription::Entity::find()
        .select_only()
        .column(push_subscription::Column::Id)
        .filter(push_subscription::Column::UserId.eq(user_id))
        .order_by_desc(push_subscription::Column::Id)
        .limit(MAX_PER_USER)
        .into_tuple()
        .all(&txn)
        .await?;
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::UserId.eq(user_id))
        .filter(push_subscription::Column::Id.is_not_in(newest))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// Removes the caller's subscription of `endpoint`; whether there was one.
pub async fn remove(db: &DatabaseConnection, user_id: i64, endpoint: &str) -> AppResult<bool> {
    let deleted = push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::UserId.eq(user_id))
        .filter(push_subscription::Column::Endpoint.eq(endpoint.trim()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The user's subscriptions, newest first.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Vec<push_subscription::Model>> {
    Ok(push_subscription::Entity::find()
        .filter(push_subscription::Column::UserId.eq(user_id))
        .order_by_desc(push_subscription::Column::Id)
        .all(db)
        .await?)
}

/// Sends one notification to one subscription.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeliverWebPush {
    pub notification_id: i64,
    pub subscription_id: i64,
}

impl JobKind for DeliverWebPush {
    const KIND: &'static str = "WEB_PUSH";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 8,
            timeout: std::time::Duration::from_secs(60),
            max_attempts: 6,
            backoff: Backoff {
                base: std::time::Duration::from_secs(5),
                cap: std::time::Duration::from_secs(600),
                jitter: 0.2,
            },
        }
    }
}

/// Queues the push of `note` to each subscription of its recipient, in the
/// caller's transaction (the one that stored `note`); one statement when
/// the recipient has none.
pub async fn enqueue(txn: &impl ConnectionTrait, note: &notification::Model) -> AppResult<()> {
    let ids: Vec<i64> = push_subscription::Entity::find()
        .select_only()
        .column(push_subscription::Column::Id)
        .filter(push_subscription::Column::UserId.eq(note.recipient_id))
        .into_tuple()
        .all(txn)
        .await?;
    for subscription_id in ids {
        let job = DeliverWebPush {
            notification_id: note.id,
            subscription_id,
        };
        JobQueue::enqueue_at(txn, &job, Enqueue::default(), Utc::now()).await?;
    }
    Ok(())
}

/// What the job needs besides the database.
pub struct Pushers<'a> {
    pub db: &'a DatabaseConnection,
    pub presence: &'a Presence,
    pub web_push: &'a WebPush,
    pub metrics: &'a Metrics,
}

/// The `WEB_PUSH` job. Nothing is sent for a notification already read, to
/// a subscription removed since, or while the recipient has a live socket.
pub async fn run(out: &Pushers<'_>, ctx: &JobContext, job: &DeliverWebPush) -> HandlerResult {
    let Some(sub) = push_subscription::Entity::find_by_id(job.subscription_id)
        .one(out.db)
        .await?
    else {
        return Ok(finish(out, "removed", "the subscription was removed"));
    };
    let Some(note) = notification::Entity::find_by_id(job.notification_id)
        .one(out.db)
        .await?
    else {
        return Ok(finish(out, "removed", "the notification is gone"));
    };
    if note.recipient_id != sub.user_id {
        return Ok(finish(
            out,
            "removed",
            "the subscription moved to another user",
        ));
    }
    if note.read_at.is_some() {
        return Ok(finish(out, "read", "already read"));
    }
    if out.presence.online(&[note.recipient_id]).await.first() == Some(&true) {
        return Ok(finish(out, "online", "the recipient has a live socket"));
    }
    // The recipient (for the language) and the actor (for the text), in one read.
    let people = user::Entity::find()
        .filter(
            user::Column::Id.is_in(
                [Some(note.recipient_id), note.actor_id]
                    .into_iter()
                    .flatten(),
            ),
        )
        .all(out.db)
        .await?;
    let locale = people
        .iter()
        .find(|u| u.id == note.recipient_id)
        .map_or(Locale::Ko, |u| Locale::parse(&u.locale));
    let actor = note
        .actor_id
        .and_then(|id| people.iter().find(|u| u.id == id))
        .map(|u| u.nickname.clone());
    let payload = payload(&note, actor.as_deref(), locale);
    let target = Target {
        endpoint: &sub.endpoint,
        p256dh: &sub.p256dh,
        auth: &sub.auth,
    };
    let outcome = out
        .web_push
        .send(&target, payload.to_string().as_bytes())
        .await
        .map_err(|e| permanent(format!("subscription {} cannot be used: {e}", sub.id)))?;
    match outcome {
        Outcome::Accepted => {
            push_subscription::Entity::update_many()
                .col_expr(
                    push_subscription::Column::LastSuccessAt,
                    Expr::value(Utc::now()),
                )
                .filter(push_subscription::Column::Id.eq(sub.id))
                .exec(out.db)
                .await?;
            Ok(finish(out, "sent", "accepted by the push service"))
        }
        Outcome::Gone(status) => {
            push_subscription::Entity::delete_by_id(sub.id)
                .exec(out.db)
                .await?;
            Ok(finish(
                out,
                "gone",
                &format!("the push service answered {status}: subscription dropped"),
            ))
        }
        Outcome::Rejected(status, body) => {
            out.metrics.count_web_push("rejected");
            Err(permanent(format!(
                "the push service answered {status}: {body}"
            )))
        }
        Outcome::Unavailable(why) => {
            out.metrics.count_web_push(if ctx.is_last_attempt() {
                "failed"
            } else {
                "retried"
            });
            Err(anyhow::anyhow!(why))
        }
    }
}

fn finish(out: &Pushers<'_>, outcome: &'static str, summary: &str) -> String {
    out.metrics.count_web_push(outcome);
    summary.to_owned()
}

/// The JSON the service worker shows: a title and body in the recipient's
/// language, where a click leads, and a tag so a repeated push replaces
/// rather than stacks.
pub fn payload(
    note: &notification::Model,
    actor: Option<&str>,
    locale: Locale,
) -> serde_json::Value {
    let who = actor.unwrap_or(match locale {
        Locale::Ko => "누군가",
        Locale::En => "Someone",
    });
    let body = text(note.kind, who, locale);
    let id = encode_id("Notification", note.id);
    json!({
        "title": "vitrine",
        "body": body,
        "url": url(note),
        "tag": format!("notification-{}", note.id),
        "notificationId": id.as_str(),
        "kind": sea_orm::ActiveEnum::to_value(&note.kind),
    })
}

/// Where a click on the notification leads in the web client.
fn url(note: &notification::Model) -> String {
    match (note.subject_type.as_deref(), note.subject_id) {
        (Some("Post"), Some(id)) => format!("/posts/{}", encode_id("Post", id).as_str()),
        (Some("Design"), Some(id)) => format!("/designs/{}", encode_id("Design", id).as_str()),
        (Some("Product"), Some(id)) => format!("/products/{}", encode_id("Product", id).as_str()),
        (Some("Conversation"), Some(id)) => {
            format!("/chat/{}", encode_id("Conversation", id).as_str())
        }
        (Some("User"), Some(id)) => format!("/users/{}", encode_id("User", id).as_str()),
        (Some("Order"), Some(_)) => "/orders".to_owned(),
        _ => "/notifications".to_owned(),
    }
}

fn text(kind: NotificationKind, who: &str, locale: Locale) -> String {
    use NotificationKind as K;
    match locale {
        Locale::Ko => match kind {
            K::Like => format!("{who}님이 회원님의 게시물을 좋아합니다"),
            K::Comment => format!("{who}님이 댓글을 남겼습니다"),
            K::Follow => format!("{who}님이 회원님을 팔로우합니다"),
            K::Message => format!("{who}님의 새 메시지"),
            K::OrderStatus => "주문 상태가 바뀌었습니다".to_owned(),
            K::InquiryAnswered => "문의에 답변이 달렸습니다".to_owned(),
            K::StoreReviewed => "스토어 심사 결과가 나왔습니다".to_owned(),
            K::AdminAlert => "관리자 알림".to_owned(),
            K::DesignReady => "디자인이 완성되었습니다".to_owned(),
            K::NewSignInLocation => "새 위치에서 로그인했습니다".to_owned(),
            K::OrderPlaced => "새 주문이 들어왔습니다".to_owned(),
            K::OrderPaid => "주문이 결제되었습니다".to_owned(),
            K::PaymentFailed => "결제가 거절되었습니다".to_owned(),
            K::PlanChanged => "요금제가 바뀌었습니다".to_owned(),
            K::ReturnStatus => "반품 상태가 바뀌었습니다".to_owned(),
            K::PartnerWebhookDisabled => "파트너 웹훅이 중지되었습니다".to_owned(),
            K::ReportResolved => "신고가 처리되었습니다".to_owned(),
            K::ContentHidden => "회원님의 게시물이 숨겨졌습니다".to_owned(),
        },
        Locale::En => match kind {
            K::Like => format!("{who} liked your post"),
            K::Comment => format!("{who} commented"),
            K::Follow => format!("{who} started following you"),
            K::Message => format!("New message from {who}"),
            K::OrderStatus => "Your order's status changed".to_owned(),
            K::InquiryAnswered => "Your inquiry was answered".to_owned(),
            K::StoreReviewed => "Your store application was reviewed".to_owned(),
            K::AdminAlert => "Admin alert".to_owned(),
            K::DesignReady => "Your design is ready".to_owned(),
            K::NewSignInLocation => "New sign-in from another location".to_owned(),
            K::OrderPlaced => "Your store received an order".to_owned(),
            K::OrderPaid => "An order was paid".to_owned(),
            K::PaymentFailed => "A payment was declined".to_owned(),
            K::PlanChanged => "Your plan changed".to_owned(),
            K::ReturnStatus => "A return moved a step".to_owned(),
            K::PartnerWebhookDisabled => "A partner webhook was disabled".to_owned(),
            K::ReportResolved => "Your report was resolved".to_owned(),
            K::ContentHidden => "Your content was hidden".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        let secret = web_push_native::p256::SecretKey::random(&mut rand_core_rng());
        let point = web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
            &secret.public_key(),
            false,
        );
        URL_SAFE_NO_PAD.encode(point.as_bytes())
    }

    fn rand_core_rng() -> web_push_native::p256::elliptic_curve::rand_core::OsRng {
        web_push_native::p256::elliptic_curve::rand_core::OsRng
    }

    #[test]
    fn subscriptions_are_checked() {
        let p256dh = key();
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        let dev = Config::from_lookup(|_| None).unwrap();
        let ok = |endpoint: &str| {
            validate(
                &dev,
                &NewSubscription {
                    endpoint,
                    p256dh: &p256dh,
                    auth: &auth,
                },
            )
            .is_ok()
        };
        assert!(ok("https://push.example.com/send/abc"));
        assert!(ok("http://127.0.0.1:9999/push/1"));
        assert!(
            !ok("http://push.example.com/send/abc"),
            "plain http elsewhere"
        );
        assert!(!ok("ftp://push.example.com/x"));
        assert!(!ok("not a url"));
        let bad_key = validate(
            &dev,
            &NewSubscription {
                endpoint: "https://push.example.com/x",
                p256dh: &URL_SAFE_NO_PAD.encode([4u8; 65]),
                auth: &auth,
            },
        );
        assert!(bad_key.is_err(), "not a point on the curve");
        let bad_auth = validate(
            &dev,
            &NewSubscription {
                endpoint: "https://push.example.com/x",
                p256dh: &p256dh,
                auth: &URL_SAFE_NO_PAD.encode([1u8; 8]),
            },
        );
        assert!(bad_auth.is_err());
    }
}
