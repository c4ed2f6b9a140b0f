//! `user_blocks` (issue 22): who blocked whom. One row per ordered pair
//! (unique), with indexes both ways, because visibility is symmetric: a
//! viewer's hidden set is "whom I blocked" ∪ "who blocked me".
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum UserBlocks {
    Table,
    Id,
    BlockerId,
    BlockedId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserBlocks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(UserBlocks::Id))
                    .col(big_integer(UserBlocks::BlockerId))
                    .col(big_integer(UserBlocks::BlockedId))
                    .col(timestamp_with_time_zone(UserBlocks::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_user_blocks_blocker",
                        (UserBlocks::Table, UserBlocks::BlockerId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_user_blocks_blocked",
                        (UserBlocks::Table, UserBlocks::BlockedId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The pair, unique: blocking twice is a no-op. It also serves
        // "whom did I block" (blocker first).
        index(
            manager,
            "uq_user_blocks_pair",
            UserBlocks::Table,
            &["blocker_id", "blocked_id"],
            true,
        )
        .await?;
        // "Who blocked me", the other half of a viewer's hidden set.
        index(
            manager,
            "idx_user_blocks_blocked",
            UserBlocks::Table,
            &["blocked_id", "blocker_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(UserBlocks::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
