//! Community safety over GraphQL (issue 22): `reportContent` for anyone
//! signed in, the admins' queue (`reports`) and `resolveReport`. The rules
//! (who may report what, what each action does) are `domain::moderation`.
use std::time::Duration;

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    accounts::User,
    context::{loaders, state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::moderation::{self, NewReport, REPORTS_PER_HOUR},
    entities::report,
    error::AppError,
    protection::rate_limit::Policy,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::report::ReportTarget")]
pub enum ReportTarget {
    Post,
    Comment,
    Design,
    Short,
    Review,
    User,
    Message,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::report::ReportReason")]
pub enum ReportReason {
    Spam,
    Harassment,
    Hate,
    Nudity,
    Violence,
    Copyright,
    Scam,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::report::ReportStatus")]
pub enum ReportStatus {
    Open,
    /// Closed with HIDE_CONTENT or SUSPEND_USER.
    Resolved,
    /// Closed with DISMISS.
    Dismissed,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::report::ReportAction")]
pub enum ReportAction {
    /// Nothing to act on: closes this report only.
    Dismiss,
    /// Hides the target from everyone but admins, and resolves every open
    /// report on it.
    HideContent,
    /// Suspends the target's author (or the reported account): no sign-in,
    /// tokens refused at once; resolves every open report on the target.
    SuspendUser,
}

/// A report of content or of an account, seen by admins (and its reporter
/// in `reportContent`'s payload).
pub struct Report {
    model: report::Model,
    /// Reports on the same target, this one included.
    target_report_count: i64,
}

#[Object]
impl Report {
    async fn id(&self) -> ID {
        encode_id("Report", self.model.id)
    }
    async fn target_kind(&self) -> ReportTarget {
        self.model.target_kind.into()
    }
    /// Global id of the target (a Post, Comment, Design, Short, Review,
    /// User or Message).
    async fn target_id(&self) -> ID {
        encode_id(
            moderation::entity_name(self.model.target_kind),
            self.model.target_id,
        )
    }
    /// Who wrote the target (the account itself for a USER report).
    async fn target_author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.model.target_user_id).await
    }
    async fn reporter(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, Some(self.model.reporter_id)).await
    }
    async fn reason(&self) -> ReportReason {
        self.model.reason.into()
    }
    async fn note(&self) -> Option<&str> {
        self.model.note.as_deref()
    }
    async fn status(&self) -> ReportStatus {
        self.model.status.into()
    }
    /// How it was closed; null while OPEN.
    async fn action(&self) -> Option<ReportAction> {
        self.model.action.map(Into::into)
    }
    /// The admin's note on the resolution.
    async fn resolution_note(&self) -> Option<&str> {
        self.model.resolution_note.as_deref()
    }
    async fn resolved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.model.resolved_by).await
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.model.resolved_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// Reports filed on the same target (any status, this one included).
    async fn target_report_count(&self) -> i64 {
        self.target_report_count
    }
}

async fn user(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(loaders(ctx).users.load_one(id).await?.map(User::new))
}

#[derive(InputObject)]
pub struct ReportContentInput {
    pub target: ReportTarget,
    /// Global id of the target, of the kind `target` names.
    pub target_id: ID,
    pub reason: ReportReason,
    /// Details for the moderators (at most 1,000 characters).
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct ReportContentPayload {
    pub report: Report,
}

#[derive(InputObject)]
pub struct ResolveReportInput {
    pub id: ID,
    pub action: ReportAction,
    /// Why (at most 1,000 characters), kept on the report.
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct ResolveReportPayload {
    pub report: Report,
}

#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// The moderation queue (admins): reports with `status` (OPEN when
    /// omitted or null), oldest first.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        // Nullable rather than a non-null argument with a default: a client
        // that declares `$status: ReportStatus` and leaves it out sends null,
        // which a non-null argument would refuse.
        status: Option<ReportStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Report, EmptyFields>> {
        let page = PageArgs::new(first, after)?;
        let rows = moderation::list(
            &state(ctx).db,
            status.unwrap_or(ReportStatus::Open).into(),
            page.after_key::<i64>()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |(r, _)| r.id,
            |(model, target_report_count)| Report {
                model,
                target_report_count,
            },
        ))
    }
}

#[derive(Default)]
pub struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Reports content or an account to the moderators. One open report per
    /// reporter and target (a second answers CONFLICT); not one's own
    /// (VALIDATION); only what the caller can read (NOT_FOUND otherwise);
    /// at most 30 an hour (COOLDOWN).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn report_content(
        &self,
        ctx: &Context<'_>,
        input: ReportContentInput,
    ) -> Result<ReportContentPayload> {
        let me = viewer(ctx).await?;
        let state = state(ctx);
        let target: report::ReportTarget = input.target.into();
        let target_id = decode_id(
            moderation::entity_name(target),
            "targetId",
            &input.target_id,
        )?;
        let policy = Policy {
            name: "report",
            limit: REPORTS_PER_HOUR,
            window: Duration::from_secs(3600),
        };
        let decision = state
            .rate_limiter
            .charge(&me.user.id.to_string(), policy, 1)
            .await;
        if !decision.allowed {
            return Err(AppError::Cooldown {
                retry_after_secs: decision.reset_secs as i64,
            }
            .into());
        }
        let model = moderation::report_content(
            &state.db,
            &me.user,
            NewReport {
                target,
                target_id,
                reason: input.reason.into(),
                note: input.note,
            },
        )
        .await?;
        let (model, target_report_count) = moderation::find(&state.db, model.id).await?;
        Ok(ReportContentPayload {
            report: Report {
                model,
                target_report_count,
            },
        })
    }

    /// Closes a report (admins): DISMISS, HIDE_CONTENT or SUSPEND_USER. The
    /// reporter (every reporter of the target, for the last two) is notified
    /// (REPORT_RESOLVED); hidden content's author too (CONTENT_HIDDEN).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn resolve_report(
        &self,
        ctx: &Context<'_>,
        input: ResolveReportInput,
    ) -> Result<ResolveReportPayload> {
        let id = decode_id("Report", "id", &input.id)?;
        let me = viewer(ctx).await?;
        let state = state(ctx);
        moderation::resolve(
            &state.db,
            &state.events,
            &me.user,
            id,
            input.action.into(),
            input.note.as_deref(),
        )
        .await?;
        let (model, target_report_count) = moderation::find(&state.db, id).await?;
        Ok(ResolveReportPayload {
            report: Report {
                model,
                target_report_count,
            },
        })
    }
}
