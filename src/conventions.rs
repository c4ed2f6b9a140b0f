//! Conventions of the public API that several layers share: the opaque
//! global id format (`base64url("Kind:42")`) and the page bounds of Relay
//! connections (`first` ≤ 100, 20 when omitted).
//!
//! They live here, below every layer, so that errors (a product id in
//! `extensions.productId`) and protection (the complexity of a connection)
//! use them without depending on the resolvers; `resolvers::relay` builds
//! its validated arguments and connections on top of them.
use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Items a connection returns when `first` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The most items one `first` may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The opaque global id of `kind` row `id`.
pub fn encode_id(kind: &str, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

/// The row id a global id names, when it is a well-formed id of `kind`.
pub fn decode_id(kind: &str, id: &ID) -> Option<i64> {
    let raw = URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (found_kind, number) = text.split_once(':')?;
    if found_kind != kind {
        return None;
    }
    number.parse::<i64>().ok().filter(|n| *n > 0)
}
