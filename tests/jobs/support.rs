//! Test job kinds, a worker pool over a test app's database, and the child
//! process that runs workers for the process-level tests (this test binary
//! started again with `child_worker_process`).
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use vitrine::{
    entities::job,
    jobs::{
        Backoff, JobContext, JobKind, JobQueue, KindOptions, ProgressSink, Registry, WorkerConfig,
        Workers,
    },
    realtime::JobProgress,
    telemetry::Metrics,
};

/// A job that sleeps `ms` (in a child in `hang` mode: forever), writing
/// `<dir>/started-<pid>` when it starts and a line to `<dir>/completions`
/// when it ends.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Slow {
    pub ms: u64,
    pub dir: String,
}

impl JobKind for Slow {
    const KIND: &'static str = "TEST_SLOW";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(3600),
            max_attempts: 3,
            backoff: Backoff::default(),
        }
    }
}

/// Records one completion of a [`Slow`] job by `who`.
pub fn record_completion(dir: &str, who: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::path::Path::new(dir).join("completions"))
        .expect("completions file");
    writeln!(file, "{who}").expect("write completion");
}

pub fn completions(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("completions"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Progress goes nowhere in a child process (no subscribers there).
pub struct Unobserved;

#[async_trait::async_trait]
impl ProgressSink for Unobserved {
    async fn publish(&self, _owner_id: Option<i64>, _event: JobProgress) {}
}

/// Workers for `registry` on `queue`, named `instance`.
pub fn workers(
    queue: &JobQueue,
    registry: Registry,
    instance: &str,
    lease: Duration,
    sink: Arc<dyn ProgressSink>,
    metrics: Metrics,
) -> Workers {
    Workers::start(
        queue.clone(),
        registry,
        WorkerConfig {
            instance: instance.to_owned(),
            lease,
            poll_interval: Duration::from_millis(20),
        },
        sink,
        metrics,
    )
}

/// Polls job `id` until `done` holds (or fails after `within`).
pub async fn wait_for_job(
    db: &DatabaseConnection,
    id: i64,
    within: Duration,
    done: impl Fn(&job::Model) -> bool,
) -> job::Model {
    use sea_orm::EntityTrait;
    let deadline = Instant::now() + within;
    loop {
        let row = job::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("read job")
            .expect("job exists");
        if done(&row) {
            return row;
        }
        assert!(Instant::now() < deadline, "job never got there: {row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What a child process is asked to do.
pub struct ChildSpec<'a> {
    pub database_url: &'a str,
    /// `hang`: Slow jobs never end; `normal`: they sleep their `ms`.
    pub mode: &'a str,
    pub lease: Duration,
    pub grace: Duration,
}

/// Starts this test binary again as a worker process.
pub fn spawn_child(spec: &ChildSpec<'_>) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "child_worker_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("VITRINE_JOBS_CHILD_DB", spec.database_url)
        .env("VITRINE_JOBS_CHILD_MODE", spec.mode)
        .env(
            "VITRINE_JOBS_CHILD_LEASE_MS",
            spec.lease.as_millis().to_string(),
        )
        .env(
            "VITRINE_JOBS_CHILD_GRACE_MS",
            spec.grace.as_millis().to_string(),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the child worker")
}

/// The child's side: workers for [`Slow`] until SIGTERM/SIGINT, then a
/// shutdown with the given grace.
pub async fn child_main(url: String) {
    let env_ms = |name: &str| {
        Duration::from_millis(
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000),
        )
    };
    let hang = std::env::var("VITRINE_JOBS_CHILD_MODE").as_deref() == Ok("hang");
    let db = sea_orm::Database::connect(&url).await.expect("child db");
    let queue = JobQueue::new(db);
    let mut registry = Registry::new();
    registry.register::<Slow, _, _>(move |_ctx: JobContext, job: Slow| async move {
        let pid = std::process::id();
        std::fs::write(
            std::path::Path::new(&job.dir).join(format!("started-{pid}")),
            "",
        )?;
        if hang {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_millis(job.ms)).await;
        record_completion(&job.dir, "child");
        Ok("slept".into())
    });
    let workers = workers(
        &queue,
        registry,
        &format!("child-{}", std::process::id()),
        env_ms("VITRINE_JOBS_CHILD_LEASE_MS"),
        Arc::new(Unobserved),
        Metrics::new(),
    );
    vitrine::server::shutdown_signal().await;
    workers
        .shutdown(env_ms("VITRINE_JOBS_CHILD_GRACE_MS"))
        .await;
}

/// Waits for a `started-*` marker in `dir`.
pub async fn wait_started(dir: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let started = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("started-"))
            })
            .unwrap_or(false);
        if started {
            return;
        }
        assert!(Instant::now() < deadline, "the child never started the job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits up to `within` for `child` to exit; its status.
pub fn wait_exit(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
