//! Sign-up, sign-in, refresh-token rotation with reuse detection, sign-out and
//! session management (AUTH-1, AUTH-2, AUTH-3, AUTH-7).
//!
//! A session is one refresh-token family. Every refresh spends the presented
//! token (a conditional update, so two concurrent refreshes cannot both win)
//! and issues its successor. Presenting a spent token revokes the whole
//! session: whoever holds the newer token is cut off too, which is the point.
//!
//! A refresh is also compared with the session's fingerprint
//! ([`super::fingerprint`]): another device or browser revokes the session
//! (`SESSION_FINGERPRINT_CHANGED`) and raises a security alert; another
//! network alone is recorded and the user is told (a NEW_SIGN_IN_LOCATION
//! notification and mail, in the refresh's transaction). Every refresh
//! slides the session's end to a full refresh lifetime from now.
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use super::{
    fingerprint::{self, Comparison, Fingerprint},
    jwt::JwtKeys,
    password,
};
use crate::{
    domain::{
        accounts::{normalize_email, validate_nickname},
        mail::{self, Locale, Template},
        realtime::notifications::{self, NewNotification},
        security::monitor::{Alert, AlertKind, Outlets, SecurityMonitor, Severity},
    },
    entities::{
        notification::{self, NotificationKind},
        refresh_token,
        session::{self, DeviceType, RevokedReason},
        user::{self, Role, UserStatus},
    },
    error::{AppError, AppResult, AuthFailure},
    events::{DomainEvent, EventBus},
    jobs::JobQueue,
};

/// Where a sign-in (or a refresh) comes from.
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
    pub jobs: &'a JobQueue,
    pub monitor: &'a SecurityMonitor,
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
    Rotated {
        tokens: Box<IssuedTokens>,
        /// The NEW_SIGN_IN_LOCATION notification of a changed network.
        notice: Option<notification::Model>,
    },
    Reused {
        user_id: i64,
        session_id: i64,
    },
    /// Another device or browser presented the token; the session is
    /// revoked.
    OtherDevice {
        user_id: i64,
        session_id: i64,
        stored_family: Option<String>,
        presented: Fingerprint,
    },
}

/// `refreshToken`: spends `presented` and issues its successor, if the
/// presenter (`device`: its device id when it sends one, user agent and
/// address) matches the session's fingerprint.
pub async fn refresh(
    svc: &Services<'_>,
    presented: &str,
    device: DeviceInfo,
) -> AppResult<IssuedTokens> {
    let device = validate_device(device)?;
    let hash = hash_refresh_token(presented);
    let txn = crate::db::begin_write(svc.db).await?;
    let outcome = rotate(svc, &txn, &hash, &device).await;
    match outcome {
        Ok(Rotation::Rotated { tokens, notice }) => {
            txn.commit().await?;
            if let Some(notice) = notice {
                notifications::publish(svc.events, [notice]);
                svc.jobs.wake();
            }
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
        Ok(Rotation::OtherDevice {
            user_id,
            session_id,
            stored_family,
            presented,
        }) => {
            txn.commit().await?;
            tracing::warn!(
                user_id,
                session_id,
                presented = presented.ua_family,
                "refresh from another device; session revoked"
            );
            svc.events.publish(DomainEvent::SessionRevoked {
                user_id,
                session_id,
            });
            fingerprint_alert(svc, user_id, session_id, stored_family, presented, &device).await;
            Err(AppError::SessionFingerprintChanged)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(err)
        }
    }
}

async fn fingerprint_alert(
    svc: &Services<'_>,
    user_id: i64,
    session_id: i64,
    stored_family: Option<String>,
    presented: Fingerprint,
    device: &DeviceInfo,
) {
    let outlets = Outlets {
        db: svc.db,
        events: svc.events,
        jobs: svc.jobs,
    };
    let alert = Alert {
        kind: AlertKind::SessionFingerprint,
        severity: Severity::High,
        subject: format!("user:{user_id}"),
        message: format!(
            "session {session_id} of user {user_id} was refreshed from {}{} on {} (signed in from {}); the session is revoked",
            presented.ua_family,
            device
                .device_id
                .as_deref()
                .map(|id| format!(", device `{id}`"))
                .unwrap_or_default(),
            presented.network,
            stored_family.as_deref().unwrap_or("unknown"),
        ),
        data: serde_json::json!({
            "userId": user_id,
            "sessionId": session_id,
            "signedInFrom": stored_family,
            "presentedFrom": presented.ua_family,
            "network": presented.network,
            "deviceId": device.device_id,
            "ip": device.ip,
        }),
    };
    let mute = svc.monitor.settings().mute;
    if let Err(e) = svc.monitor.raise(&outlets, alert, mute).await {
        tracing::error!(error = ?e, "could not raise the session fingerprint alert");
    }
}

async fn rotate(
    svc: &Services<'_>,
    txn: &impl ConnectionTrait,
    hash: &str,
    device: &DeviceInfo,
) -> AppResult<Rotation> {
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
    let presented = Fingerprint::of(
        &session.device_id,
        device.user_agent.as_deref(),
        device.ip.as_deref(),
    );
    let comparison = fingerprint::compare(
        &session.device_id,
        session.ua_family.as_deref(),
        session.network.as_deref(),
        device.device_id.as_deref(),
        &presented,
    );
    if comparison == Comparison::OtherDevice {
        revoke_session_rows(txn, session.id, RevokedReason::FingerprintChanged, now).await?;
        return Ok(Rotation::OtherDevice {
            user_id: session.user_id,
            session_id: session.id,
            stored_family: session.ua_family,
            presented,
        });
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
    // Sliding: every refresh extends the session to a full lifetime. The
    // fingerprint follows the presenter (a new browser version, a new
    // network); the user agent and address are the latest seen.
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .col_expr(session::Column::Fingerprint, Expr::value(&presented.hash))
        .col_expr(session::Column::UaFamily, Expr::value(&presented.ua_family))
        .col_expr(session::Column::Network, Expr::value(&presented.network))
        .col_expr(
            session::Column::UserAgent,
            Expr::value(device.user_agent.clone()),
        )
        .col_expr(session::Column::Ip, Expr::value(device.ip.clone()))
        .filter(session::Column::Id.eq(session.id))
        .exec(txn)
        .await?;
    let notice = match comparison {
        Comparison::NewNetwork { from, to } => {
            new_location_notice(svc, txn, &user, session.id, &from, &to, device).await?
        }
        _ => None,
    };
    let access_token = svc
        .jwt
        .issue(user.id, user.role, session.id)
        .map_err(AppError::internal)?;
    Ok(Rotation::Rotated {
        tokens: Box::new(IssuedTokens {
            access_token,
            refresh_token,
            access_expires_in: svc.jwt.access_ttl_secs(),
            session_id: session.id,
            user,
        }),
        notice,
    })
}

/// Tells the user, in the refresh's transaction, that one of their sessions
/// is now used from another network.
async fn new_location_notice(
    svc: &Services<'_>,
    txn: &impl ConnectionTrait,
    user: &user::Model,
    session_id: i64,
    from: &str,
    to: &str,
    device: &DeviceInfo,
) -> AppResult<Option<notification::Model>> {
    tracing::info!(
        user_id = user.id,
        session_id,
        from,
        to,
        "session refreshed from a new network"
    );
    mail::enqueue(
        txn,
        svc.jobs,
        &user.email,
        Locale::parse(&user.locale),
        &Template::NewSignInLocation {
            network: to.to_owned(),
        },
    )
    .await?;
    notifications::notify(
        txn,
        NewNotification {
            recipient_id: user.id,
            kind: NotificationKind::NewSignInLocation,
            actor_id: None,
            subject: Some(("Session", session_id)),
            data: serde_json::json!({
                "sessionId": session_id,
                "network": to,
                "previousNetwork": from,
                "userAgent": device.user_agent,
            }),
        },
    )
    .await
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
    let device_id = device.device_id.unwrap_or_else(|| "default".into());
    let print = Fingerprint::of(
        &device_id,
        device.user_agent.as_deref(),
        device.ip.as_deref(),
    );
    let session = session::ActiveModel {
        user_id: Set(user.id),
        device_id: Set(device_id),
        device_type: Set(device.device_type.unwrap_or(DeviceType::Web)),
        user_agent: Set(device.user_agent),
        ip: Set(device.ip),
        fingerprint: Set(Some(print.hash)),
        ua_family: Set(Some(print.ua_family)),
        network: Set(Some(print.network)),
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
