//! The client side of `realtime-bench`: WebSocket sockets over loopback
//! (spread over source addresses), the idle subscriber task, connecting
//! subscribers in bulk, and the targeted and broadcast latency measurements.
use std::{
    collections::HashMap,
    net::{Ipv4Addr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, protocol::WebSocketConfig};

use crate::{realtime_data::Subscriber, stats::percentile};

/// Sockets from one source address: well under the ~28,000 ephemeral ports
/// one address has towards the server's port.
const SOCKETS_PER_SOURCE: usize = 20_000;

/// `--no-subscribe`: sockets only do `connection_init`.
pub static NO_SUBSCRIBE: AtomicBool = AtomicBool::new(false);

/// Sockets that could not connect or subscribe.
pub static FAILED: AtomicUsize = AtomicUsize::new(0);

/// Set once the server is being stopped: sockets failing then are expected.
pub static STOPPING: AtomicBool = AtomicBool::new(false);

/// Where received events are timestamped: (user id, message id) → instant.
pub type Arrivals = Arc<Mutex<HashMap<(i64, i64), Instant>>>;
/// Presence deliveries: (online?, arrival).
pub type PresenceArrivals = Arc<Mutex<Vec<(bool, Instant)>>>;

fn ws_config() -> WebSocketConfig {
    // Client side of 10,000 sockets: small buffers here too.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// The source address of the `index`-th socket: 127.0.0.1 for the first
/// [`SOCKETS_PER_SOURCE`], then 127.0.0.2, … (all of 127/8 is loopback on
/// Linux).
fn source_address(index: usize) -> Ipv4Addr {
    let k = 1 + index / SOCKETS_PER_SOURCE;
    Ipv4Addr::new(127, 0, (k / 250) as u8, (k % 250) as u8)
}

async fn open_socket(server: SocketAddr, source: Ipv4Addr, token: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{server}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let tcp = tokio::net::TcpSocket::new_v4()?;
    tcp.bind(SocketAddr::new(source.into(), 0))?;
    let stream = tcp.connect(server).await?;
    let (mut socket, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config())).await?;
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

/// What every subscriber should do about the actor's presence.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PresencePhase {
    Off,
    Watch,
    /// Complete the presence subscription (before the scale-up).
    Done,
}

/// What the subscriber tasks share: the server, the actor whose presence
/// they watch, where they timestamp what arrives, the count of sockets that
/// have subscribed (or failed to), and the presence phase.
#[derive(Clone)]
pub struct Shared {
    pub server: SocketAddr,
    pub actor_id: i64,
    pub arrivals: Arrivals,
    pub presence: PresenceArrivals,
    pub ready: Arc<AtomicUsize>,
    pub phase: tokio::sync::watch::Receiver<PresencePhase>,
}

/// One idle subscriber: subscribes, then answers pings and timestamps what
/// arrives; subscribes to and completes the actor's presence when told.
async fn subscriber(shared: Shared, source: Ipv4Addr, sub: Arc<Subscriber>) -> anyhow::Result<()> {
    let Shared {
        server,
        actor_id,
        arrivals,
        presence,
        ready,
        mut phase,
    } = shared;
    let opened = async {
        let mut socket = open_socket(server, source, &sub.token).await?;
        if !NO_SUBSCRIBE.load(Ordering::Relaxed) {
            socket
            .send(tungstenite::Message::Text(
                json!({ "type": "subscribe", "id": "n", "payload": { "query": "subscription { notificationReceived { id data } }" } })
                    .to_string()
                    .into(),
            ))
            .await?;
        }
        anyhow::Ok(socket)
    };
    let opened = opened.await;
    // Counted either way, so that the connect phase does not wait for it.
    ready.fetch_add(1, Ordering::SeqCst);
    let mut socket = opened.inspect_err(|_| {
        FAILED.fetch_add(1, Ordering::SeqCst);
    })?;
    let mut watching = false;
    let mut phase_open = true;
    loop {
        tokio::select! {
            changed = phase.changed(), if phase_open => {
                if changed.is_err() {
                    phase_open = false;
                    continue;
                }
                let now = *phase.borrow_and_update();
                if now == PresencePhase::Watch && !watching {
                    watching = true;
                    let actor = base64_id("User", actor_id);
                    socket.send(tungstenite::Message::Text(
                        json!({ "type": "subscribe", "id": "p", "payload": { "query": "subscription($u: [ID!]!) { presenceChanged(userIds: $u) { online } }", "variables": { "u": [actor] } } })
                            .to_string().into(),
                    )).await?;
                } else if now == PresencePhase::Done && watching {
                    watching = false;
                    socket.send(tungstenite::Message::Text(
                        json!({ "type": "complete", "id": "p" }).to_string().into(),
                    )).await?;
                }
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

pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub delivered: usize,
    pub sent: usize,
}

/// Sends `rate` messages per second for `seconds` to random connected
/// subscribers and measures send → notification received.
pub async fn targeted(
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

/// Connects `subs` (the `first`-th subscriber onwards) and waits until each
/// has subscribed.
pub async fn connect_many(shared: &Shared, subs: &[Arc<Subscriber>], first: usize) {
    let gate = Arc::new(Semaphore::new(200));
    let target = shared.ready.load(Ordering::SeqCst) + subs.len();
    for (i, sub) in subs.iter().enumerate() {
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let (sub, shared) = (sub.clone(), shared.clone());
        let source = source_address(first + i);
        tokio::spawn(async move {
            let ready = shared.ready.clone();
            let before = ready.load(Ordering::SeqCst);
            let run = subscriber(shared, source, sub);
            // Hold the connect permit until this socket has subscribed.
            let waiter = async {
                while ready.load(Ordering::SeqCst) <= before {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                drop(permit);
            };
            let (result, ()) = tokio::join!(run, waiter);
            if let Err(e) = result
                && !STOPPING.load(Ordering::SeqCst)
            {
                eprintln!("subscriber failed: {e}");
            }
        });
    }
    while shared.ready.load(Ordering::SeqCst) < target {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the server finish its side of the last subscriptions.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Broadcast latency: the actor connects and disconnects `rounds` times
/// while `connected` subscribers watch its presence; the milliseconds from
/// each change to each delivery, ascending.
pub async fn broadcast(
    shared: &Shared,
    actor_token: &str,
    connected: usize,
    rounds: usize,
) -> anyhow::Result<Vec<f64>> {
    let presence = &shared.presence;
    let mut broadcast_ms: Vec<f64> = Vec::new();
    for _ in 0..rounds {
        // Initial states are delivered first; wait for them, then clear.
        tokio::time::sleep(Duration::from_secs(1)).await;
        presence.lock().unwrap().clear();
        let started = Instant::now();
        let socket = open_socket(shared.server, source_address(0), actor_token).await?;
        wait_for(presence, true, connected).await;
        collect(presence, true, started, &mut broadcast_ms);
        presence.lock().unwrap().clear();
        let started = Instant::now();
        drop(socket);
        wait_for(presence, false, connected).await;
        collect(presence, false, started, &mut broadcast_ms);
    }
    broadcast_ms.sort_by(|a, b| a.total_cmp(b));
    Ok(broadcast_ms)
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
