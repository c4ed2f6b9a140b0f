//! HTTP and WebSocket surface: `/graphql` (POST, GET, GraphiQL in development),
//! `/graphql/ws`, `/healthz`, `/readyz`, `/metrics`; the tower layers every
//! request passes (request id, tracing span, metrics, CORS, body limit); and
//! graceful shutdown.
use std::{net::SocketAddr, time::Instant};

use async_graphql::{BatchRequest, http::GraphiQLSource};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse, rejection::GraphQLRejection};
use axum::{
    Json, Router,
    extract::{ConnectInfo, FromRequest, MatchedPath, Request, State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    auth::{ClientInfo, Credentials, guard::RequestAuth},
    error::{ErrorCode, RefusalCode},
    protection::{PartnerCaller, RateLimitNotes},
    realtime::ws::Protocol,
    resolvers::{AppSchema, loaders::RequestLoaders},
    state::AppState,
};

/// Largest request body accepted (bytes); larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most files one multipart request may carry (a post's images).
pub const MAX_UPLOAD_FILES: u64 = 10;
/// Most operations in one JSON batch.
pub const MAX_BATCH: usize = 10;

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
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/files/{key}", get(file))
        .with_state(state)
        .layer(middleware::from_fn_with_state(app.clone(), limit_body))
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
                .layer(cors),
        )
}

fn cors_layer(app: &AppState) -> CorsLayer {
    let origins = &app.config.cors_origins;
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("apollo-require-preflight"),
            header::HeaderName::from_static("x-apollo-operation-name"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit"),
            header::HeaderName::from_static("ratelimit-policy"),
            header::RETRY_AFTER,
        ])
}

/// 413 for bodies over the limit, before they are buffered: JSON and GET
/// bodies get 1 MiB, multipart uploads room for `MAX_UPLOAD_FILES` images of
/// `VITRINE_UPLOAD_MAX_BYTES` each. A declared `Content-Length` over the
/// limit is refused at once; a streamed body stops at the limit.
async fn limit_body(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let limit = if multipart {
        (app.config.upload_max_bytes * MAX_UPLOAD_FILES) as usize + MAX_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(limit);
    }
    let (parts, body) = req.into_parts();
    let limited = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, limited)).await
}

fn too_large(limit: usize) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        RefusalCode::PayloadTooLarge.as_str(),
        &format!("the request body is larger than {limit} bytes"),
    )
}

/// Uploaded images at stable URLs: `/files/<uuid>.<ext>`, immutable.
async fn file(
    State(state): State<ServerState>,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Response {
    let Some(content_type) = crate::infra::storage::content_type_of(&key) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.app.storage.get(&key).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a stored file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
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

fn client_info(headers: &HeaderMap, peer: SocketAddr) -> ClientInfo {
    ClientInfo {
        ip: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

async fn execute(
    state: &ServerState,
    headers: &HeaderMap,
    peer: SocketAddr,
    batch: BatchRequest,
    partner: Option<crate::entities::partner::Model>,
) -> Response {
    let partner = partner.map(|p| PartnerCaller {
        id: p.id,
        policy: crate::domain::partners::policy(p.rate_tier),
    });
    if let BatchRequest::Batch(items) = &batch
        && items.len() > MAX_BATCH
    {
        return refusal(
            StatusCode::BAD_REQUEST,
            RefusalCode::BatchTooLarge.as_str(),
            &format!("a batch may hold at most {MAX_BATCH} operations"),
        );
    }
    let credentials = Credentials::from_authorization(
        &state.app.jwt,
        headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()),
    );
    let client = client_info(headers, peer);
    let notes = RateLimitNotes::default();
    let batch = match batch {
        BatchRequest::Single(request) => {
            let mut request = request_with_context(&state.app, request, &credentials, &client)
                .data(notes.clone());
            if let Some(p) = &partner {
                request = request.data(p.clone());
            }
            BatchRequest::Single(request)
        }
        BatchRequest::Batch(requests) => BatchRequest::Batch(
            requests
                .into_iter()
                .map(|r| {
                    request_with_context(&state.app, r, &credentials, &client).data(notes.clone())
                })
                .collect(),
        ),
    };
    let responses = state.schema.execute_batch(batch).await;
    let refused_whole = match &responses {
        async_graphql::BatchResponse::Single(r) => is_rate_limited(r),
        async_graphql::BatchResponse::Batch(rs) => !rs.is_empty() && rs.iter().all(is_rate_limited),
    };
    let response = GraphQLResponse::from(responses).into_response();
    with_rate_limit_headers(response, &notes, refused_whole)
}

fn is_rate_limited(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| {
                    *c == async_graphql::Value::from(RefusalCode::RateLimited.as_str())
                })
        })
}

fn request_with_context(
    app: &AppState,
    request: async_graphql::Request,
    credentials: &Credentials,
    client: &ClientInfo,
) -> async_graphql::Request {
    request
        .data(RequestAuth::new(credentials.clone()))
        .data(RequestLoaders::new(&app.db, app.config.loader_delay))
        .data(client.clone())
}

fn bad_request(message: &str) -> Response {
    refusal(
        StatusCode::BAD_REQUEST,
        RefusalCode::BadRequest.as_str(),
        message,
    )
}

/// POST accepts `application/json` (and `application/graphql-response+json`
/// clients, which send JSON) and GraphQL multipart uploads. Anything else,
/// `text/plain` and form posts above all (a browser sends those cross-site
/// without a preflight: CSRF), is refused with 415; multipart must also carry
/// a header a simple cross-site form cannot set (`apollo-require-preflight`,
/// `x-apollo-operation-name` or `graphql-preflight`).
async fn graphql_post(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let refused = match content_type.as_str() {
        "application/json" | "application/graphql-response+json" => None,
        "multipart/form-data" => {
            let preflighted = [
                "apollo-require-preflight",
                "x-apollo-operation-name",
                "graphql-preflight",
            ]
            .iter()
            .any(|h| req.headers().contains_key(*h));
            (!preflighted).then(|| {
                refusal(
                    StatusCode::BAD_REQUEST,
                    RefusalCode::BadRequest.as_str(),
                    "multipart requests need an `apollo-require-preflight` (or `x-apollo-operation-name`, `graphql-preflight`) header",
                )
            })
        }
        _ => Some(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RefusalCode::UnsupportedMediaType.as_str(),
            "POST /graphql takes `Content-Type: application/json` (or a GraphQL multipart upload)",
        )),
    };
    if let Some(response) = refused {
        // Read what was sent (within the body limit) so the client is not
        // cut off mid-upload and sees the answer.
        let _ = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await;
        return response;
    }
    let headers = req.headers().clone();
    if content_type == "multipart/form-data" {
        if headers.contains_key(PARTNER_KEY_HEADER) {
            return refusal(
                StatusCode::BAD_REQUEST,
                RefusalCode::PersistedQueryRequired.as_str(),
                "uploads are not available with an API key",
            );
        }
        let request = match GraphQLBatchRequest::<GraphQLRejection>::from_request(req, &state).await
        {
            Ok(r) => r,
            Err(rejection) => return rejected(rejection),
        };
        return execute(&state, &headers, peer, request.into_inner(), None).await;
    }
    let bytes = match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return too_large(MAX_BODY_BYTES),
    };
    let body: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                RefusalCode::BadRequest.as_str(),
                &format!("the request body is not valid JSON: {e}"),
            );
        }
    };
    let (batch, partner) = match prepare(&state, &headers, body).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    execute(&state, &headers, peer, batch, partner).await
}

/// The partner API key header.
pub const PARTNER_KEY_HEADER: &str = "x-api-key";

/// Authenticates an `X-Api-Key` and resolves persisted documents.
async fn prepare(
    state: &ServerState,
    headers: &HeaderMap,
    body: serde_json::Value,
) -> Result<(BatchRequest, Option<crate::entities::partner::Model>), Response> {
    let partner = match headers.get(PARTNER_KEY_HEADER) {
        None => None,
        Some(key) => {
            let key = key.to_str().unwrap_or_default();
            match crate::domain::partners::authenticate(&state.app.db, key).await {
                Ok(Ok(p)) => Some(p),
                Ok(Err(why)) => {
                    let message = match why {
                        crate::domain::partners::KeyRefusal::Unknown => "unknown API key",
                        crate::domain::partners::KeyRefusal::Revoked => "this API key was revoked",
                    };
                    return Err(refusal(
                        StatusCode::UNAUTHORIZED,
                        RefusalCode::PartnerKeyInvalid.as_str(),
                        message,
                    ));
                }
                Err(e) => {
                    tracing::error!(error = ?e, "partner lookup failed");
                    return Err(refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        ErrorCode::Internal.as_str(),
                        "internal error",
                    ));
                }
            }
        }
    };
    let caller = crate::protection::persisted::Caller {
        partner: partner.as_ref(),
        manifest_only: state.app.config.persisted_only,
    };
    match crate::protection::persisted::prepare(&state.app.apq, &caller, body).await {
        Ok(batch) => Ok((batch, partner)),
        Err(r) => Err(refusal(
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
            r.code.as_str(),
            &r.message,
        )),
    }
}

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…&documentId=…`
/// as the JSON body a POST would carry.
fn get_parameters(query: &str) -> Result<serde_json::Value, String> {
    let mut body = serde_json::Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let parsed = match key.as_ref() {
            "query" | "operationName" | "documentId" => {
                serde_json::Value::String(value.into_owned())
            }
            "variables" | "extensions" => {
                serde_json::from_str(&value).map_err(|e| format!("`{key}` is not JSON: {e}"))?
            }
            _ => continue,
        };
        body.insert(key.into_owned(), parsed);
    }
    Ok(serde_json::Value::Object(body))
}

/// A body async-graphql could not read: malformed JSON, invalid UTF-8, a
/// broken multipart request, or a body over the limit.
fn rejected(rejection: GraphQLRejection) -> Response {
    let message = rejection.0.to_string();
    if matches!(
        rejection.0,
        async_graphql::ParseRequestError::PayloadTooLarge
    ) || message.to_ascii_lowercase().contains("length limit")
    {
        return too_large(MAX_BODY_BYTES);
    }
    refusal(
        StatusCode::BAD_REQUEST,
        RefusalCode::BadRequest.as_str(),
        &format!("the request body is not a GraphQL request: {message}"),
    )
}

/// A refusal before execution, in GraphQL's error shape.
fn refusal(status: StatusCode, code: &'static str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })),
    )
        .into_response()
}

/// GET executes a query from the URL; with no `query` parameter a browser in
/// development gets GraphiQL instead.
async fn graphql_get(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let has_query = req.uri().query().is_some_and(|q| {
        q.split('&').any(|p| {
            p.starts_with("query=") || p.starts_with("extensions=") || p.starts_with("documentId=")
        })
    });
    if !has_query {
        if wants_html && !state.app.config.is_production() {
            return Html(
                GraphiQLSource::build()
                    .endpoint("/graphql")
                    .subscription_endpoint("/graphql/ws")
                    .title("vitrine GraphiQL")
                    .finish(),
            )
            .into_response();
        }
        return bad_request("GET /graphql needs a `query` parameter");
    }
    let headers = req.headers().clone();
    let body = match get_parameters(req.uri().query().unwrap_or_default()) {
        Ok(body) => body,
        Err(message) => return bad_request(&message),
    };
    let (batch, partner) = match prepare(&state, &headers, body).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    if batch.iter().any(changes_state) {
        // GET must be safe (GraphQL over HTTP): a link or an <img> must not
        // be able to run a mutation with the victim's credentials. Checked
        // after persisted documents are resolved, so a hash cannot hide one.
        let mut refused = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            RefusalCode::MethodNotAllowed.as_str(),
            "mutations and subscriptions are not allowed over GET; use POST",
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }
    execute(&state, &headers, peer, batch, partner).await
}

/// Whether the operation a request would run is a mutation or subscription.
/// Unparsable documents are left to the executor, which reports them.
fn changes_state(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let writes = |ty: OperationType| ty != OperationType::Query;
    match &doc.operations {
        DocumentOperations::Single(op) => writes(op.node.ty),
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops.get(name.as_str()).is_some_and(|op| writes(op.node.ty)),
            None => ops.values().any(|op| writes(op.node.ty)),
        },
    }
}

/// `/graphql/ws`: upgrades to the protocol the client asked for (see
/// [`crate::realtime::ws`]). Buffers are sized for many idle sockets: reads
/// start at 2 KiB and grow for larger messages, writes go out at once.
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
        return bad_request(
            "unsupported WebSocket subprotocol: use graphql-transport-ws or graphql-ws",
        );
    };
    let client = client_info(&headers, peer);
    let ServerState { app, schema } = state;
    upgrade
        .protocols([protocol.name()])
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| crate::realtime::ws::serve(socket, protocol, app, schema, client))
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers with no pending migration and Redis (when
/// configured) answers PING; also reports the libtorch the process loaded.
async fn readyz(State(state): State<ServerState>) -> Response {
    let app = &state.app;
    let database = crate::db::status(&app.db).await;
    let redis = match &app.redis {
        None => serde_json::json!({ "ok": true, "configured": false }),
        Some(manager) => {
            let mut conn = manager.clone();
            let ping: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
            match ping {
                Ok(_) => serde_json::json!({ "ok": true, "configured": true }),
                Err(e) => {
                    tracing::warn!(error = %e, "readiness: redis unreachable");
                    serde_json::json!({ "ok": false, "configured": true, "error": "redis unreachable" })
                }
            }
        }
    };
    let libtorch = recommender::runtime::probe();
    let search = match app.search.health().await {
        Ok(()) => serde_json::json!({ "ok": true, "backend": app.search.name() }),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness: search unavailable");
            serde_json::json!({ "ok": false, "backend": app.search.name(), "error": "search unavailable" })
        }
    };
    let ok = database.ok && redis["ok"].as_bool().unwrap_or(false) && search["ok"] == true;
    let body = serde_json::json!({
        "search": search,
        "status": if ok { "ready" } else { "not_ready" },
        "database": database,
        "redis": redis,
        "libtorch": libtorch,
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(state): State<ServerState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.app.metrics.render(),
    )
}

/// Adds the IETF rate-limit headers for the most constrained window the
/// request touched; a request refused as a whole answers 429.
fn with_rate_limit_headers(
    mut response: Response,
    notes: &RateLimitNotes,
    refused_whole: bool,
) -> Response {
    let notes = notes.decisions();
    let Some(tightest) = notes.iter().min_by_key(|d| (d.allowed, d.remaining)) else {
        return response;
    };
    let headers = response.headers_mut();
    let mut policies: Vec<String> = notes.iter().map(|d| d.policy.header()).collect();
    policies.dedup();
    if let Ok(v) = HeaderValue::from_str(&policies.join(", ")) {
        headers.insert("ratelimit-policy", v);
    }
    if let Ok(v) = HeaderValue::from_str(&tightest.header()) {
        headers.insert("ratelimit", v);
    }
    if !tightest.allowed {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(tightest.reset_secs));
        if refused_whole {
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        }
    }
    response
}

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
