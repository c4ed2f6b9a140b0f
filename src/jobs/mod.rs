//! Durable background work: a job queue in the application's own database
//! (SQLite or PostgreSQL), the workers that run it, the scheduler of
//! periodic jobs, and [`Background`], the one owner of every background
//! loop of an instance (workers, scheduler, search indexer, real-time
//! bridge, model reload), started together and stopped together.
//!
//! ## Why our own queue
//! apalis (with its SQL storages) was the library to beat, and it falls
//! short on the first requirement: a job must be enqueued in the *same
//! transaction* as the write that causes it, so that a rolled-back write
//! leaves no job. apalis-sql pushes through its own sqlx pool and types,
//! outside a sea-orm transaction; wrapping it would mean two connections
//! and no atomicity. The queue here is one table (`jobs`, migration
//! `m20261130_000009`) and a handful of conditional statements
//! ([`queue`]), so [`JobQueue::enqueue`] takes any sea-orm connection,
//! the caller's transaction included.
//!
//! ## Semantics
//! - **States**: QUEUED → RUNNING → SUCCEEDED; a failed attempt goes back
//!   to QUEUED with `run_at` = now + backoff (exponential, jittered,
//!   capped: [`Backoff`]); after the kind's `max_attempts` it is DEAD with
//!   its last error kept. An admin may cancel a QUEUED or RUNNING job
//!   (CANCELLED) or retry a DEAD one.
//! - **At least once, never twice at once**: claiming sets a lease token
//!   and `lease_until`; a heartbeat extends it every third of the lease.
//!   A job whose worker died (process killed) is claimed again by any
//!   instance once its lease expires. Every settling statement is
//!   conditional on the lease token, so a worker that lost its lease cannot
//!   overwrite the new holder's outcome, and it stops the attempt at its
//!   next heartbeat. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`;
//!   SQLite's single writer makes the claiming UPDATE atomic.
//! - **Per kind**: concurrency (per instance), timeout, attempts, backoff
//!   ([`KindOptions`]). Handlers should be idempotent: at-least-once means
//!   an attempt cut short by a crash runs again.
//! - **Keys**: `unique_key` enqueues at most once ever (a scheduler
//!   period); `active_key` allows one QUEUED-or-RUNNING job per key (one
//!   recommender training at a time).
//! - **Progress** (RT-7): every job publishes RUNNING, its handler's
//!   progress, and its outcome (SUCCEEDED, QUEUED for a retry, DEAD,
//!   CANCELLED) to `jobProgress(jobId)`.
//! - **Metrics**: `jobs_total{kind,outcome}`, `jobs_queue_depth{kind,state}`,
//!   `job_run_seconds{kind}`.
//! - **Shutdown**: workers stop claiming; running jobs have
//!   `VITRINE_SHUTDOWN_GRACE` to finish, then are stopped and given back
//!   to the queue (QUEUED, the attempt not counted).
pub mod background;
pub mod clock;
pub mod context;
pub mod kind;
pub mod kinds;
pub mod queue;
pub mod scheduler;
pub mod watch;
pub mod worker;

pub use background::{AbortHandles, Background};
pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{JobContext, ProgressSink, parse_public_id, public_id};
pub use kind::{Backoff, HandlerResult, JobKind, KindOptions, Permanent, Registry, permanent};
pub use queue::{Enqueue, JobQueue, Lease, ListFilter};
pub use scheduler::{Periodic, Schedule};
pub use worker::{WorkerConfig, Workers};
