//! Who is calling. The HTTP layer turns the `Authorization: Bearer` header into
//! [`Credentials`] (signature and expiry checked, no I/O). The first resolver or
//! guard that needs the caller loads session and user once per request
//! ([`RequestAuth`]); the database, not the token, is the authority on role and
//! status, so a kicked user or a revoked session stops working at once.
//!
//! A bad token does not fail the whole request: public fields (and `login`,
//! `refreshToken`) still run, and fields that need a caller answer
//! `UNAUTHENTICATED` with the precise `reason` (`TOKEN_EXPIRED`, ...).
use async_graphql::{Context, Guard};
use chrono::{Duration as ChronoDuration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use tokio::sync::OnceCell;

use super::jwt::{AccessClaims, JwtKeys};
use crate::{
    entities::{
        session,
        user::{self, Role, UserStatus},
    },
    error::{AppError, AppResult, AuthFailure},
    state::AppState,
};

/// What the request presented, already verified cryptographically.
#[derive(Clone, Debug)]
pub enum Credentials {
    Anonymous,
    Token(AccessClaims),
    Invalid(AuthFailure),
}

impl Credentials {
    /// An `Authorization` header's value (`Bearer <jwt>`), when there is one.
    pub fn from_authorization(jwt: &JwtKeys, header: Option<&[u8]>) -> Self {
        let Some(value) = header else {
            return Self::Anonymous;
        };
        // Header values are ASCII (`HeaderValue::to_str`'s rule).
        let token = std::str::from_utf8(value)
            .ok()
            .filter(|v| v.is_ascii())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        match token {
            Some(token) if !token.is_empty() => Self::verified(jwt, token),
            _ => Self::Invalid(AuthFailure::TokenInvalid),
        }
    }

    /// The access token of a WebSocket, from `connection_init`'s payload:
    /// `{"Authorization": "Bearer …"}`, `{"authorization": …}`, `{"token": …}`
    /// or `{"accessToken": …}`.
    pub fn from_connection_init(jwt: &JwtKeys, payload: &serde_json::Value) -> Self {
        let raw = ["Authorization", "authorization", "token", "accessToken"]
            .iter()
            .find_map(|k| payload.get(*k).and_then(|v| v.as_str()));
        let Some(raw) = raw else {
            return Self::Anonymous;
        };
        Self::verified(jwt, raw.strip_prefix("Bearer ").unwrap_or(raw).trim())
    }

    fn verified(jwt: &JwtKeys, token: &str) -> Self {
        match jwt.verify(token) {
            Ok(claims) => Self::Token(claims),
            Err(reason) => Self::Invalid(reason),
        }
    }
}

/// Where the request came from (HTTP peer or WebSocket peer); recorded on new
/// sessions and used to key anonymous rate limits.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The authenticated caller: the live user row and the session in use.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: user::Model,
    pub session_id: i64,
}

impl Viewer {
    pub fn id(&self) -> i64 {
        self.user.id
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// Request-scoped: credentials plus the viewer, resolved at most once.
pub struct RequestAuth {
    credentials: Credentials,
    resolved: OnceCell<Result<Option<Viewer>, AuthFailure>>,
}

/// `last_seen_at` is refreshed at most this often per session.
const LAST_SEEN_GRANULARITY_SECS: i64 = 60;

impl RequestAuth {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            resolved: OnceCell::new(),
        }
    }

    /// Credentials whose viewer is already known (a WebSocket authenticated
    /// at `connection_init`; kicks and revocations close that socket).
    pub fn with_viewer(credentials: Credentials, viewer: Viewer) -> Self {
        Self {
            credentials,
            resolved: OnceCell::new_with(Some(Ok(Some(viewer)))),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    async fn resolve(&self, state: &AppState) -> AppResult<&Result<Option<Viewer>, AuthFailure>> {
        self.resolved
            .get_or_try_init(|| async {
                match &self.credentials {
                    Credentials::Anonymous => Ok(Ok(None)),
                    Credentials::Invalid(reason) => Ok(Err(*reason)),
                    Credentials::Token(claims) => load_viewer(state, claims).await,
                }
            })
            .await
    }
}

/// The live session and user behind verified claims, or why they no longer
/// hold.
pub async fn load_viewer(
    state: &AppState,
    claims: &AccessClaims,
) -> AppResult<Result<Option<Viewer>, AuthFailure>> {
    let (Some(user_id), Some(session_id)) = (claims.user_id(), claims.session_id()) else {
        return Ok(Err(AuthFailure::TokenInvalid));
    };
    let found = session::Entity::find_by_id(session_id)
        .find_also_related(user::Entity)
        .one(&state.db)
        .await?;
    let Some((session, Some(user))) = found else {
        return Ok(Err(AuthFailure::SessionRevoked));
    };
    if session.user_id != user_id
        || session.revoked_at.is_some()
        || user.status != UserStatus::Active
    {
        return Ok(Err(AuthFailure::SessionRevoked));
    }
    let actual = crate::auth::jwt::role_name(user.role);
    if claims.role != actual {
        // The database is the authority: served as `user.role`; the stale
        // (or tampered) claim is reported.
        let outlets = crate::domain::security::monitor::Outlets {
            db: &state.db,
            events: &state.events,
            jobs: &state.jobs,
        };
        state
            .security
            .rbac_mismatch(&outlets, user.id, &claims.role, actual)
            .await;
    }
    let now = Utc::now();
    if now - session.last_seen_at > ChronoDuration::seconds(LAST_SEEN_GRANULARITY_SECS) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(session.id))
            .exec(&state.db)
            .await?;
    }
    Ok(Ok(Some(Viewer { user, session_id })))
}

fn request_auth<'a>(ctx: &'a Context<'_>) -> Option<&'a RequestAuth> {
    ctx.data_opt::<RequestAuth>()
}

/// The caller, or `UNAUTHENTICATED` with the reason.
pub async fn viewer(ctx: &Context<'_>) -> AppResult<Viewer> {
    match optional_viewer_inner(ctx).await? {
        Ok(Some(viewer)) => Ok(viewer),
        Ok(None) => Err(AppError::Unauthenticated(AuthFailure::Missing)),
        Err(reason) => Err(AppError::Unauthenticated(reason)),
    }
}

/// The caller when there is a valid one; `None` for anonymous requests and
/// for requests whose token no longer holds (public fields stay public).
pub async fn optional_viewer(ctx: &Context<'_>) -> AppResult<Option<Viewer>> {
    Ok(optional_viewer_inner(ctx).await?.unwrap_or(None))
}

async fn optional_viewer_inner(
    ctx: &Context<'_>,
) -> AppResult<Result<Option<Viewer>, AuthFailure>> {
    let Some(auth) = request_auth(ctx) else {
        return Ok(Ok(None));
    };
    let state = ctx.data_unchecked::<AppState>();
    Ok(auth.resolve(state).await?.clone())
}

/// Field guard: the caller must be signed in and hold one of `allowed`.
/// Anonymous (or bad-token) callers get `UNAUTHENTICATED`, others `FORBIDDEN`.
pub struct RoleGuard {
    allowed: &'static [Role],
}

impl RoleGuard {
    pub const fn signed_in() -> Self {
        Self {
            allowed: &[Role::Buyer, Role::Seller, Role::Admin],
        }
    }
    pub const fn admin() -> Self {
        Self {
            allowed: &[Role::Admin],
        }
    }
    pub const fn any_of(allowed: &'static [Role]) -> Self {
        Self { allowed }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = viewer(ctx).await?;
        if self.allowed.contains(&viewer.role()) {
            Ok(())
        } else {
            Err(AppError::forbidden("your role may not use this field").into())
        }
    }
}
