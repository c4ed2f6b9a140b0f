//! Durable jobs (`src/jobs/`) on SQLite and PostgreSQL: transactional
//! enqueue, backoff and DEAD with an injected clock, the admin operations
//! over GraphQL, the scheduler across instances, many workers never
//! running a job twice, a worker process killed mid-job, SIGTERM during a
//! job, and the search reindex job swapping a fresh index in.
mod common;
#[path = "jobs/support.rs"]
mod support;

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use chrono::{Timelike, Utc};
use common::{SignedIn, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{ChildSpec, Slow, completions, spawn_child, wait_exit, wait_for_job, wait_started};
use vitrine::{
    entities::job::{self, JobState},
    jobs::{
        Backoff, Clock, Enqueue, JobKind, JobQueue, KindOptions, ManualClock, Periodic, Registry,
        Schedule, public_id, scheduler,
    },
};

/// Fails while its switch is on.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Flaky {}

impl JobKind for Flaky {
    const KIND: &'static str = "TEST_FLAKY";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 2,
            timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff: Backoff {
                base: Duration::from_secs(10),
                cap: Duration::from_secs(25),
                jitter: 0.2,
            },
        }
    }
}

/// Records its tag.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Tagged {
    tag: String,
}

impl JobKind for Tagged {
    const KIND: &'static str = "TEST_TAGGED";
    fn options() -> KindOptions {
        KindOptions {
            concurrency: 4,
            ..KindOptions::default()
        }
    }
}

/// A periodic job's payload.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Tick {}

impl JobKind for Tick {
    const KIND: &'static str = "TEST_TICK";
}

fn instance_workers(
    app: &TestApp,
    queue: &JobQueue,
    registry: Registry,
    name: &str,
) -> vitrine::jobs::Workers {
    support::workers(
        queue,
        registry,
        name,
        Duration::from_secs(30),
        Arc::new(app.state.realtime.clone()),
        app.state.metrics.clone(),
    )
}

async fn admin(app: &TestApp) -> SignedIn {
    app.user_with_role("ADMIN").await
}

const JOBS: &str = "query($s: JobState, $k: String) { adminJobs(state: $s, kind: $k, first: 10) { edges { node { id kind state attempts maxAttempts lastError } } } }";

/// A write that rolls back leaves no job; one that commits runs once. A
/// key clash inside a transaction leaves it usable (PostgreSQL).
async fn enqueue_follows_the_transaction(app: TestApp) {
    let db = &app.state.db;
    let queue = app.state.jobs.clone();
    let txn = db.begin().await.unwrap();
    queue
        .enqueue(
            &txn,
            &Tagged {
                tag: "rolled back".into(),
            },
            Enqueue::default(),
        )
        .await
        .unwrap();
    txn.rollback().await.unwrap();

    let txn = db.begin().await.unwrap();
    let keyed = Enqueue {
        active_key: Some("tagged-once".into()),
        ..Enqueue::default()
    };
    let first = queue
        .enqueue_if_absent(
            &txn,
            &Tagged {
                tag: "committed".into(),
            },
            keyed.clone(),
        )
        .await
        .unwrap();
    let clash = queue
        .enqueue_if_absent(
            &txn,
            &Tagged {
                tag: "clash".into(),
            },
            keyed.clone(),
        )
        .await
        .unwrap();
    assert!(first.is_some() && clash.is_none());
    txn.commit().await.unwrap();
    let busy = queue
        .enqueue(
            db,
            &Tagged {
                tag: "again".into(),
            },
            keyed,
        )
        .await
        .unwrap_err();
    assert_eq!(busy.code(), "CONFLICT");

    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut registry = Registry::new();
    let record = seen.clone();
    registry.register::<Tagged, _, _>(move |_ctx, job: Tagged| {
        let record = record.clone();
        async move {
            record.lock().unwrap().push(job.tag);
            Ok("tagged".into())
        }
    });
    let workers = instance_workers(&app, &queue, registry, "test-a");
    let done = wait_for_job(db, first.unwrap(), Duration::from_secs(10), |j| {
        j.state == JobState::Succeeded
    })
    .await;
    assert_eq!(done.attempts, 1);
    assert_eq!(done.active_key, None, "the key is free once the job ended");
    tokio::time::sleep(Duration::from_millis(200)).await;
    workers.shutdown(Duration::from_secs(1)).await;
    assert_eq!(*seen.lock().unwrap(), vec!["committed".to_owned()]);
    let rows = job::Entity::find()
        .filter(job::Column::Kind.eq(Tagged::KIND))
        .count(db)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

/// Backoff doubles from the kind's base up to its cap, less at most its
/// jitter, measured on a clock the test moves; the job is DEAD after its
/// last attempt with the error kept; `retryJob` revives it; `cancelJob`
/// stops a queued one; admins only; metrics count the outcomes.
async fn backoff_dead_retry_and_cancel(app: TestApp) {
    let db = &app.state.db;
    let clock = ManualClock::new(Utc::now());
    let queue = JobQueue::with_clock(db.clone(), Arc::new(clock.clone()));
    let failing = Arc::new(AtomicBool::new(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    {
        let failing = failing.clone();
        let runs = runs.clone();
        registry.register::<Flaky, _, _>(move |ctx, _job| {
            let failing = failing.clone();
            let runs = runs.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                anyhow::ensure!(
                    !failing.load(Ordering::SeqCst),
                    "boom on attempt {}",
                    ctx.attempt
                );
                Ok("fine".into())
            }
        });
    }
    let workers = instance_workers(&app, &queue, registry, "test-clock");
    let id = queue
        .enqueue(db, &Flaky {}, Enqueue::default())
        .await
        .unwrap();
    queue.wake();
    for attempt in 1..=4 {
        let row = wait_for_job(db, id, Duration::from_secs(10), |j| {
            j.attempts == attempt && j.state != JobState::Running
        })
        .await;
        assert_eq!(
            row.last_error.as_deref(),
            Some(format!("boom on attempt {attempt}").as_str())
        );
        if attempt == 4 {
            assert_eq!(row.state, JobState::Dead);
            assert!(row.finished_at.is_some());
            break;
        }
        assert_eq!(row.state, JobState::Queued);
        let ceiling = Duration::from_secs((10u64 << (attempt - 1)).min(25));
        let delay = (row.run_at - clock.now()).to_std().unwrap();
        assert!(
            delay <= ceiling && delay >= ceiling.mul_f64(0.8),
            "attempt {attempt}: {delay:?} not in 80–100% of {ceiling:?}"
        );
        // Not a moment early.
        clock.advance(delay - Duration::from_millis(5));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(runs.load(Ordering::SeqCst), attempt as usize);
        clock.advance(Duration::from_millis(5));
    }

    let admin = admin(&app).await;
    let dead = app
        .gql_ok(
            JOBS,
            json!({ "s": "DEAD", "k": Flaky::KIND }),
            Some(&admin.access),
        )
        .await;
    let node = &dead["adminJobs"]["edges"][0]["node"];
    assert_eq!(node["id"], public_id(id));
    assert_eq!(node["attempts"], 4);
    assert_eq!(node["maxAttempts"], 4);
    assert_eq!(node["lastError"], "boom on attempt 4");

    failing.store(false, Ordering::SeqCst);
    let retried = app
        .gql_ok(
            "mutation($id: ID!) { retryJob(id: $id) { state attempts } }",
            json!({ "id": public_id(id) }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(
        retried["retryJob"],
        json!({ "state": "QUEUED", "attempts": 0 })
    );
    let row = wait_for_job(db, id, Duration::from_secs(10), |j| {
        j.state == JobState::Succeeded
    })
    .await;
    assert_eq!(row.attempts, 1);
    let again = app
        .gql(
            "mutation($id: ID!) { retryJob(id: $id) { state } }",
            json!({ "id": public_id(id) }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(common::code(&again), "CONFLICT");

    // Cancelled before its time: it never runs, even once due.
    let later = queue
        .enqueue(
            db,
            &Flaky {},
            Enqueue {
                run_at: Some(clock.now() + chrono::Duration::hours(1)),
                ..Enqueue::default()
            },
        )
        .await
        .unwrap();
    let cancel = "mutation($id: ID!) { cancelJob(id: $id) { state } }";
    let cancelled = app
        .gql_ok(
            cancel,
            json!({ "id": public_id(later) }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(cancelled["cancelJob"]["state"], "CANCELLED");
    let before = runs.load(Ordering::SeqCst);
    clock.advance(Duration::from_secs(7200));
    queue.wake();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs.load(Ordering::SeqCst), before);
    let twice = app
        .gql(
            cancel,
            json!({ "id": public_id(later) }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(common::code(&twice), "CONFLICT");
    let bad = app
        .gql(cancel, json!({ "id": "not-a-job" }), Some(&admin.access))
        .await;
    assert_eq!(common::code(&bad), "VALIDATION");
    let buyer = app.user_with_role("BUYER").await;
    let forbidden = app
        .gql(
            cancel,
            json!({ "id": public_id(later) }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(common::code(&forbidden), "FORBIDDEN");

    workers.shutdown(Duration::from_secs(1)).await;
    let metrics = app.metrics_text().await;
    for line in [
        "jobs_total{kind=\"TEST_FLAKY\",outcome=\"retried\"} 3",
        "jobs_total{kind=\"TEST_FLAKY\",outcome=\"dead\"} 1",
        "jobs_total{kind=\"TEST_FLAKY\",outcome=\"succeeded\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line}");
    }
    assert!(metrics.contains("job_run_seconds_count{kind=\"TEST_FLAKY\"} 5"));
}

/// Two instances (their own queue handles and scheduler loops) ticking the
/// same periodic job: one job per period, however often they tick.
async fn periodic_job_runs_once_per_period(app: TestApp) {
    let db = &app.state.db;
    let start = Utc::now()
        .with_minute(30)
        .and_then(|t| t.with_second(0))
        .unwrap();
    let clock = ManualClock::new(start);
    let instances: Vec<JobQueue> = (0..2)
        .map(|_| JobQueue::with_clock(db.clone(), Arc::new(clock.clone())))
        .collect();
    let hourly = Periodic::new(
        "test-hourly",
        Schedule::Every(Duration::from_secs(3600)),
        Tick {},
        None,
    );
    let count = || async {
        job::Entity::find()
            .filter(job::Column::Kind.eq(Tick::KIND))
            .count(db)
            .await
            .unwrap()
    };
    for period in 1..=2u64 {
        let mut ticks = Vec::new();
        for i in 0..16 {
            let queue = instances[i % 2].clone();
            let hourly = hourly.clone();
            ticks.push(tokio::spawn(
                async move { hourly.tick(&queue).await.unwrap() },
            ));
        }
        let mut enqueued = 0;
        for t in ticks {
            enqueued += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(enqueued, 1, "period {period}");
        assert_eq!(count().await, period);
        clock.advance(Duration::from_secs(3600));
    }
    // The scheduler loops of both instances, ticking every 10 ms.
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let loops: Vec<_> = instances
        .iter()
        .map(|q| {
            tokio::spawn(scheduler::run(
                q.clone(),
                vec![hourly.clone()],
                Duration::from_millis(10),
                stop_rx.clone(),
            ))
        })
        .collect();
    let reaches = |n: u64| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while count().await < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    reaches(3).await;
    assert_eq!(count().await, 3);
    clock.advance(Duration::from_secs(1200));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count().await, 3, "same period");
    clock.advance(Duration::from_secs(1200));
    reaches(4).await;
    assert_eq!(count().await, 4);
    stop.send_replace(true);
    for l in loops {
        l.await.unwrap();
    }
}

/// Three instances' workers, four jobs at a time each, over 120 jobs: every
/// job runs exactly once and never on two workers at the same time.
async fn many_workers_never_share_a_job(app: TestApp) {
    let db = &app.state.db;
    let running = Arc::new(Mutex::new(HashSet::<String>::new()));
    let runs = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let mut pools = Vec::new();
    for n in 0..3 {
        let queue = JobQueue::new(db.clone());
        let mut registry = Registry::new();
        let (running, runs) = (running.clone(), runs.clone());
        registry.register::<Tagged, _, _>(move |_ctx, job: Tagged| {
            let (running, runs) = (running.clone(), runs.clone());
            async move {
                assert!(
                    running.lock().unwrap().insert(job.tag.clone()),
                    "{} twice at once",
                    job.tag
                );
                tokio::time::sleep(Duration::from_millis(5 + (job.tag.len() as u64 % 7))).await;
                running.lock().unwrap().remove(&job.tag);
                *runs.lock().unwrap().entry(job.tag).or_default() += 1;
                Ok("ran".into())
            }
        });
        pools.push(instance_workers(
            &app,
            &queue,
            registry,
            &format!("pool-{n}"),
        ));
    }
    let txn = db.begin().await.unwrap();
    for i in 0..120 {
        app.state
            .jobs
            .enqueue(
                &txn,
                &Tagged {
                    tag: format!("job-{i}"),
                },
                Enqueue::default(),
            )
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = job::Entity::find()
            .filter(job::Column::Kind.eq(Tagged::KIND))
            .filter(job::Column::State.eq(JobState::Succeeded))
            .count(db)
            .await
            .unwrap();
        if done == 120 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{done} of 120 done");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for p in pools {
        p.shutdown(Duration::from_secs(1)).await;
    }
    {
        let runs = runs.lock().unwrap();
        assert_eq!(runs.len(), 120);
        assert!(runs.values().all(|n| *n == 1), "{runs:?}");
    }
    let workers: HashSet<String> = job::Entity::find()
        .filter(job::Column::Kind.eq(Tagged::KIND))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| j.worker)
        .collect();
    assert!(workers.len() >= 2, "the work was shared: {workers:?}");
}

/// A worker process killed (SIGKILL) mid-job: another instance takes the
/// job once the lease expires and completes it, exactly once.
async fn killed_worker_process_is_replaced(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let id = app
        .state
        .jobs
        .enqueue(
            &app.state.db,
            &Slow {
                ms: 600_000,
                dir: dir.path().display().to_string(),
            },
            Enqueue::default(),
        )
        .await
        .unwrap();
    let mut child = spawn_child(&ChildSpec {
        database_url: &app.vars["DATABASE_URL"],
        mode: "hang",
        lease: Duration::from_secs(1),
        grace: Duration::from_secs(1),
    });
    wait_started(dir.path()).await;
    let running = wait_for_job(&app.state.db, id, Duration::from_secs(5), |j| {
        j.state == JobState::Running
    })
    .await;
    assert!(running.worker.as_deref().unwrap().starts_with("child-"));
    child.kill().unwrap();
    child.wait().unwrap();

    let mut registry = Registry::new();
    registry.register::<Slow, _, _>(|_ctx, job: Slow| async move {
        support::record_completion(&job.dir, "survivor");
        Ok("done".into())
    });
    let workers = instance_workers(&app, &app.state.jobs, registry, "survivor");
    let done = wait_for_job(&app.state.db, id, Duration::from_secs(20), |j| {
        j.state == JobState::Succeeded
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    workers.shutdown(Duration::from_secs(1)).await;
    assert_eq!(done.attempts, 2, "the killed attempt counts");
    assert_eq!(done.worker.as_deref(), Some("survivor"));
    assert_eq!(completions(dir.path()), vec!["survivor".to_owned()]);
}

/// SIGTERM while a job runs: within the grace it finishes; past the grace
/// its lease is given back at once (not left to expire) and another
/// instance completes it.
async fn sigterm_finishes_or_gives_back(app: TestApp) {
    let db = &app.state.db;
    let url = app.vars["DATABASE_URL"].clone();
    for (ms, grace) in [
        (1_500, Duration::from_secs(20)),
        (600_000, Duration::from_millis(300)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let job = Slow {
            ms,
            dir: dir.path().display().to_string(),
        };
        let id = app
            .state
            .jobs
            .enqueue(db, &job, Enqueue::default())
            .await
            .unwrap();
        let mut child = spawn_child(&ChildSpec {
            database_url: &url,
            mode: "normal",
            lease: Duration::from_secs(60),
            grace,
        });
        wait_started(dir.path()).await;
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
        let row = app.state.jobs.get(id).await.unwrap().unwrap();
        if ms < 10_000 {
            assert_eq!(row.state, JobState::Succeeded, "finished within the grace");
            assert_eq!(completions(dir.path()), vec!["child".to_owned()]);
            continue;
        }
        assert_eq!(row.state, JobState::Queued, "given back");
        assert_eq!(row.attempts, 0, "the interrupted attempt does not count");
        assert!(row.lease_token.is_none());
        let mut registry = Registry::new();
        registry.register::<Slow, _, _>(|_ctx, job: Slow| async move {
            support::record_completion(&job.dir, "next");
            Ok("done".into())
        });
        let workers = instance_workers(&app, &app.state.jobs, registry, "next");
        // Well before the 60 s lease could have expired.
        let done = wait_for_job(db, id, Duration::from_secs(10), |j| {
            j.state == JobState::Succeeded
        })
        .await;
        workers.shutdown(Duration::from_secs(1)).await;
        assert_eq!(done.attempts, 1);
        assert_eq!(completions(dir.path()), vec!["next".to_owned()]);
    }
}

/// The other half of the process tests: only runs when started by them.
#[tokio::test]
#[ignore = "started as a child process by the process-level job tests"]
async fn child_worker_process() {
    if let Ok(url) = std::env::var("VITRINE_JOBS_CHILD_DB") {
        support::child_main(url).await;
    }
}

const SEARCH_USERS: &str =
    "query($q: String!) { search(query: $q, types: [USER]) { users { totalCount } } }";

/// `reindexSearch` rebuilds a fresh tantivy index beside the live one and
/// swaps it in; searches keep working throughout, accounts registered
/// during the rebuild are found after it, progress reaches `jobProgress`,
/// and the old index directory is gone.
async fn reindex_swaps_a_fresh_index_in(app: TestApp) {
    let admin = admin(&app).await;
    for i in 0..40 {
        app.register(&format!("before{i}@example.com"), &format!("earlybird{i}"))
            .await;
    }
    let search_root = app.data_dir.join("search");
    let live_before: Vec<String> = index_dirs(&search_root);
    let started = app
        .gql_ok(
            "mutation { reindexSearch { id state kind } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let job_id = started["reindexSearch"]["id"].as_str().unwrap().to_owned();
    assert_eq!(started["reindexSearch"]["kind"], "SEARCH_REINDEX");
    let busy = app
        .gql(
            "mutation { reindexSearch { id } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let state = app
        .state
        .jobs
        .get(vitrine::jobs::parse_public_id(&job_id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .state;
    if !state.is_final() {
        assert_eq!(common::code(&busy), "CONFLICT");
    }
    for i in 0..10 {
        app.register(&format!("during{i}@example.com"), &format!("nightowl{i}"))
            .await;
        let found = app
            .gql_ok(
                SEARCH_USERS,
                json!({ "q": "earlybird3" }),
                Some(&admin.access),
            )
            .await;
        assert_eq!(
            found["search"]["users"]["totalCount"], 1,
            "search works during the rebuild"
        );
    }
    let progress = app
        .gql_ok(
            "query($s: JobState) { adminJobs(state: $s, kind: \"SEARCH_REINDEX\") { edges { node { id } } } }",
            json!({ "s": null }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(
        progress["adminJobs"]["edges"][0]["node"]["id"],
        job_id.as_str()
    );
    let id = vitrine::jobs::parse_public_id(&job_id).unwrap();
    let done = wait_for_job(&app.state.db, id, Duration::from_secs(60), |j| {
        j.state.is_final()
    })
    .await;
    assert_eq!(done.state, JobState::Succeeded, "{done:?}");
    assert!(done.result.unwrap().contains("documents"));
    // Every sign-up during the rebuild is in the new index (the last ones
    // within the indexer's one-second commit).
    for i in 0..10 {
        let mut total = Value::Null;
        for _ in 0..50 {
            let found = app
                .gql_ok(
                    SEARCH_USERS,
                    json!({ "q": format!("nightowl{i}") }),
                    Some(&admin.access),
                )
                .await;
            total = found["search"]["users"]["totalCount"].clone();
            if total == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(total, 1, "nightowl{i} after the swap");
    }
    let live_after = index_dirs(&search_root);
    assert_eq!(live_after.len(), 1, "{live_after:?}");
    assert!(
        !live_before.contains(&live_after[0]),
        "a fresh directory is live"
    );
    let current = std::fs::read_to_string(search_root.join("CURRENT")).unwrap();
    assert_eq!(current.trim(), live_after[0]);
    // A late subscriber still learns how it ended.
    let mut client = common::realtime::NodeClient::spawn().await;
    client
        .connect("admin", &app.ws_url(), Some(&admin.access))
        .await;
    client
        .subscribe(
            "admin",
            "j",
            "subscription($j: ID!) { jobProgress(jobId: $j) { jobId kind state progress } }",
            json!({ "j": job_id }),
        )
        .await;
    let event: Value = client.next("j").await["data"]["jobProgress"].clone();
    assert_eq!(event["state"], "SUCCEEDED");
    assert_eq!(event["progress"], 1.0);
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "j")
        .await;
    // Not someone else's business.
    let buyer = app.user_with_role("BUYER").await;
    client
        .connect("buyer", &app.ws_url(), Some(&buyer.access))
        .await;
    client
        .subscribe(
            "buyer",
            "spy",
            "subscription($j: ID!) { jobProgress(jobId: $j) { state } }",
            json!({ "j": job_id }),
        )
        .await;
    let refused = client.next("spy").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
}

fn index_dirs(root: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tantivy-"))
        .collect()
}

on_both_databases!(
    enqueue_follows_the_transaction,
    backoff_dead_retry_and_cancel,
    periodic_job_runs_once_per_period,
    many_workers_never_share_a_job,
    killed_worker_process_is_replaced,
    sigterm_finishes_or_gives_back,
    reindex_swaps_a_fresh_index_in,
);
