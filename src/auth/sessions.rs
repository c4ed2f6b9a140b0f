//! Sign-up, sign-in, refresh-token rotation with reuse detection, sign-out and
//! session management (AUTH-1, AUTH-2, AUTH-3, AUTH-7).
//!
//! A session is one refresh-token family. Every refresh spends the presented
//! token (a conditional update, so two concurrent refreshes cannot both win)
//! and issues its successor. Presenting a spent token revokes the whole
//! session: whoever holds the newer token is cut off too, which is the point.
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use super::{jwt::JwtKeys, password};
use crate::{
    domain::accounts::{normalize_email, validate_nickname},
    entities::{
        refresh_token,
        session::{self, DeviceType, RevokedReason},
        user::{self, Role, UserStatus},
    },
    error::{AppError, AppResult, AuthFailure},
    events::{DomainEvent, EventBus},
};

/// Where a sign-in comes from.
#[derive(Clone, Debug, Default)]
pub struct DeviceInfo {
    pub device_id: Option<String>,
    pub device_type: Option<DeviceType>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Tokens handed to the client after register, login or refresh.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_in: i64,
    pub user: user::Model,
    pub session_id: i64,
}

pub struct Registration {
    pub email: String,
    pub password: String,
    pub nickname: String,
    /// `ko` or `en`.
    pub locale: String,
    /// A VERIFY_EMAIL token of the address (AUTH-5), used in the sign-up's
    /// transaction; required when `verification_required`.
    pub verification_token: Option<String>,
    pub verification_required: bool,
    /// The clock verification tokens are checked against.
    pub now: DateTime<Utc>,
}

impl Registration {
    /// A Korean-language sign-up without email verification (seeding,
    /// administration).
    pub fn unverified(email: String, password: String, nickname: String) -> Self {
        Self {
            email,
            password,
            nickname,
            locale: "ko".to_owned(),
            verification_token: None,
            verification_required: false,
            now: Utc::now(),
        }
    }
}

pub struct Services<'a> {
    pub db: &'a DatabaseConnection,
    pub jwt: &'a JwtKeys,
    pub events: &'a EventBus,
    pub refresh_ttl: std::time::Duration,
}

const MAX_DEVICE_ID_CHARS: usize = 128;
const MAX_USER_AGENT_CHARS: usize = 512;

pub async fn register(
    svc: &Services<'_>,
    input: Registration,
    device: DeviceInfo,
) -> AppResult<IssuedTokens> {
    let email = normalize_email(&input.email)?;
    let nickname = validate_nickname("nickname", &input.nickname)?;
    password::check_policy("password", &input.password)?;
    let device = validate_device(device)?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(svc.db)
        .await?
        .is_some()
    {
        return Err(email_taken());
    }
    if input.verification_required && input.verification_token.is_none() {
        return Err(AppError::validation(
            "emailVerificationToken",
            "verify the address first: requestEmailCode, then verifyEmailCode",
        ));
    }
    let password_hash = password::hash(input.password).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(svc.db).await?;
    if let Some(token) = &input.verification_token {
        crate::domain::security::codes::consume_token(
            &txn,
            input.now,
            &email,
            crate::domain::security::Purpose::VerifyEmail,
            token,
            "emailVerificationToken",
        )
        .await?;
    }
    let inserted = user::ActiveModel {
        email: Set(email),
        locale: Set(input.locale),
        password_hash: Set(Some(password_hash)),
        nickname: Set(nickname),
        role: Set(Role::Buyer),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let user = match inserted {
        Ok(user) => user,
        // Two sign-ups with one address at once: the unique index decides.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(email_taken());
        }
        Err(err) => return Err(err.into()),
    };
    let tokens = open_session(svc, &txn, user, device, now).await?;
    txn.commit().await?;
    svc.events.publish(DomainEvent::UserRegistered {
        user_id: tokens.user.id,
    });
    Ok(tokens)
}

fn email_taken() -> AppError {
    AppError::conflict("email", "an account with this email already exists")
}

pub async fn login(
    svc: &Services<'_>,
    email: &str,
    password_text: String,
    device: DeviceInfo,
) -> AppResult<IssuedTokens> {
    let device = validate_device(device)?;
    // Any malformed address simply cannot match an account.
    let found = match normalize_email(email) {
        Ok(email) => {
            user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(svc.db)
                .await?
        }
        Err(_) => None,
    };
    let stored_hash = found
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::decoy_hash().to_owned());
    let matches = password::verify(password_text, stored_hash).await?;
    let user = match found {
        Some(user) if matches && user.password_hash.is_some() => user,
        _ => return Err(AppError::InvalidCredentials),
    };
    if user.status != UserStatus::Active {
        return Err(AppError::AccountDisabled);
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(svc.db).await?;
    let tokens = open_session(svc, &txn, user, device, now).await?;
    txn.commit().await?;
    Ok(tokens)
}

enum Rotation {
    Rotated(Box<IssuedTokens>),
    Reused { user_id: i64, session_id: i64 },
}

pub async fn refresh(svc: &Services<'_>, presented: &str) -> AppResult<IssuedTokens> {
    let hash = hash_refresh_token(presented);
    let txn = crate::db::begin_write(svc.db).await?;
    let outcome = rotate(svc, &txn, &hash).await;
    match outcome {
        Ok(Rotation::Rotated(tokens)) => {
            txn.commit().await?;
            Ok(*tokens)
        }
        Ok(Rotation::Reused {
            user_id,
            session_id,
        }) => {
            // Commit the revocation, then refuse.
            txn.commit().await?;
            tracing::warn!(
                user_id,
                session_id,
                "refresh token reuse detected; session revoked"
            );
            svc.events.publish(DomainEvent::SessionRevoked {
                user_id,
                session_id,
            });
            Err(AppError::TokenReused)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    }
}

async fn rotate(svc: &Services<'_>, txn: &impl ConnectionTrait, hash: &str) -> AppResult<Rotation> {
    let invalid = || AppError::Unauthenticated(AuthFailure::RefreshTokenInvalid);
    let Some((token, Some(session))) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .find_also_related(session::Entity)
        .one(txn)
        .await?
    else {
        return Err(invalid());
    };
    if session.revoked_at.is_some() {
        return Err(AppError::Unauthenticated(AuthFailure::SessionRevoked));
    }
    let now = Utc::now();
    if token.spent_at.is_some() {
        revoke_session_rows(txn, session.id, RevokedReason::TokenReused, now).await?;
        return Ok(Rotation::Reused {
            user_id: session.user_id,
            session_id: session.id,
        });
    }
    if token.expires_at <= now {
        return Err(invalid());
    }
    // Spend it; if a concurrent refresh spent it first, that is reuse as well.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::SpentAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::SpentAt.is_null())
        .exec(txn)
        .await?;
    if spent.rows_affected != 1 {
        revoke_session_rows(txn, session.id, RevokedReason::TokenReused, now).await?;
        return Ok(Rotation::Reused {
            user_id: session.user_id,
            session_id: session.id,
        });
    }
    let user = user::Entity::find_by_id(session.user_id)
        .one(txn)
        .await?
        .ok_or_else(invalid)?;
    if user.status != UserStatus::Active {
        return Err(AppError::AccountDisabled);
    }
    let (refresh_token, expires_at) = insert_refresh_token(svc, txn, session.id, now).await?;
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::Id.eq(session.id))
        .exec(txn)
        .await?;
    let access_token = svc
        .jwt
        .issue(user.id, user.role, session.id)
        .map_err(AppError::internal)?;
    Ok(Rotation::Rotated(Box::new(IssuedTokens {
        access_token,
        refresh_token,
        access_expires_in: svc.jwt.access_ttl_secs(),
        session_id: session.id,
        user,
    })))
}

/// Revokes one session of `user_id`; `NOT_FOUND` when it is not theirs.
pub async fn revoke_session(
    db: &DatabaseConnection,
    events: &EventBus,
    user_id: i64,
    session_id: i64,
    reason: RevokedReason,
) -> AppResult<()> {
    let found = session::Entity::find_by_id(session_id)
        .filter(session::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    if found.is_none() {
        return Err(AppError::not_found("Session"));
    }
    revoke_session_rows(db, session_id, reason, Utc::now()).await?;
    events.publish(DomainEvent::SessionRevoked {
        user_id,
        session_id,
    });
    Ok(())
}

/// Marks one session revoked (idempotent: an earlier reason is kept).
async fn revoke_session_rows(
    db: &impl ConnectionTrait,
    session_id: i64,
    reason: RevokedReason,
    now: DateTime<Utc>,
) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every open session of a user (kick, deletion, password change).
pub async fn revoke_all_sessions(
    db: &impl ConnectionTrait,
    user_id: i64,
    reason: RevokedReason,
    except_session: Option<i64>,
) -> AppResult<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = except_session {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

async fn open_session(
    svc: &Services<'_>,
    txn: &impl ConnectionTrait,
    user: user::Model,
    device: DeviceInfo,
    now: DateTime<Utc>,
) -> AppResult<IssuedTokens> {
    let expires_at = now + refresh_ttl(svc);
    let session = session::ActiveModel {
        user_id: Set(user.id),
        device_id: Set(device.device_id.unwrap_or_else(|| "default".into())),
        device_type: Set(device.device_type.unwrap_or(DeviceType::Web)),
        user_agent: Set(device.user_agent),
        ip: Set(device.ip),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let (refresh_token, _) = insert_refresh_token(svc, txn, session.id, now).await?;
    let access_token = svc
        .jwt
        .issue(user.id, user.role, session.id)
        .map_err(AppError::internal)?;
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        access_expires_in: svc.jwt.access_ttl_secs(),
        session_id: session.id,
        user,
    })
}

fn refresh_ttl(svc: &Services<'_>) -> ChronoDuration {
    ChronoDuration::from_std(svc.refresh_ttl).unwrap_or_else(|_| ChronoDuration::days(30))
}

async fn insert_refresh_token(
    svc: &Services<'_>,
    txn: &impl ConnectionTrait,
    session_id: i64,
    now: DateTime<Utc>,
) -> AppResult<(String, DateTime<Utc>)> {
    let token = new_refresh_token();
    let expires_at = now + refresh_ttl(svc);
    refresh_token::ActiveModel {
        session_id: Set(session_id),
        token_hash: Set(hash_refresh_token(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok((token, expires_at))
}

/// `rt_` + 256 random bits, base64url.
fn new_refresh_token() -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("rt_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// One page of the live sessions of `user_id` (neither revoked nor expired),
/// most recently used first; `after` is the `(last_seen_at, id)` of the last
/// row of the previous page. Only the user's own sessions are ever listed.
pub async fn active_sessions(
    db: &DatabaseConnection,
    user_id: i64,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> AppResult<Vec<session::Model>> {
    let mut query = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(session::Column::LastSeenAt)
        .order_by_desc(session::Column::Id);
    if let Some((seen, id)) = after {
        query = query.filter(
            Condition::any()
                .add(session::Column::LastSeenAt.lt(seen))
                .add(
                    Condition::all()
                        .add(session::Column::LastSeenAt.eq(seen))
                        .add(session::Column::Id.lt(id)),
                ),
        );
    }
    Ok(query.limit(limit).all(db).await?)
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn validate_device(mut device: DeviceInfo) -> AppResult<DeviceInfo> {
    if let Some(id) = &device.device_id {
        let id = id.trim();
        if id.is_empty()
            || id.chars().count() > MAX_DEVICE_ID_CHARS
            || id.chars().any(char::is_control)
        {
            return Err(AppError::validation(
                "deviceId",
                format!("deviceId must be 1 to {MAX_DEVICE_ID_CHARS} printable characters"),
            ));
        }
        device.device_id = Some(id.to_owned());
    }
    device.user_agent = device.user_agent.map(|ua| {
        ua.chars()
            .filter(|c| !c.is_control())
            .take(MAX_USER_AGENT_CHARS)
            .collect()
    });
    Ok(device)
}
