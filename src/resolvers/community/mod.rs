//! The interior community over GraphQL (COMM-1, COMM-4 … COMM-7, OPS-4):
//! thin resolvers over [`crate::domain::community`]. Images arrive through
//! the GraphQL multipart request spec as `Upload` values.
mod mutations;

pub use mutations::CommunityMutation;

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject, Upload,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};

use super::{
    accounts::{TotalCount, User, UserConnection},
    color::ColorTheme,
    context::{
        child_connection, in_viewer_set, loaders, optional_viewer, state, viewer, viewer_user,
    },
    loaders::ViewerSet,
    relay::{PageArgs, connection, decode_id, encode_id},
    uploads::{Image, upload_url},
};
use crate::{
    auth::RoleGuard,
    domain::community::{
        behavior, designs, feed,
        insights::{self, Insights},
        posts,
        social::{self, FollowSide},
    },
    domain::uploads::{self, CheckedImage},
    entities::{comment, design as design_entity, like::LikeTarget, post as post_entity},
    error::AppError,
};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

string_enum!(
    /// Interior styles (COMM-1).
    DesignStyle {
        Modern => "MODERN", Minimalist => "MINIMALIST", Scandinavian => "SCANDINAVIAN",
        Industrial => "INDUSTRIAL", Classic => "CLASSIC", Natural => "NATURAL", Bohemian => "BOHEMIAN",
        Vintage => "VINTAGE", Japandi => "JAPANDI", Coastal => "COASTAL",
    }
);

string_enum!(
    RoomType {
        LivingRoom => "LIVING_ROOM", Bedroom => "BEDROOM", Kitchen => "KITCHEN", DiningRoom => "DINING_ROOM",
        Bathroom => "BATHROOM", HomeOffice => "HOME_OFFICE", KidsRoom => "KIDS_ROOM", Entryway => "ENTRYWAY",
        Balcony => "BALCONY",
    }
);

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::design::DesignVisibility")]
pub enum DesignVisibility {
    Public,
    Private,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::design::GenerationStatus")]
pub enum GenerationStatus {
    /// Made from an uploaded image, nothing to generate.
    Uploaded,
    Queued,
    /// Stage 1: describing the room's architecture.
    Analyzing,
    /// Stage 2: making the new image.
    Generating,
    Ready,
    /// Every attempt failed; `generationError` says why.
    Failed,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::entities::like::LikeTarget")]
pub enum LikeTargetType {
    Post,
    Design,
    Short,
    Comment,
}

impl LikeTargetType {
    fn id_kind(self) -> &'static str {
        match self {
            Self::Post => "Post",
            Self::Design => "Design",
            Self::Short => "Short",
            Self::Comment => "Comment",
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FeedItemType {
    Post,
    Design,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::community::feed::Reason")]
pub enum FeedReason {
    Following,
    ForYou,
    Trending,
    Recent,
}

async fn liked_by_me(ctx: &Context<'_>, target: LikeTarget, id: i64) -> Result<bool> {
    in_viewer_set(ctx, ViewerSet::Liked(target), id).await
}

/// A room design (COMM-1).
pub struct Design(pub design_entity::Model);

#[Object]
impl Design {
    async fn id(&self) -> ID {
        encode_id("Design", self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn prompt(&self) -> &str {
        &self.0.prompt
    }
    async fn style(&self) -> Option<DesignStyle> {
        DesignStyle::parse(&self.0.style)
    }
    async fn room_type(&self) -> Option<RoomType> {
        RoomType::parse(&self.0.room_type)
    }
    async fn source_image_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        upload_url(ctx, self.0.source_upload_id.as_ref()).await
    }
    async fn generated_image_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        upload_url(ctx, self.0.generated_upload_id.as_ref()).await
    }
    /// The room photo, with its thumbnail and WebP variants.
    async fn source_image(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        Image::of_upload(ctx, self.0.source_upload_id.as_ref(), 0).await
    }
    /// The generated image (READY designs), with its variants.
    async fn generated_image(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        Image::of_upload(ctx, self.0.generated_upload_id.as_ref(), 0).await
    }
    async fn structure_description(&self) -> Option<&str> {
        self.0.structure_description.as_deref()
    }
    async fn palette(&self) -> Vec<String> {
        self.0
            .palette
            .as_deref()
            .map(crate::domain::commerce::catalog::json_list)
            .unwrap_or_default()
    }
    /// The mood of its colours (COMM-3); null until analysed.
    async fn color_theme(&self) -> Option<ColorTheme> {
        ColorTheme::of(self.0.color_theme.as_deref())
    }
    async fn visibility(&self) -> DesignVisibility {
        self.0.visibility.into()
    }
    async fn generation_status(&self) -> GenerationStatus {
        self.0.generation_status.into()
    }
    /// Why generation failed (FAILED designs, for their owner).
    async fn generation_error(&self) -> Option<&str> {
        self.0.generation_error.as_deref()
    }
    /// The tier that made the generated image: `offline`, or `placeholder`
    /// when even that could not run.
    async fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }
    async fn like_count(&self) -> i64 {
        self.0.like_count
    }
    async fn liked_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        liked_by_me(ctx, LikeTarget::Design, self.0.id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// schema.org `VisualArtwork` JSON-LD; null unless public.
    async fn structured_data(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        crate::resolvers::seo::design(ctx, self).await
    }
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.owner_id)
            .await?
            .map(User::new))
    }
}

/// A post (COMM-4).
pub struct Post(pub post_entity::Model);

#[Object]
impl Post {
    async fn id(&self) -> ID {
        encode_id("Post", self.0.id)
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn like_count(&self) -> i64 {
        self.0.like_count
    }
    async fn comment_count(&self) -> i64 {
        self.0.comment_count
    }
    /// ln(1 + 2·likes + 3·comments).
    async fn engagement_score(&self) -> f64 {
        self.0.engagement_score
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn liked_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        liked_by_me(ctx, LikeTarget::Post, self.0.id).await
    }
    /// schema.org `SocialMediaPosting` JSON-LD.
    async fn structured_data(&self, ctx: &Context<'_>) -> Result<Option<Json<serde_json::Value>>> {
        crate::resolvers::seo::post(ctx, self).await
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.author_id)
            .await?
            .map(User::new))
    }
    /// The attached design, when the reader may see it.
    async fn design(&self, ctx: &Context<'_>) -> Result<Option<Design>> {
        let Some(id) = self.0.design_id else {
            return Ok(None);
        };
        let Some(d) = loaders(ctx).designs.load_one(id).await? else {
            return Ok(None);
        };
        let reader = viewer_user(ctx).await?;
        Ok(designs::visible_to(&d, reader.as_ref()).then_some(Design(d)))
    }
    pub async fn images(&self, ctx: &Context<'_>) -> Result<Vec<Image>> {
        let rows = loaders(ctx)
            .post_images
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let ids: Vec<String> = rows.iter().map(|r| r.upload_id.clone()).collect();
        Image::of_uploads(ctx, &ids).await
    }
    /// Top-level comments, oldest first.
    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Comment>> {
        comment_page(ctx, self.0.id, None, first, after).await
    }
}

async fn comment_page(
    ctx: &Context<'_>,
    post_id: i64,
    parent_id: Option<i64>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, Comment>> {
    let (first_rows, parent) = match parent_id {
        None => (&loaders(ctx).post_comments, post_id),
        Some(parent) => (&loaders(ctx).comment_replies, parent),
    };
    // Read before the first-page loader runs: it leaves these authors out.
    let hidden = super::blocks::hidden(ctx).await?;
    let later = |after_id, limit| async move {
        posts::comments(
            &state(ctx).db,
            post_id,
            parent_id,
            &hidden,
            Some(after_id),
            limit,
        )
        .await
    };
    child_connection(first, after, first_rows, parent, later, Comment).await
}

/// A comment; replies are one level deep.
pub struct Comment(pub comment::Model);

#[Object]
impl Comment {
    async fn id(&self) -> ID {
        encode_id("Comment", self.0.id)
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn like_count(&self) -> i64 {
        self.0.like_count
    }
    async fn reply_count(&self) -> i64 {
        self.0.reply_count
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.map(|p| encode_id("Comment", p))
    }
    async fn liked_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        liked_by_me(ctx, LikeTarget::Comment, self.0.id).await
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders(ctx)
            .users
            .load_one(self.0.author_id)
            .await?
            .map(User::new))
    }
    /// Replies, oldest first (empty for a reply).
    async fn replies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Comment>> {
        comment_page(ctx, self.0.post_id, Some(self.0.id), first, after).await
    }
}

/// One entry of the home feed and why it is there.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FeedItem {
    /// The ranking score (see COMM-5).
    score: f64,
    /// The largest contribution to the score.
    reason: FeedReason,
    #[graphql(skip)]
    post: post_entity::Model,
}

#[ComplexObject]
impl FeedItem {
    async fn post(&self) -> Post {
        Post(self.post.clone())
    }
}

#[derive(SimpleObject)]
pub struct LikePayload {
    target_type: LikeTargetType,
    target_id: ID,
    like_count: i64,
    liked: bool,
}

#[derive(SimpleObject)]
pub struct TrackEventsPayload {
    /// Events stored now.
    accepted: i32,
    /// Events already received earlier (same client event id), skipped.
    duplicates: i32,
}

#[derive(SimpleObject)]
pub struct StyleShare {
    style: Option<DesignStyle>,
    /// Share of the liked or saved designs in this style; the shares sum to 1.
    share: f64,
}

#[derive(SimpleObject)]
pub struct SuggestedAction {
    /// LIKE_MORE_DESIGNS, FOLLOW_CREATORS, SAVE_FAVORITES, EXPLORE_ROOM_TYPE or BROADEN_STYLE.
    kind: String,
    message: String,
    style: Option<DesignStyle>,
    room_type: Option<RoomType>,
}

#[derive(SimpleObject)]
pub struct MyInsights {
    /// How much the recommendations can rely on, 0 to 1.
    confidence: f64,
    style_dna: Vec<StyleShare>,
    suggested_actions: Vec<SuggestedAction>,
    designs_considered: i32,
}

impl From<Insights> for MyInsights {
    fn from(i: Insights) -> Self {
        Self {
            confidence: i.confidence,
            style_dna: i
                .style_dna
                .into_iter()
                .map(|s| StyleShare {
                    style: DesignStyle::parse(&s.style),
                    share: s.share,
                })
                .collect(),
            suggested_actions: i
                .actions
                .into_iter()
                .map(|a| SuggestedAction {
                    kind: a.kind.to_owned(),
                    message: a.message,
                    style: a.style.as_deref().and_then(DesignStyle::parse),
                    room_type: a.room_type.as_deref().and_then(RoomType::parse),
                })
                .collect(),
            designs_considered: i.designs_considered as i32,
        }
    }
}

#[derive(InputObject)]
pub struct CreateDesignInput {
    title: String,
    #[graphql(default)]
    prompt: String,
    style: DesignStyle,
    room_type: RoomType,
    /// JPEG, PNG or WebP.
    source_image: Upload,
    #[graphql(default_with = "DesignVisibility::Public")]
    visibility: DesignVisibility,
}

#[derive(InputObject, Default)]
pub struct DesignFilterInput {
    style: Option<DesignStyle>,
    room_type: Option<RoomType>,
    owner_id: Option<ID>,
    /// Designs whose colours have this mood.
    theme: Option<ColorTheme>,
}

#[derive(InputObject)]
pub struct CreatePostInput {
    body: String,
    /// JPEG, PNG or WebP images sent with the request.
    #[graphql(default)]
    images: Vec<Upload>,
    /// Confirmed uploads of the caller's, shown after `images`; up to 10
    /// images in all.
    #[graphql(default)]
    image_upload_ids: Vec<ID>,
    design_id: Option<ID>,
}

#[derive(InputObject)]
pub struct BehaviorEventInput {
    /// Unique per user; a repeated id is skipped.
    client_event_id: String,
    /// VIEW, CLICK, DWELL, SCROLL_DEPTH, ZOOM, SAVE, SHARE or PURCHASE.
    r#type: String,
    /// POST, DESIGN, PRODUCT or SHORT.
    target_type: String,
    target_id: ID,
    /// DWELL: seconds; SCROLL_DEPTH: percent in 10% steps.
    value: Option<f64>,
    occurred_at: DateTime<Utc>,
}

/// Reads an upload into memory, refusing it past `max` bytes.
pub(super) async fn read_image(
    ctx: &Context<'_>,
    field: &str,
    upload: &Upload,
) -> Result<CheckedImage> {
    let max = state(ctx).config.upload_max_bytes;
    let value = upload
        .value(ctx)
        .map_err(|_| AppError::validation(field, "the upload could not be read"))?;
    let size = value
        .size()
        .map_err(|_| AppError::validation(field, "the upload could not be read"))?;
    if size > max {
        return Err(
            AppError::validation(field, format!("the image is larger than {max} bytes")).into(),
        );
    }
    let bytes = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut buf = Vec::with_capacity(size as usize);
        value
            .into_read()
            .take(max + 1)
            .read_to_end(&mut buf)
            .map(|_| buf)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|_| AppError::validation(field, "the upload could not be read"))?;
    Ok(uploads::check_image(field, bytes, max)?)
}

fn follow_connection(
    page: &PageArgs,
    rows: Vec<crate::entities::follow::Model>,
    users: std::collections::HashMap<i64, crate::entities::user::Model>,
    followers: bool,
    total: i64,
) -> UserConnection {
    connection(
        page,
        rows.into_iter()
            .filter_map(|f| {
                let other = if followers {
                    f.follower_id
                } else {
                    f.followee_id
                };
                users.get(&other).cloned().map(|u| (f.id, u))
            })
            .collect(),
        TotalCount::new(total),
        |(id, _)| *id,
        |(_, u)| User::new(u),
    )
}

#[derive(Default)]
pub struct CommunityQuery;

#[Object]
impl CommunityQuery {
    /// A design: PUBLIC ones for everyone, PRIVATE ones for their owner.
    async fn design(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Design>> {
        let id = decode_id("Design", "id", &id)?;
        let reader = viewer_user(ctx).await?;
        Ok(designs::find_visible(&state(ctx).db, id, reader.as_ref())
            .await?
            .map(Design))
    }

    /// Designs newest first: PUBLIC ones plus the caller's own.
    async fn designs(
        &self,
        ctx: &Context<'_>,
        filter: Option<DesignFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Design>> {
        let page = PageArgs::new(first, after)?;
        let f = filter.unwrap_or_default();
        let filter = designs::DesignFilter {
            style: f.style.map(|s| s.as_str().to_owned()),
            room_type: f.room_type.map(|r| r.as_str().to_owned()),
            owner_id: f
                .owner_id
                .as_ref()
                .map(|o| decode_id("User", "ownerId", o))
                .transpose()?,
            theme: f.theme.map(Into::into),
        };
        let reader = viewer_user(ctx).await?;
        let rows = designs::list(
            &state(ctx).db,
            &filter,
            reader.as_ref(),
            &*super::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |d| d.id, Design))
    }

    async fn post(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Post>> {
        let id = decode_id("Post", "id", &id)?;
        // A post hidden by moderation: admins only.
        let reader = viewer_user(ctx).await?;
        Ok(
            crate::domain::moderation::find_post_for(&state(ctx).db, id, reader.as_ref())
                .await?
                .map(Post),
        )
    }

    /// Posts newest first, of one user when `userId` is given.
    async fn posts(
        &self,
        ctx: &Context<'_>,
        user_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Post>> {
        let page = PageArgs::new(first, after)?;
        let author = user_id
            .as_ref()
            .map(|u| decode_id("User", "userId", u))
            .transpose()?;
        let rows = posts::list(
            &state(ctx).db,
            author,
            &*super::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(&page, rows, EmptyFields, |p| p.id, Post))
    }

    /// Top-level comments of a post, oldest first.
    async fn comments(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Comment>> {
        let post_id = decode_id("Post", "postId", &post_id)?;
        if posts::find_live(&state(ctx).db, post_id).await?.is_none() {
            return Err(AppError::not_found("Post").into());
        }
        comment_page(ctx, post_id, None, first, after).await
    }

    /// Who follows `userId`, most recent first.
    async fn followers(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        follow_list(ctx, user_id, FollowSide::Followers, first, after).await
    }

    /// Whom `userId` follows, most recent first.
    async fn following(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        follow_list(ctx, user_id, FollowSide::Following, first, after).await
    }

    /// The personalised home feed (COMM-5). Pages are stable within a feed
    /// session: the cursor carries the session's instant.
    async fn home_feed(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, FeedItem>> {
        let page = PageArgs::new(first, after)?;
        let cursor: Option<feed::FeedCursor> = page.after_key()?;
        let me = optional_viewer(ctx).await?.map(|v| v.id());
        let s = state(ctx);
        let (items, as_of) = feed::home(
            &s.db,
            s.config.feed_weights,
            me,
            &*super::blocks::hidden(ctx).await?,
            cursor.as_ref(),
            page.fetch_limit() as usize,
        )
        .await?;
        let as_of = as_of.timestamp_millis();
        Ok(connection(
            &page,
            items,
            EmptyFields,
            |r| feed::FeedCursor {
                as_of,
                score: r.score,
                id: r.post.id,
            },
            |r| FeedItem {
                score: r.score,
                reason: r.reason.into(),
                post: r.post,
            },
        ))
    }

    /// Confidence, style DNA and suggested actions for the caller (COMM-7).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_insights(&self, ctx: &Context<'_>) -> Result<MyInsights> {
        let me = viewer(ctx).await?;
        Ok(insights::for_user(&state(ctx).db, me.id()).await?.into())
    }
}

async fn follow_list(
    ctx: &Context<'_>,
    user_id: ID,
    side: FollowSide,
    first: Option<i32>,
    after: Option<String>,
) -> Result<UserConnection> {
    let followers = side == FollowSide::Followers;
    let user_id = decode_id("User", "userId", &user_id)?;
    let page = PageArgs::new(first, after)?;
    let Some(subject) = loaders(ctx).users.load_one(user_id).await? else {
        return Err(AppError::not_found("User").into());
    };
    let rows = social::follows(
        &state(ctx).db,
        user_id,
        side,
        &*super::blocks::hidden(ctx).await?,
        page.after_key()?,
        page.fetch_limit(),
    )
    .await?;
    let ids = rows.iter().map(|f| {
        if followers {
            f.follower_id
        } else {
            f.followee_id
        }
    });
    let users = loaders(ctx).users.load_many(ids).await?;
    let total = if followers {
        subject.follower_count
    } else {
        subject.following_count
    };
    Ok(follow_connection(&page, rows, users, followers, total))
}
