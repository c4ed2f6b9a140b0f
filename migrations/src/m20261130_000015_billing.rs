//! Plans, quotas and payments (PAY-1 … PAY-4):
//! - `billing_accounts`: one per user who ever used a quota or paid: the
//!   plan in force, the subscription behind it, the usage period and its
//!   counter (taken with a conditional update), the grace period after a
//!   failed renewal;
//! - `stripe_events`: every webhook event applied, by its unique id, so a
//!   redelivery has no second effect;
//! - `billing_invoices`: subscription invoices paid or failed (the risk
//!   report, and reconciliation's "already applied" test);
//! - `payments`: a shop order's PaymentIntent and its refund.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BillingAccounts {
    Table,
    UserId,
    Plan,
    SubscribedPlan,
    StripeCustomerId,
    StripeSubscriptionId,
    SubscriptionStatus,
    CancelAtPeriodEnd,
    PeriodStart,
    PeriodEnd,
    QuotaUsed,
    GraceUntil,
    LastPaymentFailedAt,
    LastPaymentSucceededAt,
    ProviderUpdatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    Created,
    Outcome,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum BillingInvoices {
    Table,
    InvoiceId,
    UserId,
    Status,
    Amount,
    Currency,
    BillingReason,
    CreatedAt,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    BuyerId,
    PaymentIntentId,
    ClientSecret,
    Amount,
    Currency,
    Status,
    FailureMessage,
    RefundId,
    RefundedAmount,
    CreatedAt,
    UpdatedAt,
    PaidAt,
    RefundedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BillingAccounts::Table)
                    .if_not_exists()
                    .col(big_integer(BillingAccounts::UserId).primary_key())
                    .col(string_len(BillingAccounts::Plan, 16))
                    .col(string_len_null(BillingAccounts::SubscribedPlan, 16))
                    .col(string_len_null(BillingAccounts::StripeCustomerId, 255).unique_key())
                    .col(string_len_null(BillingAccounts::StripeSubscriptionId, 255))
                    .col(string_len_null(BillingAccounts::SubscriptionStatus, 32))
                    .col(boolean(BillingAccounts::CancelAtPeriodEnd).default(false))
                    .col(timestamp_with_time_zone(BillingAccounts::PeriodStart))
                    .col(timestamp_with_time_zone(BillingAccounts::PeriodEnd))
                    .col(integer(BillingAccounts::QuotaUsed).default(0))
                    .col(timestamp_with_time_zone_null(BillingAccounts::GraceUntil))
                    .col(timestamp_with_time_zone_null(
                        BillingAccounts::LastPaymentFailedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        BillingAccounts::LastPaymentSucceededAt,
                    ))
                    .col(big_integer(BillingAccounts::ProviderUpdatedAt).default(0))
                    .col(timestamp_with_time_zone(BillingAccounts::CreatedAt))
                    .col(timestamp_with_time_zone(BillingAccounts::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_billing_accounts_user",
                        (BillingAccounts::Table, BillingAccounts::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_billing_accounts_subscription",
            BillingAccounts::Table,
            &["stripe_subscription_id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .if_not_exists()
                    .col(string_len(StripeEvents::Id, 255).primary_key())
                    .col(string_len(StripeEvents::Kind, 64))
                    .col(big_integer(StripeEvents::Created))
                    .col(string_len(StripeEvents::Outcome, 200))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingInvoices::Table)
                    .if_not_exists()
                    .col(string_len(BillingInvoices::InvoiceId, 255))
                    .col(big_integer(BillingInvoices::UserId))
                    .col(string_len(BillingInvoices::Status, 16))
                    .col(big_integer(BillingInvoices::Amount))
                    .col(string_len(BillingInvoices::Currency, 8))
                    .col(string_len(BillingInvoices::BillingReason, 40))
                    .col(timestamp_with_time_zone(BillingInvoices::CreatedAt))
                    .col(timestamp_with_time_zone(BillingInvoices::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(BillingInvoices::InvoiceId)
                            .col(BillingInvoices::Status),
                    )
                    .foreign_key(&mut fk(
                        "fk_billing_invoices_user",
                        (BillingInvoices::Table, BillingInvoices::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_billing_invoices_user_created",
            BillingInvoices::Table,
            &["user_id", "created_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer_uniq(Payments::OrderId))
                    .col(big_integer(Payments::BuyerId))
                    .col(string_len_uniq(Payments::PaymentIntentId, 255))
                    .col(string_len(Payments::ClientSecret, 255))
                    .col(big_integer(Payments::Amount))
                    .col(string_len(Payments::Currency, 8))
                    .col(string_len(Payments::Status, 24))
                    .col(text_null(Payments::FailureMessage))
                    .col(string_len_null(Payments::RefundId, 255))
                    .col(big_integer(Payments::RefundedAmount).default(0))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Payments::PaidAt))
                    .col(timestamp_with_time_zone_null(Payments::RefundedAt))
                    .foreign_key(&mut fk(
                        "fk_payments_order",
                        (Payments::Table, Payments::OrderId),
                        (Orders::Table, Orders::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Payments::Table.into_iden(),
            BillingInvoices::Table.into_iden(),
            StripeEvents::Table.into_iden(),
            BillingAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
