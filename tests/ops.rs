//! Operations over HTTP (OPS-1 … OPS-3): health, readiness, metrics, request
//! ids, GraphiQL, error codes of the GraphQL plumbing, graceful shutdown, Redis,
//! and the binary's subcommands.
mod common;

use common::{Backend, ME, TestApp, code};
use serde_json::{Value, json};

on_both_databases!(
    health_readiness_and_libtorch,
    metrics_count_requests_and_statements,
    graphql_plumbing_errors_have_codes,
    get_requests_and_graphiql,
    graceful_shutdown_finishes_in_flight_requests,
    websocket_endpoint_authenticates_from_connection_init,
);

async fn health_readiness_and_libtorch(app: TestApp) {
    let health = app.get_json("/healthz").await;
    assert_eq!(health["status"], "ok");
    let resp = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let ready: Value = resp.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"]["ok"], true);
    assert_eq!(ready["database"]["pending_migrations"], 0);
    let backend = if app.backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(ready["database"]["backend"], backend);
    assert_eq!(ready["redis"]["configured"], false);
    let version = ready["libtorch"]["version"]
        .as_str()
        .expect("libtorch version");
    assert!(version.starts_with("2.13.0"), "{version}");
}

async fn metrics_count_requests_and_statements(app: TestApp) {
    let user = app.register("metrics@example.com", "metrics").await;
    let before = app.metric("db_statements_total").await;
    app.gql_ok(ME, json!({}), Some(&user.access)).await;
    let after = app.metric("db_statements_total").await;
    // `me` loads session and user in one joined statement.
    assert_eq!(after - before, 1.0, "statements for `me`");
    // An anonymous public query that needs no row costs nothing.
    let before = app.metric("db_statements_total").await;
    app.gql_ok("{ __typename }", json!({}), None).await;
    assert_eq!(app.metric("db_statements_total").await - before, 0.0);

    let text = app.metrics_text().await;
    assert!(
        text.contains("http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}"),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{method=\"POST\",route=\"/graphql\"")
    );
    assert!(text.contains("# TYPE db_statements_total counter"));
}

async fn graphql_plumbing_errors_have_codes(app: TestApp) {
    let body = app.gql("{ me { id ", json!({}), None).await;
    assert_eq!(code(&body), "GRAPHQL_PARSE_FAILED", "{body}");
    let body = app.gql("{ noSuchField }", json!({}), None).await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    let body = app
        .gql(
            "query($n: Int) { users(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
            None,
        )
        .await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    // Out-of-range values that do type-check reach the resolver's own rules.
    let body = app.gql("{ user(id: \"\") { id } }", json!({}), None).await;
    assert_eq!(code(&body), "VALIDATION", "{body}");

    // Batches: allowed up to the cap, refused above it.
    let op = json!({ "query": "{ __typename }" });
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&vec![op.clone(); 3])
        .send()
        .await
        .unwrap();
    let results: Vec<Value> = resp.json().await.unwrap();
    assert_eq!(results.len(), 3);
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&vec![op; 11])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "BATCH_TOO_LARGE");

    // Oversized bodies are refused from the headers, before the body is read
    // (only the request head is sent).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        app.addr,
        2 * 1024 * 1024
    );
    raw.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = raw.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Request ids: generated, or propagated when the caller sends one.
    let resp = app.http.get(app.url("/healthz")).send().await.unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "uuid request id: {id}");
    let resp = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "trace-me-123");
}

async fn get_requests_and_graphiql(app: TestApp) {
    let resp = app
        .http
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["__typename"], "Query");
    let resp = app
        .http
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("graphiql"));
    let resp = app.http.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

async fn graceful_shutdown_finishes_in_flight_requests(app: TestApp) {
    // Registration hashes a password (tens of ms): a request that is in flight
    // when the signal arrives must still get its full answer.
    let url = app.url("/graphql");
    let http = app.http.clone();
    let in_flight = tokio::spawn(async move {
        http.post(url)
            .json(&json!({ "query": common::REGISTER, "variables": { "input": {
                "email": "late@example.com", "password": common::PASSWORD, "nickname": "late" } } }))
            .send()
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    let addr = app.addr;
    app.stop().await.expect("clean stop");
    let resp = in_flight
        .await
        .unwrap()
        .expect("in-flight request completed");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["data"]["register"]["accessToken"].is_string(),
        "{body}"
    );
    // And nothing listens any more.
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_turns_graphiql_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("VITRINE_ENV", "production")])
        .await
        .unwrap();
    let resp = app
        .http
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    // No page to send, and HTML is all this client accepts.
    assert_eq!(resp.status(), 406);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "NOT_ACCEPTABLE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_redis_when_configured() {
    let url = common::redis_url();
    if let Err(e) = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
    {
        let _skipped: Option<()> = common::unavailable("Redis", e);
        return;
    }
    let app = TestApp::spawn_with(Backend::Sqlite, &[("REDIS_URL", &url)])
        .await
        .unwrap();
    let ready = app.get_json("/readyz").await;
    assert_eq!(
        ready["redis"],
        json!({ "ok": true, "configured": true }),
        "{ready}"
    );
    assert_eq!(ready["status"], "ready");
}

fn vitrine(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vitrine"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("VITRINE_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run vitrine")
}

#[test]
fn subcommands_migrate_admin_schema_config() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let data = dir.path().join("data");
    let env = [
        ("DATABASE_URL", db.as_str()),
        ("VITRINE_DATA_DIR", data.to_str().unwrap()),
    ];

    let out = vitrine(&["migrate"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = <migrations::Migrator as migrations::MigratorTrait>::migrations().len();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("migrations applied: {all}")));
    let out = vitrine(&["migrate"], &env);
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied: 0"));

    let create = [
        "admin",
        "create",
        "--email",
        "Root@Example.com",
        "--password",
        "root-password-123",
    ];
    let out = vitrine(&create, &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin"));
    let out = vitrine(&create, &env);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already an ADMIN"));
    let out = vitrine(
        &[
            "admin",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ],
        &env,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10"));

    let out = vitrine(&["schema"], &[]);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/schema.graphql"
    ))
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);

    let out = vitrine(&["config"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("`VITRINE_BIND`"));

    // A bad variable stops start-up with a message naming it.
    let out = vitrine(&["serve"], &[("VITRINE_BIND", "not-an-address")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VITRINE_BIND"));
    let out = vitrine(&["serve"], &[("VITRINE_ENV", "production")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VITRINE_JWT_SECRET"));
}

async fn websocket_endpoint_authenticates_from_connection_init(app: TestApp) {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let user = app.register("socket@example.com", "socket").await;
    let mut request = format!("ws://{}/graphql/ws", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );

    async fn next_json(
        ws: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Value {
        loop {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
                .await
                .expect("message in time")
                .expect("open")
                .expect("frame");
            if let Message::Text(text) = msg {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", user.access) } });
    ws.send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    let op = json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ me { email } }" } });
    ws.send(Message::Text(op.to_string().into())).await.unwrap();
    let next = next_json(&mut ws).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["payload"]["data"]["me"]["email"], "socket@example.com");
    assert_eq!(
        next_json(&mut ws).await,
        json!({ "id": "1", "type": "complete" })
    );
    // The same operation without credentials is refused with its code.
    let (mut anon, _) = {
        let mut request = format!("ws://{}/graphql/ws", app.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request).await.unwrap()
    };
    anon.send(Message::Text(
        json!({ "type": "connection_init" }).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut anon).await["type"], "connection_ack");
    anon.send(Message::Text(op.to_string().into()))
        .await
        .unwrap();
    let next = next_json(&mut anon).await;
    assert_eq!(
        next["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{next}"
    );
}
