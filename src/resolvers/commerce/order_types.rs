//! GraphQL output types of orders (COM-9, issue 22): amounts, the copied
//! address, and each line's variant, discount and shipping shares and
//! tracking.
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::enums::{Carrier, OrderSource, OrderStatus};
use super::types::{Product, ProductVariant, Store};
use crate::{
    domain::commerce::orders::{self, LineScope},
    entities::order as order_entity,
    resolvers::{accounts::User, context::loaders, relay::encode_id},
};

/// An order line, with price and name as ordered.
pub struct OrderLine(pub order_entity::line::Model);

#[Object]
impl OrderLine {
    async fn id(&self) -> ID {
        encode_id("OrderLine", self.0.id)
    }
    async fn product_name(&self) -> &str {
        &self.0.product_name
    }
    async fn option(&self) -> Option<&str> {
        (!self.0.option_value.is_empty()).then_some(self.0.option_value.as_str())
    }
    async fn unit_price(&self) -> i64 {
        self.0.unit_price
    }
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    async fn line_total(&self) -> i64 {
        self.0.line_total
    }
    /// This line's share of the order's coupon discount, KRW.
    async fn discount_amount(&self) -> i64 {
        self.0.discount_amount
    }
    /// This line's share of its store's shipping fee, KRW.
    async fn shipping_fee(&self) -> i64 {
        self.0.shipping_fee
    }
    /// What this line cost the buyer: total − discount + shipping share;
    /// the most a return of it refunds.
    async fn paid_amount(&self) -> i64 {
        self.0.line_total - self.0.discount_amount + self.0.shipping_fee
    }
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }
    /// The variant ordered (`null` if the seller has since removed it).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .product_variants
            .load_one(self.0.product_id)
            .await?
            .and_then(|all| all.into_iter().find(|v| v.id == id))
            .map(ProductVariant))
    }
    async fn carrier(&self) -> Option<Carrier> {
        self.0.carrier.map(Into::into)
    }
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }
    /// The carrier's tracking page, when it has a public one.
    async fn tracking_url(&self) -> Option<String> {
        let (carrier, number) = (self.0.carrier?, self.0.tracking_number.as_deref()?);
        orders::tracking_url(carrier, number)
    }
    async fn shipped_at(&self) -> Option<DateTime<Utc>> {
        self.0.shipped_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// The buyer's return of this line, if asked for.
    #[graphql(name = "return")]
    async fn order_return(&self, ctx: &Context<'_>) -> Result<Option<super::returns::OrderReturn>> {
        Ok(loaders(ctx)
            .line_returns
            .load_one(self.0.id)
            .await?
            .map(super::returns::OrderReturn))
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product))
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        Ok(loaders(ctx)
            .stores
            .load_one(self.0.store_id)
            .await?
            .map(Store))
    }
}

/// An order (COM-9). A seller reading it sees only their store's lines.
pub struct Order {
    pub model: order_entity::Model,
    /// The lines its reader sees.
    pub lines: LineScope,
}

impl Order {
    /// An order read by its buyer (or an admin): every line.
    pub fn whole(model: order_entity::Model) -> Self {
        Self {
            model,
            lines: LineScope::All,
        }
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        encode_id("Order", self.model.id)
    }
    async fn status(&self) -> OrderStatus {
        self.model.status.into()
    }
    async fn source(&self) -> OrderSource {
        self.model.source.into()
    }
    /// What the buyer pays, KRW: subtotal − discount + shipping fee, at the
    /// prices of the moment it was placed.
    async fn total_amount(&self) -> i64 {
        self.model.total_amount
    }
    /// The lines' sum, KRW.
    async fn subtotal_amount(&self) -> i64 {
        self.model.subtotal_amount
    }
    /// Each store's fee, summed (free above a store's threshold), KRW.
    async fn shipping_fee(&self) -> i64 {
        self.model.shipping_fee
    }
    /// The coupon's discount, KRW.
    async fn discount_amount(&self) -> i64 {
        self.model.discount_amount
    }
    /// The coupon the order redeemed (null without one).
    async fn coupon(&self, ctx: &Context<'_>) -> Result<Option<super::coupons::Coupon>> {
        super::coupons::order_coupon(ctx, self.model.coupon_id).await
    }
    async fn recipient(&self) -> &str {
        &self.model.recipient
    }
    async fn phone(&self) -> &str {
        &self.model.phone
    }
    /// The address on one line: "(postal code) road address, detail".
    async fn address(&self) -> &str {
        &self.model.address
    }
    /// The structured address copied when it was placed (empty for orders
    /// placed with a free-form address).
    async fn postal_code(&self) -> &str {
        &self.model.postal_code
    }
    async fn road_address(&self) -> &str {
        &self.model.road_address
    }
    async fn detail_address(&self) -> &str {
        &self.model.detail_address
    }
    async fn memo(&self) -> &str {
        &self.model.memo
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    async fn buyer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.model.buyer_id)
            .await?
            .map(User::new))
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderLine>> {
        let all = loaders(ctx)
            .order_lines
            .load_one(self.model.id)
            .await?
            .unwrap_or_default();
        Ok(orders::visible_lines(self.lines, all)
            .into_iter()
            .map(OrderLine)
            .collect())
    }
    /// Its payment and refund (`payOrder`); `null` until payment starts.
    /// Sellers see only their lines, not the payment.
    async fn payment(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::resolvers::billing::OrderPayment>> {
        if self.lines != LineScope::All {
            return Ok(None);
        }
        Ok(loaders(ctx)
            .order_payments
            .load_one(self.model.id)
            .await?
            .map(crate::resolvers::billing::OrderPayment))
    }
}
