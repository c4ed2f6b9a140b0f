//! Shorts commerce (COM-1 … COM-11): stores, catalogue, shorts, reviews,
//! wishlist and cart, custom carts, orders, inquiries and admin statistics.
pub mod addresses;
pub mod carts;
pub mod catalog;
pub mod colors;
pub mod coupons;
pub mod custom_carts;
pub mod inference;
pub mod inquiries;
pub mod orders;
pub mod photos;
pub mod pricing;
pub mod returns;
pub mod reviews;
pub mod shorts;
pub mod stats;
pub mod stores;
pub mod variants;
