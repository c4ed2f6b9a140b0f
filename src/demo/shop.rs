//! The demo's everyday-shop data (issue 22): each buyer's address book,
//! the carrier and tracking number of shipped lines, and coupons, so a
//! newcomer sees them on `make demo`.
use chrono::{Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    domain::commerce::{
        addresses::{self, AddressInput, SaveAddress},
        coupons::{self, CouponTerms, NewCoupon},
        orders::Shipment,
    },
    entities::{
        address,
        coupon::{self, CouponKind},
        order::Carrier,
        user,
    },
    error::AppResult,
};

/// Road addresses of real public buildings (with their 2015 postal codes).
const ADDRESSES: &[(&str, &str, &str)] = &[
    ("04750", "서울특별시 성동구 왕십리로 83", "3층"),
    ("06236", "서울특별시 강남구 테헤란로 152", "12층"),
    ("03187", "서울특별시 종로구 세종대로 172", ""),
    ("48058", "부산광역시 해운대구 센텀중앙로 79", "101호"),
    ("34126", "대전광역시 유성구 대학로 99", "기숙사 A동"),
];

/// Buyer `n`'s address book: home (the default) and work.
pub async fn address_book(
    db: &DatabaseConnection,
    buyer: &user::Model,
    n: usize,
) -> AppResult<address::Model> {
    let mut home = None;
    for (i, label) in ["집", "회사"].into_iter().enumerate() {
        let (postal, road, detail) = ADDRESSES[(n + i * 2) % ADDRESSES.len()];
        let saved = addresses::save(
            db,
            buyer.id,
            SaveAddress {
                id: None,
                label: label.into(),
                address: AddressInput {
                    recipient: buyer.nickname.chars().take(30).collect(),
                    phone: format!("010-{:04}-{:04}", 1000 + n, 2000 + i),
                    postal_code: postal.into(),
                    road_address: road.into(),
                    detail_address: detail.into(),
                },
                is_default: i == 0,
            },
        )
        .await?;
        home.get_or_insert(saved);
    }
    home.ok_or_else(|| crate::error::AppError::not_found("Address"))
}

/// A CJ Logistics waybill number for a demo line (12 digits).
pub fn shipment(line_id: i64) -> Shipment {
    Shipment {
        carrier: Carrier::CjLogistics,
        tracking_number: format!("{:012}", 684_100_000_000 + line_id),
    }
}

/// The platform's welcome coupon every demo buyer's first order redeems.
pub const WELCOME_COUPON: &str = "WELCOME10";

/// Two coupons: the platform's WELCOME10 (10 %, at most 10,000원, once per
/// buyer, 1,000 in all, 30 days) and the first store's SPRING5000 (5,000원
/// off 50,000원 of its products).
pub async fn coupons(
    db: &DatabaseConnection,
    admin: &user::Model,
    seller: &user::Model,
) -> AppResult<Vec<coupon::Model>> {
    let now = Utc::now();
    let welcome = coupons::create(
        db,
        admin,
        NewCoupon {
            code: WELCOME_COUPON.into(),
            description: Some("첫 주문 10% 할인 (최대 1만원)".into()),
            terms: CouponTerms {
                kind: CouponKind::Percent,
                value: 10,
                max_discount: Some(10_000),
                min_spend: 0,
                starts_at: Some(now),
                ends_at: Some(now + Duration::days(30)),
                max_redemptions: Some(1_000),
                per_user_limit: Some(1),
            },
        },
    )
    .await?;
    let spring = coupons::create(
        db,
        seller,
        NewCoupon {
            code: "SPRING5000".into(),
            description: Some("5만원 이상 구매 시 5천원 할인".into()),
            terms: CouponTerms {
                kind: CouponKind::Fixed,
                value: 5_000,
                max_discount: None,
                min_spend: 50_000,
                starts_at: None,
                ends_at: Some(now + Duration::days(60)),
                max_redemptions: None,
                per_user_limit: Some(2),
            },
        },
    )
    .await?;
    Ok(vec![welcome, spring])
}
