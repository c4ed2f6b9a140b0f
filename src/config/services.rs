//! Settings of the services the server runs beside the API: WebSockets and
//! presence, the recommender, search, and the home feed's weights.
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use super::{ConfigError, Secret, invalid, vars};

/// Which search backend serves SEARCH-1 … SEARCH-5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchConfig {
    /// Embedded tantivy index under `$VITRINE_DATA_DIR/search`.
    Tantivy,
    /// May carry credentials in the URL.
    Elasticsearch { url: Secret, index: String },
}

/// Recommender settings (ML-2, ML-3).
#[derive(Clone, Debug, PartialEq)]
pub struct MlConfig {
    pub dir: PathBuf,
    pub dim: i64,
    pub epochs: usize,
    pub seed: u64,
    pub half_life: Duration,
    pub max_per_store: usize,
    pub train_on_start: bool,
    pub reload_interval: Duration,
    /// Nightly retraining (UTC), off when `None`.
    pub retrain_at: Option<chrono::NaiveTime>,
}

impl MlConfig {
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("models").join("recommender"),
            dim: 64,
            epochs: 20,
            seed: 42,
            half_life: Duration::from_secs(14 * 86_400),
            max_per_store: 3,
            train_on_start: true,
            reload_interval: Duration::from_secs(10),
            retrain_at: None,
        }
    }
}

/// WebSocket and presence settings (RT-1, RT-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealtimeConfig {
    pub max_subscriptions: usize,
    pub init_timeout: Duration,
    pub ping_interval: Duration,
    pub presence_ttl: Duration,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            max_subscriptions: 100,
            init_timeout: Duration::from_secs(3),
            ping_interval: Duration::from_secs(15),
            presence_ttl: Duration::from_secs(30),
        }
    }
}

/// Weights of the home feed's score components (COMM-5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeedWeights {
    pub behaviour: f64,
    pub social: f64,
    pub trending: f64,
    pub recency: f64,
}

impl Default for FeedWeights {
    fn default() -> Self {
        Self {
            behaviour: 0.4,
            social: 0.25,
            trending: 0.2,
            recency: 0.15,
        }
    }
}

pub(super) fn realtime(env: &vars::Env<'_>) -> Result<RealtimeConfig, ConfigError> {
    let realtime = RealtimeConfig {
        max_subscriptions: env.number(&vars::WS_MAX_SUBSCRIPTIONS, 1..=10_000)? as usize,
        init_timeout: env.duration(&vars::WS_INIT_TIMEOUT)?,
        ping_interval: env.duration(&vars::WS_PING_INTERVAL)?,
        presence_ttl: env.duration(&vars::PRESENCE_TTL)?,
    };
    if realtime.presence_ttl < Duration::from_secs(3) {
        return Err(invalid(vars::PRESENCE_TTL.name, "must be at least 3s"));
    }
    Ok(realtime)
}

pub(super) fn ml(env: &vars::Env<'_>, data_dir: &Path) -> Result<MlConfig, ConfigError> {
    Ok(MlConfig {
        dir: env
            .raw(&vars::ML_DIR)
            .map_or_else(|| MlConfig::in_dir(data_dir).dir, PathBuf::from),
        dim: env.number(&vars::ML_DIM, 16..=512)? as i64,
        epochs: env.number(&vars::ML_EPOCHS, 1..=1000)? as usize,
        seed: env.number(&vars::ML_SEED, 0..=u64::from(u32::MAX))?,
        half_life: env.duration(&vars::ML_HALF_LIFE)?,
        max_per_store: env.number(&vars::ML_MAX_PER_STORE, 1..=100)? as usize,
        train_on_start: env.flag(&vars::ML_TRAIN_ON_START)?,
        reload_interval: env.duration(&vars::ML_RELOAD_INTERVAL)?,
        retrain_at: match env.text(&vars::ML_RETRAIN_AT).as_str() {
            "off" | "" => None,
            raw => Some(
                chrono::NaiveTime::parse_from_str(raw, "%H:%M").map_err(|_| {
                    invalid(
                        vars::ML_RETRAIN_AT.name,
                        "expected a UTC time like 03:00, or off",
                    )
                })?,
            ),
        },
    })
}

pub(super) fn search(env: &vars::Env<'_>) -> Result<SearchConfig, ConfigError> {
    match env.text(&vars::SEARCH_BACKEND).as_str() {
        "tantivy" => Ok(SearchConfig::Tantivy),
        "elasticsearch" => {
            let url = env
                .raw(&vars::ELASTICSEARCH_URL)
                .filter(|u| vars::is_http_url(u))
                .ok_or_else(|| {
                    invalid(
                        vars::ELASTICSEARCH_URL.name,
                        "an http(s) URL is required with VITRINE_SEARCH_BACKEND=elasticsearch",
                    )
                })?;
            let index = env.text(&vars::ELASTICSEARCH_INDEX);
            if index.is_empty()
                || index.len() > 200
                || !index
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
            {
                return Err(invalid(
                    vars::ELASTICSEARCH_INDEX.name,
                    "expected lower-case letters, digits, '-' or '_'",
                ));
            }
            Ok(SearchConfig::Elasticsearch {
                url: Secret::new(url),
                index,
            })
        }
        _ => Err(invalid(
            vars::SEARCH_BACKEND.name,
            "expected tantivy or elasticsearch",
        )),
    }
}

pub(super) fn feed_weights(env: &vars::Env<'_>) -> Result<FeedWeights, ConfigError> {
    let parts: Vec<f64> = env
        .text(&vars::FEED_WEIGHTS)
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    match parts[..] {
        [behaviour, social, trending, recency] if parts.iter().all(|w| (0.0..=1.0).contains(w)) => {
            Ok(FeedWeights {
                behaviour,
                social,
                trending,
                recency,
            })
        }
        _ => Err(invalid(
            vars::FEED_WEIGHTS.name,
            "expected four weights from 0 to 1: behaviour,social,trending,recency",
        )),
    }
}
