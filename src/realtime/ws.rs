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
//!
//! Memory: an idle socket is one task and what it holds, so the task waits
//! in a small loop (one `select!` over its event sources, one timer for the
//! initialisation deadline, token expiry and keep-alive) and handles each
//! event in a boxed future that exists only while it runs. Its operations
//! share one [`Data`] (the caller's [`RequestAuth`] and [`ClientInfo`]) as
//! async-graphql session data rather than a copy each, and their streams sit
//! in one map without another box around each. `bench/results/realtime.md`
//! lists what an idle subscriber costs and where.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use async_graphql::{Data, Response, Variables};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{Stream, StreamExt, stream::BoxStream};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_stream::StreamMap;

use super::{ControlEvent, presence::PresenceGuard, topics};
use crate::{
    auth::{
        ClientInfo, Credentials,
        guard::{RequestAuth, load_viewer},
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
    /// What every operation of the socket reads: its [`RequestAuth`] (with
    /// the viewer loaded at `connection_init`) and [`ClientInfo`].
    data: Arc<Data>,
    /// The viewer's session, which kicks and revocations name.
    session_id: Option<i64>,
    expires_at: Option<Instant>,
    control: Option<TopicStream>,
    _presence: Option<PresenceGuard>,
}

/// An operation's responses, numbered from 0, then `None` once it ends.
type Outcome = (usize, Option<Response>);

/// One operation's results as [`Outcome`]s.
struct OperationStream {
    responses: Option<BoxStream<'static, Response>>,
    index: usize,
}

impl OperationStream {
    fn new(responses: BoxStream<'static, Response>) -> Self {
        Self {
            responses: Some(responses),
            index: 0,
        }
    }
}

impl Stream for OperationStream {
    type Item = Outcome;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Outcome>> {
        let Some(responses) = self.responses.as_mut() else {
            return Poll::Ready(None);
        };
        let next = match responses.poll_next_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Some(response)) => Some(response),
            Poll::Ready(None) => {
                self.responses = None;
                None
            }
        };
        let index = self.index;
        self.index += 1;
        Poll::Ready(Some((index, next)))
    }
}

/// The socket's one timer: the `connection_init` deadline until the socket
/// is acknowledged, the access token's expiry after, and the next
/// keep-alive ping.
fn next_wake(session: Option<&Session>, init_deadline: Instant, next_ping: Instant) -> Instant {
    let deadline = match session {
        None => Some(init_deadline),
        Some(s) => s.expires_at,
    };
    deadline.map_or(next_ping, |d| d.min(next_ping))
}

/// Serves one upgraded socket until either side closes it.
///
/// A plain fn returning an `async move` block rather than an `async fn`: an
/// async fn's future keeps its arguments twice (as arguments and as the
/// locals they are moved into), 440 bytes more in every socket's task.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would keep its arguments twice in every socket's task"
)]
pub fn serve(
    mut socket: WebSocket,
    protocol: Protocol,
    app: AppState,
    schema: AppSchema,
    client: ClientInfo,
) -> impl Future<Output = ()> + Send + 'static {
    async move {
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
}

/// What woke a socket's task.
enum Event {
    Shutdown,
    Timer,
    Control(Option<Delivery>),
    /// Boxed: a response is large, and an event sits in the loop's state.
    Operation(Box<(String, Outcome)>),
    Incoming(Option<Result<Message, axum::Error>>),
}

/// Why handling an event ends the socket: with a close frame, or without
/// one (the client went away).
type Stop = Option<Close>;

/// One socket's state between events.
struct Conn<'a> {
    socket: &'a mut WebSocket,
    protocol: Protocol,
    app: &'a AppState,
    schema: &'a AppSchema,
    client: &'a ClientInfo,
    session: Option<Session>,
    operations: StreamMap<String, OperationStream>,
    init_deadline: Instant,
    next_ping: Instant,
    last_heard: Instant,
}

async fn run(
    socket: &mut WebSocket,
    protocol: Protocol,
    app: &AppState,
    schema: &AppSchema,
    client: &ClientInfo,
) -> Option<Close> {
    let mut shutdown = app.realtime.shutdown_signal();
    if *shutdown.borrow() {
        return Some(Close::new(1001, "server shutting down"));
    }
    let opened = Instant::now();
    let config = &app.config.realtime;
    let mut conn = Conn {
        socket,
        protocol,
        app,
        schema,
        client,
        session: None,
        operations: StreamMap::with_capacity(1),
        init_deadline: opened + config.init_timeout,
        next_ping: opened + config.ping_interval,
        last_heard: opened,
    };
    let timer = tokio::time::sleep_until(conn.wake_at());
    tokio::pin!(timer);
    // An idle socket's task is this loop waiting in `select!`: what each
    // event needs (sends, authentication, responses) lives in the boxed
    // handler while it runs, not in every idle task.
    let result = loop {
        let event = tokio::select! {
            _ = shutdown.changed() => Event::Shutdown,
            () = &mut timer => Event::Timer,
            control = next_control(&mut conn.session), if has_control(&conn.session) => {
                Event::Control(control)
            }
            Some((id, outcome)) = conn.operations.next(), if !conn.operations.is_empty() => {
                Event::Operation(Box::new((id, outcome)))
            }
            incoming = conn.socket.recv() => Event::Incoming(incoming),
        };
        if let Err(stop) = Box::pin(conn.handle(event)).await {
            break stop;
        }
        let wake = conn.wake_at();
        if wake != timer.deadline() {
            timer.as_mut().reset(wake);
        }
    };
    app.metrics
        .websocket_subscriptions
        .sub(conn.operations.len() as i64);
    result
}

impl Conn<'_> {
    /// When the timer is next due: the `connection_init` deadline until the
    /// socket is acknowledged, the access token's expiry after, and the
    /// next keep-alive ping.
    fn wake_at(&self) -> Instant {
        next_wake(self.session.as_ref(), self.init_deadline, self.next_ping)
    }

    async fn send(&mut self, message: &Value) -> Result<(), Stop> {
        send(self.socket, message).await.map_err(|_| None)
    }

    async fn handle(&mut self, event: Event) -> Result<(), Stop> {
        match event {
            Event::Shutdown => Err(Some(Close::new(1001, "server shutting down"))),
            Event::Timer => self.on_timer().await,
            Event::Control(control) => match control_applies(control, self.session.as_ref()) {
                Some(close) => Err(Some(close)),
                None => Ok(()),
            },
            Event::Operation(operation) => {
                let (id, (index, response)) = *operation;
                self.on_outcome(id, index, response).await
            }
            Event::Incoming(incoming) => self.on_message(incoming).await,
        }
    }

    /// One operation's next response, or its end.
    async fn on_outcome(
        &mut self,
        id: String,
        index: usize,
        response: Option<Response>,
    ) -> Result<(), Stop> {
        let subscriptions = &self.app.metrics.websocket_subscriptions;
        match response {
            Some(response) => {
                // Errors before execution (parse, validation) end the
                // operation with `error`; resolver errors are results.
                if index == 0 && crate::error::is_request_error(&response) {
                    self.operations.remove(&id);
                    subscriptions.dec();
                    self.send(&error_message(&id, &response)).await
                } else {
                    self.send(&next_message(self.protocol, &id, &response))
                        .await
                }
            }
            None => {
                self.operations.remove(&id);
                subscriptions.dec();
                self.send(&json!({ "type": "complete", "id": id })).await
            }
        }
    }

    async fn on_timer(&mut self) -> Result<(), Stop> {
        let now = Instant::now();
        match &self.session {
            None if now >= self.init_deadline => {
                return Err(Some(Close::new(4408, "Connection initialisation timeout")));
            }
            Some(Session {
                expires_at: Some(at),
                ..
            }) if now >= *at => {
                return Err(Some(Close::new(4403, "Forbidden: access token expired")));
            }
            _ => {}
        }
        if now >= self.next_ping {
            let interval = self.app.config.realtime.ping_interval;
            if self.last_heard.elapsed() > interval * 3 {
                return Err(Some(Close::new(1001, "keep-alive timeout")));
            }
            let keepalive = match self.protocol {
                Protocol::TransportWs => json!({ "type": "ping" }),
                Protocol::Legacy => json!({ "type": "ka" }),
            };
            if self
                .socket
                .send(Message::Ping(Default::default()))
                .await
                .is_err()
            {
                return Err(None);
            }
            self.send(&keepalive).await?;
            self.next_ping = Instant::now() + interval;
        }
        Ok(())
    }

    async fn on_message(
        &mut self,
        incoming: Option<Result<Message, axum::Error>>,
    ) -> Result<(), Stop> {
        let text = match incoming {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Err(None),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                self.last_heard = Instant::now();
                return Ok(());
            }
            Some(Ok(Message::Binary(_))) => {
                return Err(Some(Close::new(
                    4400,
                    "Invalid message received: binary frames are not supported",
                )));
            }
            Some(Ok(Message::Text(text))) => text,
        };
        self.last_heard = Instant::now();
        let message = match serde_json::from_str::<ClientMessage>(text.as_str()) {
            Ok(m) => m,
            Err(e) => {
                return Err(Some(Close::new(
                    4400,
                    format!("Invalid message received: {e}"),
                )));
            }
        };
        drop(text);
        let protocol = self.protocol;
        let kind = MessageKind::of(&message);
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.session.is_some() {
                    return Err(Some(Close::new(4429, "Too many initialisation requests")));
                }
                // Boxed: the database round trip's future is large.
                let session = Box::pin(authenticate(self.app, self.client, payload.as_ref()))
                    .await
                    .map_err(Some)?;
                self.session = Some(session);
                self.send(&json!({ "type": "connection_ack" })).await?;
                if protocol == Protocol::Legacy {
                    self.send(&json!({ "type": "ka" })).await?;
                }
                Ok(())
            }
            ClientMessage::Ping {} if protocol == Protocol::TransportWs => {
                self.send(&json!({ "type": "pong" })).await
            }
            ClientMessage::Pong {} if protocol == Protocol::TransportWs => Ok(()),
            ClientMessage::Subscribe { id, payload } | ClientMessage::Start { id, payload }
                if message_fits(protocol, &kind) =>
            {
                match start(
                    self.app,
                    self.schema,
                    &self.session,
                    &mut self.operations,
                    id,
                    payload,
                ) {
                    Ok(Some(refusal)) => self.send(&refusal).await,
                    Ok(None) => {
                        self.app.metrics.websocket_subscriptions.inc();
                        Ok(())
                    }
                    Err(close) => Err(Some(close)),
                }
            }
            ClientMessage::Complete { id } | ClientMessage::Stop { id }
                if message_fits(protocol, &kind) =>
            {
                if self.operations.remove(&id).is_some() {
                    self.app.metrics.websocket_subscriptions.dec();
                }
                Ok(())
            }
            ClientMessage::ConnectionTerminate {} if protocol == Protocol::Legacy => {
                Err(Some(Close::new(1000, "terminated")))
            }
            _ => Err(Some(Close::new(
                4400,
                format!(
                    "Invalid message received: not a {} message",
                    protocol.name()
                ),
            ))),
        }
    }
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
    let session_id = session.and_then(|s| s.session_id)?;
    match delivery {
        Some(Delivery::Message(payload)) => {
            let event: ControlEvent = serde_json::from_str(&payload).ok()?;
            event
                .concerns(session_id)
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
    let shared = |auth: RequestAuth| {
        let mut data = Data::default();
        data.insert(auth);
        data.insert(client.clone());
        Arc::new(data)
    };
    match &credentials {
        Credentials::Anonymous => Ok(Session {
            data: shared(RequestAuth::new(credentials)),
            session_id: None,
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
            let session_id = viewer.session_id;
            Ok(Session {
                data: shared(RequestAuth::with_viewer(credentials.clone(), viewer)),
                session_id: Some(session_id),
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
    // Loaders stay per operation (each batches within its own results);
    // the caller's auth and client are the socket's.
    let request = request.data(RequestLoaders::new(&app.reads));
    let responses = schema.execute_stream_with_session_data(request, session.data.clone());
    operations.insert(id, OperationStream::new(responses));
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

/// Inline sizes in bytes of what each socket keeps (for the real-time
/// benchmark's report).
pub(super) fn footprint() -> Vec<(&'static str, usize)> {
    fn returned<A, B, C, D, E, F>(_: &impl Fn(A, B, C, D, E) -> F) -> usize {
        std::mem::size_of::<F>()
    }
    fn run_future<F>(
        _: &impl Fn(
            &'static mut WebSocket,
            Protocol,
            &'static AppState,
            &'static AppSchema,
            &'static ClientInfo,
        ) -> F,
    ) -> usize {
        std::mem::size_of::<F>()
    }
    vec![
        ("socket task future (`ws::serve`)", returned(&serve)),
        ("of which its loop (`ws::run`)", run_future(&run)),
        (
            "of which the socket (`WebSocket`)",
            std::mem::size_of::<WebSocket>(),
        ),
        ("session", std::mem::size_of::<Session>()),
        (
            "operation loaders (`RequestLoaders`)",
            std::mem::size_of::<RequestLoaders>(),
        ),
    ]
}
