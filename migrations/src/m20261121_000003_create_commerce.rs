//! Shorts commerce (COM-1 … COM-10): stores, the category tree (seeded here
//! with the seed's clothing taxonomy), products with their attributes,
//! images, shorts, likes, reviews, wishlist, carts, custom carts, orders and
//! inquiries.
//!
//! Counters (stock, ratings, counts) live on the row they describe and change
//! in the same transaction as the row that causes them.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261120_000001_create_users::Users,
    schema_helpers::{fk, index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
    OwnerId,
    Name,
    NameKey,
    LicenseNumber,
    Description,
    Status,
    ReviewReason,
    ReviewedBy,
    ReviewedAt,
    RatingSum,
    ReviewCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Code,
    Name,
    NameKo,
    ParentId,
    Path,
    Depth,
    Position,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    StoreId,
    CategoryId,
    Name,
    Description,
    Price,
    Stock,
    Gender,
    Colors,
    Seasons,
    FiberComposition,
    Elasticity,
    Transparency,
    Fleece,
    SpecTags,
    Options,
    Status,
    RatingSum,
    ReviewCount,
    RatingAvg,
    WishlistCount,
    SoldCount,
    Popularity,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductColors {
    Table,
    ProductId,
    Color,
}

#[derive(DeriveIden)]
enum ProductSeasons {
    Table,
    Season,
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    Id,
    ProductId,
    Url,
    Position,
}

#[derive(DeriveIden)]
enum Shorts {
    Table,
    Id,
    ProductId,
    StoreId,
    Title,
    Description,
    VideoUrl,
    ThumbnailUrl,
    DurationSecs,
    Source,
    ViewCount,
    LikeCount,
    SentimentLabel,
    SentimentScore,
    SentimentProvider,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShortViews {
    Table,
    Id,
    ShortId,
    UserId,
    ViewedAt,
}

#[derive(DeriveIden)]
enum Likes {
    Table,
    Id,
    UserId,
    TargetType,
    TargetId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    ProductId,
    StoreId,
    UserId,
    OrderLineId,
    Rating,
    Body,
    Images,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WishlistItems {
    Table,
    Id,
    UserId,
    ProductId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CartItems {
    Table,
    Id,
    UserId,
    ProductId,
    OptionValue,
    Quantity,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomCarts {
    Table,
    Id,
    OwnerId,
    Title,
    Description,
    Visibility,
    ShareSlug,
    ItemCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomCartItems {
    Table,
    Id,
    CustomCartId,
    ProductId,
    OptionValue,
    Quantity,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    BuyerId,
    Status,
    Source,
    CustomCartId,
    TotalAmount,
    Recipient,
    Phone,
    Address,
    Memo,
    IdempotencyKey,
    RequestFingerprint,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    ProductId,
    StoreId,
    ProductName,
    OptionValue,
    UnitPrice,
    Quantity,
    LineTotal,
    Status,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Inquiries {
    Table,
    Id,
    BuyerId,
    StoreId,
    ProductId,
    Subject,
    Body,
    Answer,
    AnsweredBy,
    AnsweredAt,
    Status,
    CreatedAt,
    UpdatedAt,
}

/// `(code, english name, korean name)` of one taxonomy node.
type Node = (&'static str, &'static str, &'static str);

/// The seed's clothing taxonomy: `(code, english, korean, children)`.
pub const TAXONOMY: &[(&str, &str, &str, &[Node])] = &[
    (
        "01outer",
        "Outerwear",
        "아우터",
        &[
            ("01outer_01coat", "Coats", "코트"),
            ("01outer_02jacket", "Jackets", "재킷"),
            ("01outer_03jumper", "Jumpers", "점퍼"),
            ("01outer_04cardigan", "Cardigans", "가디건"),
        ],
    ),
    (
        "02top",
        "Tops",
        "상의",
        &[
            ("02top_01blouse", "Blouses", "블라우스"),
            ("02top_02tshirt", "T-shirts", "티셔츠"),
            ("02top_03shirt", "Shirts", "셔츠"),
            ("02top_04knit", "Knitwear", "니트"),
            ("02top_05hoodie", "Hoodies", "후드"),
        ],
    ),
    (
        "03bottom",
        "Bottoms",
        "하의",
        &[
            ("03bottom_01pants", "Trousers", "팬츠"),
            ("03bottom_02jeans", "Jeans", "청바지"),
            ("03bottom_03skirt", "Skirts", "스커트"),
            ("03bottom_04shorts", "Shorts", "반바지"),
        ],
    ),
    (
        "04onepiece",
        "One-pieces",
        "원피스",
        &[
            ("04onepiece_01dress", "Dresses", "드레스"),
            ("04onepiece_02jumpsuit", "Jumpsuits", "점프수트"),
        ],
    ),
    ("05shoes", "Shoes", "신발", &[]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Stores::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Stores::Id))
                    .col(big_integer_uniq(Stores::OwnerId))
                    .col(string_len(Stores::Name, 80))
                    .col(string_len_uniq(Stores::NameKey, 80))
                    .col(string_len_uniq(Stores::LicenseNumber, 32))
                    .col(text(Stores::Description))
                    .col(string_len(Stores::Status, 16))
                    .col(text_null(Stores::ReviewReason))
                    .col(big_integer_null(Stores::ReviewedBy))
                    .col(timestamp_with_time_zone_null(Stores::ReviewedAt))
                    .col(big_integer(Stores::RatingSum).default(0))
                    .col(big_integer(Stores::ReviewCount).default(0))
                    .col(timestamp_with_time_zone(Stores::CreatedAt))
                    .col(timestamp_with_time_zone(Stores::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_stores_owner",
                        (Stores::Table, Stores::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_stores_status",
            Stores::Table,
            &["status", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Categories::Id))
                    .col(string_len_uniq(Categories::Code, 40))
                    .col(string_len(Categories::Name, 60))
                    .col(string_len(Categories::NameKo, 60))
                    .col(big_integer_null(Categories::ParentId))
                    .col(string_len(Categories::Path, 200))
                    .col(integer(Categories::Depth))
                    .col(integer(Categories::Position))
                    .foreign_key(&mut fk(
                        "fk_categories_parent",
                        (Categories::Table, Categories::ParentId),
                        (Categories::Table, Categories::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_categories_path",
            Categories::Table,
            &["path"],
            false,
        )
        .await?;
        let mut position = 0;
        for (code, name, name_ko, children) in TAXONOMY {
            position += 1;
            let insert = Query::insert()
                .into_table(Categories::Table)
                .columns([
                    Categories::Code,
                    Categories::Name,
                    Categories::NameKo,
                    Categories::Path,
                    Categories::Depth,
                    Categories::Position,
                ])
                .values_panic([
                    (*code).into(),
                    (*name).into(),
                    (*name_ko).into(),
                    format!("/{code}/").into(),
                    0.into(),
                    position.into(),
                ])
                .to_owned();
            manager.exec_stmt(insert).await?;
            for (child, child_name, child_ko) in children.iter() {
                position += 1;
                let parent = Query::select()
                    .column(Categories::Id)
                    .from(Categories::Table)
                    .and_where(Expr::col(Categories::Code).eq(*code))
                    .to_owned();
                let insert = Query::insert()
                    .into_table(Categories::Table)
                    .columns([
                        Categories::Code,
                        Categories::Name,
                        Categories::NameKo,
                        Categories::ParentId,
                        Categories::Path,
                        Categories::Depth,
                        Categories::Position,
                    ])
                    .values_panic([
                        (*child).into(),
                        (*child_name).into(),
                        (*child_ko).into(),
                        SimpleExpr::SubQuery(None, Box::new(parent.into_sub_query_statement())),
                        format!("/{code}/{child}/").into(),
                        1.into(),
                        position.into(),
                    ])
                    .to_owned();
                manager.exec_stmt(insert).await?;
            }
        }

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Products::Id))
                    .col(big_integer(Products::StoreId))
                    .col(big_integer(Products::CategoryId))
                    .col(string_len(Products::Name, 120))
                    .col(text(Products::Description))
                    .col(big_integer(Products::Price))
                    .col(big_integer(Products::Stock))
                    .col(string_len(Products::Gender, 16))
                    .col(text(Products::Colors))
                    .col(text(Products::Seasons))
                    .col(text(Products::FiberComposition))
                    .col(string_len(Products::Elasticity, 24))
                    .col(string_len(Products::Transparency, 24))
                    .col(boolean(Products::Fleece))
                    .col(text(Products::SpecTags))
                    .col(text(Products::Options))
                    .col(string_len(Products::Status, 16))
                    .col(big_integer(Products::RatingSum).default(0))
                    .col(big_integer(Products::ReviewCount).default(0))
                    .col(double(Products::RatingAvg).default(0.0))
                    .col(big_integer(Products::WishlistCount).default(0))
                    .col(big_integer(Products::SoldCount).default(0))
                    .col(big_integer(Products::Popularity).default(0))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_products_store",
                        (Products::Table, Products::StoreId),
                        (Stores::Table, Stores::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_products_category",
                        (Products::Table, Products::CategoryId),
                        (Categories::Table, Categories::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_products_store",
            Products::Table,
            &["store_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_category",
            Products::Table,
            &["category_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_status_created",
            Products::Table,
            &["status", "created_at", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_price",
            Products::Table,
            &["price", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_popularity",
            Products::Table,
            &["popularity", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_products_rating",
            Products::Table,
            &["rating_avg", "id"],
            false,
        )
        .await?;

        for (table, col, name) in [
            (
                ProductColors::Table.into_iden(),
                ProductColors::Color.into_iden(),
                "product_colors",
            ),
            (
                ProductSeasons::Table.into_iden(),
                ProductSeasons::Season.into_iden(),
                "product_seasons",
            ),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table.clone())
                        .if_not_exists()
                        .col(big_integer(ProductColors::ProductId))
                        .col(string_len(col.clone(), 24))
                        .primary_key(
                            Index::create()
                                .col(ProductColors::ProductId)
                                .col(col.clone()),
                        )
                        .foreign_key(&mut fk(
                            &format!("fk_{name}_product"),
                            (table.clone(), ProductColors::ProductId),
                            (Products::Table, Products::Id),
                        ))
                        .to_owned(),
                )
                .await?;
            let col_name = col.to_string();
            index(
                manager,
                &format!("idx_{name}_value"),
                table,
                &[col_name.as_str(), "product_id"],
                false,
            )
            .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProductImages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ProductImages::Id))
                    .col(big_integer(ProductImages::ProductId))
                    .col(string_len(ProductImages::Url, 2048))
                    .col(integer(ProductImages::Position))
                    .foreign_key(&mut fk(
                        "fk_product_images_product",
                        (ProductImages::Table, ProductImages::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_product_images_product",
            ProductImages::Table,
            &["product_id", "position"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Shorts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Shorts::Id))
                    .col(big_integer(Shorts::ProductId))
                    .col(big_integer(Shorts::StoreId))
                    .col(string_len(Shorts::Title, 120))
                    .col(text(Shorts::Description))
                    .col(string_len(Shorts::VideoUrl, 2048))
                    .col(string_len_null(Shorts::ThumbnailUrl, 2048))
                    .col(integer(Shorts::DurationSecs))
                    .col(string_len(Shorts::Source, 16))
                    .col(big_integer(Shorts::ViewCount).default(0))
                    .col(big_integer(Shorts::LikeCount).default(0))
                    .col(string_len(Shorts::SentimentLabel, 16))
                    .col(double(Shorts::SentimentScore))
                    .col(string_len(Shorts::SentimentProvider, 32))
                    .col(timestamp_with_time_zone(Shorts::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_shorts_product",
                        (Shorts::Table, Shorts::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_shorts_product",
            Shorts::Table,
            &["product_id", "created_at", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_shorts_created",
            Shorts::Table,
            &["created_at", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ShortViews::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShortViews::Id))
                    .col(big_integer(ShortViews::ShortId))
                    .col(big_integer_null(ShortViews::UserId))
                    .col(timestamp_with_time_zone(ShortViews::ViewedAt))
                    .foreign_key(&mut fk(
                        "fk_short_views_short",
                        (ShortViews::Table, ShortViews::ShortId),
                        (Shorts::Table, Shorts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_short_views_user",
            ShortViews::Table,
            &["user_id", "short_id", "viewed_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Likes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Likes::Id))
                    .col(big_integer(Likes::UserId))
                    .col(string_len(Likes::TargetType, 16))
                    .col(big_integer(Likes::TargetId))
                    .col(timestamp_with_time_zone(Likes::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_likes_user",
                        (Likes::Table, Likes::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_likes_target_user",
            Likes::Table,
            &["target_type", "target_id", "user_id"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_likes_user",
            Likes::Table,
            &["user_id", "target_type", "created_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Reviews::Id))
                    .col(big_integer(Reviews::ProductId))
                    .col(big_integer(Reviews::StoreId))
                    .col(big_integer(Reviews::UserId))
                    .col(big_integer(Reviews::OrderLineId))
                    .col(small_integer(Reviews::Rating))
                    .col(text(Reviews::Body))
                    .col(text(Reviews::Images))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_reviews_product",
                        (Reviews::Table, Reviews::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_reviews_user",
                        (Reviews::Table, Reviews::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_reviews_user_product",
            Reviews::Table,
            &["user_id", "product_id"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_reviews_product",
            Reviews::Table,
            &["product_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_reviews_store",
            Reviews::Table,
            &["store_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WishlistItems::Table)
                    .if_not_exists()
                    .col(big_pk_auto(WishlistItems::Id))
                    .col(big_integer(WishlistItems::UserId))
                    .col(big_integer(WishlistItems::ProductId))
                    .col(timestamp_with_time_zone(WishlistItems::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_wishlist_user",
                        (WishlistItems::Table, WishlistItems::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_wishlist_product",
                        (WishlistItems::Table, WishlistItems::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_wishlist_user_product",
            WishlistItems::Table,
            &["user_id", "product_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CartItems::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CartItems::Id))
                    .col(big_integer(CartItems::UserId))
                    .col(big_integer(CartItems::ProductId))
                    .col(string_len(CartItems::OptionValue, 60))
                    .col(integer(CartItems::Quantity))
                    .col(timestamp_with_time_zone(CartItems::CreatedAt))
                    .col(timestamp_with_time_zone(CartItems::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_cart_user",
                        (CartItems::Table, CartItems::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_cart_product",
                        (CartItems::Table, CartItems::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_cart_user_product_option",
            CartItems::Table,
            &["user_id", "product_id", "option_value"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomCarts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CustomCarts::Id))
                    .col(big_integer(CustomCarts::OwnerId))
                    .col(string_len(CustomCarts::Title, 80))
                    .col(text(CustomCarts::Description))
                    .col(string_len(CustomCarts::Visibility, 16))
                    .col(string_len_uniq(CustomCarts::ShareSlug, 32))
                    .col(integer(CustomCarts::ItemCount).default(0))
                    .col(timestamp_with_time_zone(CustomCarts::CreatedAt))
                    .col(timestamp_with_time_zone(CustomCarts::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_custom_carts_owner",
                        (CustomCarts::Table, CustomCarts::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_custom_carts_owner",
            CustomCarts::Table,
            &["owner_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_custom_carts_visibility",
            CustomCarts::Table,
            &["visibility", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomCartItems::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CustomCartItems::Id))
                    .col(big_integer(CustomCartItems::CustomCartId))
                    .col(big_integer(CustomCartItems::ProductId))
                    .col(string_len(CustomCartItems::OptionValue, 60))
                    .col(integer(CustomCartItems::Quantity))
                    .col(string_len(CustomCartItems::Note, 500))
                    .col(timestamp_with_time_zone(CustomCartItems::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_custom_cart_items_cart",
                        (CustomCartItems::Table, CustomCartItems::CustomCartId),
                        (CustomCarts::Table, CustomCarts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_custom_cart_items_product",
                        (CustomCartItems::Table, CustomCartItems::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_custom_cart_items",
            CustomCartItems::Table,
            &["custom_cart_id", "product_id", "option_value"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_custom_cart_items_product",
            CustomCartItems::Table,
            &["product_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Orders::Id))
                    .col(big_integer(Orders::BuyerId))
                    .col(string_len(Orders::Status, 24))
                    .col(string_len(Orders::Source, 16))
                    .col(big_integer_null(Orders::CustomCartId))
                    .col(big_integer(Orders::TotalAmount))
                    .col(string_len(Orders::Recipient, 60))
                    .col(string_len(Orders::Phone, 32))
                    .col(string_len(Orders::Address, 300))
                    .col(string_len(Orders::Memo, 300))
                    .col(string_len(Orders::IdempotencyKey, 128))
                    .col(string_len(Orders::RequestFingerprint, 64))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_orders_buyer",
                        (Orders::Table, Orders::BuyerId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_orders_buyer_idempotency",
            Orders::Table,
            &["buyer_id", "idempotency_key"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_orders_buyer",
            Orders::Table,
            &["buyer_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_created",
            Orders::Table,
            &["created_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OrderLines::Id))
                    .col(big_integer(OrderLines::OrderId))
                    .col(big_integer(OrderLines::ProductId))
                    .col(big_integer(OrderLines::StoreId))
                    .col(string_len(OrderLines::ProductName, 120))
                    .col(string_len(OrderLines::OptionValue, 60))
                    .col(big_integer(OrderLines::UnitPrice))
                    .col(integer(OrderLines::Quantity))
                    .col(big_integer(OrderLines::LineTotal))
                    .col(string_len(OrderLines::Status, 24))
                    .col(timestamp_with_time_zone(OrderLines::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_order_lines_order",
                        (OrderLines::Table, OrderLines::OrderId),
                        (Orders::Table, Orders::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_order_lines_product",
                        (OrderLines::Table, OrderLines::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_order_lines_order",
            OrderLines::Table,
            &["order_id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_order_lines_store",
            OrderLines::Table,
            &["store_id", "order_id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_order_lines_product",
            OrderLines::Table,
            &["product_id", "status"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Inquiries::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Inquiries::Id))
                    .col(big_integer(Inquiries::BuyerId))
                    .col(big_integer(Inquiries::StoreId))
                    .col(big_integer_null(Inquiries::ProductId))
                    .col(string_len(Inquiries::Subject, 120))
                    .col(text(Inquiries::Body))
                    .col(text_null(Inquiries::Answer))
                    .col(big_integer_null(Inquiries::AnsweredBy))
                    .col(timestamp_with_time_zone_null(Inquiries::AnsweredAt))
                    .col(string_len(Inquiries::Status, 16))
                    .col(timestamp_with_time_zone(Inquiries::CreatedAt))
                    .col(timestamp_with_time_zone(Inquiries::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_inquiries_buyer",
                        (Inquiries::Table, Inquiries::BuyerId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_inquiries_store",
                        (Inquiries::Table, Inquiries::StoreId),
                        (Stores::Table, Stores::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_inquiries_buyer",
            Inquiries::Table,
            &["buyer_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_inquiries_store",
            Inquiries::Table,
            &["store_id", "status", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Inquiries::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Orders::Table.into_iden(),
            CustomCartItems::Table.into_iden(),
            CustomCarts::Table.into_iden(),
            CartItems::Table.into_iden(),
            WishlistItems::Table.into_iden(),
            Reviews::Table.into_iden(),
            Likes::Table.into_iden(),
            ShortViews::Table.into_iden(),
            Shorts::Table.into_iden(),
            ProductImages::Table.into_iden(),
            ProductSeasons::Table.into_iden(),
            ProductColors::Table.into_iden(),
            Products::Table.into_iden(),
            Categories::Table.into_iden(),
            Stores::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
