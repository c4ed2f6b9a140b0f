//! What a resolver reads from its request, in one place: the process state,
//! the request's DataLoaders, the viewer, where the request came from; and
//! the two shapes every output type repeats: a list field under a parent
//! object as a Relay connection ([`child_connection`]) and "is X in the
//! viewer's set" ([`in_viewer_set`]).
use async_graphql::{
    Context, OutputType, Result,
    connection::{Connection, EmptyFields},
};
use sea_orm::FromQueryResult;

use crate::infra::sqlite_reads::SqliteModel;

pub use crate::auth::guard::{optional_viewer, viewer};
use crate::{
    entities::user,
    error::AppResult,
    resolvers::{
        loaders::{
            DataLoader, FirstRowsLoader, HasId, Loaders, ParentOf, RequestLoaders, ViewerSet,
        },
        relay::{PageArgs, connection, first_page_or},
    },
    state::AppState,
};

/// The process state the server put into the schema.
pub fn state<'a>(ctx: &'a Context<'_>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The DataLoaders of this request (or WebSocket operation).
pub fn loaders<'a>(ctx: &'a Context<'_>) -> &'a Loaders {
    ctx.data_unchecked::<RequestLoaders>().get()
}

/// The caller's account when there is a valid one; `None` when anonymous.
pub async fn viewer_user(ctx: &Context<'_>) -> AppResult<Option<user::Model>> {
    Ok(optional_viewer(ctx).await?.map(|v| v.user))
}

/// Where the HTTP request came from (owned by `auth`; recorded on new
/// sessions).
pub use crate::auth::ClientInfo;

/// The request's [`ClientInfo`] (empty when the transport set none).
pub fn client_info(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
}

/// Whether `id` is in the viewer's `set` (their wishlist, their follows,
/// their likes); false for anonymous callers.
pub async fn in_viewer_set(ctx: &Context<'_>, set: ViewerSet, id: i64) -> Result<bool> {
    let Some(viewer) = optional_viewer(ctx).await? else {
        return Ok(false);
    };
    Ok(loaders(ctx)
        .in_viewer_set
        .load_one((set, viewer.id(), id))
        .await?
        .unwrap_or(false))
}

/// A list field under a parent object (a store's shorts, a post's comments)
/// as a connection keyed by row id: the first page through `first_rows`, so
/// that every parent of an outer list shares one statement, later pages by
/// `later(after_id, fetch_limit)`.
pub async fn child_connection<E, Node, Later, Fut>(
    first: Option<i32>,
    after: Option<String>,
    first_rows: &DataLoader<FirstRowsLoader<E>>,
    parent_id: i64,
    later: Later,
    node: impl Fn(E::Model) -> Node,
) -> Result<Connection<String, Node>>
where
    E: ParentOf + HasId + Send + Sync + 'static,
    E::Model: FromQueryResult + SqliteModel + Clone + Send + Sync + 'static,
    Node: OutputType,
    Later: FnOnce(i64, u64) -> Fut,
    Fut: Future<Output = AppResult<Vec<E::Model>>>,
{
    let page = PageArgs::new(first, after)?;
    let limit = page.fetch_limit();
    let rows = first_page_or(&page, first_rows.load_one((parent_id, limit)), |after_id| {
        later(after_id, limit)
    })
    .await?;
    Ok(connection(&page, rows, EmptyFields, E::id_of, node))
}
