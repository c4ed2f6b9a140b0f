//! `make bench-jobs`: the durable job queue on SQLite and PostgreSQL, with
//! one and with two instances (each its own pool, queue handle and
//! workers, as separate processes would have).
//!
//! - enqueue → start latency: jobs enqueued one at a time, 20 ms apart,
//!   from an API-only handle (so workers learn of them by polling, as
//!   on another instance), and from the workers' own instance (woken at
//!   once);
//! - throughput: a burst of no-op jobs enqueued in one transaction, drained
//!   by the workers (8 at a time per instance);
//! - baseline: single-row UPDATEs per second on the same database, so each
//!   job's cost reads as "n statements' worth".
//!
//! Results: `bench/results/jobs.md`.
use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

mod stats;

use clap::Parser;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use vitrine::{
    jobs::{
        Enqueue, JobContext, JobKind, JobQueue, KindOptions, ProgressSink, Registry, WorkerConfig,
        Workers,
    },
    realtime::JobProgress,
    telemetry::Metrics,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "bench/results/jobs.md")]
    out: PathBuf,
    /// PostgreSQL server (a database is created for the run and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Jobs in the throughput burst.
    #[arg(long, default_value_t = 2000)]
    burst: usize,
    /// Jobs timed one by one for latency.
    #[arg(long, default_value_t = 200)]
    latency_jobs: usize,
    /// How often idle workers poll.
    #[arg(long, default_value = "100ms")]
    poll: String,
}

/// Does nothing but say when it started.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Noop {
    enqueued_at_us: i64,
}

impl JobKind for Noop {
    const KIND: &'static str = "BENCH_NOOP";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 8,
            ..KindOptions::default()
        }
    }
}

struct Quiet;

#[async_trait::async_trait]
impl ProgressSink for Quiet {
    async fn publish(&self, _owner: Option<i64>, _event: JobProgress) {}
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

type Starts = Arc<Mutex<Vec<f64>>>;

async fn instance(
    url: &str,
    name: &str,
    poll: Duration,
    starts: Starts,
) -> anyhow::Result<(JobQueue, Workers)> {
    let db = Database::connect(url).await?;
    let queue = JobQueue::new(db);
    let mut registry = Registry::new();
    registry.register::<Noop, _, _>(move |_ctx: JobContext, job: Noop| {
        let starts = starts.clone();
        async move {
            let waited = (now_us() - job.enqueued_at_us) as f64 / 1000.0;
            if let Ok(mut s) = starts.lock() {
                s.push(waited);
            }
            Ok(String::new())
        }
    });
    let workers = Workers::start(
        queue.clone(),
        registry,
        WorkerConfig {
            instance: name.to_owned(),
            lease: Duration::from_secs(30),
            poll_interval: poll,
        },
        Arc::new(Quiet),
        Metrics::new(),
    );
    Ok((queue, workers))
}

struct Row {
    db: &'static str,
    instances: usize,
    polled_p50: f64,
    polled_p99: f64,
    woken_p50: f64,
    woken_p99: f64,
    jobs_per_sec: f64,
    updates_per_sec: f64,
}

async fn wait_drained(starts: &Starts, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while starts.lock().map(|s| s.len()).unwrap_or(0) < n {
        anyhow::ensure!(
            Instant::now() < deadline,
            "jobs did not drain in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

async fn latency(
    queue: &JobQueue,
    starts: &Starts,
    n: usize,
    wake: bool,
) -> anyhow::Result<(f64, f64)> {
    starts
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clear();
    for _ in 0..n {
        queue
            .enqueue(
                queue.db(),
                &Noop {
                    enqueued_at_us: now_us(),
                },
                Enqueue::default(),
            )
            .await
            .map_err(|e| e.into_anyhow())?;
        if wake {
            queue.wake();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_drained(starts, n).await?;
    let mut s = starts
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    s.sort_by(f64::total_cmp);
    Ok((stats::percentile(&s, 0.5), stats::percentile(&s, 0.99)))
}

async fn updates_per_sec(db: &DatabaseConnection) -> anyhow::Result<f64> {
    let backend = db.get_database_backend();
    db.execute_unprepared("CREATE TABLE bench_counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .await?;
    db.execute_unprepared("INSERT INTO bench_counter (id, n) VALUES (1, 0)")
        .await?;
    let sql = match backend {
        DbBackend::Postgres => "UPDATE bench_counter SET n = n + $1 WHERE id = 1",
        _ => "UPDATE bench_counter SET n = n + ? WHERE id = 1",
    };
    let n = 2000;
    let started = Instant::now();
    for _ in 0..n {
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [1i64.into()]))
            .await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

async fn run(
    db_name: &'static str,
    url: &str,
    instances: usize,
    args: &Args,
) -> anyhow::Result<Row> {
    let poll =
        vitrine::config::parse_duration(&args.poll).ok_or_else(|| anyhow::anyhow!("--poll"))?;
    let starts: Starts = Arc::new(Mutex::new(Vec::new()));
    let mut running = Vec::new();
    for i in 0..instances {
        running.push(instance(url, &format!("bench-{i}"), poll, starts.clone()).await?);
    }
    // An API-only instance: enqueues, runs nothing, wakes no one.
    let api = JobQueue::new(Database::connect(url).await?);
    let (polled_p50, polled_p99) = latency(&api, &starts, args.latency_jobs, false).await?;
    let (woken_p50, woken_p99) = latency(&running[0].0, &starts, args.latency_jobs, true).await?;

    starts
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clear();
    let started = Instant::now();
    let txn = api.db().begin().await?;
    for _ in 0..args.burst {
        api.enqueue(
            &txn,
            &Noop {
                enqueued_at_us: now_us(),
            },
            Enqueue::default(),
        )
        .await
        .map_err(|e| e.into_anyhow())?;
    }
    txn.commit().await?;
    for (queue, _) in &running {
        queue.wake();
    }
    wait_drained(&starts, args.burst).await?;
    let jobs_per_sec = args.burst as f64 / started.elapsed().as_secs_f64();
    for (_, workers) in running {
        workers.shutdown(Duration::from_secs(5)).await;
    }
    let updates_per_sec = updates_per_sec(api.db()).await?;
    api.db()
        .execute_unprepared("DROP TABLE bench_counter")
        .await?;
    api.db().execute_unprepared("DELETE FROM jobs").await?;
    Ok(Row {
        db: db_name,
        instances,
        polled_p50,
        polled_p99,
        woken_p50,
        woken_p99,
        jobs_per_sec,
        updates_per_sec,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    let admin = Database::connect(&args.postgres_url).await?;
    let name = format!("vitrine_bench_jobs_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let postgres = format!(
        "{}/{name}",
        args.postgres_url
            .rsplit_once('/')
            .map_or(args.postgres_url.as_str(), |(b, _)| b)
    );
    let mut rows = Vec::new();
    let outcome: anyhow::Result<()> = async {
        for (db_name, url) in [
            ("SQLite", sqlite.as_str()),
            ("PostgreSQL", postgres.as_str()),
        ] {
            // WAL and a busy timeout, as the server opens SQLite.
            let config = vitrine::config::Config::from_lookup(|k| match k {
                "DATABASE_URL" => Some(url.to_owned()),
                "VITRINE_JWT_SECRET" => Some("bench-secret-bench-secret-bench-secret-0123".into()),
                _ => None,
            })?;
            let db = vitrine::db::connect(&config, &Metrics::new()).await?;
            vitrine::db::migrate(&db).await?;
            drop(db);
            for instances in [1, 2] {
                eprintln!("jobs bench: {db_name}, {instances} instance(s)…");
                rows.push(run(db_name, url, instances, &args).await?);
            }
        }
        Ok(())
    }
    .await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    outcome?;
    let mut out = format!(
        "# Jobs benchmark\n\nNo-op jobs (`BENCH_NOOP`), workers 8 at a time per instance, poll every {}; \
         {} jobs timed one by one for latency (20 ms apart), a burst of {} for throughput. \
         Baseline: single-row UPDATEs per second on the same database, one connection.\n\n\
         | database | instances | enqueue→start p50 / p99, other instance (polled) | same instance (woken) | jobs/s (burst) | UPDATEs/s | jobs/s ÷ UPDATEs/s |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        args.poll, args.latency_jobs, args.burst
    );
    for r in &rows {
        out.push_str(&format!(
            "| {} | {} | {:.1} / {:.1} ms | {:.1} / {:.1} ms | {:.0} | {:.0} | {:.3} |\n",
            r.db,
            r.instances,
            r.polled_p50,
            r.polled_p99,
            r.woken_p50,
            r.woken_p99,
            r.jobs_per_sec,
            r.updates_per_sec,
            r.jobs_per_sec / r.updates_per_sec
        ));
    }
    std::fs::create_dir_all(args.out.parent().unwrap_or(std::path::Path::new(".")))?;
    std::fs::write(&args.out, &out)?;
    print!("{out}");
    Ok(())
}
