//! Custom carts (COM-8): named, curated carts kept PRIVATE, UNLISTED (readable
//! by anyone holding the share slug) or PUBLIC; anyone who may read one can
//! copy it into their own cart in one step.
use chrono::Utc;
use rand::{Rng, distr::Alphanumeric};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use super::carts::{self, active_product, check_option, check_quantity};
use crate::{
    db::begin_write,
    domain::{execute_sql, text},
    entities::{
        custom_cart::{self, Visibility, item},
        user::{self, Role},
    },
    error::{AppError, AppResult},
};

pub const MAX_ITEMS: i32 = 100;

/// How a reader names a custom cart.
#[derive(Clone, Debug)]
pub enum CartRef {
    Id(i64),
    Slug(String),
}

fn new_slug() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Whether `viewer` may read `cart` reached through `by`.
/// PRIVATE: owner (and admins). UNLISTED: also anyone with the slug.
/// PUBLIC: anyone.
/// Whether `viewer` sees the cart's share slug: its owner always, everyone
/// for carts that are not PRIVATE (a reader holding an UNLISTED cart has it
/// already).
pub fn share_slug_visible(cart: &custom_cart::Model, viewer: Option<&user::Model>) -> bool {
    viewer.is_some_and(|v| v.id == cart.owner_id) || cart.visibility != Visibility::Private
}

pub fn readable(cart: &custom_cart::Model, by: &CartRef, viewer: Option<&user::Model>) -> bool {
    let privileged = viewer.is_some_and(|v| v.id == cart.owner_id || v.role == Role::Admin);
    match cart.visibility {
        Visibility::Public => true,
        Visibility::Unlisted => privileged || matches!(by, CartRef::Slug(_)),
        Visibility::Private => privileged,
    }
}

/// The cart named by `by` if `viewer` may read it; `None` otherwise (an
/// unreadable cart is indistinguishable from a missing one).
pub async fn find_readable(
    db: &impl ConnectionTrait,
    by: &CartRef,
    viewer: Option<&user::Model>,
) -> AppResult<Option<custom_cart::Model>> {
    let found = match by {
        CartRef::Id(id) => custom_cart::Entity::find_by_id(*id).one(db).await?,
        CartRef::Slug(slug) => {
            custom_cart::Entity::find()
                .filter(custom_cart::Column::ShareSlug.eq(slug.as_str()))
                .one(db)
                .await?
        }
    };
    Ok(found.filter(|c| readable(c, by, viewer)))
}

async fn owned(
    db: &impl ConnectionTrait,
    owner_id: i64,
    cart_id: i64,
) -> AppResult<custom_cart::Model> {
    custom_cart::Entity::find_by_id(cart_id)
        .filter(custom_cart::Column::OwnerId.eq(owner_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("CustomCart"))
}

pub async fn create(
    db: &DatabaseConnection,
    owner_id: i64,
    title: &str,
    description: Option<&str>,
    visibility: Visibility,
) -> AppResult<custom_cart::Model> {
    let now = Utc::now();
    Ok(custom_cart::ActiveModel {
        owner_id: Set(owner_id),
        title: Set(text("title", title, 1, 80, false)?),
        description: Set(text(
            "description",
            description.unwrap_or(""),
            0,
            1000,
            true,
        )?),
        visibility: Set(visibility),
        share_slug: Set(new_slug()),
        item_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub struct CartUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
    /// Issue a new share slug; the old link stops working.
    pub regenerate_slug: bool,
}

pub async fn update(
    db: &DatabaseConnection,
    owner_id: i64,
    cart_id: i64,
    input: CartUpdate,
) -> AppResult<custom_cart::Model> {
    let cart = owned(db, owner_id, cart_id).await?;
    let mut active = cart.into_active_model();
    if let Some(title) = &input.title {
        active.title = Set(text("title", title, 1, 80, false)?);
    }
    if let Some(description) = &input.description {
        active.description = Set(text("description", description, 0, 1000, true)?);
    }
    if let Some(visibility) = input.visibility {
        active.visibility = Set(visibility);
    }
    if input.regenerate_slug {
        active.share_slug = Set(new_slug());
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

pub async fn delete(db: &DatabaseConnection, owner_id: i64, cart_id: i64) -> AppResult<()> {
    let cart = owned(db, owner_id, cart_id).await?;
    let txn = begin_write(db).await?;
    item::Entity::delete_many()
        .filter(item::Column::CustomCartId.eq(cart.id))
        .exec(&txn)
        .await?;
    custom_cart::Entity::delete_by_id(cart.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// An item to put into a custom cart.
#[derive(Clone, Copy, Debug)]
pub struct NewItem<'a> {
    pub product_id: i64,
    /// The product option; required when the product has options.
    pub option: Option<&'a str>,
    pub quantity: i32,
    pub note: Option<&'a str>,
}

/// Adds a product (merging with the same product and option) with a note.
pub async fn add_item(
    db: &DatabaseConnection,
    owner_id: i64,
    cart_id: i64,
    new: NewItem<'_>,
) -> AppResult<item::Model> {
    let NewItem {
        product_id,
        option,
        quantity,
        note,
    } = new;
    let quantity = check_quantity(quantity)?;
    let note = text("note", note.unwrap_or(""), 0, 500, true)?;
    let txn = begin_write(db).await?;
    let cart = owned(&txn, owner_id, cart_id).await?;
    let product = active_product(&txn, product_id).await?;
    let option = check_option(&product, option)?;
    let existing = item::Entity::find()
        .filter(item::Column::CustomCartId.eq(cart.id))
        .filter(item::Column::ProductId.eq(product_id))
        .filter(item::Column::OptionValue.eq(option.as_str()))
        .one(&txn)
        .await?;
    let saved = match existing {
        Some(row) => {
            let merged = (row.quantity + quantity).min(carts::MAX_LINE_QUANTITY);
            let mut active = row.into_active_model();
            active.quantity = Set(merged);
            if !note.is_empty() {
                active.note = Set(note);
            }
            active.update(&txn).await?
        }
        None => {
            if cart.item_count >= MAX_ITEMS {
                return Err(AppError::validation(
                    "customCartId",
                    format!("a custom cart holds at most {MAX_ITEMS} items"),
                ));
            }
            let row = item::ActiveModel {
                custom_cart_id: Set(cart.id),
                product_id: Set(product_id),
                option_value: Set(option),
                quantity: Set(quantity),
                note: Set(note),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            execute_sql(
                &txn,
                "UPDATE custom_carts SET item_count = item_count + 1 WHERE id = ?",
                vec![cart.id.into()],
            )
            .await?;
            row
        }
    };
    execute_sql(
        &txn,
        "UPDATE custom_carts SET updated_at = ? WHERE id = ?",
        vec![Utc::now().into(), cart.id.into()],
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn remove_item(
    db: &DatabaseConnection,
    owner_id: i64,
    item_id: i64,
) -> AppResult<custom_cart::Model> {
    let txn = begin_write(db).await?;
    let row = item::Entity::find_by_id(item_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("CustomCartItem"))?;
    let cart = owned(&txn, owner_id, row.custom_cart_id)
        .await
        .map_err(|_| AppError::not_found("CustomCartItem"))?;
    item::Entity::delete_by_id(row.id).exec(&txn).await?;
    execute_sql(
        &txn,
        "UPDATE custom_carts SET item_count = item_count - 1 WHERE id = ?",
        vec![cart.id.into()],
    )
    .await?;
    let cart = owned(&txn, owner_id, cart.id).await?;
    txn.commit().await?;
    Ok(cart)
}

pub async fn items(db: &impl ConnectionTrait, cart_id: i64) -> AppResult<Vec<item::Model>> {
    Ok(item::Entity::find()
        .filter(item::Column::CustomCartId.eq(cart_id))
        .order_by_asc(item::Column::Id)
        .all(db)
        .await?)
}

/// The owner's custom carts, newest first.
pub async fn list_owned(
    db: &DatabaseConnection,
    owner_id: i64,
    after_id: Option<i64>,
    limit: u64,
) -> AppResult<Vec<custom_cart::Model>> {
    let mut query = custom_cart::Entity::find().filter(custom_cart::Column::OwnerId.eq(owner_id));
    if let Some(after) = after_id {
        query = query.filter(custom_cart::Column::Id.lt(after));
    }
    Ok(query
        .order_by_desc(custom_cart::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// What copying a custom cart into a cart did, item by item.
#[derive(Debug, Default)]
pub struct CopyOutcome {
    pub added: Vec<i64>,
    /// `(product id, reason code)` for items that could not be added.
    pub skipped: Vec<(i64, &'static str)>,
}

/// Copies every item the reader can buy into their cart, in one transaction.
/// Items no longer on sale or out of stock are reported, not fatal.
pub async fn copy_to_cart(
    db: &DatabaseConnection,
    reader: &user::Model,
    by: &CartRef,
) -> AppResult<CopyOutcome> {
    let txn = begin_write(db).await?;
    let cart = find_readable(&txn, by, Some(reader))
        .await?
        .ok_or_else(|| AppError::not_found("CustomCart"))?;
    let mut outcome = CopyOutcome::default();
    for row in items(&txn, cart.id).await? {
        match carts::add_line(
            &txn,
            reader.id,
            row.product_id,
            Some(row.option_value.as_str()),
            row.quantity,
        )
        .await
        {
            Ok(_) => outcome.added.push(row.product_id),
            Err(AppError::NotFound { .. }) => {
                outcome.skipped.push((row.product_id, "NOT_AVAILABLE"))
            }
            Err(AppError::OutOfStock { .. }) => {
                outcome.skipped.push((row.product_id, "OUT_OF_STOCK"))
            }
            Err(AppError::Validation { .. }) => outcome
                .skipped
                .push((row.product_id, "INVALID_OPTION_OR_QUANTITY")),
            Err(e) => return Err(e),
        }
    }
    txn.commit().await?;
    Ok(outcome)
}
