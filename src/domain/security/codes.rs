//! Email codes and verification tokens (AUTH-5), for email verification
//! and password reset alike.
//!
//! - [`request`]: a 6-digit code from a CSPRNG (`rand`'s thread RNG, ChaCha
//!   seeded by the operating system), stored
//!   as a hash, valid [`CODE_TTL_SECS`]; one per address and purpose every
//!   [`COOLDOWN_SECS`] (`COOLDOWN`, with `retryAfterSeconds`). A new code
//!   voids the older ones.
//! - [`verify`]: at most [`MAX_ATTEMPTS`] wrong guesses, then the code is
//!   void; the right one yields a token valid [`TOKEN_TTL_SECS`], used once
//!   ([`consume_token`]).
//! - The answer never depends on whether the address has an account: a
//!   password-reset code is recorded for every address (so the cooldown
//!   and the timing are the same), and mailed only where there is an
//!   account.
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use sha2::{Digest, Sha256};

use crate::{
    entities::{email_code, email_token},
    error::{AppError, AppResult},
};

pub const CODE_TTL_SECS: i64 = 600;
pub const COOLDOWN_SECS: i64 = 60;
pub const MAX_ATTEMPTS: i32 = 5;
pub const TOKEN_TTL_SECS: i64 = 180;

/// What a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "VERIFY_EMAIL",
            Self::PasswordReset => "PASSWORD_RESET",
        }
    }
}

fn hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// A fresh code: `(code, its row)`; the caller mails the code.
pub struct Issued {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Records a new code for `email` (normalised) unless one was issued less
/// than [`COOLDOWN_SECS`] ago.
pub async fn request(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: &str,
    purpose: Purpose,
) -> AppResult<Issued> {
    let latest = email_code::Entity::find()
        .filter(email_code::Column::Email.eq(email))
        .filter(email_code::Column::Purpose.eq(purpose.as_str()))
        .order_by_desc(email_code::Column::CreatedAt)
        .one(conn)
        .await?;
    if let Some(latest) = latest {
        let ready_at = latest.created_at + Duration::seconds(COOLDOWN_SECS);
        if now < ready_at {
            let wait = (ready_at - now).num_milliseconds();
            return Err(AppError::Cooldown {
                retry_after_secs: (wait + 999) / 1000,
            });
        }
    }
    // Older codes of this address and purpose stop working.
    email_code::Entity::update_many()
        .col_expr(email_code::Column::ConsumedAt, Expr::value(now))
        .filter(email_code::Column::Email.eq(email))
        .filter(email_code::Column::Purpose.eq(purpose.as_str()))
        .filter(email_code::Column::ConsumedAt.is_null())
        .exec(conn)
        .await?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let expires_at = now + Duration::seconds(CODE_TTL_SECS);
    email_code::ActiveModel {
        email: Set(email.to_owned()),
        purpose: Set(purpose.as_str().to_owned()),
        code_hash: Set(hash(&[email, purpose.as_str(), &code])),
        attempts: Set(0),
        expires_at: Set(expires_at),
        consumed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(Issued { code, expires_at })
}

fn no_code() -> AppError {
    AppError::validation(
        "code",
        "there is no valid code for this address: request a new one",
    )
}

/// Checks `code`; on success the code is used up and a verification token
/// (returned in clear, stored hashed) is issued.
pub async fn verify(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: &str,
    purpose: Purpose,
    code: &str,
) -> AppResult<(String, DateTime<Utc>)> {
    let current = email_code::Entity::find()
        .filter(email_code::Column::Email.eq(email))
        .filter(email_code::Column::Purpose.eq(purpose.as_str()))
        .filter(email_code::Column::ConsumedAt.is_null())
        .filter(email_code::Column::ExpiresAt.gt(now))
        .order_by_desc(email_code::Column::CreatedAt)
        .one(conn)
        .await?
        .ok_or_else(no_code)?;
    let given = hash(&[email, purpose.as_str(), code.trim()]);
    // Digests are compared: timing reveals nothing about the code.
    if given != current.code_hash {
        // Counted conditionally: concurrent guesses each count, and the
        // one that reaches the limit voids the code.
        let attempts = current.attempts + 1;
        let mut update = email_code::Entity::update_many()
            .col_expr(
                email_code::Column::Attempts,
                Expr::col(email_code::Column::Attempts).add(1),
            )
            .filter(email_code::Column::Id.eq(current.id))
            .filter(email_code::Column::ConsumedAt.is_null());
        if attempts >= MAX_ATTEMPTS {
            update = update.col_expr(email_code::Column::ConsumedAt, Expr::value(now));
        }
        update.exec(conn).await?;
        let left = std::cmp::max(MAX_ATTEMPTS - attempts, 0);
        return Err(AppError::validation(
            "code",
            if left == 0 {
                "wrong code; it is now void: request a new one".to_owned()
            } else {
                format!("wrong code; {left} attempts left")
            },
        ));
    }
    let used = email_code::Entity::update_many()
        .col_expr(email_code::Column::ConsumedAt, Expr::value(now))
        .filter(email_code::Column::Id.eq(current.id))
        .filter(email_code::Column::ConsumedAt.is_null())
        .exec(conn)
        .await?;
    if used.rows_affected != 1 {
        return Err(no_code());
    }
    let token = {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let bytes: [u8; 32] = rand::rng().random();
        URL_SAFE_NO_PAD.encode(bytes)
    };
    let expires_at = now + Duration::seconds(TOKEN_TTL_SECS);
    email_token::ActiveModel {
        token_hash: Set(hash(&[&token])),
        email: Set(email.to_owned()),
        purpose: Set(purpose.as_str().to_owned()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok((token, expires_at))
}

/// Uses a verification token of `email` for `purpose` (once, before it
/// expires), in the caller's transaction; `field` names the input.
pub async fn consume_token(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: &str,
    purpose: Purpose,
    token: &str,
    field: &str,
) -> AppResult<()> {
    let used = email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(now))
        .filter(email_token::Column::TokenHash.eq(hash(&[token.trim()])))
        .filter(email_token::Column::Email.eq(email))
        .filter(email_token::Column::Purpose.eq(purpose.as_str()))
        .filter(email_token::Column::UsedAt.is_null())
        .filter(email_token::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    if used.rows_affected != 1 {
        return Err(AppError::validation(
            field,
            "the verification token is invalid, expired or already used",
        ));
    }
    Ok(())
}
