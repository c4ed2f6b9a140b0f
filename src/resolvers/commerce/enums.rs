//! The shop's GraphQL enums, each the remote of its entity enum.
use async_graphql::Enum;

use crate::domain::commerce::catalog::ProductSort as DomainSort;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::store::StoreStatus")]
pub enum StoreStatus {
    Pending,
    Approved,
    Rejected,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::product::ProductGender")]
pub enum ProductGender {
    Male,
    Female,
    Unisex,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::product::Degree")]
pub enum Degree {
    NoneAtAll,
    None,
    ContainLittle,
    Contain,
    ContainMuch,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::product::ProductStatus")]
pub enum ProductStatus {
    Active,
    Hidden,
    Blocked,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Season {
    SpringFall,
    Summer,
    Winter,
}

impl Season {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SpringFall => "SPRING_FALL",
            Self::Summer => "SUMMER",
            Self::Winter => "WINTER",
        }
    }
    pub(super) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "SPRING_FALL" => Some(Self::SpringFall),
            "SUMMER" => Some(Self::Summer),
            "WINTER" => Some(Self::Winter),
            _ => None,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductSort {
    Newest,
    PriceAsc,
    PriceDesc,
    Popular,
    Rating,
}

impl From<ProductSort> for DomainSort {
    fn from(s: ProductSort) -> Self {
        match s {
            ProductSort::Newest => DomainSort::Newest,
            ProductSort::PriceAsc => DomainSort::PriceAsc,
            ProductSort::PriceDesc => DomainSort::PriceDesc,
            ProductSort::Popular => DomainSort::Popular,
            ProductSort::Rating => DomainSort::Rating,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::short::ShortSource")]
pub enum ShortSource {
    Upload,
    Youtube,
    Instagram,
    Tiktok,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::short::SentimentLabel")]
pub enum SentimentLabel {
    Positive,
    Neutral,
    Negative,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::custom_cart::Visibility")]
pub enum CartVisibility {
    Private,
    Unlisted,
    Public,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::order::OrderStatus")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::order::OrderSource")]
pub enum OrderSource {
    Cart,
    CustomCart,
    Lines,
}

/// The carriers Korean shops ship with; OTHER for the rest (no tracking link).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::order::Carrier")]
pub enum Carrier {
    /// CJ대한통운
    CjLogistics,
    /// 한진택배
    Hanjin,
    /// 롯데택배
    Lotte,
    /// 로젠택배
    Logen,
    /// 우체국택배
    Epost,
    /// CU 편의점택배
    CuPost,
    /// GS Postbox 편의점택배
    GsPostbox,
    /// 경동택배
    Kyungdong,
    /// 쿠팡 로지스틱스
    Coupang,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::inquiry::InquiryStatus")]
pub enum InquiryStatus {
    Open,
    Answered,
    Closed,
}
