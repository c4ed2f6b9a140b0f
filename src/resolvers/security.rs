//! Account security over GraphQL (AUTH-5, AUTH-6): email codes, password
//! reset, and the admin's view of mail, alerts and blocked addresses.
use async_graphql::{
    Context, Enum, ID, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    context::{state, viewer},
    relay::{PageArgs, connection},
};
use crate::{
    auth::RoleGuard,
    domain::{
        mail::Locale as MailLocale,
        security::{self, Purpose, blocks, monitor::AlertKind},
    },
    entities::{ip_block, mail_message, security_alert},
    error::AppError,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EmailCodePurpose {
    /// Proves the address before `register` or an email change.
    VerifyEmail,
    /// Proves the address before `resetPassword`.
    PasswordReset,
}

impl From<EmailCodePurpose> for Purpose {
    fn from(p: EmailCodePurpose) -> Self {
        match p {
            EmailCodePurpose::VerifyEmail => Self::VerifyEmail,
            EmailCodePurpose::PasswordReset => Self::PasswordReset,
        }
    }
}

/// The language of mail.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Locale {
    Ko,
    En,
}

impl From<Locale> for MailLocale {
    fn from(l: Locale) -> Self {
        match l {
            Locale::Ko => Self::Ko,
            Locale::En => Self::En,
        }
    }
}

/// The same answer whether or not the address has an account.
#[derive(SimpleObject)]
pub struct CodeRequest {
    /// A new code for this address may be asked for after this.
    pub cooldown_seconds: i64,
    /// How long the mailed code stays valid.
    pub expires_in_seconds: i64,
}

#[derive(SimpleObject)]
pub struct EmailVerification {
    /// Give it to `register` (`emailVerificationToken`), `updateMe` or
    /// `resetPassword`; once, before `expiresAt`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A message the platform sent (or is sending).
#[derive(SimpleObject)]
pub struct MailMessage {
    pub id: ID,
    pub recipient: String,
    pub locale: String,
    /// `EMAIL_CODE`, `PASSWORD_CHANGED`, `SECURITY_ALERT`, …
    pub template: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// QUEUED, SENT or FAILED.
    pub status: String,
    pub provider: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<mail_message::Model> for MailMessage {
    fn from(m: mail_message::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            recipient: m.recipient,
            locale: m.locale,
            template: m.template,
            subject: m.subject,
            text_body: m.text_body,
            html_body: m.html_body,
            status: format!("{:?}", m.status).to_uppercase(),
            provider: m.provider,
            error: m.error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct SecurityAlert {
    pub id: ID,
    /// BRUTE_FORCE_ACCOUNT, BRUTE_FORCE_IP, INVALID_TOKENS, RBAC_MISMATCH, …
    pub kind: String,
    /// LOW, MEDIUM or HIGH.
    pub severity: String,
    /// `account:<email>`, `ip:<address>`, `user:<id>`, …
    pub subject: String,
    pub message: String,
    /// The figures behind it (JSON).
    pub data: String,
    pub created_at: DateTime<Utc>,
}

impl From<security_alert::Model> for SecurityAlert {
    fn from(a: security_alert::Model) -> Self {
        Self {
            id: ID(a.id.to_string()),
            kind: a.kind,
            severity: a.severity,
            subject: a.subject,
            message: a.message,
            data: a.data,
            created_at: a.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct BlockCandidate {
    pub ip: String,
    /// The INVALID_TOKENS alert that made it one.
    pub alert: SecurityAlert,
}

#[derive(SimpleObject)]
pub struct IpBlock {
    pub ip: String,
    pub reason: String,
    /// Forever when null.
    pub until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ip_block::Model> for IpBlock {
    fn from(b: ip_block::Model) -> Self {
        Self {
            ip: b.ip,
            reason: b.reason,
            until: b.until,
            created_at: b.created_at,
        }
    }
}

#[derive(Default)]
pub struct SecurityQuery;

#[Object]
impl SecurityQuery {
    /// Every message sent, newest first (admins): with the default local
    /// outbox, what `make run` "mailed".
    #[graphql(guard = "RoleGuard::admin()")]
    async fn admin_outbox(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        recipient: Option<String>,
    ) -> Result<Connection<String, MailMessage>> {
        let page = PageArgs::new(first, after)?;
        let mut query = mail_message::Entity::find().order_by_desc(mail_message::Column::Id);
        if let Some(before) = page.after_key::<i64>()? {
            query = query.filter(mail_message::Column::Id.lt(before));
        }
        if let Some(to) = recipient {
            query = query.filter(mail_message::Column::Recipient.eq(to.trim().to_lowercase()));
        }
        let rows = query.limit(page.fetch_limit()).all(&state(ctx).db).await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |m| m.id,
            MailMessage::from,
        ))
    }

    /// Alerts of the security monitor, newest first (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn security_alerts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<String>,
    ) -> Result<Connection<String, SecurityAlert>> {
        let page = PageArgs::new(first, after)?;
        if let Some(k) = &kind
            && !AlertKind::ALL.iter().any(|a| a.as_str() == k)
        {
            return Err(AppError::validation("kind", format!("unknown alert kind `{k}`")).into());
        }
        let rows = security::alerts(
            &state(ctx).db,
            kind.as_deref(),
            page.after_key::<i64>()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |a| a.id,
            SecurityAlert::from,
        ))
    }

    /// Addresses that sent too many invalid access tokens in the last 24 h
    /// and are not blocked (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn security_candidates(&self, ctx: &Context<'_>) -> Result<Vec<BlockCandidate>> {
        let s = state(ctx);
        let now = s.security.now();
        let found =
            blocks::candidates(&s.db, &s.blocklist, now - chrono::Duration::hours(24), now).await?;
        Ok(found
            .into_iter()
            .map(|c| BlockCandidate {
                ip: c.ip,
                alert: c.alert.into(),
            })
            .collect())
    }

    /// Addresses blocked now (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn blocked_ips(&self, ctx: &Context<'_>) -> Result<Vec<IpBlock>> {
        let s = state(ctx);
        Ok(blocks::list(&s.db, s.security.now())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

async fn request_code(
    ctx: &Context<'_>,
    email: &str,
    purpose: EmailCodePurpose,
    locale: Locale,
) -> Result<CodeRequest> {
    let s = state(ctx);
    let sent = security::request_code(
        &s.db,
        &s.jobs,
        s.security.now(),
        email,
        purpose.into(),
        locale.into(),
    )
    .await?;
    Ok(CodeRequest {
        cooldown_seconds: sent.cooldown_secs,
        expires_in_seconds: sent.expires_in_secs,
    })
}

#[derive(Default)]
pub struct SecurityMutation;

#[Object]
impl SecurityMutation {
    /// Mails a 6-digit code (valid 10 minutes; one per address a minute:
    /// `COOLDOWN` with `retryAfterSeconds`). The answer is the same whether
    /// or not the address has an account.
    async fn request_email_code(
        &self,
        ctx: &Context<'_>,
        email: String,
        #[graphql(default_with = "EmailCodePurpose::VerifyEmail")] purpose: EmailCodePurpose,
        #[graphql(default_with = "Locale::Ko")] locale: Locale,
    ) -> Result<CodeRequest> {
        request_code(ctx, &email, purpose, locale).await
    }

    /// Checks a mailed code (5 wrong attempts void it) and answers a token
    /// valid 3 minutes, used once.
    async fn verify_email_code(
        &self,
        ctx: &Context<'_>,
        email: String,
        code: String,
        #[graphql(default_with = "EmailCodePurpose::VerifyEmail")] purpose: EmailCodePurpose,
    ) -> Result<EmailVerification> {
        let s = state(ctx);
        let (token, expires_at) =
            security::verify_code(&s.db, s.security.now(), &email, purpose.into(), &code).await?;
        Ok(EmailVerification { token, expires_at })
    }

    /// `requestEmailCode` with purpose PASSWORD_RESET.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
        #[graphql(default_with = "Locale::Ko")] locale: Locale,
    ) -> Result<CodeRequest> {
        request_code(ctx, &email, EmailCodePurpose::PasswordReset, locale).await
    }

    /// Sets a new password with a PASSWORD_RESET token, signs every device
    /// out (open sockets close with 4403) and mails a notice.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        email: String,
        token: String,
        new_password: String,
    ) -> Result<bool> {
        let s = state(ctx);
        security::reset_password(
            &s.db,
            &s.events,
            &s.jobs,
            s.security.now(),
            &email,
            &token,
            new_password,
        )
        .await?;
        Ok(true)
    }

    /// Refuses every request from `ip` (FORBIDDEN, before any work) until
    /// `until`, or for good (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn block_ip(
        &self,
        ctx: &Context<'_>,
        ip: String,
        reason: String,
        until: Option<DateTime<Utc>>,
    ) -> Result<IpBlock> {
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let now = s.security.now();
        let blocked = s
            .blocklist
            .block(&s.db, me.user.id, &ip, &reason, until, now)
            .await?;
        Ok(blocked.into())
    }

    /// Whether the address was blocked (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn unblock_ip(&self, ctx: &Context<'_>, ip: String) -> Result<bool> {
        let s = state(ctx);
        Ok(s.blocklist.unblock(&s.db, &ip).await?)
    }
}
