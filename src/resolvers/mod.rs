//! The GraphQL schema: one module per domain with its `<Domain>Query` /
//! `<Domain>Mutation`, merged here. Resolvers stay thin: read the context, call
//! a domain function, map the result into output types.
pub mod accounts;
pub mod addresses;
pub mod assistant;
pub mod batch;
pub mod billing;
pub mod blocks;
pub mod color;
pub mod commerce;
pub mod community;
pub mod context;
pub mod error_codes;
pub mod generation;
pub mod jobs;
pub mod loaders;
pub mod moderation;
pub mod partner_webhooks;
pub mod partners;
pub mod profile_photos;
pub mod realtime;
pub mod recommendations;
pub mod relay;
pub mod search;
pub mod security;
pub mod seo;
pub mod shopping;
pub mod uploads;
pub mod web_push;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use self::error_codes::ErrorCodes;
use crate::protection::Protection;

#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountsQuery,
    addresses::AddressesQuery,
    assistant::AssistantQuery,
    billing::BillingQuery,
    blocks::BlocksQuery,
    color::ColorQuery,
    commerce::CommerceQuery,
    commerce::coupons::CouponsQuery,
    commerce::returns::ReturnsQuery,
    community::CommunityQuery,
    jobs::JobsQuery,
    moderation::ModerationQuery,
    realtime::RealtimeQuery,
    partners::PartnersQuery,
    partner_webhooks::PartnerWebhooksQuery,
    recommendations::RecommendationsQuery,
    search::SearchQuery,
    security::SecurityQuery,
    shopping::ShoppingQuery,
    web_push::WebPushQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    addresses::AddressesMutation,
    assistant::AssistantMutation,
    billing::BillingMutation,
    blocks::BlocksMutation,
    commerce::CommerceMutation,
    commerce::coupons::CouponsMutation,
    commerce::variant_types::VariantsMutation,
    commerce::returns::ReturnsMutation,
    community::CommunityMutation,
    generation::GenerationMutation,
    jobs::JobsMutation,
    moderation::ModerationMutation,
    realtime::RealtimeMutation,
    partners::PartnersMutation,
    partner_webhooks::PartnerWebhooksMutation,
    profile_photos::ProfilePhotosMutation,
    recommendations::RecommendationsMutation,
    uploads::UploadsMutation,
    security::SecurityMutation,
    shopping::ShoppingMutation,
    web_push::WebPushMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(
    realtime::RealtimeSubscription,
    assistant::AssistantSubscription,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema without process state: used for SDL export and by the server,
/// which adds its state with `.data(..)`.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    // Order matters: the first extension is the outermost.
    .extension(ErrorCodes)
    .extension(Protection)
}

/// The SDL as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
