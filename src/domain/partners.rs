//! Partners (API-2): created by admins with an allow-list of persisted
//! operations and a rate tier; they authenticate with `X-Api-Key`. Only the
//! key's SHA-256 is stored; the key is returned once, at creation.
//!
//! A partner may be linked to one store (a seller's own ERP or fulfilment
//! service): only then does it read orders, and only that store's lines of
//! them ([`store_orders`], the `PartnerStoreOrders` operation), and only
//! then is it sent `order.*` webhooks.
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Query,
};
use sha2::{Digest, Sha256};

use crate::{
    entities::{
        order::{self, OrderStatus, line},
        partner::{self, RateTier},
        store,
    },
    error::{AppError, AppResult},
    protection::{contract, rate_limit::Policy},
};

/// Stands for "every partner operation of the manifest" in an allow-list.
const ALL: &str = "*";

pub struct NewPartner {
    pub name: String,
    pub allowed_operations: Vec<String>,
    pub all_partner_operations: bool,
    pub rate_tier: RateTier,
    /// The store it integrates with, if any.
    pub store_id: Option<i64>,
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates a partner; returns it with its API key (shown only now).
pub async fn create(
    db: &DatabaseConnection,
    admin_id: i64,
    input: NewPartner,
) -> AppResult<(partner::Model, String)> {
    let name = crate::domain::text("name", &input.name, 1, 120, false)?;
    let manifest = contract::embedded();
    let allowed: Vec<String> = match (
        input.all_partner_operations,
        input.allowed_operations.is_empty(),
    ) {
        (true, true) => vec![ALL.to_owned()],
        (false, false) => {
            for id in &input.allowed_operations {
                match manifest.get(id) {
                    Some(e) if e.client == "partner" => {}
                    _ => {
                        return Err(AppError::validation(
                            "allowedOperations",
                            format!("`{id}` is not a partner operation of the manifest"),
                        ));
                    }
                }
            }
            let mut ids = input.allowed_operations.clone();
            ids.sort();
            ids.dedup();
            ids
        }
        _ => {
            return Err(AppError::validation(
                "allowedOperations",
                "give either `allowedOperations` or `allPartnerOperations: true`",
            ));
        }
    };
    if let Some(store_id) = input.store_id
        && store::Entity::find_by_id(store_id).one(db).await?.is_none()
    {
        return Err(AppError::validation("storeId", "no such store"));
    }
    let secret: [u8; 24] = rand::rng().random();
    let key = format!("vpk_{}", hex::encode(secret));
    let created = partner::ActiveModel {
        name: Set(name),
        key_hash: Set(key_hash(&key)),
        key_prefix: Set(key[..12].to_owned()),
        allowed_operations: Set(serde_json::to_string(&allowed).unwrap_or_default()),
        rate_tier: Set(input.rate_tier),
        created_by: Set(admin_id),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        store_id: Set(input.store_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created, key))
}

pub async fn revoke(db: &DatabaseConnection, id: i64) -> AppResult<partner::Model> {
    let found = partner::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Partner"))?;
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut active: partner::ActiveModel = found.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

pub async fn list(
    db: &DatabaseConnection,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<partner::Model>> {
    let mut query = partner::Entity::find()
        .order_by_desc(partner::Column::Id)
        .limit(limit);
    if let Some(after) = after_id {
        query = query.filter(partner::Column::Id.lt(after));
    }
    Ok(query.all(db).await?)
}

pub async fn find(db: &DatabaseConnection, id: i64) -> AppResult<Option<partner::Model>> {
    Ok(partner::Entity::find_by_id(id).one(db).await?)
}

/// Why a key was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    Unknown,
    Revoked,
}

/// The live partner behind an API key.
pub async fn authenticate(
    db: &DatabaseConnection,
    key: &str,
) -> AppResult<Result<partner::Model, KeyRefusal>> {
    let found = partner::Entity::find()
        .filter(partner::Column::KeyHash.eq(key_hash(key.trim())))
        .one(db)
        .await?;
    Ok(match found {
        None => Err(KeyRefusal::Unknown),
        Some(p) if p.revoked_at.is_some() => Err(KeyRefusal::Revoked),
        Some(p) => Ok(p),
    })
}

/// The manifest ids a partner may run.
pub fn allowed_ids(p: &partner::Model) -> Vec<String> {
    serde_json::from_str(&p.allowed_operations).unwrap_or_default()
}

/// Whether `p` may run manifest entry `id`.
pub fn may_run(p: &partner::Model, id: &str) -> bool {
    let Some(entry) = contract::embedded().get(id) else {
        return false;
    };
    let allowed = allowed_ids(p);
    if allowed.iter().any(|a| a == ALL) {
        return entry.client == "partner";
    }
    allowed.iter().any(|a| a == id)
}

/// Orders with at least one line of `store_id` (with one in `status`, when
/// given), newest first: what a store-linked partner reads. Callers show
/// only that store's lines of them.
pub async fn store_orders(
    db: &DatabaseConnection,
    store_id: i64,
    status: Option<OrderStatus>,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<order::Model>> {
    let mut with_store = Query::select();
    with_store
        .column(line::Column::OrderId)
        .from(line::Entity)
        .and_where(line::Column::StoreId.eq(store_id));
    if let Some(status) = status {
        with_store.and_where(line::Column::Status.eq(status));
    }
    let mut query = order::Entity::find()
        .filter(order::Column::Id.in_subquery(with_store.to_owned()))
        .order_by_desc(order::Column::Id)
        .limit(limit);
    if let Some(after) = after_id {
        query = query.filter(order::Column::Id.lt(after));
    }
    Ok(query.all(db).await?)
}

/// Complexity a partner of `tier` may spend per minute.
pub fn policy(tier: RateTier) -> Policy {
    let limit = match tier {
        RateTier::Free => 1_000,
        RateTier::Standard => 20_000,
        RateTier::Premium => 200_000,
    };
    Policy {
        name: "partner",
        limit,
        window: Duration::from_secs(60),
    }
}
