//! `PUT /uploads/<key>?expires=…&signature=…`: the direct-upload URL of
//! local storage (S3 hands out URLs of its own). The signature, expiry and
//! pending upload are checked before the body is read; the body may not be
//! larger than the size announced to `createUploadUrl`. What arrives is
//! checked by `confirmUpload`, not here.
use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ServerState, negotiate::MediaType, refuse};
use crate::{
    domain::uploads::direct::{self, Refused},
    error::{ErrorCode, RefusalCode},
};

#[derive(Deserialize)]
pub struct Signed {
    expires: i64,
    signature: String,
}

pub async fn put(
    State(state): State<ServerState>,
    Path(key): Path<String>,
    query: Result<Query<Signed>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Response {
    let app = &state.app;
    let media = MediaType::Json;
    let Ok(Query(signed)) = query else {
        return refuse(
            app,
            media,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the upload URL is not signed",
        );
    };
    let storage = app.storage.as_ref();
    let authorized =
        direct::authorize_put(&app.db, storage, &key, signed.expires, &signed.signature).await;
    let upload = match authorized {
        Ok(Ok(upload)) => upload,
        Ok(Err(refused)) => return refusal(&state, refused),
        Err(e) => return internal(&state, e),
    };
    // One byte over the announced size is enough to refuse it.
    let limit = upload.byte_size as usize + 1;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => return refusal(&state, Refused::TooLarge(upload.byte_size)),
    };
    match direct::receive(storage, &upload, bytes.to_vec()).await {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(refused)) => refusal(&state, refused),
        Err(e) => internal(&state, e),
    }
}

fn refusal(state: &ServerState, refused: Refused) -> Response {
    let media = MediaType::Json;
    match refused {
        Refused::Forbidden(why) => refuse(
            &state.app,
            media,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            why,
        ),
        Refused::TooLarge(size) => refuse(
            &state.app,
            media,
            StatusCode::PAYLOAD_TOO_LARGE,
            RefusalCode::PayloadTooLarge,
            &format!("the upload was announced as {size} bytes; the body is larger"),
        ),
    }
}

fn internal(state: &ServerState, error: crate::error::AppError) -> Response {
    use async_graphql::ErrorExtensions;
    // Logs the cause with the request's id; the client sees no detail.
    let _ = error.extend();
    refuse(
        &state.app,
        MediaType::Json,
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "internal error",
    )
}
