//! Product attribute inference (ML-1, "reinforced features"): the
//! OpenAI-compatible API that infers a product's missing attributes when a
//! key is set; without one, the offline rule-based inference does.
use std::time::Duration;

use super::{ConfigError, Secret, invalid, vars};

#[derive(Clone, Debug, PartialEq)]
pub struct InferenceConfig {
    /// Without a trailing `/`.
    pub base_url: String,
    /// `None`: the rule-based inference (offline default).
    pub api_key: Option<Secret>,
    pub model: String,
    /// Longest wait for one whole answer.
    pub timeout: Duration,
}

impl InferenceConfig {
    /// Whether the LLM provider infers (else the rules).
    pub fn uses_llm(&self) -> bool {
        self.api_key.is_some()
    }
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<InferenceConfig, ConfigError> {
    let base_url = env
        .http_url(&vars::INFERENCE_BASE_URL)?
        .unwrap_or_else(|| env.text(&vars::INFERENCE_BASE_URL))
        .trim_end_matches('/')
        .to_owned();
    let model = env.text(&vars::INFERENCE_MODEL);
    if model.trim().is_empty() || model.len() > 100 {
        return Err(invalid(
            vars::INFERENCE_MODEL.name,
            "expected a model name of 1 to 100 characters",
        ));
    }
    let timeout = env.duration(&vars::INFERENCE_TIMEOUT)?;
    if timeout > Duration::from_secs(300) {
        return Err(invalid(vars::INFERENCE_TIMEOUT.name, "at most 300s"));
    }
    Ok(InferenceConfig {
        base_url,
        api_key: env
            .raw(&vars::INFERENCE_API_KEY)
            .filter(|k| !k.trim().is_empty())
            .map(Secret::new),
        model,
        timeout,
    })
}
