//! Coupons over GraphQL (EXT-4): `createCoupon` / `updateCoupon` and the
//! `coupons` list for admins (every coupon) and sellers (their store's),
//! `coupon(code)` for anyone to display, and `applyCoupon` / `removeCoupon`
//! on the buyer's cart. Thin resolvers over
//! [`crate::domain::commerce::coupons`]; `placeOrder` takes its
//! `couponCode` in `PlaceOrderInput`.
use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{SELLER_OR_ADMIN, load_cart, types::*};
use crate::{
    auth::RoleGuard,
    domain::commerce::coupons::{self, CouponTerms, CouponUpdate, NewCoupon},
    entities::{
        coupon::{self as coupon_entity, CouponKind as CouponKindEntity},
        user::Role,
    },
    resolvers::{
        context::{loaders, state, viewer, viewer_user},
        relay::{PageArgs, connection, decode_id, encode_id},
    },
};

/// How a coupon discounts.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CouponKind {
    /// `value` percent of the eligible subtotal, up to `maxDiscount`.
    Percent,
    /// `value` KRW off, at most the eligible subtotal.
    Fixed,
}

impl From<CouponKind> for CouponKindEntity {
    fn from(k: CouponKind) -> Self {
        match k {
            CouponKind::Percent => Self::Percent,
            CouponKind::Fixed => Self::Fixed,
        }
    }
}

impl From<CouponKindEntity> for CouponKind {
    fn from(k: CouponKindEntity) -> Self {
        match k {
            CouponKindEntity::Percent => Self::Percent,
            CouponKindEntity::Fixed => Self::Fixed,
        }
    }
}

/// Why the cart's coupon gives no discount now.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CouponInvalidReason {
    Inactive,
    NotStarted,
    Expired,
    BelowMinimumSpend,
    NoEligibleLines,
    Exhausted,
    UserLimitReached,
}

impl From<coupons::Inapplicable> for CouponInvalidReason {
    fn from(r: coupons::Inapplicable) -> Self {
        use coupons::Inapplicable as I;
        match r {
            I::Inactive => Self::Inactive,
            I::NotStarted => Self::NotStarted,
            I::Expired => Self::Expired,
            I::BelowMinimumSpend => Self::BelowMinimumSpend,
            I::NoEligibleLines => Self::NoEligibleLines,
            I::Exhausted => Self::Exhausted,
            I::UserLimitReached => Self::UserLimitReached,
        }
    }
}

/// A platform-wide coupon (made by an admin) or a store's (made by its
/// seller; it discounts only that store's lines). Amounts in KRW.
pub struct Coupon(pub coupon_entity::Model);

#[Object]
impl Coupon {
    async fn id(&self) -> ID {
        encode_id("Coupon", self.0.id)
    }
    /// Upper case; codes are matched case-insensitively.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn kind(&self) -> CouponKind {
        self.0.kind.into()
    }
    /// The percentage (PERCENT) or the amount in KRW (FIXED).
    async fn value(&self) -> i64 {
        self.0.value
    }
    /// A PERCENT coupon's largest discount, KRW.
    async fn max_discount(&self) -> Option<i64> {
        self.0.max_discount
    }
    /// The least eligible subtotal (the store's lines for a store coupon).
    async fn min_spend(&self) -> i64 {
        self.0.min_spend
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }
    /// The coupon applies before this instant.
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.ends_at
    }
    async fn max_redemptions(&self) -> Option<i32> {
        self.0.max_redemptions
    }
    async fn per_user_limit(&self) -> Option<i32> {
        self.0.per_user_limit
    }
    /// Live redemptions (cancelled orders give theirs back): the coupon's
    /// managers only (admins, the store's seller); null for others.
    async fn redeemed_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let Some(me) = viewer_user(ctx).await? else {
            return Ok(None);
        };
        // The coupon's store through the request's loader (a list of
        // coupons costs one statement, not one per coupon).
        let owned_store = match (me.role, self.0.store_id) {
            (Role::Seller, Some(id)) => loaders(ctx)
                .stores
                .load_one(id)
                .await?
                .filter(|s| s.owner_id == me.id)
                .map(|s| s.id),
            _ => None,
        };
        Ok(coupons::manages(&self.0, &me, owned_store).then_some(self.0.redeemed_count))
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The store whose lines it discounts; null for a platform coupon.
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        let Some(id) = self.0.store_id else {
            return Ok(None);
        };
        Ok(loaders(ctx).stores.load_one(id).await?.map(Store))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateCouponInput {
    /// 3 to 32 letters, digits, `-` or `_`; stored upper-cased, unique.
    pub code: String,
    pub description: Option<String>,
    pub kind: CouponKind,
    /// 1 to 100 for PERCENT; KRW (at least 1) for FIXED.
    pub value: i64,
    /// PERCENT only.
    pub max_discount: Option<i64>,
    #[graphql(default)]
    pub min_spend: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub max_redemptions: Option<i32>,
    pub per_user_limit: Option<i32>,
}

/// Omitted fields stay; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateCouponInput {
    pub id: ID,
    pub description: Option<String>,
    pub max_discount: MaybeUndefined<i64>,
    pub min_spend: Option<i64>,
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    pub max_redemptions: MaybeUndefined<i32>,
    pub per_user_limit: MaybeUndefined<i32>,
    /// false deactivates the coupon (carts show it as INACTIVE).
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct ApplyCouponInput {
    pub code: String,
}

#[derive(SimpleObject)]
pub struct CouponPayload {
    pub coupon: Coupon,
}

#[derive(SimpleObject)]
pub struct CartCouponPayload {
    pub cart: Cart,
}

#[derive(Default)]
pub struct CouponsQuery;

#[Object]
impl CouponsQuery {
    /// Coupons the caller manages, newest first: every coupon for an admin,
    /// their store's for a seller.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn coupons(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Coupon>> {
        let page = PageArgs::new(first, after)?;
        let me = viewer(ctx).await?;
        let rows = coupons::list(
            &state(ctx).db,
            &me.user,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |c| c.id, Coupon))
    }

    /// A coupon by its code (any case), for display; null when unknown.
    async fn coupon(&self, ctx: &Context<'_>, code: String) -> Result<Option<Coupon>> {
        Ok(coupons::find_by_code(&state(ctx).db, &code)
            .await?
            .map(Coupon))
    }
}

#[derive(Default)]
pub struct CouponsMutation;

#[Object]
impl CouponsMutation {
    /// An admin makes a platform-wide coupon; a seller one of their store.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_coupon(
        &self,
        ctx: &Context<'_>,
        input: CreateCouponInput,
    ) -> Result<CouponPayload> {
        let me = viewer(ctx).await?;
        let new = NewCoupon {
            code: input.code,
            description: input.description,
            terms: CouponTerms {
                kind: input.kind.into(),
                value: input.value,
                max_discount: input.max_discount,
                min_spend: input.min_spend,
                starts_at: input.starts_at,
                ends_at: input.ends_at,
                max_redemptions: input.max_redemptions,
                per_user_limit: input.per_user_limit,
            },
        };
        let made = coupons::create(&state(ctx).db, &me.user, new).await?;
        Ok(CouponPayload {
            coupon: Coupon(made),
        })
    }

    /// Changes a coupon's limits, window, minimum spend or cap, or
    /// deactivates it: its store's seller, or an admin.
    #[graphql(guard = "RoleGuard::any_of(SELLER_OR_ADMIN)")]
    async fn update_coupon(
        &self,
        ctx: &Context<'_>,
        input: UpdateCouponInput,
    ) -> Result<CouponPayload> {
        let id = decode_id("Coupon", "id", &input.id)?;
        let me = viewer(ctx).await?;
        let change = CouponUpdate {
            description: input.description,
            max_discount: input.max_discount.into(),
            min_spend: input.min_spend,
            starts_at: input.starts_at.into(),
            ends_at: input.ends_at.into(),
            max_redemptions: input.max_redemptions.into(),
            per_user_limit: input.per_user_limit.into(),
            active: input.active,
        };
        let updated = coupons::update(&state(ctx).db, &me.user, id, change).await?;
        Ok(CouponPayload {
            coupon: Coupon(updated),
        })
    }

    /// Puts a coupon on the caller's cart (replacing another); the cart
    /// shows its discount, or why it does not apply yet.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn apply_coupon(
        &self,
        ctx: &Context<'_>,
        input: ApplyCouponInput,
    ) -> Result<CartCouponPayload> {
        let me = viewer(ctx).await?;
        coupons::apply_to_cart(&state(ctx).db, me.id(), &input.code).await?;
        Ok(CartCouponPayload {
            cart: load_cart(ctx, me.id()).await?,
        })
    }

    /// Takes the coupon off the caller's cart.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_coupon(&self, ctx: &Context<'_>) -> Result<CartCouponPayload> {
        let me = viewer(ctx).await?;
        coupons::remove_from_cart(&state(ctx).db, me.id()).await?;
        Ok(CartCouponPayload {
            cart: load_cart(ctx, me.id()).await?,
        })
    }
}

/// The cart's coupon evaluated on its available lines at today's prices.
pub(super) async fn cart_coupon(
    ctx: &Context<'_>,
    user_id: i64,
    items: &[CartItem],
) -> Result<Option<coupons::CartCoupon>> {
    let lines: Vec<coupons::LineAmount> = items
        .iter()
        .filter(|i| i.available_now())
        .filter_map(|i| {
            i.product.as_ref().map(|p| coupons::LineAmount {
                store_id: p.store_id,
                line_total: i.line_total_now(),
            })
        })
        .collect();
    Ok(coupons::cart_view(&state(ctx).db, user_id, &lines).await?)
}

/// Coupons by id, for `Order.coupon` (one statement per batch).
pub struct CouponsLoader {
    pub db: sea_orm::DatabaseConnection,
}

impl async_graphql::dataloader::Loader<i64> for CouponsLoader {
    type Value = coupon_entity::Model;
    type Error = std::sync::Arc<sea_orm::DbErr>;

    async fn load(
        &self,
        keys: &[i64],
    ) -> Result<std::collections::HashMap<i64, Self::Value>, Self::Error> {
        let rows = coupons::by_ids(&self.db, keys)
            .await
            .map_err(|e| std::sync::Arc::new(sea_orm::DbErr::Custom(e.message())))?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// The coupon an order redeemed, through the request's loader.
pub async fn order_coupon(ctx: &Context<'_>, coupon_id: Option<i64>) -> Result<Option<Coupon>> {
    let Some(id) = coupon_id else {
        return Ok(None);
    };
    Ok(loaders(ctx).coupons.load_one(id).await?.map(Coupon))
}
