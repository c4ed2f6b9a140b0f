//! Account rules beyond sign-in (AUTH-4): profile updates, password change,
//! self-deletion with data scrubbing, admin listing and kicking, and the
//! `vitrine admin create` bootstrap.
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};

use crate::{
    auth::{password, sessions::revoke_all_sessions},
    entities::{
        session::RevokedReason,
        user::{self, Gender, Role, UserStatus},
    },
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

pub const MAX_EMAIL_CHARS: usize = 254;
pub const NICKNAME_CHARS: std::ops::RangeInclusive<usize> = 2..=40;
pub const MAX_KICK_REASON_CHARS: usize = 500;
pub const MAX_SEARCH_CHARS: usize = 100;

/// Trims and lower-cases; checks the address has one `@`, a dotted domain
/// and no spaces. The normalised form is what is stored and compared.
pub fn normalize_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let bad = || {
        AppError::validation(
            "email",
            "email must be a valid address such as name@example.com",
        )
    };
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty() || !domain_ok || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(email)
}

pub fn validate_nickname(field: &str, raw: &str) -> AppResult<String> {
    let nickname = raw.trim();
    let chars = nickname.chars().count();
    if !NICKNAME_CHARS.contains(&chars) || nickname.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            format!(
                "nickname must be {} to {} characters",
                NICKNAME_CHARS.start(),
                NICKNAME_CHARS.end()
            ),
        ));
    }
    Ok(nickname.to_owned())
}

/// Fields of `updateMe`; `None` leaves a field unchanged.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub nickname: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub current_password: Option<String>,
    pub new_password: Option<String>,
    /// A new address: needs a VERIFY_EMAIL token of it (AUTH-5), checked
    /// at `now`.
    pub email: Option<(String, String, chrono::DateTime<Utc>)>,
}

pub async fn update_profile(
    db: &DatabaseConnection,
    events: &EventBus,
    user: &user::Model,
    current_session: i64,
    update: ProfileUpdate,
) -> AppResult<user::Model> {
    let nickname = update
        .nickname
        .as_deref()
        .map(|n| validate_nickname("nickname", n))
        .transpose()?;
    if let Some(birth) = update.birth_date {
        let today = Utc::now().date_naive();
        if birth > today || birth.year() < 1900 {
            return Err(AppError::validation(
                "birthDate",
                "birthDate must be between 1900-01-01 and today",
            ));
        }
    }
    let new_hash = match (update.current_password, update.new_password) {
        (_, None) => None,
        (None, Some(_)) => {
            return Err(AppError::validation(
                "currentPassword",
                "currentPassword is required to change the password",
            ));
        }
        (Some(current), Some(new)) => {
            password::check_policy("newPassword", &new)?;
            let stored = user
                .password_hash
                .clone()
                .ok_or(AppError::InvalidCredentials)?;
            if !password::verify(current, stored).await? {
                return Err(AppError::InvalidCredentials);
            }
            Some(password::hash(new).await?)
        }
    };
    let password_changed = new_hash.is_some();
    let new_email = match &update.email {
        Some((raw, _, _)) => Some(normalize_email(raw)?).filter(|e| *e != user.email),
        None => None,
    };
    let txn = crate::db::begin_write(db).await?;
    let mut active = user.clone().into_active_model();
    if let (Some(email), Some((_, token, now))) = (&new_email, &update.email) {
        crate::domain::security::codes::consume_token(
            &txn,
            *now,
            email,
            crate::domain::security::Purpose::VerifyEmail,
            token,
            "emailVerificationToken",
        )
        .await?;
        active.email = Set(email.clone());
    }
    if let Some(nickname) = nickname {
        active.nickname = Set(nickname);
    }
    if let Some(gender) = update.gender {
        active.gender = Set(Some(gender));
    }
    if let Some(birth) = update.birth_date {
        active.birth_date = Set(Some(birth));
    }
    if let Some(hash) = new_hash {
        active.password_hash = Set(Some(hash));
    }
    active.updated_at = Set(Utc::now());
    let updated = active.update(&txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("email", "an account with this email already exists")
        }
        _ => e.into(),
    })?;
    if password_changed {
        // Every other device must sign in again with the new password.
        revoke_all_sessions(
            &txn,
            user.id,
            RevokedReason::PasswordChanged,
            Some(current_session),
        )
        .await?;
    }
    txn.commit().await?;
    events.publish(DomainEvent::UserUpdated { user_id: user.id });
    if password_changed {
        events.publish(DomainEvent::OtherSessionsRevoked {
            user_id: user.id,
            kept_session_id: current_session,
        });
    }
    Ok(updated)
}

/// Soft delete (AUTH-4): the row stays for referential integrity, personal data
/// is scrubbed (the email is freed for a new sign-up), every session revoked.
pub async fn delete_account(
    db: &DatabaseConnection,
    events: &EventBus,
    user: &user::Model,
    password_text: String,
) -> AppResult<()> {
    let stored = user
        .password_hash
        .clone()
        .ok_or(AppError::InvalidCredentials)?;
    if !password::verify(password_text, stored).await? {
        return Err(AppError::InvalidCredentials);
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let mut active = user.clone().into_active_model();
    active.email = Set(format!("deleted-{}@deleted.invalid", user.id));
    active.nickname = Set("deleted user".into());
    active.password_hash = Set(None);
    active.gender = Set(None);
    active.birth_date = Set(None);
    active.profile_photo_upload_id = Set(None);
    active.status = Set(UserStatus::Deleted);
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    revoke_all_sessions(&txn, user.id, RevokedReason::AccountDeleted, None).await?;
    // What the user asked the help assistant is theirs too.
    crate::domain::assistant::forget_user(&txn, user.id).await?;
    // So is their address book (orders keep their own copies).
    crate::domain::commerce::addresses::forget_user(&txn, user.id).await?;
    txn.commit().await?;
    events.publish(DomainEvent::UserDeleted { user_id: user.id });
    Ok(())
}

/// Admin removal (AUTH-4, COM-11): status KICKED, every session revoked at
/// once. Admins cannot kick themselves or other admins.
pub async fn kick_user(
    db: &DatabaseConnection,
    events: &EventBus,
    admin: &user::Model,
    target_id: i64,
    reason: &str,
) -> AppResult<user::Model> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_KICK_REASON_CHARS {
        return Err(AppError::validation(
            "reason",
            format!("reason must be 1 to {MAX_KICK_REASON_CHARS} characters"),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let target = user::Entity::find_by_id(target_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    if target.id == admin.id {
        return Err(AppError::forbidden("admins cannot kick themselves"));
    }
    if target.role == Role::Admin {
        return Err(AppError::forbidden("admins cannot kick other admins"));
    }
    if target.status == UserStatus::Deleted {
        return Err(AppError::not_found("User"));
    }
    let mut active = target.into_active_model();
    active.status = Set(UserStatus::Kicked);
    active.status_reason = Set(Some(reason.to_owned()));
    active.updated_at = Set(Utc::now());
    let kicked = active.update(&txn).await?;
    revoke_all_sessions(&txn, kicked.id, RevokedReason::Kicked, None).await?;
    txn.commit().await?;
    tracing::info!(admin_id = admin.id, user_id = kicked.id, "user kicked");
    events.publish(DomainEvent::UserKicked {
        user_id: kicked.id,
        reason: reason.to_owned(),
    });
    Ok(kicked)
}

/// Filters of the admin `users` connection.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// Case-insensitive substring of email or nickname.
    pub search: Option<String>,
}

fn filter_condition(filter: &UserFilter) -> AppResult<Condition> {
    let mut cond = Condition::all();
    if let Some(role) = filter.role {
        cond = cond.add(user::Column::Role.eq(role));
    }
    if let Some(status) = filter.status {
        cond = cond.add(user::Column::Status.eq(status));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if search.chars().count() > MAX_SEARCH_CHARS {
            return Err(AppError::validation(
                "search",
                format!("search must be at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        let pattern = search.to_lowercase();
        let like = |col: user::Column| {
            Expr::expr(Func::lower(Expr::col(col))).like(crate::domain::like_contains(&pattern))
        };
        cond = cond.add(
            Condition::any()
                .add(like(user::Column::Email))
                .add(like(user::Column::Nickname)),
        );
    }
    Ok(cond)
}

/// Whether `viewer` may see account `user` at all: active accounts are
/// public, kicked ones are seen by admins only, deleted ones by no one.
pub fn visible_to(user: &user::Model, viewer: Option<&user::Model>) -> bool {
    match user.status {
        UserStatus::Active => true,
        UserStatus::Kicked => is_admin(viewer),
        UserStatus::Deleted => false,
    }
}

/// Whether `viewer` sees the private fields (email, gender, birth date,
/// status) of account `user_id`: the account itself and admins.
pub fn sees_private_fields(user_id: i64, viewer: Option<&user::Model>) -> bool {
    viewer.is_some_and(|v| v.id == user_id) || is_admin(viewer)
}

/// Whether `viewer` is an admin (who alone sees moderation details such as
/// why an account was kicked).
pub fn is_admin(viewer: Option<&user::Model>) -> bool {
    viewer.is_some_and(|v| v.role == Role::Admin)
}

/// One page of users, newest first, keyset-paginated on id.
pub async fn list_users(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<(Vec<user::Model>, u64)> {
    let cond = filter_condition(filter)?;
    let total = user::Entity::find().filter(cond.clone()).count(db).await?;
    let mut query = user::Entity::find()
        .filter(cond)
        .order_by_desc(user::Column::Id);
    if let Some(after) = after_id {
        query = query.filter(user::Column::Id.lt(after));
    }
    let rows = query.limit(limit).all(db).await?;
    Ok((rows, total))
}

/// What `vitrine admin create` did.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminBootstrap {
    Created(i64),
    Promoted(i64),
    AlreadyAdmin(i64),
}

/// Creates an ADMIN account, or promotes the existing account with that email.
pub async fn create_or_promote_admin(
    db: &DatabaseConnection,
    email: &str,
    password_text: &str,
) -> AppResult<AdminBootstrap> {
    let email = normalize_email(email)?;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        if existing.role == Role::Admin {
            return Ok(AdminBootstrap::AlreadyAdmin(existing.id));
        }
        let id = existing.id;
        let mut active = existing.into_active_model();
        active.role = Set(Role::Admin);
        active.updated_at = Set(Utc::now());
        active.update(db).await?;
        return Ok(AdminBootstrap::Promoted(id));
    }
    password::check_policy("password", password_text)?;
    let hash = password::hash(password_text.to_owned()).await?;
    let nickname: String = email
        .split('@')
        .next()
        .unwrap_or("admin")
        .chars()
        .take(40)
        .collect();
    let nickname = if nickname.chars().count() < 2 {
        "admin".to_owned()
    } else {
        nickname
    };
    let now = Utc::now();
    let created = user::ActiveModel {
        email: Set(email),
        password_hash: Set(Some(hash)),
        nickname: Set(nickname),
        role: Set(Role::Admin),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(AdminBootstrap::Created(created.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
            "alice@example",
            "alice@.com",
            "a@b..com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn nicknames() {
        assert_eq!(validate_nickname("nickname", "  민수 ").unwrap(), "민수");
        assert!(validate_nickname("nickname", "a").is_err());
        assert!(validate_nickname("nickname", &"x".repeat(41)).is_err());
        assert!(validate_nickname("nickname", "bad\u{0}name").is_err());
    }
}
