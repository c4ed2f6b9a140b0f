//! The community's mutations: designs, posts, comments, likes, follows,
//! feed hides and behaviour events. Thin: each reads the viewer and its
//! input, calls the domain, and maps the answer.
use super::*;

#[derive(Default)]
pub struct CommunityMutation;

#[Object]
impl CommunityMutation {
    /// Creates a design from an uploaded room photo (multipart request).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_design(&self, ctx: &Context<'_>, input: CreateDesignInput) -> Result<Design> {
        let me = viewer(ctx).await?;
        let image = read_image(ctx, "sourceImage", &input.source_image).await?;
        let s = state(ctx);
        let new = designs::NewDesign {
            title: input.title,
            prompt: input.prompt,
            style: input.style.as_str().to_owned(),
            room_type: input.room_type.as_str().to_owned(),
            visibility: input.visibility.into(),
        };
        Ok(Design(
            designs::create(
                &s.db,
                &s.events,
                s.storage.as_ref(),
                &s.jobs,
                &me.user,
                new,
                image,
            )
            .await?,
        ))
    }

    /// Posts text with up to 10 images and optionally a design.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_post(&self, ctx: &Context<'_>, input: CreatePostInput) -> Result<Post> {
        let me = viewer(ctx).await?;
        // Counted before any file is read.
        if input.images.len() + input.image_upload_ids.len() > posts::MAX_IMAGES {
            return Err(AppError::validation(
                "images",
                format!("at most {} images", posts::MAX_IMAGES),
            )
            .into());
        }
        let design_id = input
            .design_id
            .as_ref()
            .map(|d| decode_id("Design", "designId", d))
            .transpose()?;
        let mut images = posts::PostImages {
            sent: Vec::with_capacity(input.images.len()),
            upload_ids: input
                .image_upload_ids
                .iter()
                .map(|id| uploads::parse_id("imageUploadIds", id))
                .collect::<Result<_, _>>()?,
        };
        for (i, upload) in input.images.iter().enumerate() {
            images
                .sent
                .push(read_image(ctx, &format!("images[{i}]"), upload).await?);
        }
        let s = state(ctx);
        Ok(Post(
            posts::create(
                &s.db,
                &s.events,
                s.storage.as_ref(),
                &s.jobs,
                &me.user,
                posts::NewPost {
                    body: &input.body,
                    design_id,
                    images,
                },
            )
            .await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_post(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = decode_id("Post", "id", &id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        posts::delete(&s.db, &s.events, &me.user, id).await?;
        Ok(true)
    }

    /// Comments on a post, or replies to a top-level comment with `parentId`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        body: String,
        parent_id: Option<ID>,
    ) -> Result<Comment> {
        let post_id = decode_id("Post", "postId", &post_id)?;
        let parent = parent_id
            .as_ref()
            .map(|p| decode_id("Comment", "parentId", p))
            .transpose()?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(Comment(
            posts::add_comment(&s.db, &s.events, &me.user, post_id, parent, &body).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_comment(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = decode_id("Comment", "id", &id)?;
        let me = viewer(ctx).await?;
        posts::delete_comment(&state(ctx).db, &state(ctx).events, &me.user, id).await?;
        Ok(true)
    }

    /// Likes a post, design, short or comment (once; repeating is a no-op).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn like(
        &self,
        ctx: &Context<'_>,
        target_type: LikeTargetType,
        target_id: ID,
    ) -> Result<LikePayload> {
        let id = decode_id(target_type.id_kind(), "targetId", &target_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        let count = social::like(&s.db, &s.events, &me.user, target_type.into(), id).await?;
        Ok(LikePayload {
            target_type,
            target_id,
            like_count: count,
            liked: true,
        })
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn unlike(
        &self,
        ctx: &Context<'_>,
        target_type: LikeTargetType,
        target_id: ID,
    ) -> Result<LikePayload> {
        let id = decode_id(target_type.id_kind(), "targetId", &target_id)?;
        let me = viewer(ctx).await?;
        let count = social::unlike(
            &state(ctx).db,
            &state(ctx).events,
            &me.user,
            target_type.into(),
            id,
        )
        .await?;
        Ok(LikePayload {
            target_type,
            target_id,
            like_count: count,
            liked: false,
        })
    }

    /// Follows a user; returns them with the new follower count.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn follow(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let id = decode_id("User", "userId", &user_id)?;
        let me = viewer(ctx).await?;
        let s = state(ctx);
        Ok(User::new(
            social::follow(&s.db, &s.events, &me.user, id).await?,
        ))
    }

    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn unfollow(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let id = decode_id("User", "userId", &user_id)?;
        let me = viewer(ctx).await?;
        Ok(User::new(
            social::unfollow(&state(ctx).db, &me.user, id).await?,
        ))
    }

    /// Removes an item from the caller's feed; its category weighs 20% less
    /// from the next feed session on.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn hide_feed_item(
        &self,
        ctx: &Context<'_>,
        item_type: FeedItemType,
        item_id: ID,
    ) -> Result<bool> {
        let me = viewer(ctx).await?;
        let (kind, name) = match item_type {
            FeedItemType::Post => ("Post", "POST"),
            FeedItemType::Design => ("Design", "DESIGN"),
        };
        let id = decode_id(kind, "itemId", &item_id)?;
        feed::hide(&state(ctx).db, me.id(), name, id).await?;
        Ok(true)
    }

    /// Records up to 500 behaviour events (COMM-6); retries are harmless.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn track_events(
        &self,
        ctx: &Context<'_>,
        events: Vec<BehaviorEventInput>,
    ) -> Result<TrackEventsPayload> {
        let me = viewer(ctx).await?;
        if events.len() > behavior::MAX_BATCH {
            return Err(AppError::validation(
                "events",
                format!("send 1 to {} events per batch", behavior::MAX_BATCH),
            )
            .into());
        }
        let raw = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let kind = match e.target_type.as_str() {
                    "POST" => Some("Post"),
                    "DESIGN" => Some("Design"),
                    "PRODUCT" => Some("Product"),
                    "SHORT" => Some("Short"),
                    _ => None,
                };
                let target_id = match kind {
                    Some(kind) => decode_id(kind, &format!("events[{i}].targetId"), &e.target_id)?,
                    None => 0,
                };
                Ok(behavior::RawEvent {
                    client_event_id: e.client_event_id,
                    event_type: e.r#type,
                    target_type: e.target_type,
                    target_id,
                    value: e.value,
                    occurred_at: e.occurred_at,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let done = behavior::ingest(&state(ctx).db, me.id(), raw).await?;
        Ok(TrackEventsPayload {
            accepted: done.accepted as i32,
            duplicates: done.duplicates as i32,
        })
    }
}
