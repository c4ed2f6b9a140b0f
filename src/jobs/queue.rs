//! The `jobs` table and every statement on it: enqueue (in the caller's
//! transaction), claim under a lease, heartbeat, settle, and the admin
//! operations. Each state change is one conditional UPDATE, so two workers,
//! or a worker and an admin, can never both move the same job.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Value,
    sea_query::{Condition, Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query},
};
use tokio::sync::Notify;

use super::{
    clock::{Clock, SystemClock},
    kind::JobKind,
};
use crate::{
    entities::job::{self, JobState},
    error::{AppError, AppResult},
};

/// Where and when a new job goes.
#[derive(Clone, Debug, Default)]
pub struct Enqueue {
    /// Who receives its progress and outcome.
    pub owner_id: Option<i64>,
    /// Not before this time (default: now).
    pub run_at: Option<DateTime<Utc>>,
    /// Enqueue at most once per key, ever (a scheduler period).
    pub unique_key: Option<String>,
    /// At most one QUEUED or RUNNING job per key.
    pub active_key: Option<String>,
}

/// The handle to the queue: enqueue, claim, settle, administer. Cheap to
/// clone; every instance on the same database shares one queue.
#[derive(Clone)]
pub struct JobQueue {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

/// A claimed attempt: the job and the lease that lets its holder settle it.
#[derive(Clone, Debug)]
pub struct Lease {
    pub job: job::Model,
    pub token: String,
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl JobQueue {
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_clock(db, Arc::new(SystemClock))
    }

    pub fn with_clock(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Tells this instance's workers to look now (call after the commit
    /// that enqueued; other instances find the job on their next poll).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(super) fn woken(&self) -> &Notify {
        &self.wake
    }

    /// Enqueues `job` on `conn` (the caller's transaction, so a rolled-back
    /// write leaves no job). CONFLICT when a key in `options` is taken.
    pub async fn enqueue<J: JobKind>(
        &self,
        conn: &impl ConnectionTrait,
        job: &J,
        options: Enqueue,
    ) -> AppResult<i64> {
        let has_key = options.active_key.is_some() || options.unique_key.is_some();
        match self.enqueue_if_absent(conn, job, options).await? {
            Some(id) => Ok(id),
            None if has_key => Err(AppError::conflict(
                "job",
                format!("a {} job is already queued or running", J::KIND),
            )),
            None => Err(AppError::internal(anyhow::anyhow!(
                "job insert returned no id"
            ))),
        }
    }

    /// Enqueues `job` for `owner_id` as the only QUEUED-or-RUNNING job with
    /// `key`, and wakes this instance's workers; CONFLICT (with `busy` as
    /// its message) while another holds the key.
    pub async fn start_exclusive<J: JobKind>(
        &self,
        db: &DatabaseConnection,
        job: &J,
        key: &str,
        owner_id: Option<i64>,
        busy: &str,
    ) -> AppResult<i64> {
        let options = Enqueue {
            owner_id,
            active_key: Some(key.to_owned()),
            ..Enqueue::default()
        };
        match self.enqueue_if_absent(db, job, options).await? {
            Some(id) => {
                self.wake();
                Ok(id)
            }
            None => Err(AppError::conflict("job", busy)),
        }
    }

    /// Like [`Self::enqueue`], but `None` (and no error, so the caller's
    /// transaction stays usable) when a key is taken.
    pub async fn enqueue_if_absent<J: JobKind>(
        &self,
        conn: &impl ConnectionTrait,
        job: &J,
        options: Enqueue,
    ) -> AppResult<Option<i64>> {
        Self::enqueue_at(conn, job, options, self.now()).await
    }

    /// [`Self::enqueue_if_absent`] as of `now`, for domain code that holds
    /// the caller's transaction but not the queue (partner webhooks are
    /// emitted from deep inside other domains' writes). The application's
    /// queue runs on the system clock, so `Utc::now()` is its now; workers
    /// find the job at their next poll.
    pub async fn enqueue_at<J: JobKind>(
        conn: &impl ConnectionTrait,
        job: &J,
        options: Enqueue,
        now: DateTime<Utc>,
    ) -> AppResult<Option<i64>> {
        let payload = serde_json::to_string(job).map_err(AppError::internal)?;
        let max_attempts = std::cmp::max(J::options().max_attempts, 1) as i32;
        let insert = Query::insert()
            .into_table(job::Entity)
            .columns([
                job::Column::Kind,
                job::Column::Payload,
                job::Column::State,
                job::Column::Attempts,
                job::Column::MaxAttempts,
                job::Column::RunAt,
                job::Column::OwnerId,
                job::Column::UniqueKey,
                job::Column::ActiveKey,
                job::Column::Progress,
                job::Column::CreatedAt,
                job::Column::UpdatedAt,
            ])
            .values_panic([
                J::KIND.into(),
                payload.into(),
                JobState::Queued.as_str().into(),
                0i32.into(),
                max_attempts.into(),
                options.run_at.unwrap_or(now).into(),
                options.owner_id.into(),
                options.unique_key.into(),
                options.active_key.into(),
                0f64.into(),
                now.into(),
                now.into(),
            ])
            // No target: a clash on either key is "already there", and
            // (unlike a unique violation) leaves a PostgreSQL transaction usable.
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .returning_col(job::Column::Id)
            .to_owned();
        let row = conn.query_one(&insert).await?;
        Ok(match row {
            Some(row) => Some(row.try_get::<i64>("", "id")?),
            None => None,
        })
    }

    /// The kinds that have a job to claim now: one cheap statement per
    /// idle poll, however many kinds are registered.
    pub async fn due_kinds(&self) -> AppResult<Vec<String>> {
        let now = self.now();
        Ok(job::Entity::find()
            .select_only()
            .column(job::Column::Kind)
            .filter(due(now))
            .group_by(job::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Claims up to `limit` due jobs of `kind` for `worker`: QUEUED ones whose
    /// time has come and RUNNING ones whose lease expired (their worker
    /// died). Each claim counts an attempt and starts a lease of `lease`.
    pub async fn claim(
        &self,
        kind: &str,
        limit: usize,
        worker: &str,
        lease: Duration,
    ) -> AppResult<Vec<Lease>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.now();
        let token = uuid::Uuid::new_v4().to_string();
        let mut candidates = Query::select();
        candidates
            .column(job::Column::Id)
            .from(job::Entity)
            .and_where(job::Column::Kind.eq(kind))
            .cond_where(due(now))
            .order_by(job::Column::RunAt, sea_orm::Order::Asc)
            .order_by(job::Column::Id, sea_orm::Order::Asc)
            .limit(limit as u64);
        // PostgreSQL: concurrent claimers skip each other's rows instead of
        // waiting on them. SQLite has one writer at a time, so the UPDATE
        // below is atomic there as it is.
        if self.db.get_database_backend() == DbBackend::Postgres {
            candidates.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let jobs = job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(JobState::Running))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .col_expr(job::Column::LeaseToken, Expr::value(token.clone()))
            .col_expr(job::Column::LeaseUntil, Expr::value(now + to_chrono(lease)))
            .col_expr(job::Column::Worker, Expr::value(worker.to_owned()))
            .col_expr(job::Column::StartedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.in_subquery(candidates))
            .exec_with_returning(&self.db)
            .await?;
        let mut leases: Vec<Lease> = jobs
            .into_iter()
            .map(|job| Lease {
                job,
                token: token.clone(),
            })
            .collect();
        leases.sort_by_key(|l| (l.job.run_at, l.job.id));
        Ok(leases)
    }

    /// The UPDATE that only the holder of `lease` may run, giving the lease
    /// up (every settling statement does).
    fn settle(lease: &Lease, now: DateTime<Utc>) -> sea_orm::UpdateMany<job::Entity> {
        Self::held(lease)
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .col_expr(job::Column::LeaseToken, Expr::value(Value::String(None)))
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(Value::ChronoDateTimeUtc(None)),
            )
    }

    /// The UPDATE that only the holder of `lease` may run.
    fn held(lease: &Lease) -> sea_orm::UpdateMany<job::Entity> {
        job::Entity::update_many()
            .filter(job::Column::Id.eq(lease.job.id))
            .filter(job::Column::State.eq(JobState::Running))
            .filter(job::Column::LeaseToken.eq(lease.token.clone()))
    }

    /// Extends the lease and records progress; `false` when the lease is no
    /// longer ours (cancelled, or taken over after it expired).
    pub async fn heartbeat(
        &self,
        lease: &Lease,
        extend: Duration,
        progress: f64,
        message: Option<String>,
    ) -> AppResult<bool> {
        let now = self.now();
        let done = Self::held(lease)
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(now + to_chrono(extend)),
            )
            .col_expr(job::Column::Progress, Expr::value(progress))
            .col_expr(job::Column::Message, Expr::value(message))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// SUCCEEDED with `result`; `false` when the lease was lost first.
    pub async fn complete(&self, lease: &Lease, result: &str) -> AppResult<bool> {
        let now = self.now();
        let done = Self::settle(lease, now)
            .col_expr(job::Column::State, Expr::value(JobState::Succeeded))
            .col_expr(job::Column::Result, Expr::value(result.to_owned()))
            .col_expr(job::Column::Progress, Expr::value(1.0f64))
            .col_expr(job::Column::Message, Expr::value(result.to_owned()))
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::ActiveKey, Expr::value(Value::String(None)))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// A failed attempt: QUEUED again at `retry_at`, or DEAD when `None`.
    pub async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> AppResult<bool> {
        let now = self.now();
        let mut update = Self::settle(lease, now)
            .col_expr(job::Column::LastError, Expr::value(error.to_owned()));
        update = match retry_at {
            Some(at) => update
                .col_expr(job::Column::State, Expr::value(JobState::Queued))
                .col_expr(job::Column::RunAt, Expr::value(at)),
            None => update
                .col_expr(job::Column::State, Expr::value(JobState::Dead))
                .col_expr(job::Column::FinishedAt, Expr::value(now))
                .col_expr(job::Column::ActiveKey, Expr::value(Value::String(None))),
        };
        Ok(update.exec(&self.db).await?.rows_affected == 1)
    }

    /// Gives an unfinished attempt back (shutdown): QUEUED, due now, and
    /// the attempt does not count against the job.
    pub async fn release(&self, lease: &Lease) -> AppResult<bool> {
        let now = self.now();
        let done = Self::settle(lease, now)
            .col_expr(job::Column::State, Expr::value(JobState::Queued))
            .col_expr(job::Column::RunAt, Expr::value(now))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).sub(1),
            )
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    pub async fn get(&self, id: i64) -> AppResult<Option<job::Model>> {
        Ok(job::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// A DEAD (or CANCELLED) job starts over: QUEUED now with its attempts
    /// reset; its last error is kept until the next attempt settles.
    pub async fn retry(&self, id: i64) -> AppResult<job::Model> {
        let now = self.now();
        let done = job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(JobState::Queued))
            .col_expr(job::Column::Attempts, Expr::value(0i32))
            .col_expr(job::Column::RunAt, Expr::value(now))
            .col_expr(job::Column::Progress, Expr::value(0.0f64))
            .col_expr(
                job::Column::FinishedAt,
                Expr::value(Value::ChronoDateTimeUtc(None)),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::State.is_in([JobState::Dead, JobState::Cancelled]))
            .exec_with_returning(&self.db)
            .await?;
        self.changed_or_explain(id, done, "only a DEAD or CANCELLED job can be retried")
            .await
    }

    /// A QUEUED job will not run; a RUNNING one loses its lease (its worker
    /// stops it at the next heartbeat).
    pub async fn cancel(&self, id: i64) -> AppResult<job::Model> {
        let now = self.now();
        let done = job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(JobState::Cancelled))
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .col_expr(job::Column::LeaseToken, Expr::value(Value::String(None)))
            .col_expr(
                job::Column::LeaseUntil,
                Expr::value(Value::ChronoDateTimeUtc(None)),
            )
            .col_expr(job::Column::ActiveKey, Expr::value(Value::String(None)))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
            .exec_with_returning(&self.db)
            .await?;
        self.changed_or_explain(id, done, "only a QUEUED or RUNNING job can be cancelled")
            .await
    }

    /// The row as the update left it (returned by the update itself: a
    /// worker may claim a retried job at once, and the caller must see what
    /// it did, not what came after), or why nothing changed.
    async fn changed_or_explain(
        &self,
        id: i64,
        updated: Vec<job::Model>,
        refusal: &str,
    ) -> AppResult<job::Model> {
        if let Some(job) = updated.into_iter().next() {
            return Ok(job);
        }
        let job = self
            .get(id)
            .await?
            .ok_or_else(|| AppError::not_found("job"))?;
        Err(AppError::conflict(
            "id",
            format!("{refusal}; this one is {}", job.state.as_str()),
        ))
    }

    /// Newest first, optionally of one state and/or kind, ids below `before`.
    pub async fn list(&self, filter: &ListFilter) -> AppResult<Vec<job::Model>> {
        let mut query = job::Entity::find().order_by_desc(job::Column::Id);
        if let Some(state) = filter.state {
            query = query.filter(job::Column::State.eq(state));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(job::Column::Kind.eq(kind.clone()));
        }
        if let Some(before) = filter.before_id {
            query = query.filter(job::Column::Id.lt(before));
        }
        Ok(query.limit(filter.limit).all(&self.db).await?)
    }

    /// How many jobs there are per kind and state (the queue-depth gauge).
    pub async fn depth(&self) -> AppResult<Vec<(String, JobState, i64)>> {
        let rows: Vec<(String, JobState, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::Kind)
            .column(job::Column::State)
            .column_as(job::Column::Id.count(), "n")
            .group_by(job::Column::Kind)
            .group_by(job::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows)
    }

    /// Deletes finished jobs that ended before `before` (retention).
    pub async fn purge_finished(&self, before: DateTime<Utc>) -> AppResult<u64> {
        Ok(job::Entity::delete_many()
            .filter(job::Column::State.is_in([
                JobState::Succeeded,
                JobState::Cancelled,
                JobState::Dead,
            ]))
            .filter(job::Column::FinishedAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

/// QUEUED and due, or RUNNING with an expired lease (its worker died).
fn due(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(job::Column::State.eq(JobState::Queued))
                .add(job::Column::RunAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(job::Column::State.eq(JobState::Running))
                .add(job::Column::LeaseUntil.lt(now)),
        )
}

/// The admin list's filter.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u64,
}
