//! Schema migrations for SQLite and PostgreSQL alike. `vitrine migrate` and the
//! server's start-up run [`Migrator`]; every test database is built from it.
pub use sea_orm_migration::prelude::*;

mod m20261120_000001_create_users;
mod m20261120_000002_create_sessions;
pub mod m20261121_000003_create_commerce;
mod m20261121_000004_create_community;
mod m20261122_000005_create_realtime;
mod m20261122_000006_create_idempotency_keys;
mod m20261122_000007_create_partners;
mod m20261123_000008_create_recommendation_feedback;
mod m20261130_000009_create_jobs;
mod m20261130_000010_create_color_swatches;
mod m20261130_000011_design_generation;
mod m20261130_000012_direct_uploads;
mod m20261130_000013_account_security;
mod m20261130_000014_session_fingerprints;
mod m20261130_000015_billing;
mod m20261130_000016_help_assistant;
mod m20261130_000017_shopping;
mod m20261130_000018_home_categories;
mod m20261201_000019_create_product_inferences;
mod m20261201_000020_create_product_variants;
mod m20261201_000021_create_addresses;
mod m20261201_000022_create_coupons;
mod m20261201_000023_create_order_returns;
mod m20261201_000024_create_partner_webhooks;
mod m20261201_000025_create_reports;
mod m20261201_000026_create_user_blocks;
mod m20261201_000027_profile_photos;
mod m20261201_000028_partner_store;
mod m20261202_000029_push_subscriptions;
mod schema_helpers;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261120_000001_create_users::Migration),
            Box::new(m20261120_000002_create_sessions::Migration),
            Box::new(m20261121_000003_create_commerce::Migration),
            Box::new(m20261121_000004_create_community::Migration),
            Box::new(m20261122_000005_create_realtime::Migration),
            Box::new(m20261122_000006_create_idempotency_keys::Migration),
            Box::new(m20261122_000007_create_partners::Migration),
            Box::new(m20261123_000008_create_recommendation_feedback::Migration),
            Box::new(m20261130_000009_create_jobs::Migration),
            Box::new(m20261130_000010_create_color_swatches::Migration),
            Box::new(m20261130_000011_design_generation::Migration),
            Box::new(m20261130_000012_direct_uploads::Migration),
            Box::new(m20261130_000013_account_security::Migration),
            Box::new(m20261130_000014_session_fingerprints::Migration),
            Box::new(m20261130_000015_billing::Migration),
            Box::new(m20261130_000016_help_assistant::Migration),
            Box::new(m20261130_000017_shopping::Migration),
            Box::new(m20261130_000018_home_categories::Migration),
            Box::new(m20261201_000019_create_product_inferences::Migration),
            Box::new(m20261201_000020_create_product_variants::Migration),
            Box::new(m20261201_000021_create_addresses::Migration),
            Box::new(m20261201_000022_create_coupons::Migration),
            Box::new(m20261201_000023_create_order_returns::Migration),
            Box::new(m20261201_000024_create_partner_webhooks::Migration),
            Box::new(m20261201_000025_create_reports::Migration),
            Box::new(m20261201_000026_create_user_blocks::Migration),
            Box::new(m20261201_000027_profile_photos::Migration),
            Box::new(m20261201_000028_partner_store::Migration),
            Box::new(m20261202_000029_push_subscriptions::Migration),
        ]
    }
}
