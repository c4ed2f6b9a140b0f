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

use super::jwt::AccessClaims;
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
