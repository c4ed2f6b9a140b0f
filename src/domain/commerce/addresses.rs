//! The address book (EXT-2): a user's Korean delivery addresses, at most
//! [`MAX_ADDRESSES`], exactly one of them the default while any exist, and
//! the checks every address passes, in the book or typed into an order
//! ([`check`]). `placeOrder` copies an address onto the order
//! ([`snapshot_for_order`], [`default_of`]), so later edits of the book do
//! not change past orders.
//!
//! Every write of a user's book runs in one transaction that first takes a
//! per-user lock (PostgreSQL: the user's row `FOR NO KEY UPDATE`; SQLite:
//! `BEGIN IMMEDIATE` already serialises writers): two concurrent "make this
//! the default" calls, or two first saves, then cannot both see the old
//! state. A partial unique index backs "at most one default" in the schema.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};

use crate::{
    db::begin_write,
    domain::{execute_sql, text},
    entities::address,
    error::{AppError, AppResult},
};

/// Most addresses one user may keep.
pub const MAX_ADDRESSES: u64 = 20;

/// A validated address as stored on an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressSnapshot {
    pub recipient: String,
    /// Normalised with hyphens (`010-1234-5678`).
    pub phone: String,
    pub postal_code: String,
    pub road_address: String,
    pub detail_address: String,
}

/// An address as typed by the user, unchecked.
#[derive(Clone, Debug, Default)]
pub struct AddressInput {
    pub recipient: String,
    pub phone: String,
    pub postal_code: String,
    pub road_address: String,
    pub detail_address: String,
}

/// Checks an address; each bad field is a VALIDATION error naming it (the
/// GraphQL input's field name).
pub fn check(input: AddressInput) -> AppResult<AddressSnapshot> {
    Ok(AddressSnapshot {
        recipient: text("recipient", &input.recipient, 1, 30, false)?,
        phone: phone(&input.phone)?,
        postal_code: postal_code(&input.postal_code)?,
        road_address: text("roadAddress", &input.road_address, 1, 200, false)?,
        detail_address: text("detailAddress", &input.detail_address, 0, 100, false)?,
    })
}

/// A postal code of the 2015 system: exactly five digits.
fn postal_code(raw: &str) -> AppResult<String> {
    let value = raw.trim();
    if value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(AppError::validation(
            "postalCode",
            "`postalCode` must be the 5-digit postal code",
        ))
    }
}

/// Area codes of Korean landlines besides Seoul's `02`.
const AREA_CODES: [&str; 16] = [
    "031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061",
    "062", "063", "064",
];

/// A Korean phone number, with or without hyphens (or spaces, or `+82`),
/// normalised to the hyphenated form: mobile `010-XXXX-XXXX` (`011`, `016`
/// … `019` also with 3-digit middles), Seoul `02-XXX(X)-XXXX`, other areas
/// `0XX-XXX(X)-XXXX`, internet phones `070-XXXX-XXXX`.
pub fn phone(raw: &str) -> AppResult<String> {
    let bad = || {
        AppError::validation(
            "phone",
            "`phone` must be a Korean phone number such as 010-1234-5678 or 02-123-4567",
        )
    };
    let trimmed = raw.trim();
    let local = match trimmed.strip_prefix("+82") {
        Some(rest) => format!(
            "0{}",
            rest.trim_start_matches([' ', '-']).trim_start_matches('0')
        ),
        None => trimmed.to_owned(),
    };
    if !local
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
    {
        return Err(bad());
    }
    let digits: String = local.chars().filter(char::is_ascii_digit).collect();
    let (prefix, rest) = if digits.starts_with("02") {
        digits.split_at(2)
    } else if digits.len() >= 3 {
        digits.split_at(3)
    } else {
        return Err(bad());
    };
    let middle_lengths: &[usize] = match prefix {
        "02" => &[3, 4],
        "010" | "070" => &[4],
        "011" | "016" | "017" | "018" | "019" => &[3, 4],
        p if AREA_CODES.contains(&p) => &[3, 4],
        _ => return Err(bad()),
    };
    let middle = rest.len().checked_sub(4).ok_or_else(bad)?;
    // Subscriber numbers never start with 0 (`020…` is no area code).
    if !middle_lengths.contains(&middle) || rest.starts_with('0') {
        return Err(bad());
    }
    let (mid, last) = rest.split_at(middle);
    Ok(format!("{prefix}-{mid}-{last}"))
}

impl From<&address::Model> for AddressSnapshot {
    fn from(a: &address::Model) -> Self {
        Self {
            recipient: a.recipient.clone(),
            phone: a.phone.clone(),
            postal_code: a.postal_code.clone(),
            road_address: a.road_address.clone(),
            detail_address: a.detail_address.clone(),
        }
    }
}

/// The buyer's address `address_id` as it is now, for an order; marks it
/// used (so it is the one promoted if the default is deleted). NOT_FOUND if
/// it is not the buyer's. Meant for `placeOrder`'s transaction.
pub async fn snapshot_for_order(
    db: &impl ConnectionTrait,
    buyer_id: i64,
    address_id: i64,
) -> AppResult<AddressSnapshot> {
    let found = owned(db, buyer_id, address_id).await?;
    address::Entity::update_many()
        .col_expr(address::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(address::Column::Id.eq(found.id))
        .exec(db)
        .await?;
    Ok(AddressSnapshot::from(&found))
}

/// The buyer's default address, if they have any address.
pub async fn default_of(
    db: &impl ConnectionTrait,
    buyer_id: i64,
) -> AppResult<Option<address::Model>> {
    Ok(address::Entity::find()
        .filter(address::Column::UserId.eq(buyer_id))
        .filter(address::Column::IsDefault.eq(true))
        .one(db)
        .await?)
}

/// The user's address `id`; NOT_FOUND when it is someone else's.
pub async fn owned(db: &impl ConnectionTrait, user_id: i64, id: i64) -> AppResult<address::Model> {
    address::Entity::find_by_id(id)
        .filter(address::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Address"))
}

/// Where a page of the book starts: after this (default?, id).
pub type Cursor = (bool, i64);

/// The user's addresses, the default first, then newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    after: Option<Cursor>,
    limit: u64,
) -> AppResult<Vec<address::Model>> {
    let mut query = address::Entity::find().filter(address::Column::UserId.eq(user_id));
    if let Some((is_default, id)) = after {
        let mut later = Condition::any().add(
            Condition::all()
                .add(address::Column::IsDefault.eq(is_default))
                .add(address::Column::Id.lt(id)),
        );
        if is_default {
            later = later.add(address::Column::IsDefault.eq(false));
        }
        query = query.filter(later);
    }
    Ok(query
        .order_by_desc(address::Column::IsDefault)
        .order_by_desc(address::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// A save of the book: a new address, or an edit of `id`.
#[derive(Clone, Debug, Default)]
pub struct SaveAddress {
    pub id: Option<i64>,
    pub label: String,
    pub address: AddressInput,
    /// Make it the default. `false` never takes the default away: the book
    /// always has one (make another the default instead).
    pub is_default: bool,
}

/// Creates or updates an address. The first address is the default.
pub async fn save(
    db: &DatabaseConnection,
    user_id: i64,
    input: SaveAddress,
) -> AppResult<address::Model> {
    let label = text("label", &input.label, 0, 30, false)?;
    let checked = check(input.address)?;
    let txn = begin_write(db).await?;
    lock_book(&txn, user_id).await?;
    let now = Utc::now();
    let saved = match input.id {
        Some(id) => {
            let existing = owned(&txn, user_id, id).await?;
            let make_default = input.is_default && !existing.is_default;
            if make_default {
                unset_default(&txn, user_id).await?;
            }
            let mut row: address::ActiveModel = existing.into();
            fill(&mut row, label, checked);
            if make_default {
                row.is_default = Set(true);
            }
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            let count = address::Entity::find()
                .filter(address::Column::UserId.eq(user_id))
                .count(&txn)
                .await?;
            if count >= MAX_ADDRESSES {
                return Err(AppError::validation(
                    "addresses",
                    format!("at most {MAX_ADDRESSES} addresses; delete one first"),
                ));
            }
            let make_default = input.is_default || count == 0;
            if make_default {
                unset_default(&txn, user_id).await?;
            }
            let mut row = address::ActiveModel {
                user_id: Set(user_id),
                is_default: Set(make_default),
                last_used_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            fill(&mut row, label, checked);
            row.insert(&txn).await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

fn fill(row: &mut address::ActiveModel, label: String, a: AddressSnapshot) {
    row.label = Set(label);
    row.recipient = Set(a.recipient);
    row.phone = Set(a.phone);
    row.postal_code = Set(a.postal_code);
    row.road_address = Set(a.road_address);
    row.detail_address = Set(a.detail_address);
}

/// Makes `id` the user's default (the previous one stops being it).
pub async fn set_default(
    db: &DatabaseConnection,
    user_id: i64,
    id: i64,
) -> AppResult<address::Model> {
    let txn = begin_write(db).await?;
    lock_book(&txn, user_id).await?;
    let existing = owned(&txn, user_id, id).await?;
    if existing.is_default {
        txn.commit().await?;
        return Ok(existing);
    }
    unset_default(&txn, user_id).await?;
    // Conditional on the owner, so another user's id can never be touched.
    let changed = address::Entity::update_many()
        .col_expr(address::Column::IsDefault, Expr::value(true))
        .col_expr(address::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(address::Column::Id.eq(id))
        .filter(address::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(AppError::not_found("Address"));
    }
    let updated = owned(&txn, user_id, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// What a delete did.
pub struct Deleted {
    pub id: i64,
    /// The address that became the default because the deleted one was it.
    pub new_default: Option<address::Model>,
}

/// Deletes an address; deleting the default promotes the other address
/// used (else created) most recently.
pub async fn delete(db: &DatabaseConnection, user_id: i64, id: i64) -> AppResult<Deleted> {
    let txn = begin_write(db).await?;
    lock_book(&txn, user_id).await?;
    let existing = owned(&txn, user_id, id).await?;
    address::Entity::delete_many()
        .filter(address::Column::Id.eq(id))
        .filter(address::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    let mut new_default = None;
    if existing.is_default {
        let rest = address::Entity::find()
            .filter(address::Column::UserId.eq(user_id))
            .all(&txn)
            .await?;
        if let Some(next) = rest
            .into_iter()
            .max_by_key(|a| (a.last_used_at.unwrap_or(a.created_at), a.id))
        {
            let mut row: address::ActiveModel = next.into();
            row.is_default = Set(true);
            new_default = Some(row.update(&txn).await?);
        }
    }
    txn.commit().await?;
    Ok(Deleted { id, new_default })
}

/// Removes a user's whole book (their account is being deleted).
pub async fn forget_user(txn: &impl ConnectionTrait, user_id: i64) -> AppResult<()> {
    address::Entity::delete_many()
        .filter(address::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn unset_default(txn: &impl ConnectionTrait, user_id: i64) -> AppResult<()> {
    address::Entity::update_many()
        .col_expr(address::Column::IsDefault, Expr::value(false))
        .filter(address::Column::UserId.eq(user_id))
        .filter(address::Column::IsDefault.eq(true))
        .exec(txn)
        .await?;
    Ok(())
}

/// Serialises writes of one user's book (see the module docs). SQLite's
/// `BEGIN IMMEDIATE` already holds the database's write lock.
async fn lock_book(txn: &impl ConnectionTrait, user_id: i64) -> AppResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        execute_sql(
            txn,
            "SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE",
            vec![user_id.into()],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        phone(raw).unwrap_or_else(|e| panic!("{raw}: {}", e.message()))
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(ok("01012345678"), "010-1234-5678");
        assert_eq!(ok("010-1234-5678"), "010-1234-5678");
        assert_eq!(ok(" 010 1234 5678 "), "010-1234-5678");
        assert_eq!(ok("+82 10-1234-5678"), "010-1234-5678");
        assert_eq!(ok("0111234567"), "011-123-4567");
        assert_eq!(ok("021234567"), "02-123-4567");
        assert_eq!(ok("02-1234-5678"), "02-1234-5678");
        assert_eq!(ok("031-123-4567"), "031-123-4567");
        assert_eq!(ok("0641234567"), "064-123-4567");
        assert_eq!(ok("07012345678"), "070-1234-5678");
    }

    #[test]
    fn bad_phones_are_refused() {
        for raw in [
            "",
            "010",
            "0101234567",
            "010123456789",
            "020-123-4567",
            "12345678",
            "010-1234-567a",
            "0991234567",
            "+1 555 123 4567",
            "02-12-3456",
        ] {
            let err = phone(raw).expect_err(raw);
            assert_eq!(err.code(), "VALIDATION", "{raw}");
        }
    }

    #[test]
    fn addresses_are_checked_field_by_field() {
        let good = AddressInput {
            recipient: " 홍길동 ".into(),
            phone: "01012345678".into(),
            postal_code: "06236".into(),
            road_address: "서울특별시 강남구 테헤란로 152".into(),
            detail_address: "".into(),
        };
        let checked = check(good.clone()).unwrap();
        assert_eq!(checked.recipient, "홍길동");
        assert_eq!(checked.phone, "010-1234-5678");
        let field_of = |input: AddressInput| match check(input) {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        for (input, field) in [
            (
                AddressInput {
                    postal_code: "135-080".into(),
                    ..good.clone()
                },
                "postalCode",
            ),
            (
                AddressInput {
                    postal_code: "1234".into(),
                    ..good.clone()
                },
                "postalCode",
            ),
            (
                AddressInput {
                    recipient: "".into(),
                    ..good.clone()
                },
                "recipient",
            ),
            (
                AddressInput {
                    recipient: "가".repeat(31),
                    ..good.clone()
                },
                "recipient",
            ),
            (
                AddressInput {
                    road_address: " ".into(),
                    ..good.clone()
                },
                "roadAddress",
            ),
            (
                AddressInput {
                    road_address: "a".repeat(201),
                    ..good.clone()
                },
                "roadAddress",
            ),
            (
                AddressInput {
                    detail_address: "a".repeat(101),
                    ..good.clone()
                },
                "detailAddress",
            ),
            (
                AddressInput {
                    phone: "555".into(),
                    ..good.clone()
                },
                "phone",
            ),
        ] {
            assert_eq!(field_of(input), field);
        }
    }
}
