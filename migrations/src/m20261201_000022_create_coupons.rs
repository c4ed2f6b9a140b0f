//! Coupons (EXT-4):
//! - `coupons`: a platform-wide (`store_id` NULL, made by an admin) or a
//!   store coupon (made by the store's seller), PERCENT or FIXED, with a
//!   minimum spend, a validity window and optional total / per-user limits.
//!   `code` is stored upper-cased and unique, so codes are case-insensitive.
//!   `redeemed_count` moves only with conditional updates in the order's
//!   transaction (`... WHERE redeemed_count < max_redemptions`);
//! - `coupon_redemptions`: one row per order that used a coupon (at most one
//!   coupon per order), with the discount; `released_at` is set when the
//!   order is cancelled and the redemption given back;
//! - `coupon_user_counts`: live redemptions per (coupon, user), the counter
//!   the per-user limit is taken from with a conditional update (a row per
//!   pair, so concurrent orders of one buyer queue on it);
//! - `coupon_cart_choices`: the code a buyer applied to their cart.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
    Code,
    StoreId,
    CreatedBy,
    Description,
    Kind,
    Value,
    MaxDiscount,
    MinSpend,
    StartsAt,
    EndsAt,
    MaxRedemptions,
    PerUserLimit,
    RedeemedCount,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CouponRedemptions {
    Table,
    Id,
    CouponId,
    UserId,
    OrderId,
    Amount,
    CreatedAt,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum CouponUserCounts {
    Table,
    Id,
    CouponId,
    UserId,
    RedeemedCount,
}

#[derive(DeriveIden)]
enum CouponCartChoices {
    Table,
    Id,
    UserId,
    CouponId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Coupons::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Coupons::Id))
                    .col(string_len(Coupons::Code, 32))
                    .col(big_integer_null(Coupons::StoreId))
                    .col(big_integer(Coupons::CreatedBy))
                    .col(string_len(Coupons::Description, 200).default(""))
                    .col(string_len(Coupons::Kind, 16))
                    .col(big_integer(Coupons::Value))
                    .col(big_integer_null(Coupons::MaxDiscount))
                    .col(big_integer(Coupons::MinSpend).default(0))
                    .col(timestamp_with_time_zone_null(Coupons::StartsAt))
                    .col(timestamp_with_time_zone_null(Coupons::EndsAt))
                    .col(integer_null(Coupons::MaxRedemptions))
                    .col(integer_null(Coupons::PerUserLimit))
                    .col(integer(Coupons::RedeemedCount).default(0))
                    .col(boolean(Coupons::Active).default(true))
                    .col(timestamp_with_time_zone(Coupons::CreatedAt))
                    .col(timestamp_with_time_zone(Coupons::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_coupons_store",
                        (Coupons::Table, Coupons::StoreId),
                        (Stores::Table, Stores::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupons_creator",
                        (Coupons::Table, Coupons::CreatedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_coupons_code", Coupons::Table, &["code"], true).await?;
        index(
            manager,
            "idx_coupons_store",
            Coupons::Table,
            &["store_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponRedemptions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CouponRedemptions::Id))
                    .col(big_integer(CouponRedemptions::CouponId))
                    .col(big_integer(CouponRedemptions::UserId))
                    .col(big_integer(CouponRedemptions::OrderId))
                    .col(big_integer(CouponRedemptions::Amount))
                    .col(timestamp_with_time_zone(CouponRedemptions::CreatedAt))
                    .col(timestamp_with_time_zone_null(CouponRedemptions::ReleasedAt))
                    .foreign_key(&mut fk(
                        "fk_coupon_redemptions_coupon",
                        (CouponRedemptions::Table, CouponRedemptions::CouponId),
                        (Coupons::Table, Coupons::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_redemptions_user",
                        (CouponRedemptions::Table, CouponRedemptions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_redemptions_order",
                        (CouponRedemptions::Table, CouponRedemptions::OrderId),
                        (Orders::Table, Orders::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // One coupon per order.
        index(
            manager,
            "ux_coupon_redemptions_order",
            CouponRedemptions::Table,
            &["order_id"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_coupon_redemptions_coupon_user",
            CouponRedemptions::Table,
            &["coupon_id", "user_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponUserCounts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CouponUserCounts::Id))
                    .col(big_integer(CouponUserCounts::CouponId))
                    .col(big_integer(CouponUserCounts::UserId))
                    .col(integer(CouponUserCounts::RedeemedCount).default(0))
                    .foreign_key(&mut fk(
                        "fk_coupon_user_counts_coupon",
                        (CouponUserCounts::Table, CouponUserCounts::CouponId),
                        (Coupons::Table, Coupons::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_user_counts_user",
                        (CouponUserCounts::Table, CouponUserCounts::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_coupon_user_counts_pair",
            CouponUserCounts::Table,
            &["coupon_id", "user_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponCartChoices::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CouponCartChoices::Id))
                    .col(big_integer(CouponCartChoices::UserId))
                    .col(big_integer(CouponCartChoices::CouponId))
                    .col(timestamp_with_time_zone(CouponCartChoices::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_coupon_cart_choices_user",
                        (CouponCartChoices::Table, CouponCartChoices::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_cart_choices_coupon",
                        (CouponCartChoices::Table, CouponCartChoices::CouponId),
                        (Coupons::Table, Coupons::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_coupon_cart_choices_user",
            CouponCartChoices::Table,
            &["user_id"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CouponCartChoices::Table.into_iden(),
            CouponUserCounts::Table.into_iden(),
            CouponRedemptions::Table.into_iden(),
            Coupons::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
