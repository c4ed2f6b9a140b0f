//! The one error type a client ever sees. Each variant is a failure a client can
//! act on and maps to a stable [`ErrorCode`]; refusals of the transport have
//! their [`RefusalCode`] beside it (both in [`codes`], documented in
//! `frontend-contract/error-codes.md`; a test keeps the two in step).
//! Infrastructure failures become `INTERNAL`: logged in full with the request's
//! span (and so its request id), returned with no detail.
use async_graphql::ErrorExtensions;

pub mod codes;

pub use codes::{ErrorCode, RefusalCode, documented_codes, with_code};

/// Why a caller is not authenticated, sent as `extensions.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credentials on a field that needs them.
    Missing,
    /// Malformed, forged, wrong algorithm, wrong issuer/audience or type.
    TokenInvalid,
    TokenExpired,
    /// The session behind the token was revoked (logout, reuse, kick, deletion).
    SessionRevoked,
    /// Refresh token unknown or expired.
    RefreshTokenInvalid,
}

impl AuthFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "MISSING_CREDENTIALS",
            Self::TokenInvalid => "TOKEN_INVALID",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::SessionRevoked => "SESSION_REVOKED",
            Self::RefreshTokenInvalid => "REFRESH_TOKEN_INVALID",
        }
    }
}

/// Deliberately not `Display`: async-graphql converts every `Display` type into
/// an error *without* extensions, so keeping `Display` off makes the
/// code-preserving `From<AppError> for async_graphql::Error` below the only way
/// an `AppError` can reach a client.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(AuthFailure),
    Forbidden(String),
    NotFound {
        entity: &'static str,
    },
    Validation {
        field: String,
        message: String,
    },
    Conflict {
        field: String,
        message: String,
    },
    InvalidCredentials,
    AccountDisabled,
    TokenReused,
    /// A refresh from another device or browser than the session's.
    SessionFingerprintChanged,
    /// Not enough stock for the product (global id in `extensions.productId`).
    OutOfStock {
        product_id: i64,
    },
    /// The coupon does not apply (`reason`: INACTIVE, NOT_STARTED, EXPIRED,
    /// BELOW_MINIMUM_SPEND, NO_ELIGIBLE_LINES).
    CouponNotApplicable {
        reason: &'static str,
    },
    /// The coupon's redemptions are used up (`scope`: TOTAL or PER_USER).
    CouponExhausted {
        scope: &'static str,
    },
    /// The idempotency key was used before with a different input.
    IdempotencyKeyReused,
    /// The same key and input are being processed by another request.
    InProgress,
    /// A pre-signed upload, named in `field`, that `confirmUpload` has not
    /// accepted.
    UploadNotConfirmed {
        field: String,
    },
    /// A pre-signed upload whose URL expired before it was confirmed.
    UploadExpired {
        field: String,
    },
    /// Asked again before the cooldown ended.
    Cooldown {
        retry_after_secs: i64,
    },
    /// No generation left in this period.
    QuotaExceeded {
        limit: i64,
        resets_at: chrono::DateTime<chrono::Utc>,
    },
    /// The payment provider is not configured, refused, or is unreachable.
    PaymentProvider(String),
    /// One of the pair blocked the other (issue 22): no follow, message or
    /// conversation between them.
    Blocked(String),
    Internal(anyhow::Error),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str) -> Self {
        Self::NotFound { entity }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    /// For command-line paths that report with `anyhow`: the message and code
    /// (an internal error keeps its cause chain).
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            Self::Internal(e) => e,
            other => anyhow::anyhow!("{} ({})", other.message(), other.code()),
        }
    }

    /// The human-readable message (never includes internal details).
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(_) => "authentication required".into(),
            Self::Forbidden(message) => message.clone(),
            Self::NotFound { entity } => format!("{entity} not found"),
            Self::Validation { message, .. } | Self::Conflict { message, .. } => message.clone(),
            Self::InvalidCredentials => "email or password is incorrect".into(),
            Self::AccountDisabled => "this account is disabled".into(),
            Self::TokenReused => {
                "refresh token was already used; the session has been revoked".into()
            }
            Self::SessionFingerprintChanged => {
                "this session was signed in on another device or browser; it has been revoked, sign in again".into()
            }
            Self::OutOfStock { .. } => "not enough stock for this product".into(),
            Self::CouponNotApplicable { reason } => {
                format!("this coupon does not apply to this order ({reason})")
            }
            Self::CouponExhausted { scope: "PER_USER" } => {
                "you have used this coupon as often as it allows".into()
            }
            Self::CouponExhausted { .. } => "this coupon has been used up".into(),
            Self::IdempotencyKeyReused => {
                "this idempotency key was already used with a different input".into()
            }
            Self::InProgress => {
                "a request with this idempotency key is still being processed; retry shortly".into()
            }
            Self::UploadNotConfirmed { .. } => {
                "this upload is not confirmed yet: call confirmUpload after the PUT".into()
            }
            Self::UploadExpired { .. } => {
                "this upload expired before it was confirmed; request a new upload URL".into()
            }
            Self::Cooldown { retry_after_secs } => {
                format!("asked too soon: try again in {retry_after_secs} s")
            }
            Self::QuotaExceeded { limit, resets_at } => format!(
                "this plan's {limit} generations for the period are used up; they come back at {}",
                resets_at.to_rfc3339()
            ),
            Self::PaymentProvider(message) => message.clone(),
            Self::Blocked(message) => message.clone(),
            Self::Internal(_) => "internal error".into(),
        }
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The [`ErrorCode`] of this variant.
    pub fn kind(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Validation { .. } => ErrorCode::Validation,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::AccountDisabled => ErrorCode::AccountDisabled,
            Self::TokenReused => ErrorCode::TokenReused,
            Self::SessionFingerprintChanged => ErrorCode::SessionFingerprintChanged,
            Self::OutOfStock { .. } => ErrorCode::OutOfStock,
            Self::CouponNotApplicable { .. } => ErrorCode::CouponNotApplicable,
            Self::CouponExhausted { .. } => ErrorCode::CouponExhausted,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::InProgress => ErrorCode::InProgress,
            Self::UploadNotConfirmed { .. } => ErrorCode::UploadNotConfirmed,
            Self::UploadExpired { .. } => ErrorCode::UploadExpired,
            Self::Cooldown { .. } => ErrorCode::Cooldown,
            Self::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Self::PaymentProvider(_) => ErrorCode::PaymentProvider,
            Self::Blocked(_) => ErrorCode::Blocked,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
    }
}

/// DataLoader errors are shared between the fields that awaited the batch.
impl From<std::sync::Arc<sea_orm::DbErr>> for AppError {
    fn from(err: std::sync::Arc<sea_orm::DbErr>) -> Self {
        Self::Internal(anyhow::anyhow!("{err}"))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        if let Self::Internal(source) = self {
            tracing::error!(error = ?source, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::Unauthenticated(reason) => ext.set("reason", reason.as_str()),
                Self::Validation { field, .. }
                | Self::Conflict { field, .. }
                | Self::UploadNotConfirmed { field }
                | Self::UploadExpired { field } => ext.set("field", field.as_str()),
                Self::NotFound { entity } => ext.set("entity", *entity),
                Self::Cooldown { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                Self::QuotaExceeded { limit, resets_at } => {
                    ext.set("limit", *limit);
                    ext.set("resetsAt", resets_at.to_rfc3339());
                }
                Self::OutOfStock { product_id } => ext.set(
                    "productId",
                    crate::conventions::encode_id("Product", *product_id).to_string(),
                ),
                Self::CouponNotApplicable { reason } => ext.set("reason", *reason),
                Self::CouponExhausted { scope } => ext.set("scope", *scope),
                _ => {}
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Whether a response failed before execution began: the document did not
/// parse or validate, its variables could not be coerced, or a limit or
/// rate limit refused it. Such errors have no `path` and leave `data` null
/// (GraphQL spec, "Response"); resolver errors always carry a path.
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}
