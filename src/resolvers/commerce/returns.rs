//! Returns over GraphQL (issue 22): the buyer's `requestReturn` and
//! `myReturns`, the seller's `myStoreReturns`, `approveReturn` and
//! `rejectReturn`, and `OrderLine.return` through a DataLoader.
use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
    dataloader::Loader,
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::types::{OrderLine, Store};
use crate::{
    auth::RoleGuard,
    domain::commerce::{
        returns::{self, ReturnRequest, ReturnsOf},
        stores,
    },
    entities::{order_return, user::Role},
    resolvers::{
        accounts::User,
        context::{loaders, state, viewer},
        relay::{PageArgs, connection, decode_id, encode_id},
        uploads::Image,
    },
};

const SELLER_OR_ADMIN: &[Role] = &[Role::Seller, Role::Admin];

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::order_return::ReturnReason")]
pub enum ReturnReason {
    ChangedMind,
    WrongSize,
    Defective,
    DamagedInTransit,
    NotAsDescribed,
    WrongItem,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::order_return::ReturnStatus")]
pub enum ReturnStatus {
    /// Asked for; the seller decides.
    Requested,
    Rejected,
    /// Approved: stock restored, the refund is being asked for.
    Approved,
    /// Refunded (or nothing had been paid through the platform).
    Refunded,
}

/// A buyer's return of one delivered order line.
pub struct OrderReturn(pub order_return::Model);

#[Object]
impl OrderReturn {
    async fn id(&self) -> ID {
        encode_id("Return", self.0.id)
    }
    async fn status(&self) -> ReturnStatus {
        self.0.status.into()
    }
    async fn reason(&self) -> ReturnReason {
        self.0.reason.into()
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn photos(&self, ctx: &Context<'_>) -> Result<Vec<Image>> {
        let ids: Vec<String> =
            crate::domain::commerce::catalog::json_list(&self.0.photo_upload_ids);
        let found = loaders(ctx).uploads.load_many(ids.iter().cloned()).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .enumerate()
            .map(|(i, u)| Image::stored(ctx, u, i as i32))
            .collect())
    }
    /// What the approval refunds, KRW: the line's total − its discount
    /// share + its shipping share (never more than the payment still holds).
    async fn refund_amount(&self) -> i64 {
        self.0.refund_amount
    }
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    async fn refunded_at(&self) -> Option<DateTime<Utc>> {
        self.0.refunded_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn line(&self, ctx: &Context<'_>) -> Result<Option<OrderLine>> {
        Ok(loaders(ctx)
            .order_lines
            .load_one(self.0.order_id)
            .await?
            .and_then(|lines| lines.into_iter().find(|l| l.id == self.0.order_line_id))
            .map(OrderLine))
    }
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.buyer_id)
            .await?
            .map(User::new))
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders(ctx)
            .stores
            .load_one(self.0.store_id)
            .await?
            .map(Store))
    }
}

/// The return of each of many order lines, in one statement.
pub struct LineReturnsLoader {
    pub db: DatabaseConnection,
}

impl Loader<i64> for LineReturnsLoader {
    type Value = order_return::Model;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(returns::of_lines(&self.db, keys)
            .await
            .map_err(|e| Arc::new(sea_orm::DbErr::Custom(e.message())))?
            .into_iter()
            .map(|r| (r.order_line_id, r))
            .collect())
    }
}

#[derive(InputObject)]
pub struct RequestReturnInput {
    pub order_line_id: ID,
    pub reason: ReturnReason,
    #[graphql(default)]
    pub note: String,
    /// Confirmed uploads of the buyer (`createUploadUrl`), at most 5.
    #[graphql(default)]
    pub photo_upload_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct DecideReturnInput {
    pub id: ID,
    /// Shown to the buyer; required to reject.
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct ReturnPayload {
    #[graphql(name = "return")]
    pub order_return: OrderReturn,
}

fn page(page: &PageArgs, rows: Vec<order_return::Model>) -> Connection<String, OrderReturn> {
    connection(page, rows, EmptyFields, |r| r.id, OrderReturn)
}

#[derive(Default)]
pub struct ReturnsQuery;

#[Object]
impl ReturnsQuery {
    /// My returns, newest first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_returns(
        &self,
        ctx: &Context<'_>,
        status: Option<ReturnStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OrderReturn>> {
        let args = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let rows = returns::list(
            &state(ctx).db,
            ReturnsOf::Buyer(me.user.id),
            status.map(Into::into),
            args.after_key()?,
            args.fetch_limit(),
        )
        .await?;
        Ok(page(&args, rows))
    }

    /// Returns of my store's lines, newest first (REQUESTED ones to decide).
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn my_store_returns(
        &self,
        ctx: &Context<'_>,
        status: Option<ReturnStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OrderReturn>> {
        let args = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let store = stores::selling_store(&state(ctx).db, &me.user).await?;
        let rows = returns::list(
            &state(ctx).db,
            ReturnsOf::Store(store.id),
            status.map(Into::into),
            args.after_key()?,
            args.fetch_limit(),
        )
        .await?;
        Ok(page(&args, rows))
    }
}

#[derive(Default)]
pub struct ReturnsMutation;

#[Object]
impl ReturnsMutation {
    /// Asks to return a delivered line (the whole line) within 7 days of
    /// delivery; its seller is notified.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn request_return(
        &self,
        ctx: &Context<'_>,
        input: RequestReturnInput,
    ) -> Result<ReturnPayload> {
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let req = ReturnRequest {
            order_line_id: decode_id("OrderLine", "orderLineId", &input.order_line_id)?,
            reason: input.reason.into(),
            note: input.note,
            photo_upload_ids: input
                .photo_upload_ids
                .iter()
                .map(|id| id.to_string())
                .collect(),
        };
        Ok(ReturnPayload {
            order_return: OrderReturn(returns::request(&s.db, &s.events, &me.user, req).await?),
        })
    }

    /// The line's seller (or an admin) approves: stock comes back and the
    /// line's paid amount is refunded through the payment.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn approve_return(
        &self,
        ctx: &Context<'_>,
        input: DecideReturnInput,
    ) -> Result<ReturnPayload> {
        let id = decode_id("Return", "id", &input.id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(ReturnPayload {
            order_return: OrderReturn(
                returns::approve(&s.db, &s.events, &s.jobs, &me.user, id, input.note).await?,
            ),
        })
    }

    /// The line's seller (or an admin) rejects, saying why in `note`.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn reject_return(
        &self,
        ctx: &Context<'_>,
        input: DecideReturnInput,
    ) -> Result<ReturnPayload> {
        let id = decode_id("Return", "id", &input.id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(ReturnPayload {
            order_return: OrderReturn(
                returns::reject(
                    &s.db,
                    &s.events,
                    &me.user,
                    id,
                    input.note.unwrap_or_default(),
                )
                .await?,
            ),
        })
    }
}
