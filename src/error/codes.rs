//! Every stable `extensions.code` a client can receive, each spelled once.
//!
//! Two enums, because there are two kinds of failure:
//! - [`ErrorCode`]: what a resolver reports through [`super::AppError`]
//!   (one code per variant);
//! - [`RefusalCode`]: what the transport refuses before or around a
//!   resolver: the HTTP and WebSocket layers, query limits, persisted
//!   documents, rate limits, and async-graphql's own parse and validation
//!   errors.
//!
//! [`documented_codes`] lists both; `frontend-contract/error-codes.md`
//! documents exactly that list (a test in `tests/contract.rs` fails on a
//! code missing from it, or on a documented code that no longer exists).

use async_graphql::ServerError;

/// Declares a fieldless code enum with its wire string and the list of all
/// its values, so that a code's spelling lives on one line.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The stable SCREAMING_SNAKE string sent as `extensions.code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }
        }

        impl From<$name> for &'static str {
            fn from(code: $name) -> Self {
                code.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// The code of each [`super::AppError`] variant.
    pub enum ErrorCode {
        Unauthenticated => "UNAUTHENTICATED",
        Forbidden => "FORBIDDEN",
        NotFound => "NOT_FOUND",
        /// Also given to argument values async-graphql could not coerce.
        Validation => "VALIDATION",
        Conflict => "CONFLICT",
        InvalidCredentials => "INVALID_CREDENTIALS",
        AccountDisabled => "ACCOUNT_DISABLED",
        TokenReused => "TOKEN_REUSED",
        /// A refresh token was presented by another device or browser than
        /// the one that signed in; its session is revoked.
        SessionFingerprintChanged => "SESSION_FINGERPRINT_CHANGED",
        OutOfStock => "OUT_OF_STOCK",
        /// The coupon does not apply to this cart or order; `reason` says
        /// why.
        CouponNotApplicable => "COUPON_NOT_APPLICABLE",
        /// The coupon's total or per-user redemptions are used up; `scope`
        /// says which.
        CouponExhausted => "COUPON_EXHAUSTED",
        IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
        InProgress => "IN_PROGRESS",
        /// A pre-signed upload used (or used again) before `confirmUpload`
        /// accepted it.
        UploadNotConfirmed => "UPLOAD_NOT_CONFIRMED",
        /// A pre-signed upload's time ran out before it was confirmed.
        UploadExpired => "UPLOAD_EXPIRED",
        /// Asked again too soon (an email code); `retryAfterSeconds` says
        /// when.
        Cooldown => "COOLDOWN",
        /// The plan's generations for this period are used up; `limit` and
        /// `resetsAt` say how many and when they come back.
        QuotaExceeded => "QUOTA_EXCEEDED",
        /// Payments are not configured on this server, or the provider
        /// refused or could not be reached.
        PaymentProvider => "PAYMENT_PROVIDER",
        /// One of the pair blocked the other: no follow, conversation or
        /// message between them.
        Blocked => "BLOCKED",
        Internal => "INTERNAL",
    }
}

codes! {
    /// Refusals of the transport and of the protections around execution.
    pub enum RefusalCode {
        /// The document is not valid GraphQL syntax.
        GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
        /// The document does not validate against the schema.
        GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
        /// The HTTP request itself is unusable.
        BadRequest => "BAD_REQUEST",
        PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        MethodNotAllowed => "METHOD_NOT_ALLOWED",
        /// `Accept` offers no media type the endpoint can send (HTTP 406).
        NotAcceptable => "NOT_ACCEPTABLE",
        /// A WebSocket, or one caller's SSE streams together, already hold
        /// their maximum of active operations.
        SubscriptionLimit => "SUBSCRIPTION_LIMIT",
        QueryTooDeep => "QUERY_TOO_DEEP",
        QueryTooComplex => "QUERY_TOO_COMPLEX",
        TooManyAliases => "TOO_MANY_ALIASES",
        TooManyRootFields => "TOO_MANY_ROOT_FIELDS",
        TooManyDirectives => "TOO_MANY_DIRECTIVES",
        TooManyTokens => "TOO_MANY_TOKENS",
        IntrospectionDisabled => "INTROSPECTION_DISABLED",
        UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
        BatchTooLarge => "BATCH_TOO_LARGE",
        RateLimited => "RATE_LIMITED",
        PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
        PersistedQueryRequired => "PERSISTED_QUERY_REQUIRED",
        PersistedQueryNotAllowed => "PERSISTED_QUERY_NOT_ALLOWED",
        PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
        PartnerKeyInvalid => "PARTNER_KEY_INVALID",
        /// A payment-provider webhook whose `Stripe-Signature` does not
        /// match a configured secret, or is outside the 300 s tolerance.
        WebhookSignatureInvalid => "WEBHOOK_SIGNATURE_INVALID",
    }
}

impl RefusalCode {
    /// A GraphQL error with this code, for refusals raised outside resolvers
    /// (extensions, limits).
    pub fn error(self, message: impl Into<String>) -> ServerError {
        with_code(ServerError::new(message, None), self.as_str())
    }
}

/// `err` with `extensions.code` set to `code`, unless it already carries one
/// (the first code given to an error is the one a client sees).
pub fn with_code(mut err: ServerError, code: &'static str) -> ServerError {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    err
}

/// Every code a response can carry: [`ErrorCode`]s, then [`RefusalCode`]s.
pub fn documented_codes() -> Vec<&'static str> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(RefusalCode::ALL.iter().map(|c| c.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_screaming_snake() {
        let codes = documented_codes();
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len(), "a code is spelled twice");
        for code in codes {
            assert!(
                code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{code}"
            );
        }
    }
}
