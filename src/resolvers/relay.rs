//! Relay plumbing shared by every resolver: opaque global ids
//! (`base64url("User:42")`), opaque cursors and page arguments
//! (`first` ≤ 100), and a connection builder over keyset-paginated rows.
use async_graphql::{
    ID, ObjectType, OutputType,
    connection::{
        Connection, ConnectionNameType, Edge, EdgeNameType, EmptyFields, EnableNodesField,
    },
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::{AppError, AppResult};

pub use crate::conventions::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, encode_id};

/// Decodes a global id and checks it names a `kind`; `field` is the argument
/// reported in the `VALIDATION` error.
pub fn decode_id(kind: &str, field: &str, id: &ID) -> AppResult<i64> {
    crate::conventions::decode_id(kind, id)
        .ok_or_else(|| AppError::validation(field, format!("`{field}` is not a valid {kind} id")))
}

/// Validated `first` / `after` of a connection field.
#[derive(Clone, Debug)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<String>,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => n as u64,
            Some(_) => {
                return Err(AppError::validation(
                    "first",
                    format!("`first` must be between 1 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        Ok(Self { first, after })
    }

    /// The decoded `after` cursor, if any.
    pub fn after_key<K: DeserializeOwned>(&self) -> AppResult<Option<K>> {
        self.after.as_deref().map(decode_cursor).transpose()
    }

    /// Rows to fetch: one more than asked, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> u64 {
        self.first + 1
    }
}

const CURSOR_PREFIX: &str = "c1:";

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_string(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{json}"))
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> AppResult<K> {
    let bad = || {
        AppError::validation(
            "after",
            "`after` is not a cursor returned by this connection",
        )
    };
    let raw = URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let json = text.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
    serde_json::from_str(json).map_err(|_| bad())
}

/// Rows of a list field keyed by id: the first page from its batch loader
/// (so every item of an outer list shares one statement), later pages by
/// `after(after_id)`.
pub async fn first_page_or<T, L, A>(
    page: &PageArgs,
    first_page: L,
    after: impl FnOnce(i64) -> A,
) -> AppResult<Vec<T>>
where
    L: std::future::Future<Output = Result<Option<Vec<T>>, std::sync::Arc<sea_orm::DbErr>>>,
    A: std::future::Future<Output = AppResult<Vec<T>>>,
{
    match page.after_key::<i64>()? {
        None => Ok(first_page.await?.unwrap_or_default()),
        Some(after_id) => after(after_id).await,
    }
}

/// Builds a connection from `rows` fetched with [`PageArgs::fetch_limit`].
pub fn connection<Row, Node, Key, Extra, Name, EdgeName>(
    page: &PageArgs,
    mut rows: Vec<Row>,
    extra: Extra,
    key_of: impl Fn(&Row) -> Key,
    node_of: impl Fn(Row) -> Node,
) -> Connection<String, Node, Extra, EmptyFields, Name, EdgeName, EnableNodesField>
where
    Node: OutputType,
    Key: Serialize,
    Extra: ObjectType,
    Name: ConnectionNameType,
    EdgeName: EdgeNameType,
{
    let has_next = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let mut conn = Connection::with_additional_fields(page.after.is_some(), has_next, extra);
    conn.edges.extend(rows.into_iter().map(|row| {
        let cursor = encode_cursor(&key_of(&row));
        Edge::new(cursor, node_of(row))
    }));
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_kind() {
        let id = encode_id("User", 42);
        assert_eq!(decode_id("User", "id", &id).unwrap(), 42);
        assert!(decode_id("Session", "id", &id).is_err());
        for bad in ["", "!!!", "VXNlcjo", "VXNlcjphYmM", "VXNlcjotMQ"] {
            assert!(decode_id("User", "id", &ID(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_args() {
        assert_eq!(PageArgs::new(None, None).unwrap().first, 20);
        assert_eq!(PageArgs::new(Some(100), None).unwrap().fetch_limit(), 101);
        assert!(PageArgs::new(Some(0), None).is_err());
        assert!(PageArgs::new(Some(101), None).is_err());
        assert!(PageArgs::new(Some(-5), None).is_err());
        let err = PageArgs::new(Some(100_000), None).unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&(7_i64, "x"));
        let page = PageArgs::new(None, Some(c)).unwrap();
        assert_eq!(
            page.after_key::<(i64, String)>().unwrap(),
            Some((7, "x".to_owned()))
        );
        assert!(decode_cursor::<i64>("garbage").is_err());
        assert!(decode_cursor::<i64>(&URL_SAFE_NO_PAD.encode("c1:not json")).is_err());
    }
}
