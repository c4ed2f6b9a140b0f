//! Blocking users over GraphQL (issue 22): `blockUser`, `unblockUser`,
//! `myBlockedUsers`, and [`hidden`], the viewer's hidden set that every list
//! of user content filters on, read once per request.
use std::{collections::HashSet, sync::Arc};

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::{
    accounts::{TotalCount, User, UserConnection},
    context::{loaders, optional_viewer, state, viewer},
    relay::{PageArgs, connection, decode_id},
};
use crate::{auth::RoleGuard, domain::community::blocks, error::AppResult};

/// The users hidden from the caller (whom they blocked and who blocked
/// them): empty for anonymous callers; one statement per request, kept in
/// the request's loaders so that the first-page loaders see it too.
pub async fn hidden(ctx: &Context<'_>) -> AppResult<Arc<HashSet<i64>>> {
    let Some(me) = optional_viewer(ctx).await? else {
        return Ok(Arc::default());
    };
    let cell = &loaders(ctx).hidden_authors;
    let set = cell
        .get_or_try_init(|| async {
            blocks::hidden_authors(&state(ctx).db, me.id())
                .await
                .map(Arc::new)
        })
        .await?;
    Ok(set.clone())
}

/// Reads the hidden set now when the nodes of the connection being resolved
/// select one of `fields` (lists that leave blocked authors out). Every node
/// then finds it ready, and their first-page loads go in one batch; nodes
/// that each wait for the one read resume at different polls in optimised
/// builds, which split the batch (`tests/commerce.rs`, `make bench`).
pub async fn read_before_nodes(ctx: &Context<'_>, fields: &[&str]) -> AppResult<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    if fields.iter().any(|f| node.field(f).exists()) {
        hidden(ctx).await?;
    }
    Ok(())
}

#[derive(InputObject)]
pub struct BlockUserInput {
    pub user_id: ID,
}

#[derive(InputObject)]
pub struct UnblockUserInput {
    pub user_id: ID,
}

#[derive(SimpleObject)]
pub struct BlockUserPayload {
    /// The blocked user.
    pub user: User,
}

#[derive(SimpleObject)]
pub struct UnblockUserPayload {
    /// The user no longer blocked.
    pub user: User,
}

#[derive(Default)]
pub struct BlocksQuery;

#[Object]
impl BlocksQuery {
    /// Users the caller blocked, most recently blocked first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_blocked_users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        let me = viewer(ctx).await?;
        let page = PageArgs::new(first, after)?;
        let db = &state(ctx).db;
        let rows = blocks::blocked_by(db, me.id(), page.after_key()?, page.fetch_limit()).await?;
        let total = blocks::blocked_count(db, me.id()).await?;
        let users = loaders(ctx)
            .users
            .load_many(rows.iter().map(|b| b.blocked_id))
            .await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter_map(|b| users.get(&b.blocked_id).cloned().map(|u| (b.id, u)))
            .collect();
        Ok(connection(
            &page,
            rows,
            TotalCount::new(total),
            |(id, _)| *id,
            |(_, u)| User::new(u),
        ))
    }
}

#[derive(Default)]
pub struct BlocksMutation;

#[Object]
impl BlocksMutation {
    /// Blocks a user: neither of the two sees the other's posts, comments,
    /// designs, shorts, reviews, messages, notifications or presence any
    /// more; follows between them end; neither can follow or message the
    /// other (`BLOCKED`). Blocking again is a no-op; oneself is a
    /// `VALIDATION` error, an unknown user `NOT_FOUND`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn block_user(
        &self,
        ctx: &Context<'_>,
        input: BlockUserInput,
    ) -> Result<BlockUserPayload> {
        let me = viewer(ctx).await?;
        let user_id = decode_id("User", "userId", &input.user_id)?;
        let user = blocks::block(&state(ctx).db, &me.user, user_id).await?;
        Ok(BlockUserPayload {
            user: User::new(user),
        })
    }

    /// Lifts the caller's block (a no-op when there is none). Follows the
    /// block ended do not come back.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn unblock_user(
        &self,
        ctx: &Context<'_>,
        input: UnblockUserInput,
    ) -> Result<UnblockUserPayload> {
        let me = viewer(ctx).await?;
        let user_id = decode_id("User", "userId", &input.user_id)?;
        let user = blocks::unblock(&state(ctx).db, &me.user, user_id).await?;
        Ok(UnblockUserPayload {
            user: User::new(user),
        })
    }
}
