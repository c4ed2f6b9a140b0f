//! `generateDesign` (COMM-2): the mutation that queues a design's AI
//! generation; the pipeline is `domain::community::generation`.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Upload};

use super::{
    community::{Design, DesignStyle, DesignVisibility, RoomType, read_image},
    context::{state, viewer},
};
use crate::{
    auth::RoleGuard,
    config::ai::ProviderName,
    domain::{
        community::{
            designs,
            generation::{self, RequestSource},
        },
        uploads,
    },
    error::AppError,
    jobs::public_id,
};

#[derive(InputObject)]
pub struct GenerateDesignInput {
    /// Defaults to the style and room type ("Modern living room").
    title: Option<String>,
    /// What the owner wants; stage 1's description of the room is added to
    /// it for the generator.
    #[graphql(default)]
    prompt: String,
    style: DesignStyle,
    room_type: RoomType,
    /// The room photo (JPEG, PNG or WebP); or `sourceUploadId`.
    source_image: Option<Upload>,
    /// One of the caller's earlier uploads (an `Upload` id); or `sourceImage`.
    source_upload_id: Option<ID>,
    #[graphql(default_with = "DesignVisibility::Public")]
    visibility: DesignVisibility,
    /// Tried first; then the server's chain (`VITRINE_AI_PROVIDERS`), ending
    /// with the offline tier. A provider without a key on this server is
    /// refused (VALIDATION on `provider`).
    provider: Option<AiProvider>,
}

/// Who makes a design's image.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AiProvider {
    /// Google Gemini (`generateContent`, image in and out).
    Gemini,
    /// OpenAI (chat completions for stage 1, image edits for stage 2).
    Openai,
    /// Replicate (predictions of the configured models).
    Replicate,
    /// On this server, no network: a regrade of the photo per style.
    Offline,
}

impl From<AiProvider> for ProviderName {
    fn from(p: AiProvider) -> Self {
        match p {
            AiProvider::Gemini => Self::Gemini,
            AiProvider::Openai => Self::OpenAi,
            AiProvider::Replicate => Self::Replicate,
            AiProvider::Offline => Self::Offline,
        }
    }
}

#[derive(SimpleObject)]
pub struct GenerateDesignPayload {
    /// QUEUED when first asked; its current state on a replay of the key.
    design: Design,
    /// Follow it with `jobProgress(jobId)`.
    job_id: ID,
}

#[derive(Default)]
pub struct GenerationMutation;

#[Object]
impl GenerationMutation {
    /// Queues the AI generation of a room design and answers at once: stage
    /// 1 describes the room's architecture, stage 2 makes the new image with
    /// that description in its prompt; the design goes QUEUED → ANALYZING →
    /// GENERATING → READY (or FAILED), each step on `jobProgress`, and READY
    /// sends a DESIGN_READY notification. The same `idempotencyKey` and
    /// input return the same design (`IN_PROGRESS` while it is generated);
    /// another input with that key is `IDEMPOTENCY_KEY_REUSED`.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn generate_design(
        &self,
        ctx: &Context<'_>,
        input: GenerateDesignInput,
        idempotency_key: String,
    ) -> Result<GenerateDesignPayload> {
        let me = viewer(ctx).await?;
        let source = match (&input.source_image, &input.source_upload_id) {
            (Some(upload), None) => {
                RequestSource::Image(read_image(ctx, "sourceImage", upload).await?)
            }
            (None, Some(id)) => RequestSource::Upload(uploads::parse_id("sourceUploadId", id)?),
            _ => {
                return Err(AppError::validation(
                    "sourceImage",
                    "send exactly one of `sourceImage` and `sourceUploadId`",
                )
                .into());
            }
        };
        let title = input.title.unwrap_or_else(|| {
            format!(
                "{} {}",
                input.style.as_str().to_lowercase(),
                input.room_type.as_str().to_lowercase().replace('_', " ")
            )
        });
        let new = designs::NewDesign {
            title,
            prompt: input.prompt,
            style: input.style.as_str().to_owned(),
            room_type: input.room_type.as_str().to_owned(),
            visibility: input.visibility.into(),
        };
        let s = state(ctx);
        let (design, started) = generation::start(
            s,
            &me.user,
            new,
            source,
            input.provider.map(Into::into),
            &idempotency_key,
        )
        .await?;
        Ok(GenerateDesignPayload {
            design: Design(design),
            job_id: ID(public_id(started.job_id)),
        })
    }
}
