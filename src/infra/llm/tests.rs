//! Tests of the OpenAI-compatible client against an in-process fake server
//! (axum on 127.0.0.1:0) that records each request and answers as a
//! scenario says: embeddings out of order, streams split at awkward places,
//! cut, stalled, rate limited, failing, or never answering.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::*;

/// One request the fake server received.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Value,
}

type Answer = Arc<dyn Fn(Value) -> BoxFuture<'static, Response> + Send + Sync>;

fn answer<F, Fut>(f: F) -> Answer
where
    F: Fn(Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    Arc::new(move |body| Box::pin(f(body)))
}

/// Starts a fake server answering every request with `answer`; returns its
/// base URL (`http://127.0.0.1:port/v1`) and the requests it receives.
async fn serve(answer: Answer) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = seen.clone();
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let recorder = recorder.clone();
        let answer = answer.clone();
        async move {
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            recorder.lock().unwrap().push(Seen {
                method,
                path: uri.path().to_owned(),
                headers,
                body: body.clone(),
            });
            answer(body).await
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, Router::new().fallback(handler))
            .await
            .unwrap();
    });
    (format!("http://{addr}/v1"), seen)
}

fn client(base_url: &str, timeout: Duration) -> OpenAiCompatible {
    let config = LlmConfig {
        base_url: base_url.to_owned(),
        api_key: Some(Secret::new("test-key")),
        chat_model: "chat-model".into(),
        embedding_model: "embed-model".into(),
        timeout,
    };
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    OpenAiCompatible::new(config, http)
}

const TIMEOUT: Duration = Duration::from_secs(5);

fn header<'a>(seen: &'a Seen, name: &str) -> &'a str {
    seen.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A `chat.completion.chunk` with optional content and finish reason.
fn chunk(content: Option<&str>, finish: Option<&str>) -> String {
    let delta = match content {
        Some(text) => json!({ "content": text }),
        None => json!({}),
    };
    let value = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "chat-model",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
    });
    format!("data: {value}\r\n\r\n")
}

/// `body` in pieces of 1, 3, 2, 5, 4, 7 … bytes: splits land inside UTF-8
/// characters and between `\r` and `\n`.
fn awkward_pieces(body: &str) -> Vec<Vec<u8>> {
    let sizes = [1, 3, 2, 5, 4, 7];
    let mut pieces = Vec::new();
    let mut rest = body.as_bytes();
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        pieces.push(piece.to_vec());
        rest = tail;
    }
    pieces
}

/// An event-stream response sending `pieces` a little apart; then breaking
/// the connection (`cut`), stalling forever (`stall`), or ending.
fn event_stream(pieces: Vec<Vec<u8>>, cut: bool, stall: bool) -> Response {
    let sent = futures::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok::<_, std::io::Error>(Bytes::from(piece))
    });
    let stream: futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>> = if cut {
        // A pause first, so the deltas reach the client before the break.
        let broken = futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other("dropped"))
        });
        Box::pin(sent.chain(broken))
    } else if stall {
        Box::pin(sent.chain(futures::stream::pending()))
    } else {
        Box::pin(sent)
    };
    (
        [("content-type", "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Collects a stream (bounded in time) as readable strings.
async fn collect(stream: ChatStream) -> Vec<String> {
    let items: Vec<_> = tokio::time::timeout(TIMEOUT, stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends");
    items
        .into_iter()
        .map(|item| match item {
            Ok(ChatEvent::Delta(text)) => format!("delta {text}"),
            Ok(ChatEvent::Finished { reason }) => format!("finished {reason}"),
            Err(e) => format!("error {e:?}"),
        })
        .collect()
}

fn request() -> ChatRequest {
    ChatRequest {
        messages: vec![
            ChatMessage::new(Role::System, "You help shoppers."),
            ChatMessage::new(Role::User, "Which shorts?"),
        ],
        max_tokens: Some(200),
        temperature: Some(0.5),
    }
}

#[tokio::test]
async fn embeddings_are_batched_and_put_in_input_order() {
    let (url, seen) = serve(answer(|body: Value| async move {
        let inputs = body["input"].as_array().cloned().unwrap_or_default();
        // Reversed: the client must sort by `index`.
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, text)| {
                let n: f32 = text.as_str().unwrap_or("")[5..].parse().unwrap();
                json!({ "object": "embedding", "index": i, "embedding": [n, n + 0.5, -1.0] })
            })
            .collect();
        axum::Json(json!({ "object": "list", "data": data, "model": "embed-model" }))
            .into_response()
    }))
    .await;
    let inputs: Vec<String> = (0..130).map(|i| format!("text {i}")).collect();
    let vectors = client(&url, TIMEOUT).embed(&inputs).await.unwrap();
    assert_eq!(vectors.len(), 130);
    for (i, v) in vectors.iter().enumerate() {
        assert_eq!(v, &[i as f32, i as f32 + 0.5, -1.0]);
    }
    let seen = seen.lock().unwrap();
    let sizes: Vec<usize> = seen
        .iter()
        .map(|s| s.body["input"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [64, 64, 2]);
    for request in seen.iter() {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/v1/embeddings");
        assert_eq!(header(request, "authorization"), "Bearer test-key");
        assert_eq!(header(request, "content-type"), "application/json");
        assert_eq!(request.body["model"], "embed-model");
        assert_eq!(request.body["encoding_format"], "float");
    }
    assert_eq!(seen[2].body["input"], json!(["text 128", "text 129"]));
}

#[tokio::test]
async fn embeddings_of_different_dimensions_or_counts_are_protocol_errors() {
    let (url, _) = serve(answer(|body: Value| async move {
        let data = if body["input"].as_array().map_or(0, Vec::len) == 2 {
            json!([{ "index": 0, "embedding": [1.0, 2.0] }, { "index": 1, "embedding": [1.0] }])
        } else {
            json!([{ "index": 5, "embedding": [1.0] }])
        };
        axum::Json(json!({ "data": data })).into_response()
    }))
    .await;
    let llm = client(&url, TIMEOUT);
    let two = ["a".to_owned(), "b".to_owned()];
    assert!(matches!(llm.embed(&two).await, Err(LlmError::Protocol(_))));
    let three = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
    assert!(matches!(
        llm.embed(&three).await,
        Err(LlmError::Protocol(_))
    ));
    assert_eq!(llm.embed(&[]).await.unwrap(), Vec::<Vec<f32>>::new());
}

#[tokio::test]
async fn chat_stream_split_anywhere_yields_the_deltas() {
    let mut body = String::from(": keep-alive\r\n\r\n");
    // The role-only first chunk and the usage chunk yield nothing.
    body.push_str(&format!(
        "data: {}\r\n\r\n",
        json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]})
    ));
    body.push_str(&chunk(Some("Hé"), None));
    body.push_str(&chunk(Some("llo 🌍\n"), None));
    body.push_str(&chunk(Some("한국어"), None));
    body.push_str(&chunk(None, Some("stop")));
    body.push_str(&format!(
        "data: {}\r\n\r\n",
        json!({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}})
    ));
    body.push_str("data: [DONE]\r\n\r\n");
    let pieces = awkward_pieces(&body);
    let (url, seen) = serve(answer(move |_| {
        let pieces = pieces.clone();
        async move { event_stream(pieces, false, false) }
    }))
    .await;
    let stream = client(&url, TIMEOUT).chat_stream(&request()).await.unwrap();
    assert_eq!(
        collect(stream).await,
        [
            "delta Hé",
            "delta llo 🌍\n",
            "delta 한국어",
            "finished stop"
        ]
    );
    let seen = seen.lock().unwrap();
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(header(request, "authorization"), "Bearer test-key");
    assert_eq!(header(request, "accept"), "text/event-stream");
    assert_eq!(header(request, "content-type"), "application/json");
    assert_eq!(
        request.body,
        json!({
            "model": "chat-model",
            "stream": true,
            "max_tokens": 200,
            "temperature": 0.5,
            "messages": [
                { "role": "system", "content": "You help shoppers." },
                { "role": "user", "content": "Which shorts?" },
            ],
        })
    );
}

#[tokio::test]
async fn stream_cut_mid_answer_is_cut() {
    let body = chunk(Some("Half"), None) + &chunk(Some(" an answer"), None);
    let (url, seen) = serve(answer(move |_| {
        let pieces = vec![body.clone().into_bytes()];
        async move { event_stream(pieces, true, false) }
    }))
    .await;
    let request = ChatRequest {
        messages: vec![ChatMessage::new(Role::User, "hi")],
        ..ChatRequest::default()
    };
    let stream = client(&url, TIMEOUT).chat_stream(&request).await.unwrap();
    assert_eq!(
        collect(stream).await,
        ["delta Half", "delta  an answer", "error Cut"]
    );
    let body = &seen.lock().unwrap()[0].body;
    assert!(body.get("max_tokens").is_none() && body.get("temperature").is_none());
}

#[tokio::test]
async fn stream_ending_without_done_or_finish_is_cut_but_with_finish_is_complete() {
    let (url, _) = serve(answer(|body: Value| async move {
        let mut text = chunk(Some("partial"), None);
        if body["messages"][0]["content"] == "finish" {
            text.push_str(&chunk(None, Some("length")));
        }
        event_stream(vec![text.into_bytes()], false, false)
    }))
    .await;
    let llm = client(&url, TIMEOUT);
    let ask = |content: &str| ChatRequest {
        messages: vec![ChatMessage::new(Role::User, content)],
        ..ChatRequest::default()
    };
    let cut = llm.chat_stream(&ask("cut")).await.unwrap();
    assert_eq!(collect(cut).await, ["delta partial", "error Cut"]);
    let finished = llm.chat_stream(&ask("finish")).await.unwrap();
    assert_eq!(
        collect(finished).await,
        ["delta partial", "finished length"]
    );
}

#[tokio::test]
async fn errors_and_malformed_chunks_inside_the_stream_end_it() {
    let (url, _) = serve(answer(|body: Value| async move {
        let bad = if body["messages"][0]["content"] == "error" {
            format!(
                "data: {}\n\n",
                json!({"error": {"message": "overloaded", "type": "server_error", "code": null}})
            )
        } else {
            "data: {not json\n\n".to_owned()
        };
        let text = chunk(Some("a"), None) + &bad + &chunk(Some("b"), None) + "data: [DONE]\n\n";
        event_stream(vec![text.into_bytes()], false, false)
    }))
    .await;
    let llm = client(&url, TIMEOUT);
    let ask = |content: &str| ChatRequest {
        messages: vec![ChatMessage::new(Role::User, content)],
        ..ChatRequest::default()
    };
    let error = llm.chat_stream(&ask("error")).await.unwrap();
    assert_eq!(
        collect(error).await,
        [
            "delta a",
            "error Status { status: 500, message: \"overloaded\" }"
        ]
    );
    let malformed = collect(llm.chat_stream(&ask("malformed")).await.unwrap()).await;
    assert_eq!(malformed.len(), 2);
    assert!(malformed[1].starts_with("error Protocol("), "{malformed:?}");
}

#[tokio::test]
async fn rate_limit_reports_retry_after() {
    let (url, _) = serve(answer(|_| async {
        let error = json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}});
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "7")],
            axum::Json(error),
        )
            .into_response()
    }))
    .await;
    let llm = client(&url, TIMEOUT);
    let chat = llm.chat_stream(&request()).await.err();
    assert!(
        matches!(chat, Some(LlmError::RateLimited { retry_after: Some(d) }) if d == Duration::from_secs(7)),
        "{chat:?}"
    );
    let embed = llm.embed(&["x".to_owned()]).await;
    assert!(
        matches!(embed, Err(LlmError::RateLimited { retry_after: Some(d) }) if d == Duration::from_secs(7))
    );
}

#[test]
fn retry_after_headers() {
    let headers = |pairs: &[(&'static str, &'static str)]| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    };
    let ms = headers(&[("retry-after-ms", "1500"), ("retry-after", "7")]);
    assert_eq!(retry_after(&ms), Some(Duration::from_millis(1500)));
    let fraction = headers(&[("retry-after", "0.25")]);
    assert_eq!(retry_after(&fraction), Some(Duration::from_millis(250)));
    let past = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
    assert_eq!(retry_after(&past), Some(Duration::ZERO));
    let garbage = headers(&[("retry-after", "soon"), ("retry-after-ms", "-3")]);
    assert_eq!(retry_after(&garbage), None);
    let huge = headers(&[("retry-after", "1e300")]);
    assert_eq!(retry_after(&huge), None);
    assert_eq!(retry_after(&HeaderMap::new()), None);
}

#[tokio::test]
async fn server_that_never_answers_times_out() {
    let (url, _) = serve(answer(|_| std::future::pending::<Response>())).await;
    let llm = client(&url, Duration::from_millis(300));
    let started = Instant::now();
    let chat = llm.chat_stream(&request()).await.err();
    assert!(matches!(chat, Some(LlmError::Timeout)), "{chat:?}");
    let embed = llm.embed(&["x".to_owned()]).await;
    assert!(matches!(embed, Err(LlmError::Timeout)), "{embed:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(550) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn stream_that_stalls_times_out() {
    let (url, _) = serve(answer(|_| async {
        event_stream(vec![chunk(Some("slow"), None).into_bytes()], false, true)
    }))
    .await;
    let llm = client(&url, Duration::from_millis(300));
    let started = Instant::now();
    let stream = llm.chat_stream(&request()).await.unwrap();
    assert_eq!(collect(stream).await, ["delta slow", "error Timeout"]);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn error_statuses_carry_the_message() {
    let (url, _) = serve(answer(|body: Value| async move {
        match body["messages"][0]["content"].as_str() {
            Some("openai") => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"error": {
                    "message": "The server had an error while processing your request.",
                    "type": "server_error", "param": null, "code": null
                }})),
            )
                .into_response(),
            Some("text") => (StatusCode::BAD_GATEWAY, "upstream <b>down</b>").into_response(),
            Some("json200") => {
                axum::Json(json!({"error": {"message": "bad model", "code": 404}})).into_response()
            }
            _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }))
    .await;
    let llm = client(&url, TIMEOUT);
    let ask = |content: &str| ChatRequest {
        messages: vec![ChatMessage::new(Role::User, content)],
        ..ChatRequest::default()
    };
    let describe = |r: Result<ChatStream, LlmError>| match r {
        Ok(_) => "a stream".to_owned(),
        Err(e) => format!("{e:?}"),
    };
    assert_eq!(
        describe(llm.chat_stream(&ask("openai")).await),
        "Status { status: 500, message: \"The server had an error while processing your request.\" }"
    );
    assert_eq!(
        describe(llm.chat_stream(&ask("text")).await),
        "Status { status: 502, message: \"upstream <b>down</b>\" }"
    );
    assert_eq!(
        describe(llm.chat_stream(&ask("json200")).await),
        "Status { status: 404, message: \"bad model\" }"
    );
    assert_eq!(
        describe(llm.chat_stream(&ask("empty")).await),
        "Status { status: 503, message: \"Service Unavailable\" }"
    );
}

#[tokio::test]
async fn missing_key_sends_nothing() {
    let (url, seen) = serve(answer(|_| async { StatusCode::OK.into_response() })).await;
    let mut llm = client(&url, TIMEOUT);
    llm.config.api_key = None;
    assert!(matches!(
        llm.chat_stream(&request()).await.err(),
        Some(LlmError::NotConfigured)
    ));
    assert!(matches!(
        llm.embed(&["x".to_owned()]).await,
        Err(LlmError::NotConfigured)
    ));
    llm.config.api_key = Some(Secret::new("  "));
    assert!(matches!(
        llm.embed(&["x".to_owned()]).await,
        Err(LlmError::NotConfigured)
    ));
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn retryable_errors() {
    assert!(LlmError::Cut.is_retryable());
    assert!(LlmError::RateLimited { retry_after: None }.is_retryable());
    assert!(
        LlmError::Status {
            status: 503,
            message: String::new()
        }
        .is_retryable()
    );
    assert!(
        !LlmError::Status {
            status: 400,
            message: String::new()
        }
        .is_retryable()
    );
    assert!(!LlmError::NotConfigured.is_retryable());
}

/// A non-streamed `chat.completion` whose message content is `content`.
fn completion(content: &str, finish: &str) -> Response {
    axum::Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "chat-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": null },
            "finish_reason": finish,
        }],
    }))
    .into_response()
}

#[tokio::test]
async fn chat_json_sends_json_mode_and_reads_the_content_object() {
    let (url, seen) = serve(answer(|_body: Value| async move {
        completion("{\"colors\": [\"Red\"]}", "stop")
    }))
    .await;
    let value = client(&url, TIMEOUT).chat_json(&request()).await.unwrap();
    assert_eq!(value, json!({ "colors": ["Red"] }));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(header(&seen[0], "authorization"), "Bearer test-key");
    let body = &seen[0].body;
    assert_eq!(body["model"], "chat-model");
    assert_eq!(body["response_format"], json!({ "type": "json_object" }));
    assert!(body.get("stream").is_none(), "{body}");
    assert_eq!(body["messages"][1]["content"], "Which shorts?");
    assert_eq!(body["max_tokens"], 200);
}

#[tokio::test]
async fn chat_json_refuses_cut_non_object_and_failed_answers() {
    for (content, finish) in [
        ("{\"colors\": [\"Re", "length"),
        ("[1, 2]", "stop"),
        ("not json", "stop"),
    ] {
        let (url, _) = serve(answer(move |_body: Value| async move {
            completion(content, finish)
        }))
        .await;
        let err = client(&url, TIMEOUT)
            .chat_json(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, LlmError::Protocol(_)), "{content}: {err:?}");
    }
    let (url, _) = serve(answer(|_body: Value| async move {
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response()
    }))
    .await;
    let err = client(&url, TIMEOUT)
        .chat_json(&request())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}
