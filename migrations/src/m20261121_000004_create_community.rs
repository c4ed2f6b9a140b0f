//! Interior community (COMM-1, COMM-4 … COMM-7, OPS-4): uploaded files,
//! designs, posts and their images, one-level comments, follows (with
//! follower counts on users), feed hides and behaviour events.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261120_000001_create_users::Users,
    schema_helpers::{fk, index},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    OwnerId,
    ContentType,
    ByteSize,
    StorageKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Designs {
    Table,
    Id,
    OwnerId,
    Title,
    Prompt,
    Style,
    RoomType,
    SourceUploadId,
    GeneratedUploadId,
    StructureDescription,
    Palette,
    ColorTheme,
    Visibility,
    GenerationStatus,
    LikeCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    AuthorId,
    Body,
    DesignId,
    LikeCount,
    CommentCount,
    EngagementScore,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum PostImages {
    Table,
    Id,
    PostId,
    UploadId,
    Position,
}

#[derive(DeriveIden)]
enum Comments {
    Table,
    Id,
    PostId,
    AuthorId,
    ParentId,
    Body,
    LikeCount,
    ReplyCount,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Follows {
    Table,
    Id,
    FollowerId,
    FolloweeId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FeedHides {
    Table,
    Id,
    UserId,
    ItemType,
    ItemId,
    Category,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BehaviorEvents {
    Table,
    Id,
    UserId,
    ClientEventId,
    EventType,
    TargetType,
    TargetId,
    Value,
    OccurredAt,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["follower_count", "following_count"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(big_integer(Alias::new(col)).default(0))
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .if_not_exists()
                    .col(string_len(Uploads::Id, 36).primary_key())
                    .col(big_integer(Uploads::OwnerId))
                    .col(string_len(Uploads::ContentType, 32))
                    .col(big_integer(Uploads::ByteSize))
                    .col(string_len(Uploads::StorageKey, 200))
                    .col(timestamp_with_time_zone(Uploads::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_uploads_owner",
                        (Uploads::Table, Uploads::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Designs::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Designs::Id))
                    .col(big_integer(Designs::OwnerId))
                    .col(string_len(Designs::Title, 120))
                    .col(text(Designs::Prompt))
                    .col(string_len(Designs::Style, 24))
                    .col(string_len(Designs::RoomType, 24))
                    .col(string_len_null(Designs::SourceUploadId, 36))
                    .col(string_len_null(Designs::GeneratedUploadId, 36))
                    .col(text_null(Designs::StructureDescription))
                    .col(text_null(Designs::Palette))
                    .col(string_len_null(Designs::ColorTheme, 24))
                    .col(string_len(Designs::Visibility, 16))
                    .col(string_len(Designs::GenerationStatus, 16))
                    .col(big_integer(Designs::LikeCount).default(0))
                    .col(timestamp_with_time_zone(Designs::CreatedAt))
                    .col(timestamp_with_time_zone(Designs::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_designs_owner",
                        (Designs::Table, Designs::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_designs_owner",
            Designs::Table,
            &["owner_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_designs_style_room",
            Designs::Table,
            &["style", "room_type", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Posts::Id))
                    .col(big_integer(Posts::AuthorId))
                    .col(text(Posts::Body))
                    .col(big_integer_null(Posts::DesignId))
                    .col(big_integer(Posts::LikeCount).default(0))
                    .col(big_integer(Posts::CommentCount).default(0))
                    .col(double(Posts::EngagementScore).default(0.0))
                    .col(timestamp_with_time_zone(Posts::CreatedAt))
                    .col(timestamp_with_time_zone_null(Posts::DeletedAt))
                    .foreign_key(&mut fk(
                        "fk_posts_author",
                        (Posts::Table, Posts::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_posts_author",
            Posts::Table,
            &["author_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_posts_created",
            Posts::Table,
            &["created_at", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_posts_design",
            Posts::Table,
            &["design_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PostImages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PostImages::Id))
                    .col(big_integer(PostImages::PostId))
                    .col(string_len(PostImages::UploadId, 36))
                    .col(integer(PostImages::Position))
                    .foreign_key(&mut fk(
                        "fk_post_images_post",
                        (PostImages::Table, PostImages::PostId),
                        (Posts::Table, Posts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_post_images_post",
            PostImages::Table,
            &["post_id", "position"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Comments::Id))
                    .col(big_integer(Comments::PostId))
                    .col(big_integer(Comments::AuthorId))
                    .col(big_integer_null(Comments::ParentId))
                    .col(text(Comments::Body))
                    .col(big_integer(Comments::LikeCount).default(0))
                    .col(big_integer(Comments::ReplyCount).default(0))
                    .col(timestamp_with_time_zone(Comments::CreatedAt))
                    .col(timestamp_with_time_zone_null(Comments::DeletedAt))
                    .foreign_key(&mut fk(
                        "fk_comments_post",
                        (Comments::Table, Comments::PostId),
                        (Posts::Table, Posts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_comments_post",
            Comments::Table,
            &["post_id", "parent_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "idx_comments_created",
            Comments::Table,
            &["created_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Follows::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Follows::Id))
                    .col(big_integer(Follows::FollowerId))
                    .col(big_integer(Follows::FolloweeId))
                    .col(timestamp_with_time_zone(Follows::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_follows_follower",
                        (Follows::Table, Follows::FollowerId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_follows_followee",
                        (Follows::Table, Follows::FolloweeId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_follows_pair",
            Follows::Table,
            &["follower_id", "followee_id"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_follows_followee",
            Follows::Table,
            &["followee_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FeedHides::Table)
                    .if_not_exists()
                    .col(big_pk_auto(FeedHides::Id))
                    .col(big_integer(FeedHides::UserId))
                    .col(string_len(FeedHides::ItemType, 16))
                    .col(big_integer(FeedHides::ItemId))
                    .col(string_len(FeedHides::Category, 40))
                    .col(timestamp_with_time_zone(FeedHides::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_feed_hides_user",
                        (FeedHides::Table, FeedHides::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_feed_hides",
            FeedHides::Table,
            &["user_id", "item_type", "item_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(BehaviorEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(BehaviorEvents::Id))
                    .col(big_integer(BehaviorEvents::UserId))
                    .col(string_len(BehaviorEvents::ClientEventId, 64))
                    .col(string_len(BehaviorEvents::EventType, 16))
                    .col(string_len(BehaviorEvents::TargetType, 16))
                    .col(big_integer(BehaviorEvents::TargetId))
                    .col(double_null(BehaviorEvents::Value))
                    .col(timestamp_with_time_zone(BehaviorEvents::OccurredAt))
                    .col(timestamp_with_time_zone(BehaviorEvents::ReceivedAt))
                    .foreign_key(&mut fk(
                        "fk_behavior_events_user",
                        (BehaviorEvents::Table, BehaviorEvents::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The home feed's trending window: likes by target type and time.
        index(
            manager,
            "idx_likes_recent",
            Alias::new("likes"),
            &["target_type", "created_at", "target_id"],
            false,
        )
        .await?;
        index(
            manager,
            "uq_behavior_events_client",
            BehaviorEvents::Table,
            &["user_id", "client_event_id"],
            true,
        )
        .await?;
        index(
            manager,
            "idx_behavior_events_user",
            BehaviorEvents::Table,
            &["user_id", "occurred_at"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_likes_recent")
                    .table(Alias::new("likes"))
                    .to_owned(),
            )
            .await?;
        for table in [
            BehaviorEvents::Table.into_iden(),
            FeedHides::Table.into_iden(),
            Follows::Table.into_iden(),
            Comments::Table.into_iden(),
            PostImages::Table.into_iden(),
            Posts::Table.into_iden(),
            Designs::Table.into_iden(),
            Uploads::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for col in ["follower_count", "following_count"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(Alias::new(col))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
