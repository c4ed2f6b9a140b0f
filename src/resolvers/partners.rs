//! Partner administration (API-2): admins create partners (the API key is
//! returned once), list and revoke them.
use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    context::{state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::partners::{self, NewPartner},
    entities::partner,
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
