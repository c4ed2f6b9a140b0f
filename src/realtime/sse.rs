//! GraphQL over Server-Sent Events at `/graphql/stream`: the `graphql-sse`
//! protocol's "distinct connections" mode, for clients that cannot hold a
//! WebSocket (serverless, strict proxies, some mobile stacks).
//!
//! One request is one operation: `POST` a GraphQL-over-HTTP JSON body (or
//! `GET` with URL parameters, queries and subscriptions only) with
//! `Accept: text/event-stream`. Results arrive as `event: next` (the
//! execution result as `data`), then one `event: complete`; closing the
//! connection stops the operation.
//!
//! The WebSocket transport's rules hold here too:
//! - **Auth**: `Authorization: Bearer <access token>`. A bad, expired or
//!   revoked token is refused before the stream with 401 `UNAUTHENTICATED`
//!   and its `reason`. A stream whose token expires, or whose session is
//!   kicked or revoked, gets a `next` with that error and `complete`.
//! - **Limits**: the same query limits and rate limits (the schema's
//!   extensions). One user (anonymous: one IP) may hold at most
//!   `VITRINE_WS_MAX_SUBSCRIPTIONS` streams at once on an instance; one
//!   more gets a `next` with `SUBSCRIPTION_LIMIT`, then `complete`.
//! - **Errors before execution** (parse, validation, limits) come as a
//!   `next` with the errors, then `complete`, as the protocol requires.
//! - **Replay**: `notificationReceived(after: <cursor>)` resumes after the
//!   last notification seen, as over the WebSocket.
//! - **Shutdown**: the stream ends without `complete`, so clients retry
//!   (against another instance).
//!
//! A comment line keeps idle streams open through proxies every
//! `VITRINE_WS_PING_INTERVAL`.
use std::{
    collections::HashMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_graphql::BatchRequest;
use axum::body::Bytes;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::{Stream, StreamExt};
use serde_json::json;
use tokio::time::Instant;

use super::{ControlEvent, sleep_until, topics};
use crate::{
    auth::{
        Credentials,
        guard::{RequestAuth, Viewer, load_viewer},
    },
    error::{AuthFailure, ErrorCode, RefusalCode},
    infra::pubsub::Delivery,
    server::{
        ServerState, get_not_allowed,
        graphql::{self, client_info, request_with_context},
        negotiate::{MediaType, wants_event_stream},
        refuse,
    },
    state::AppState,
};

/// Open streams per caller on this instance, for the cap.
#[derive(Clone, Default)]
pub struct StreamSlots(Arc<Mutex<HashMap<String, usize>>>);

/// A held slot; released when the stream ends.
pub struct StreamSlot {
    slots: StreamSlots,
    key: String,
}

impl StreamSlots {
    /// A slot for `key`, unless it already holds `limit`.
    pub fn acquire(&self, key: &str, limit: usize) -> Option<StreamSlot> {
        let mut open = crate::sync::lock(&self.0);
        let held = open.entry(key.to_owned()).or_insert(0);
        if *held >= limit {
            return None;
        }
        *held += 1;
        Some(StreamSlot {
            slots: self.clone(),
            key: key.to_owned(),
        })
    }

    /// Streams `key` holds now.
    pub fn held(&self, key: &str) -> usize {
        crate::sync::lock(&self.0).get(key).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = crate::sync::lock(&self.slots.0);
        if let Some(held) = open.get_mut(&self.key) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// `POST /graphql/stream`: a JSON body, as `/graphql` takes.
pub async fn post(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let app = &state.app;
    if !wants_event_stream(req.headers()) {
        return not_acceptable(app);
    }
    let json_body = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_body {
        return refuse(
            app,
            MediaType::Json,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RefusalCode::UnsupportedMediaType,
            "POST /graphql/stream takes `Content-Type: application/json`",
        );
    }
    let headers = req.headers().clone();
    let body = match graphql::read_json(app, MediaType::Json, req).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    open(&state, &headers, peer, body, false).await
}

/// `GET /graphql/stream?query=…`: what `EventSource` can send (no headers,
/// so anonymous); mutations are refused as on `GET /graphql`.
pub async fn get(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    if !wants_event_stream(req.headers()) {
        return not_acceptable(&state.app);
    }
    let body = match graphql::get_parameters(req.uri().query().unwrap_or_default()) {
        Ok(body) => body,
        Err(message) => {
            return refuse(
                &state.app,
                MediaType::Json,
                StatusCode::BAD_REQUEST,
                RefusalCode::BadRequest,
                &message,
            );
        }
    };
    open(&state, req.headers(), peer, body, true).await
}

/// 406: the client does not accept an event stream.
fn not_acceptable(app: &AppState) -> Response {
    refuse(
        app,
        MediaType::Json,
        StatusCode::NOT_ACCEPTABLE,
        RefusalCode::NotAcceptable,
        "/graphql/stream sends `text/event-stream`: send `Accept: text/event-stream` (or use /graphql)",
    )
}

/// 401 before the stream, with the reason the token was refused.
fn unauthenticated(app: &AppState, reason: AuthFailure) -> Response {
    let code = ErrorCode::Unauthenticated.as_str();
    app.metrics.count_error(code);
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "errors": [{
            "message": "the access token was refused",
            "extensions": { "code": code, "reason": reason.as_str() },
        }] })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

/// Checks the request and its caller, then streams the operation.
async fn open(
    state: &ServerState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: serde_json::Value,
    over_get: bool,
) -> Response {
    let app = &state.app;
    let (batch, partner) = match graphql::prepare(state, MediaType::Json, headers, body).await {
        Ok(prepared) => prepared,
        Err(refused) => return refused,
    };
    let BatchRequest::Single(request) = batch else {
        return refuse(
            app,
            MediaType::Json,
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            "a stream carries one operation: send one object, not a batch",
        );
    };
    if over_get
        && graphql::operation_type(&request)
            .is_some_and(|ty| ty == async_graphql::parser::types::OperationType::Mutation)
    {
        return get_not_allowed(
            app,
            MediaType::Json,
            "mutations are not allowed over GET; use POST",
        );
    }
    let credentials = Credentials::from_authorization(
        &app.jwt,
        headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()),
    );
    crate::domain::security::note_credentials(app, &credentials, Some(&peer.ip().to_string()))
        .await;
    let (viewer, expires_at) = match &credentials {
        Credentials::Anonymous => (None, None),
        Credentials::Invalid(reason) => return unauthenticated(app, *reason),
        Credentials::Token(claims) => match load_viewer(app, claims).await {
            Ok(Ok(Some(viewer))) => {
                let remaining = claims.exp - chrono::Utc::now().timestamp();
                let at = Instant::now() + Duration::from_secs(remaining.max(0) as u64);
                (Some(viewer), Some(at))
            }
            Ok(Ok(None)) | Ok(Err(_)) => {
                return unauthenticated(app, AuthFailure::SessionRevoked);
            }
            Err(e) => {
                tracing::error!(error = ?e, "loading the viewer of a stream");
                return refuse(
                    app,
                    MediaType::Json,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "internal error",
                );
            }
        },
    };
    let client = client_info(headers, peer);
    let caller = match (&viewer, &client.ip) {
        (Some(v), _) => format!("user:{}", v.id()),
        (None, ip) => format!("ip:{}", ip.as_deref().unwrap_or("unknown")),
    };
    let limit = app.config.realtime.max_subscriptions;
    let Some(slot) = app.realtime.sse.acquire(&caller, limit) else {
        let code = RefusalCode::SubscriptionLimit.as_str();
        app.metrics.count_error(code);
        let refusal = json!({ "errors": [{
            "message": format!("a caller may hold at most {limit} event streams at once"),
            "extensions": { "code": code },
        }] });
        let events = futures::stream::iter([next_event(&refusal), complete_event()]);
        return event_stream(events);
    };
    let mut request = request_with_context(app, request, &credentials, &client);
    if let Some(viewer) = &viewer {
        request = request.data(RequestAuth::with_viewer(
            credentials.clone(),
            viewer.clone(),
        ));
    }
    if let Some(p) = partner {
        request = request.data(p);
    }
    let stream = run(state.clone(), request, viewer, expires_at, slot);
    event_stream(stream)
}

/// The response: `text/event-stream`, never cached, never buffered by a
/// reverse proxy (each event goes out when written).
fn event_stream(events: impl Stream<Item = Event> + Send + 'static) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        axum::body::Body::from_stream(events.map(Ok::<_, Infallible>)),
    )
        .into_response()
}

/// One encoded event of the stream.
type Event = Bytes;

/// `next`, with an execution result (compact JSON has no raw newline, so it
/// is one `data` line).
fn next_event(payload: &serde_json::Value) -> Event {
    Bytes::from(format!("event: next\ndata: {payload}\n\n"))
}

/// `complete`, with the empty `data` field EventSource needs to fire a
/// listener (axum's `Sse` drops empty data, hence our own framing).
fn complete_event() -> Event {
    Bytes::from_static(b"event: complete\ndata: \n\n")
}

/// A comment: keeps proxies from closing an idle stream, and notices a
/// client that left.
fn keep_alive() -> Event {
    Bytes::from_static(b":\n\n")
}

/// The end of a stream whose credentials stopped being good.
fn refused_mid_stream(app: &AppState, reason: AuthFailure, message: &str) -> [Event; 2] {
    let code = ErrorCode::Unauthenticated.as_str();
    app.metrics.count_error(code);
    let payload = json!({ "errors": [{
        "message": message,
        "extensions": { "code": code, "reason": reason.as_str() },
    }] });
    [next_event(&payload), complete_event()]
}

/// Streams one operation's results until it completes, the client leaves
/// (the stream is dropped), the token expires, the session is kicked or
/// revoked, or the server shuts down.
fn run(
    state: ServerState,
    request: async_graphql::Request,
    viewer: Option<Viewer>,
    expires_at: Option<Instant>,
    slot: StreamSlot,
) -> impl Stream<Item = Event> + Send + 'static {
    async_stream::stream! {
        let ServerState { app, schema } = state;
        let _slot = slot;
        let _open = OpenStream::new(&app);
        let mut shutdown = app.realtime.shutdown_signal();
        if *shutdown.borrow() {
            return;
        }
        let _presence = match &viewer {
            Some(v) => Some(app.realtime.presence.connect(v.id()).await),
            None => None,
        };
        let mut control = viewer
            .as_ref()
            .map(|v| app.realtime.pubsub.subscribe(&topics::control(v.id())));
        let mut results = schema.execute_stream(request);
        let every = app.config.realtime.ping_interval;
        let mut ping = tokio::time::interval_at(Instant::now() + every, every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // `yield` stays outside `select!` (async-stream cannot see into
            // other macros): each branch says what to send and whether to end.
            let (events, end): (Vec<Event>, bool) = tokio::select! {
                _ = shutdown.changed() => (Vec::new(), true),
                _ = ping.tick() => (vec![keep_alive()], false),
                _ = sleep_until(expires_at), if expires_at.is_some() => (
                    refused_mid_stream(&app, AuthFailure::TokenExpired, "the access token expired").into(),
                    true,
                ),
                delivery = next_control(&mut control), if control.is_some() => {
                    match control_reason(delivery, viewer.as_ref()) {
                        ControlOutcome::Close(reason) => (
                            refused_mid_stream(&app, AuthFailure::SessionRevoked, &reason).into(),
                            true,
                        ),
                        ControlOutcome::Ignore => (Vec::new(), false),
                        ControlOutcome::Gone => {
                            control = None;
                            (Vec::new(), false)
                        }
                    }
                }
                result = results.next() => match result {
                    Some(response) => match serde_json::to_value(&response) {
                        Ok(payload) => (vec![next_event(&payload)], false),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot serialise a stream result");
                            (Vec::new(), true)
                        }
                    },
                    None => (vec![complete_event()], true),
                },
            };
            for event in events {
                yield event;
            }
            if end {
                break;
            }
        }
    }
}

enum ControlOutcome {
    Close(String),
    Ignore,
    Gone,
}

/// Whether a control message (kick, revocation) ends this viewer's stream.
fn control_reason(delivery: Option<Delivery>, viewer: Option<&Viewer>) -> ControlOutcome {
    let Some(viewer) = viewer else {
        return ControlOutcome::Gone;
    };
    match delivery {
        Some(Delivery::Message(payload)) => match serde_json::from_str::<ControlEvent>(&payload) {
            Ok(event) if event.concerns(viewer.session_id) => ControlOutcome::Close(event.reason),
            _ => ControlOutcome::Ignore,
        },
        // A missed control message could have been a kick.
        Some(Delivery::Missed(_)) => ControlOutcome::Close("please re-authenticate".to_owned()),
        None => ControlOutcome::Gone,
    }
}

async fn next_control(control: &mut Option<crate::infra::pubsub::TopicStream>) -> Option<Delivery> {
    match control.as_mut() {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// Counts an open stream in `sse_streams` while it lives.
struct OpenStream(prometheus::IntGauge);

impl OpenStream {
    fn new(app: &AppState) -> Self {
        app.metrics.sse_streams.inc();
        Self(app.metrics.sse_streams.clone())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cap_each_caller_and_free_on_drop() {
        let slots = StreamSlots::default();
        let a = slots.acquire("user:1", 2).unwrap();
        let b = slots.acquire("user:1", 2).unwrap();
        assert!(slots.acquire("user:1", 2).is_none());
        assert!(slots.acquire("user:2", 2).is_some());
        drop(a);
        assert_eq!(slots.held("user:1"), 1);
        let _c = slots.acquire("user:1", 2).unwrap();
        drop(b);
        assert_eq!(slots.held("user:1"), 1);
    }
}
