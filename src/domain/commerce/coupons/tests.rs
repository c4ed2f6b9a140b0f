//! Unit tests of the coupon rules: terms, discounts, windows and the
//! split (a property over many random cases).
use super::*;
use rand::{Rng, SeedableRng, rngs::StdRng};

fn coupon(kind: CouponKind, value: i64) -> coupon::Model {
    let now = Utc::now();
    coupon::Model {
        id: 1,
        code: "WELCOME".into(),
        store_id: None,
        created_by: 1,
        description: String::new(),
        kind,
        value,
        max_discount: None,
        min_spend: 0,
        starts_at: None,
        ends_at: None,
        max_redemptions: None,
        per_user_limit: None,
        redeemed_count: 0,
        active: true,
        created_at: now,
        updated_at: now,
    }
}

fn terms(kind: CouponKind, value: i64) -> CouponTerms {
    CouponTerms {
        kind,
        value,
        max_discount: None,
        min_spend: 0,
        starts_at: None,
        ends_at: None,
        max_redemptions: None,
        per_user_limit: None,
    }
}

#[test]
fn codes_are_normalised() {
    assert_eq!(normalise_code(" welcome-10 ").unwrap(), "WELCOME-10");
    assert!(normalise_code("ab").is_err());
    assert!(normalise_code("has space").is_err());
    assert!(normalise_code("쿠폰쿠폰").is_err());
}

#[test]
fn terms_are_checked() {
    assert!(check_terms(&terms(CouponKind::Percent, 10)).is_ok());
    assert!(check_terms(&terms(CouponKind::Percent, 0)).is_err());
    assert!(check_terms(&terms(CouponKind::Percent, 101)).is_err());
    assert!(check_terms(&terms(CouponKind::Fixed, -1)).is_err());
    assert!(check_terms(&terms(CouponKind::Fixed, 0)).is_err());
    let fixed_cap = CouponTerms {
        max_discount: Some(5),
        ..terms(CouponKind::Fixed, 5000)
    };
    assert!(check_terms(&fixed_cap).is_err());
    let now = Utc::now();
    let backwards = CouponTerms {
        starts_at: Some(now),
        ends_at: Some(now - chrono::Duration::hours(1)),
        ..terms(CouponKind::Fixed, 5000)
    };
    assert_eq!(check_terms(&backwards).unwrap_err().code(), "VALIDATION");
    let zero_limit = CouponTerms {
        max_redemptions: Some(0),
        ..terms(CouponKind::Fixed, 5000)
    };
    assert!(check_terms(&zero_limit).is_err());
}

#[test]
fn discounts_are_capped_and_never_exceed_the_subtotal() {
    let mut pct = coupon(CouponKind::Percent, 15);
    assert_eq!(discount_for(&pct, 10_001), 1_500);
    pct.max_discount = Some(1_000);
    assert_eq!(discount_for(&pct, 10_001), 1_000);
    let fixed = coupon(CouponKind::Fixed, 5_000);
    assert_eq!(discount_for(&fixed, 3_000), 3_000);
    assert_eq!(discount_for(&fixed, 0), 0);
    assert_eq!(discount_for(&coupon(CouponKind::Percent, 100), 777), 777);
}

#[test]
fn store_coupons_cover_their_store_and_minimum_spend_counts_only_that() {
    let mut c = coupon(CouponKind::Fixed, 3_000);
    c.store_id = Some(7);
    c.min_spend = 10_000;
    let lines = [
        LineAmount {
            store_id: 7,
            line_total: 6_000,
        },
        LineAmount {
            store_id: 8,
            line_total: 50_000,
        },
    ];
    assert_eq!(
        evaluate(&c, &lines, Utc::now()),
        Err(Inapplicable::BelowMinimumSpend)
    );
    c.min_spend = 6_000;
    let d = evaluate(&c, &lines, Utc::now()).unwrap();
    assert_eq!(d.total, 3_000);
    assert_eq!(d.per_line, vec![3_000, 0]);
    c.store_id = Some(9);
    assert_eq!(
        evaluate(&c, &lines, Utc::now()),
        Err(Inapplicable::NoEligibleLines)
    );
}

#[test]
fn windows_and_deactivation() {
    let now = Utc::now();
    let lines = [LineAmount {
        store_id: 1,
        line_total: 10_000,
    }];
    let mut c = coupon(CouponKind::Percent, 10);
    c.ends_at = Some(now);
    assert_eq!(evaluate(&c, &lines, now), Err(Inapplicable::Expired));
    c.ends_at = None;
    c.starts_at = Some(now + chrono::Duration::minutes(1));
    assert_eq!(evaluate(&c, &lines, now), Err(Inapplicable::NotStarted));
    c.starts_at = None;
    c.active = false;
    assert_eq!(evaluate(&c, &lines, now), Err(Inapplicable::Inactive));
}

#[test]
fn split_examples() {
    assert_eq!(split(100, &[100, 100, 100]), vec![34, 33, 33]);
    assert_eq!(split(100, &[1, 1, 1]), vec![1, 1, 1]);
    assert_eq!(split(10, &[0, 5, 5]), vec![0, 5, 5]);
    assert_eq!(split(0, &[5, 5]), vec![0, 0]);
    assert_eq!(split(3, &[]), Vec::<i64>::new());
    // More than the lines hold is cut to what they hold.
    assert_eq!(split(50, &[10, 20]), vec![10, 20]);
}

/// Property: over many random cases the shares sum exactly to the
/// discount, none is negative, none exceeds its line, and a line's share
/// is within one KRW of its exact pro-rata share.
#[test]
fn split_sums_exactly_and_never_makes_a_line_negative() {
    let mut rng = StdRng::seed_from_u64(0x5eed_c0de);
    for case in 0..20_000 {
        let n = rng.random_range(1..=12);
        let weights: Vec<i64> = (0..n)
            .map(|_| match rng.random_range(0..10) {
                0 => 0,
                1 => rng.random_range(1..=3),
                _ => rng.random_range(1..=5_000_000),
            })
            .collect();
        let whole: i64 = weights.iter().sum();
        let discount = if whole == 0 {
            rng.random_range(0..=1000)
        } else {
            rng.random_range(0..=whole)
        };
        let shares = split(discount, &weights);
        assert_eq!(shares.len(), weights.len(), "case {case}");
        assert_eq!(
            shares.iter().sum::<i64>(),
            discount.min(whole),
            "case {case}: {weights:?} {discount}"
        );
        for (s, w) in shares.iter().zip(&weights) {
            assert!(*s >= 0 && s <= w, "case {case}: share {s} of line {w}");
            if whole > 0 {
                let exact = i128::from(discount) * i128::from(*w) / i128::from(whole);
                let diff = i128::from(*s) - exact;
                assert!((0..=1).contains(&diff), "case {case}: {s} vs {exact}");
            }
        }
    }
}

#[test]
fn reasons_map_to_codes() {
    assert_eq!(
        Inapplicable::Exhausted.into_error().code(),
        "COUPON_EXHAUSTED"
    );
    assert_eq!(
        Inapplicable::UserLimitReached.into_error().code(),
        "COUPON_EXHAUSTED"
    );
    assert_eq!(
        Inapplicable::Expired.into_error().code(),
        "COUPON_NOT_APPLICABLE"
    );
    assert!(Inapplicable::BelowMinimumSpend.depends_on_cart());
    assert!(!Inapplicable::Expired.depends_on_cart());
}
