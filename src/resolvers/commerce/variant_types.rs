//! Product variants and store shipping settings over GraphQL (issue 22):
//! the `ProductVariant` type and its loader, the seller's variant
//! mutations, and `updateStoreShipping`.
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, dataloader::Loader};
use sea_orm::DatabaseConnection;

use super::types::{Product, Store};
use crate::{
    auth::RoleGuard,
    domain::commerce::{pricing, variants},
    entities::{product_variant as variant, user::Role},
    resolvers::{
        context::{loaders, state, viewer},
        relay::{decode_id, encode_id},
    },
};

const SELLER_OR_ADMIN: &[Role] = &[Role::Seller, Role::Admin];

/// One buyable option of a product: a size and/or colour with its own SKU,
/// stock and price. Carts and orders name it by `label` (as `option`).
pub struct ProductVariant(pub variant::Model);

#[Object]
impl ProductVariant {
    async fn id(&self) -> ID {
        encode_id("ProductVariant", self.0.id)
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn size(&self) -> Option<&str> {
        self.0.size.as_deref()
    }
    async fn color(&self) -> Option<&str> {
        self.0.color.as_deref()
    }
    /// "M / Black"; `null` for the single variant of a product without
    /// options. Pass it as `option` to the cart and `placeOrder`.
    async fn label(&self) -> Option<&str> {
        (!self.0.label.is_empty()).then_some(self.0.label.as_str())
    }
    async fn stock(&self) -> i64 {
        self.0.stock
    }
    async fn in_stock(&self) -> bool {
        self.0.stock > 0
    }
    /// The override, or `null` when it sells at the product's price.
    async fn price_override(&self) -> Option<i64> {
        self.0.price
    }
    /// What one costs, KRW.
    async fn price(&self, ctx: &Context<'_>) -> Result<i64> {
        if let Some(p) = self.0.price {
            return Ok(p);
        }
        Ok(loaders(ctx)
            .products
            .load_one(self.0.product_id)
            .await?
            .map_or(0, |p| p.price))
    }
}

/// Every variant of many products in one statement.
pub struct ProductVariantsLoader {
    pub db: DatabaseConnection,
}

impl Loader<i64> for ProductVariantsLoader {
    type Value = Vec<variant::Model>;
    type Error = Arc<sea_orm::DbErr>;

    async fn load(
        &self,
        keys: &[i64],
    ) -> Result<std::collections::HashMap<i64, Self::Value>, Self::Error> {
        variants::of_products(&self.db, keys)
            .await
            .map_err(|e| Arc::new(sea_orm::DbErr::Custom(e.message())))
    }
}

#[derive(InputObject)]
pub struct ProductVariantInput {
    pub size: Option<String>,
    pub color: Option<String>,
    /// Generated when absent (`P<product>-<n>`).
    pub sku: Option<String>,
    pub stock: i64,
    /// Overrides the product's price, KRW.
    pub price: Option<i64>,
}

impl From<ProductVariantInput> for variants::VariantInput {
    fn from(v: ProductVariantInput) -> Self {
        Self {
            size: v.size,
            color: v.color,
            sku: v.sku,
            stock: v.stock,
            price: v.price,
        }
    }
}

#[derive(InputObject)]
pub struct AddProductVariantInput {
    pub product_id: ID,
    pub variant: ProductVariantInput,
}

#[derive(InputObject)]
pub struct UpdateProductVariantInput {
    pub id: ID,
    pub sku: Option<String>,
    pub stock: Option<i64>,
    pub price: Option<i64>,
    /// Sell at the product's price again.
    #[graphql(default)]
    pub clear_price: bool,
}

#[derive(InputObject)]
pub struct RemoveProductVariantInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct ProductVariantPayload {
    pub variant: ProductVariant,
    pub product: Option<Product>,
}

#[derive(SimpleObject)]
pub struct RemoveProductVariantPayload {
    pub removed_id: ID,
    pub product: Option<Product>,
}

#[derive(InputObject)]
pub struct UpdateStoreShippingInput {
    /// Charged once per order with this store's lines, KRW (0: free).
    pub shipping_fee: i64,
    /// From this subtotal of the store's lines on, shipping is free.
    pub free_shipping_threshold: Option<i64>,
}

#[derive(Default)]
pub struct VariantsMutation;

async fn product(ctx: &Context<'_>, id: i64) -> Result<Option<Product>> {
    // Read after the write, past the request's loader cache.
    Ok(
        crate::domain::commerce::carts::active_product(&state(ctx).db, id)
            .await
            .ok()
            .map(Product),
    )
}

#[Object]
impl VariantsMutation {
    /// Adds a size/colour to a product the seller owns. A product that had
    /// only its default variant (no options) gets this one instead of it.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn add_product_variant(
        &self,
        ctx: &Context<'_>,
        input: AddProductVariantInput,
    ) -> Result<ProductVariantPayload> {
        let product_id = decode_id("Product", "productId", &input.product_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let added =
            variants::add(&s.db, &s.events, &me.user, product_id, input.variant.into()).await?;
        Ok(ProductVariantPayload {
            product: product(ctx, added.product_id).await?,
            variant: ProductVariant(added),
        })
    }

    /// Changes a variant's SKU, stock or price (size and colour are fixed).
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn update_product_variant(
        &self,
        ctx: &Context<'_>,
        input: UpdateProductVariantInput,
    ) -> Result<ProductVariantPayload> {
        let id = decode_id("ProductVariant", "id", &input.id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let price = match (input.price, input.clear_price) {
            (Some(_), true) => {
                return Err(crate::error::AppError::validation(
                    "clearPrice",
                    "give `price` or `clearPrice`, not both",
                )
                .into());
            }
            (Some(p), false) => Some(Some(p)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let change = variants::VariantChange {
            sku: input.sku,
            stock: input.stock,
            price,
        };
        let updated = variants::update(&s.db, &s.events, &me.user, id, change).await?;
        Ok(ProductVariantPayload {
            product: product(ctx, updated.product_id).await?,
            variant: ProductVariant(updated),
        })
    }

    /// Removes a variant (never a product's last); carts that chose it lose
    /// that line.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn remove_product_variant(
        &self,
        ctx: &Context<'_>,
        input: RemoveProductVariantInput,
    ) -> Result<RemoveProductVariantPayload> {
        let id = decode_id("ProductVariant", "id", &input.id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let product_id = variants::remove(&s.db, &s.events, &me.user, id).await?;
        Ok(RemoveProductVariantPayload {
            removed_id: input.id,
            product: product(ctx, product_id).await?,
        })
    }

    /// The seller's shipping fee and free-shipping threshold; `placeOrder`
    /// charges them and the cart shows them.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn update_store_shipping(
        &self,
        ctx: &Context<'_>,
        input: UpdateStoreShippingInput,
    ) -> Result<Store> {
        let me = viewer(ctx).await?;
        Ok(Store(
            pricing::set_store_shipping(
                &state(ctx).db,
                &me.user,
                input.shipping_fee,
                input.free_shipping_threshold,
            )
            .await?,
        ))
    }
}
