//! AI design generation (COMM-2): the provider chain and each HTTP
//! provider's base URL, models and key.
use std::time::Duration;

use super::{ConfigError, Secret, invalid, vars};

/// A generation tier, as `VITRINE_AI_PROVIDERS` and `generateDesign(provider:)`
/// name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderName {
    Gemini,
    OpenAi,
    Replicate,
    Offline,
}

impl ProviderName {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "gemini" => Some(Self::Gemini),
            "openai" => Some(Self::OpenAi),
            "replicate" => Some(Self::Replicate),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemini => "gemini",
            Self::OpenAi => "openai",
            Self::Replicate => "replicate",
            Self::Offline => "offline",
        }
    }
}

/// One HTTP provider's endpoint, models and key.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderConfig {
    pub base_url: String,
    /// Stage 1 (image in, text out).
    pub text_model: String,
    /// Stage 2 (image and text in, image out).
    pub image_model: String,
    /// `None`: the provider is not configured (requests for it are refused).
    pub key: Option<Secret>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AiConfig {
    /// The fallback chain when a request names no provider; `offline` is
    /// always its last tier before the placeholder.
    pub chain: Vec<ProviderName>,
    pub timeout: Duration,
    pub gemini: ProviderConfig,
    pub openai: ProviderConfig,
    pub replicate: ProviderConfig,
}

impl AiConfig {
    pub fn provider(&self, name: ProviderName) -> Option<&ProviderConfig> {
        match name {
            ProviderName::Gemini => Some(&self.gemini),
            ProviderName::OpenAi => Some(&self.openai),
            ProviderName::Replicate => Some(&self.replicate),
            ProviderName::Offline => None,
        }
    }
}

fn provider(
    env: &vars::Env<'_>,
    base: &'static vars::Var,
    text: &'static vars::Var,
    image: &'static vars::Var,
    key: &'static vars::Var,
) -> Result<ProviderConfig, ConfigError> {
    let base_url = env
        .http_url(base)?
        .unwrap_or_else(|| env.text(base))
        .trim_end_matches('/')
        .to_owned();
    Ok(ProviderConfig {
        base_url,
        text_model: env.text(text),
        image_model: env.text(image),
        key: env
            .raw(key)
            .filter(|k| !k.trim().is_empty())
            .map(Secret::new),
    })
}

pub(super) fn parse(env: &vars::Env<'_>) -> Result<AiConfig, ConfigError> {
    let mut chain = Vec::new();
    for raw in env
        .text(&vars::AI_PROVIDERS)
        .split(',')
        .filter(|p| !p.trim().is_empty())
    {
        let name = ProviderName::parse(raw).ok_or_else(|| {
            invalid(
                vars::AI_PROVIDERS.name,
                format!("`{raw}` is not a provider: gemini, openai, replicate or offline"),
            )
        })?;
        if !chain.contains(&name) {
            chain.push(name);
        }
    }
    chain.retain(|n| *n != ProviderName::Offline);
    chain.push(ProviderName::Offline);
    let config = AiConfig {
        chain,
        timeout: env.duration(&vars::AI_TIMEOUT)?,
        gemini: provider(
            env,
            &vars::GEMINI_BASE_URL,
            &vars::GEMINI_TEXT_MODEL,
            &vars::GEMINI_IMAGE_MODEL,
            &vars::GEMINI_API_KEY,
        )?,
        openai: provider(
            env,
            &vars::OPENAI_BASE_URL,
            &vars::OPENAI_TEXT_MODEL,
            &vars::OPENAI_IMAGE_MODEL,
            &vars::OPENAI_API_KEY,
        )?,
        replicate: provider(
            env,
            &vars::REPLICATE_BASE_URL,
            &vars::REPLICATE_TEXT_MODEL,
            &vars::REPLICATE_IMAGE_MODEL,
            &vars::REPLICATE_API_TOKEN,
        )?,
    };
    if let Some(missing) = config
        .chain
        .iter()
        .find(|n| config.provider(**n).is_some_and(|p| p.key.is_none()))
    {
        return Err(invalid(
            vars::AI_PROVIDERS.name,
            format!("`{}` is in the chain but has no key", missing.as_str()),
        ));
    }
    Ok(config)
}
