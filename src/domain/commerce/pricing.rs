//! Money rules shared by carts, orders and returns (issue 22): a store's
//! shipping fee (charged once per order with lines of that store, free
//! from its threshold, computed on the store's subtotal before discounts)
//! and the exact pro-rata split used for shipping fees and coupon
//! discounts over lines, so a return refunds its line's share.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::{
    entities::{store, user},
    error::{AppError, AppResult},
};

/// Highest shipping fee or threshold a store may set, KRW.
pub const MAX_SHIPPING_AMOUNT: i64 = 10_000_000;

/// What a store charges for shipping `subtotal` worth of its products.
pub fn shipping_fee(store: &store::Model, subtotal: i64) -> i64 {
    match store.free_shipping_threshold {
        Some(free_from) if subtotal >= free_from => 0,
        _ => store.shipping_fee.max(0),
    }
}

/// What an order of lines pays for shipping: each store's fee on the
/// subtotal of its lines (`(store id, line total)` pairs), summed. Stores
/// missing from `stores` charge nothing.
pub fn shipping_total(
    lines: impl IntoIterator<Item = (i64, i64)>,
    stores: &std::collections::HashMap<i64, store::Model>,
) -> i64 {
    let mut by_store = std::collections::BTreeMap::<i64, i64>::new();
    for (store_id, total) in lines {
        *by_store.entry(store_id).or_default() += total;
    }
    by_store
        .iter()
        .filter_map(|(id, subtotal)| stores.get(id).map(|s| shipping_fee(s, *subtotal)))
        .sum()
}

/// `total` split over `weights` in proportion, in whole won, summing exactly
/// to `total` (largest remainder; ties to the earlier line). All-zero
/// weights split evenly. Never negative for a non-negative `total`.
pub fn split_pro_rata(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weights: Vec<i128> = if weights.iter().all(|w| *w <= 0) {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|w| i128::from((*w).max(0))).collect()
    };
    let sum: i128 = weights.iter().sum();
    let total_wide = i128::from(total);
    let mut shares: Vec<i128> = weights.iter().map(|w| total_wide * w / sum).collect();
    let mut left = total_wide - shares.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first.
    order.sort_by_key(|&i| std::cmp::Reverse((total_wide * weights[i]) % sum));
    for i in order {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares.into_iter().map(|s| s as i64).collect()
}

/// `updateStoreShipping`: the owner sets the fee and the free-shipping
/// threshold (`None`: never free).
pub async fn set_store_shipping(
    db: &DatabaseConnection,
    owner: &user::Model,
    fee: i64,
    free_from: Option<i64>,
) -> AppResult<store::Model> {
    if !(0..=MAX_SHIPPING_AMOUNT).contains(&fee) {
        return Err(AppError::validation(
            "shippingFee",
            format!("`shippingFee` must be 0 to {MAX_SHIPPING_AMOUNT} KRW"),
        ));
    }
    if let Some(t) = free_from
        && !(1..=MAX_SHIPPING_AMOUNT).contains(&t)
    {
        return Err(AppError::validation(
            "freeShippingThreshold",
            format!("`freeShippingThreshold` must be 1 to {MAX_SHIPPING_AMOUNT} KRW"),
        ));
    }
    let found = store::Entity::find()
        .filter(store::Column::OwnerId.eq(owner.id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Store"))?;
    let mut active: store::ActiveModel = found.into();
    active.shipping_fee = Set(fee);
    active.free_shipping_threshold = Set(free_from);
    active.updated_at = Set(chrono::Utc::now());
    Ok(active.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_exact_and_proportional() {
        assert_eq!(split_pro_rata(3000, &[10_000, 20_000]), vec![1000, 2000]);
        assert_eq!(split_pro_rata(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(split_pro_rata(0, &[5, 7]), vec![0, 0]);
        assert_eq!(split_pro_rata(5, &[0, 0]), vec![3, 2]);
        assert!(split_pro_rata(10, &[]).is_empty());
        let mut seed = 7u64;
        for _ in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (seed >> 60) as usize + 1;
            let weights: Vec<i64> = (0..n)
                .map(|i| (seed.rotate_right((i * 5) as u32) % 200_000) as i64)
                .collect();
            let total = (seed % 1_000_000) as i64;
            let parts = split_pro_rata(total, &weights);
            assert_eq!(parts.iter().sum::<i64>(), total);
            assert!(parts.iter().all(|p| *p >= 0));
            let sum: i64 = weights.iter().sum();
            if sum > 0 {
                for (p, w) in parts.iter().zip(&weights) {
                    let exact = total as f64 * *w as f64 / sum as f64;
                    assert!((*p as f64 - exact).abs() < 1.0 + 1e-9);
                }
            }
        }
    }
}
