//! Variants, shipping and the money columns of orders (issue 22):
//! - `product_variants`: a product's buyable options (size × colour), each
//!   with its own SKU, stock and optional price override. `label` ("M",
//!   "M / Black", "" for a product without options) is what carts, custom
//!   carts and order lines name a variant by; it is unique per product and
//!   never changes (size and colour of a variant cannot be edited).
//!   `products.stock` stays as the sum of its variants' stock, changed in
//!   the same statements.
//! - Existing products migrate to one variant per option, the product's
//!   stock split evenly with the remainder going to the first options in
//!   their listed order (7 over S, M, L → 3, 2, 2); a product without
//!   options gets one variant with an empty label holding all of it.
//! - `order_lines`: the variant, the line's share of the order's discount
//!   and of its store's shipping fee (what a return refunds), the carrier
//!   and tracking number, and when it shipped and was delivered.
//! - `orders`: subtotal, shipping fee, discount and coupon, and the
//!   structured address (postal code, road address, detail) copied from the
//!   address book or the inline address.
//! - `stores`: a shipping fee per order and the subtotal from which
//!   shipping is free. Existing stores charge nothing until their seller
//!   sets a fee.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
    ProductId,
    Sku,
    Size,
    Color,
    Label,
    Stock,
    Price,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Stock,
    Options,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    VariantId,
    DiscountAmount,
    ShippingFee,
    Carrier,
    TrackingNumber,
    ShippedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    SubtotalAmount,
    TotalAmount,
    ShippingFee,
    DiscountAmount,
    CouponId,
    PostalCode,
    RoadAddress,
    DetailAddress,
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    ShippingFee,
    FreeShippingThreshold,
}

/// `stock` split over `n` options: even, the remainder to the first ones.
fn split(stock: i64, n: usize) -> Vec<i64> {
    let n_i = n as i64;
    let stock = Ord::max(stock, 0);
    let (each, rest) = (stock / n_i, stock % n_i);
    (0..n_i).map(|i| each + i64::from(i < rest)).collect()
}

async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoColumnDef,
) -> Result<(), DbErr> {
    // One column per statement: SQLite alters one thing at a time.
    manager
        .alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductVariants::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ProductVariants::Id))
                    .col(big_integer(ProductVariants::ProductId))
                    .col(string_len(ProductVariants::Sku, 64))
                    .col(string_len_null(ProductVariants::Size, 30))
                    .col(string_len_null(ProductVariants::Color, 30))
                    .col(string_len(ProductVariants::Label, 64))
                    .col(big_integer(ProductVariants::Stock).default(0))
                    .col(big_integer_null(ProductVariants::Price))
                    .col(integer(ProductVariants::Position).default(0))
                    .col(timestamp_with_time_zone(ProductVariants::CreatedAt))
                    .col(timestamp_with_time_zone(ProductVariants::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_product_variants_product",
                        (ProductVariants::Table, ProductVariants::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ux_product_variants_label",
                vec![ProductVariants::ProductId, ProductVariants::Label],
            ),
            (
                "ux_product_variants_sku",
                vec![ProductVariants::ProductId, ProductVariants::Sku],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ProductVariants::Table).unique();
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // "In stock in size M": variants by size, then product.
        manager
            .create_index(
                Index::create()
                    .name("ix_product_variants_size")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::Size)
                    .col(ProductVariants::ProductId)
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let products = db
            .query_all(
                &Query::select()
                    .columns([Products::Id, Products::Stock, Products::Options])
                    .from(Products::Table)
                    .to_owned(),
            )
            .await?;
        for row in products {
            let id: i64 = row.try_get("", "id")?;
            let stock: i64 = row.try_get("", "stock")?;
            let options: String = row.try_get("", "options")?;
            let options: Vec<String> = serde_json::from_str(&options).unwrap_or_default();
            let variants: Vec<(Option<String>, String, i64)> = if options.is_empty() {
                vec![(None, String::new(), Ord::max(stock, 0))]
            } else {
                options
                    .iter()
                    .zip(split(stock, options.len()))
                    .map(|(o, s)| (Some(o.clone()), o.clone(), s))
                    .collect()
            };
            let mut insert = Query::insert();
            insert.into_table(ProductVariants::Table).columns([
                ProductVariants::ProductId,
                ProductVariants::Sku,
                ProductVariants::Size,
                ProductVariants::Label,
                ProductVariants::Stock,
                ProductVariants::Position,
                ProductVariants::CreatedAt,
                ProductVariants::UpdatedAt,
            ]);
            for (position, (size, label, stock)) in variants.into_iter().enumerate() {
                let sku = if label.is_empty() {
                    format!("P{id}")
                } else {
                    format!("P{id}-{}", position + 1)
                };
                insert.values_panic([
                    id.into(),
                    sku.into(),
                    size.into(),
                    label.into(),
                    stock.into(),
                    (position as i32).into(),
                    Expr::current_timestamp(),
                    Expr::current_timestamp(),
                ]);
            }
            manager.exec_stmt(insert).await?;
            // The product's stock is the sum of what was handed out.
        }

        add(
            manager,
            OrderLines::Table,
            big_integer_null(OrderLines::VariantId),
        )
        .await?;
        add(
            manager,
            OrderLines::Table,
            big_integer(OrderLines::DiscountAmount).default(0),
        )
        .await?;
        add(
            manager,
            OrderLines::Table,
            big_integer(OrderLines::ShippingFee).default(0),
        )
        .await?;
        add(
            manager,
            OrderLines::Table,
            string_len_null(OrderLines::Carrier, 24),
        )
        .await?;
        add(
            manager,
            OrderLines::Table,
            string_len_null(OrderLines::TrackingNumber, 40),
        )
        .await?;
        add(
            manager,
            OrderLines::Table,
            timestamp_with_time_zone_null(OrderLines::ShippedAt),
        )
        .await?;
        add(
            manager,
            OrderLines::Table,
            timestamp_with_time_zone_null(OrderLines::DeliveredAt),
        )
        .await?;
        db.execute_unprepared(
            "UPDATE order_lines SET variant_id = (SELECT v.id FROM product_variants v \
             WHERE v.product_id = order_lines.product_id AND v.label = order_lines.option_value)",
        )
        .await?;

        add(
            manager,
            Orders::Table,
            big_integer(Orders::SubtotalAmount).default(0),
        )
        .await?;
        add(
            manager,
            Orders::Table,
            big_integer(Orders::ShippingFee).default(0),
        )
        .await?;
        add(
            manager,
            Orders::Table,
            big_integer(Orders::DiscountAmount).default(0),
        )
        .await?;
        add(manager, Orders::Table, big_integer_null(Orders::CouponId)).await?;
        add(
            manager,
            Orders::Table,
            string_len(Orders::PostalCode, 5).default(""),
        )
        .await?;
        add(
            manager,
            Orders::Table,
            string_len(Orders::RoadAddress, 200).default(""),
        )
        .await?;
        add(
            manager,
            Orders::Table,
            string_len(Orders::DetailAddress, 100).default(""),
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Orders::Table)
                    .value(Orders::SubtotalAmount, Expr::col(Orders::TotalAmount))
                    .to_owned(),
            )
            .await?;

        add(
            manager,
            Stores::Table,
            big_integer(Stores::ShippingFee).default(0),
        )
        .await?;
        add(
            manager,
            Stores::Table,
            big_integer_null(Stores::FreeShippingThreshold),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in [
            (
                Stores::Table.into_iden(),
                Stores::FreeShippingThreshold.into_iden(),
            ),
            (Stores::Table.into_iden(), Stores::ShippingFee.into_iden()),
            (Orders::Table.into_iden(), Orders::DetailAddress.into_iden()),
            (Orders::Table.into_iden(), Orders::RoadAddress.into_iden()),
            (Orders::Table.into_iden(), Orders::PostalCode.into_iden()),
            (Orders::Table.into_iden(), Orders::CouponId.into_iden()),
            (
                Orders::Table.into_iden(),
                Orders::DiscountAmount.into_iden(),
            ),
            (Orders::Table.into_iden(), Orders::ShippingFee.into_iden()),
            (
                Orders::Table.into_iden(),
                Orders::SubtotalAmount.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::DeliveredAt.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::ShippedAt.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::TrackingNumber.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::Carrier.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::ShippingFee.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::DiscountAmount.into_iden(),
            ),
            (
                OrderLines::Table.into_iden(),
                OrderLines::VariantId.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ProductVariants::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn stock_splits_evenly_remainder_first() {
        assert_eq!(split(7, 3), vec![3, 2, 2]);
        assert_eq!(split(0, 2), vec![0, 0]);
        assert_eq!(split(10, 5), vec![2; 5]);
        assert_eq!(split(-3, 2), vec![0, 0]);
    }
}
