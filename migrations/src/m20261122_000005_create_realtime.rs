//! Real time (RT-2, RT-5): stored notifications, and conversations with their
//! members (read markers) and messages. Typing and presence are never stored.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261120_000001_create_users::Users,
    schema_helpers::{fk, index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    RecipientId,
    Kind,
    ActorId,
    SubjectType,
    SubjectId,
    Data,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    Kind,
    Title,
    InquiryId,
    DirectKey,
    CreatedBy,
    CreatedAt,
    LastMessageId,
    ActivityAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    ConversationId,
    UserId,
    JoinedAt,
    LastReadMessageId,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    SenderId,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Notifications::Id))
                    .col(big_integer(Notifications::RecipientId))
                    .col(string_len(Notifications::Kind, 24))
                    .col(big_integer_null(Notifications::ActorId))
                    .col(string_len_null(Notifications::SubjectType, 24))
                    .col(big_integer_null(Notifications::SubjectId))
                    .col(text(Notifications::Data))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(&mut fk(
                        "fk_notifications_recipient",
                        (Notifications::Table, Notifications::RecipientId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Replay after a cursor and the newest-first list.
        index(
            manager,
            "idx_notifications_recipient",
            Notifications::Table,
            &["recipient_id", "id"],
            false,
        )
        .await?;
        // Unread counts.
        index(
            manager,
            "idx_notifications_unread",
            Notifications::Table,
            &["recipient_id", "read_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Conversations::Id))
                    .col(string_len(Conversations::Kind, 16))
                    .col(string_len_null(Conversations::Title, 120))
                    .col(big_integer_null(Conversations::InquiryId))
                    .col(string_len_null(Conversations::DirectKey, 48))
                    .col(big_integer(Conversations::CreatedBy))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(big_integer_null(Conversations::LastMessageId))
                    .col(timestamp_with_time_zone(Conversations::ActivityAt))
                    .to_owned(),
            )
            .await?;
        // One direct conversation per pair, one conversation per inquiry.
        index(
            manager,
            "ux_conversations_direct",
            Conversations::Table,
            &["direct_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_conversations_inquiry",
            Conversations::Table,
            &["inquiry_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConversationMembers::Table)
                    .if_not_exists()
                    .col(big_integer(ConversationMembers::ConversationId))
                    .col(big_integer(ConversationMembers::UserId))
                    .col(timestamp_with_time_zone(ConversationMembers::JoinedAt))
                    .col(big_integer(ConversationMembers::LastReadMessageId).default(0))
                    .primary_key(
                        Index::create()
                            .col(ConversationMembers::ConversationId)
                            .col(ConversationMembers::UserId),
                    )
                    .foreign_key(&mut fk(
                        "fk_conversation_members_conversation",
                        (
                            ConversationMembers::Table,
                            ConversationMembers::ConversationId,
                        ),
                        (Conversations::Table, Conversations::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_conversation_members_user",
                        (ConversationMembers::Table, ConversationMembers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_conversation_members_user",
            ConversationMembers::Table,
            &["user_id", "conversation_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::ConversationId))
                    .col(big_integer(Messages::SenderId))
                    .col(text(Messages::Body))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_messages_conversation",
                        (Messages::Table, Messages::ConversationId),
                        (Conversations::Table, Conversations::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_messages_sender",
                        (Messages::Table, Messages::SenderId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_messages_conversation",
            Messages::Table,
            &["conversation_id", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Messages::Table.into_iden(),
            ConversationMembers::Table.into_iden(),
            Conversations::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
