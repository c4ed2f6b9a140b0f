//! `peers-bench` (`make bench-peers`, issue 20): vitrine side by side with
//! two Node.js peers (Apollo Server and graphql-yoga, `bench/peers/`) that
//! serve the same schema slice from the same demo SQLite file with the same
//! SQL, and a bare async-graphql + axum server (`bare-graphql`) as the floor
//! of `{ __typename }`.
//!
//! Each server runs pinned to one CPU, the load generator (`wrk`) to the
//! other. The harness first checks that every server answers each query with
//! the same JSON as vitrine (and exits non-zero otherwise), then measures
//! requests per second at saturation, server CPU per request (from
//! `/proc/<pid>/stat`) and p50 latency at one connection, in interleaved
//! repetitions, and writes `bench/results/peers.md`. vitrine on PostgreSQL
//! and vitrine with per-IP rate-limit windows of 100 ms and 1 s run beside.
mod peers_load;
mod peers_report;
mod peers_servers;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

use peers_load::Run;
use peers_servers::{Kind, Server, Spawn};

#[derive(Parser, Clone)]
#[command(about = "vitrine beside Node.js GraphQL peers on the same queries and data")]
pub struct Args {
    /// Where the results go (relative paths: from the workspace root).
    #[arg(long, default_value = "bench/results/peers.md")]
    out: PathBuf,
    /// The Node.js peers' project (`npm ci` done).
    #[arg(long, default_value = "bench/peers")]
    peers_dir: PathBuf,
    /// Connections of the saturation runs.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Seconds of each saturation run.
    #[arg(long, default_value_t = 3)]
    seconds: u32,
    /// Seconds of each one-connection (latency) run.
    #[arg(long, default_value_t = 2)]
    latency_seconds: u32,
    /// Seconds of load per server and query before the first repetition.
    #[arg(long, default_value_t = 2)]
    warmup_seconds: u32,
    /// Interleaved repetitions; the table shows their medians.
    #[arg(long, default_value_t = 3)]
    repetitions: usize,
    /// PostgreSQL server (a database is created for the run and dropped).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Skip vitrine on PostgreSQL.
    #[arg(long)]
    no_postgres: bool,
    /// The CPU the servers are pinned to.
    #[arg(long, default_value_t = 1)]
    server_cpu: usize,
    /// The CPU the load generator (and this harness) is pinned to.
    #[arg(long, default_value_t = 0)]
    load_cpu: usize,
}

/// The per-IP (anonymous) rate limit of the main vitrine instances: the
/// shipped 60 s window with a limit no benchmark reaches.
pub const IP_LIMIT: &str = "1000000000/60s";
/// The per-user limit (no request here signs in).
pub const USER_LIMIT: &str = "1000000000/60s";
/// The windows of the rate-limiter comparison, with the same limit.
pub const WINDOWS: [(&str, &str); 3] = [
    ("100 ms", "1000000000/100ms"),
    ("1 s", "1000000000/1s"),
    ("60 s", "1000000000/60s"),
];
const JWT_SECRET: &str = "peers-bench-secret-peers-bench-secret-0000";

/// The benchmark's queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueryKey {
    Catalogue,
    Product,
    Typename,
}

impl QueryKey {
    pub const ALL: [QueryKey; 3] = [Self::Catalogue, Self::Product, Self::Typename];

    pub fn file(self) -> &'static str {
        match self {
            Self::Catalogue => "catalogue.graphql",
            Self::Product => "product.graphql",
            Self::Typename => "typename.graphql",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Catalogue => "catalogue",
            Self::Product => "product",
            Self::Typename => "typename",
        }
    }
}

/// Server labels.
pub const VITRINE: &str = "vitrine";
pub const APOLLO: &str = "apollo";
pub const YOGA: &str = "yoga";
pub const BARE: &str = "bare";
pub const VITRINE_PG: &str = "vitrine-pg";

pub fn window_label(window: &str) -> String {
    format!("vitrine-{}", window.replace(' ', ""))
}

/// One saturation run and one latency run of a server on a query.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub rps: f64,
    pub cpu_us: f64,
    pub p50_ms: Option<f64>,
}

/// Samples by query and server label.
pub type Results = BTreeMap<(QueryKey, String), Vec<Sample>>;

/// Requests of the statement count, one after another.
const COUNTED_REQUESTS: u64 = 20;

/// What the report says about how it was measured.
pub struct Method {
    pub args: Args,
    pub product_id: String,
    pub product_name: String,
    pub versions: Vec<(String, String)>,
    pub vitrine_idle_share: f64,
    pub byte_identical: Vec<String>,
    /// Answers equal as JSON, of the same length, in another field order.
    pub reordered: Vec<String>,
    /// SQL statements per request by query and server label.
    pub statements: BTreeMap<(QueryKey, String), f64>,
    pub seed_secs: f64,
    pub total_secs: f64,
    /// The 1-minute load average when measuring began and ended: other
    /// work on the machine competes for the CPUs.
    pub load: (String, String),
    pub cpu_model: String,
    pub postgres: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("bench/ has no parent")?
        .to_path_buf();
    for path in [&mut args.out, &mut args.peers_dir] {
        if path.is_relative() {
            *path = root.join(&*path);
        }
    }
    let started = Instant::now();
    let bin_dir = std::env::current_exe()?
        .parent()
        .context("no directory of the executable")?
        .to_path_buf();
    let vitrine = bin_dir.join("vitrine");
    let bare = bin_dir.join("bare-graphql");
    for (bin, how) in [
        (&vitrine, "cargo build --release --bin vitrine"),
        (
            &bare,
            "cargo build --release -p vitrine-bench --bin bare-graphql",
        ),
    ] {
        if !bin.exists() {
            bail!(
                "{} is missing: run `{how}` (or `make bench-peers`)",
                bin.display()
            );
        }
    }
    if !args.peers_dir.join("node_modules").exists() {
        bail!(
            "{}/node_modules is missing: run `npm ci` there (or `make bench-peers`)",
            args.peers_dir.display()
        );
    }
    let work = tempfile::Builder::new()
        .prefix("vitrine-peers-")
        .tempdir()?;
    let logs = work.path().join("logs");
    std::fs::create_dir_all(&logs)?;
    eprintln!("peers-bench: working in {}", work.path().display());

    // A database for vitrine on PostgreSQL, seeded beside the SQLite one.
    let postgres = if args.no_postgres {
        None
    } else {
        match Database::connect(&args.postgres_url).await {
            Ok(admin) => {
                let name = format!("vitrine_bench_peers_{}", std::process::id());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let base = args
                    .postgres_url
                    .rsplit_once('/')
                    .map_or(args.postgres_url.as_str(), |(b, _)| b);
                Some((admin, name.clone(), format!("{base}/{name}")))
            }
            Err(e) => {
                eprintln!("!! PostgreSQL unreachable ({e}): vitrine on PostgreSQL is skipped");
                None
            }
        }
    };
    let outcome = run(
        &args,
        &vitrine,
        &bare,
        work.path(),
        &logs,
        postgres.as_ref().map(|p| p.2.as_str()),
        started,
    )
    .await;
    if let Some((admin, name, _)) = &postgres {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
    if outcome.is_err() {
        // Keep the logs and answers for whoever reads the error.
        let kept = work.keep();
        eprintln!("peers-bench: logs and answers kept in {}", kept.display());
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn run(
    args: &Args,
    vitrine: &Path,
    bare: &Path,
    work: &Path,
    logs: &Path,
    postgres_url: Option<&str>,
    started: Instant,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;

    // The demo shop, seeded by the release binary (SQLite and PostgreSQL at once).
    let sqlite_path = work.join("demo.db");
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_path.display());
    let seeding = Instant::now();
    eprintln!("seeding the demo shop…");
    let data = work.join("data");
    let pg_data = work.join("data-pg");
    let (sqlite_seeded, pg_seeded) = tokio::join!(
        seed(vitrine, &sqlite_url, &data, work, logs, "seed-sqlite"),
        async {
            match postgres_url {
                Some(url) => seed(vitrine, url, &pg_data, work, logs, "seed-postgres").await,
                None => Ok(()),
            }
        }
    );
    sqlite_seeded?;
    pg_seeded?;
    let seed_secs = seeding.elapsed().as_secs_f64();

    // Pin the harness to the load CPU (its children inherit it); every
    // server gets `taskset -c <server cpu>`.
    let pinned = std::process::Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &args.load_cpu.to_string(),
            &std::process::id().to_string(),
        ])
        .output()?;
    if !pinned.status.success() {
        bail!(
            "taskset failed: {}",
            String::from_utf8_lossy(&pinned.stderr)
        );
    }

    // The servers.
    let mut servers: Vec<Server> = Vec::new();
    let vitrine_spawn = |label: &str,
                         database_url: &str,
                         data_dir: PathBuf,
                         ip_limit: &str|
     -> anyhow::Result<Spawn> {
        let port = peers_servers::free_port()?;
        let mut env = peers_servers::base_env();
        env.extend(vitrine_env(database_url, &data_dir, ip_limit));
        env.push(("VITRINE_BIND".into(), format!("127.0.0.1:{port}")));
        Ok(Spawn {
            label: label.into(),
            kind: Kind::Vitrine,
            program: vitrine.to_path_buf(),
            args: vec!["serve".into()],
            env,
            cwd: work.to_path_buf(),
            cpu: args.server_cpu,
            port,
        })
    };
    let node_spawn = |label: &str, script: &str| -> anyhow::Result<Spawn> {
        let port = peers_servers::free_port()?;
        let mut env = peers_servers::base_env();
        env.push(("NODE_ENV".into(), "production".into()));
        Ok(Spawn {
            label: label.into(),
            kind: Kind::Node,
            program: "node".into(),
            args: vec![
                script.into(),
                "--port".into(),
                port.to_string(),
                "--db".into(),
                sqlite_path.display().to_string(),
            ],
            env,
            cwd: args.peers_dir.clone(),
            cpu: args.server_cpu,
            port,
        })
    };
    let mut specs = vec![
        vitrine_spawn(VITRINE, &sqlite_url, data.clone(), IP_LIMIT)?,
        node_spawn(APOLLO, "apollo.js")?,
        node_spawn(YOGA, "yoga.js")?,
    ];
    let bare_port = peers_servers::free_port()?;
    specs.push(Spawn {
        label: BARE.into(),
        kind: Kind::Bare,
        program: bare.to_path_buf(),
        args: vec!["--bind".into(), format!("127.0.0.1:{bare_port}")],
        env: peers_servers::base_env(),
        cwd: work.to_path_buf(),
        cpu: args.server_cpu,
        port: bare_port,
    });
    for (window, limit) in WINDOWS {
        let label = window_label(window);
        let data = work.join(format!("data-{label}"));
        specs.push(vitrine_spawn(&label, &sqlite_url, data, limit)?);
    }
    if let Some(url) = postgres_url {
        specs.push(vitrine_spawn(VITRINE_PG, url, pg_data.clone(), IP_LIMIT)?);
    }
    for spec in specs {
        servers.push(peers_servers::spawn(spec, logs)?);
    }
    for server in &mut servers {
        server.wait_ready(&http, Duration::from_secs(90)).await?;
    }
    eprintln!(
        "servers up: {}",
        servers
            .iter()
            .map(|s| format!("{} (pid {}, :{})", s.label, s.pid, s.port))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let by_label = |label: &str| servers.iter().position(|s| s.label == label);
    let vitrine_at = by_label(VITRINE).context("no vitrine")?;
    let pg_at = by_label(VITRINE_PG);

    // The product page's product: reviews and shorts.
    let (product_id, product_name) = pick_product(&http, &servers[vitrine_at]).await?;
    let pg_product = match pg_at {
        Some(at) => Some(pick_product(&http, &servers[at]).await?.0),
        None => None,
    };
    eprintln!("product page: {product_name} ({product_id})");

    // Bodies and wrk scripts.
    let mut bodies: BTreeMap<(QueryKey, bool), String> = BTreeMap::new();
    let mut scripts: BTreeMap<(QueryKey, bool), PathBuf> = BTreeMap::new();
    for query in QueryKey::ALL {
        let text = std::fs::read_to_string(args.peers_dir.join("queries").join(query.file()))
            .with_context(|| format!("reading queries/{}", query.file()))?;
        for pg in [false, true] {
            let body = match (query, pg) {
                (QueryKey::Product, false) => {
                    json!({ "query": text, "variables": { "id": product_id } })
                }
                (QueryKey::Product, true) => match &pg_product {
                    Some(id) => json!({ "query": text, "variables": { "id": id } }),
                    None => continue,
                },
                _ => json!({ "query": text }),
            }
            .to_string();
            let name = format!("{}{}", query.name(), if pg { "-pg" } else { "" });
            scripts.insert((query, pg), peers_load::script(work, &name, &body)?);
            bodies.insert((query, pg), body);
        }
    }

    // Which servers run which query.
    let plan: Vec<(QueryKey, Vec<usize>)> = QueryKey::ALL
        .iter()
        .map(|&q| {
            let mut labels = vec![VITRINE.to_owned(), APOLLO.to_owned(), YOGA.to_owned()];
            match q {
                QueryKey::Typename => {
                    labels.push(BARE.into());
                    labels.extend(WINDOWS.iter().map(|(w, _)| window_label(w)));
                }
                _ => labels.push(VITRINE_PG.into()),
            }
            (q, labels.iter().filter_map(|l| by_label(l)).collect())
        })
        .collect();
    let is_pg = |i: usize| servers[i].label == VITRINE_PG;

    // Identical answers first.
    let answers = work.join("answers");
    std::fs::create_dir_all(&answers)?;
    let mut expected_bytes: BTreeMap<(QueryKey, usize), u64> = BTreeMap::new();
    let mut byte_identical = Vec::new();
    let mut reordered = Vec::new();
    let mut statements = BTreeMap::new();
    for (query, at) in &plan {
        let mut reference: Option<(Value, String)> = None;
        for &i in at {
            let server = &servers[i];
            let body = &bodies[&(*query, is_pg(i))];
            let answer = answer(&http, server, body).await?;
            std::fs::write(
                answers.join(format!("{}-{}.json", query.name(), server.label)),
                &answer.text,
            )?;
            expected_bytes.insert((*query, i), answer.wire_bytes);
            if let Some(errors) = answer.value.get("errors") {
                bail!(
                    "{} answered the {} query with errors: {errors}",
                    server.label,
                    query.name()
                );
            }
            let data = answer.value.get("data").unwrap_or(&Value::Null);
            if data.is_null()
                || data
                    .as_object()
                    .is_some_and(|o| o.values().any(Value::is_null))
            {
                bail!(
                    "{} answered the {} query without data: {}",
                    server.label,
                    query.name(),
                    answer.text
                );
            }
            if server.label == VITRINE {
                reference = Some((answer.value.clone(), answer.text.clone()));
                continue;
            }
            if server.kind == Kind::Vitrine {
                // On PostgreSQL or with another rate-limit window: an answer, not a peer.
                continue;
            }
            let (expected, expected_text) = reference.as_ref().context("vitrine answers first")?;
            if &answer.value != expected {
                let at_path = first_difference(expected, &answer.value, "$")
                    .unwrap_or_else(|| "(no difference found)".into());
                bail!(
                    "MISMATCH: {} answers the {} query differently from vitrine, first at {at_path}\n\
                     the answers are in {}",
                    server.label,
                    query.name(),
                    answers.display()
                );
            }
            let pair = format!("{} {}", query.name(), server.label);
            if answer.text.trim_end() == expected_text.trim_end() {
                byte_identical.push(pair);
            } else if answer.text.trim_end().len() == expected_text.trim_end().len() {
                // vitrine writes an object's fields in the order their
                // resolvers finish (async-graphql 7 collects them from a
                // `FuturesUnordered`), not always in the query's order.
                reordered.push(pair);
            } else {
                eprintln!(
                    "note: {}'s answer to the {} query is equal as JSON but not byte for byte",
                    server.label,
                    query.name()
                );
            }
        }
    }
    eprintln!("identical answers: every peer answers every query as vitrine does");

    // Statements per request: the counters around requests sent one after
    // another (under load, requests in flight when a run ends would blur it).
    for (query, at) in &plan {
        for &i in at {
            let server = &servers[i];
            let body = &bodies[&(*query, is_pg(i))];
            let Some(before) = server.statements(&http).await? else {
                continue;
            };
            for _ in 0..COUNTED_REQUESTS {
                answer(&http, server, body).await?;
            }
            let after = server.statements(&http).await?.unwrap_or(before);
            statements.insert(
                (*query, server.label.clone()),
                after.saturating_sub(before) as f64 / COUNTED_REQUESTS as f64,
            );
        }
    }

    // Let start-up work (jobs, indexing) finish before measuring.
    let vitrines: Vec<&Server> = servers.iter().filter(|s| s.kind == Kind::Vitrine).collect();
    let idle = peers_servers::settle(&vitrines, 0.02, Duration::from_secs(60)).await?;
    let vitrine_idle_share = idle.first().copied().unwrap_or_default();
    let hz = peers_servers::clock_ticks_per_second() as f64;

    // Warm-up (the Node.js peers' JIT above all), not recorded.
    eprintln!("warming up…");
    for (query, at) in &plan {
        for &i in at {
            let script = &scripts[&(*query, is_pg(i))];
            let run = peers_load::wrk(
                args.load_cpu,
                &servers[i].endpoint(),
                script,
                args.connections,
                args.warmup_seconds,
            )
            .await?;
            check_run(&run, &servers[i], *query)?;
        }
    }

    // Interleaved repetitions.
    let load_before = load_average();
    let mut results: Results = BTreeMap::new();
    for rep in 0..args.repetitions {
        for (query, at) in &plan {
            for &i in at {
                let server = &servers[i];
                let script = &scripts[&(*query, is_pg(i))];
                let cpu_before = server.cpu_ticks()?;
                let run = peers_load::wrk(
                    args.load_cpu,
                    &server.endpoint(),
                    script,
                    args.connections,
                    args.seconds,
                )
                .await?;
                let cpu_after = server.cpu_ticks()?;
                check_run(&run, server, *query)?;
                check_bytes(&run, expected_bytes[&(*query, i)], server, *query)?;
                let requests = run.requests.max(1) as f64;
                // The window comparison needs throughput and CPU only.
                let p50 = if server.label.starts_with("vitrine-") && server.label != VITRINE_PG {
                    None
                } else {
                    let latency = peers_load::wrk(
                        args.load_cpu,
                        &server.endpoint(),
                        script,
                        1,
                        args.latency_seconds,
                    )
                    .await?;
                    check_run(&latency, server, *query)?;
                    Some(latency.p50_ms)
                };
                let sample = Sample {
                    rps: run.rps(),
                    cpu_us: (cpu_after - cpu_before) as f64 / hz * 1e6 / requests,
                    p50_ms: p50,
                };
                eprintln!(
                    "rep {}/{} {:<9} {:<13} {:>9.0} req/s {:>8.1} µs CPU/req{}",
                    rep + 1,
                    args.repetitions,
                    query.name(),
                    server.label,
                    sample.rps,
                    sample.cpu_us,
                    sample
                        .p50_ms
                        .map(|p| format!("  p50 {p:.2} ms"))
                        .unwrap_or_default(),
                );
                results
                    .entry((*query, server.label.clone()))
                    .or_default()
                    .push(sample);
            }
        }
    }

    drop(servers);
    let method = Method {
        args: args.clone(),
        product_id,
        product_name,
        versions: versions(&args.peers_dir, &sqlite_url, postgres_url).await,
        vitrine_idle_share,
        byte_identical,
        reordered,
        statements,
        seed_secs,
        total_secs: started.elapsed().as_secs_f64(),
        load: (load_before, load_average()),
        cpu_model: cpu_model(),
        postgres: postgres_url.is_some(),
    };
    let markdown = peers_report::render(&results, &method);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &markdown)?;
    println!("{markdown}");
    eprintln!("written to {}", args.out.display());
    Ok(())
}

/// vitrine's configuration for the benchmark: every protection on (query
/// limits, rate limits, metrics, request ids), rate limits no run reaches,
/// no background work that would compete with the requests (first model
/// training, help-document ingestion), quiet logs.
fn vitrine_env(database_url: &str, data_dir: &Path, ip_limit: &str) -> Vec<(String, String)> {
    let data_dir = data_dir.display().to_string();
    [
        ("DATABASE_URL", database_url),
        ("VITRINE_DATA_DIR", data_dir.as_str()),
        ("VITRINE_LOG", "warn"),
        ("VITRINE_JWT_SECRET", JWT_SECRET),
        ("VITRINE_RATE_LIMIT_IP", ip_limit),
        ("VITRINE_RATE_LIMIT_USER", USER_LIMIT),
        ("VITRINE_ML_TRAIN_ON_START", "false"),
        ("VITRINE_ASSISTANT_AUTO_INGEST", "false"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// `vitrine seed-demo` into `database_url`.
async fn seed(
    vitrine: &Path,
    database_url: &str,
    data_dir: &Path,
    cwd: &Path,
    logs: &Path,
    label: &str,
) -> anyhow::Result<()> {
    let mut env = peers_servers::base_env();
    env.extend(vitrine_env(database_url, data_dir, IP_LIMIT));
    let output = tokio::process::Command::new(vitrine)
        .arg("seed-demo")
        .env_clear()
        .envs(env)
        .current_dir(cwd)
        .kill_on_drop(true)
        .output()
        .await?;
    let log = logs.join(format!("{label}.log"));
    std::fs::write(
        &log,
        [output.stdout.as_slice(), output.stderr.as_slice()].concat(),
    )?;
    if !output.status.success() {
        bail!(
            "vitrine seed-demo ({label}) failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A product of the demo shop for the product page: among the 100 most
/// popular, the first with the most shorts (up to 3) and reviews (up to 10).
async fn pick_product(http: &reqwest::Client, server: &Server) -> anyhow::Result<(String, String)> {
    let body = json!({ "query": "{ products(first: 100, sort: POPULAR) { edges { node { id name reviewCount shorts(first: 3) { edges { cursor } } } } } }" });
    let answer: Value = http
        .post(server.endpoint())
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let edges = answer["data"]["products"]["edges"]
        .as_array()
        .with_context(|| format!("no products in {answer}"))?;
    let mut best: Option<((u64, u64, u64), &Value)> = None;
    for edge in edges {
        let node = &edge["node"];
        let reviews = node["reviewCount"].as_u64().unwrap_or(0);
        let shorts = node["shorts"]["edges"].as_array().map_or(0, Vec::len) as u64;
        let key = (shorts.min(3), reviews.min(10), reviews);
        if best.is_none_or(|(k, _)| key > k) {
            best = Some((key, node));
        }
    }
    let (key, node) = best.context("the demo shop has no products")?;
    if key.0 == 0 || key.1 == 0 {
        bail!("no product of the demo shop has both shorts and reviews");
    }
    Ok((
        node["id"]
            .as_str()
            .context("product without id")?
            .to_owned(),
        node["name"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// One answer: its text, its JSON, and its size on the wire (status line,
/// headers and body) to compare with what wrk reads per request.
struct Answer {
    text: String,
    value: Value,
    wire_bytes: u64,
}

async fn answer(http: &reqwest::Client, server: &Server, body: &str) -> anyhow::Result<Answer> {
    let response = http
        .post(server.endpoint())
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body.to_owned())
        .send()
        .await?;
    let status = response.status();
    let headers: u64 = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64)
        .sum();
    let status_line = format!("HTTP/1.1 {status}\r\n").len() as u64 + 2;
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{} answered {status}: {text}", server.label);
    }
    let value: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} answered something other than JSON: {text}",
            server.label
        )
    })?;
    Ok(Answer {
        wire_bytes: status_line + headers + text.len() as u64,
        text,
        value,
    })
}

/// The JSON path of the first difference between `a` and `b`.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    None => return Some(format!("{path}.{k} (missing from the peer's answer)")),
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k} (only in the peer's answer)"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(v, w, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path} (length {} against {})", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: vitrine {a}, peer {b}")),
    }
}

/// A run is valid when every request got a 2xx answer on a healthy socket.
fn check_run(run: &Run, server: &Server, query: QueryKey) -> anyhow::Result<()> {
    if run.requests == 0 || run.socket_errors > 0 || run.bad_status > 0 {
        bail!(
            "{} under load ({}): {} requests, {} socket errors, {} answers not 2xx/3xx (a rate limit?); its log:\n{}",
            server.label,
            query.name(),
            run.requests,
            run.socket_errors,
            run.bad_status,
            server.log_tail()
        );
    }
    Ok(())
}

/// Bytes per answer under load match the checked answer's size (an error
/// answer under load would not), within a few header bytes.
fn check_bytes(run: &Run, expected: u64, server: &Server, query: QueryKey) -> anyhow::Result<()> {
    let per_request = run.bytes as f64 / run.requests.max(1) as f64;
    let slack = 64.0 + expected as f64 * 0.01;
    if (per_request - expected as f64).abs() > slack {
        bail!(
            "{} under load ({}) sent {per_request:.0} bytes per answer, the checked answer is {expected}: \
             it answered something else under load",
            server.label,
            query.name()
        );
    }
    Ok(())
}

/// Versions of everything measured.
async fn versions(
    peers_dir: &Path,
    sqlite_url: &str,
    postgres_url: Option<&str>,
) -> Vec<(String, String)> {
    let command = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            // Inside the repository, wherever this binary was built.
            .current_dir(peers_dir)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "?".into())
    };
    let package = |name: &str| {
        std::fs::read_to_string(
            peers_dir
                .join("node_modules")
                .join(name)
                .join("package.json"),
        )
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
    };
    let node_sqlite = std::process::Command::new("node")
        .args(["-e", "const D=require('better-sqlite3');process.stdout.write(new D(':memory:').prepare('select sqlite_version() v').get().v)"])
        .current_dir(peers_dir)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|| "?".into());
    let mut out: Vec<(String, String)> = vec![
        (
            "vitrine".into(),
            format!(
                "{} ({})",
                env!("CARGO_PKG_VERSION"),
                command("git", &["rev-parse", "--short", "HEAD"])
            ),
        ),
        (
            "Rust".into(),
            command("rustc", &["--version"]).replace("rustc ", ""),
        ),
        ("Node.js".into(), command("node", &["--version"])),
    ];
    for name in [
        "@apollo/server",
        "graphql-yoga",
        "graphql",
        "dataloader",
        "better-sqlite3",
    ] {
        out.push((name.into(), package(name)));
    }
    out.push(("SQLite (better-sqlite3)".into(), node_sqlite));
    // vitrine's SQLite is libsqlite3-sys's bundled one, which this harness
    // links too (through sqlx).
    out.push((
        "SQLite (vitrine, libsqlite3-sys bundled)".into(),
        query_text(
            sqlite_url,
            DbBackend::Sqlite,
            "SELECT sqlite_version() AS v",
        )
        .await,
    ));
    out.push(("wrk".into(), peers_load::version()));
    if let Some(url) = postgres_url {
        out.push((
            "PostgreSQL".into(),
            query_text(
                url,
                DbBackend::Postgres,
                "SELECT current_setting('server_version') AS v",
            )
            .await,
        ));
    }
    out
}

/// The text column `v` of `sql`'s first row, or `?`.
async fn query_text(url: &str, backend: DbBackend, sql: &str) -> String {
    let Ok(db) = Database::connect(url).await else {
        return "?".into();
    };
    let value = match db.query_one_raw(Statement::from_string(backend, sql)).await {
        Ok(Some(row)) => row.try_get::<String>("", "v").ok(),
        _ => None,
    };
    let _ = db.close().await;
    value.unwrap_or_else(|| "?".into())
}

/// The 1-minute load average (`/proc/loadavg`).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// `2 logical CPUs, <model>` from `/proc/cpuinfo` (this process is pinned
/// to one by then, so not `available_parallelism`).
fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let count = info.lines().filter(|l| l.starts_with("processor")).count();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "?".into());
    format!("{count} logical CPUs, {model}")
}
