//! Shorts commerce (COM-1 … COM-11): stores, catalogue, shorts, reviews,
//! wishlist and cart, custom carts, orders, inquiries and admin statistics.
pub mod carts;
pub mod catalog;
pub mod colors;
pub mod custom_carts;
pub mod inference;
pub mod inquiries;
pub mod orders;
pub mod photos;
pub mod reviews;
pub mod shorts;
pub mod stats;
pub mod stores;
