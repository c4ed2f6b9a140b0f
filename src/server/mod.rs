//! HTTP and WebSocket surface: `/graphql` (POST, GET, GraphiQL in
//! development), `/graphql/ws`, `/graphql/stream` (GraphQL over SSE),
//! `/graphiql/<asset>`, `/healthz`, `/readyz`, `/metrics`, `/files/<key>`,
//! `PUT /uploads/<key>` (direct uploads to local storage), the web client
//! at `/` (everything else: [`web`]);
//! the tower layers every request passes (request id, tracing span,
//! metrics, CORS, compression, body limit); and graceful shutdown.
mod client_ip;
pub mod graphiql;
pub mod graphql;
pub mod negotiate;
mod probes;
mod seo;
mod uploads;
mod web;
mod webhooks;

use std::{net::SocketAddr, time::Instant};

use axum::{
    Json, Router,
    extract::{ConnectInfo, MatchedPath, Request, State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    compression::{
        CompressionLayer, Predicate,
        predicate::{NotForContentType, SizeAbove},
    },
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

pub use self::graphql::PARTNER_KEY_HEADER;
use self::negotiate::MediaType;
use crate::{error::RefusalCode, realtime::ws::Protocol, resolvers::AppSchema, state::AppState};

/// Largest request body accepted (bytes); larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most files one multipart request may carry (a post's images).
pub const MAX_UPLOAD_FILES: u64 = 10;
/// Most operations in one JSON batch.
pub const MAX_BATCH: usize = 10;
/// Responses smaller than this are sent uncompressed (bytes).
pub const COMPRESS_ABOVE_BYTES: u16 = 1024;

#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub schema: AppSchema,
}

pub fn router(app: AppState, schema: AppSchema) -> Router {
    let state = ServerState {
        app: app.clone(),
        schema,
    };
    let cors = cors_layer(&app);
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(graphql_ws))
        .route(
            "/graphql/stream",
            get(crate::realtime::sse::get).post(crate::realtime::sse::post),
        )
        .route("/graphiql/{asset}", get(graphiql::asset))
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz))
        .route("/metrics", get(probes::metrics))
        .route("/files/{key}", get(probes::file))
        .route("/uploads/{key}", axum::routing::put(uploads::put))
        .route("/webhooks/stripe", axum::routing::post(webhooks::stripe))
        .route("/robots.txt", get(seo::robots))
        .route("/sitemap.xml", get(seo::index))
        .route("/sitemaps/{file}", get(seo::partition))
        .fallback(web::serve)
        .with_state(state)
        .layer(middleware::from_fn_with_state(app.clone(), limit_body))
        .layer(middleware::from_fn_with_state(app.clone(), refuse_blocked))
        .layer(middleware::from_fn_with_state(app.clone(), client_ip::resolve))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let request_id = req
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!("request", request_id, method = %req.method(), path = %req.uri().path())
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(middleware::from_fn_with_state(app, track_metrics))
                .layer(cors)
                .layer(compression_layer()),
        )
}

/// gzip or brotli, as `Accept-Encoding` asks, for responses over
/// [`COMPRESS_ABOVE_BYTES`]; never event streams (each event must reach the
/// client when it is written) or images (already compressed).
fn compression_layer() -> CompressionLayer<impl Predicate> {
    let predicate = SizeAbove::new(COMPRESS_ABOVE_BYTES)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    CompressionLayer::new().compress_when(predicate)
}

/// Request headers the API reads, which cross-origin browsers must be
/// allowed to send.
const ALLOWED_HEADERS: [&str; 9] = [
    "authorization",
    "content-type",
    "accept",
    PARTNER_KEY_HEADER,
    "idempotency-key",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "graphql-preflight",
];

fn cors_layer(app: &AppState) -> CorsLayer {
    let origins = &app.config.cors_origins;
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::OPTIONS])
        .allow_headers(ALLOWED_HEADERS.map(header::HeaderName::from_static))
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit"),
            header::HeaderName::from_static("ratelimit-policy"),
            header::RETRY_AFTER,
        ])
}

/// A refusal before execution, in GraphQL's error shape and the negotiated
/// media type, counted in `graphql_errors_total{code}` like every error a
/// client receives.
pub fn refuse(
    app: &AppState,
    media: MediaType,
    status: StatusCode,
    code: impl Into<&'static str>,
    message: &str,
) -> Response {
    let code = code.into();
    app.metrics.count_error(code);
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        Json(serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })),
    )
        .into_response()
}

/// 405 with `Allow: POST`: GET must be safe (GraphQL over HTTP), so a link
/// or an `<img>` cannot run a mutation with the victim's credentials.
pub fn get_not_allowed(app: &AppState, media: MediaType, message: &str) -> Response {
    let mut refused = refuse(
        app,
        media,
        StatusCode::METHOD_NOT_ALLOWED,
        RefusalCode::MethodNotAllowed,
        message,
    );
    refused
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    refused
}

fn too_large(app: &AppState, limit: usize) -> Response {
    refuse(
        app,
        MediaType::Json,
        StatusCode::PAYLOAD_TOO_LARGE,
        RefusalCode::PayloadTooLarge,
        &format!("the request body is larger than {limit} bytes"),
    )
}

/// 413 for bodies over the limit, before they are buffered: JSON and GET
/// bodies get 1 MiB, multipart uploads room for `MAX_UPLOAD_FILES` images of
/// `VITRINE_UPLOAD_MAX_BYTES` each, a direct upload's PUT one image. A declared `Content-Length` over the
/// limit is refused at once; a streamed body stops at the limit.
async fn limit_body(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let direct_upload = req.method() == Method::PUT && req.uri().path().starts_with("/uploads/");
    let limit = if multipart {
        (app.config.upload_max_bytes * MAX_UPLOAD_FILES) as usize + MAX_BODY_BYTES
    } else if direct_upload {
        app.config.upload_max_bytes as usize
    } else {
        MAX_BODY_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(&app, limit);
    }
    let (parts, body) = req.into_parts();
    let limited = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, limited)).await
}

/// 403 `FORBIDDEN` for an address an admin blocked (AUTH-6), before any
/// work; the probes stay open to the orchestrator.
async fn refuse_blocked(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let probe = matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics");
    if probe || app.blocklist.is_empty() {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| crate::domain::security::blocks::canonical(peer.ip()));
    if let Some(ip) = ip
        && app.blocklist.is_blocked(&ip, app.security.now())
    {
        tracing::info!(ip, "refused: blocked address");
        return refuse(
            &app,
            MediaType::Json,
            StatusCode::FORBIDDEN,
            crate::error::ErrorCode::Forbidden,
            "requests from this address are blocked",
        );
    }
    next.run(req).await
}

async fn track_metrics(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    app.metrics.observe_http(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `/graphql/ws`: upgrades to the protocol the client asked for (see
/// [`crate::realtime::ws`]). Buffers are sized for many idle sockets: reads
/// start at 512 bytes (a `connection_init` with its token, a typical
/// `subscribe`) and grow for larger messages, writes go out at once.
async fn graphql_ws(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let requested = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok());
    let Some(protocol) = Protocol::negotiate(requested) else {
        return refuse(
            &state.app,
            MediaType::Json,
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            "unsupported WebSocket subprotocol: use graphql-transport-ws or graphql-ws",
        );
    };
    let client = graphql::client_info(&headers, peer);
    let ServerState { app, schema } = state;
    upgrade
        .protocols([protocol.name()])
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| crate::realtime::ws::serve(socket, protocol, app, schema, client))
}

/// Initial read buffer of a WebSocket, and the most read from the socket at
/// once: each socket keeps it for its whole life.
const WS_READ_BUFFER: usize = 512;

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received, draining"),
        _ = term => tracing::info!("SIGTERM received, draining"),
    }
}
