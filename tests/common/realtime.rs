//! Real-time test clients: the `graphql-ws` npm library driven through
//! `tests/realtime-client/client.mjs` (a real client this project did not
//! write), a raw WebSocket for protocol violations, and a TCP proxy that can
//! cut the connection to Redis.
use std::{
    collections::VecDeque,
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    process::{Child, ChildStdin, Command},
    sync::mpsc,
};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/realtime-client")
}

static NPM: Mutex<()> = Mutex::new(());

/// Installs a test client's pinned packages once (`npm ci` from its
/// lockfile) when `node_modules/<package>` is missing.
pub fn npm_ci(dir: &std::path::Path, package: &str) {
    let _guard = NPM.lock().unwrap_or_else(|e| e.into_inner());
    if dir
        .join("node_modules")
        .join(package)
        .join("package.json")
        .exists()
    {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .expect("npm must be installed to run the client tests");
    assert!(status.success(), "npm ci failed in {}", dir.display());
}

fn ensure_node_modules() {
    npm_ci(&client_dir(), "graphql-ws");
}

/// One `node client.mjs` process: many graphql-ws clients, many
/// subscriptions, each named by the test.
pub struct NodeClient {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::UnboundedReceiver<Value>,
    seen: VecDeque<Value>,
}

impl NodeClient {
    pub async fn spawn() -> Self {
        ensure_node_modules();
        Self::spawn_script(&client_dir(), "client.mjs").await
    }

    /// Runs `script` in `dir` (whose packages are installed) with the same
    /// line protocol: `tests/http-client/sse.mjs` drives graphql-sse.
    pub async fn spawn_script(dir: &std::path::Path, script: &str) -> Self {
        let mut child = Command::new("node")
            .arg(script)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Self {
            child,
            stdin,
            events,
            seen: VecDeque::new(),
        }
    }

    pub async fn send(&mut self, command: Value) {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.expect("write");
        self.stdin.flush().await.expect("flush");
    }

    /// Opens connection `conn` and waits for its `connection_ack`.
    pub async fn connect(&mut self, conn: &str, url: &str, token: Option<&str>) {
        self.send(json!({ "op": "connect", "conn": conn, "url": url, "token": token }))
            .await;
        self.expect(|e| e["event"] == "connected" && e["conn"] == conn)
            .await;
    }

    /// Connects `conn` with `token` and subscribes `sub` to its
    /// `notificationReceived { kind data }`, then gives the server a moment
    /// to register it.
    pub async fn watch_notifications(&mut self, conn: &str, url: &str, token: &str, sub: &str) {
        self.connect(conn, url, Some(token)).await;
        self.subscribe(
            conn,
            sub,
            "subscription { notificationReceived { kind data } }",
            json!({}),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    pub async fn subscribe(&mut self, conn: &str, sub: &str, query: &str, variables: Value) {
        self.send(json!({ "op": "subscribe", "conn": conn, "sub": sub, "query": query, "variables": variables }))
            .await;
    }

    /// The first event (seen or coming) that matches, within 10 s; events
    /// that do not match are kept for later calls.
    pub async fn expect(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        self.expect_within(Duration::from_secs(10), matches)
            .await
            .unwrap_or_else(|| panic!("expected event did not come; seen: {:#?}", self.seen))
    }

    pub async fn expect_within(
        &mut self,
        within: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(pos) = self.seen.iter().position(&matches) {
            return self.seen.remove(pos);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    if event["event"] == "driver_error" {
                        panic!("client driver error: {event}");
                    }
                    if matches(&event) {
                        return Some(event);
                    }
                    self.seen.push_back(event);
                }
                Ok(None) => panic!("node client exited"),
                Err(_) => return None,
            }
        }
    }

    /// The next `next` payload of subscription `sub`.
    pub async fn next(&mut self, sub: &str) -> Value {
        let sub = sub.to_owned();
        self.expect(move |e| e["event"] == "next" && e["sub"] == sub.as_str())
            .await["data"]
            .clone()
    }

    /// Reads `count` notifications of `sub` (a `notificationReceived`
    /// subscription of comments), asserts nothing more comes, and asserts
    /// they are the `offline` excerpts first, in order, then `live 0` …
    /// `live {live-1}` of [`comment_in_background`]: nothing missing,
    /// nothing twice.
    pub async fn assert_replayed(&mut self, sub: &str, offline: &[&str], live: usize) {
        let mut excerpts = Vec::new();
        for _ in 0..offline.len() + live {
            let next = self.next(sub).await;
            assert!(next.get("errors").is_none(), "errors: {next:#}");
            excerpts.push(
                next["data"]["notificationReceived"]["data"]["excerpt"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        self.assert_quiet(sub, Duration::from_millis(700)).await;
        assert_eq!(&excerpts[..offline.len()], offline);
        let mut got = excerpts.clone();
        got.sort();
        let mut want: Vec<String> = offline.iter().map(|s| s.to_string()).collect();
        want.extend((0..live).map(|i| format!("live {i}")));
        want.sort();
        assert_eq!(got, want);
    }

    /// Asserts no `next` for `sub` arrives within `within`.
    pub async fn assert_quiet(&mut self, sub: &str, within: Duration) {
        let sub = sub.to_owned();
        if let Some(e) = self
            .expect_within(within, move |e| {
                e["event"] == "next" && e["sub"] == sub.as_str()
            })
            .await
        {
            panic!("unexpected event: {e:#}");
        }
    }

    /// Waits for connection `conn` to close; returns `(code, reason)`.
    pub async fn closed(&mut self, conn: &str) -> (u16, String) {
        let conn = conn.to_owned();
        let e = self
            .expect(move |e| e["event"] == "closed" && e["conn"] == conn.as_str())
            .await;
        (
            e["code"].as_u64().unwrap_or(0) as u16,
            e["reason"].as_str().unwrap_or_default().to_owned(),
        )
    }
}

impl Drop for NodeClient {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

pub type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A raw WebSocket speaking `protocol`, for what no well-behaved client sends.
pub async fn raw_socket(url: &str, protocol: &str) -> RawSocket {
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        protocol.parse().expect("header value"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some(protocol)
    );
    socket
}

pub async fn raw_send(socket: &mut RawSocket, message: Value) {
    socket
        .send(tungstenite::Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON message, skipping keep-alives; `None` once closed.
pub async fn raw_next(socket: &mut RawSocket) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")?;
        match msg.ok()? {
            tungstenite::Message::Text(text) => {
                let v: Value = serde_json::from_str(text.as_str()).expect("json");
                if v["type"] == "ka" || v["type"] == "ping" {
                    continue;
                }
                return Some(v);
            }
            tungstenite::Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Reads until the server closes; returns the close code and reason.
pub async fn raw_close_code(socket: &mut RawSocket) -> (u16, String) {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the server closes within 10 s");
        match msg {
            Some(Ok(tungstenite::Message::Close(Some(frame)))) => {
                return (frame.code.into(), frame.reason.to_string());
            }
            Some(Ok(tungstenite::Message::Close(None))) | None | Some(Err(_)) => {
                return (0, String::new());
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// A TCP proxy whose connections can be cut, to take Redis away from an
/// instance without touching the shared server.
pub struct TcpProxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    /// A proxy to the test Redis, and its `redis://` URL.
    pub async fn to_redis() -> (Self, String) {
        let target: SocketAddr = super::redis_url()
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .parse()
            .expect("VITRINE_TEST_REDIS_URL as redis://host:port");
        let proxy = Self::start(target).await;
        let url = format!("redis://{}", proxy.addr);
        (proxy, url)
    }

    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let acceptor = {
            let down = down.clone();
            let links = links.clone();
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if down.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.lock().unwrap().push(link);
                }
            })
        };
        Self {
            addr,
            down,
            links,
            acceptor,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

/// Comments `live 0` … `live {count-1}` on `post_id` as `token`'s user from
/// a task of its own, one after another: notifications that keep coming
/// while a client reconnects.
pub fn comment_in_background(
    graphql_url: String,
    token: String,
    post_id: String,
    count: usize,
) -> tokio::task::JoinHandle<()> {
    const COMMENT: &str =
        "mutation($p: ID!, $b: String!) { addComment(postId: $p, body: $b) { id } }";
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        for i in 0..count {
            let body: Value = http
                .post(&graphql_url)
                .bearer_auth(&token)
                .json(&json!({ "query": COMMENT, "variables": { "p": post_id, "b": format!("live {i}") } }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(body.get("errors").is_none(), "{body}");
        }
    })
}
