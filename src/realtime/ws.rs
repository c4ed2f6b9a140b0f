//! The GraphQL WebSocket server (RT-1) behind `/graphql/ws`: the current
//! `graphql-transport-ws` protocol and the legacy `graphql-ws` one
//! (subscriptions-transport-ws), on one task per socket that multiplexes the
//! socket, its operations' streams, keep-alive, token expiry, kicks and
//! shutdown.
//!
//! Close codes (graphql-transport-ws, applied to both protocols):
//! 4400 bad message, 4401 subscribe before `connection_ack`, 4403 bad,
//! expired or revoked credentials (also when the user is kicked), 4408 no
//! `connection_init` in time, 4409 duplicate operation id, 4429 second
//! `connection_init`; 1001 when the server shuts down or a socket stays silent
//! for three ping intervals.
use std::{pin::Pin, time::Duration};

use async_graphql::{Response, Variables};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{Stream, StreamExt, stream::BoxStream};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_stream::StreamMap;

use super::{ControlEvent, presence::PresenceGuard, sleep_until, topics};
use crate::{
    auth::{
        ClientInfo, Credentials,
        guard::{RequestAuth, Viewer, load_viewer},
    },
    error::{AuthFailure, RefusalCode},
    infra::pubsub::{Delivery, TopicStream},
    resolvers::{AppSchema, loaders::RequestLoaders},
    state::AppState,
};

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the graphql-ws library).
    TransportWs,
    /// `graphql-ws` (the retired subscriptions-transport-ws library).
    Legacy,
}

impl Protocol {
    /// The protocol a client asked for; the current one when it named none.
    pub fn negotiate(requested: Option<&str>) -> Option<Self> {
        let Some(requested) = requested else {
            return Some(Self::TransportWs);
        };
        let offered: Vec<&str> = requested.split(',').map(str::trim).collect();
        if offered.contains(&TRANSPORT_WS) {
            Some(Self::TransportWs)
        } else if offered.contains(&LEGACY_WS) {
            Some(Self::Legacy)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::TransportWs => TRANSPORT_WS,
            Self::Legacy => LEGACY_WS,
        }
    }
}

/// A message from the client, either protocol.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: OperationPayload,
    },
    Complete {
        id: String,
    },
    Start {
        id: String,
        payload: OperationPayload,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate {},
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OperationPayload {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    operation_name: Option<String>,
}

/// Which protocol an operation message belongs to.
#[derive(PartialEq, Eq)]
enum MessageKind {
    Current,
    Legacy,
    Either,
}

impl MessageKind {
    fn of(message: &ClientMessage) -> Self {
        match message {
            ClientMessage::Subscribe { .. } | ClientMessage::Complete { .. } => Self::Current,
            ClientMessage::Start { .. } | ClientMessage::Stop { .. } => Self::Legacy,
            _ => Self::Either,
        }
    }
}

fn message_fits(protocol: Protocol, kind: &MessageKind) -> bool {
    matches!(
        (protocol, kind),
        (_, MessageKind::Either)
            | (Protocol::TransportWs, MessageKind::Current)
            | (Protocol::Legacy, MessageKind::Legacy)
    )
}

/// Why a socket is being closed.
struct Close(u16, String);

impl Close {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        // A close frame's reason is at most 123 bytes.
        while reason.len() > 123 {
            reason.pop();
        }
        Self(code, reason)
    }
}

/// The signed-in (or anonymous) side of an acknowledged socket.
struct Session {
    credentials: Credentials,
    viewer: Option<Viewer>,
    expires_at: Option<Instant>,
    control: Option<TopicStream>,
    _presence: Option<PresenceGuard>,
}

type Outcome = (usize, Option<Response>);
type OperationStream = Pin<Box<dyn Stream<Item = Outcome> + Send>>;

/// Serves one upgraded socket until either side closes it.
pub async fn serve(
    mut socket: WebSocket,
    protocol: Protocol,
    app: AppState,
    schema: AppSchema,
    client: ClientInfo,
) {
    app.metrics.websocket_connections.inc();
    let close = run(&mut socket, protocol, &app, &schema, &client).await;
    if let Some(Close(code, reason)) = close {
        tracing::debug!(code, %reason, "closing websocket");
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
    app.metrics.websocket_connections.dec();
}

async fn run(
    socket: &mut WebSocket,
    protocol: Protocol,
    app: &AppState,
    schema: &AppSchema,
    client: &ClientInfo,
) -> Option<Close> {
    let config = app.config.realtime;
    let mut shutdown = app.realtime.shutdown_signal();
    if *shutdown.borrow() {
        return Some(Close::new(1001, "server shutting down"));
    }
    let init_deadline = tokio::time::sleep(config.init_timeout);
    tokio::pin!(init_deadline);
    let mut ping =
        tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut session: Option<Session> = None;
    let mut operations: StreamMap<String, OperationStream> = StreamMap::new();
    let subscriptions = &app.metrics.websocket_subscriptions;

    let result = loop {
        let expiry = session.as_ref().and_then(|s| s.expires_at);
        tokio::select! {
            _ = shutdown.changed() => break Some(Close::new(1001, "server shutting down")),
            _ = &mut init_deadline, if session.is_none() => {
                break Some(Close::new(4408, "Connection initialisation timeout"));
            }
            _ = sleep_until(expiry), if expiry.is_some() => {
                break Some(Close::new(4403, "Forbidden: access token expired"));
            }
            control = next_control(&mut session), if has_control(&session) => {
                if let Some(close) = control_applies(control, session.as_ref()) {
                    break Some(close);
                }
            }
            Some((id, (index, response))) = operations.next(), if !operations.is_empty() => {
                let sent = match response {
                    Some(response) => {
                        // Errors before execution (parse, validation) end the
                        // operation with `error`; resolver errors are results.
                        let failed_before_start =
                            index == 0 && crate::error::is_request_error(&response);
                        if failed_before_start {
                            operations.remove(&id);
                            subscriptions.dec();
                            send(socket, &error_message(&id, &response)).await
                        } else {
                            send(socket, &next_message(protocol, &id, &response)).await
                        }
                    }
                    None => {
                        operations.remove(&id);
                        subscriptions.dec();
                        send(socket, &json!({ "type": "complete", "id": id })).await
                    }
                };
                if sent.is_err() {
                    break None;
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > config.ping_interval * 3 {
                    break Some(Close::new(1001, "keep-alive timeout"));
                }
                let keepalive = match protocol {
                    Protocol::TransportWs => json!({ "type": "ping" }),
                    Protocol::Legacy => json!({ "type": "ka" }),
                };
                if socket.send(Message::Ping(Default::default())).await.is_err()
                    || send(socket, &keepalive).await.is_err()
                {
                    break None;
                }
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    None | Some(Err(_)) => break None,
                    Some(Ok(Message::Close(_))) => break None,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        last_heard = Instant::now();
                        continue;
                    }
                    Some(Ok(Message::Binary(_))) => {
                        break Some(Close::new(4400, "Invalid message received: binary frames are not supported"));
                    }
                    Some(Ok(Message::Text(text))) => text,
                };
                last_heard = Instant::now();
                let message = match serde_json::from_str::<ClientMessage>(text.as_str()) {
                    Ok(m) => m,
                    Err(e) => break Some(Close::new(4400, format!("Invalid message received: {e}"))),
                };
                let kind = MessageKind::of(&message);
                match message {
                    ClientMessage::ConnectionInit { payload } => {
                        if session.is_some() {
                            break Some(Close::new(4429, "Too many initialisation requests"));
                        }
                        // Boxed: the database round trip's future is large and
                        // would otherwise stay in every idle socket's task.
                        match Box::pin(authenticate(app, client, payload.as_ref())).await {
                            Ok(s) => session = Some(s),
                            Err(close) => break Some(close),
                        }
                        if send(socket, &json!({ "type": "connection_ack" })).await.is_err() {
                            break None;
                        }
                        if protocol == Protocol::Legacy
                            && send(socket, &json!({ "type": "ka" })).await.is_err()
                        {
                            break None;
                        }
                    }
                    ClientMessage::Ping {} if protocol == Protocol::TransportWs => {
                        if send(socket, &json!({ "type": "pong" })).await.is_err() {
                            break None;
                        }
                    }
                    ClientMessage::Pong {} if protocol == Protocol::TransportWs => {}
                    ClientMessage::Subscribe { id, payload } | ClientMessage::Start { id, payload }
                        if message_fits(protocol, &kind) =>
                    {
                        match start(app, schema, client, &session, &mut operations, id, payload) {
                            Ok(Some(refusal)) => {
                                if send(socket, &refusal).await.is_err() {
                                    break None;
                                }
                            }
                            Ok(None) => subscriptions.inc(),
                            Err(close) => break Some(close),
                        }
                    }
                    ClientMessage::Complete { id } | ClientMessage::Stop { id }
                        if message_fits(protocol, &kind) =>
                    {
                        if operations.remove(&id).is_some() {
                            subscriptions.dec();
                        }
                    }
                    ClientMessage::ConnectionTerminate {} if protocol == Protocol::Legacy => {
                        break Some(Close::new(1000, "terminated"));
                    }
                    _ => {
                        break Some(Close::new(
                            4400,
                            format!("Invalid message received: not a {} message", protocol.name()),
                        ));
                    }
                }
            }
        }
    };
    subscriptions.sub(operations.len() as i64);
    result
}

fn has_control(session: &Option<Session>) -> bool {
    session.as_ref().is_some_and(|s| s.control.is_some())
}

async fn next_control(session: &mut Option<Session>) -> Option<Delivery> {
    match session.as_mut().and_then(|s| s.control.as_mut()) {
        Some(control) => control.next().await,
        None => std::future::pending().await,
    }
}

/// A kick or revocation that concerns this socket closes it with 4403.
fn control_applies(delivery: Option<Delivery>, session: Option<&Session>) -> Option<Close> {
    let viewer = session.and_then(|s| s.viewer.as_ref())?;
    match delivery {
        Some(Delivery::Message(payload)) => {
            let event: ControlEvent = serde_json::from_str(&payload).ok()?;
            event
                .concerns(viewer.session_id)
                .then(|| Close::new(4403, format!("Forbidden: {}", event.reason)))
        }
        // Missed control messages could have been a kick: re-check below
        // is not possible without I/O here, so close and let the client
        // reconnect with fresh credentials.
        Some(Delivery::Missed(_)) => Some(Close::new(4403, "Forbidden: please re-authenticate")),
        None => None,
    }
}

/// Checks `connection_init`'s credentials: no token is an anonymous socket;
/// a bad, expired or revoked one closes the socket with 4403.
async fn authenticate(
    app: &AppState,
    client: &ClientInfo,
    payload: Option<&Value>,
) -> Result<Session, Close> {
    if let Some(p) = payload
        && !p.is_object()
        && !p.is_null()
    {
        return Err(Close::new(
            4400,
            "Invalid message received: connection_init payload must be an object",
        ));
    }
    let credentials = Credentials::from_connection_init(&app.jwt, payload.unwrap_or(&Value::Null));
    crate::domain::security::note_credentials(app, &credentials, client.ip.as_deref()).await;
    match &credentials {
        Credentials::Anonymous => Ok(Session {
            credentials,
            viewer: None,
            expires_at: None,
            control: None,
            _presence: None,
        }),
        Credentials::Invalid(reason) => {
            Err(Close::new(4403, format!("Forbidden: {}", reason.as_str())))
        }
        Credentials::Token(claims) => {
            let viewer = match load_viewer(app, claims).await {
                Ok(Ok(Some(viewer))) => viewer,
                Ok(Ok(None)) | Ok(Err(_)) => {
                    return Err(Close::new(
                        4403,
                        format!("Forbidden: {}", AuthFailure::SessionRevoked.as_str()),
                    ));
                }
                Err(_) => return Err(Close::new(1011, "Internal error")),
            };
            let remaining = claims.exp - chrono::Utc::now().timestamp();
            let expires_at = Instant::now() + Duration::from_secs(remaining.max(0) as u64);
            let control = app.realtime.pubsub.subscribe(&topics::control(viewer.id()));
            let presence = app.realtime.presence.connect(viewer.id()).await;
            Ok(Session {
                credentials,
                viewer: Some(viewer),
                expires_at: Some(expires_at),
                control: Some(control),
                _presence: Some(presence),
            })
        }
    }
}

/// Starts an operation. `Ok(Some(message))` refuses it without closing (the
/// subscription cap); `Err` closes the socket.
fn start(
    app: &AppState,
    schema: &AppSchema,
    client: &ClientInfo,
    session: &Option<Session>,
    operations: &mut StreamMap<String, OperationStream>,
    id: String,
    payload: OperationPayload,
) -> Result<Option<Value>, Close> {
    let Some(session) = session else {
        return Err(Close::new(4401, "Unauthorized"));
    };
    if id.is_empty() || id.len() > 128 {
        return Err(Close::new(
            4400,
            "Invalid message received: an operation id must be 1 to 128 characters",
        ));
    }
    if operations.contains_key(&id) {
        return Err(Close::new(
            4409,
            format!("Subscriber for {id} already exists"),
        ));
    }
    let limit = app.config.realtime.max_subscriptions;
    if operations.len() >= limit {
        app.metrics
            .count_error(RefusalCode::SubscriptionLimit.as_str());
        let error = json!({
            "message": format!("a socket may hold at most {limit} active subscriptions"),
            "extensions": { "code": RefusalCode::SubscriptionLimit.as_str() },
        });
        return Ok(Some(
            json!({ "type": "error", "id": id, "payload": [error] }),
        ));
    }
    let mut request = async_graphql::Request::new(payload.query).variables(Variables::from_json(
        payload.variables.unwrap_or(Value::Null),
    ));
    if let Some(name) = payload.operation_name {
        request = request.operation_name(name);
    }
    let auth = match &session.viewer {
        Some(viewer) => RequestAuth::with_viewer(session.credentials.clone(), viewer.clone()),
        None => RequestAuth::new(session.credentials.clone()),
    };
    let request = request
        .data(auth)
        .data(RequestLoaders::new(&app.reads))
        .data(client.clone());
    let responses: BoxStream<'static, Response> = schema.execute_stream(request).boxed();
    let stream = responses
        .map(Some)
        .chain(futures::stream::once(async { None }))
        .enumerate();
    operations.insert(id, Box::pin(stream));
    Ok(None)
}

fn next_message(protocol: Protocol, id: &str, response: &Response) -> Value {
    let kind = match protocol {
        Protocol::TransportWs => "next",
        Protocol::Legacy => "data",
    };
    json!({ "type": kind, "id": id, "payload": response })
}

fn error_message(id: &str, response: &Response) -> Value {
    json!({ "type": "error", "id": id, "payload": response.errors })
}

async fn send(socket: &mut WebSocket, message: &Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(message.to_string().into())).await
}
