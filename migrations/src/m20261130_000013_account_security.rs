//! Account security (AUTH-5, AUTH-6, PAY-5): the mail every flow sends,
//! email codes and verification tokens, security alerts, blocked
//! addresses, and each user's locale (which language their mail is in).
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailMessages {
    Table,
    Id,
    Recipient,
    Locale,
    Template,
    Subject,
    TextBody,
    HtmlBody,
    Status,
    Provider,
    ProviderMessageId,
    Error,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum EmailCodes {
    Table,
    Id,
    Email,
    Purpose,
    CodeHash,
    Attempts,
    ExpiresAt,
    ConsumedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EmailTokens {
    Table,
    Id,
    TokenHash,
    Email,
    Purpose,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SecurityAlerts {
    Table,
    Id,
    Kind,
    Severity,
    Subject,
    Message,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IpBlocks {
    Table,
    Ip,
    Reason,
    BlockedBy,
    Until,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Locale,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailMessages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(MailMessages::Id))
                    .col(string_len(MailMessages::Recipient, 254))
                    .col(string_len(MailMessages::Locale, 8))
                    .col(string_len(MailMessages::Template, 32))
                    .col(string_len(MailMessages::Subject, 200))
                    .col(text(MailMessages::TextBody))
                    .col(text(MailMessages::HtmlBody))
                    .col(string_len(MailMessages::Status, 16))
                    .col(string_len_null(MailMessages::Provider, 16))
                    .col(string_len_null(MailMessages::ProviderMessageId, 200))
                    .col(text_null(MailMessages::Error))
                    .col(timestamp_with_time_zone(MailMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(MailMessages::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EmailCodes::Id))
                    .col(string_len(EmailCodes::Email, 254))
                    .col(string_len(EmailCodes::Purpose, 24))
                    .col(string_len(EmailCodes::CodeHash, 64))
                    .col(integer(EmailCodes::Attempts).default(0))
                    .col(timestamp_with_time_zone(EmailCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailCodes::ConsumedAt))
                    .col(timestamp_with_time_zone(EmailCodes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_email_codes_email_purpose",
            EmailCodes::Table,
            &["email", "purpose", "created_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EmailTokens::Id))
                    .col(string_len_uniq(EmailTokens::TokenHash, 64))
                    .col(string_len(EmailTokens::Email, 254))
                    .col(string_len(EmailTokens::Purpose, 24))
                    .col(timestamp_with_time_zone(EmailTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailTokens::UsedAt))
                    .col(timestamp_with_time_zone(EmailTokens::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecurityAlerts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SecurityAlerts::Id))
                    .col(string_len(SecurityAlerts::Kind, 32))
                    .col(string_len(SecurityAlerts::Severity, 8))
                    .col(string_len(SecurityAlerts::Subject, 120))
                    .col(text(SecurityAlerts::Message))
                    .col(text(SecurityAlerts::Data))
                    .col(timestamp_with_time_zone(SecurityAlerts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // The mute: the latest alert of a kind and subject.
        index(
            manager,
            "idx_security_alerts_kind_subject",
            SecurityAlerts::Table,
            &["kind", "subject", "created_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(IpBlocks::Table)
                    .if_not_exists()
                    .col(string_len(IpBlocks::Ip, 64).primary_key())
                    .col(text(IpBlocks::Reason))
                    .col(big_integer(IpBlocks::BlockedBy))
                    .col(timestamp_with_time_zone_null(IpBlocks::Until))
                    .col(timestamp_with_time_zone(IpBlocks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len(Users::Locale, 8).default("ko"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Locale)
                    .to_owned(),
            )
            .await?;
        for table in [
            IpBlocks::Table.into_iden(),
            SecurityAlerts::Table.into_iden(),
            EmailTokens::Table.into_iden(),
            EmailCodes::Table.into_iden(),
            MailMessages::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
