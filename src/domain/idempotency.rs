//! Idempotency keys (API-5), one mechanism for every expensive or
//! money-moving mutation. A key belongs to a caller (`scope`) and an
//! operation, and remembers the fingerprint of the input it was first used
//! with:
//!
//! - first use: the row is claimed IN_PROGRESS (a unique index decides
//!   between racing requests), the work runs, and the result is stored
//!   (SUCCEEDED) or the claim released (FAILED, so the client may retry);
//! - same key, same input, finished: the stored result is returned and the
//!   work does not run again;
//! - same key, same input, still running: `IN_PROGRESS` (retry later);
//! - same key, other input: `IDEMPOTENCY_KEY_REUSED`.
//!
//! Keys are kept for 24 hours ([`RETENTION`]); [`cleanup`] (an hourly
//! job, `IDEMPOTENCY_CLEANUP`) deletes expired ones. A claim left IN_PROGRESS by a crashed process can be taken
//! over after [`LEASE`].
use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TryInsertResult,
    sea_query::Expr,
};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use crate::{
    entities::idempotency_key::{self, IdempotencyState},
    error::{AppError, AppResult},
};

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How long an IN_PROGRESS claim holds before another request may take it
/// over (its process is presumed dead).
pub const LEASE: Duration = Duration::from_secs(5 * 60);

/// A client-chosen key: 8 to 128 characters of `[A-Za-z0-9_-:.]`.
pub fn check_key(raw: &str) -> AppResult<String> {
    let key = raw.trim();
    let ok = (8..=128).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if !ok {
        return Err(AppError::validation(
            "idempotencyKey",
            "`idempotencyKey` must be 8 to 128 characters of letters, digits, '-', '_', ':' or '.' (a UUID works)",
        ));
    }
    Ok(key.to_owned())
}

/// SHA-256 (hex) of an input's canonical JSON.
pub fn fingerprint(input: &impl Serialize) -> String {
    let json = serde_json::to_vec(input).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

/// One key of one caller for one operation.
pub struct IdempotencyKey<'a> {
    pub scope: String,
    pub operation: &'static str,
    pub key: &'a str,
    pub fingerprint: String,
}

enum Claim {
    Claimed(i64),
    Replay(String),
}

async fn claim(db: &DatabaseConnection, k: &IdempotencyKey<'_>) -> AppResult<Claim> {
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(RETENTION).unwrap_or_default();
    let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        scope: Set(k.scope.clone()),
        operation: Set(k.operation.to_owned()),
        key: Set(k.key.to_owned()),
        fingerprint: Set(k.fingerprint.clone()),
        state: Set(IdempotencyState::InProgress),
        response: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        expires_at: Set(expires),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        idempotency_key::Column::Scope,
        idempotency_key::Column::Operation,
        idempotency_key::Column::Key,
    ])
    .exec(db)
    .await?;
    if let TryInsertResult::Inserted(r) = inserted {
        return Ok(Claim::Claimed(r.last_insert_id));
    }
    let existing = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Scope.eq(&k.scope))
        .filter(idempotency_key::Column::Operation.eq(k.operation))
        .filter(idempotency_key::Column::Key.eq(k.key))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("idempotency key vanished")))?;
    if existing.fingerprint != k.fingerprint {
        return Err(AppError::IdempotencyKeyReused);
    }
    match existing.state {
        IdempotencyState::Succeeded => Ok(Claim::Replay(existing.response.unwrap_or_default())),
        state => {
            // FAILED may be retried; IN_PROGRESS only once its lease ran out.
            // The conditional update lets exactly one retrier win.
            let lease_start = now - chrono::Duration::from_std(LEASE).unwrap_or_default();
            let mut takeover = idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::State,
                    Expr::value(IdempotencyState::InProgress),
                )
                .col_expr(idempotency_key::Column::UpdatedAt, Expr::value(now))
                .filter(idempotency_key::Column::Id.eq(existing.id))
                .filter(idempotency_key::Column::State.eq(state))
                .filter(idempotency_key::Column::UpdatedAt.eq(existing.updated_at));
            if state == IdempotencyState::InProgress {
                if existing.updated_at > lease_start {
                    return Err(AppError::InProgress);
                }
                takeover = takeover.filter(idempotency_key::Column::UpdatedAt.lte(lease_start));
            }
            if takeover.exec(db).await?.rows_affected == 1 {
                Ok(Claim::Claimed(existing.id))
            } else {
                Err(AppError::InProgress)
            }
        }
    }
}

async fn settle(
    db: &DatabaseConnection,
    id: i64,
    state: IdempotencyState,
    response: Option<String>,
) -> AppResult<()> {
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::State, Expr::value(state))
        .col_expr(idempotency_key::Column::Response, Expr::value(response))
        .col_expr(idempotency_key::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(idempotency_key::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Runs `work` at most once per key and input; see the module docs. The
/// result is stored as JSON and a replay returns it deserialised. Errors of
/// `work` release the key (FAILED): nothing happened, so a retry may run.
pub async fn run<T, F, Fut>(
    db: &DatabaseConnection,
    key: IdempotencyKey<'_>,
    work: F,
) -> AppResult<T>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let id = match claim(db, &key).await? {
        Claim::Replay(stored) => {
            return serde_json::from_str(&stored)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)));
        }
        Claim::Claimed(id) => id,
    };
    match work().await {
        Ok(result) => {
            let stored = serde_json::to_string(&result)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            settle(db, id, IdempotencyState::Succeeded, Some(stored)).await?;
            Ok(result)
        }
        Err(err) => {
            if let Err(e) = settle(db, id, IdempotencyState::Failed, None).await {
                tracing::error!(error = ?e, "could not release an idempotency key");
            }
            Err(err)
        }
    }
}

/// The first step of work that outlives the request (a queued job): the
/// key is claimed IN_PROGRESS and stays so until the job calls [`complete`]
/// or [`release`]; a replay returns the stored result.
pub enum Begun<T> {
    Claimed(i64),
    Replay(T),
}

/// Claims `key` for work finished later; see [`Begun`].
pub async fn begin<T: DeserializeOwned>(
    db: &DatabaseConnection,
    key: &IdempotencyKey<'_>,
) -> AppResult<Begun<T>> {
    match claim(db, key).await? {
        Claim::Claimed(id) => Ok(Begun::Claimed(id)),
        Claim::Replay(stored) => serde_json::from_str(&stored)
            .map(Begun::Replay)
            .map_err(|e| AppError::internal(anyhow::anyhow!(e))),
    }
}

/// Stores the result of a key [`begin`] claimed: later calls replay it.
pub async fn complete(db: &DatabaseConnection, id: i64, result: &impl Serialize) -> AppResult<()> {
    let stored =
        serde_json::to_string(result).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    settle(db, id, IdempotencyState::Succeeded, Some(stored)).await
}

/// Releases a key [`begin`] claimed whose work failed: a retry may run.
pub async fn release(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    settle(db, id, IdempotencyState::Failed, None).await
}

/// Keeps a claim of long work from being taken over after [`LEASE`].
pub async fn touch(db: &DatabaseConnection, id: i64) -> AppResult<()> {
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(idempotency_key::Column::Id.eq(id))
        .filter(idempotency_key::Column::State.eq(IdempotencyState::InProgress))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes expired keys; returns how many.
pub async fn cleanup(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lt(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}
