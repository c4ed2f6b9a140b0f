//! Design generation (COMM-2) against the HTTP providers, each played by a
//! local fake that speaks the provider's documented REST API and records
//! what we send: Gemini `generateContent`, OpenAI chat completions and image
//! edits, Replicate predictions (create, poll, download). Also the chain
//! (primary → secondary), retries, and the last attempt's offline fallback
//! after a 500, malformed JSON and a timeout.
mod common;

use std::{
    collections::HashMap,
    io::Cursor,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use common::{SignedIn, TestApp, code};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

fn png(rgb: [u8; 3]) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(200, 150, |x, _| {
        Rgb(if x < 70 { [230, 225, 210] } else { rgb })
    }));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Ok,
    Fail500,
    Malformed,
    Slow,
}

#[derive(Clone, Debug)]
struct Call {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct FakeState {
    modes: HashMap<&'static str, Mode>,
    calls: Vec<Call>,
    polls: HashMap<String, u32>,
    next: u32,
}

#[derive(Clone)]
struct Fake {
    addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
}

impl Fake {
    async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = Self { addr, state };
        let app = Router::new()
            .route("/gemini/models/{action}", post(gemini))
            .route("/openai/chat/completions", post(openai_chat))
            .route("/openai/images/edits", post(openai_edit))
            .route(
                "/replicate/models/{owner}/{name}/predictions",
                post(replicate_create),
            )
            .route("/replicate/predictions/{id}", get(replicate_get))
            .route("/replicate/files/out.png", get(replicate_file))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    fn set(&self, provider: &'static str, mode: Mode) {
        self.state.lock().unwrap().modes.insert(provider, mode);
    }

    fn calls(&self, prefix: &str) -> Vec<Call> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| c.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Records the call; the answer for a provider not in `Ok` mode.
    async fn enter(
        &self,
        provider: &'static str,
        path: String,
        headers: HeaderMap,
        body: Bytes,
    ) -> Option<Response> {
        let mode = {
            let mut s = self.state.lock().unwrap();
            s.calls.push(Call {
                path,
                headers,
                body,
            });
            s.modes.get(provider).copied().unwrap_or(Mode::Ok)
        };
        match mode {
            Mode::Ok => None,
            Mode::Fail500 => Some(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{\"error\":{\"message\":\"overloaded\"}}",
                )
                    .into_response(),
            ),
            Mode::Malformed => Some(
                (
                    StatusCode::OK,
                    [("content-type", "application/json")],
                    "{\"candidates\": [ oops",
                )
                    .into_response(),
            ),
            Mode::Slow => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Some((StatusCode::OK, "{}").into_response())
            }
        }
    }

    fn base(&self, provider: &str) -> String {
        format!("http://{}/{provider}", self.addr)
    }
}

const GEMINI_TEXT: &str = "FAKE-GEMINI: a high ceiling and two tall windows on the left";
const OPENAI_TEXT: &str = "FAKE-OPENAI: white walls, oak floor, one window facing south";
const REPLICATE_TEXT: &str = "FAKE-REPLICATE: a narrow room with a skylight";

async fn gemini(
    State(fake): State<Fake>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = fake
        .enter("gemini", format!("/gemini/models/{action}"), headers, body)
        .await
    {
        return r;
    }
    if action.starts_with("vt-image") {
        axum::Json(json!({ "candidates": [{ "content": { "role": "model", "parts": [
            { "text": "Here is the room." },
            { "inlineData": { "mimeType": "image/png", "data": B64.encode(png([20, 90, 160])) } },
        ]}}]}))
        .into_response()
    } else {
        axum::Json(json!({ "candidates": [{ "content": { "role": "model", "parts": [{ "text": GEMINI_TEXT }] } }] })).into_response()
    }
}

async fn openai_chat(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = fake
        .enter("openai", "/openai/chat/completions".into(), headers, body)
        .await
    {
        return r;
    }
    axum::Json(json!({ "id": "chatcmpl-1", "object": "chat.completion", "choices": [
        { "index": 0, "message": { "role": "assistant", "content": OPENAI_TEXT }, "finish_reason": "stop" }
    ]}))
    .into_response()
}

async fn openai_edit(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = fake
        .enter("openai", "/openai/images/edits".into(), headers, body)
        .await
    {
        return r;
    }
    axum::Json(json!({ "created": 1, "data": [{ "b64_json": B64.encode(png([160, 60, 40])) }] }))
        .into_response()
}

async fn replicate_create(
    State(fake): State<Fake>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/replicate/models/{owner}/{name}/predictions");
    if let Some(r) = fake.enter("replicate", path, headers, body).await {
        return r;
    }
    let id = {
        let mut s = fake.state.lock().unwrap();
        s.next += 1;
        let id = format!("{name}-{}", s.next);
        s.polls.insert(id.clone(), 0);
        id
    };
    axum::Json(json!({ "id": id, "status": "starting", "urls": { "get": format!("https://elsewhere.example/v1/predictions/{id}") } }))
        .into_response()
}

async fn replicate_get(
    State(fake): State<Fake>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.state.lock().unwrap().calls.push(Call {
        path: format!("/replicate/predictions/{id}"),
        headers,
        body: Bytes::new(),
    });
    let polls = {
        let mut s = fake.state.lock().unwrap();
        let n = s.polls.entry(id.clone()).or_insert(0);
        *n += 1;
        *n
    };
    if polls < 2 {
        return axum::Json(json!({ "id": id, "status": "processing" })).into_response();
    }
    let output = if id.starts_with("vt-image") {
        json!(format!("http://{}/replicate/files/out.png", fake.addr))
    } else {
        json!(["FAKE-REPLICATE: ", "a narrow room with a skylight"])
    };
    axum::Json(json!({ "id": id, "status": "succeeded", "output": output })).into_response()
}

async fn replicate_file() -> Response {
    ([("content-type", "image/png")], png([90, 140, 60])).into_response()
}

const GENERATE: &str = "mutation($i: GenerateDesignInput!, $k: String!) { generateDesign(input: $i, idempotencyKey: $k) { jobId design { id generationStatus } } }";
const DESIGN: &str = "query($id: ID!) { design(id: $id) { generationStatus provider generationError structureDescription generatedImageUrl } }";

/// An app whose chain is `chain`, every provider pointing at the fake.
async fn app_with(fake: &Fake, chain: &str, extra: &[(&str, &str)]) -> Option<TestApp> {
    let (g, o, r) = (
        fake.base("gemini"),
        fake.base("openai"),
        fake.base("replicate"),
    );
    let mut vars: Vec<(&str, &str)> = vec![
        ("VITRINE_AI_PROVIDERS", chain),
        ("VITRINE_AI_TIMEOUT", "2s"),
        ("VITRINE_GEMINI_BASE_URL", &g),
        ("VITRINE_GEMINI_API_KEY", "gemini-key-123"),
        ("VITRINE_GEMINI_TEXT_MODEL", "vt-text"),
        ("VITRINE_GEMINI_IMAGE_MODEL", "vt-image"),
        ("VITRINE_OPENAI_BASE_URL", &o),
        ("VITRINE_OPENAI_API_KEY", "openai-key-456"),
        ("VITRINE_OPENAI_TEXT_MODEL", "vt-chat"),
        ("VITRINE_OPENAI_IMAGE_MODEL", "vt-image-edit"),
        ("VITRINE_REPLICATE_BASE_URL", &r),
        ("VITRINE_REPLICATE_API_TOKEN", "r8-token-789"),
        ("VITRINE_REPLICATE_TEXT_MODEL", "fake/vt-text"),
        ("VITRINE_REPLICATE_IMAGE_MODEL", "fake/vt-image"),
    ];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(common::Backend::Sqlite, &vars).await
}

async fn generate(app: &TestApp, who: &SignedIn, key: &str, provider: Option<&str>) -> Value {
    let (status, body) = app
        .gql_upload(
            GENERATE,
            json!({ "i": { "style": "SCANDINAVIAN", "roomType": "BEDROOM", "prompt": "calm", "sourceImage": null, "provider": provider }, "k": key }),
            vec![("variables.i.sourceImage", "room.png", png([120, 110, 100]))],
            Some(&who.access),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn finished(app: &TestApp, who: &SignedIn, body: &Value) -> Value {
    let id = body["data"]["generateDesign"]["design"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    for _ in 0..300 {
        let d = app
            .gql_ok(DESIGN, json!({ "id": id }), Some(&who.access))
            .await["design"]
            .clone();
        if d["generationStatus"] == "READY" || d["generationStatus"] == "FAILED" {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("design {id} did not finish");
}

fn json_body(call: &Call) -> Value {
    serde_json::from_slice(&call.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_gets_the_image_and_the_injected_description() {
    let fake = Fake::start().await;
    let Some(app) = app_with(&fake, "gemini", &[]).await else {
        return;
    };
    let ana = app.register("ana-gemini@example.com", "ana").await;
    let body = generate(&app, &ana, "ai-key-gemini-1", None).await;
    let d = finished(&app, &ana, &body).await;
    assert_eq!(
        (d["generationStatus"].as_str(), d["provider"].as_str()),
        (Some("READY"), Some("gemini")),
        "{d:#}"
    );
    assert_eq!(d["structureDescription"], GEMINI_TEXT);
    let calls = fake.calls("/gemini/");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].path, "/gemini/models/vt-text:generateContent");
    assert_eq!(calls[1].path, "/gemini/models/vt-image:generateContent");
    for call in &calls {
        assert_eq!(call.headers["x-goog-api-key"], "gemini-key-123");
        let sent = json_body(call);
        let parts = &sent["contents"][0]["parts"];
        assert_eq!(parts[1]["inline_data"]["mime_type"], "image/png");
        let image = B64
            .decode(parts[1]["inline_data"]["data"].as_str().unwrap())
            .unwrap();
        assert!(image::load_from_memory(&image).is_ok());
    }
    let stage2 = json_body(&calls[1]);
    assert_eq!(
        stage2["generationConfig"]["responseModalities"],
        json!(["TEXT", "IMAGE"])
    );
    let prompt = stage2["contents"][0]["parts"][0]["text"].as_str().unwrap();
    assert!(
        prompt.contains(GEMINI_TEXT) && prompt.contains("scandinavian") && prompt.contains("calm"),
        "{prompt}"
    );
    // A replay of the key: the stored design, no provider call.
    let again = generate(&app, &ana, "ai-key-gemini-1", None).await;
    assert_eq!(
        again["data"]["generateDesign"]["design"]["generationStatus"],
        "READY"
    );
    assert_eq!(fake.calls("/gemini/").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_chat_then_an_image_edit() {
    let fake = Fake::start().await;
    let Some(app) = app_with(&fake, "offline", &[]).await else {
        return;
    };
    let ana = app.register("ana-openai@example.com", "ana").await;
    // Named per request, ahead of the server's chain.
    let body = generate(&app, &ana, "ai-key-openai-1", Some("OPENAI")).await;
    let d = finished(&app, &ana, &body).await;
    assert_eq!(d["provider"], "openai", "{d:#}");
    assert_eq!(d["structureDescription"], OPENAI_TEXT);
    let chat = fake.calls("/openai/chat/completions");
    assert_eq!(chat.len(), 1);
    assert_eq!(chat[0].headers["authorization"], "Bearer openai-key-456");
    let sent = json_body(&chat[0]);
    assert_eq!(sent["model"], "vt-chat");
    let content = &sent["messages"][0]["content"];
    assert_eq!(content[0]["type"], "text");
    assert!(
        content[1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let edit = fake.calls("/openai/images/edits");
    assert_eq!(edit.len(), 1);
    assert_eq!(edit[0].headers["authorization"], "Bearer openai-key-456");
    assert!(
        edit[0].headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    let form = String::from_utf8_lossy(&edit[0].body);
    assert!(
        form.contains("name=\"model\"") && form.contains("vt-image-edit"),
        "{form}"
    );
    assert!(form.contains("name=\"prompt\"") && form.contains(OPENAI_TEXT));
    assert!(form.contains("name=\"image\"; filename=\"room.png\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_predictions_are_created_polled_and_downloaded() {
    let fake = Fake::start().await;
    let Some(app) = app_with(&fake, "replicate", &[]).await else {
        return;
    };
    let ana = app.register("ana-replicate@example.com", "ana").await;
    let body = generate(&app, &ana, "ai-key-replicate-1", None).await;
    let d = finished(&app, &ana, &body).await;
    assert_eq!(d["provider"], "replicate", "{d:#}");
    assert_eq!(d["structureDescription"], REPLICATE_TEXT);
    let created = fake.calls("/replicate/models/");
    assert_eq!(
        created[0].path,
        "/replicate/models/fake/vt-text/predictions"
    );
    assert_eq!(
        created[1].path,
        "/replicate/models/fake/vt-image/predictions"
    );
    for call in &created {
        assert_eq!(call.headers["authorization"], "Bearer r8-token-789");
    }
    let stage2 = json_body(&created[1]);
    assert!(
        stage2["input"]["prompt"]
            .as_str()
            .unwrap()
            .contains(REPLICATE_TEXT)
    );
    assert!(
        stage2["input"]["input_image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    // Polled at the configured base URL (not the `urls.get` it was given).
    assert!(fake.calls("/replicate/predictions/").len() >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_moves_on_from_a_failing_primary() {
    let fake = Fake::start().await;
    fake.set("gemini", Mode::Fail500);
    let Some(app) = app_with(&fake, "gemini,openai", &[]).await else {
        return;
    };
    let ana = app.register("ana-chain@example.com", "ana").await;
    let body = generate(&app, &ana, "ai-key-chain-1", None).await;
    let d = finished(&app, &ana, &body).await;
    assert_eq!(d["provider"], "openai", "{d:#}");
    // One attempt: gemini's stage 1 failed once, openai did both stages.
    assert_eq!(fake.calls("/gemini/").len(), 1);
    assert_eq!(fake.calls("/openai/").len(), 2);
}

/// A provider that keeps failing: the job retries with backoff, and its last
/// attempt ends on the offline tier, with an ADMIN_ALERT.
async fn falls_back_offline_after_retries(provider: &'static str, mode: Mode, chain: &str) {
    let fake = Fake::start().await;
    fake.set(provider, mode);
    let Some(app) = app_with(&fake, chain, &[]).await else {
        return;
    };
    let admin = app.user_with_role("ADMIN").await;
    let ana = app
        .register(&format!("ana-{provider}-fallback@example.com"), "ana")
        .await;
    let body = generate(&app, &ana, &format!("ai-key-fallback-{provider}"), None).await;
    let d = finished(&app, &ana, &body).await;
    assert_eq!(
        (d["generationStatus"].as_str(), d["provider"].as_str()),
        (Some("READY"), Some("offline")),
        "{d:#}"
    );
    assert!(
        d["structureDescription"]
            .as_str()
            .unwrap()
            .starts_with("Architecture")
    );
    // Three attempts reached the provider's stage 1.
    let first_call = match provider {
        "gemini" => "/gemini/models/vt-text",
        "openai" => "/openai/chat/completions",
        _ => "/replicate/models/fake/vt-text",
    };
    assert_eq!(fake.calls(first_call).len(), 3, "{provider}");
    let alerts = app
        .gql_ok(
            "{ notifications(first: 10) { edges { node { kind data } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let alert = alerts["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["kind"] == "ADMIN_ALERT")
        .unwrap_or_else(|| panic!("no ADMIN_ALERT: {alerts:#}"));
    assert!(
        alert["node"]["data"]["message"]
            .as_str()
            .unwrap()
            .contains("offline"),
        "{alert:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_retries_then_falls_back_offline() {
    falls_back_offline_after_retries("gemini", Mode::Fail500, "gemini").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_retries_then_falls_back_offline() {
    falls_back_offline_after_retries("openai", Mode::Malformed, "openai").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_retries_then_falls_back_offline() {
    falls_back_offline_after_retries("replicate", Mode::Slow, "replicate").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_without_a_key_is_refused() {
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let ana = app.register("ana-nokey@example.com", "ana").await;
    let body = generate(&app, &ana, "ai-key-nokey-1", Some("GEMINI")).await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "provider");
    // A chain naming a provider without a key does not start at all.
    let err = vitrine::config::Config::from_lookup(|k| match k {
        "VITRINE_AI_PROVIDERS" => Some("openai".into()),
        "VITRINE_JWT_SECRET" => Some(common::TEST_JWT_SECRET.into()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(err.var, "VITRINE_AI_PROVIDERS");
}
