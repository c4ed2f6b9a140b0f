//! Background jobs for admins: `adminJobs` (newest first, by state and
//! kind), `retryJob`, `cancelJob`, `reindexSearch`. Progress is the
//! `jobProgress(jobId)` subscription (`resolvers::realtime`).
use async_graphql::{
    Context, ID, Object, Result,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    accounts::User,
    context::{loaders, state, viewer},
    realtime::JobState,
    relay::{PageArgs, connection},
};
use crate::{
    auth::RoleGuard,
    domain::search_index,
    entities::job,
    error::AppError,
    jobs::{ListFilter, parse_public_id, public_id},
};

/// One background job.
pub struct Job(job::Model);

#[Object]
impl Job {
    async fn id(&self) -> ID {
        ID(public_id(self.0.id))
    }
    /// `RECOMMENDER_TRAINING`, `SEARCH_REINDEX`, `IDEMPOTENCY_CLEANUP`, …
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn state(&self) -> JobState {
        self.0.state.into()
    }
    /// Attempts started so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }
    /// When it runs (next), for a QUEUED job.
    async fn run_at(&self) -> DateTime<Utc> {
        self.0.run_at
    }
    /// 0 to 1, as last reported.
    async fn progress(&self) -> f64 {
        self.0.progress
    }
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// The error of the last failed attempt.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// The instance running it (or that ran it last).
    async fn worker(&self) -> Option<&str> {
        self.0.worker.as_deref()
    }
    /// Who asked for it (none for scheduled jobs).
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(owner) = self.0.owner_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).users.load_one(owner).await?.map(User::new))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

fn job_id(id: &ID) -> Result<i64, AppError> {
    parse_public_id(id).ok_or_else(|| AppError::validation("id", "`id` is not a job id"))
}

#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// Jobs, newest first, optionally of one state and/or kind (admins).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn admin_jobs(
        &self,
        ctx: &Context<'_>,
        state: Option<JobState>,
        kind: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Job>> {
        let page = PageArgs::new(first, after)?;
        if kind.as_ref().is_some_and(|k| k.is_empty() || k.len() > 64) {
            return Err(AppError::validation("kind", "`kind` must be 1 to 64 characters").into());
        }
        let rows = self::state(ctx)
            .jobs
            .list(&ListFilter {
                state: state.map(Into::into),
                kind,
                before_id: page.after_key()?,
                limit: page.fetch_limit(),
            })
            .await?;
        Ok(connection(&page, rows, EmptyFields, |j| j.id, Job))
    }
}

#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Runs a DEAD (or CANCELLED) job again from its first attempt.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn retry_job(&self, ctx: &Context<'_>, id: ID) -> Result<Job> {
        let queue = &state(ctx).jobs;
        let job = queue.retry(job_id(&id)?).await?;
        queue.wake();
        Ok(Job(job))
    }

    /// A QUEUED job will not run; a RUNNING one is stopped at its next
    /// heartbeat.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn cancel_job(&self, ctx: &Context<'_>, id: ID) -> Result<Job> {
        Ok(Job(state(ctx).jobs.cancel(job_id(&id)?).await?))
    }

    /// Rebuilds the search index from the database while it serves
    /// (SEARCH-4); progress on `jobProgress(jobId)`. CONFLICT while one is
    /// queued or running.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn reindex_search(&self, ctx: &Context<'_>) -> Result<Job> {
        let me = viewer(ctx).await?;
        let state = state(ctx);
        let id = search_index::start_reindex(&state.jobs, &state.db, Some(me.user.id)).await?;
        let job = state
            .jobs
            .get(id)
            .await?
            .ok_or_else(|| AppError::not_found("job"))?;
        Ok(Job(job))
    }
}
