//! Product variants (issue 22): a product comes in sizes and/or colours,
//! each a variant with its own SKU, stock and optional price override.
//!
//! A variant's `label` ("M", "M / Black", "" for a product without options)
//! is how carts, custom carts and order lines name it; it is unique per
//! product and fixed (a variant's size and colour cannot change; add another
//! and remove the old one). The product's `options` list is its variants'
//! labels, and `products.stock` is the sum of its variants' stock: every
//! stock change updates both in the same transaction, the variant with a
//! conditional update (`stock = stock - n WHERE stock >= n`).
use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};

use super::catalog::{check_price, check_stock};
use crate::{
    db::begin_write,
    domain::{execute_sql, text},
    entities::{cart_item, product, product_variant as variant, user},
    error::{AppError, AppResult},
    events::{DomainEvent, EventBus},
};

pub const MAX_VARIANTS: usize = 100;
const MAX_OPTION_CHARS: usize = 30;

/// A variant as a seller describes it.
#[derive(Clone, Debug, Default)]
pub struct VariantInput {
    pub size: Option<String>,
    pub color: Option<String>,
    /// Generated (`P<product>-<n>`) when absent.
    pub sku: Option<String>,
    pub stock: i64,
    pub price: Option<i64>,
}

/// A checked variant, ready to insert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedVariant {
    pub size: Option<String>,
    pub color: Option<String>,
    pub label: String,
    pub sku: Option<String>,
    pub stock: i64,
    pub price: Option<i64>,
}

/// "M / Black", "M", "Black", or "" when neither is set.
pub fn label(size: Option<&str>, color: Option<&str>) -> String {
    match (size, color) {
        (Some(s), Some(c)) => format!("{s} / {c}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
}

fn option_value(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            let v = text(field, v, 1, MAX_OPTION_CHARS, false)?;
            if v.contains('/') {
                return Err(AppError::validation(
                    field,
                    format!("`{field}` may not contain `/`"),
                ));
            }
            Ok(Some(v))
        }
    }
}

fn check_sku(raw: &str) -> AppResult<String> {
    let sku = raw.trim();
    if sku.is_empty()
        || sku.len() > 64
        || !sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(AppError::validation(
            "sku",
            "`sku` must be 1 to 64 letters, digits, - _ or .",
        ));
    }
    Ok(sku.to_owned())
}

/// One variant input checked on its own.
pub fn check_one(input: &VariantInput) -> AppResult<CheckedVariant> {
    let size = option_value("size", input.size.as_deref())?;
    let color = option_value("color", input.color.as_deref())?;
    Ok(CheckedVariant {
        label: label(size.as_deref(), color.as_deref()),
        size,
        color,
        sku: input.sku.as_deref().map(check_sku).transpose()?,
        stock: check_stock(input.stock)?,
        price: input.price.map(check_price).transpose()?,
    })
}

/// A product's whole variant list: 1 to [`MAX_VARIANTS`], labels and SKUs
/// unique (case-insensitively), and either one default variant (no size,
/// no colour) or none.
pub fn check(inputs: &[VariantInput]) -> AppResult<Vec<CheckedVariant>> {
    if inputs.is_empty() || inputs.len() > MAX_VARIANTS {
        return Err(AppError::validation(
            "variants",
            format!("a product has 1 to {MAX_VARIANTS} variants"),
        ));
    }
    let checked: Vec<CheckedVariant> = inputs.iter().map(check_one).collect::<AppResult<_>>()?;
    let mut labels = BTreeSet::new();
    let mut skus = BTreeSet::new();
    for v in &checked {
        if !labels.insert(v.label.to_lowercase()) {
            return Err(AppError::validation(
                "variants",
                format!("two variants are both `{}`", v.label),
            ));
        }
        if let Some(sku) = &v.sku
            && !skus.insert(sku.to_lowercase())
        {
            return Err(AppError::validation(
                "sku",
                format!("SKU `{sku}` is used twice"),
            ));
        }
    }
    if checked.len() > 1 && checked.iter().any(|v| v.label.is_empty()) {
        return Err(AppError::validation(
            "variants",
            "every variant of a product with several needs a size or a colour",
        ));
    }
    Ok(checked)
}

/// `stock` split over `n` options: even, the remainder to the first ones
/// (the rule existing products migrated with: 7 over S, M, L → 3, 2, 2).
pub fn split_stock(stock: i64, n: usize) -> Vec<i64> {
    let n = n.max(1) as i64;
    let (each, rest) = (stock.max(0) / n, stock.max(0) % n);
    (0..n).map(|i| each + i64::from(i < rest)).collect()
}

/// The variants of a product created the old way: one per option (a size)
/// with the stock split, or one default variant.
pub fn from_options(options: &[String], stock: i64) -> Vec<CheckedVariant> {
    if options.is_empty() {
        return vec![CheckedVariant {
            size: None,
            color: None,
            label: String::new(),
            sku: None,
            stock,
            price: None,
        }];
    }
    options
        .iter()
        .zip(split_stock(stock, options.len()))
        .map(|(o, stock)| CheckedVariant {
            size: Some(o.clone()),
            color: None,
            label: o.clone(),
            sku: None,
            stock,
            price: None,
        })
        .collect()
}

/// Inserts `variants` for a product, numbering generated SKUs after `first_position`.
pub async fn insert_all(
    txn: &impl ConnectionTrait,
    product_id: i64,
    variants: &[CheckedVariant],
    first_position: i32,
) -> AppResult<Vec<variant::Model>> {
    let now = Utc::now();
    let mut out = Vec::with_capacity(variants.len());
    for (i, v) in variants.iter().enumerate() {
        let position = first_position + i as i32;
        let sku = v.sku.clone().unwrap_or_else(|| {
            if v.label.is_empty() {
                format!("P{product_id}")
            } else {
                format!("P{product_id}-{}", position + 1)
            }
        });
        let inserted = variant::ActiveModel {
            product_id: Set(product_id),
            sku: Set(sku),
            size: Set(v.size.clone()),
            color: Set(v.color.clone()),
            label: Set(v.label.clone()),
            stock: Set(v.stock),
            price: Set(v.price),
            position: Set(position),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(
                "sku",
                "this product already has a variant with that SKU or label",
            ),
            _ => e.into(),
        })?;
        out.push(inserted);
    }
    Ok(out)
}

/// A product's variants in their listed order.
pub async fn of_product(
    db: &impl ConnectionTrait,
    product_id: i64,
) -> AppResult<Vec<variant::Model>> {
    Ok(variant::Entity::find()
        .filter(variant::Column::ProductId.eq(product_id))
        .order_by_asc(variant::Column::Position)
        .order_by_asc(variant::Column::Id)
        .all(db)
        .await?)
}

/// The variants of many products at once (for the DataLoader).
pub async fn of_products(
    db: &impl ConnectionTrait,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<variant::Model>>> {
    let rows = variant::Entity::find()
        .filter(variant::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(variant::Column::Position)
        .order_by_asc(variant::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<variant::Model>> = HashMap::new();
    for row in rows {
        out.entry(row.product_id).or_default().push(row);
    }
    Ok(out)
}

/// The variant a checked option label names (see `carts::check_option`).
pub async fn by_label(
    db: &impl ConnectionTrait,
    product_id: i64,
    label: &str,
) -> AppResult<variant::Model> {
    variant::Entity::find()
        .filter(variant::Column::ProductId.eq(product_id))
        .filter(variant::Column::Label.eq(label))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("option", "this option is no longer sold"))
}

/// Takes `quantity` of a variant: the variant and the product's total move
/// together, and only when the variant has that much left.
pub async fn take(
    txn: &impl ConnectionTrait,
    variant: &variant::Model,
    quantity: i32,
) -> AppResult<()> {
    let taken = execute_sql(
        txn,
        "UPDATE product_variants SET stock = stock - ? WHERE id = ? AND stock >= ?",
        vec![quantity.into(), variant.id.into(), quantity.into()],
    )
    .await?;
    if taken.rows_affected() != 1 {
        return Err(AppError::OutOfStock {
            product_id: variant.product_id,
        });
    }
    let product = execute_sql(
        txn,
        "UPDATE products SET stock = stock - ?, sold_count = sold_count + ?, popularity = popularity + ? \
         WHERE id = ? AND status = 'ACTIVE'",
        vec![
            quantity.into(),
            quantity.into(),
            (3 * quantity).into(),
            variant.product_id.into(),
        ],
    )
    .await?;
    if product.rows_affected() != 1 {
        return Err(AppError::not_found("Product"));
    }
    Ok(())
}

/// Gives `quantity` back (a cancelled or returned line). A line whose
/// variant was since removed gives nothing back: it is no longer sold.
pub async fn give_back(
    txn: &impl ConnectionTrait,
    product_id: i64,
    variant_id: Option<i64>,
    quantity: i32,
) -> AppResult<()> {
    let restocked = match variant_id {
        Some(id) => {
            execute_sql(
                txn,
                "UPDATE product_variants SET stock = stock + ? WHERE id = ?",
                vec![quantity.into(), id.into()],
            )
            .await?
            .rows_affected()
                == 1
        }
        None => false,
    };
    let back = if restocked { quantity } else { 0 };
    execute_sql(
        txn,
        "UPDATE products SET stock = stock + ?, sold_count = sold_count - ?, popularity = popularity - ? WHERE id = ?",
        vec![back.into(), quantity.into(), (3 * quantity).into(), product_id.into()],
    )
    .await?;
    Ok(())
}

/// Re-derives the product's `options` and `stock` from its variants (after
/// a variant is added or removed; stock moves themselves are conditional
/// updates).
async fn resync_product(txn: &impl ConnectionTrait, product_id: i64) -> AppResult<()> {
    let all = of_product(txn, product_id).await?;
    let labels: Vec<&str> = all
        .iter()
        .map(|v| v.label.as_str())
        .filter(|l| !l.is_empty())
        .collect();
    product::Entity::update_many()
        .col_expr(
            product::Column::Options,
            Expr::value(serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into())),
        )
        .col_expr(
            product::Column::Stock,
            Expr::value(all.iter().map(|v| v.stock).sum::<i64>()),
        )
        .col_expr(product::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(product::Column::Id.eq(product_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// `updateProduct(options)`: options newly listed become size variants with
/// no stock; options no longer listed lose their variants (and the cart
/// lines that chose them); the rest keep their stock.
pub async fn sync_options(
    txn: &impl ConnectionTrait,
    product_id: i64,
    options: &[String],
) -> AppResult<()> {
    let existing = of_product(txn, product_id).await?;
    let wanted: Vec<CheckedVariant> = from_options(options, 0);
    let gone: Vec<&variant::Model> = existing
        .iter()
        .filter(|v| {
            !wanted
                .iter()
                .any(|w| w.label.eq_ignore_ascii_case(&v.label))
        })
        .collect();
    let new: Vec<CheckedVariant> = wanted
        .into_iter()
        .filter(|w| {
            !existing
                .iter()
                .any(|v| v.label.eq_ignore_ascii_case(&w.label))
        })
        .collect();
    delete(txn, product_id, &gone).await?;
    let next = existing.iter().map(|v| v.position).max().unwrap_or(-1) + 1;
    insert_all(txn, product_id, &new, next).await?;
    resync_product(txn, product_id).await
}

async fn delete(
    txn: &impl ConnectionTrait,
    product_id: i64,
    gone: &[&variant::Model],
) -> AppResult<()> {
    if gone.is_empty() {
        return Ok(());
    }
    cart_item::Entity::delete_many()
        .filter(cart_item::Column::ProductId.eq(product_id))
        .filter(cart_item::Column::OptionValue.is_in(gone.iter().map(|v| v.label.clone())))
        .exec(txn)
        .await?;
    variant::Entity::delete_many()
        .filter(variant::Column::Id.is_in(gone.iter().map(|v| v.id)))
        .exec(txn)
        .await?;
    Ok(())
}

/// `updateProduct(stock)` on a product with a single variant sets that
/// variant's stock; with several, stock is set per variant.
pub async fn set_single_stock(
    txn: &impl ConnectionTrait,
    product_id: i64,
    stock: i64,
) -> AppResult<()> {
    let all = of_product(txn, product_id).await?;
    let [only] = all.as_slice() else {
        return Err(AppError::validation(
            "stock",
            "this product has several variants: set the stock of each with updateProductVariant",
        ));
    };
    set_stock(txn, only, check_stock(stock)?).await
}

/// Sets a variant's stock and moves the product's total by the difference,
/// conditional on the stock read (a concurrent order makes it a CONFLICT).
async fn set_stock(txn: &impl ConnectionTrait, v: &variant::Model, stock: i64) -> AppResult<()> {
    let moved = execute_sql(
        txn,
        "UPDATE product_variants SET stock = ?, updated_at = ? WHERE id = ? AND stock = ?",
        vec![stock.into(), Utc::now().into(), v.id.into(), v.stock.into()],
    )
    .await?;
    if moved.rows_affected() != 1 {
        return Err(AppError::conflict(
            "stock",
            "the stock changed at the same time (an order?); reload and retry",
        ));
    }
    execute_sql(
        txn,
        "UPDATE products SET stock = stock + ? WHERE id = ?",
        vec![(stock - v.stock).into(), v.product_id.into()],
    )
    .await?;
    Ok(())
}

/// The variant `variant_id` of a product `seller` may change.
async fn owned_variant(
    db: &impl ConnectionTrait,
    seller: &user::Model,
    variant_id: i64,
) -> AppResult<variant::Model> {
    let found = variant::Entity::find_by_id(variant_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("ProductVariant"))?;
    super::catalog::owned_product(db, seller, found.product_id).await?;
    Ok(found)
}

/// `addProductVariant`. Adding a sized or coloured variant to a product that
/// had only its default variant replaces the default (its stock goes with it:
/// the seller now counts stock per variant).
pub async fn add(
    db: &DatabaseConnection,
    events: &EventBus,
    seller: &user::Model,
    product_id: i64,
    input: VariantInput,
) -> AppResult<variant::Model> {
    let checked = check_one(&input)?;
    if checked.label.is_empty() {
        return Err(AppError::validation(
            "size",
            "a new variant needs a size or a colour",
        ));
    }
    super::catalog::owned_product(db, seller, product_id).await?;
    let txn = begin_write(db).await?;
    let existing = of_product(&txn, product_id).await?;
    if existing.len() >= MAX_VARIANTS {
        return Err(AppError::validation(
            "variants",
            format!("a product has at most {MAX_VARIANTS} variants"),
        ));
    }
    if existing
        .iter()
        .any(|v| v.label.eq_ignore_ascii_case(&checked.label))
    {
        return Err(AppError::conflict(
            "size",
            format!("`{}` exists already", checked.label),
        ));
    }
    let defaults: Vec<&variant::Model> = existing.iter().filter(|v| v.label.is_empty()).collect();
    delete(&txn, product_id, &defaults).await?;
    let next = existing.iter().map(|v| v.position).max().unwrap_or(-1) + 1;
    let mut added = insert_all(&txn, product_id, std::slice::from_ref(&checked), next).await?;
    resync_product(&txn, product_id).await?;
    txn.commit().await?;
    events.publish(DomainEvent::ProductChanged { product_id });
    added
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("variant insert returned nothing")))
}

/// What `updateProductVariant` may change.
#[derive(Clone, Debug, Default)]
pub struct VariantChange {
    pub sku: Option<String>,
    pub stock: Option<i64>,
    pub price: Option<Option<i64>>,
}

pub async fn update(
    db: &DatabaseConnection,
    events: &EventBus,
    seller: &user::Model,
    variant_id: i64,
    change: VariantChange,
) -> AppResult<variant::Model> {
    let found = owned_variant(db, seller, variant_id).await?;
    let sku = change.sku.as_deref().map(check_sku).transpose()?;
    let price = change
        .price
        .map(|p| p.map(check_price).transpose())
        .transpose()?;
    let txn = begin_write(db).await?;
    if let Some(stock) = change.stock {
        set_stock(&txn, &found, check_stock(stock)?).await?;
    }
    let mut active = variant::ActiveModel {
        id: Set(found.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(sku) = sku {
        active.sku = Set(sku);
    }
    if let Some(price) = price {
        active.price = Set(price);
    }
    active.update(&txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("sku", "another variant of this product has that SKU")
        }
        _ => e.into(),
    })?;
    let updated = variant::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("ProductVariant"))?;
    txn.commit().await?;
    events.publish(DomainEvent::ProductChanged {
        product_id: found.product_id,
    });
    Ok(updated)
}

/// `removeProductVariant`: never the last one; cart lines that chose it go.
pub async fn remove(
    db: &DatabaseConnection,
    events: &EventBus,
    seller: &user::Model,
    variant_id: i64,
) -> AppResult<i64> {
    let found = owned_variant(db, seller, variant_id).await?;
    let txn = begin_write(db).await?;
    if of_product(&txn, found.product_id).await?.len() <= 1 {
        return Err(AppError::conflict(
            "id",
            "a product keeps at least one variant; hide the product instead",
        ));
    }
    delete(&txn, found.product_id, &[&found]).await?;
    resync_product(&txn, found.product_id).await?;
    txn.commit().await?;
    events.publish(DomainEvent::ProductChanged {
        product_id: found.product_id,
    });
    Ok(found.product_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(size: Option<&str>, color: Option<&str>) -> VariantInput {
        VariantInput {
            size: size.map(Into::into),
            color: color.map(Into::into),
            stock: 3,
            ..Default::default()
        }
    }

    #[test]
    fn labels_and_checks() {
        assert_eq!(label(Some("M"), Some("Black")), "M / Black");
        assert_eq!(label(None, Some("Black")), "Black");
        assert_eq!(label(None, None), "");
        let ok = check(&[input(Some("S"), Some("Red")), input(Some("M"), Some("Red"))]).unwrap();
        assert_eq!(ok[1].label, "M / Red");
        assert!(check(&[]).is_err());
        assert!(check(&[input(Some("M"), None), input(Some("m"), None)]).is_err());
        assert!(check(&[input(None, None), input(Some("M"), None)]).is_err());
        assert!(check(&[input(Some("M/L"), None)]).is_err());
        let mut bad = input(Some("M"), None);
        bad.stock = -1;
        assert!(check(&[bad]).is_err());
        let mut sku = input(Some("M"), None);
        sku.sku = Some("has space".into());
        assert!(check(&[sku]).is_err());
    }

    #[test]
    fn stock_split_sums_and_is_fair() {
        for stock in 0..40 {
            for n in 1..7 {
                let parts = split_stock(stock, n);
                assert_eq!(parts.iter().sum::<i64>(), stock);
                let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
                assert!(hi - lo <= 1);
                assert!(parts.windows(2).all(|w| w[0] >= w[1]));
            }
        }
        let old = from_options(&["S".into(), "M".into(), "L".into()], 7);
        assert_eq!(
            old.iter().map(|v| v.stock).collect::<Vec<_>>(),
            vec![3, 2, 2]
        );
        assert_eq!(from_options(&[], 9)[0].label, "");
    }
}
