//! `make bench-realtime` (also part of `make bench`): the WebSocket server
//! under many idle subscribers (RT-1, RT-2, RT-4).
//!
//! The server runs in a child process of this binary (so its memory can be
//! read from /proc on its own) against a fresh SQLite database into which N
//! users, their sessions, one direct conversation each with an "actor" user,
//! and follows of the actor are bulk-inserted. Access tokens are signed here
//! with the server's secret. Then, from this process, with tokio-tungstenite:
//!
//! 1. Idle subscribers: N sockets each do `connection_init` and subscribe to
//!    `notificationReceived`; the server's RSS is read before and at steps
//!    up to N: memory per idle subscriber.
//! 2. Targeted fan-out: the actor sends chat messages over HTTP at a steady
//!    rate to random subscribers; each message stores a MESSAGE notification
//!    that the recipient's subscription receives. Latency = mutation sent →
//!    notification received, p50/p99, first with only 100 subscribers
//!    connected (the baseline) and then with all N.
//! 3. Broadcast fan-out: every subscriber also watches the actor's presence;
//!    the actor connects and disconnects, and each change reaches all N.
//!    Latency per delivery, p50/p99.
mod stats;
use stats::percentile;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    sync::Semaphore,
};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, protocol::WebSocketConfig};

#[derive(Parser)]
struct Args {
    /// Idle subscribers at the last step.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Targeted events per second during the latency phases.
    #[arg(long, default_value_t = 50)]
    rate: u64,
    /// Seconds each targeted latency phase lasts.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Markdown file the results are written to.
    #[arg(long, default_value = "bench/results/realtime.md")]
    out: PathBuf,
    /// Only `connection_init`, no subscription (to tell socket cost from
    /// subscription cost).
    #[arg(long)]
    no_subscribe: bool,
    /// Internal: run the server (the child process).
    #[arg(long, hide = true)]
    serve_child: bool,
}

/// The same allocator as the `vitrine` binary, so the child server's memory
/// is what production would use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

static NO_SUBSCRIBE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

fn server_vars(db_url: &str, data_dir: &str) -> HashMap<String, String> {
    HashMap::from([
        ("DATABASE_URL".into(), db_url.into()),
        ("VITRINE_JWT_SECRET".into(), SECRET.into()),
        ("VITRINE_DATA_DIR".into(), data_dir.into()),
        ("VITRINE_LOG".into(), "warn".into()),
        ("VITRINE_ACCESS_TOKEN_TTL".into(), "4h".into()),
        ("VITRINE_BIND".into(), "127.0.0.1:0".into()),
        ("VITRINE_DB_MAX_CONNECTIONS".into(), "8".into()),
        // One actor sends every message: measure delivery, not the limiter.
        ("VITRINE_RATE_LIMIT_USER".into(), "1000000000/60s".into()),
        ("VITRINE_RATE_LIMIT_IP".into(), "1000000000/60s".into()),
    ])
}

fn config(vars: &HashMap<String, String>) -> anyhow::Result<vitrine::config::Config> {
    Ok(vitrine::config::Config::from_lookup(|k| {
        vars.get(k).cloned()
    })?)
}

/// The child: serve until stdin closes; print the address when listening.
async fn serve_child() -> anyhow::Result<()> {
    let vars: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("VITRINE_") || k == "DATABASE_URL")
        .collect();
    let config = config(&vars)?;
    vitrine::telemetry::init_logging(&config);
    let app = vitrine::build(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("READY {}", listener.local_addr()?);
    app.serve(listener, async {
        let mut line = String::new();
        let _ = BufReader::new(tokio::io::stdin())
            .read_line(&mut line)
            .await;
    })
    .await
}

struct Dataset {
    actor_token: String,
    subscribers: Vec<Subscriber>,
}

struct Subscriber {
    user_id: i64,
    token: String,
    conversation_id: i64,
}

/// Users, sessions, one direct conversation with the actor each, and follows
/// of the actor, in bulk (not through the API: N argon2 sign-ups would
/// measure the seeding).
async fn dataset(vars: &HashMap<String, String>, n: usize) -> anyhow::Result<Dataset> {
    use chrono::Utc;
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use vitrine::entities::{
        conversation, conversation_member, follow,
        session::{self, DeviceType},
        user,
    };
    let config = config(vars)?;
    let metrics = vitrine::telemetry::Metrics::new();
    let db = vitrine::db::connect(&config, &metrics).await?;
    vitrine::db::migrate(&db).await?;
    let jwt = vitrine::auth::JwtKeys::load(&config.jwt)?;
    let now = Utc::now();
    for chunk in (0..=n).collect::<Vec<_>>().chunks(2000) {
        user::Entity::insert_many(chunk.iter().map(|i| user::ActiveModel {
            email: Set(format!("rt{i}@bench.vitrine.dev")),
            password_hash: Set(None),
            nickname: Set(format!("rt {i}")),
            role: Set(user::Role::Buyer),
            status: Set(user::UserStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
            follower_count: Set(0),
            following_count: Set(0),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let users: Vec<i64> = user::Entity::find()
        .filter(user::Column::Email.like("rt%@bench.vitrine.dev"))
        .order_by_asc(user::Column::Id)
        .all(&db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    for chunk in users.chunks(2000) {
        session::Entity::insert_many(chunk.iter().map(|u| session::ActiveModel {
            user_id: Set(*u),
            device_id: Set("bench".into()),
            device_type: Set(DeviceType::Web),
            user_agent: Set(None),
            ip: Set(None),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + chrono::Duration::days(1)),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let sessions: HashMap<i64, i64> = session::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s.id))
        .collect();
    let actor = users[0];
    let targets = &users[1..];
    for chunk in targets.chunks(2000) {
        conversation::Entity::insert_many(chunk.iter().map(|u| conversation::ActiveModel {
            kind: Set(conversation::ConversationKind::Direct),
            title: Set(None),
            inquiry_id: Set(None),
            direct_key: Set(Some(format!("{actor}:{u}"))),
            created_by: Set(actor),
            created_at: Set(now),
            last_message_id: Set(None),
            activity_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
        follow::Entity::insert_many(chunk.iter().map(|u| follow::ActiveModel {
            follower_id: Set(*u),
            followee_id: Set(actor),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let conversations: HashMap<i64, i64> = conversation::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .filter_map(|c| {
            let other = c.direct_key?.split(':').nth(1)?.parse::<i64>().ok()?;
            Some((other, c.id))
        })
        .collect();
    let members: Vec<(i64, i64)> = conversations
        .iter()
        .flat_map(|(u, c)| [(*c, *u), (*c, actor)])
        .collect();
    for chunk in members.chunks(2000) {
        conversation_member::Entity::insert_many(chunk.iter().map(|(c, u)| {
            conversation_member::ActiveModel {
                conversation_id: Set(*c),
                user_id: Set(*u),
                joined_at: Set(now),
                last_read_message_id: Set(0),
            }
        }))
        .exec_without_returning(&db)
        .await?;
    }
    let token = |u: i64| jwt.issue(u, user::Role::Buyer, sessions[&u]);
    let subscribers = targets
        .iter()
        .map(|u| {
            Ok(Subscriber {
                user_id: *u,
                token: token(*u)?,
                conversation_id: conversations[u],
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let actor_token = token(actor)?;
    db.close().await?;
    Ok(Dataset {
        actor_token,
        subscribers,
    })
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Where received events are timestamped: (user id, message id) → instant.
type Arrivals = Arc<Mutex<HashMap<(i64, i64), Instant>>>;
/// Presence deliveries: (online?, arrival).
type PresenceArrivals = Arc<Mutex<Vec<(bool, Instant)>>>;

fn ws_config() -> WebSocketConfig {
    // Client side of 10,000 sockets: small buffers here too.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

async fn open_socket(
    url: &str,
    token: &str,
) -> anyhow::Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(ws_config()), false).await?;
    socket
        .send(tungstenite::Message::Text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
                .to_string()
                .into(),
        ))
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
    Ok(socket)
}

/// One idle subscriber: subscribes, then answers pings and timestamps what
/// arrives until told to add the presence subscription or stop.
async fn subscriber(
    url: String,
    sub: Arc<Subscriber>,
    actor_id: i64,
    arrivals: Arrivals,
    presence: PresenceArrivals,
    ready: Arc<AtomicUsize>,
    mut watch_presence: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut socket = open_socket(&url, &sub.token).await?;
    if !NO_SUBSCRIBE.load(Ordering::Relaxed) {
        socket
        .send(tungstenite::Message::Text(
            json!({ "type": "subscribe", "id": "n", "payload": { "query": "subscription { notificationReceived { id data } }" } })
                .to_string()
                .into(),
        ))
        .await?;
    }
    ready.fetch_add(1, Ordering::SeqCst);
    let mut watching = false;
    loop {
        tokio::select! {
            changed = watch_presence.changed(), if !watching => {
                if changed.is_err() { break; }
                watching = true;
                let actor = base64_id("User", actor_id);
                socket.send(tungstenite::Message::Text(
                    json!({ "type": "subscribe", "id": "p", "payload": { "query": "subscription($u: [ID!]!) { presenceChanged(userIds: $u) { online } }", "variables": { "u": [actor] } } })
                        .to_string().into(),
                )).await?;
            }
            msg = socket.next() => {
                let Some(Ok(msg)) = msg else { break };
                let tungstenite::Message::Text(text) = msg else { continue };
                let now = Instant::now();
                let v: Value = match serde_json::from_str(text.as_str()) { Ok(v) => v, Err(_) => continue };
                match (v["type"].as_str(), v["id"].as_str()) {
                    (Some("ping"), _) => {
                        socket.send(tungstenite::Message::Text(json!({ "type": "pong" }).to_string().into())).await?;
                    }
                    (Some("next"), Some("n")) => {
                        if let Some(m) = v["payload"]["data"]["notificationReceived"]["data"]["messageId"].as_i64() {
                            arrivals.lock().unwrap().insert((sub.user_id, m), now);
                        }
                    }
                    (Some("next"), Some("p")) => {
                        if let Some(online) = v["payload"]["data"]["presenceChanged"]["online"].as_bool() {
                            presence.lock().unwrap().push((online, now));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn base64_id(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

struct Latency {
    p50: f64,
    p99: f64,
    delivered: usize,
    sent: usize,
}

/// Sends `rate` messages per second for `seconds` to random connected
/// subscribers and measures send → notification received.
async fn targeted(
    http: &reqwest::Client,
    base: &str,
    actor_token: &str,
    targets: &[Arc<Subscriber>],
    arrivals: &Arrivals,
    rate: u64,
    seconds: u64,
) -> anyhow::Result<Latency> {
    let mut sent_at: HashMap<(i64, i64), Instant> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut in_flight = tokio::task::JoinSet::new();
    for _ in 0..(rate * seconds) {
        tick.tick().await;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let target = targets[(seed % targets.len() as u64) as usize].clone();
        let http = http.clone();
        let url = format!("{base}/graphql");
        let token = actor_token.to_owned();
        in_flight.spawn(async move {
            let started = Instant::now();
            let body: Value = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation($c: ID!) { sendMessage(conversationId: $c, body: \"ping\") { id } }",
                    "variables": { "c": base64_id("Conversation", target.conversation_id) },
                }))
                .send()
                .await?
                .json()
                .await?;
            let id = body["data"]["sendMessage"]["id"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("sendMessage failed: {body}"))?;
            let message_id = decode_id(id)?;
            Ok::<_, anyhow::Error>(((target.user_id, message_id), started))
        });
    }
    while let Some(done) = in_flight.join_next().await {
        let (key, started) = done??;
        sent_at.insert(key, started);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let arrivals = arrivals.lock().unwrap();
    let mut ms: Vec<f64> = sent_at
        .iter()
        .filter_map(|(k, s)| {
            arrivals
                .get(k)
                .map(|a| a.duration_since(*s).as_secs_f64() * 1e3)
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok(Latency {
        p50: percentile(&ms, 0.5),
        p99: percentile(&ms, 0.99),
        delivered: ms.len(),
        sent: sent_at.len(),
    })
}

fn decode_id(id: &str) -> anyhow::Result<i64> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id)?;
    let text = String::from_utf8(raw)?;
    Ok(text
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("bad id"))?
        .1
        .parse()?)
}

async fn connect_many(
    url: &str,
    subs: &[Arc<Subscriber>],
    actor_id: i64,
    arrivals: &Arrivals,
    presence: &PresenceArrivals,
    ready: &Arc<AtomicUsize>,
    watch: &tokio::sync::watch::Receiver<bool>,
) {
    let gate = Arc::new(Semaphore::new(200));
    let target = ready.load(Ordering::SeqCst) + subs.len();
    for sub in subs {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let (url, sub, arrivals, presence, ready, watch) = (
            url.to_owned(),
            sub.clone(),
            arrivals.clone(),
            presence.clone(),
            ready.clone(),
            watch.clone(),
        );
        tokio::spawn(async move {
            let before = ready.load(Ordering::SeqCst);
            let run = subscriber(url, sub, actor_id, arrivals, presence, ready.clone(), watch);
            // Hold the connect permit until this socket has subscribed.
            let waiter = async {
                while ready.load(Ordering::SeqCst) <= before {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                drop(permit);
            };
            let (result, ()) = tokio::join!(run, waiter);
            if let Err(e) = result {
                eprintln!("subscriber failed: {e}");
            }
        });
    }
    while ready.load(Ordering::SeqCst) < target {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the server finish its side of the last subscriptions.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.serve_child {
        return serve_child().await;
    }
    NO_SUBSCRIBE.store(args.no_subscribe, Ordering::Relaxed);
    let dir = tempfile::tempdir()?;
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("rt.db").display());
    let data_dir = dir.path().join("data").display().to_string();
    let vars = server_vars(&db_url, &data_dir);
    let n = args.subscribers;
    eprintln!(">> seeding {n} users, sessions, conversations and follows");
    let data = dataset(&vars, n).await?;
    let actor_id = data.subscribers[0].user_id - 1;

    eprintln!(">> starting the server process");
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--serve-child")
        .envs(&vars)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no child pid"))?;
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await?
            .ok_or_else(|| anyhow::anyhow!("server exited"))?;
        if let Some(a) = line.strip_prefix("READY ") {
            break a.to_owned();
        }
    };
    let base = format!("http://{addr}");
    let ws = format!("ws://{addr}/graphql/ws");
    let http = reqwest::Client::new();
    // Warm the server (first queries, allocator) before the baseline reading.
    for _ in 0..20 {
        http.post(format!("{base}/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss0 = rss_kib(pid);

    let subs: Vec<Arc<Subscriber>> = data.subscribers.into_iter().map(Arc::new).collect();
    let arrivals: Arrivals = Arc::default();
    let presence: PresenceArrivals = Arc::default();
    let ready = Arc::new(AtomicUsize::new(0));
    let (watch_tx, watch_rx) = tokio::sync::watch::channel(false);

    // Baseline latency with 100 subscribers.
    let small = 100.min(n);
    connect_many(
        &ws,
        &subs[..small],
        actor_id,
        &arrivals,
        &presence,
        &ready,
        &watch_rx,
    )
    .await;
    eprintln!(">> targeted latency with {small} subscribers");
    let baseline = targeted(
        &http,
        &base,
        &data.actor_token,
        &subs[..small],
        &arrivals,
        args.rate,
        args.seconds,
    )
    .await?;

    let mut steps = Vec::new();
    let mut connected = small;
    for step in [1_000, 2_500, 5_000, 10_000, 20_000] {
        let upto = step.min(n);
        if upto <= connected {
            continue;
        }
        eprintln!(">> connecting subscribers {connected}..{upto}");
        let started = Instant::now();
        connect_many(
            &ws,
            &subs[connected..upto],
            actor_id,
            &arrivals,
            &presence,
            &ready,
            &watch_rx,
        )
        .await;
        let rate = (upto - connected) as f64 / started.elapsed().as_secs_f64();
        connected = upto;
        let rss = rss_kib(pid);
        steps.push((upto, rss, rate));
        eprintln!(
            "   {upto} subscribers: server RSS {rss} KiB, {:.1} KiB per subscriber",
            (rss.saturating_sub(rss0)) as f64 / upto as f64
        );
        if upto == n {
            break;
        }
    }

    eprintln!(">> targeted latency with {connected} subscribers");
    let loaded = targeted(
        &http,
        &base,
        &data.actor_token,
        &subs[..connected],
        &arrivals,
        args.rate,
        args.seconds,
    )
    .await?;

    eprintln!(">> broadcast: {connected} subscribers watch one user's presence");
    let _ = watch_tx.send(true);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut broadcast_ms: Vec<f64> = Vec::new();
    let rounds = 5;
    for _ in 0..rounds {
        // Initial states are delivered first; wait for them, then clear.
        tokio::time::sleep(Duration::from_secs(1)).await;
        presence.lock().unwrap().clear();
        let started = Instant::now();
        let socket = open_socket(&ws, &data.actor_token).await?;
        wait_for(&presence, true, connected).await;
        collect(&presence, true, started, &mut broadcast_ms);
        presence.lock().unwrap().clear();
        let started = Instant::now();
        drop(socket);
        wait_for(&presence, false, connected).await;
        collect(&presence, false, started, &mut broadcast_ms);
    }
    broadcast_ms.sort_by(|a, b| a.total_cmp(b));
    let rss_end = rss_kib(pid);
    drop(child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;

    let per_sub = |(n, rss, _): &(usize, u64, f64)| (rss.saturating_sub(rss0)) as f64 / *n as f64;
    let last = steps.last().copied().unwrap_or((connected, rss_end, 0.0));
    let mut md = String::new();
    md.push_str("# Real-time: idle subscribers and fan-out latency\n\n");
    md.push_str(&format!(
        "`make bench-realtime` on {} ({} CPU cores): the server in its own process on SQLite, \
         {n} subscribers connected over loopback by tokio-tungstenite from the benchmark process, \
         each with `connection_init` and one `notificationReceived` subscription.\n\n",
        std::env::consts::ARCH,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
    ));
    md.push_str("## Idle subscribers: server memory\n\n");
    md.push_str(&format!("Server RSS before any socket: {rss0} KiB.\n\n"));
    md.push_str("| subscribers | server RSS (KiB) | KiB per subscriber (RSS − RSS before) / N | KiB per added subscriber since the previous row | connects/s |\n|---:|---:|---:|---:|---:|\n");
    let mut previous = (0usize, rss0);
    for s in &steps {
        let marginal = (s.1 as f64 - previous.1 as f64) / (s.0 - previous.0) as f64;
        md.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.0} |\n",
            s.0,
            s.1,
            per_sub(s),
            marginal,
            s.2
        ));
        previous = (s.0, s.1);
    }
    md.push_str(&format!(
        "\nTarget ≤ 40 KB per idle subscriber: **{:.1} KiB** ({:.1} KB) at {} subscribers.\n\n",
        per_sub(&last),
        per_sub(&last) * 1.024,
        last.0
    ));
    md.push_str(&format!(
        "## Targeted fan-out\n\n`sendMessage` over HTTP at {} per second for {} s to random subscribers; \
         latency from sending the mutation to the recipient's `notificationReceived` event \
         (it includes the mutation's transaction).\n\n",
        args.rate, args.seconds
    ));
    md.push_str("| connected subscribers | delivered / sent | p50 (ms) | p99 (ms) | p99 ÷ baseline p99 |\n|---:|---:|---:|---:|---:|\n");
    for (label, l) in [(small, &baseline), (connected, &loaded)] {
        md.push_str(&format!(
            "| {} | {} / {} | {:.1} | {:.1} | {:.2} |\n",
            label,
            l.delivered,
            l.sent,
            l.p50,
            l.p99,
            l.p99 / baseline.p99
        ));
    }
    md.push_str(&format!(
        "\n## Broadcast fan-out\n\nEvery subscriber also watches one user's `presenceChanged`; that user \
         connects and disconnects {rounds} times. Latency from the change to each of the {connected} \
         deliveries ({} deliveries in all).\n\n| p50 (ms) | p99 (ms) | max (ms) |\n|---:|---:|---:|\n| {:.1} | {:.1} | {:.1} |\n",
        broadcast_ms.len(),
        percentile(&broadcast_ms, 0.5),
        percentile(&broadcast_ms, 0.99),
        broadcast_ms.last().copied().unwrap_or(f64::NAN),
    ));
    md.push_str(&format!(
        "\nTarget p99 ≤ 250 ms with 10,000 subscribers: targeted **{:.1} ms**, broadcast **{:.1} ms**.\n\nServer RSS at the end: {rss_end} KiB.\n",
        loaded.p99,
        percentile(&broadcast_ms, 0.99)
    ));
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &md)?;
    println!("{md}");
    eprintln!(">> written to {}", args.out.display());
    std::process::exit(0);
}

async fn wait_for(presence: &PresenceArrivals, online: bool, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if presence
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, _)| *o == online)
            .count()
            >= n
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("   not every subscriber saw the presence change within 30 s");
}

fn collect(presence: &PresenceArrivals, online: bool, started: Instant, into: &mut Vec<f64>) {
    into.extend(
        presence
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, _)| *o == online)
            .map(|(_, at)| at.duration_since(started).as_secs_f64() * 1e3),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run().await
}
