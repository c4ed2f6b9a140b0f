//! A client for OpenAI-compatible LLM APIs (OpenAI itself, and servers that
//! copy its REST API), used by the help assistant. It owns the wire format
//! of two endpoints, written against the documented REST API with reqwest:
//!
//! - `POST {base_url}/embeddings` — [`OpenAiCompatible::embed`]: batches of
//!   at most [`EMBEDDING_BATCH`] inputs, `encoding_format: "float"`, vectors
//!   put back in input order by their `index`;
//! - `POST {base_url}/chat/completions` with `stream: true` —
//!   [`OpenAiCompatible::chat_stream`]: the request and the statuses here;
//!   the server-sent events of the body become a [`ChatStream`] of content
//!   deltas and a finish reason in [`sse`];
//! - `POST {base_url}/chat/completions` without streaming and with
//!   `response_format: {"type": "json_object"}` (JSON mode) —
//!   [`OpenAiCompatible::chat_json`]: the parsed object of
//!   `choices[0].message.content`. JSON mode needs the word "JSON" in the
//!   messages (the caller's prompt says it), and an answer cut by
//!   `finish_reason: "length"` may be invalid JSON: both are refused here.
//!
//! Failures are classified here, once, into [`LlmError`]. Nothing here
//! retries; [`LlmError::is_retryable`] tells the caller what may.
use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Secret;

pub mod sse;
#[cfg(test)]
mod tests;

/// The most inputs one embeddings request carries.
pub const EMBEDDING_BATCH: usize = 64;
/// Largest embeddings answer read (64 × 3072 floats as JSON is about 4 MiB).
const MAX_EMBEDDINGS_BODY: usize = 64 * 1024 * 1024;
/// Largest non-streamed chat answer read.
const MAX_CHAT_BODY: usize = 4 * 1024 * 1024;
/// Largest error answer read; the message needs only its start.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Characters of a non-JSON error body kept as the message.
const MESSAGE_CHARS: usize = 300;

/// Where and how to reach the provider.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// API root with its version, no trailing slash, e.g.
    /// `https://api.openai.com/v1` (a trailing slash is tolerated).
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>`. `None` (or blank): every call
    /// fails with [`LlmError::NotConfigured`] before sending anything.
    pub api_key: Option<Secret>,
    /// `model` of chat completions.
    pub chat_model: String,
    /// `model` of embeddings.
    pub embedding_model: String,
    /// For a stream: until the response headers, then each gap between two
    /// body chunks. For embeddings: each whole request (one batch).
    pub timeout: Duration,
}

/// A chat message's author, `system` / `user` / `assistant` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model.
    System,
    /// The person asking.
    User,
    /// The model's earlier answers.
    Assistant,
}

/// One message of a conversation, serialised as `{"role", "content"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
}

impl ChatMessage {
    /// A message of `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        let content = content.into();
        Self { role, content }
    }
}

/// A chat completion to stream; the model is [`LlmConfig::chat_model`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatRequest {
    /// The conversation, oldest first.
    pub messages: Vec<ChatMessage>,
    /// `max_tokens`, omitted when `None`.
    pub max_tokens: Option<u32>,
    /// `temperature`, omitted when `None`.
    pub temperature: Option<f32>,
}

/// What a [`ChatStream`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatEvent {
    /// The next piece of the answer (never empty).
    Delta(String),
    /// The model stopped; at most one, after the last delta.
    Finished {
        /// `finish_reason` as sent: `stop`, `length`, `content_filter`, …
        reason: String,
    },
}

/// Content deltas as they arrive. It ends after `data: [DONE]`, after an
/// error (yielded once), or when the body ends after [`ChatEvent::Finished`]
/// (servers that omit `[DONE]`). A body that ends or breaks before either
/// yields [`LlmError::Cut`]; after `Finished`, a late break or stall ends the
/// stream quietly (the answer is complete).
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<ChatEvent, LlmError>> + Send>>;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No API key is configured; nothing was sent.
    #[error("the LLM provider is not configured (no API key)")]
    NotConfigured,
    /// 429, with the wait from `retry-after-ms`, else `retry-after` (seconds
    /// or an HTTP date). OpenAI's `insufficient_quota` is a 429 too, which
    /// waiting does not cure.
    #[error("rate limited by the LLM provider (retry after {retry_after:?})")]
    RateLimited {
        /// How long the provider asks to wait, when it says.
        retry_after: Option<Duration>,
    },
    /// Connecting, the first byte, or a gap between stream chunks took longer
    /// than [`LlmConfig::timeout`] (for embeddings: a whole request).
    #[error("the LLM provider did not answer in time")]
    Timeout,
    /// Another non-2xx status; or an `{"error": …}` object in a 2xx answer
    /// or inside the stream, whose `status` is then its numeric `code` when
    /// it has one, else 500.
    #[error("the LLM provider answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// `error.message`, else the body's start, else the reason phrase.
        message: String,
    },
    /// The stream ended (EOF or a broken connection) before `[DONE]` and
    /// before any `finish_reason`: the answer is incomplete.
    #[error("the LLM stream was cut before it finished")]
    Cut,
    /// Malformed JSON, or JSON of the wrong shape.
    #[error("unexpected answer from the LLM provider: {0}")]
    Protocol(String),
    /// The request could not be sent or the answer not read.
    #[error("could not reach the LLM provider: {0}")]
    Transport(String),
}

impl LlmError {
    /// Whether the same call may succeed later: rate limits, timeouts, cut
    /// streams, transport failures, 408 and 5xx statuses.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout | Self::Cut | Self::Transport(_) => true,
            Self::Status { status, .. } => *status == 408 || *status >= 500,
            Self::NotConfigured | Self::Protocol(_) => false,
        }
    }
}

/// The OpenAI-compatible client; cheap to clone (the HTTP client is shared).
#[derive(Clone, Debug)]
pub struct OpenAiCompatible {
    config: LlmConfig,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct EmbeddingsAnswer {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    /// Position of the input; absent from some servers: the item's position.
    index: Option<usize>,
    embedding: Vec<f32>,
}

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Serialize)]
struct JsonChatBody<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    response_format: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
}

#[derive(Deserialize)]
struct ChatAnswer {
    choices: Vec<ChatChoice>,
}

#[derive(Deserialize)]
struct ChatChoice {
    message: AnswerMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
    refusal: Option<String>,
}

impl OpenAiCompatible {
    /// A client for `config`, sending through `http` (whose own timeout, if
    /// it has one, must outlast a whole streamed answer).
    pub fn new(config: LlmConfig, http: reqwest::Client) -> Self {
        Self { config, http }
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    fn key(&self) -> Result<&str, LlmError> {
        match &self.config.api_key {
            Some(key) if !key.expose().trim().is_empty() => Ok(key.expose()),
            _ => Err(LlmError::NotConfigured),
        }
    }

    /// A JSON `POST` to `path` under the base URL, with the bearer key.
    fn post(&self, path: &str, body: &impl Serialize) -> Result<reqwest::RequestBuilder, LlmError> {
        let key = self.key()?;
        let body = serde_json::to_vec(body)
            .map_err(|e| LlmError::Protocol(format!("request body: {e}")))?;
        let url = format!("{}/{path}", self.config.base_url.trim_end_matches('/'));
        Ok(self
            .http
            .post(url)
            .bearer_auth(key)
            .header(CONTENT_TYPE, "application/json")
            .body(body))
    }

    /// One vector per input, in input order (sorted by the response's
    /// `index`), in requests of at most [`EMBEDDING_BATCH`] inputs with
    /// `encoding_format: "float"`. [`LlmError::Protocol`] unless each batch
    /// answers one vector per input and all share one non-zero dimension.
    /// No inputs: no request (but still [`LlmError::NotConfigured`]).
    pub async fn embed(&self, inputs: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        self.key()?;
        let mut vectors: Vec<Vec<f32>> = Vec::with_capacity(inputs.len());
        for batch in inputs.chunks(EMBEDDING_BATCH) {
            let request = self.embed_batch(batch);
            let batch = tokio::time::timeout(self.config.timeout, request)
                .await
                .map_err(|_| LlmError::Timeout)??;
            vectors.extend(batch);
        }
        let dimension = vectors.first().map_or(1, Vec::len);
        if let Some((i, v)) = vectors
            .iter()
            .enumerate()
            .find(|(_, v)| v.len() != dimension || v.is_empty())
        {
            return Err(LlmError::Protocol(format!(
                "embedding {i} has dimension {}, embedding 0 has {dimension}",
                v.len()
            )));
        }
        Ok(vectors)
    }

    async fn embed_batch(&self, batch: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        let body = serde_json::json!({
            "model": self.config.embedding_model,
            "input": batch,
            "encoding_format": "float",
        });
        let mut response = self
            .post("embeddings", &body)?
            .send()
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(failure(&mut response).await);
        }
        let (bytes, complete) = read_body(&mut response, MAX_EMBEDDINGS_BODY).await?;
        if !complete {
            let size = MAX_EMBEDDINGS_BODY;
            return Err(LlmError::Protocol(format!(
                "embeddings answer over {size} bytes"
            )));
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| LlmError::Protocol(format!("embeddings answer: {e}")))?;
        if let Some(error) = embedded_error(&value) {
            return Err(error);
        }
        let answer: EmbeddingsAnswer = serde_json::from_value(value)
            .map_err(|e| LlmError::Protocol(format!("embeddings answer: {e}")))?;
        order_by_index(answer.data, batch.len())
    }

    /// Starts a streamed completion of `request` with the chat model; the
    /// returned stream yields content deltas as they arrive. Failures before
    /// the body (no key, a status, no headers within the timeout) are
    /// returned here; later ones come through the stream.
    pub async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let body = ChatBody {
            model: &self.config.chat_model,
            messages: &request.messages,
            stream: true,
            max_tokens: request.max_tokens,
            temperature: request.temperature,
        };
        let send = self
            .post("chat/completions", &body)?
            .header(ACCEPT, "text/event-stream")
            .send();
        let timeout = self.config.timeout;
        let mut response = tokio::time::timeout(timeout, send)
            .await
            .map_err(|_| LlmError::Timeout)?
            .map_err(transport)?;
        // A JSON 2xx: an error object, or a server that ignored `stream`.
        if !response.status().is_success() || is_json(response.headers()) {
            let error = failure(&mut response);
            return Err(tokio::time::timeout(timeout, error)
                .await
                .unwrap_or(LlmError::Timeout));
        }
        Ok(sse::chat_events(Box::pin(response.bytes_stream()), timeout))
    }
}

impl OpenAiCompatible {
    /// One non-streamed completion of `request` with the chat model in JSON
    /// mode (`response_format: {"type": "json_object"}`): the JSON object
    /// the model wrote as `choices[0].message.content`. The whole call is
    /// bounded by [`LlmConfig::timeout`]. [`LlmError::Protocol`] when there
    /// is no choice, the model refused, the answer was cut (`length`), or
    /// the content is not a JSON object.
    pub async fn chat_json(&self, request: &ChatRequest) -> Result<Value, LlmError> {
        let body = JsonChatBody {
            model: &self.config.chat_model,
            messages: &request.messages,
            response_format: serde_json::json!({ "type": "json_object" }),
            max_tokens: request.max_tokens,
            temperature: request.temperature,
        };
        let call = async {
            let mut response = self
                .post("chat/completions", &body)?
                .header(ACCEPT, "application/json")
                .send()
                .await
                .map_err(transport)?;
            if !response.status().is_success() {
                return Err(failure(&mut response).await);
            }
            let (bytes, complete) = read_body(&mut response, MAX_CHAT_BODY).await?;
            if !complete {
                let size = MAX_CHAT_BODY;
                return Err(LlmError::Protocol(format!("chat answer over {size} bytes")));
            }
            Ok(bytes)
        };
        let bytes = tokio::time::timeout(self.config.timeout, call)
            .await
            .map_err(|_| LlmError::Timeout)??;
        json_content(&bytes)
    }
}

/// The JSON object in `choices[0].message.content` of a chat answer.
fn json_content(bytes: &[u8]) -> Result<Value, LlmError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| LlmError::Protocol(format!("chat answer: {e}")))?;
    if let Some(error) = embedded_error(&value) {
        return Err(error);
    }
    let answer: ChatAnswer = serde_json::from_value(value)
        .map_err(|e| LlmError::Protocol(format!("chat answer: {e}")))?;
    let choice = answer
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| LlmError::Protocol("no choices".into()))?;
    if let Some(refusal) = choice.message.refusal.filter(|r| !r.trim().is_empty()) {
        return Err(LlmError::Protocol(format!("the model refused: {refusal}")));
    }
    if choice.finish_reason.as_deref() == Some("length") {
        return Err(LlmError::Protocol(
            "the answer was cut at the token limit".into(),
        ));
    }
    let content = choice.message.content.unwrap_or_default();
    match serde_json::from_str::<Value>(content.trim()) {
        Ok(object @ Value::Object(_)) => Ok(object),
        Ok(_) => Err(LlmError::Protocol(
            "the content is not a JSON object".into(),
        )),
        Err(e) => Err(LlmError::Protocol(format!("the content is not JSON: {e}"))),
    }
}

fn transport(error: reqwest::Error) -> LlmError {
    if error.is_timeout() {
        return LlmError::Timeout;
    }
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    LlmError::Transport(message)
}

fn is_json(headers: &HeaderMap) -> bool {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    content_type.is_some_and(|v| {
        v.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    })
}

/// Reads at most `limit` bytes of the body; `false`: there was more.
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), LlmError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > limit {
            let room = limit - bytes.len();
            bytes.extend_from_slice(&chunk[..room]);
            return Ok((bytes, false));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, true))
}

/// The error of a non-2xx answer (429: [`LlmError::RateLimited`], else
/// [`LlmError::Status`] with the body's message), or of a JSON 2xx answer to
/// a stream request.
async fn failure(response: &mut reqwest::Response) -> LlmError {
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = retry_after(response.headers());
        return LlmError::RateLimited { retry_after };
    }
    let bytes = match read_body(response, MAX_ERROR_BODY).await {
        Ok((bytes, _)) => bytes,
        Err(error) => return error,
    };
    let value = serde_json::from_slice::<Value>(&bytes).ok();
    if status.is_success() {
        let error = value.as_ref().and_then(embedded_error);
        let unexpected = || LlmError::Protocol("a JSON answer, not an event stream".into());
        return error.unwrap_or_else(unexpected);
    }
    let message = value.as_ref().and_then(api_error_message);
    let message = message.unwrap_or_else(|| body_start(&bytes));
    let message = match message.is_empty() {
        true => status.canonical_reason().unwrap_or("no message").to_owned(),
        false => message,
    };
    let status = status.as_u16();
    LlmError::Status { status, message }
}

/// `retry-after-ms` (milliseconds, OpenAI's precise hint), else `retry-after`
/// (seconds, or an HTTP date).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let seconds = |raw: &str, scale: f64| {
        let value = raw.parse::<f64>().ok().filter(|v| *v >= 0.0)?;
        Duration::try_from_secs_f64(value / scale).ok()
    };
    if let Some(wait) = header("retry-after-ms").and_then(|raw| seconds(raw, 1000.0)) {
        return Some(wait);
    }
    let raw = header("retry-after")?;
    if let Some(wait) = seconds(raw, 1.0) {
        return Some(wait);
    }
    let when = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The [`LlmError::Status`] of an `{"error": …}` answer sent with a 2xx or
/// inside the stream: the error's numeric `code` (vLLM and others send one;
/// OpenAI's codes are strings) or 500.
fn embedded_error(value: &Value) -> Option<LlmError> {
    let error = value.get("error").filter(|e| !e.is_null())?;
    let code = error.get("code").and_then(|code| match code {
        Value::String(s) => s.parse::<u16>().ok(),
        other => other.as_u64().and_then(|c| u16::try_from(c).ok()),
    });
    Some(LlmError::Status {
        status: code.filter(|c| (400..=599).contains(c)).unwrap_or(500),
        message: api_error_message(value).unwrap_or_else(|| error.to_string()),
    })
}

/// The message of an error answer: OpenAI's `{"error": {"message": …}}`, or
/// the shapes compatible servers use instead (`error` as a string, a
/// top-level `message` or `detail`).
fn api_error_message(value: &Value) -> Option<String> {
    let text = |v: Option<&Value>| {
        let text = v.and_then(Value::as_str).map(str::trim)?;
        (!text.is_empty()).then(|| text.to_owned())
    };
    let error = value.get("error");
    text(error.and_then(|e| e.get("message")))
        .or_else(|| text(error))
        .or_else(|| text(value.get("message")))
        .or_else(|| text(value.get("detail")))
}

/// The start of a body as text, for error messages.
fn body_start(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The vectors of one batch in input order: the `index`es must name each of
/// `0..expected` exactly once.
fn order_by_index(data: Vec<EmbeddingItem>, expected: usize) -> Result<Vec<Vec<f32>>, LlmError> {
    if data.len() != expected {
        let found = data.len();
        return Err(LlmError::Protocol(format!(
            "{found} embeddings for {expected} inputs"
        )));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (position, item) in data.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        match slots.get_mut(index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            _ => {
                return Err(LlmError::Protocol(format!(
                    "embedding index {index} repeated or out of range"
                )));
            }
        }
    }
    // Every slot is filled: `expected` distinct indices below `expected`.
    Ok(slots.into_iter().flatten().collect())
}
