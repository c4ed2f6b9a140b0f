//! The help assistant (COMM-9): where its documents are, which embeddings it
//! uses, and the OpenAI-compatible API that generates answers when a key is
//! set.
use std::{path::PathBuf, time::Duration};

use super::{ConfigError, Secret, invalid, vars};

/// Which embedder vectors come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbeddingsKind {
    /// Hashed n-grams and the bilingual glossary, in process.
    Offline,
    /// `/embeddings` of the configured API.
    OpenAi,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssistantConfig {
    pub docs_dir: PathBuf,
    /// Ingest on start and when the documents change.
    pub auto_ingest: bool,
    pub embeddings: EmbeddingsKind,
    /// Without a trailing `/`.
    pub base_url: String,
    /// `None`: answers come from the offline answerer.
    pub api_key: Option<Secret>,
    pub chat_model: String,
    pub embedding_model: String,
    pub timeout: Duration,
    /// Pause between two words of an offline answer.
    pub pace: Duration,
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<AssistantConfig, ConfigError> {
    let embeddings = match env.text(&vars::ASSISTANT_EMBEDDINGS).as_str() {
        "offline" => EmbeddingsKind::Offline,
        "openai" => EmbeddingsKind::OpenAi,
        other => {
            return Err(invalid(
                vars::ASSISTANT_EMBEDDINGS.name,
                format!("expected offline or openai, got `{other}`"),
            ));
        }
    };
    let api_key = env
        .raw(&vars::ASSISTANT_API_KEY)
        .filter(|k| !k.trim().is_empty())
        .map(Secret::new);
    if embeddings == EmbeddingsKind::OpenAi && api_key.is_none() {
        return Err(invalid(
            vars::ASSISTANT_EMBEDDINGS.name,
            "`openai` needs VITRINE_ASSISTANT_API_KEY",
        ));
    }
    let base_url = env
        .http_url(&vars::ASSISTANT_BASE_URL)?
        .unwrap_or_else(|| env.text(&vars::ASSISTANT_BASE_URL))
        .trim_end_matches('/')
        .to_owned();
    // `0ms` (or `0`) turns pacing off; durations are positive elsewhere.
    let raw_pace = env.text(&vars::ASSISTANT_PACE);
    let pace = if raw_pace.trim_end_matches(|c: char| c.is_ascii_alphabetic()) == "0" {
        Duration::ZERO
    } else {
        env.duration(&vars::ASSISTANT_PACE)?
    };
    if pace > Duration::from_secs(1) {
        return Err(invalid(vars::ASSISTANT_PACE.name, "at most 1s"));
    }
    Ok(AssistantConfig {
        docs_dir: PathBuf::from(env.text(&vars::ASSISTANT_DOCS)),
        auto_ingest: env.flag(&vars::ASSISTANT_AUTO_INGEST)?,
        embeddings,
        base_url,
        api_key,
        chat_model: env.text(&vars::ASSISTANT_CHAT_MODEL),
        embedding_model: env.text(&vars::ASSISTANT_EMBEDDING_MODEL),
        timeout: env.duration(&vars::ASSISTANT_TIMEOUT)?,
        pace,
    })
}
