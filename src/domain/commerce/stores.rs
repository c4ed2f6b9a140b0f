//! Stores (COM-1): a buyer applies, an admin approves or rejects with a reason,
//! approval grants SELLER. One store per owner; license number and brand name
//! are unique.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use crate::{
    db::begin_write,
    domain::text,
    entities::{
        store::{self, StoreStatus},
        user::{self, Role},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

pub struct StoreApplication {
    pub name: String,
    pub license_number: String,
    pub description: String,
}

/// Digits and letters only (dashes and spaces dropped), 5 to 32 of them.
fn normalize_license(raw: &str) -> AppResult<String> {
    let cleaned: String = raw.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !(5..=32).contains(&cleaned.len()) || !cleaned.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::validation(
            "licenseNumber",
            "`licenseNumber` must be 5 to 32 letters or digits (dashes allowed)",
        ));
    }
    Ok(cleaned.to_uppercase())
}

fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Applies for a store, or re-applies after a rejection.
pub async fn apply(
    db: &DatabaseConnection,
    events: &EventBus,
    applicant: &user::Model,
    input: StoreApplication,
) -> AppResult<store::Model> {
    let name = text("name", &input.name, 2, 80, false)?;
    let license = normalize_license(&input.license_number)?;
    let description = text("description", &input.description, 0, 2000, true)?;
    let key = name_key(&name);
    let txn = begin_write(db).await?;
    let existing = store::Entity::find()
        .filter(store::Column::OwnerId.eq(applicant.id))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let result = match existing {
        Some(s) if s.status == StoreStatus::Rejected => {
            let mut active = s.into_active_model();
            active.name = Set(name);
            active.name_key = Set(key);
            active.license_number = Set(license);
            active.description = Set(description);
            active.status = Set(StoreStatus::Pending);
            active.review_reason = Set(None);
            active.reviewed_by = Set(None);
            active.reviewed_at = Set(None);
            active.updated_at = Set(now);
            active.update(&txn).await
        }
        Some(s) => {
            let what = if s.status == StoreStatus::Pending {
                "is awaiting review"
            } else {
                "is already approved"
            };
            return Err(AppError::conflict(
                "store",
                format!("your store application {what}"),
            ));
        }
        None => {
            store::ActiveModel {
                owner_id: Set(applicant.id),
                name: Set(name),
                name_key: Set(key),
                license_number: Set(license),
                description: Set(description),
                status: Set(StoreStatus::Pending),
                rating_sum: Set(0),
                review_count: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
        }
    };
    let store = match result {
        Ok(store) => store,
        Err(err) => {
            if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
                let field = if detail.contains("license") {
                    "licenseNumber"
                } else {
                    "name"
                };
                return Err(AppError::conflict(
                    field,
                    format!("a store with this {field} already exists"),
                ));
            }
            return Err(err.into());
        }
    };
    txn.commit().await?;
    events.publish(DomainEvent::StoreApplied {
        store_id: store.id,
        owner_id: applicant.id,
    });
    Ok(store)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// Admin decision on a PENDING store. Approval makes the owner a SELLER.
pub async fn review(
    db: &DatabaseConnection,
    events: &EventBus,
    admin: &user::Model,
    store_id: i64,
    decision: Decision,
    reason: Option<&str>,
) -> AppResult<store::Model> {
    let reason = match (decision, reason) {
        (Decision::Reject, None) => {
            return Err(AppError::validation(
                "reason",
                "a rejection needs a `reason`",
            ));
        }
        (_, Some(r)) => Some(text("reason", r, 1, 1000, true)?),
        (Decision::Approve, None) => None,
    };
    let txn = begin_write(db).await?;
    let found = store::Entity::find_by_id(store_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("Store"))?;
    if found.status != StoreStatus::Pending {
        return Err(AppError::conflict(
            "id",
            "only a PENDING store can be reviewed",
        ));
    }
    let owner_id = found.owner_id;
    let now = Utc::now();
    let mut active = found.into_active_model();
    active.status = Set(match decision {
        Decision::Approve => StoreStatus::Approved,
        Decision::Reject => StoreStatus::Rejected,
    });
    active.review_reason = Set(reason);
    active.reviewed_by = Set(Some(admin.id));
    active.reviewed_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    if decision == Decision::Approve {
        user::Entity::update_many()
            .col_expr(
                user::Column::Role,
                sea_orm::sea_query::Expr::value(Role::Seller),
            )
            .col_expr(
                user::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(user::Column::Id.eq(owner_id))
            .filter(user::Column::Role.eq(Role::Buyer))
            .exec(&txn)
            .await?;
    }
    let notice = crate::domain::realtime::notifications::notify(
        &txn,
        crate::domain::realtime::notifications::NewNotification {
            recipient_id: owner_id,
            kind: crate::entities::notification::NotificationKind::StoreReviewed,
            actor_id: Some(admin.id),
            subject: Some(("Store", store_id)),
            data: serde_json::json!({
                "approved": decision == Decision::Approve,
                "reason": updated.review_reason,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    crate::domain::realtime::notifications::publish(events, notice);
    events.publish(DomainEvent::StoreReviewed {
        store_id,
        owner_id,
        approved: decision == Decision::Approve,
    });
    Ok(updated)
}

/// The store `user` owns, if any.
pub async fn owned_by(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i64,
) -> AppResult<Option<store::Model>> {
    Ok(store::Entity::find()
        .filter(store::Column::OwnerId.eq(user_id))
        .one(db)
        .await?)
}

/// The APPROVED store of a seller, or `FORBIDDEN`.
pub async fn selling_store(
    db: &impl sea_orm::ConnectionTrait,
    seller: &user::Model,
) -> AppResult<store::Model> {
    match owned_by(db, seller.id).await? {
        Some(store) if store.status == StoreStatus::Approved => Ok(store),
        _ => Err(AppError::forbidden(
            "only a seller with an approved store can do this",
        )),
    }
}

/// Which stores [`list`] returns, in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreFilter {
    pub status: StoreStatus,
    /// Oldest first (the review queue) instead of newest first.
    pub oldest_first: bool,
}

/// Stores with the filter's status, keyset-paginated on id.
pub async fn list(
    db: &DatabaseConnection,
    filter: StoreFilter,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<store::Model>> {
    let StoreFilter {
        status,
        oldest_first,
    } = filter;
    let mut query = store::Entity::find().filter(store::Column::Status.eq(status));
    query = match (oldest_first, after_id) {
        (true, Some(after)) => query.filter(store::Column::Id.gt(after)),
        (false, Some(after)) => query.filter(store::Column::Id.lt(after)),
        _ => query,
    };
    query = if oldest_first {
        query.order_by_asc(store::Column::Id)
    } else {
        query.order_by_desc(store::Column::Id)
    };
    Ok(query.limit(limit).all(db).await?)
}

/// Whether `viewer` may see `store` (approved stores are public).
pub fn visible_to(store: &store::Model, viewer: Option<&user::Model>) -> bool {
    store.status == StoreStatus::Approved || sees_private_fields(store, viewer)
}

/// Whether `viewer` sees the store's private fields (its license number, why
/// its application was rejected): its owner and admins.
pub fn sees_private_fields(store: &store::Model, viewer: Option<&user::Model>) -> bool {
    viewer.is_some_and(|v| v.id == store.owner_id || v.role == Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licenses_and_names_normalise() {
        assert_eq!(normalize_license("123-45-67890").unwrap(), "1234567890");
        assert_eq!(normalize_license("ab 12345").unwrap(), "AB12345");
        assert!(normalize_license("12-3").is_err());
        assert!(normalize_license("12345;DROP").is_err());
        assert_eq!(name_key("  Bottega   Veneta "), "bottega veneta");
    }
}
