//! `/graphql` over HTTP: POST (JSON and GraphQL multipart uploads) and GET
//! (queries from the URL), as the GraphQL-over-HTTP spec has them. Every
//! request is negotiated first ([`super::negotiate`]), then its body read,
//! persisted documents resolved ([`crate::protection::persisted`]) and the
//! operations executed; refusals on the way carry a stable code and are
//! counted like every other error.
use std::net::SocketAddr;

use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::{GraphQLBatchRequest, rejection::GraphQLRejection};
use axum::{
    extract::{ConnectInfo, FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    MAX_BATCH, MAX_BODY_BYTES, ServerState, get_not_allowed,
    negotiate::{MediaType, negotiate},
    refuse, too_large,
};
use crate::{
    auth::{ClientInfo, Credentials, guard::RequestAuth},
    error::{ErrorCode, RefusalCode, is_request_error},
    protection::{PartnerCaller, RateLimitNotes},
    resolvers::loaders::RequestLoaders,
    state::AppState,
};

/// The partner API key header.
pub const PARTNER_KEY_HEADER: &str = "x-api-key";

/// Headers that mark a multipart upload as sent by script (a simple
/// cross-site form cannot set them).
const PREFLIGHT_HEADERS: [&str; 3] = [
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "graphql-preflight",
];

pub fn client_info(headers: &HeaderMap, peer: SocketAddr) -> ClientInfo {
    ClientInfo {
        ip: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// 406: `Accept` offers no JSON media type this server sends.
fn not_acceptable(app: &AppState) -> Response {
    refuse(
        app,
        MediaType::Json,
        StatusCode::NOT_ACCEPTABLE,
        RefusalCode::NotAcceptable,
        "`Accept` offers no media type this endpoint sends: accept application/graphql-response+json or application/json",
    )
}

/// The media type of a POST body (`Content-Type` without parameters).
fn media_type_of(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// POST accepts `application/json` (and `application/graphql-response+json`
/// bodies, which are JSON) and GraphQL multipart uploads. Anything else,
/// `text/plain` and form posts above all (a browser sends those cross-site
/// without a preflight: CSRF), is refused with 415; multipart must also carry
/// a header a simple cross-site form cannot set (`apollo-require-preflight`,
/// `x-apollo-operation-name` or `graphql-preflight`).
pub async fn post(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let app = &state.app;
    let Some(media) = negotiate(req.headers()) else {
        return drain(req, not_acceptable(app)).await;
    };
    let content_type = media_type_of(req.headers());
    let refused = match content_type.as_str() {
        "application/json" | "application/graphql-response+json" => None,
        "multipart/form-data" => {
            let preflighted = PREFLIGHT_HEADERS
                .iter()
                .any(|h| req.headers().contains_key(*h));
            (!preflighted).then(|| {
                refuse(
                    app,
                    media,
                    StatusCode::BAD_REQUEST,
                    RefusalCode::BadRequest,
                    "multipart requests need an `apollo-require-preflight` (or `x-apollo-operation-name`, `graphql-preflight`) header",
                )
            })
        }
        _ => Some(refuse(
            app,
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RefusalCode::UnsupportedMediaType,
            "POST /graphql takes `Content-Type: application/json` (or a GraphQL multipart upload)",
        )),
    };
    if let Some(response) = refused {
        return drain(req, response).await;
    }
    let headers = req.headers().clone();
    if content_type == "multipart/form-data" {
        if headers.contains_key(PARTNER_KEY_HEADER) {
            return refuse(
                app,
                media,
                StatusCode::BAD_REQUEST,
                RefusalCode::PersistedQueryRequired,
                "uploads are not available with an API key",
            );
        }
        let request = match GraphQLBatchRequest::<GraphQLRejection>::from_request(req, &state).await
        {
            Ok(r) => r,
            Err(rejection) => return rejected(app, media, rejection),
        };
        return execute(&state, media, &headers, peer, request.into_inner(), None).await;
    }
    let body = match read_json(app, media, req).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let (batch, partner) = match prepare(&state, media, &headers, body).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    execute(&state, media, &headers, peer, batch, partner).await
}

/// Reads what was sent (within the body limit) before refusing, so that the
/// client is not cut off mid-upload and sees the answer.
async fn drain(req: Request, response: Response) -> Response {
    let _ = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await;
    response
}

/// The JSON body of a POST: 413 over the limit, 400 when it is not JSON.
pub async fn read_json(
    app: &AppState,
    media: MediaType,
    req: Request,
) -> Result<serde_json::Value, Response> {
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large(app, MAX_BODY_BYTES))?;
    if bytes.is_empty() {
        return Err(refuse(
            app,
            media,
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            "the request body is empty: send {\"query\": …}",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        refuse(
            app,
            media,
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            &format!("the request body is not valid JSON: {e}"),
        )
    })
}

/// Authenticates an `X-Api-Key` and resolves persisted documents.
pub async fn prepare(
    state: &ServerState,
    media: MediaType,
    headers: &HeaderMap,
    body: serde_json::Value,
) -> Result<(BatchRequest, Option<PartnerCaller>), Response> {
    let app = &state.app;
    let partner = match headers.get(PARTNER_KEY_HEADER) {
        None => None,
        Some(key) => {
            let key = key.to_str().unwrap_or_default();
            match crate::domain::partners::authenticate(&app.db, key).await {
                Ok(Ok(p)) => Some(p),
                Ok(Err(why)) => {
                    let message = match why {
                        crate::domain::partners::KeyRefusal::Unknown => "unknown API key",
                        crate::domain::partners::KeyRefusal::Revoked => "this API key was revoked",
                    };
                    return Err(refuse(
                        app,
                        media,
                        StatusCode::UNAUTHORIZED,
                        RefusalCode::PartnerKeyInvalid,
                        message,
                    ));
                }
                Err(e) => {
                    tracing::error!(error = ?e, "partner lookup failed");
                    return Err(refuse(
                        app,
                        media,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        ErrorCode::Internal,
                        "internal error",
                    ));
                }
            }
        }
    };
    let caller = crate::protection::persisted::Caller {
        partner: partner.as_ref(),
        manifest_only: app.config.persisted_only,
    };
    match crate::protection::persisted::prepare(&app.apq, &caller, body).await {
        Ok(batch) => Ok((
            batch,
            partner.map(|p| PartnerCaller {
                id: p.id,
                policy: crate::domain::partners::policy(p.rate_tier),
            }),
        )),
        Err(r) => Err(refuse(
            app,
            media,
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST),
            r.code,
            &r.message,
        )),
    }
}

/// Runs the operations with the request's credentials, loaders and rate
/// limits, and writes the response in the negotiated media type.
async fn execute(
    state: &ServerState,
    media: MediaType,
    headers: &HeaderMap,
    peer: SocketAddr,
    batch: BatchRequest,
    partner: Option<PartnerCaller>,
) -> Response {
    if let BatchRequest::Batch(items) = &batch
        && items.len() > MAX_BATCH
    {
        return refuse(
            &state.app,
            media,
            StatusCode::BAD_REQUEST,
            RefusalCode::BatchTooLarge,
            &format!("a batch may hold at most {MAX_BATCH} operations"),
        );
    }
    let credentials = Credentials::from_authorization(
        &state.app.jwt,
        headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()),
    );
    let client = client_info(headers, peer);
    crate::domain::security::note_credentials(&state.app, &credentials, client.ip.as_deref()).await;
    let notes = RateLimitNotes::default();
    let with_context = |request: async_graphql::Request| {
        let request =
            request_with_context(&state.app, request, &credentials, &client).data(notes.clone());
        match &partner {
            Some(p) => request.data(p.clone()),
            None => request,
        }
    };
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(with_context(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(with_context).collect())
        }
    };
    let responses = state.schema.execute_batch(batch).await;
    let refused_whole = match &responses {
        BatchResponse::Single(r) => is_rate_limited(r),
        BatchResponse::Batch(rs) => !rs.is_empty() && rs.iter().all(is_rate_limited),
    };
    let response = write(media, responses);
    with_rate_limit_headers(response, &notes, refused_whole)
}

/// Serialises a (batch) response. With `application/graphql-response+json`
/// a single operation that failed before execution (parse, validation,
/// variable coercion, limits) answers 400 without a `data` entry.
fn write(media: MediaType, responses: BatchResponse) -> Response {
    let request_error = match &responses {
        BatchResponse::Single(r) => media == MediaType::GraphqlResponse && is_request_error(r),
        BatchResponse::Batch(_) => false,
    };
    // Serialised straight to bytes; only a refused request goes through a
    // `Value` to lose its `data` entry.
    let body = if request_error {
        serde_json::to_value(&responses).and_then(|mut value| {
            if let Some(object) = value.as_object_mut() {
                object.remove("data");
            }
            serde_json::to_vec(&value)
        })
    } else {
        serde_json::to_vec(&responses)
    };
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let status = if request_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response =
        (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    if responses.is_ok()
        && let Some(cache_control) = responses.cache_control().value()
        && let Ok(value) = HeaderValue::from_str(&cache_control)
    {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response.headers_mut().extend(responses.http_headers());
    response
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

/// The data every operation runs with: credentials, loaders, client.
pub fn request_with_context(
    app: &AppState,
    request: async_graphql::Request,
    credentials: &Credentials,
    client: &ClientInfo,
) -> async_graphql::Request {
    request
        .data(RequestAuth::new(credentials.clone()))
        .data(RequestLoaders::new(&app.reads))
        .data(client.clone())
}

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…&documentId=…`
/// as the JSON body a POST would carry.
pub fn get_parameters(query: &str) -> Result<serde_json::Value, String> {
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
fn rejected(app: &AppState, media: MediaType, rejection: GraphQLRejection) -> Response {
    let message = rejection.0.to_string();
    if matches!(
        rejection.0,
        async_graphql::ParseRequestError::PayloadTooLarge
    ) || message.to_ascii_lowercase().contains("length limit")
    {
        return too_large(app, MAX_BODY_BYTES);
    }
    refuse(
        app,
        media,
        StatusCode::BAD_REQUEST,
        RefusalCode::BadRequest,
        &format!("the request body is not a GraphQL request: {message}"),
    )
}

/// GET executes a query from the URL; with no `query` parameter a browser in
/// development gets GraphiQL instead.
pub async fn get(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let app = &state.app;
    let has_query = req.uri().query().is_some_and(|q| {
        q.split('&').any(|p| {
            p.starts_with("query=") || p.starts_with("extensions=") || p.starts_with("documentId=")
        })
    });
    if !has_query && !app.config.is_production() && super::graphiql::wants_page(req.headers()) {
        return super::graphiql::page();
    }
    let headers = req.headers().clone();
    let Some(media) = negotiate(&headers) else {
        return not_acceptable(app);
    };
    if !has_query {
        return refuse(
            app,
            media,
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            "GET /graphql needs a `query` parameter",
        );
    }
    let body = match get_parameters(req.uri().query().unwrap_or_default()) {
        Ok(body) => body,
        Err(message) => {
            return refuse(
                app,
                media,
                StatusCode::BAD_REQUEST,
                RefusalCode::BadRequest,
                &message,
            );
        }
    };
    let (batch, partner) = match prepare(&state, media, &headers, body).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    // Checked after persisted documents are resolved, so that a hash cannot
    // hide a mutation.
    if batch.iter().any(changes_state) {
        return get_not_allowed(
            app,
            media,
            "mutations and subscriptions are not allowed over GET; use POST",
        );
    }
    execute(&state, media, &headers, peer, batch, partner).await
}

/// Whether the operation a request would run is a mutation or subscription.
/// Unparsable documents are left to the executor, which reports them.
pub fn changes_state(request: &async_graphql::Request) -> bool {
    operation_type(request)
        .is_some_and(|ty| ty != async_graphql::parser::types::OperationType::Query)
}

/// The type of the operation a request would run, when the document parses
/// and names it unambiguously.
pub fn operation_type(
    request: &async_graphql::Request,
) -> Option<async_graphql::parser::types::OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    let doc = async_graphql::parser::parse_query(&request.query).ok()?;
    match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops.get(name.as_str()).map(|op| op.node.ty),
            // Ambiguous: the executor refuses it; GET treats any write as one.
            None => ops
                .values()
                .map(|op| op.node.ty)
                .find(|ty| *ty != async_graphql::parser::types::OperationType::Query),
        },
    }
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
