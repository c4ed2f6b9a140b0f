//! Partner administration (API-2): admins create partners (the API key is
//! returned once), optionally linked to one store, list and revoke them;
//! and `partnerStoreOrders`, which only a store-linked partner's API key
//! may read (the `PartnerStoreOrders` operation).
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    commerce::{
        enums::OrderStatus,
        order_types::Order,
        types::{Store, order_connection},
    },
    context::{loaders, optional_viewer, state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::{
        commerce::orders::LineScope,
        partners::{self, NewPartner},
    },
    entities::partner,
    error::{AppError, AuthFailure},
    protection::PartnerCaller,
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::partner::RateTier")]
pub enum RateTier {
    /// 1,000 complexity per minute.
    Free,
    /// 20,000 per minute.
    Standard,
    /// 200,000 per minute.
    Premium,
}

pub struct Partner(partner::Model);

#[Object]
impl Partner {
    async fn id(&self) -> ID {
        encode_id("Partner", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The first characters of the key, to tell keys apart.
    async fn key_prefix(&self) -> &str {
        &self.0.key_prefix
    }
    /// Manifest ids (`sha256:…`) it may run; `["*"]` = every partner operation.
    async fn allowed_operations(&self) -> Vec<String> {
        partners::allowed_ids(&self.0)
    }
    async fn rate_tier(&self) -> RateTier {
        self.0.rate_tier.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// The store it integrates with (its orders and `order.*` webhooks);
    /// `null` for catalogue partners.
    async fn store_id(&self) -> Option<ID> {
        self.0.store_id.map(|id| encode_id("Store", id))
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        let Some(id) = self.0.store_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).stores.load_one(id).await?.map(Store))
    }
}

#[derive(SimpleObject)]
pub struct CreatePartnerPayload {
    partner: Partner,
    /// Send as `X-Api-Key`. Shown only here: store it now.
    api_key: String,
}

#[derive(InputObject)]
pub struct CreatePartnerInput {
    name: String,
    /// Manifest ids of partner operations (`sha256:…`).
    #[graphql(default)]
    allowed_operations: Vec<String>,
    /// Instead of a list: every partner operation of the manifest.
    #[graphql(default)]
    all_partner_operations: bool,
    #[graphql(default_with = "RateTier::Free")]
    rate_tier: RateTier,
    /// Links the partner to one store (a seller's own ERP or fulfilment
    /// service): it may then read that store's orders
    /// (`PartnerStoreOrders`) and receive their `order.*` webhooks.
    store_id: Option<ID>,
}

#[derive(Default)]
pub struct PartnersQuery;

#[Object]
impl PartnersQuery {
    #[graphql(guard = "RoleGuard::admin()")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Partner>> {
        let page = PageArgs::new(first, after)?;
        let rows = partners::list(&state(ctx).db, page.after_key()?, page.fetch_limit()).await?;
        Ok(connection(&page, rows, EmptyFields, |p| p.id, Partner))
    }

    /// The orders of the store the calling partner is linked to, newest
    /// first, each with only that store's lines (and no payment); with
    /// `status`, those with a line of the store in that status. Only with
    /// the API key (`X-Api-Key`) of a store-linked partner: UNAUTHENTICATED
    /// without one, FORBIDDEN for anyone else.
    async fn partner_store_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<OrderStatus>,
    ) -> Result<Connection<String, Order>> {
        let store_id = calling_store(ctx).await?;
        let page = PageArgs::new(first, after)?;
        let rows = partners::store_orders(
            &state(ctx).db,
            store_id,
            status.map(Into::into),
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(order_connection(&page, rows, LineScope::Store(store_id)))
    }
}

/// The store of the partner whose API key the request carries.
async fn calling_store(ctx: &Context<'_>) -> Result<i64, AppError> {
    let Some(caller) = ctx.data_opt::<PartnerCaller>() else {
        return Err(match optional_viewer(ctx).await? {
            Some(_) => AppError::forbidden("only a store-linked partner's API key reads this"),
            None => AppError::Unauthenticated(AuthFailure::Missing),
        });
    };
    partners::find(&state(ctx).db, caller.id)
        .await?
        .filter(|p| p.revoked_at.is_none())
        .and_then(|p| p.store_id)
        .ok_or_else(|| AppError::forbidden("this partner is not linked to a store"))
}

#[derive(Default)]
pub struct PartnersMutation;

#[Object]
impl PartnersMutation {
    #[graphql(guard = "RoleGuard::admin()")]
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        input: CreatePartnerInput,
    ) -> Result<CreatePartnerPayload> {
        let admin = viewer(ctx).await?;
        let (created, api_key) = partners::create(
            &state(ctx).db,
            admin.id(),
            NewPartner {
                name: input.name,
                allowed_operations: input.allowed_operations,
                all_partner_operations: input.all_partner_operations,
                rate_tier: input.rate_tier.into(),
                store_id: input
                    .store_id
                    .as_ref()
                    .map(|id| decode_id("Store", "storeId", id))
                    .transpose()?,
            },
        )
        .await?;
        Ok(CreatePartnerPayload {
            partner: Partner(created),
            api_key,
        })
    }

    /// Its key stops working at once.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn revoke_partner(&self, ctx: &Context<'_>, id: ID) -> Result<Partner> {
        let id = decode_id("Partner", "id", &id)?;
        Ok(Partner(partners::revoke(&state(ctx).db, id).await?))
    }
}
