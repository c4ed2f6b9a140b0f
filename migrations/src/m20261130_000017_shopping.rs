//! Visual shopping (COMM-8):
//! - `shopping_searches`: one `shoppingSuggestions` answer: who asked, for
//!   which design and object class, the Korean query, the catalogue colours
//!   of the design's palette that were honoured, and how each external
//!   provider fared (JSON), so that later pages show the same list;
//! - `shopping_suggestions`: each item of it, in order: the platform, the
//!   own product or the provider's product id, what was shown (title,
//!   link tagged with the viewer's sub-id, image, price);
//! - `shopping_clicks`: every `trackShoppingClick`: user, suggestion,
//!   platform and product.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShoppingSearches {
    Table,
    Id,
    UserId,
    DesignId,
    ObjectClass,
    Query,
    Colors,
    Providers,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShoppingSuggestions {
    Table,
    Id,
    SearchId,
    UserId,
    DesignId,
    ObjectClass,
    Platform,
    ProductId,
    ExternalId,
    Title,
    Url,
    ImageUrl,
    Price,
    MallName,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShoppingClicks {
    Table,
    Id,
    SuggestionId,
    UserId,
    Platform,
    ProductId,
    ExternalId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Designs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShoppingSearches::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShoppingSearches::Id))
                    .col(big_integer(ShoppingSearches::UserId))
                    .col(big_integer(ShoppingSearches::DesignId))
                    .col(string_len(ShoppingSearches::ObjectClass, 32))
                    .col(string_len(ShoppingSearches::Query, 64))
                    .col(text(ShoppingSearches::Colors))
                    .col(text(ShoppingSearches::Providers))
                    .col(timestamp_with_time_zone(ShoppingSearches::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_shopping_searches_user",
                        (ShoppingSearches::Table, ShoppingSearches::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_shopping_searches_design",
                        (ShoppingSearches::Table, ShoppingSearches::DesignId),
                        (Designs::Table, Designs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_shopping_searches_user_created",
            ShoppingSearches::Table,
            &["user_id", "created_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShoppingSuggestions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShoppingSuggestions::Id))
                    .col(big_integer(ShoppingSuggestions::SearchId))
                    .col(big_integer(ShoppingSuggestions::UserId))
                    .col(big_integer(ShoppingSuggestions::DesignId))
                    .col(string_len(ShoppingSuggestions::ObjectClass, 32))
                    .col(string_len(ShoppingSuggestions::Platform, 16))
                    .col(big_integer_null(ShoppingSuggestions::ProductId))
                    .col(string_len_null(ShoppingSuggestions::ExternalId, 255))
                    .col(text(ShoppingSuggestions::Title))
                    .col(text(ShoppingSuggestions::Url))
                    .col(text_null(ShoppingSuggestions::ImageUrl))
                    .col(big_integer_null(ShoppingSuggestions::Price))
                    .col(string_len_null(ShoppingSuggestions::MallName, 255))
                    .col(integer(ShoppingSuggestions::Position))
                    .col(timestamp_with_time_zone(ShoppingSuggestions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_shopping_suggestions_search",
                        (ShoppingSuggestions::Table, ShoppingSuggestions::SearchId),
                        (ShoppingSearches::Table, ShoppingSearches::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_shopping_suggestions_product",
                        (ShoppingSuggestions::Table, ShoppingSuggestions::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_shopping_suggestions_search_position",
            ShoppingSuggestions::Table,
            &["search_id", "position"],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShoppingClicks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ShoppingClicks::Id))
                    .col(big_integer(ShoppingClicks::SuggestionId))
                    .col(big_integer(ShoppingClicks::UserId))
                    .col(string_len(ShoppingClicks::Platform, 16))
                    .col(big_integer_null(ShoppingClicks::ProductId))
                    .col(string_len_null(ShoppingClicks::ExternalId, 255))
                    .col(timestamp_with_time_zone(ShoppingClicks::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_shopping_clicks_suggestion",
                        (ShoppingClicks::Table, ShoppingClicks::SuggestionId),
                        (ShoppingSuggestions::Table, ShoppingSuggestions::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_shopping_clicks_user",
                        (ShoppingClicks::Table, ShoppingClicks::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_shopping_clicks_suggestion",
            ShoppingClicks::Table,
            &["suggestion_id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_shopping_clicks_user_created",
            ShoppingClicks::Table,
            &["user_id", "created_at"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ShoppingClicks::Table.into_iden(),
            ShoppingSuggestions::Table.into_iden(),
            ShoppingSearches::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
