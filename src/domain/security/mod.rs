//! Account security (AUTH-5, AUTH-6): email codes and what they unlock
//! (verified sign-up, email change, password reset), the security monitor
//! and its alerts, and blocked addresses.
pub mod anomaly;
pub mod blocks;
pub mod codes;
pub mod monitor;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

pub use self::codes::Purpose;
use crate::{
    auth::{password, sessions::revoke_all_sessions},
    domain::{
        accounts::normalize_email,
        mail::{self, Locale, Template},
    },
    entities::{
        security_alert,
        session::RevokedReason,
        user::{self, UserStatus},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
    jobs::JobQueue,
};

/// What a code request answers, the same whether or not the address has
/// an account.
pub struct CodeRequested {
    pub cooldown_secs: i64,
    pub expires_in_secs: i64,
}

/// `requestEmailCode` / `requestPasswordReset`: records a code and mails
/// it (a reset code only where there is an active account), in one
/// transaction.
pub async fn request_code(
    db: &DatabaseConnection,
    jobs: &JobQueue,
    now: DateTime<Utc>,
    email: &str,
    purpose: Purpose,
    locale: Locale,
) -> AppResult<CodeRequested> {
    let email = normalize_email(email)?;
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .one(db)
        .await?;
    let txn = crate::db::begin_write(db).await?;
    let issued = codes::request(&txn, now, &email, purpose).await?;
    let mail_it = match purpose {
        Purpose::VerifyEmail => true,
        Purpose::PasswordReset => account.as_ref().is_some_and(|a| a.password_hash.is_some()),
    };
    if mail_it {
        // An account's own language wins over the request's.
        let locale = account
            .as_ref()
            .map(|a| Locale::parse(&a.locale))
            .unwrap_or(locale);
        mail::enqueue(
            &txn,
            jobs,
            &email,
            locale,
            &Template::EmailCode {
                code: issued.code,
                purpose: purpose.as_str().to_owned(),
                minutes: codes::CODE_TTL_SECS / 60,
            },
        )
        .await?;
    }
    txn.commit().await?;
    jobs.wake();
    Ok(CodeRequested {
        cooldown_secs: codes::COOLDOWN_SECS,
        expires_in_secs: (issued.expires_at - now).num_seconds(),
    })
}

/// `verifyEmailCode`: a verification token for the address and purpose.
pub async fn verify_code(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    email: &str,
    purpose: Purpose,
    code: &str,
) -> AppResult<(String, DateTime<Utc>)> {
    let email = normalize_email(email)?;
    let txn = crate::db::begin_write(db).await?;
    let verified = codes::verify(&txn, now, &email, purpose, code).await;
    // A wrong guess is counted even though the call fails.
    txn.commit().await?;
    verified
}

/// `resetPassword`: with a PASSWORD_RESET token of the address, sets the
/// new password, revokes every session (open sockets close with 4403) and
/// mails a notice, in one transaction.
pub async fn reset_password(
    db: &DatabaseConnection,
    events: &EventBus,
    jobs: &JobQueue,
    now: DateTime<Utc>,
    email: &str,
    token: &str,
    new_password: String,
) -> AppResult<()> {
    let email = normalize_email(email)?;
    password::check_policy("newPassword", &new_password)?;
    let hash = password::hash(new_password).await?;
    let txn = crate::db::begin_write(db).await?;
    codes::consume_token(&txn, now, &email, Purpose::PasswordReset, token, "token").await?;
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "token",
                "the verification token is invalid, expired or already used",
            )
        })?;
    let mut active = account.clone().into_active_model();
    active.password_hash = Set(Some(hash));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    revoke_all_sessions(&txn, account.id, RevokedReason::PasswordChanged, None).await?;
    mail::enqueue(
        &txn,
        jobs,
        &email,
        Locale::parse(&account.locale),
        &Template::PasswordChanged,
    )
    .await?;
    txn.commit().await?;
    jobs.wake();
    events.publish(DomainEvent::UserKicked {
        user_id: account.id,
        reason: "password reset".to_owned(),
    });
    Ok(())
}

/// Stored alerts, newest first, optionally of one kind; keyset pages by id.
pub async fn alerts(
    db: &DatabaseConnection,
    kind: Option<&str>,
    before_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<security_alert::Model>> {
    let mut query = security_alert::Entity::find().order_by_desc(security_alert::Column::Id);
    if let Some(kind) = kind {
        query = query.filter(security_alert::Column::Kind.eq(kind));
    }
    if let Some(before) = before_id {
        query = query.filter(security_alert::Column::Id.lt(before));
    }
    Ok(query.limit(limit).all(db).await?)
}

/// Counts a forged or invalid access token (bad signature, algorithm,
/// issuer, audience or type) against the address that sent it. Expired
/// tokens are what every client sends now and then: not counted.
pub async fn note_credentials(
    state: &crate::state::AppState,
    credentials: &crate::auth::guard::Credentials,
    ip: Option<&str>,
) {
    use crate::{auth::guard::Credentials, error::AuthFailure};
    if let (Credentials::Invalid(AuthFailure::TokenInvalid), Some(ip)) = (credentials, ip) {
        let outlets = monitor::Outlets {
            db: &state.db,
            events: &state.events,
            jobs: &state.jobs,
        };
        state
            .security
            .invalid_token(&outlets, ip, AuthFailure::TokenInvalid.as_str())
            .await;
    }
}
