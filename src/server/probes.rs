//! Operational endpoints: `/healthz`, `/readyz`, `/metrics`, and uploaded
//! files at `/files/<key>`.
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::ServerState;

pub async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers with no pending migration and Redis (when
/// configured) answers PING; also reports the libtorch the process loaded.
pub async fn readyz(State(state): State<ServerState>) -> Response {
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
    let storage = match app.storage.health().await {
        Ok(_) => serde_json::json!({ "ok": true, "backend": app.storage.name() }),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness: storage unavailable");
            serde_json::json!({ "ok": false, "backend": app.storage.name(), "error": "storage unavailable" })
        }
    };
    let ok = database.ok
        && redis["ok"].as_bool().unwrap_or(false)
        && search["ok"] == true
        && storage["ok"] == true;
    let body = serde_json::json!({
        "search": search,
        "storage": storage,
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

pub async fn metrics(State(state): State<ServerState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.app.metrics.render(),
    )
}

/// Uploaded images at stable URLs: `/files/<uuid>.<ext>`, immutable.
pub async fn file(
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
