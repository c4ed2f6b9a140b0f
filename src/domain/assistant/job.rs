//! The assistant's jobs: `ASSISTANT_INGEST` (the documents into chunks,
//! embeddings and the index, and the vectors in Elasticsearch when it is
//! the search backend) and `ASSISTANT_ANSWER` (one answer, streamed).
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde::{Deserialize, Serialize};

use super::{
    answer::{self, Draft, FAQ_BELOW, Retrieved, Scores, Source, UNSURE_BELOW},
    cache::{self, CachedAnswer},
    index::{CANDIDATES, HelpIndex, Retrieval},
    ingest,
    stream::Streamer,
};
use crate::{
    entities::{
        assistant_conversation as conversation,
        assistant_message::{self as message, AnswerMode, AnswerStatus, MessageRole},
    },
    infra::llm::{ChatEvent, ChatRequest, LlmError, Role},
    jobs::{Backoff, HandlerResult, JobContext, JobKind, KindOptions},
    state::AppState,
};

/// Ingests the help documents (when they changed, or `force`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IngestHelp {
    #[serde(default)]
    pub force: bool,
}

impl JobKind for IngestHelp {
    const KIND: &'static str = "ASSISTANT_INGEST";

    fn options() -> KindOptions {
        KindOptions {
            timeout: Duration::from_secs(1800),
            ..KindOptions::long_exclusive(Duration::from_secs(10))
        }
    }
}

/// The key that keeps one ingestion queued or running at a time.
pub const INGEST_KEY: &str = "assistant-ingest";

/// How often an instance checks for a corpus ingested elsewhere.
const RELOAD_EVERY: Duration = Duration::from_secs(10);

/// Keeps this instance's index on the corpus in force (a background loop):
/// an ingestion on any instance reaches every other within
/// [`RELOAD_EVERY`].
pub async fn keep_loaded(state: AppState) {
    let mut tick = tokio::time::interval(RELOAD_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.assistant.refresh(state.jobs.db()).await {
            tracing::warn!(error = %e, "cannot load the help index");
        }
    }
}

/// Queues an ingestion when the instance starts (a no-op job when the
/// corpus is unchanged; one at a time across instances).
pub async fn ingest_on_start(state: &AppState) {
    if !state.config.assistant.auto_ingest || !state.config.jobs.workers {
        return;
    }
    let queued = state
        .jobs
        .enqueue_if_absent(
            state.jobs.db(),
            &IngestHelp::default(),
            crate::jobs::Enqueue {
                active_key: Some(INGEST_KEY.into()),
                ..crate::jobs::Enqueue::default()
            },
        )
        .await;
    match queued {
        Ok(Some(_)) => state.jobs.wake(),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = ?e, "cannot queue the help ingestion"),
    }
}

pub async fn run_ingest(state: &AppState, ctx: &JobContext, job: &IngestHelp) -> HandlerResult {
    let progress = |fraction: f64, message: String| {
        tracing::debug!(fraction, %message, "help ingestion");
    };
    let report = ingest::ingest(
        state.jobs.db(),
        &state.config.assistant.docs_dir,
        state.assistant.embedder(),
        job.force,
        &progress,
    )
    .await?;
    ctx.progress(0.95, "loading the index").await;
    state.assistant.refresh(state.jobs.db()).await?;
    // Checked even when the corpus is unchanged: Elasticsearch may have
    // lost the index, or missed the last push. A failure fails the job
    // (retried later); answers meanwhile fall back to the in-process scan.
    let pushed = sync_vectors(state)
        .await
        .map_err(|e| e.context("the help vectors in Elasticsearch"))?;
    let mut summary = if report.changed {
        format!(
            "ingested {} documents, {} chunks ({} embedded)",
            report.documents, report.chunks, report.embedded
        )
    } else {
        "the help corpus is up to date".to_owned()
    };
    if let Some(pushed) = pushed {
        summary.push_str(&format!("; {pushed} vectors pushed to Elasticsearch"));
    }
    Ok(summary)
}

/// Makes Elasticsearch (when configured) hold the vectors of the corpus in
/// force, pushing them all when its count for that version is not the
/// number of chunks; how many were pushed, if any.
async fn sync_vectors(state: &AppState) -> anyhow::Result<Option<usize>> {
    let (Some(vectors), Some(index)) = (state.assistant.vectors(), state.assistant.index()) else {
        return Ok(None);
    };
    let Some(dims) = index.chunks.first().map(|c| c.vector.len()) else {
        return Ok(None);
    };
    vectors.ensure_index(dims).await?;
    if vectors.count(&index.version).await? == index.chunks.len() as u64 {
        return Ok(None);
    }
    let chunks: Vec<_> = index
        .chunks
        .iter()
        .map(|c| (c.id, c.doc.clone(), c.lang.clone(), c.vector.clone()))
        .collect();
    vectors.replace(&index.version, &chunks).await?;
    tracing::info!(
        version = %index.version,
        chunks = chunks.len(),
        index = vectors.index(),
        "help vectors pushed to Elasticsearch"
    );
    Ok(Some(chunks.len()))
}

/// With Elasticsearch, `index` with its kNN hits for `vector` as the
/// vector ranking; `None` (the in-process scan is used) without it, and
/// when it fails or does not hold this version (not synced yet).
async fn es_vector_ranking(
    state: &AppState,
    index: &HelpIndex,
    vector: &[f32],
) -> Option<HelpIndex> {
    let vectors = state.assistant.vectors()?;
    // Cosine is undefined for a zero vector (Elasticsearch refuses it);
    // the scan ranks it as well as anything could.
    if vector.iter().all(|x| *x == 0.0) {
        return None;
    }
    let hits = match vectors.knn(&index.version, vector, CANDIDATES).await {
        Ok(hits) => hits,
        Err(e) => {
            tracing::warn!(error = %e, "kNN search failed; using the in-process vector scan");
            return None;
        }
    };
    // Every hit must be a chunk of this index; none at all means
    // Elasticsearch does not hold this version (yet).
    let slots: Option<Vec<usize>> = hits.iter().map(|(id, _)| index.slot_of(*id)).collect();
    match slots {
        Some(slots) if !slots.is_empty() => Some(index.with_vector_ranking(slots)),
        _ => {
            tracing::warn!(
                version = %index.version,
                "Elasticsearch lacks this help corpus; using the in-process vector scan"
            );
            None
        }
    }
}

/// Answers one question.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnswerQuestion {
    pub message_id: i64,
}

impl JobKind for AnswerQuestion {
    const KIND: &'static str = "ASSISTANT_ANSWER";

    fn options() -> KindOptions {
        KindOptions {
            concurrency: 8,
            timeout: Duration::from_secs(180),
            max_attempts: 2,
            backoff: Backoff {
                base: Duration::from_millis(500),
                cap: Duration::from_secs(5),
                jitter: 0.2,
            },
        }
    }
}

/// How an answer came to be, for the row.
struct Outcome {
    mode: AnswerMode,
    sources: Vec<Source>,
    scores: Scores,
    fallback: Option<String>,
    offer_inquiry: bool,
}

pub async fn run_answer(state: &AppState, ctx: &JobContext, job: &AnswerQuestion) -> HandlerResult {
    match answer_once(state, ctx, job).await {
        Err(e) if ctx.is_last_attempt() => {
            let failed = message::ActiveModel {
                id: Set(job.message_id),
                status: Set(AnswerStatus::Failed),
                content: Set("Sorry, the assistant could not answer. Please try again.".into()),
                completed_at: Set(Some(Utc::now())),
                ..Default::default()
            };
            if let Err(write) = failed.update(state.jobs.db()).await {
                tracing::error!(error = %write, "cannot mark the answer failed");
            }
            let streamer = Streamer::start(
                state.realtime.clone(),
                state.kv.clone(),
                &state.config.redis_prefix,
                job.message_id,
                ctx.attempt * 100 + 99,
            )
            .await;
            streamer.done().await;
            state.metrics.count_assistant_answer("FAILED", false);
            Err(e)
        }
        other => other,
    }
}

/// Streams `text` word by word, `pace` apart.
async fn stream_text(streamer: &mut Streamer, text: &str, pace: Duration) {
    for word in text.split_inclusive(char::is_whitespace) {
        streamer.token(word).await;
        if !pace.is_zero() {
            tokio::time::sleep(pace).await;
        }
    }
}

async fn answer_once(state: &AppState, ctx: &JobContext, job: &AnswerQuestion) -> HandlerResult {
    let db = state.jobs.db();
    let Some(row) = message::Entity::find_by_id(job.message_id).one(db).await? else {
        return Ok("the message is gone".into());
    };
    if matches!(row.status, AnswerStatus::Done | AnswerStatus::Failed) {
        return Ok("already answered".into());
    }
    let before = super::history(db, row.conversation_id, row.id, super::HISTORY + 1)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    let Some(question) = before
        .iter()
        .rev()
        .find(|m| m.role == MessageRole::User)
        .cloned()
    else {
        return Err(crate::jobs::permanent("the answer has no question"));
    };
    let history: Vec<(Role, String)> = before
        .iter()
        .filter(|m| m.id != question.id && !m.content.is_empty())
        .map(|m| {
            let role = if m.role == MessageRole::User {
                Role::User
            } else {
                Role::Assistant
            };
            (role, m.content.clone())
        })
        .collect();
    message::ActiveModel {
        id: Set(row.id),
        status: Set(AnswerStatus::Streaming),
        ..Default::default()
    }
    .update(db)
    .await?;
    let started = Instant::now();
    let mut streamer = Streamer::start(
        state.realtime.clone(),
        state.kv.clone(),
        &state.config.redis_prefix,
        row.id,
        ctx.attempt * 100,
    )
    .await;
    if state.assistant.index().is_none() {
        state.assistant.refresh(db).await?;
    }
    let assistant = &state.assistant;
    let pace = assistant.config.pace;
    let outcome = match assistant.index() {
        None => {
            let korean = super::text::is_korean(&question.content);
            let text = if korean {
                "도움말을 준비하는 중입니다. 잠시 후 다시 질문해 주세요."
            } else {
                "The help center is being prepared. Please ask again in a minute."
            };
            stream_text(&mut streamer, text, pace).await;
            Outcome {
                mode: AnswerMode::Faq,
                sources: Vec::new(),
                scores: Scores {
                    relevance: 0.0,
                    coverage: 0.0,
                    completeness: 0.0,
                    confidence: 0.0,
                },
                fallback: Some("no help corpus is ingested yet".into()),
                offer_inquiry: true,
            }
        }
        Some(index) => answer_with(state, &index, &question.content, &history, &mut streamer).await,
    };
    let mode = outcome.mode;
    let finished = message::ActiveModel {
        id: Set(row.id),
        content: Set(streamer.text().to_owned()),
        status: Set(AnswerStatus::Done),
        mode: Set(Some(mode)),
        sources: Set(Some(serde_json::to_string(&outcome.sources)?)),
        confidence: Set(Some(outcome.scores.confidence)),
        relevance: Set(Some(outcome.scores.relevance)),
        fallback_reason: Set(outcome
            .fallback
            .as_ref()
            .map(|r| r.chars().take(200).collect())),
        offer_inquiry: Set(outcome.offer_inquiry),
        completed_at: Set(Some(Utc::now())),
        ..Default::default()
    };
    finished.update(db).await?;
    conversation::ActiveModel {
        id: Set(row.conversation_id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    let tokens = streamer.tokens;
    streamer.done().await;
    state.metrics.count_assistant_answer(
        &format!("{mode:?}").to_uppercase(),
        outcome.fallback.is_some(),
    );
    Ok(format!(
        "{mode:?} answer, {tokens} tokens, confidence {:.2}, in {} ms",
        outcome.scores.confidence,
        started.elapsed().as_millis()
    ))
}

/// The embedding of the question in the index's space, when there is one.
async fn question_vector(
    state: &AppState,
    index: &HelpIndex,
    question: &str,
) -> (Option<Vec<f32>>, Option<String>) {
    let embedder = state.assistant.embedder();
    if embedder.name() != index.embedder {
        return (
            None,
            Some(format!("the index was embedded with {}", index.embedder)),
        );
    }
    match embedder.embed(&[question.to_owned()]).await {
        Ok(mut v) => (v.pop(), None),
        Err(e) => (None, Some(format!("embeddings: {e}"))),
    }
}

async fn answer_with(
    state: &AppState,
    index: &HelpIndex,
    question: &str,
    history: &[(Role, String)],
    streamer: &mut Streamer,
) -> Outcome {
    let assistant = &state.assistant;
    let pace = assistant.config.pace;
    // A follow-up ("can they change it?") is retrieved together with the
    // question before it, which names what "it" is.
    let query = match history.iter().rev().find(|(role, _)| *role == Role::User) {
        Some((_, previous)) => format!("{previous}\n{question}"),
        None => question.to_owned(),
    };
    let (vector, mut fallback) = question_vector(state, index, &query).await;
    let ranked = match &vector {
        Some(v) => es_vector_ranking(state, index, v).await,
        None => None,
    };
    let mut retrieved = answer::retrieve(
        ranked.as_ref().unwrap_or(index),
        &query,
        vector.as_deref(),
        Retrieval::Hybrid,
    );
    retrieved.korean = super::text::is_korean(question);
    let lang = if retrieved.korean { "ko" } else { "en" };
    let prefix = format!("{}:", state.config.redis_prefix);
    let cacheable = history.is_empty() && retrieved.relevance >= FAQ_BELOW;
    if cacheable && let Some(v) = &vector {
        match cache::lookup(state.kv.as_ref(), &prefix, &index.version, lang, v).await {
            Ok(Some((hit, _))) => {
                stream_text(streamer, &hit.text, pace).await;
                return Outcome {
                    mode: AnswerMode::Cached,
                    sources: hit.sources,
                    scores: hit.scores,
                    fallback: None,
                    offer_inquiry: hit.offer_inquiry,
                };
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the answer cache is unavailable"),
        }
    }
    if retrieved.relevance < FAQ_BELOW {
        let draft = answer::faq(index, &assistant.faq, question, retrieved.korean);
        return finish(
            index,
            &retrieved,
            streamer,
            draft,
            AnswerMode::Faq,
            true,
            fallback,
            pace,
        )
        .await;
    }
    // The chat model's answer (its text streamed already), when it gives one.
    let mut generated = None;
    if let Some(chat) = &assistant.chat {
        match chat_answer(chat, index, &retrieved, history, question, streamer).await {
            Ok(finished) => {
                let sources = retrieved.slots.iter().copied().take(3).collect();
                let draft = Draft {
                    text: String::new(),
                    sources,
                };
                generated = Some((draft, AnswerMode::Llm, finished));
                // `fallbackReason` says why the model did not answer; it did.
                fallback = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the chat model failed; answering offline");
                if !streamer.text().is_empty() {
                    streamer.restart().await;
                }
                fallback = Some(format!("chat: {e}"));
            }
        }
    }
    let (draft, mode, finished) =
        generated.unwrap_or_else(|| match answer::extractive(index, &retrieved) {
            Some(draft) => (draft, AnswerMode::Extractive, true),
            None => (
                answer::faq(index, &assistant.faq, question, retrieved.korean),
                AnswerMode::Faq,
                true,
            ),
        });
    let outcome = finish(
        index, &retrieved, streamer, draft, mode, finished, fallback, pace,
    )
    .await;
    store_cache(
        state,
        index,
        lang,
        vector.as_deref(),
        question,
        streamer,
        &outcome,
        cacheable,
    )
    .await;
    outcome
}

/// Streams the chat model's answer; whether it finished normally (`stop`).
async fn chat_answer(
    chat: &crate::infra::llm::OpenAiCompatible,
    index: &HelpIndex,
    retrieved: &Retrieved,
    history: &[(Role, String)],
    question: &str,
    streamer: &mut Streamer,
) -> Result<bool, LlmError> {
    let request = ChatRequest {
        messages: answer::prompt(index, retrieved, history, question),
        max_tokens: Some(600),
        temperature: Some(0.2),
    };
    let mut stream = chat.chat_stream(&request).await?;
    let mut finished = false;
    while let Some(event) = stream.next().await {
        match event? {
            ChatEvent::Delta(delta) => streamer.token(&delta).await,
            ChatEvent::Finished { reason } => finished = reason == "stop",
        }
    }
    if streamer.text().trim().is_empty() {
        return Err(LlmError::Protocol("the model answered nothing".into()));
    }
    Ok(finished)
}

/// Streams a draft (the chat model's text is streamed already), scores the
/// whole answer and adds the unsure notice when confidence is low.
#[allow(clippy::too_many_arguments)]
async fn finish(
    index: &HelpIndex,
    retrieved: &Retrieved,
    streamer: &mut Streamer,
    draft: Draft,
    mode: AnswerMode,
    finished: bool,
    fallback: Option<String>,
    pace: Duration,
) -> Outcome {
    stream_text(streamer, &draft.text, pace).await;
    let scores = answer::score(index, retrieved, streamer.text(), &draft.sources, finished);
    let offer_inquiry = scores.confidence < UNSURE_BELOW;
    if offer_inquiry {
        stream_text(streamer, answer::unsure_notice(retrieved.korean), pace).await;
    }
    Outcome {
        mode,
        sources: draft
            .sources
            .iter()
            .filter_map(|s| Source::of(index, *s))
            .collect(),
        scores,
        fallback,
        offer_inquiry,
    }
}

#[allow(clippy::too_many_arguments)]
async fn store_cache(
    state: &AppState,
    index: &HelpIndex,
    lang: &str,
    vector: Option<&[f32]>,
    question: &str,
    streamer: &Streamer,
    outcome: &Outcome,
    cacheable: bool,
) {
    let (true, Some(vector)) = (cacheable && !outcome.offer_inquiry, vector) else {
        return;
    };
    let entry = CachedAnswer {
        question: question.to_owned(),
        text: streamer.text().to_owned(),
        sources: outcome.sources.clone(),
        scores: outcome.scores,
        offer_inquiry: outcome.offer_inquiry,
    };
    let prefix = format!("{}:", state.config.redis_prefix);
    if let Err(e) = cache::store(
        state.kv.as_ref(),
        &prefix,
        &index.version,
        lang,
        vector,
        &entry,
    )
    .await
    {
        tracing::warn!(error = %e, "cannot cache the answer");
    }
}
