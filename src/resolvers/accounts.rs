//! Accounts and auth over GraphQL (AUTH-1 … AUTH-4, AUTH-7): thin resolvers over
//! [`crate::auth::sessions`] and [`crate::domain::accounts`].
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, ConnectionNameType, EdgeNameType, EmptyFields},
};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    context::{client_info, in_viewer_set, loaders, state, viewer, viewer_user},
    loaders::ViewerSet,
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::domain::security::monitor::Outlets;
use crate::{
    auth::{
        RoleGuard, sessions,
        sessions::{DeviceInfo, IssuedTokens, Registration},
    },
    domain::accounts::{self, ProfileUpdate, UserFilter},
    entities::{
        session::{self as session_entity, RevokedReason},
        user::{self as user_entity},
    },
    error::AppError,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::user::Role")]
pub enum Role {
    Buyer,
    Seller,
    Admin,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::user::UserStatus")]
pub enum UserStatus {
    Active,
    Kicked,
    Deleted,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::user::Gender")]
pub enum Gender {
    Male,
    Female,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::session::DeviceType")]
pub enum DeviceType {
    Mobile,
    Web,
    Tablet,
}

/// An account. Private fields (email, gender, birth date, status) are visible
/// to the account itself and to admins; everyone else sees `null`.
pub struct User {
    model: user_entity::Model,
    /// Set when the reader is known to be the account itself (`me`, the user
    /// of an `AuthPayload`), so no viewer lookup is needed.
    own: bool,
}

impl User {
    /// An account seen by whoever the request's viewer is.
    pub fn new(model: user_entity::Model) -> Self {
        Self { model, own: false }
    }

    /// The account seen by itself.
    pub fn own(model: user_entity::Model) -> Self {
        Self { model, own: true }
    }

    async fn private(&self, ctx: &Context<'_>) -> Result<bool> {
        if self.own {
            return Ok(true);
        }
        let viewer = viewer_user(ctx).await?;
        Ok(accounts::sees_private_fields(
            self.model.id,
            viewer.as_ref(),
        ))
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        encode_id("User", self.model.id)
    }
    async fn nickname(&self) -> &str {
        &self.model.nickname
    }
    async fn role(&self) -> Role {
        self.model.role.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .private(ctx)
            .await?
            .then_some(self.model.email.as_str()))
    }
    async fn gender(&self, ctx: &Context<'_>) -> Result<Option<Gender>> {
        Ok(self
            .private(ctx)
            .await?
            .then_some(self.model.gender.map(Into::into))
            .flatten())
    }
    async fn birth_date(&self, ctx: &Context<'_>) -> Result<Option<NaiveDate>> {
        Ok(self
            .private(ctx)
            .await?
            .then_some(self.model.birth_date)
            .flatten())
    }
    async fn status(&self, ctx: &Context<'_>) -> Result<Option<UserStatus>> {
        Ok(self.private(ctx).await?.then_some(self.model.status.into()))
    }
    async fn follower_count(&self) -> i64 {
        self.model.follower_count
    }
    async fn following_count(&self) -> i64 {
        self.model.following_count
    }
    /// Whether the caller follows this account (false when anonymous).
    async fn followed_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        in_viewer_set(ctx, ViewerSet::Following, self.model.id).await
    }
    /// Why an admin kicked the account (admins only).
    async fn status_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let admin = accounts::is_admin(viewer_user(ctx).await?.as_ref());
        Ok(admin
            .then_some(self.model.status_reason.as_deref())
            .flatten())
    }
    /// The profile photo (`setProfilePhoto`), with its thumbnail; null when
    /// none.
    async fn profile_photo(&self, ctx: &Context<'_>) -> Result<Option<super::uploads::Image>> {
        let id = self.model.profile_photo_upload_id.as_ref();
        super::uploads::Image::of_upload(ctx, id, 0).await
    }
    /// The profile photo's URL; null when none.
    async fn profile_photo_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        super::uploads::upload_url(ctx, self.model.profile_photo_upload_id.as_ref()).await
    }
}

/// A signed-in device (AUTH-7).
pub struct Session {
    model: session_entity::Model,
    current: bool,
}

#[Object]
impl Session {
    async fn id(&self) -> ID {
        encode_id("Session", self.model.id)
    }
    async fn device_id(&self) -> &str {
        &self.model.device_id
    }
    async fn device_type(&self) -> DeviceType {
        self.model.device_type.into()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.model.user_agent.as_deref()
    }
    async fn ip(&self) -> Option<&str> {
        self.model.ip.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn last_seen_at(&self) -> DateTime<Utc> {
        self.model.last_seen_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.model.expires_at
    }
    /// True for the session this request's token belongs to.
    async fn current(&self) -> bool {
        self.current
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// JWT for `Authorization: Bearer …`.
    access_token: String,
    /// Opaque; exchange it with `refreshToken` before it expires. Single use.
    refresh_token: String,
    /// Seconds until `accessToken` expires.
    access_token_expires_in: i64,
    user: User,
}

impl From<IssuedTokens> for AuthPayload {
    fn from(t: IssuedTokens) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            access_token_expires_in: t.access_expires_in,
            user: User::own(t.user),
        }
    }
}

#[derive(SimpleObject)]
pub struct TotalCount {
    total_count: i64,
}

impl TotalCount {
    pub fn new(total_count: i64) -> Self {
        Self { total_count }
    }
}

pub struct UserConnectionName;
impl ConnectionNameType for UserConnectionName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "UserConnection".into()
    }
}
pub struct UserEdgeName;
impl EdgeNameType for UserEdgeName {
    fn type_name<T: async_graphql::OutputType>() -> String {
        "UserEdge".into()
    }
}

pub type UserConnection =
    Connection<String, User, TotalCount, EmptyFields, UserConnectionName, UserEdgeName>;
pub type SessionConnection = Connection<String, Session>;

#[derive(InputObject)]
pub struct RegisterInput {
    email: String,
    password: String,
    nickname: String,
    device_id: Option<String>,
    device_type: Option<DeviceType>,
    /// From `verifyEmailCode`; required with
    /// `VITRINE_REQUIRE_EMAIL_VERIFICATION=true`.
    email_verification_token: Option<String>,
    /// The language of the account's mail.
    #[graphql(default_with = "super::security::Locale::Ko")]
    locale: super::security::Locale,
}

#[derive(InputObject)]
pub struct LoginInput {
    email: String,
    password: String,
    device_id: Option<String>,
    device_type: Option<DeviceType>,
}

#[derive(InputObject)]
pub struct UpdateMeInput {
    nickname: Option<String>,
    gender: Option<Gender>,
    birth_date: Option<NaiveDate>,
    /// Required together with `newPassword`.
    current_password: Option<String>,
    new_password: Option<String>,
    /// A new address, with `emailVerificationToken` of it (verifyEmailCode).
    email: Option<String>,
    email_verification_token: Option<String>,
}

fn device_info(
    ctx: &Context<'_>,
    device_id: Option<String>,
    device_type: Option<DeviceType>,
) -> DeviceInfo {
    let client = client_info(ctx);
    DeviceInfo {
        device_id,
        device_type: device_type.map(Into::into),
        user_agent: client.user_agent,
        ip: client.ip,
    }
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in account.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User::own(viewer(ctx).await?.user))
    }

    /// A public profile; `null` when unknown, deleted or kicked (admins still see kicked accounts).
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let id = decode_id("User", "id", &id)?;
        let Some(found) = loaders(ctx).users.load_one(id).await? else {
            return Ok(None);
        };
        let viewer = viewer_user(ctx).await?;
        Ok(accounts::visible_to(&found, viewer.as_ref()).then_some(User::new(found)))
    }

    /// Every account, newest first (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        role: Option<Role>,
        status: Option<UserStatus>,
        #[graphql(desc = "Case-insensitive part of an email or nickname")] search: Option<String>,
    ) -> Result<UserConnection> {
        let page = PageArgs::new(first, after)?;
        let after_id: Option<i64> = page.after_key()?;
        let filter = UserFilter {
            role: role.map(Into::into),
            status: status.map(Into::into),
            search,
        };
        let state = state(ctx);
        let (rows, total) =
            accounts::list_users(&state.db, &filter, after_id, page.fetch_limit()).await?;
        Ok(connection(
            &page,
            rows,
            TotalCount {
                total_count: total as i64,
            },
            |u| u.id,
            User::new,
        ))
    }

    /// The caller's active sessions (devices), most recently used first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SessionConnection> {
        let page = PageArgs::new(first, after)?;
        let after_key: Option<(DateTime<Utc>, i64)> = page.after_key()?;
        let me = viewer(ctx).await?;
        let rows =
            sessions::active_sessions(&state(ctx).db, me.id(), after_key, page.fetch_limit())
                .await?;
        let current = me.session_id;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |s| (s.last_seen_at, s.id),
            |model| Session {
                current: model.id == current,
                model,
            },
        ))
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates a BUYER account and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let state = state(ctx);
        let device = device_info(ctx, input.device_id, input.device_type);
        let registration = Registration {
            email: input.email,
            password: input.password,
            nickname: input.nickname,
            locale: crate::domain::mail::Locale::from(input.locale)
                .as_str()
                .to_owned(),
            verification_token: input.email_verification_token,
            verification_required: state.config.security.require_email_verification,
            now: state.security.now(),
        };
        Ok(
            sessions::register(&state.auth_services(), registration, device)
                .await?
                .into(),
        )
    }

    /// Signs in on a device, opening a session.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let state = state(ctx);
        let device = device_info(ctx, input.device_id, input.device_type);
        let ip = device.ip.clone();
        let signed_in =
            sessions::login(&state.auth_services(), &input.email, input.password, device).await;
        let email = crate::domain::accounts::normalize_email(&input.email).ok();
        match (&signed_in, email) {
            (Err(AppError::InvalidCredentials), Some(email)) => {
                let outlets = Outlets {
                    db: &state.db,
                    events: &state.events,
                    jobs: &state.jobs,
                };
                state
                    .security
                    .login_failed(&outlets, &email, ip.as_deref())
                    .await;
            }
            (Ok(_), Some(email)) => state.security.login_succeeded(&email).await,
            _ => {}
        }
        Ok(signed_in?.into())
    }

    /// Exchanges a refresh token for a new pair. A token works once: presenting
    /// it again revokes its session and answers `TOKEN_REUSED`. From another
    /// device (`deviceId` when given) or browser family than the sign-in, the
    /// session is revoked (`SESSION_FINGERPRINT_CHANGED`); from another
    /// network the user is notified. Each refresh extends the session.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        token: String,
        device_id: Option<String>,
    ) -> Result<AuthPayload> {
        let state = state(ctx);
        let device = device_info(ctx, device_id, None);
        Ok(sessions::refresh(&state.auth_services(), &token, device)
            .await?
            .into())
    }

    /// Ends the current session; its access and refresh tokens stop working.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let me = viewer(ctx).await?;
        let state = state(ctx);
        sessions::revoke_session(
            &state.db,
            &state.events,
            me.id(),
            me.session_id,
            RevokedReason::Logout,
        )
        .await?;
        Ok(true)
    }

    /// Ends one of the caller's sessions (another device, typically).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let session_id = decode_id("Session", "id", &id)?;
        let me = viewer(ctx).await?;
        let state = state(ctx);
        sessions::revoke_session(
            &state.db,
            &state.events,
            me.id(),
            session_id,
            RevokedReason::RevokedByUser,
        )
        .await?;
        Ok(true)
    }

    /// Updates the caller's profile; a password change needs the current
    /// password and signs out every other session.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInput) -> Result<User> {
        let me = viewer(ctx).await?;
        let state = state(ctx);
        let update = ProfileUpdate {
            nickname: input.nickname,
            gender: input.gender.map(Into::into),
            birth_date: input.birth_date,
            current_password: input.current_password,
            new_password: input.new_password,
            email: match (input.email, input.email_verification_token) {
                (None, _) => None,
                (Some(email), Some(token)) => Some((email, token, state.security.now())),
                (Some(_), None) => {
                    return Err(AppError::validation(
                        "emailVerificationToken",
                        "changing the email address needs a verification token of the new one",
                    )
                    .into());
                }
            },
        };
        let updated =
            accounts::update_profile(&state.db, &state.events, &me.user, me.session_id, update)
                .await?;
        Ok(User::own(updated))
    }

    /// Deletes the caller's account (soft delete, personal data scrubbed).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_me(&self, ctx: &Context<'_>, password: String) -> Result<bool> {
        let me = viewer(ctx).await?;
        let state = state(ctx);
        accounts::delete_account(&state.db, &state.events, &me.user, password).await?;
        Ok(true)
    }

    /// Removes an account (admins): it cannot sign in and its tokens stop working at once.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn kick_user(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<User> {
        let target = decode_id("User", "id", &id)?;
        let me = viewer(ctx).await?;
        let state = state(ctx);
        Ok(User::new(
            accounts::kick_user(&state.db, &state.events, &me.user, target, &reason).await?,
        ))
    }
}
