//! A local OpenAI-compatible server for the assistant's tests: `POST
//! /v1/embeddings` (vectors from the offline embedder, so retrieval behaves
//! as offline) and `POST /v1/chat/completions` with `stream: true`, answered
//! as server-sent events per the documented chunk format. It records every
//! request and checks the documented parts (bearer key, model, `stream`).
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use vitrine::domain::assistant::embed::OfflineEmbedder;

pub const KEY: &str = "sk-test-assistant";
pub const CHAT_MODEL: &str = "gpt-test-mini";
pub const EMBEDDING_MODEL: &str = "embed-test-small";

/// How the next chat completions are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chat {
    /// The deltas, then `finish_reason: stop` and `[DONE]`.
    Ok,
    /// Two deltas, then the connection drops.
    Cut,
    /// 429 with `retry-after: 7`.
    RateLimited,
    /// Headers never come.
    Hang,
}

/// The deltas of a normal answer.
pub const DELTAS: [&str; 5] = [
    "주문 취소 후 ",
    "환불은 ",
    "결제 수단으로 ",
    "처리됩니다",
    " [1].",
];

#[derive(Default)]
struct Inner {
    chat: Option<Chat>,
    chats: Vec<Value>,
    embeddings: Vec<Value>,
}

#[derive(Clone)]
pub struct FakeOpenAi {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "message": message, "type": "invalid_request_error", "code": null } }))).into_response()
}

async fn embeddings(
    State(fake): State<FakeOpenAi>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    assert_eq!(body["model"], EMBEDDING_MODEL, "{body}");
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => panic!("input must be a string or an array, got {other}"),
    };
    assert!(!inputs.is_empty() && inputs.len() <= 2048);
    fake.inner.lock().unwrap().embeddings.push(body.clone());
    // Answered in reverse order: the client must sort by `index`.
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, text)| json!({ "object": "embedding", "index": i, "embedding": OfflineEmbedder.vector(text) }))
        .collect();
    Json(json!({ "object": "list", "data": data, "model": EMBEDDING_MODEL, "usage": { "prompt_tokens": 1, "total_tokens": 1 } }))
        .into_response()
}

fn chunk(content: Option<&str>, finish: Option<&str>) -> String {
    let delta = match content {
        Some(c) => json!({ "content": c }),
        None => json!({}),
    };
    let body = json!({
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": CHAT_MODEL,
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
    });
    format!("data: {body}\n\n")
}

async fn chat(
    State(fake): State<FakeOpenAi>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    assert_eq!(body["model"], CHAT_MODEL, "{body}");
    assert_eq!(body["stream"], true, "{body}");
    let mode = {
        let mut inner = fake.inner.lock().unwrap();
        inner.chats.push(body.clone());
        inner.chat.unwrap_or(Chat::Ok)
    };
    match mode {
        Chat::RateLimited => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests",
            );
            response
                .headers_mut()
                .insert("retry-after", "7".parse().unwrap());
            response
        }
        Chat::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            error(StatusCode::GATEWAY_TIMEOUT, "late")
        }
        Chat::Ok | Chat::Cut => {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(16);
            tokio::spawn(async move {
                let _ = tx.send(Ok(format!("data: {}\n\n", json!({ "id": "chatcmpl-test", "object": "chat.completion.chunk", "choices": [{ "index": 0, "delta": { "role": "assistant" }, "finish_reason": null }] })))).await;
                let count = if mode == Chat::Cut { 2 } else { DELTAS.len() };
                for delta in &DELTAS[..count] {
                    // Split across writes: the client must parse incrementally.
                    let text = chunk(Some(delta), None);
                    let (a, b) = text.split_at(text.len() / 2);
                    let _ = tx.send(Ok(a.to_owned())).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let _ = tx.send(Ok(b.to_owned())).await;
                }
                if mode == Chat::Cut {
                    let _ = tx
                        .send(Err(std::io::Error::other("connection reset")))
                        .await;
                    return;
                }
                let _ = tx.send(Ok(chunk(None, Some("stop")))).await;
                let _ = tx.send(Ok("data: [DONE]\n\n".to_owned())).await;
            });
            let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap()
        }
    }
}

impl FakeOpenAi {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = Self {
            addr,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/embeddings", post(embeddings))
            .route("/v1/chat/completions", post(chat))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn set_chat(&self, mode: Chat) {
        self.inner.lock().unwrap().chat = Some(mode);
    }

    /// The chat requests received so far.
    pub fn chats(&self) -> Vec<Value> {
        self.inner.lock().unwrap().chats.clone()
    }

    /// How many texts were sent to `/embeddings` so far.
    pub fn embedded_inputs(&self) -> usize {
        self.inner
            .lock()
            .unwrap()
            .embeddings
            .iter()
            .map(|b| b["input"].as_array().map_or(1, Vec::len))
            .sum()
    }
}
