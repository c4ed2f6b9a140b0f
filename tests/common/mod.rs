//! Integration-test harness: spawns the real application on a random port
//! against (a) a fresh SQLite file or (b) a fresh PostgreSQL database created
//! for the test and dropped afterwards, and talks to it over HTTP.
//!
//! PostgreSQL and Redis are found at `VITRINE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `VITRINE_TEST_REDIS_URL`
//! (default `redis://127.0.0.1:6379`). When one cannot be reached its tests are
//! skipped with a message, recorded in [`SKIPS_FILE`] for `make test`'s
//! summary, except with `CI=true`, where that is a failure.
#![allow(dead_code)]

pub mod realtime;
pub mod stripe;

/// Runs each named `async fn(TestApp)` as two tests, `<name>::sqlite` and
/// `<name>::postgres` (skipped, or failed in CI, when PostgreSQL is absent).
#[macro_export]
macro_rules! on_sqlite_and_postgres {
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = TestApp::spawn(Backend::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::spawn(Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
        )+
    };
}

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::{sync::oneshot, task::JoinHandle};
use vitrine::{config::Config, state::AppState};

pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct-horse-battery";
/// The admins' view of sent mail.
pub const OUTBOX: &str = "query($to: String) { adminOutbox(recipient: $to, first: 50) { edges { node { recipient template subject textBody htmlBody status provider locale } } } }";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

pub fn postgres_admin_url() -> String {
    std::env::var("VITRINE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("VITRINE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn redis_ping(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut conn = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| "timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    redis::cmd("PING")
        .query_async::<String>(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Where skips are recorded for `make test`'s summary (it clears the file
/// before the run and prints it loudly after).
pub const SKIPS_FILE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/skipped-tests.txt");

/// Skips (returns `None`) or, in CI, fails when a service is missing. A skip
/// is printed and appended to [`SKIPS_FILE`] (service, test binary, test,
/// error), so that a green local run still says what did not run.
pub fn unavailable<T>(what: &str, err: impl std::fmt::Display) -> Option<T> {
    if ci() {
        panic!("{what} is required in CI but unreachable: {err}");
    }
    eprintln!("SKIPPED: {what} unreachable ({err}); set CI=true to make this a failure");
    let binary = std::env::args()
        .next()
        .as_deref()
        .and_then(|p| {
            std::path::Path::new(p)
                .file_name()?
                .to_str()
                .map(str::to_owned)
        })
        .map(|name| {
            name.rsplit_once('-')
                .map_or(name.clone(), |(n, _)| n.to_owned())
        })
        .unwrap_or_default();
    let test = std::thread::current()
        .name()
        .unwrap_or("unknown test")
        .to_owned();
    let line = format!("[{what}] {binary}::{test}: unreachable ({err})\n");
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(SKIPS_FILE)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = appended {
        eprintln!("could not record the skip in {SKIPS_FILE}: {e}");
    }
    None
}

/// A database made for one test, removed when dropped.
struct TestDatabase {
    url: String,
    postgres_name: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    async fn create(backend: Backend, dir: tempfile::TempDir) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("vitrine.db").display()
                ),
                postgres_name: None,
                _dir: dir,
            }),
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = match Database::connect(&admin_url).await {
                    Ok(db) => db,
                    Err(e) => return unavailable("PostgreSQL", e),
                };
                let name = format!("vitrine_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("CREATE DATABASE {name}"),
                    ))
                    .await
                    .expect("create test database");
                let _ = admin.close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin_url);
                Some(Self {
                    url: format!("{base}/{name}"),
                    postgres_name: Some(name),
                    _dir: dir,
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs outside any async context we can rely on: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(&postgres_admin_url()).await {
                    let _ = admin
                        .execute_raw(Statement::from_string(
                            DbBackend::Postgres,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub backend: Backend,
    pub state: AppState,
    pub http: reqwest::Client,
    pub data_dir: PathBuf,
    /// The environment it was built from (siblings and restarts reuse it).
    pub vars: HashMap<String, String>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// Stops the background work at once when the app is dropped, before
    /// its database and data directory are removed.
    background: vitrine::jobs::AbortHandles,
    db: std::sync::Arc<TestDatabase>,
    /// The clock of email codes and the security monitor.
    pub clock: std::sync::Arc<dyn vitrine::jobs::Clock>,
}

/// Signed-in user: tokens and ids as the API returned them.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, &[]).await
    }

    /// Spawns with extra environment variables on top of the test defaults.
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> Option<Self> {
        Self::spawn_with_clock(backend, extra, vitrine::jobs::SystemClock).await
    }

    /// [`Self::spawn_with`] on `clock` (email codes and the security
    /// monitor read it; tests move it instead of sleeping).
    pub async fn spawn_with_clock(
        backend: Backend,
        extra: &[(&str, &str)],
        clock: impl vitrine::jobs::Clock,
    ) -> Option<Self> {
        let clock: std::sync::Arc<dyn vitrine::jobs::Clock> = std::sync::Arc::new(clock);
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().join("data");
        let db = TestDatabase::create(backend, dir).await?;
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url.clone()),
            ("VITRINE_JWT_SECRET".into(), TEST_JWT_SECRET.into()),
            ("VITRINE_DATA_DIR".into(), data_dir.display().to_string()),
            ("VITRINE_LOG".into(), "warn".into()),
            ("VITRINE_SHUTDOWN_GRACE".into(), "5s".into()),
            // Tests sign up many users from one address and send many
            // requests; the rate-limit tests set their own windows.
            ("VITRINE_RATE_LIMIT_AUTH".into(), "1000000/300s".into()),
            ("VITRINE_RATE_LIMIT_IP".into(), "100000000/60s".into()),
            ("VITRINE_RATE_LIMIT_USER".into(), "100000000/60s".into()),
            // Recommender: no training at start, short jobs, quick pick-up
            // of a CURRENT changed on disk.
            ("VITRINE_ML_TRAIN_ON_START".into(), "false".into()),
            // The assistant's tests ingest the help corpus themselves.
            ("VITRINE_ASSISTANT_AUTO_INGEST".into(), "false".into()),
            ("VITRINE_ASSISTANT_PACE".into(), "0ms".into()),
            ("VITRINE_ML_EPOCHS".into(), "3".into()),
            ("VITRINE_ML_RELOAD_INTERVAL".into(), "1s".into()),
        ]);
        for (k, v) in extra {
            vars.insert((*k).into(), (*v).into());
        }
        Some(Self::start(backend, vars, std::sync::Arc::new(db), clock).await)
    }

    /// Spawns in production mode (`VITRINE_ENV=production`, one allowed
    /// origin): no introspection, no GraphiQL, no "did you mean" hints.
    pub async fn spawn_production() -> Option<Self> {
        Self::spawn_with(
            Backend::Sqlite,
            &[
                ("VITRINE_ENV", "production"),
                ("VITRINE_CORS_ORIGINS", "https://shop.example"),
            ],
        )
        .await
    }

    /// Spawns with Redis as the shared store and pub/sub, under a key prefix
    /// of its own; `None` (a skip) when Redis is unreachable outside CI.
    pub async fn spawn_with_redis(backend: Backend, extra: &[(&str, &str)]) -> Option<Self> {
        Self::spawn_with_redis_and_clock(backend, extra, vitrine::jobs::SystemClock).await
    }

    /// [`Self::spawn_with_redis`] on `clock`.
    pub async fn spawn_with_redis_and_clock(
        backend: Backend,
        extra: &[(&str, &str)],
        clock: impl vitrine::jobs::Clock,
    ) -> Option<Self> {
        let url = redis_url();
        if let Err(e) = redis_ping(&url).await {
            return unavailable("Redis", e);
        }
        let prefix = format!("vitrine-test-{}", uuid::Uuid::new_v4().simple());
        let mut vars: Vec<(&str, &str)> =
            vec![("REDIS_URL", &url), ("VITRINE_REDIS_PREFIX", &prefix)];
        vars.extend_from_slice(extra);
        Self::spawn_with_clock(backend, &vars, clock).await
    }

    async fn start(
        backend: Backend,
        vars: HashMap<String, String>,
        db: std::sync::Arc<TestDatabase>,
        clock: std::sync::Arc<dyn vitrine::jobs::Clock>,
    ) -> Self {
        let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
        let data_dir = config.data_dir.clone();
        vitrine::telemetry::init_logging(&config);
        let app = vitrine::build_with_clock(config, clock.clone())
            .await
            .expect("build app");
        let state = app.state.clone();
        let background = app.background.abort_handles();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            backend,
            state,
            http: reqwest::Client::new(),
            data_dir,
            vars,
            shutdown: Some(tx),
            server: Some(server),
            background,
            db,
            clock,
        }
    }

    /// A second instance on the same database (and Redis prefix, if any),
    /// with `extra` variables on top: scale-out in one process.
    pub async fn sibling(&self, extra: &[(&str, &str)]) -> Self {
        let mut vars = self.vars.clone();
        for (k, v) in extra {
            vars.insert((*k).into(), (*v).into());
        }
        Self::start(self.backend, vars, self.db.clone(), self.clock.clone()).await
    }

    /// Stops this instance and starts a new one on the same database and
    /// data directory (a new port).
    pub async fn restart(mut self) -> Self {
        let vars = self.vars.clone();
        let db = self.db.clone();
        let backend = self.backend;
        let clock = self.clock.clone();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.server.take() {
            handle.await.expect("server task").expect("clean stop");
        }
        Self::start(backend, vars, db, clock).await
    }

    /// `ws://…/graphql/ws` of this instance.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// GETs `path` and parses the JSON body (`/healthz`, `/readyz`).
    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.http.get(self.url(path)).send().await.expect("request");
        resp.json().await.expect("json body")
    }

    /// `createDesign` with `input` (title, style, roomType, …) and a PNG as
    /// its source image; returns the design's id.
    pub async fn create_design(&self, user: &SignedIn, mut input: Value) -> String {
        input["sourceImage"] = Value::Null;
        let (status, body) = self
            .gql_upload(
                "mutation($i: CreateDesignInput!) { createDesign(input: $i) { id } }",
                json!({ "i": input }),
                vec![("variables.i.sourceImage", "room.png", png())],
                Some(&user.access),
            )
            .await;
        assert_eq!(status, 200);
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["createDesign"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The latest mail to `to` with `template`, once its delivery job sent
    /// it (read from the outbox by `admin`).
    pub async fn sent_mail(&self, admin: &SignedIn, to: &str, template: &str) -> Value {
        for _ in 0..100 {
            let data = self
                .gql_ok(OUTBOX, json!({ "to": to }), Some(&admin.access))
                .await;
            let found = data["adminOutbox"]["edges"]
                .as_array()
                .expect("outbox edges")
                .iter()
                .map(|e| e["node"].clone())
                .find(|m| m["template"] == template && m["status"] == "SENT");
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no {template} mail to {to} was sent");
    }

    /// POSTs a GraphQL operation; returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("request");
        resp.json().await.expect("json body")
    }

    /// Like [`Self::gql`] but panics on errors and returns `data`.
    pub async fn gql_ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let body = self.gql(query, variables, token).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// A GraphQL multipart request (the spec clients use for uploads):
    /// `files` are `(variable path, file name, bytes)`.
    pub async fn gql_upload(
        &self,
        query: &str,
        variables: Value,
        files: Vec<(&str, &str, Vec<u8>)>,
        token: Option<&str>,
    ) -> (reqwest::StatusCode, Value) {
        let operations = json!({ "query": query, "variables": variables });
        let map: serde_json::Map<String, Value> = files
            .iter()
            .enumerate()
            .map(|(i, (path, _, _))| (i.to_string(), json!([path])))
            .collect();
        let mut form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", Value::Object(map).to_string());
        for (i, (_, name, bytes)) in files.into_iter().enumerate() {
            form = form.part(
                i.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .header("apollo-require-preflight", "true")
            .multipart(form);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `createUploadUrl`: `(upload id, url, the PUT's headers)`; a URL of
    /// this API made absolute.
    pub async fn upload_url(
        &self,
        user: &SignedIn,
        content_type: &str,
        size: usize,
    ) -> (String, String, Vec<(String, String)>) {
        let data = self
            .gql_ok(
                "mutation($t: String!, $s: Int!) { createUploadUrl(contentType: $t, size: $s) { url method expiresAt headers { name value } upload { id status expiresAt } } }",
                json!({ "t": content_type, "s": size }),
                Some(&user.access),
            )
            .await;
        let ticket = &data["createUploadUrl"];
        assert_eq!(ticket["method"], "PUT");
        assert_eq!(ticket["upload"]["status"], "PENDING");
        assert_eq!(ticket["upload"]["expiresAt"], ticket["expiresAt"]);
        let url = ticket["url"].as_str().expect("url");
        let url = if url.starts_with('/') {
            self.url(url)
        } else {
            url.to_owned()
        };
        let headers = ticket["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| {
                (
                    h["name"].as_str().unwrap().to_owned(),
                    h["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (
            ticket["upload"]["id"].as_str().unwrap().to_owned(),
            url,
            headers,
        )
    }

    /// PUTs `bytes` to a direct-upload URL; the response's status.
    pub async fn put_upload(
        &self,
        url: &str,
        headers: &[(String, String)],
        bytes: Vec<u8>,
    ) -> reqwest::StatusCode {
        let mut req = reqwest::Client::new().put(url).body(bytes);
        for (name, value) in headers {
            req = req.header(name.as_str(), value.as_str());
        }
        req.send().await.expect("PUT").status()
    }

    /// A direct upload from start to confirmation; the upload id.
    pub async fn direct_upload(
        &self,
        user: &SignedIn,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> String {
        let (id, url, headers) = self.upload_url(user, content_type, bytes.len()).await;
        let status = self.put_upload(&url, &headers, bytes).await;
        assert!(status.is_success(), "PUT answered {status}");
        let confirmed = self
            .gql_ok(
                "mutation($id: ID!) { confirmUpload(id: $id) { id status expiresAt } }",
                json!({ "id": id }),
                Some(&user.access),
            )
            .await;
        assert_eq!(confirmed["confirmUpload"]["status"], "CONFIRMED");
        assert!(confirmed["confirmUpload"]["expiresAt"].is_null());
        id
    }

    pub async fn register(&self, email: &str, nickname: &str) -> SignedIn {
        let data = self
            .gql_ok(
                REGISTER,
                json!({ "input": { "email": email, "password": PASSWORD, "nickname": nickname } }),
                None,
            )
            .await;
        signed_in(&data["register"])
    }

    pub async fn login(&self, email: &str, password: &str, device_id: &str) -> Value {
        self.gql(
            LOGIN,
            json!({ "input": { "email": email, "password": password, "deviceId": device_id, "deviceType": "MOBILE" } }),
            None,
        )
        .await
    }

    /// A fresh user with `role` (set directly in the database, then signed in
    /// again so the token carries it).
    pub async fn user_with_role(&self, role: &str) -> SignedIn {
        let email = format!(
            "{}-{}@example.com",
            role.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let user = self.register(&email, role).await;
        if role != "BUYER" {
            let backend = self.state.db.get_database_backend();
            let sql = match backend {
                DbBackend::Postgres => "UPDATE users SET role = $1 WHERE email = $2",
                _ => "UPDATE users SET role = ? WHERE email = ?",
            };
            self.state
                .db
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    sql,
                    [role.into(), email.clone().into()],
                ))
                .await
                .expect("set role");
            let body = self.login(&email, PASSWORD, "test-device").await;
            return signed_in(&body["data"]["login"]);
        }
        user
    }

    /// Value of a Prometheus counter without labels.
    /// A seller with an approved store: `(seller, store id)`.
    pub async fn approved_seller(
        &self,
        admin: &SignedIn,
        name: &str,
        license: &str,
    ) -> (SignedIn, String) {
        let seller = self
            .register(
                &format!("{}@example.com", name.to_lowercase().replace(' ', "-")),
                name,
            )
            .await;
        let applied = self
            .gql_ok(
                "mutation($i: ApplyForStoreInput!) { applyForStore(input: $i) { id status } }",
                json!({ "i": { "name": name, "licenseNumber": license, "description": "brand" } }),
                Some(&seller.access),
            )
            .await;
        let store_id = applied["applyForStore"]["id"].as_str().unwrap().to_owned();
        self.gql_ok(
            "mutation($id: ID!) { reviewStore(id: $id, decision: APPROVE) { status } }",
            json!({ "id": store_id }),
            Some(&admin.access),
        )
        .await;
        (seller, store_id)
    }

    /// The Prometheus exposition of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Sends the shutdown signal and waits for the server to stop.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.server.take() {
            handle.abort();
        }
        self.background.abort();
    }
}

pub fn signed_in(payload: &Value) -> SignedIn {
    SignedIn {
        id: payload["user"]["id"].as_str().expect("user id").to_owned(),
        email: payload["user"]["email"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        access: payload["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh: payload["refreshToken"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// The `extensions.code` of the first error.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

pub fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("<no reason>")
}

pub const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken accessTokenExpiresIn user { id email nickname role } } }";
pub const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id email role } } }";
pub const REFRESH: &str = "mutation($token: String!) { refreshToken(token: $token) { accessToken refreshToken user { id } } }";
/// A valid 1×1 PNG.
pub fn png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .expect("png")
}

pub const ME: &str = "{ me { id email nickname role status } }";

/// Runs an async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = common::TestApp::spawn(common::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = common::TestApp::spawn(common::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            }
        )+
    };
}

/// The global id of the category with `code` (a root or one of its children).
pub async fn category_id(app: &TestApp, code: &str) -> String {
    let data = app
        .gql_ok(
            "{ categories { id code children { id code } } }",
            json!({}),
            None,
        )
        .await;
    for root in data["categories"].as_array().unwrap() {
        for node in std::iter::once(root).chain(root["children"].as_array().unwrap()) {
            if node["code"] == code {
                return node["id"].as_str().unwrap().to_owned();
            }
        }
    }
    panic!("no category {code}");
}

/// The Chromium the browser test drives: `VITRINE_CHROMIUM`, else the first
/// of `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("VITRINE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .map(|name| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}
