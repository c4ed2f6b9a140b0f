//! GraphQL output types of carts and custom carts (COM-6, COM-7).
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::types::*;
use crate::{
    domain::commerce::custom_carts,
    entities::{cart_item, custom_cart as custom_cart_entity, product, product_variant},
    resolvers::{
        accounts::User,
        context::{loaders, viewer_user},
        relay::encode_id,
    },
};

/// One cart line with its current price.
pub struct CartItem {
    pub line: cart_item::Model,
    pub product: Option<product::Model>,
    /// The variant the line's option names (`None` once it is gone).
    pub variant: Option<product_variant::Model>,
}

#[Object]
impl CartItem {
    async fn id(&self) -> ID {
        encode_id("CartItem", self.line.id)
    }
    async fn option(&self) -> Option<&str> {
        (!self.line.option_value.is_empty()).then_some(self.line.option_value.as_str())
    }
    async fn quantity(&self) -> i32 {
        self.line.quantity
    }
    async fn product(&self) -> Option<Product> {
        self.product.clone().map(Product)
    }
    /// The variant chosen (its size, colour, stock and price).
    async fn variant(&self) -> Option<ProductVariant> {
        self.variant.clone().map(ProductVariant)
    }
    /// Today's price of the variant, KRW.
    async fn unit_price(&self) -> i64 {
        self.unit_price_now()
    }
    async fn line_total(&self) -> i64 {
        self.line_total_now()
    }
    /// On sale and enough in stock for this quantity.
    async fn available(&self) -> bool {
        self.available_now()
    }
}

impl CartItem {
    pub(crate) fn available_now(&self) -> bool {
        self.product
            .as_ref()
            .is_some_and(|p| p.status == product::ProductStatus::Active)
            && self
                .variant
                .as_ref()
                .is_some_and(|v| v.stock >= i64::from(self.line.quantity))
    }

    pub(crate) fn unit_price_now(&self) -> i64 {
        match (&self.product, &self.variant) {
            (Some(p), Some(v)) => v.unit_price(p.price),
            (Some(p), None) => p.price,
            _ => 0,
        }
    }

    pub(crate) fn line_total_now(&self) -> i64 {
        self.unit_price_now() * i64::from(self.line.quantity)
    }
}

/// The buyer's cart with totals (COM-7).
pub struct Cart {
    pub items: Vec<CartItem>,
    /// The coupon applied to the cart and what it gives (EXT-4).
    pub coupon: Option<crate::domain::commerce::coupons::CartCoupon>,
    /// Shipping for the available lines, KRW.
    pub shipping_fee: i64,
}

impl Cart {
    fn subtotal_now(&self) -> i64 {
        self.items
            .iter()
            .filter(|i| i.available_now())
            .map(CartItem::line_total_now)
            .sum()
    }
}

#[Object]
impl Cart {
    async fn items(&self) -> &[CartItem] {
        &self.items
    }
    async fn item_count(&self) -> usize {
        self.items.len()
    }
    async fn total_quantity(&self) -> i64 {
        self.items.iter().map(|i| i64::from(i.line.quantity)).sum()
    }
    /// Sum of the available lines at today's prices, KRW.
    async fn subtotal(&self) -> i64 {
        self.subtotal_now()
    }
    /// Each store's shipping fee for its available lines (free from the
    /// store's threshold), summed, KRW: what `placeOrder` will charge.
    async fn shipping_fee(&self) -> i64 {
        self.shipping_fee
    }
    /// subtotal − discount + shipping fee, KRW.
    async fn total(&self) -> i64 {
        let discount = self.coupon.as_ref().map_or(0, |c| c.discount);
        (self.subtotal_now() - discount).max(0) + self.shipping_fee
    }
    /// The coupon applied with `applyCoupon`, even when it gives nothing now.
    async fn applied_coupon(&self) -> Option<super::coupons::Coupon> {
        self.coupon
            .as_ref()
            .map(|c| super::coupons::Coupon(c.coupon.clone()))
    }
    /// The applied coupon's discount on the available lines, KRW (0 when
    /// none applies; never more than the lines it covers).
    async fn discount(&self) -> i64 {
        self.coupon.as_ref().map_or(0, |c| c.discount)
    }
    /// Why the applied coupon gives no discount now; null when it applies.
    async fn coupon_invalid_reason(&self) -> Option<super::coupons::CouponInvalidReason> {
        self.coupon.as_ref().and_then(|c| c.invalid).map(Into::into)
    }
}

/// An item in a custom cart.
pub struct CustomCartItem(pub custom_cart_entity::item::Model);

#[Object]
impl CustomCartItem {
    async fn id(&self) -> ID {
        encode_id("CustomCartItem", self.0.id)
    }
    async fn option(&self) -> Option<&str> {
        (!self.0.option_value.is_empty()).then_some(self.0.option_value.as_str())
    }
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product))
    }
}

/// A curated cart (COM-8).
pub struct CustomCart(pub custom_cart_entity::Model);

#[Object]
impl CustomCart {
    async fn id(&self) -> ID {
        encode_id("CustomCart", self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn visibility(&self) -> CartVisibility {
        self.0.visibility.into()
    }
    /// The share link's slug: shown to the owner, and to everyone for carts
    /// that are not PRIVATE (a reader holding an UNLISTED cart has it already).
    async fn share_slug(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let viewer = viewer_user(ctx).await?;
        Ok(custom_carts::share_slug_visible(&self.0, viewer.as_ref())
            .then_some(self.0.share_slug.as_str()))
    }
    async fn item_count(&self) -> i32 {
        self.0.item_count
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.owner_id)
            .await?
            .map(User::new))
    }
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<CustomCartItem>> {
        Ok(loaders(ctx)
            .custom_cart_items
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(CustomCartItem)
            .collect())
    }
}
