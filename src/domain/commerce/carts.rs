//! Wishlist (COM-6) and cart (COM-7). Both are per buyer; the wishlist count
//! on a product moves with its rows, and every cart quantity is checked
//! against its variant's stock when it changes.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};

use super::catalog::json_list;
use crate::{
    db::begin_write,
    domain::execute_sql,
    entities::{
        cart_item,
        product::{self, ProductStatus},
        wishlist_item,
    },
    error::{AppError, AppResult},
};

/// Most of one product a cart line (or custom cart item) may hold.
pub const MAX_LINE_QUANTITY: i32 = 99;

/// An ACTIVE product, or `NOT_FOUND`.
pub async fn active_product(
    db: &impl ConnectionTrait,
    product_id: i64,
) -> AppResult<product::Model> {
    match product::Entity::find_by_id(product_id).one(db).await? {
        Some(p) if p.status == ProductStatus::Active => Ok(p),
        _ => Err(AppError::not_found("Product")),
    }
}

/// The option a line uses: one of the product's options, or "" when it has none.
pub fn check_option(product: &product::Model, option: Option<&str>) -> AppResult<String> {
    let options: Vec<String> = json_list(&product.options);
    let chosen = option.map(str::trim).unwrap_or_default();
    if options.is_empty() {
        if !chosen.is_empty() {
            return Err(AppError::validation(
                "option",
                "this product has no options",
            ));
        }
        return Ok(String::new());
    }
    options
        .iter()
        .find(|o| o.eq_ignore_ascii_case(chosen))
        .cloned()
        .ok_or_else(|| {
            AppError::validation("option", format!("choose one of: {}", options.join(", ")))
        })
}

pub fn check_quantity(quantity: i32) -> AppResult<i32> {
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(AppError::validation(
            "quantity",
            format!("`quantity` must be 1 to {MAX_LINE_QUANTITY}"),
        ));
    }
    Ok(quantity)
}

pub async fn add_to_wishlist(
    db: &DatabaseConnection,
    user_id: i64,
    product_id: i64,
) -> AppResult<()> {
    active_product(db, product_id).await?;
    let txn = begin_write(db).await?;
    let inserted = wishlist_item::Entity::insert(wishlist_item::ActiveModel {
        user_id: Set(user_id),
        product_id: Set(product_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        wishlist_item::Column::UserId,
        wishlist_item::Column::ProductId,
    ])
    .exec_without_returning(&txn)
    .await?;
    if matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        execute_sql(
            &txn,
            "UPDATE products SET wishlist_count = wishlist_count + 1, popularity = popularity + 2 WHERE id = ?",
            vec![product_id.into()],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn remove_from_wishlist(
    db: &DatabaseConnection,
    user_id: i64,
    product_id: i64,
) -> AppResult<bool> {
    let txn = begin_write(db).await?;
    let removed = wishlist_item::Entity::delete_many()
        .filter(wishlist_item::Column::UserId.eq(user_id))
        .filter(wishlist_item::Column::ProductId.eq(product_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 1 {
        execute_sql(
            &txn,
            "UPDATE products SET wishlist_count = wishlist_count - 1, popularity = popularity - 2 WHERE id = ?",
            vec![product_id.into()],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(removed == 1)
}

/// The buyer's wishlist, newest first, keyset on the wishlist row id.
pub async fn wishlist(
    db: &DatabaseConnection,
    user_id: i64,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<wishlist_item::Model>> {
    let mut query = wishlist_item::Entity::find().filter(wishlist_item::Column::UserId.eq(user_id));
    if let Some(after) = after_id {
        query = query.filter(wishlist_item::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(wishlist_item::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Adds `quantity` of a product (and option) to the cart, merging with an
/// existing line. The merged quantity must be in stock.
pub async fn add_to_cart(
    db: &DatabaseConnection,
    user_id: i64,
    product_id: i64,
    option: Option<&str>,
    quantity: i32,
) -> AppResult<cart_item::Model> {
    let quantity = check_quantity(quantity)?;
    let txn = begin_write(db).await?;
    let line = add_line(&txn, user_id, product_id, option, quantity).await?;
    txn.commit().await?;
    Ok(line)
}

/// The cart write shared by `addToCart` and `addCustomCartToCart`.
pub async fn add_line(
    txn: &impl ConnectionTrait,
    user_id: i64,
    product_id: i64,
    option: Option<&str>,
    quantity: i32,
) -> AppResult<cart_item::Model> {
    let product = active_product(txn, product_id).await?;
    let option = check_option(&product, option)?;
    let existing = cart_item::Entity::find()
        .filter(cart_item::Column::UserId.eq(user_id))
        .filter(cart_item::Column::ProductId.eq(product_id))
        .filter(cart_item::Column::OptionValue.eq(option.as_str()))
        .one(txn)
        .await?;
    let total = existing.as_ref().map_or(0, |l| l.quantity) + quantity;
    if total > MAX_LINE_QUANTITY {
        return Err(AppError::validation(
            "quantity",
            format!("a cart line holds at most {MAX_LINE_QUANTITY}"),
        ));
    }
    let variant = super::variants::by_label(txn, product_id, &option).await?;
    if i64::from(total) > variant.stock {
        return Err(AppError::OutOfStock { product_id });
    }
    let now = Utc::now();
    let line = match existing {
        Some(line) => {
            let mut active: cart_item::ActiveModel = line.into();
            active.quantity = Set(total);
            active.updated_at = Set(now);
            active.update(txn).await?
        }
        None => {
            cart_item::ActiveModel {
                user_id: Set(user_id),
                product_id: Set(product_id),
                option_value: Set(option),
                quantity: Set(quantity),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await
            .map_err(|e| match e.sql_err() {
                // The same line added twice at the same instant (PostgreSQL).
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    AppError::conflict("productId", "the cart changed at the same time; retry")
                }
                _ => e.into(),
            })?
        }
    };
    Ok(line)
}

async fn own_line(
    db: &impl ConnectionTrait,
    user_id: i64,
    item_id: i64,
) -> AppResult<cart_item::Model> {
    cart_item::Entity::find_by_id(item_id)
        .filter(cart_item::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("CartItem"))
}

pub async fn update_quantity(
    db: &DatabaseConnection,
    user_id: i64,
    item_id: i64,
    quantity: i32,
) -> AppResult<cart_item::Model> {
    let quantity = check_quantity(quantity)?;
    let line = own_line(db, user_id, item_id).await?;
    let product = active_product(db, line.product_id).await?;
    let variant = super::variants::by_label(db, product.id, &line.option_value).await?;
    if i64::from(quantity) > variant.stock {
        return Err(AppError::OutOfStock {
            product_id: product.id,
        });
    }
    let mut active: cart_item::ActiveModel = line.into();
    active.quantity = Set(quantity);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

pub async fn remove(db: &DatabaseConnection, user_id: i64, item_id: i64) -> AppResult<()> {
    let line = own_line(db, user_id, item_id).await?;
    cart_item::Entity::delete_by_id(line.id).exec(db).await?;
    Ok(())
}

/// Every line of the buyer's cart, oldest first.
pub async fn lines(db: &impl ConnectionTrait, user_id: i64) -> AppResult<Vec<cart_item::Model>> {
    Ok(cart_item::Entity::find()
        .filter(cart_item::Column::UserId.eq(user_id))
        .order_by_asc(cart_item::Column::Id)
        .limit(500)
        .all(db)
        .await?)
}
