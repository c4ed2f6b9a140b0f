//! The workers of one instance: a loop that claims due jobs of every
//! registered kind up to the kind's concurrency, runs each in its own task
//! under the kind's timeout while a heartbeat keeps its lease, and settles
//! it (SUCCEEDED, QUEUED again after a backoff, or DEAD). On shutdown it
//! stops claiming, lets running jobs finish within the grace period, and
//! gives back the leases of those that did not.
use std::{
    collections::HashMap,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use futures::FutureExt;
use rand::Rng;
use tokio::{sync::watch, task::JoinSet};

use super::{
    context::{JobContext, ProgressSink, Reported},
    kind::{Permanent, Registered, Registry},
    queue::{JobQueue, Lease},
};
use crate::{entities::job::JobState, telemetry::Metrics};

/// How an instance's workers behave.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// This instance's name in `jobs.worker`.
    pub instance: String,
    /// How long a claim holds without a heartbeat; a worker that dies is
    /// replaced after at most this long.
    pub lease: Duration,
    /// How often to look for due jobs when not woken.
    pub poll_interval: Duration,
}

impl WorkerConfig {
    /// A name that tells instances apart: host, process id and a random tag.
    pub fn instance_name() -> String {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "vitrine".into());
        let tag: u16 = rand::rng().random();
        format!("{host}-{}-{tag:04x}", std::process::id())
    }
}

/// The running workers; [`Workers::shutdown`] stops them.
pub struct Workers {
    stop: watch::Sender<bool>,
    grace: watch::Sender<Duration>,
    task: Option<tokio::task::JoinHandle<()>>,
}

struct Running {
    lease: Lease,
    kind: &'static str,
    stop: watch::Sender<bool>,
}

impl Workers {
    pub fn start(
        queue: JobQueue,
        registry: Registry,
        config: WorkerConfig,
        sink: Arc<dyn ProgressSink>,
        metrics: Metrics,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let (grace, grace_rx) = watch::channel(Duration::ZERO);
        let pool = Pool {
            queue,
            registry,
            config,
            sink,
            metrics,
        };
        let task = tokio::spawn(pool.run(stop_rx, grace_rx));
        Self {
            stop,
            grace,
            task: Some(task),
        }
    }

    pub fn abort_handle(&self) -> Option<tokio::task::AbortHandle> {
        self.task.as_ref().map(|t| t.abort_handle())
    }

    /// Stops claiming; running jobs have `grace` to finish, then they are
    /// stopped and their leases given back (QUEUED, the attempt not counted).
    pub async fn shutdown(mut self, grace: Duration) {
        self.grace.send_replace(grace);
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

struct Pool {
    queue: JobQueue,
    registry: Registry,
    config: WorkerConfig,
    sink: Arc<dyn ProgressSink>,
    metrics: Metrics,
}

impl Pool {
    async fn run(self, mut stop: watch::Receiver<bool>, grace: watch::Receiver<Duration>) {
        let pool = Arc::new(self);
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, Running> = HashMap::new();
        let mut busy: HashMap<&'static str, usize> = HashMap::new();
        let mut depth_tick = tokio::time::interval(Duration::from_secs(5));
        depth_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut claim_errors = 0u32;
        while !*stop.borrow() {
            let mut claimed = 0;
            let due = match pool.queue.due_kinds().await {
                Ok(kinds) => {
                    claim_errors = 0;
                    kinds
                }
                Err(e) => {
                    claim_errors += 1;
                    // Once per outage, not once per poll.
                    if claim_errors == 1 {
                        tracing::warn!(error = ?e, "jobs: cannot read the queue; retrying");
                    }
                    Vec::new()
                }
            };
            for (kind, registered) in pool.registry.kinds() {
                if !due.iter().any(|d| d == kind) {
                    continue;
                }
                let free = registered
                    .options
                    .concurrency
                    .saturating_sub(busy.get(kind).copied().unwrap_or(0));
                if free == 0 {
                    continue;
                }
                match pool
                    .queue
                    .claim(kind, free, &pool.config.instance, pool.config.lease)
                    .await
                {
                    Ok(leases) => {
                        for lease in leases {
                            claimed += 1;
                            *busy.entry(kind).or_default() += 1;
                            let (job_stop, job_stop_rx) = watch::channel(false);
                            let handle = tasks.spawn(pool.clone().run_one(
                                registered.clone(),
                                lease.clone(),
                                job_stop_rx,
                            ));
                            running.insert(
                                handle.id(),
                                Running {
                                    lease,
                                    kind,
                                    stop: job_stop,
                                },
                            );
                        }
                    }
                    Err(e) => tracing::warn!(kind, error = ?e, "jobs: cannot claim; retrying"),
                }
            }
            while let Some(done) = tasks.try_join_next_with_id() {
                forget(&mut running, &mut busy, done);
            }
            if claimed > 0 {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(pool.config.poll_interval) => {}
                _ = pool.queue.woken().notified() => {}
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    forget(&mut running, &mut busy, done);
                }
                _ = stop.changed() => {}
                _ = depth_tick.tick() => pool.record_depth().await,
            }
        }
        let grace = *grace.borrow();
        let deadline = tokio::time::Instant::now() + grace;
        if !tasks.is_empty() {
            tracing::info!(
                jobs = tasks.len(),
                ?grace,
                "jobs: waiting for running jobs to finish"
            );
        }
        while !tasks.is_empty() {
            tokio::select! {
                Some(done) = tasks.join_next_with_id() => forget(&mut running, &mut busy, done),
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        for r in running.values() {
            r.stop.send_replace(true);
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        for (_, r) in running.drain() {
            match pool.queue.release(&r.lease).await {
                Ok(true) => {
                    pool.metrics.job_finished(r.kind, "released");
                    tracing::warn!(
                        job = r.lease.job.id,
                        kind = r.kind,
                        "jobs: shutdown grace ran out; job given back to the queue"
                    );
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(job = r.lease.job.id, error = ?e, "jobs: could not give a job back; it is retried when its lease expires")
                }
            }
        }
    }

    async fn record_depth(&self) {
        match self.queue.depth().await {
            Ok(rows) => self.metrics.set_job_depth(&rows),
            Err(e) => tracing::debug!(error = ?e, "jobs: depth not read"),
        }
    }

    /// One attempt of one job, from claim to settlement.
    async fn run_one(
        self: Arc<Self>,
        registered: Registered,
        lease: Lease,
        stop: watch::Receiver<bool>,
    ) {
        let job = &lease.job;
        let attempt = job.attempts.max(1) as u32;
        let max_attempts = job.max_attempts.max(1) as u32;
        let ctx = JobContext {
            id: job.id,
            kind: job.kind.clone(),
            attempt,
            max_attempts,
            owner_id: job.owner_id,
            reported: Arc::new(Mutex::new(Reported::default())),
            sink: self.sink.clone(),
            stop,
        };
        let kind = job.kind.as_str();
        if attempt > max_attempts {
            // Each earlier attempt ended with its worker gone (lease expired).
            let error = format!(
                "its worker stopped during {} attempts (last error: {})",
                max_attempts,
                job.last_error.as_deref().unwrap_or("none")
            );
            self.settle_failure(&ctx, &registered, &lease, error, true)
                .await;
            return;
        }
        tracing::info!(job = job.id, kind, attempt, "job started");
        ctx.publish(
            JobState::Running,
            0.0,
            Some(format!("attempt {attempt} of {max_attempts}")),
        )
        .await;
        let started = Instant::now();
        let work =
            AssertUnwindSafe((registered.run)(ctx.clone(), job.payload.clone())).catch_unwind();
        let outcome = tokio::select! {
            outcome = tokio::time::timeout(registered.options.timeout, work) => outcome,
            () = self.keep_lease(&lease, &ctx) => {
                // Cancelled by an admin, or the lease expired and another
                // worker took the job: this attempt's result does not count.
                self.metrics.job_finished(kind, "lost");
                let cancelled = matches!(
                    self.queue.get(job.id).await,
                    Ok(Some(row)) if row.state == JobState::Cancelled
                );
                if cancelled {
                    tracing::info!(job = job.id, kind, "job cancelled while running");
                    ctx.publish(JobState::Cancelled, 0.0, Some("cancelled".into())).await;
                } else {
                    tracing::warn!(job = job.id, kind, "job lease lost; another worker has it");
                }
                return;
            }
        };
        self.metrics
            .observe_job_run(kind, started.elapsed().as_secs_f64());
        let failure = match outcome {
            Ok(Ok(Ok(summary))) => {
                match self.queue.complete(&lease, &summary).await {
                    Ok(true) => {
                        self.metrics.job_finished(kind, "succeeded");
                        tracing::info!(
                            job = job.id,
                            kind,
                            secs = started.elapsed().as_secs_f64(),
                            "job succeeded: {summary}"
                        );
                        ctx.publish(JobState::Succeeded, 1.0, Some(summary)).await;
                    }
                    Ok(false) => tracing::warn!(
                        job = job.id,
                        kind,
                        "job finished after losing its lease; result dropped"
                    ),
                    Err(e) => {
                        tracing::error!(job = job.id, error = ?e, "job finished but could not be recorded; it runs again after its lease")
                    }
                }
                return;
            }
            Ok(Ok(Err(e))) => e,
            Ok(Err(panic)) => anyhow::anyhow!("panicked: {}", panic_message(&panic)),
            Err(_) => anyhow::anyhow!("timed out after {:?}", registered.options.timeout),
        };
        let is_permanent = failure.downcast_ref::<Permanent>().is_some();
        self.settle_failure(
            &ctx,
            &registered,
            &lease,
            format!("{failure:#}"),
            is_permanent,
        )
        .await;
    }

    async fn settle_failure(
        &self,
        ctx: &JobContext,
        registered: &Registered,
        lease: &Lease,
        error: String,
        permanent: bool,
    ) {
        let kind = ctx.kind.as_str();
        let job = lease.job.id;
        if permanent || ctx.is_last_attempt() {
            match self.queue.fail(lease, &error, None).await {
                Ok(true) => {
                    self.metrics.job_finished(kind, "dead");
                    tracing::error!(
                        job,
                        kind,
                        attempt = ctx.attempt,
                        "job failed for good (DEAD): {error}"
                    );
                    ctx.publish(JobState::Dead, 1.0, Some(error)).await;
                }
                Ok(false) => {}
                Err(e) => tracing::error!(job, error = ?e, "job failure could not be recorded"),
            }
            return;
        }
        let unit: f64 = rand::rng().random();
        let delay = registered.options.backoff.delay(ctx.attempt, unit);
        let retry_at = self.queue.now() + chrono::Duration::from_std(delay).unwrap_or_default();
        match self.queue.fail(lease, &error, Some(retry_at)).await {
            Ok(true) => {
                self.metrics.job_finished(kind, "retried");
                tracing::warn!(job, kind, attempt = ctx.attempt, retry_in = ?delay, "job attempt failed: {error}");
                let message = format!(
                    "attempt {} of {} failed: {error}; retrying in {:.0?}",
                    ctx.attempt, ctx.max_attempts, delay
                );
                ctx.publish(JobState::Queued, 0.0, Some(message)).await;
            }
            Ok(false) => {}
            Err(e) => tracing::error!(job, error = ?e, "job failure could not be recorded"),
        }
    }

    /// Extends the lease every third of it, storing the latest progress;
    /// returns when the lease is no longer ours.
    async fn keep_lease(&self, lease: &Lease, ctx: &JobContext) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            let (progress, message) = {
                let r = ctx.reported.lock().unwrap_or_else(PoisonError::into_inner);
                (r.progress, r.message.clone())
            };
            match self
                .queue
                .heartbeat(lease, self.config.lease, progress, message)
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(job = lease.job.id, error = ?e, "jobs: heartbeat failed; retrying")
                }
            }
        }
    }
}

fn forget(
    running: &mut HashMap<tokio::task::Id, Running>,
    busy: &mut HashMap<&'static str, usize>,
    done: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
) {
    let id = match done {
        Ok((id, ())) => id,
        Err(e) => e.id(),
    };
    if let Some(r) = running.remove(&id)
        && let Some(n) = busy.get_mut(r.kind)
    {
        *n = n.saturating_sub(1);
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
