//! sea-orm entities, one module per table. Plain data: no GraphQL derives here;
//! the resolvers map these into output types.
pub mod refresh_token;
pub mod session;
pub mod user;
