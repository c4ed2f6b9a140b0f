//! Turning a request body into operations, with persisted documents
//! (API-1, API-2): `documentId` (the GraphQL-over-HTTP persisted-documents
//! appendix) and Apollo's `extensions.persistedQuery` resolve to documents of
//! the frontend manifest or of the APQ store. Partners (`X-Api-Key`) must
//! send one of those, naming an operation on their allow-list, one at a time.
use async_graphql::BatchRequest;
use serde_json::Value;

use super::{apq, contract};
use crate::{domain::partners, entities::partner, error::RefusalCode};

/// A refused request: HTTP status, stable code, message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: RefusalCode,
    pub message: String,
}

fn refuse(status: u16, code: RefusalCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

/// Who sent the request, beyond its bearer token.
pub struct Caller<'a> {
    pub partner: Option<&'a partner::Model>,
    /// `VITRINE_PERSISTED_ONLY`: first-party clients too must send manifest
    /// documents.
    pub manifest_only: bool,
}

/// Resolves every operation's document in `body` (one object or a batch
/// array) and checks what the caller may send; returns the operations.
pub async fn prepare(
    store: &apq::ApqStore,
    caller: &Caller<'_>,
    mut body: Value,
) -> Result<BatchRequest, Refusal> {
    match &mut body {
        Value::Array(items) => {
            if caller.partner.is_some() {
                return Err(refuse(
                    400,
                    RefusalCode::BatchTooLarge,
                    "batches are not available with an API key: send one operation per request",
                ));
            }
            for item in items.iter_mut() {
                resolve(store, caller, item).await?;
            }
        }
        item => resolve(store, caller, item).await?,
    }
    serde_json::from_value::<BatchRequest>(body).map_err(|e| {
        refuse(
            400,
            RefusalCode::BadRequest,
            format!("not a GraphQL request: {e}"),
        )
    })
}

async fn resolve(
    store: &apq::ApqStore,
    caller: &Caller<'_>,
    item: &mut Value,
) -> Result<(), Refusal> {
    let Value::Object(request) = item else {
        return Err(refuse(
            400,
            RefusalCode::BadRequest,
            "an operation must be a JSON object",
        ));
    };
    let text = request
        .get("query")
        .and_then(Value::as_str)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    let document_id = request
        .get("documentId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let hash = request
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .map(|pq| {
            let version = pq.get("version").and_then(Value::as_i64);
            let hash = pq.get("sha256Hash").and_then(Value::as_str);
            match (version, hash) {
                (Some(1), Some(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    Ok(h.to_ascii_lowercase())
                }
                _ => Err(refuse(
                    400,
                    RefusalCode::BadRequest,
                    "extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}",
                )),
            }
        })
        .transpose()?;

    // The manifest id the operation names, if it names one.
    let manifest_id = match (&document_id, &hash) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(h)) => Some(format!("sha256:{h}")),
        (None, None) => None,
    };
    let from_manifest = manifest_id
        .as_deref()
        .and_then(|id| contract::embedded().get(id).map(|e| (id.to_owned(), e)));

    let must_be_persisted = caller.partner.is_some() || caller.manifest_only;
    if must_be_persisted {
        if document_id.is_none() && hash.is_none() {
            return Err(refuse(
                400,
                RefusalCode::PersistedQueryRequired,
                "send a persisted document (`documentId` or extensions.persistedQuery) of the frontend manifest, not query text",
            ));
        }
        let Some((id, entry)) = &from_manifest else {
            return Err(refuse(
                400,
                RefusalCode::PersistedQueryNotAllowed,
                "this document is not in the frontend manifest",
            ));
        };
        if let Some(p) = caller.partner
            && !partners::may_run(p, id)
        {
            return Err(refuse(
                403,
                RefusalCode::PersistedQueryNotAllowed,
                format!(
                    "`{id}` ({}) is not on this partner's allow-list",
                    entry.name
                ),
            ));
        }
    }

    let document = match (text, &hash, &document_id) {
        // Registration (APQ): the text must hash to the announced hash.
        (Some(text), Some(h), _) => {
            if apq::sha256_hex(&text) != *h {
                return Err(refuse(
                    400,
                    RefusalCode::PersistedQueryHashMismatch,
                    "sha256Hash is not the SHA-256 of the query",
                ));
            }
            if from_manifest.is_none() {
                store.put(h, &text).await;
            }
            text
        }
        (Some(text), None, None) => text,
        (Some(_), None, Some(_)) => {
            return Err(refuse(
                400,
                RefusalCode::BadRequest,
                "send `documentId` or `query`, not both",
            ));
        }
        (None, _, _) => match (&from_manifest, &hash) {
            (Some((_, entry)), _) => entry.document.clone(),
            (None, Some(h)) => match store.get(h).await {
                Some(doc) => doc,
                None => {
                    return Err(refuse(
                        200,
                        RefusalCode::PersistedQueryNotFound,
                        "PersistedQueryNotFound",
                    ));
                }
            },
            (None, None) if document_id.is_some() => {
                return Err(refuse(
                    400,
                    RefusalCode::PersistedQueryNotFound,
                    "unknown documentId",
                ));
            }
            (None, None) => {
                return Err(refuse(
                    400,
                    RefusalCode::BadRequest,
                    "the request has no `query`",
                ));
            }
        },
    };
    request.insert("query".into(), Value::String(document));
    request.remove("documentId");
    Ok(())
}
