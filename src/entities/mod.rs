//! sea-orm entities, one module per table. Plain data: no GraphQL derives here;
//! the resolvers map these into output types.
pub mod cart_item;
pub mod category;
pub mod custom_cart;
pub mod inquiry;
pub mod like;
pub mod order;
pub mod product;
pub mod product_attribute;
pub mod product_image;
pub mod refresh_token;
pub mod review;
pub mod session;
pub mod short;
pub mod short_view;
pub mod store;
pub mod user;
pub mod wishlist_item;
