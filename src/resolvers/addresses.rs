//! The address book over GraphQL (EXT-2): thin resolvers over
//! [`crate::domain::commerce::addresses`]. [`AddressInput`] is the one
//! input shape of an address, shared by `saveAddress` and `placeOrder`'s
//! inline address.
use async_graphql::{
    Context, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    context::{state, viewer},
    relay::{PageArgs, connection, decode_id, encode_id},
};
use crate::{
    auth::RoleGuard,
    domain::commerce::addresses::{self, SaveAddress},
    entities::address,
};

/// A Korean delivery address as typed: checked on the server (5-digit
/// postal code, road address, detail, recipient, phone), errors naming the
/// field.
#[derive(InputObject, Clone, Debug)]
pub struct AddressInput {
    /// 1 to 30 characters.
    pub recipient: String,
    /// A Korean number, with or without hyphens (`010-1234-5678`,
    /// `0212345678`); stored with hyphens.
    pub phone: String,
    /// The 5-digit postal code (우편번호).
    pub postal_code: String,
    /// The road-name address (도로명 주소), at most 200 characters.
    pub road_address: String,
    /// Building, floor, unit (상세 주소); at most 100 characters, may be
    /// empty.
    #[graphql(default)]
    pub detail_address: String,
}

impl AddressInput {
    pub fn into_domain(self) -> addresses::AddressInput {
        addresses::AddressInput {
            recipient: self.recipient,
            phone: self.phone,
            postal_code: self.postal_code,
            road_address: self.road_address,
            detail_address: self.detail_address,
        }
    }
}

/// One address of the caller's book.
pub struct Address(pub address::Model);

#[Object]
impl Address {
    async fn id(&self) -> ID {
        encode_id("Address", self.0.id)
    }
    /// The owner's name for it ("집", "회사"); may be empty.
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    /// With hyphens: `010-1234-5678`.
    async fn phone(&self) -> &str {
        &self.0.phone
    }
    async fn postal_code(&self) -> &str {
        &self.0.postal_code
    }
    async fn road_address(&self) -> &str {
        &self.0.road_address
    }
    async fn detail_address(&self) -> &str {
        &self.0.detail_address
    }
    /// Exactly one address of a non-empty book is the default.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new address (no `id`) or an edit of one (`id`).
#[derive(InputObject)]
pub struct SaveAddressInput {
    /// The address to edit; omitted to add one (at most 20).
    pub id: Option<ID>,
    /// At most 30 characters.
    #[graphql(default)]
    pub label: String,
    /// The address itself, checked like `placeOrder`'s inline address.
    pub address: AddressInput,
    /// Make it the default. The first address is the default anyway;
    /// `false` never takes the default away (make another one the default).
    #[graphql(default)]
    pub is_default: bool,
}

#[derive(InputObject)]
pub struct AddressIdInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct SaveAddressPayload {
    pub address: Address,
}

#[derive(SimpleObject)]
pub struct SetDefaultAddressPayload {
    pub address: Address,
}

#[derive(SimpleObject)]
pub struct DeleteAddressPayload {
    pub deleted_id: ID,
    /// The address promoted to default because the deleted one was it.
    pub new_default: Option<Address>,
}

#[derive(Default)]
pub struct AddressesQuery;

#[Object]
impl AddressesQuery {
    /// The caller's address book: the default first, then newest first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_addresses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Address>> {
        let me = viewer(ctx).await?;
        let page = PageArgs::new(first, after)?;
        let rows = addresses::list(
            &state(ctx).db,
            me.id(),
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |a| (a.is_default, a.id),
            Address,
        ))
    }
}

#[derive(Default)]
pub struct AddressesMutation;

#[Object]
impl AddressesMutation {
    /// Adds an address to the caller's book or edits one of theirs.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn save_address(
        &self,
        ctx: &Context<'_>,
        input: SaveAddressInput,
    ) -> Result<SaveAddressPayload> {
        let me = viewer(ctx).await?;
        let id = input
            .id
            .as_ref()
            .map(|id| decode_id("Address", "id", id))
            .transpose()?;
        let saved = addresses::save(
            &state(ctx).db,
            me.id(),
            SaveAddress {
                id,
                label: input.label,
                address: input.address.into_domain(),
                is_default: input.is_default,
            },
        )
        .await?;
        Ok(SaveAddressPayload {
            address: Address(saved),
        })
    }

    /// Makes one of the caller's addresses the default.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn set_default_address(
        &self,
        ctx: &Context<'_>,
        input: AddressIdInput,
    ) -> Result<SetDefaultAddressPayload> {
        let me = viewer(ctx).await?;
        let id = decode_id("Address", "id", &input.id)?;
        let updated = addresses::set_default(&state(ctx).db, me.id(), id).await?;
        Ok(SetDefaultAddressPayload {
            address: Address(updated),
        })
    }

    /// Deletes one of the caller's addresses; deleting the default makes the
    /// most recently used (else created) other one the default.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_address(
        &self,
        ctx: &Context<'_>,
        input: AddressIdInput,
    ) -> Result<DeleteAddressPayload> {
        let me = viewer(ctx).await?;
        let id = decode_id("Address", "id", &input.id)?;
        let deleted = addresses::delete(&state(ctx).db, me.id(), id).await?;
        Ok(DeleteAddressPayload {
            deleted_id: encode_id("Address", deleted.id),
            new_default: deleted.new_default.map(Address),
        })
    }
}
