//! Protection of the public API (API-3): every hostile request is refused
//! with its stable code, nothing answers 500 and nothing panics, over HTTP
//! and over the WebSocket alike.
mod common;

use common::{Backend, TestApp, code};
use serde_json::{Value, json};

/// A fresh connection per request: some of these requests end with the
/// server closing the connection, which a pooled one would trip over.
fn unpooled() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let resp = unpooled()
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn query(app: &TestApp, q: &str) -> Value {
    app.gql(q, json!({}), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_are_refused_with_their_code() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // A query 1,000 levels deep.
    let deep = format!("{}{}", "{ me ".repeat(1000), "}".repeat(1000));
    assert_eq!(code(&query(&app, &deep).await), "QUERY_TOO_DEEP");
    // 13 levels: over the default depth of 12, parsed but refused.
    let level = "products(first: 1) { edges { node { store { ";
    let thirteen = format!("{{ {} id {} }}", level.repeat(3), "} } } } ".repeat(3));
    assert_eq!(code(&query(&app, &thirteen).await), "QUERY_TOO_DEEP");
    let twelve = format!(
        "{{ {} products(first: 1) {{ edges {{ node {{ id }} }} }} {} }}",
        level.repeat(2),
        "} } } } ".repeat(2)
    );
    let ok = query(&app, &twelve).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    // 101 aliases of an expensive field.
    let aliases: String = (0..101)
        .map(|i| format!("p{i}: products(first: 100) {{ edges {{ node {{ id name }} }} }} "))
        .collect();
    assert_eq!(
        code(&query(&app, &format!("{{ {aliases} }}")).await),
        "TOO_MANY_ALIASES"
    );
    // An expensive field under the alias limit is still too complex.
    let costly: String = (0..5)
        .map(|i| format!("p{i}: products(first: 100) {{ edges {{ node {{ id shorts(first: 10) {{ edges {{ node {{ id }} }} }} }} }} }} "))
        .collect();
    assert_eq!(
        code(&query(&app, &format!("{{ {costly} }}")).await),
        "QUERY_TOO_COMPLEX"
    );
    // The same through a variable `first`.
    let body = app
        .gql(
            "query($n: Int) { a: products(first: $n) { edges { node { shorts(first: 100) { edges { node { id } } } } } } }",
            json!({ "n": 100 }),
            None,
        )
        .await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX");
    // A fragment cycle: infinitely deep.
    let cycle =
        "{ me { ...A } } fragment A on User { id ...B } fragment B on User { nickname ...A }";
    let body = query(&app, cycle).await;
    assert_eq!(code(&body), "QUERY_TOO_DEEP", "{body}");
    // 500 duplicated fields at the root.
    let dup = "categories { id } ".repeat(500);
    assert_eq!(
        code(&query(&app, &format!("{{ {dup} }}")).await),
        "TOO_MANY_ROOT_FIELDS"
    );
    // 500 duplicated cheap fields inside one object: merged, harmless.
    let ok = query(
        &app,
        &format!("{{ categories {{ {} }} }}", "id ".repeat(500)),
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    // 50 directives on a field.
    let directives = "@include(if: true) ".repeat(50);
    assert_eq!(
        code(&query(&app, &format!("{{ categories {directives} {{ id }} }}")).await),
        "TOO_MANY_DIRECTIVES"
    );
    // Too many tokens.
    let tokens = "id ".repeat(6_000);
    assert_eq!(
        code(&query(&app, &format!("{{ categories {{ {tokens} }} }}")).await),
        "TOO_MANY_TOKENS"
    );
    // first: 100000.
    assert_eq!(
        code(
            &query(
                &app,
                "{ products(first: 100000) { edges { node { id } } } }"
            )
            .await
        ),
        "VALIDATION"
    );
    // Introspection is on in development.
    let intro = query(&app, "{ __schema { queryType { name } } }").await;
    assert!(intro.get("errors").is_none(), "{intro}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_are_refused_with_their_code() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // A JSON batch of 1,000 operations.
    let batch: Vec<Value> = (0..1000)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let (status, body) = post_raw(
        &app,
        "application/json",
        serde_json::to_vec(&batch).unwrap(),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "BATCH_TOO_LARGE"));
    // A 50 MiB body: refused from its Content-Length before it is read.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut raw = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            app.addr,
            50 * 1024 * 1024
        );
        raw.write_all(head.as_bytes()).await.unwrap();
        let _ = raw.write_all(&vec![b' '; 64 * 1024]).await;
        let mut answer = vec![0u8; 1024];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), raw.read(&mut answer))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    }
    // A streamed (chunked) body over 1 MiB stops at the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![b' '; 64 * 1024])).collect();
    let resp = unpooled()
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await;
    if let Ok(resp) = resp {
        assert_eq!(resp.status(), 413);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(code(&body), "PAYLOAD_TOO_LARGE");
    }
    // Malformed JSON and invalid UTF-8.
    let (status, body) = post_raw(&app, "application/json", b"{\"query\": ".to_vec()).await;
    assert_eq!((status, code(&body)), (400, "BAD_REQUEST"));
    let (status, body) = post_raw(
        &app,
        "application/json",
        b"{\"query\": \"{ me \xff\xfe }\"}".to_vec(),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "BAD_REQUEST"));
    // text/plain (what a cross-site form or fetch may send without CORS).
    let (status, body) = post_raw(
        &app,
        "text/plain",
        br#"{"query":"mutation { logout }"}"#.to_vec(),
    )
    .await;
    assert_eq!((status, code(&body)), (415, "UNSUPPORTED_MEDIA_TYPE"));
    let (status, body) = post_raw(
        &app,
        "application/x-www-form-urlencoded",
        b"query=%7B__typename%7D".to_vec(),
    )
    .await;
    assert_eq!((status, code(&body)), (415, "UNSUPPORTED_MEDIA_TYPE"));
    // Multipart without a preflight header.
    let (status, body) = post_raw(&app, "multipart/form-data; boundary=x", b"--x--".to_vec()).await;
    assert_eq!((status, code(&body)), (400, "BAD_REQUEST"));
    // The GraphQL-over-HTTP media type is accepted.
    let (status, body) = post_raw(
        &app,
        "application/graphql-response+json",
        br#"{"query":"{ __typename }"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A mutation over GET.
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "METHOD_NOT_ALLOWED");
    // Nothing above was a server error.
    assert_eq!(
        app.metric("graphql_errors_total{code=\"INTERNAL\"}").await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_hides_the_schema() {
    let Some(app) = TestApp::spawn_production().await else {
        return;
    };
    let body = query(&app, "{ __schema { types { name } } }").await;
    assert_eq!(code(&body), "INTROSPECTION_DISABLED");
    let body = query(&app, "{ __type(name: \"User\") { name } }").await;
    assert_eq!(code(&body), "INTROSPECTION_DISABLED");
    // No "did you mean" hints about the schema.
    let body = query(&app, "{ produtcs { id } }").await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    // In development the hint is there.
    let Some(dev) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let body = query(&dev, "{ produtcs { id } }").await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{body}"
    );
}

/// The same limits hold on the WebSocket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_on_the_websocket() {
    use common::realtime::{raw_next, raw_send, raw_socket};
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let mut ws = raw_socket(&app.ws_url(), "graphql-transport-ws").await;
    raw_send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(raw_next(&mut ws).await.unwrap()["type"], "connection_ack");
    let deep = format!("{}{}", "{ me ".repeat(1000), "}".repeat(1000));
    raw_send(
        &mut ws,
        json!({ "type": "subscribe", "id": "1", "payload": { "query": deep } }),
    )
    .await;
    let error = raw_next(&mut ws).await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["payload"][0]["extensions"]["code"], "QUERY_TOO_DEEP");
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    raw_send(
        &mut ws,
        json!({ "type": "subscribe", "id": "2", "payload": { "query": format!("{{ {aliases} }}") } }),
    )
    .await;
    let error = raw_next(&mut ws).await.unwrap();
    assert_eq!(
        error["payload"][0]["extensions"]["code"],
        "TOO_MANY_ALIASES"
    );
}

async fn anonymous(app: &TestApp, q: &str) -> reqwest::Response {
    app.http
        .post(app.url("/graphql"))
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap()
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// API-4: cost-weighted windows per IP and per user, 429 with the IETF
/// headers, in process and through Redis.
async fn rate_limits_answer_429_with_headers(app: TestApp) {
    // (Signing up is anonymous too: before the IP window is spent.)
    let user = app.register("limited@example.com", "limited").await;
    // `{ categories { id } }` costs 2: what is left of the IP window of 50
    // after the sign-up (cost 4) fits 23 of them.
    let q = "{ categories { id } }";
    let after_sign_up = {
        let resp = anonymous(&app, q).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "ratelimit-policy"), "\"ip\";q=50;w=60");
        let r = header(&resp, "ratelimit");
        r.split(";r=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    for i in 0..(after_sign_up / 2) {
        let resp = anonymous(&app, q).await;
        assert_eq!(resp.status(), 200, "request {i}");
        assert!(
            header(&resp, "ratelimit")
                .starts_with(&format!("\"ip\";r={};t=", after_sign_up - 2 * (i + 1))),
            "{}",
            header(&resp, "ratelimit")
        );
    }
    let refused = anonymous(&app, q).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(code(&body), "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["policy"], "ip");
    // A signed-in user spends their own window, not the IP's.
    let resp = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&user.access)
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "ratelimit-policy").starts_with("\"user\";q="));
    assert!(header(&resp, "ratelimit").starts_with("\"user\";r="));
}

/// Every aliased or batched sign-in counts as one attempt.
async fn sign_in_attempts_count_each_alias(app: TestApp) {
    let login = |i: usize| {
        format!(
            "a{i}: login(input: {{ email: \"nobody@example.com\", password: \"wrong-password\" }}) {{ accessToken }} "
        )
    };
    let thousand: String = (0..1000).map(login).collect();
    let resp = anonymous(&app, &format!("mutation {{ {thousand} }}")).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "ratelimit-policy"), "\"auth\";q=20;w=300");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "RATE_LIMITED");
    // 18 in one document fit (each answers INVALID_CREDENTIALS) ...
    let eighteen: String = (0..18).map(login).collect();
    let body = app
        .gql(&format!("mutation {{ {eighteen} }}"), json!({}), None)
        .await;
    assert_eq!(code(&body), "INVALID_CREDENTIALS");
    // ... and a batch of 3 is 3 more: over 20, the batch is refused.
    let op = json!({ "query": format!("mutation {{ {} }}", login(0)) });
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&vec![op.clone(), op.clone(), op])
        .send()
        .await
        .unwrap();
    let results: Vec<Value> = resp.json().await.unwrap();
    let codes: Vec<&str> = results.iter().map(code).collect();
    assert_eq!(
        codes,
        ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"],
        "{results:?}"
    );
}

mod rate_limits {
    use super::*;

    const TIGHT: [(&str, &str); 1] = [("VITRINE_RATE_LIMIT_IP", "50/60s")];
    const AUTH: [(&str, &str); 1] = [("VITRINE_RATE_LIMIT_AUTH", "20/300s")];

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_process() {
        if let Some(app) = TestApp::spawn_with(Backend::Sqlite, &TIGHT).await {
            rate_limits_answer_429_with_headers(app).await;
        }
        if let Some(app) = TestApp::spawn_with(Backend::Sqlite, &AUTH).await {
            sign_in_attempts_count_each_alias(app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis() {
        if let Some(app) = TestApp::spawn_with_redis(Backend::Postgres, &TIGHT).await {
            rate_limits_answer_429_with_headers(app).await;
        }
        if let Some(app) = TestApp::spawn_with_redis(Backend::Postgres, &AUTH).await {
            sign_in_attempts_count_each_alias(app).await;
        }
    }

    /// Two instances share one window through Redis.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shared_across_instances() {
        let Some(a) = TestApp::spawn_with_redis(Backend::Postgres, &TIGHT).await else {
            return;
        };
        let b = a.sibling(&[]).await;
        for i in 0..25 {
            let on = if i % 2 == 0 { &a } else { &b };
            assert_eq!(anonymous(on, "{ categories { id } }").await.status(), 200);
        }
        assert_eq!(anonymous(&b, "{ categories { id } }").await.status(), 429);
        assert_eq!(anonymous(&a, "{ categories { id } }").await.status(), 429);
    }

    /// Redis unreachable: no 500, limits fall back to this instance.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_down_fails_open_to_per_instance_limits() {
        let (proxy, url) = common::realtime::TcpProxy::to_redis().await;
        let Some(app) = TestApp::spawn_with_redis(
            Backend::Sqlite,
            &[
                ("REDIS_URL", url.as_str()),
                ("VITRINE_RATE_LIMIT_IP", "20/60s"),
            ],
        )
        .await
        else {
            return;
        };
        let q = "{ categories { id } }";
        // Two requests counted in Redis, then Redis goes away.
        for _ in 0..2 {
            assert_eq!(anonymous(&app, q).await.status(), 200);
        }
        proxy.cut();
        // The local window starts empty: 10 more fit, the 11th is refused.
        for i in 0..10 {
            let resp = anonymous(&app, q).await;
            assert_eq!(resp.status(), 200, "request {i} while Redis is down");
            assert!(header(&resp, "ratelimit").starts_with("\"ip\";"));
        }
        let resp = anonymous(&app, q).await;
        assert_eq!(resp.status(), 429);
        assert_eq!(
            app.metric("graphql_errors_total{code=\"INTERNAL\"}").await,
            0.0
        );
        proxy.restore();
    }
}
