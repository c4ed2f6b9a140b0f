//! 1:1 inquiries (COM-10): a buyer asks a store, optionally about one of its
//! products; the store answers (the buyer is notified through the event);
//! either side closes it. OPEN → ANSWERED → CLOSED.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::stores::owned_by;
use crate::{
    domain::text,
    entities::{
        inquiry::{self, InquiryStatus},
        product,
        store::{self, StoreStatus},
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

pub async fn ask(
    db: &DatabaseConnection,
    buyer: &user::Model,
    store_id: i64,
    product_id: Option<i64>,
    subject: &str,
    body: &str,
) -> AppResult<inquiry::Model> {
    let subject = text("subject", subject, 1, 120, false)?;
    let body = text("body", body, 1, 2000, true)?;
    let store = store::Entity::find_by_id(store_id)
        .one(db)
        .await?
        .filter(|s| s.status == StoreStatus::Approved)
        .ok_or_else(|| AppError::not_found("Store"))?;
    if store.owner_id == buyer.id {
        return Err(AppError::validation(
            "storeId",
            "you cannot ask your own store",
        ));
    }
    if let Some(pid) = product_id {
        let belongs = product::Entity::find_by_id(pid)
            .one(db)
            .await?
            .is_some_and(|p| p.store_id == store.id);
        if !belongs {
            return Err(AppError::validation(
                "productId",
                "the product does not belong to this store",
            ));
        }
    }
    let now = Utc::now();
    Ok(inquiry::ActiveModel {
        buyer_id: Set(buyer.id),
        store_id: Set(store.id),
        product_id: Set(product_id),
        subject: Set(subject),
        body: Set(body),
        status: Set(InquiryStatus::Open),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Whether `user` answers for the inquiry's store (its owner, or an admin).
async fn answers_for(
    db: &DatabaseConnection,
    user: &user::Model,
    inquiry: &inquiry::Model,
) -> AppResult<bool> {
    if user.role == Role::Admin {
        return Ok(true);
    }
    Ok(owned_by(db, user.id)
        .await?
        .is_some_and(|s| s.id == inquiry.store_id))
}

/// The store answers (or corrects its answer) until the inquiry is closed.
pub async fn answer(
    db: &DatabaseConnection,
    events: &EventBus,
    responder: &user::Model,
    inquiry_id: i64,
    answer_text: &str,
) -> AppResult<inquiry::Model> {
    let answer_text = text("answer", answer_text, 1, 2000, true)?;
    let found = inquiry::Entity::find_by_id(inquiry_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Inquiry"))?;
    if !answers_for(db, responder, &found).await? {
        return Err(AppError::not_found("Inquiry"));
    }
    if found.status == InquiryStatus::Closed {
        return Err(AppError::conflict("id", "the inquiry is closed"));
    }
    let (buyer_id, store_id) = (found.buyer_id, found.store_id);
    let now = Utc::now();
    let mut active = found.into_active_model();
    active.answer = Set(Some(answer_text));
    active.answered_by = Set(Some(responder.id));
    active.answered_at = Set(Some(now));
    active.status = Set(InquiryStatus::Answered);
    active.updated_at = Set(now);
    let txn = crate::db::begin_write(db).await?;
    let updated = active.update(&txn).await?;
    let excerpt: String = updated
        .answer
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let notice = crate::domain::realtime::notifications::notify(
        &txn,
        crate::domain::realtime::notifications::NewNotification {
            recipient_id: buyer_id,
            kind: crate::entities::notification::NotificationKind::InquiryAnswered,
            actor_id: Some(responder.id),
            subject: Some(("Inquiry", inquiry_id)),
            data: serde_json::json!({ "storeId": store_id, "excerpt": excerpt }),
        },
    )
    .await?;
    txn.commit().await?;
    crate::domain::realtime::notifications::publish(events, notice);
    events.publish(DomainEvent::InquiryAnswered {
        inquiry_id,
        buyer_id,
        store_id,
    });
    Ok(updated)
}

/// The asking buyer, the store or an admin closes an inquiry.
pub async fn close(
    db: &DatabaseConnection,
    actor: &user::Model,
    inquiry_id: i64,
) -> AppResult<inquiry::Model> {
    let found = inquiry::Entity::find_by_id(inquiry_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Inquiry"))?;
    if found.buyer_id != actor.id && !answers_for(db, actor, &found).await? {
        return Err(AppError::not_found("Inquiry"));
    }
    if found.status == InquiryStatus::Closed {
        return Ok(found);
    }
    let mut active = found.into_active_model();
    active.status = Set(InquiryStatus::Closed);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Whether `viewer` may read the inquiry.
pub async fn readable_by(
    db: &DatabaseConnection,
    viewer: &user::Model,
    inquiry: &inquiry::Model,
) -> AppResult<bool> {
    Ok(inquiry.buyer_id == viewer.id || answers_for(db, viewer, inquiry).await?)
}

/// Which inquiries [`list`] returns; `None` fields do not narrow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InquiryFilter {
    pub buyer_id: Option<i64>,
    pub store_id: Option<i64>,
    pub status: Option<InquiryStatus>,
}

/// Inquiries of a buyer or of a store, newest first.
pub async fn list(
    db: &DatabaseConnection,
    filter: InquiryFilter,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<inquiry::Model>> {
    let mut query = inquiry::Entity::find();
    if let Some(b) = filter.buyer_id {
        query = query.filter(inquiry::Column::BuyerId.eq(b));
    }
    if let Some(s) = filter.store_id {
        query = query.filter(inquiry::Column::StoreId.eq(s));
    }
    if let Some(st) = filter.status {
        query = query.filter(inquiry::Column::Status.eq(st));
    }
    if let Some(after) = after_id {
        query = query.filter(inquiry::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(inquiry::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
