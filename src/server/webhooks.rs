//! `POST /webhooks/stripe` (PAY-2): the raw body's bytes are checked
//! against `Stripe-Signature` (HMAC-SHA256 over `t.body` with each
//! configured secret, constant-time, several `v1` accepted, 300 s
//! tolerance) before anything is parsed; the event is then applied once
//! ([`crate::domain::billing::webhooks`]).
//!
//! Answers, as the provider expects: 200 once applied, for a duplicate and
//! for an ignored type; 400 for a bad signature, a stale timestamp or a
//! body that is not an event (never retried usefully); 422 for an event
//! about something this platform does not know or whose amount does not
//! match (nothing written; the provider retries, operators see the log);
//! 500 when the database failed (the provider retries).
use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{
    domain::billing::webhooks::{self, Event, Receipt},
    error::{AppError, RefusalCode},
    infra::stripe::signature::{DEFAULT_TOLERANCE_SECS, verify_signature},
};

use super::ServerState;

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "received": false, "error": { "code": code, "message": message } })),
    )
        .into_response()
}

pub async fn stripe(
    State(server): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let app = &server.app;
    let secrets: Vec<&str> = app
        .config
        .billing
        .webhook_secrets
        .iter()
        .map(|s| s.expose())
        .collect();
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Transport time, not the business clock: the signature is about now.
    let now = chrono::Utc::now().timestamp();
    if secrets.is_empty() {
        tracing::warn!("webhook refused: VITRINE_STRIPE_WEBHOOK_SECRET is not set");
        app.metrics.count_billing_event("-", "bad_signature");
        return answer(
            StatusCode::BAD_REQUEST,
            RefusalCode::WebhookSignatureInvalid.as_str(),
            "no webhook secret is configured on this server",
        );
    }
    if let Err(e) = verify_signature(header, &body, &secrets, now, DEFAULT_TOLERANCE_SECS) {
        tracing::warn!(error = %e, "webhook refused: signature");
        app.metrics.count_billing_event("-", "bad_signature");
        return answer(
            StatusCode::BAD_REQUEST,
            RefusalCode::WebhookSignatureInvalid.as_str(),
            &e.to_string(),
        );
    }
    let event = match Event::parse(&body) {
        Ok(event) => event,
        Err(message) => {
            app.metrics.count_billing_event("-", "refused");
            return answer(
                StatusCode::BAD_REQUEST,
                RefusalCode::BadRequest.as_str(),
                &message,
            );
        }
    };
    match webhooks::apply(app, &event).await {
        Ok(Receipt::Applied { outcome }) => (
            StatusCode::OK,
            Json(json!({ "received": true, "outcome": outcome })),
        )
            .into_response(),
        Ok(Receipt::Duplicate) => {
            app.metrics.count_billing_event(&event.kind, "duplicate");
            (
                StatusCode::OK,
                Json(json!({ "received": true, "duplicate": true })),
            )
                .into_response()
        }
        Err(
            e @ (AppError::NotFound { .. }
            | AppError::Validation { .. }
            | AppError::Conflict { .. }),
        ) => {
            tracing::warn!(event = event.id, kind = event.kind, error = %e.message(), "webhook event refused");
            app.metrics.count_billing_event(&event.kind, "refused");
            answer(StatusCode::UNPROCESSABLE_ENTITY, e.code(), &e.message())
        }
        Err(e) => {
            tracing::error!(event = event.id, kind = event.kind, error = ?e, "webhook event failed");
            app.metrics.count_billing_event(&event.kind, "failed");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.code(),
                "internal error",
            )
        }
    }
}
