//! Part 4 of `media-bench`: `generateDesign` → DESIGN_READY against a fake
//! OpenAI that answers each call after `--provider-ms` (see `media.rs`).
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use futures::{SinkExt, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use vitrine::entities::job::{self, JobState};

use crate::{Args, Timing, harness};

// ------------------------------------------------------- fake provider

const DESCRIPTION: &str = "White walls, an oak floor, one tall window on the left facing south, \
     a flat ceiling; the light falls from the left.";

/// A fake OpenAI (`/v1/chat/completions`, `/v1/images/edits`) that
/// answers after `delay` and adds up how long it slept.
#[derive(Clone)]
struct Fake {
    delay: Duration,
    slept_us: Arc<AtomicU64>,
    calls: Arc<AtomicU64>,
    /// Requests not shaped as our client sends them.
    bad: Arc<AtomicU64>,
    image_b64: Arc<String>,
}

impl Fake {
    async fn answer_later(&self, headers: &HeaderMap, well_formed: bool) -> bool {
        let started = Instant::now();
        tokio::time::sleep(self.delay).await;
        self.slept_us
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::SeqCst);
        self.calls.fetch_add(1, Ordering::SeqCst);
        let authorized = headers
            .get("authorization")
            .is_some_and(|v| v.as_bytes() == b"Bearer bench");
        let ok = authorized && well_formed;
        if !ok {
            self.bad.fetch_add(1, Ordering::SeqCst);
        }
        ok
    }

    fn counters(&self) -> (u64, u64) {
        (
            self.slept_us.load(Ordering::SeqCst),
            self.calls.load(Ordering::SeqCst),
        )
    }
}

async fn chat(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let well_formed = serde_json::from_slice::<Value>(&body).is_ok_and(|v| {
        v["messages"][0]["content"][1]["image_url"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("data:image/"))
    });
    if !fake.answer_later(&headers, well_formed).await {
        return (StatusCode::BAD_REQUEST, "unexpected request").into_response();
    }
    Json(json!({ "id": "chatcmpl-bench", "object": "chat.completion", "choices": [
        { "index": 0, "message": { "role": "assistant", "content": DESCRIPTION }, "finish_reason": "stop" }
    ]}))
    .into_response()
}

async fn edits(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let multipart = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let has = |part: &[u8]| body.windows(part.len()).any(|w| w == part);
    let well_formed = multipart
        && has(b"name=\"image\"")
        && has(b"name=\"model\"")
        && has(DESCRIPTION.as_bytes());
    if !fake.answer_later(&headers, well_formed).await {
        return (StatusCode::BAD_REQUEST, "unexpected request").into_response();
    }
    Json(json!({ "created": 1, "data": [{ "b64_json": fake.image_b64.as_str() }] })).into_response()
}

/// The fake on a thread and runtime of its own, as a remote provider would
/// be: the server's busy workers do not delay its answers (its measured
/// sleep still includes waiting for a core).
fn start_fake(delay: Duration, answer_png: &[u8]) -> anyhow::Result<(Fake, String)> {
    let fake = Fake {
        delay,
        slept_us: Arc::default(),
        calls: Arc::default(),
        bad: Arc::default(),
        image_b64: Arc::new(B64.encode(answer_png)),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let base = format!("http://{}/v1", listener.local_addr()?);
    let router = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/images/edits", post(edits))
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(fake.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, router).await
        })
    });
    Ok((fake, base))
}

// ------------------------------------------------------------ end to end

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }";
const GENERATE: &str = "mutation($i: GenerateDesignInput!, $k: String!) { generateDesign(input: $i, idempotencyKey: $k) { jobId design { id } } }";

/// DESIGN_READY arrivals on one user's socket: (design id, provider, when).
type Ready = (String, String, Instant);

struct User {
    token: String,
    ready: mpsc::UnboundedReceiver<Ready>,
    socket: tokio::task::JoinHandle<()>,
}

async fn gql(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let body: Value = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(body["errors"].is_null(), "{body}");
    Ok(body["data"].clone())
}

/// Signs a user up, opens its socket and subscribes to its notifications.
async fn user(http: &reqwest::Client, url: &str, ws: &str, i: usize) -> anyhow::Result<User> {
    let data = gql(
        http,
        url,
        REGISTER,
        json!({ "input": { "email": format!("media{i}@bench.vitrine.dev"), "password": "correct-horse-battery", "nickname": format!("media {i}") } }),
    )
    .await?;
    let token = data["register"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no access token: {data}"))?
        .to_owned();
    let mut request = ws.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let text = |v: Value| tungstenite::Message::Text(v.to_string().into());
    socket
        .send(text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })))
        .await?;
    loop {
        match socket.next().await {
            Some(Ok(tungstenite::Message::Text(t))) if t.as_str().contains("connection_ack") => {
                break;
            }
            Some(Ok(_)) => continue,
            other => anyhow::bail!("no connection_ack: {other:?}"),
        }
    }
    socket
        .send(text(json!({ "type": "subscribe", "id": "n", "payload": { "query": "subscription { notificationReceived { kind subjectId data } }" } })))
        .await?;
    let (tx, ready) = mpsc::unbounded_channel();
    let socket = tokio::spawn(async move {
        while let Some(Ok(msg)) = socket.next().await {
            let tungstenite::Message::Text(t) = msg else {
                continue;
            };
            let now = Instant::now();
            let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                continue;
            };
            match v["type"].as_str() {
                Some("ping") => {
                    let _ = socket.send(text(json!({ "type": "pong" }))).await;
                }
                Some("next") => {
                    let n = &v["payload"]["data"]["notificationReceived"];
                    if n["kind"] == "DESIGN_READY" {
                        let subject = n["subjectId"].as_str().unwrap_or_default().to_owned();
                        let provider = n["data"]["provider"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        let _ = tx.send((subject, provider, now));
                    }
                }
                Some("error") => eprintln!("subscription error: {v}"),
                _ => {}
            }
        }
    });
    Ok(User {
        token,
        ready,
        socket,
    })
}

/// One design: sent → answered → DESIGN_READY.
struct Sample {
    total_ms: f64,
    answered_ms: f64,
    job_id: i64,
}

fn decode_id(id: &str) -> anyhow::Result<i64> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id)?)?;
    Ok(raw
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("bad id {raw}"))?
        .1
        .parse()?)
}

async fn generate(
    http: &reqwest::Client,
    url: &str,
    user: &mut User,
    photo: &[u8],
    key: String,
) -> anyhow::Result<Sample> {
    let operations = json!({ "query": GENERATE, "variables": {
        "i": { "style": "SCANDINAVIAN", "roomType": "LIVING_ROOM", "sourceImage": null },
        "k": key,
    }});
    let form = crate::upload::form(
        &operations,
        reqwest::multipart::Part::bytes(photo.to_vec())
            .file_name("room.jpg")
            .mime_str("image/jpeg")?,
    );
    let sent = Instant::now();
    let body: Value = http
        .post(url)
        .bearer_auth(&user.token)
        .header("apollo-require-preflight", "true")
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    let answered_ms = sent.elapsed().as_secs_f64() * 1e3;
    let payload = &body["data"]["generateDesign"];
    let (Some(design), Some(job)) = (payload["design"]["id"].as_str(), payload["jobId"].as_str())
    else {
        anyhow::bail!("generateDesign failed: {body}");
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        match tokio::time::timeout_at(deadline, user.ready.recv()).await {
            Ok(Some((subject, provider, at))) if subject == design => {
                anyhow::ensure!(
                    provider == "openai",
                    "design {design} was made by `{provider}`, not the fake provider"
                );
                return Ok(Sample {
                    total_ms: at.duration_since(sent).as_secs_f64() * 1e3,
                    answered_ms,
                    job_id: decode_id(job)?,
                });
            }
            Ok(Some(_)) => continue,
            _ => anyhow::bail!("no DESIGN_READY for design {design} within 300 s"),
        }
    }
}

/// Waits until the media jobs (generation, variants, colours) are done, so
/// each measured request starts on an idle server.
async fn drain(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let busy = job::Entity::find()
            .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
            .filter(job::Column::Kind.is_in([
                "DESIGN_GENERATION",
                "IMAGE_VARIANTS",
                "COLOR_ANALYSIS",
            ]))
            .count(db)
            .await?;
        if busy == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "media jobs did not drain in 300 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub struct E2eRow {
    pub concurrency: usize,
    pub total: Timing,
    pub answered: Timing,
    pub queue_wait: Timing,
    pub run: Timing,
    /// Σ queue wait ÷ Σ latency.
    pub queue_share: f64,
    /// Mean provider sleep per design, ms.
    pub floor_ms: f64,
    pub designs_per_s: f64,
    pub retried: usize,
}

async fn phase(
    db: &sea_orm::DatabaseConnection,
    fake: &Fake,
    samples: Vec<Sample>,
    concurrency: usize,
    before: (u64, u64),
    wall: Duration,
) -> anyhow::Result<E2eRow> {
    let (slept, calls) = fake.counters();
    let n = samples.len();
    anyhow::ensure!(
        calls - before.1 == 2 * n as u64,
        "{} provider calls for {n} designs",
        calls - before.1
    );
    let jobs = job::Entity::find()
        .filter(job::Column::Id.is_in(samples.iter().map(|s| s.job_id)))
        .all(db)
        .await?;
    let ms = |d: chrono::TimeDelta| d.num_microseconds().unwrap_or(0) as f64 / 1e3;
    let mut waits = Vec::new();
    let mut runs = Vec::new();
    let mut retried = 0;
    for j in &jobs {
        let (Some(started), Some(finished)) = (j.started_at, j.finished_at) else {
            anyhow::bail!("job {} has not run", j.id);
        };
        waits.push(ms(started - j.created_at));
        runs.push(ms(finished - started));
        retried += usize::from(j.attempts > 1);
    }
    let sum_total: f64 = samples.iter().map(|s| s.total_ms).sum();
    Ok(E2eRow {
        concurrency,
        total: Timing::of(samples.iter().map(|s| s.total_ms).collect()),
        answered: Timing::of(samples.iter().map(|s| s.answered_ms).collect()),
        queue_share: waits.iter().sum::<f64>() / sum_total,
        queue_wait: Timing::of(waits),
        run: Timing::of(runs),
        floor_ms: (slept - before.0) as f64 / 1e3 / n as f64,
        designs_per_s: n as f64 / wall.as_secs_f64(),
        retried,
    })
}

pub async fn end_to_end(
    args: &Args,
    photo: &[u8],
    answer_png: &[u8],
) -> anyhow::Result<Vec<E2eRow>> {
    let (fake, base) = start_fake(Duration::from_millis(args.provider_ms), answer_png)?;
    let dir = tempfile::tempdir()?;
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("media.db").display()
    );
    let data_dir = dir.path().join("data").display().to_string();
    let config = harness::config_with(
        &db_url,
        &data_dir,
        &[
            ("VITRINE_AI_PROVIDERS", "openai"),
            ("VITRINE_OPENAI_BASE_URL", &base),
            ("VITRINE_OPENAI_API_KEY", "bench"),
            ("VITRINE_ACCESS_TOKEN_TTL", "4h"),
            // One client signs up every user.
            ("VITRINE_RATE_LIMIT_AUTH", "1000000/60s"),
        ],
    )?;
    vitrine::telemetry::init_logging(&config);
    let app = vitrine::build(config).await?;
    let db = app.state.db.clone();
    let served = harness::serve(app).await?;
    let url = served.endpoint.clone();
    let ws = url.replacen("http://", "ws://", 1) + "/ws";
    let http = reqwest::Client::new();

    let n_users = args.concurrency.max(1);
    eprintln!(">> end to end: signing up {n_users} users, one socket each");
    let mut users = Vec::with_capacity(n_users);
    for i in 0..n_users {
        users.push(user(&http, &url, &ws, i).await?);
        eprint!("\r   {}/{n_users}", i + 1);
    }
    eprintln!();
    // The bench measures generation, not quotas: every user is ENTERPRISE.
    for row in vitrine::entities::user::Entity::find().all(&db).await? {
        vitrine::domain::billing::grant_plan(
            &db,
            row.id,
            vitrine::entities::billing_account::Plan::Enterprise,
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    }
    // Let the server finish setting up the subscriptions.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut key = 0usize;
    let mut next_key = || {
        key += 1;
        format!("media-bench-{key:06}")
    };
    eprintln!(">> warm-up: 2 designs");
    for _ in 0..2 {
        generate(&http, &url, &mut users[0], photo, next_key()).await?;
        drain(&db).await?;
    }

    let mut rows = Vec::new();
    eprintln!(">> 1 request at a time: {} designs", args.sequential);
    let before = fake.counters();
    let mut samples = Vec::new();
    let mut busy = Duration::ZERO;
    for i in 0..args.sequential {
        let one = Instant::now();
        samples.push(generate(&http, &url, &mut users[0], photo, next_key()).await?);
        busy += one.elapsed();
        drain(&db).await?;
        eprint!("\r   {}/{}", i + 1, args.sequential);
    }
    eprintln!();
    rows.push(phase(&db, &fake, samples, 1, before, busy).await?);

    eprintln!(
        ">> {} requests at once, {} rounds",
        args.concurrency, args.rounds
    );
    let before = fake.counters();
    let mut samples = Vec::new();
    let mut busy = Duration::ZERO;
    for round in 0..args.rounds {
        let keys: Vec<String> = (0..users.len()).map(|_| next_key()).collect();
        let round_started = Instant::now();
        let results = futures::future::join_all(
            users
                .iter_mut()
                .zip(keys)
                .map(|(u, k)| generate(&http, &url, u, photo, k)),
        )
        .await;
        busy += round_started.elapsed();
        for r in results {
            samples.push(r?);
        }
        drain(&db).await?;
        eprintln!("   round {}/{}", round + 1, args.rounds);
    }
    rows.push(phase(&db, &fake, samples, args.concurrency, before, busy).await?);
    let bad = fake.bad.load(Ordering::SeqCst);
    anyhow::ensure!(
        bad == 0,
        "{bad} provider requests were not shaped as expected"
    );

    for u in users {
        u.socket.abort();
    }
    served.stop().await?;
    Ok(rows)
}
