//! The help assistant (COMM-9): retrieval-augmented answers from the help
//! documents under `docs/help/`, streamed to the asker.
//!
//! - [`corpus`] loads Markdown and HTML and chunks them; [`ingest`] stores
//!   the chunks with their [`embed`]dings (an `ASSISTANT_INGEST` job, run on
//!   start and whenever the files change) and builds the [`index`]: keyword
//!   (tantivy, the search's analysis) and vector, merged by reciprocal rank
//!   fusion.
//! - `askAssistant` stores the question and a PENDING answer and queues an
//!   `ASSISTANT_ANSWER` job in one transaction; the job retrieves, answers
//!   (the chat model streamed, or the offline extractive answer, or the FAQ
//!   when relevance is low, or a cached answer) and publishes every token
//!   ([`stream`]); `assistantAnswer(messageId)` follows it from any
//!   instance and ends with the stored answer, its sources and confidence.
//! - With the Elasticsearch search backend, the chunks' vectors are also
//!   kept there (`infra::search::help_vectors`, synced by the ingestion
//!   job) and the vector ranking is its kNN search; the in-process scan
//!   stays as the fallback.
pub mod answer;
pub mod cache;
pub mod commands;
pub mod corpus;
pub mod embed;
pub mod eval;
pub mod glossary;
pub mod index;
pub mod ingest;
pub mod job;
pub mod stream;
pub mod text;

use std::sync::{Arc, Mutex};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use self::{
    answer::FaqRule,
    embed::{Embedder, OfflineEmbedder, OpenAiEmbedder},
    index::HelpIndex,
};
use crate::{
    config::assistant::{AssistantConfig, EmbeddingsKind},
    entities::{
        assistant_conversation as conversation,
        assistant_message::{self as message, AnswerStatus, MessageRole},
    },
    error::{AppError, AppResult},
    infra::{
        llm::{LlmConfig, OpenAiCompatible},
        search::help_vectors::HelpVectors,
    },
    jobs::{Enqueue, JobQueue},
};

/// Longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 1000;
/// Messages of a conversation given to the chat model as history.
pub const HISTORY: u64 = 6;

/// The assistant's services on one instance.
pub struct Assistant {
    pub config: AssistantConfig,
    embedder: Arc<dyn Embedder>,
    /// `None`: offline answers.
    pub chat: Option<OpenAiCompatible>,
    index: Mutex<Option<Arc<HelpIndex>>>,
    pub faq: Vec<FaqRule>,
    /// The vectors in Elasticsearch (its search backend); `None`: only the
    /// in-process scan.
    vectors: Option<HelpVectors>,
}

impl Assistant {
    pub fn new(config: &AssistantConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .build()?;
        let client = config.api_key.as_ref().map(|key| {
            OpenAiCompatible::new(
                LlmConfig {
                    base_url: config.base_url.clone(),
                    api_key: Some(key.clone()),
                    chat_model: config.chat_model.clone(),
                    embedding_model: config.embedding_model.clone(),
                    timeout: config.timeout,
                },
                http,
            )
        });
        let embedder: Arc<dyn Embedder> = match (config.embeddings, &client) {
            (EmbeddingsKind::OpenAi, Some(client)) => Arc::new(OpenAiEmbedder {
                client: client.clone(),
                model: config.embedding_model.clone(),
            }),
            _ => Arc::new(OfflineEmbedder),
        };
        Ok(Self {
            faq: load_faq(&config.docs_dir),
            config: config.clone(),
            embedder,
            chat: client,
            index: Mutex::new(None),
            vectors: None,
        })
    }

    /// Keeps the vectors in Elasticsearch too (see [`HelpVectors`]).
    pub fn with_vectors(mut self, vectors: Option<HelpVectors>) -> Self {
        self.vectors = vectors;
        self
    }

    pub fn vectors(&self) -> Option<&HelpVectors> {
        self.vectors.as_ref()
    }

    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    /// The index in force, once a corpus is ingested.
    pub fn index(&self) -> Option<Arc<HelpIndex>> {
        crate::sync::lock(&self.index).clone()
    }

    /// Loads the corpus in force when it is not the one indexed; whether
    /// the index changed.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> anyhow::Result<bool> {
        let Some(current) = ingest::current(db).await? else {
            return Ok(false);
        };
        if self.index().is_some_and(|i| i.version == current.version) {
            return Ok(false);
        }
        let index = ingest::load(db, current).await?;
        tracing::info!(version = %index.version, chunks = index.chunks.len(), embedder = %index.embedder, "help index loaded");
        *crate::sync::lock(&self.index) = Some(Arc::new(index));
        Ok(true)
    }
}

/// The FAQ rules (`faq.json` beside the documents); none when absent.
fn load_faq(dir: &std::path::Path) -> Vec<FaqRule> {
    let path = dir.join("faq.json");
    match std::fs::read_to_string(&path) {
        Ok(raw) => serde_json::from_str(&raw).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "the FAQ rules are not valid JSON");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    }
}

/// A question asked: the conversation, the question and its pending answer.
pub struct Asked {
    pub conversation: conversation::Model,
    pub question: message::Model,
    pub answer: message::Model,
}

/// Stores `question` (in `conversation_id`, which must be the user's, or a
/// new conversation) with a PENDING answer, and queues the answer's job,
/// in one transaction.
pub async fn ask(
    db: &DatabaseConnection,
    jobs: &JobQueue,
    user_id: i64,
    question: &str,
    conversation_id: Option<i64>,
) -> AppResult<Asked> {
    let question = question.trim();
    if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
        return Err(AppError::validation(
            "question",
            format!("the question must be 1 to {MAX_QUESTION_CHARS} characters"),
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let conversation = match conversation_id {
        Some(id) => {
            let found = conversation::Entity::find_by_id(id)
                .filter(conversation::Column::UserId.eq(user_id))
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::not_found("conversation"))?;
            let mut active: conversation::ActiveModel = found.into();
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            conversation::ActiveModel {
                user_id: Set(user_id),
                title: Set(question.chars().take(80).collect()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let new_message = |role, content: &str, status| message::ActiveModel {
        conversation_id: Set(conversation.id),
        role: Set(role),
        content: Set(content.to_owned()),
        status: Set(status),
        offer_inquiry: Set(false),
        created_at: Set(now),
        ..Default::default()
    };
    let question = new_message(MessageRole::User, question, AnswerStatus::Done)
        .insert(&txn)
        .await?;
    let answer = new_message(MessageRole::Assistant, "", AnswerStatus::Pending)
        .insert(&txn)
        .await?;
    jobs.enqueue(
        &txn,
        &job::AnswerQuestion {
            message_id: answer.id,
        },
        Enqueue {
            owner_id: Some(user_id),
            ..Enqueue::default()
        },
    )
    .await?;
    txn.commit().await?;
    jobs.wake();
    Ok(Asked {
        conversation,
        question,
        answer,
    })
}

/// The conversation of message `message_id` when `user_id` owns it.
pub async fn owned_message(
    db: &impl ConnectionTrait,
    user_id: i64,
    message_id: i64,
) -> AppResult<(message::Model, conversation::Model)> {
    let message = message::Entity::find_by_id(message_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("message"))?;
    let conversation = owned_conversation(db, user_id, message.conversation_id)
        .await
        .map_err(|_| AppError::not_found("message"))?;
    Ok((message, conversation))
}

/// A user's conversation.
pub async fn owned_conversation(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
) -> AppResult<conversation::Model> {
    conversation::Entity::find_by_id(id)
        .filter(conversation::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("conversation"))
}

/// Deletes a user's conversations with their messages (account deletion).
pub async fn forget_user(db: &impl ConnectionTrait, user_id: i64) -> AppResult<()> {
    let conversations = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::Id)
        .filter(conversation::Column::UserId.eq(user_id))
        .into_tuple::<i64>()
        .all(db)
        .await?;
    if conversations.is_empty() {
        return Ok(());
    }
    message::Entity::delete_many()
        .filter(message::Column::ConversationId.is_in(conversations.clone()))
        .exec(db)
        .await?;
    conversation::Entity::delete_many()
        .filter(conversation::Column::Id.is_in(conversations))
        .exec(db)
        .await?;
    Ok(())
}

/// The messages before `before_id` in a conversation, oldest first, at
/// most `limit` of them.
pub async fn history(
    db: &impl ConnectionTrait,
    conversation_id: i64,
    before_id: i64,
    limit: u64,
) -> AppResult<Vec<message::Model>> {
    let mut rows = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Id.lt(before_id))
        .order_by_desc(message::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows)
}
