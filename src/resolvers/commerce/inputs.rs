//! The shop's GraphQL input objects (and the payload of adding a custom
//! cart to the cart), with their conversions into domain terms.
use async_graphql::{Enum, ID, InputObject, OneofObject, SimpleObject};

use super::types::*;
use crate::{
    domain::commerce::{catalog, custom_carts::CartRef, orders},
    error::AppError,
    resolvers::relay::decode_id,
};

#[derive(InputObject)]
pub struct ApplyForStoreInput {
    pub(super) name: String,
    pub(super) license_number: String,
    #[graphql(default)]
    pub(super) description: String,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum StoreDecision {
    Approve,
    Reject,
}

#[derive(InputObject)]
pub struct FiberInput {
    pub(super) fiber: String,
    pub(super) percent: i32,
}

#[derive(InputObject)]
pub struct CreateProductInput {
    pub(super) name: String,
    #[graphql(default)]
    pub(super) description: String,
    /// KRW, 1 to 100,000,000.
    pub(super) price: i64,
    /// Required without `variants` (split evenly over `options`, the
    /// remainder to the first); not allowed with them.
    pub(super) stock: Option<i64>,
    pub(super) category_id: ID,
    #[graphql(default_with = "ProductGender::Unisex")]
    pub(super) gender: ProductGender,
    #[graphql(default)]
    pub(super) colors: Vec<String>,
    #[graphql(default)]
    pub(super) seasons: Vec<Season>,
    #[graphql(default)]
    pub(super) fiber_composition: Vec<FiberInput>,
    pub(super) elasticity: Option<Degree>,
    pub(super) transparency: Option<Degree>,
    #[graphql(default)]
    pub(super) fleece: bool,
    #[graphql(default)]
    pub(super) spec_tags: Vec<String>,
    #[graphql(default)]
    pub(super) options: Vec<String>,
    /// External photo URLs (http/https, hosted elsewhere).
    #[graphql(default)]
    pub(super) images: Vec<String>,
    /// The seller's confirmed uploads (multipart or `createUploadUrl`),
    /// shown before `images`; 10 photos in all.
    #[graphql(default)]
    pub(super) image_upload_ids: Vec<ID>,
    /// Sizes × colours, each with its own SKU, stock and price; instead of
    /// `options` and `stock`.
    pub(super) variants: Option<Vec<super::variant_types::ProductVariantInput>>,
}

#[derive(InputObject)]
pub struct UpdateProductInput {
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) price: Option<i64>,
    pub(super) stock: Option<i64>,
    pub(super) category_id: Option<ID>,
    pub(super) gender: Option<ProductGender>,
    pub(super) colors: Option<Vec<String>>,
    pub(super) seasons: Option<Vec<Season>>,
    pub(super) fiber_composition: Option<Vec<FiberInput>>,
    pub(super) elasticity: Option<Degree>,
    pub(super) transparency: Option<Degree>,
    pub(super) fleece: Option<bool>,
    pub(super) spec_tags: Option<Vec<String>>,
    pub(super) options: Option<Vec<String>>,
    /// External photo URLs. Giving this or `imageUploadIds` replaces all
    /// the photos.
    pub(super) images: Option<Vec<String>>,
    /// The seller's confirmed uploads, shown before `images`.
    pub(super) image_upload_ids: Option<Vec<ID>>,
}

pub(super) fn fibers(input: Vec<FiberInput>) -> Vec<catalog::Fiber> {
    input
        .into_iter()
        .map(|f| catalog::Fiber {
            fiber: f.fiber,
            percent: f.percent,
        })
        .collect()
}

pub(super) fn seasons(input: Vec<Season>) -> Vec<String> {
    input.into_iter().map(|s| s.as_str().to_owned()).collect()
}

#[derive(InputObject, Default)]
pub struct ProductFilterInput {
    /// Includes every category below it.
    pub(super) category_id: Option<ID>,
    pub(super) store_id: Option<ID>,
    pub(super) min_price: Option<i64>,
    pub(super) max_price: Option<i64>,
    /// Any of these colours.
    #[graphql(default)]
    pub(super) colors: Vec<String>,
    /// MALE or FEMALE also match UNISEX products.
    pub(super) gender: Option<ProductGender>,
    pub(super) season: Option<Season>,
    /// Part of the product name.
    pub(super) search: Option<String>,
    /// Products whose first image's colours have this mood.
    pub(super) theme: Option<crate::resolvers::color::ColorTheme>,
    /// In stock in this size ("M"): a variant of it has stock.
    pub(super) in_stock_size: Option<String>,
    /// In stock in this colour (with `inStockSize`: that combination).
    pub(super) in_stock_color: Option<String>,
}

impl ProductFilterInput {
    pub(crate) fn into_domain(self) -> Result<catalog::ProductFilter, AppError> {
        Ok(catalog::ProductFilter {
            category_id: self
                .category_id
                .as_ref()
                .map(|id| decode_id("Category", "categoryId", id))
                .transpose()?,
            store_id: self
                .store_id
                .as_ref()
                .map(|id| decode_id("Store", "storeId", id))
                .transpose()?,
            min_price: self.min_price,
            max_price: self.max_price,
            colors: self.colors,
            gender: self.gender.map(Into::into),
            season: self.season.map(|s| s.as_str().to_owned()),
            search: self.search,
            theme: self.theme.map(Into::into),
            in_stock_size: self.in_stock_size,
            in_stock_color: self.in_stock_color,
            statuses: None,
        })
    }
}

#[derive(InputObject)]
pub struct AddShortInput {
    pub(super) product_id: ID,
    pub(super) title: String,
    #[graphql(default)]
    pub(super) description: String,
    pub(super) video_url: String,
    /// An external thumbnail (http/https); or `thumbnailUploadId`.
    pub(super) thumbnail_url: Option<String>,
    /// One of the seller's confirmed uploads; or `thumbnailUrl`.
    pub(super) thumbnail_upload_id: Option<ID>,
    pub(super) duration_secs: i32,
    #[graphql(default_with = "ShortSource::Upload")]
    pub(super) source: ShortSource,
}

#[derive(InputObject)]
pub struct CreateReviewInput {
    pub(super) product_id: ID,
    /// 1 to 5.
    pub(super) rating: i32,
    pub(super) body: String,
    /// External image URLs (http/https, hosted elsewhere).
    #[graphql(default)]
    pub(super) images: Vec<String>,
    /// The buyer's confirmed uploads; 5 photos and images in all.
    #[graphql(default)]
    pub(super) photo_upload_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct CreateCustomCartInput {
    pub(super) title: String,
    pub(super) description: Option<String>,
    #[graphql(default_with = "CartVisibility::Private")]
    pub(super) visibility: CartVisibility,
}

#[derive(InputObject)]
pub struct UpdateCustomCartInput {
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) visibility: Option<CartVisibility>,
    /// Issue a new share slug (the old link stops working).
    #[graphql(default)]
    pub(super) regenerate_share_slug: bool,
}

#[derive(InputObject)]
pub struct AddCustomCartItemInput {
    pub(super) custom_cart_id: ID,
    pub(super) product_id: ID,
    pub(super) option: Option<String>,
    #[graphql(default = 1)]
    pub(super) quantity: i32,
    pub(super) note: Option<String>,
}

/// Names a custom cart by id or by share slug.
#[derive(OneofObject)]
pub enum CustomCartRefInput {
    Id(ID),
    ShareSlug(String),
}

impl CustomCartRefInput {
    pub(super) fn into_domain(self) -> Result<CartRef, AppError> {
        Ok(match self {
            Self::Id(id) => CartRef::Id(decode_id("CustomCart", "id", &id)?),
            Self::ShareSlug(slug) => CartRef::Slug(slug.trim().to_owned()),
        })
    }
}

#[derive(InputObject)]
pub struct OrderLineInput {
    pub(super) product_id: ID,
    pub(super) option: Option<String>,
    pub(super) quantity: i32,
}

#[derive(InputObject)]
pub struct ShippingInput {
    pub(super) recipient: String,
    pub(super) phone: String,
    pub(super) address: String,
    #[graphql(default)]
    pub(super) memo: String,
}

/// Exactly one source: the cart, a custom cart, or explicit lines.
#[derive(OneofObject)]
pub enum OrderSourceInput {
    /// Order everything in my cart (`true`).
    Cart(bool),
    CustomCart(CustomCartRefInput),
    Lines(Vec<OrderLineInput>),
}

/// Where the order goes: at most one of `addressId`, `address` and
/// `shipping`; none means the buyer's default address. The address is
/// copied onto the order.
#[derive(InputObject)]
pub struct PlaceOrderInput {
    pub(super) from: OrderSourceInput,
    /// An address of my address book.
    pub(super) address_id: Option<ID>,
    /// A Korean address typed at checkout (5-digit postal code, road address).
    pub(super) address: Option<crate::resolvers::addresses::AddressInput>,
    /// The free-form address of the first release.
    #[graphql(deprecation = "use addressId or address")]
    pub(super) shipping: Option<ShippingInput>,
    /// For the courier ("leave at the door").
    pub(super) memo: Option<String>,
    /// A coupon code to redeem. Ordering the cart without one redeems the
    /// coupon applied to the cart (`applyCoupon`), if any.
    pub(super) coupon_code: Option<String>,
}

impl PlaceOrderInput {
    pub(super) fn delivery(&mut self) -> Result<orders::Delivery, AppError> {
        let address_id = self
            .address_id
            .as_ref()
            .map(|id| decode_id("Address", "addressId", id))
            .transpose()?;
        let given = usize::from(address_id.is_some())
            + usize::from(self.address.is_some())
            + usize::from(self.shipping.is_some());
        if given > 1 {
            return Err(AppError::validation(
                "addressId",
                "give one of `addressId`, `address` and `shipping`",
            ));
        }
        let legacy_memo = self.shipping.as_ref().map(|s| s.memo.clone());
        let to = match (address_id, self.address.take(), self.shipping.take()) {
            (Some(id), ..) => orders::ShipTo::Saved(id),
            (_, Some(a), _) => orders::ShipTo::Typed {
                recipient: a.recipient,
                phone: a.phone,
                postal_code: a.postal_code,
                road_address: a.road_address,
                detail_address: a.detail_address,
            },
            (.., Some(s)) => orders::ShipTo::FreeForm {
                recipient: s.recipient,
                phone: s.phone,
                address: s.address,
            },
            _ => orders::ShipTo::Default,
        };
        Ok(orders::Delivery {
            to,
            memo: self.memo.take().or(legacy_memo).unwrap_or_default(),
            coupon: self.coupon_code.take(),
        })
    }
}

#[derive(InputObject)]
pub struct AskInquiryInput {
    pub(super) store_id: ID,
    pub(super) product_id: Option<ID>,
    pub(super) subject: String,
    pub(super) body: String,
}

#[derive(SimpleObject)]
pub struct AddCustomCartToCartPayload {
    pub(super) cart: Cart,
    /// How many items went into the cart.
    pub(super) added: i32,
    pub(super) skipped: Vec<SkippedItem>,
}
