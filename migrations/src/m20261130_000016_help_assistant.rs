//! The help assistant (COMM-9):
//! - `help_chunks`: the ingested help corpus, one row per chunk (the
//!   document, its language, the heading path it sits under, its text, a hash
//!   of that text and its embedding as little-endian `f32`s), replaced as a
//!   whole by each ingestion so every instance indexes the same set;
//! - `help_corpora`: one row per ingestion (the corpus hash it indexed and
//!   the embedder), the newest being the one in force;
//! - `assistant_conversations` / `assistant_messages`: a user's questions
//!   and the answers with their sources, confidence and how they were made.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HelpChunks {
    Table,
    Id,
    CorpusVersion,
    Doc,
    Lang,
    Path,
    Title,
    Heading,
    Position,
    Text,
    ContentHash,
    Embedding,
}

#[derive(DeriveIden)]
enum HelpCorpora {
    Table,
    Version,
    Embedder,
    Documents,
    Chunks,
    IngestedAt,
}

#[derive(DeriveIden)]
enum AssistantConversations {
    Table,
    Id,
    UserId,
    Title,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AssistantMessages {
    Table,
    Id,
    ConversationId,
    Role,
    Content,
    Status,
    Mode,
    Sources,
    Confidence,
    Relevance,
    FallbackReason,
    OfferInquiry,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HelpCorpora::Table)
                    .if_not_exists()
                    .col(string_len(HelpCorpora::Version, 64).primary_key())
                    .col(string_len(HelpCorpora::Embedder, 96))
                    .col(integer(HelpCorpora::Documents))
                    .col(integer(HelpCorpora::Chunks))
                    .col(timestamp_with_time_zone(HelpCorpora::IngestedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HelpChunks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(HelpChunks::Id))
                    .col(string_len(HelpChunks::CorpusVersion, 64))
                    .col(string_len(HelpChunks::Doc, 128))
                    .col(string_len(HelpChunks::Lang, 8))
                    .col(string_len(HelpChunks::Path, 255))
                    .col(string_len(HelpChunks::Title, 255))
                    .col(text(HelpChunks::Heading))
                    .col(integer(HelpChunks::Position))
                    .col(text(HelpChunks::Text))
                    .col(string_len(HelpChunks::ContentHash, 64))
                    .col(blob(HelpChunks::Embedding))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_help_chunks_corpus",
            HelpChunks::Table,
            &["corpus_version", "id"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssistantConversations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AssistantConversations::Id))
                    .col(big_integer(AssistantConversations::UserId))
                    .col(string_len(AssistantConversations::Title, 200))
                    .col(timestamp_with_time_zone(AssistantConversations::CreatedAt))
                    .col(timestamp_with_time_zone(AssistantConversations::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_assistant_conversations_user",
                        (
                            AssistantConversations::Table,
                            AssistantConversations::UserId,
                        ),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_assistant_conversations_user",
            AssistantConversations::Table,
            &["user_id", "updated_at"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AssistantMessages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AssistantMessages::Id))
                    .col(big_integer(AssistantMessages::ConversationId))
                    .col(string_len(AssistantMessages::Role, 16))
                    .col(text(AssistantMessages::Content))
                    .col(string_len(AssistantMessages::Status, 16))
                    .col(string_len_null(AssistantMessages::Mode, 16))
                    .col(text_null(AssistantMessages::Sources))
                    .col(double_null(AssistantMessages::Confidence))
                    .col(double_null(AssistantMessages::Relevance))
                    .col(string_len_null(AssistantMessages::FallbackReason, 200))
                    .col(boolean(AssistantMessages::OfferInquiry).default(false))
                    .col(timestamp_with_time_zone(AssistantMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        AssistantMessages::CompletedAt,
                    ))
                    .foreign_key(&mut fk(
                        "fk_assistant_messages_conversation",
                        (AssistantMessages::Table, AssistantMessages::ConversationId),
                        (AssistantConversations::Table, AssistantConversations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_assistant_messages_conversation",
            AssistantMessages::Table,
            &["conversation_id", "id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AssistantMessages::Table.into_iden(),
            AssistantConversations::Table.into_iden(),
            HelpChunks::Table.into_iden(),
            HelpCorpora::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
