//! Process-wide state shared by HTTP handlers, resolvers and workers.
use std::{ops::Deref, sync::Arc};

use sea_orm::DatabaseConnection;

use crate::{
    auth::{JwtKeys, sessions::Services},
    config::Config,
    events::EventBus,
    infra::{sentiment::SentimentProvider, storage::Storage},
    realtime::Realtime,
    telemetry::Metrics,
};

#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

pub struct StateInner {
    pub config: Config,
    pub db: DatabaseConnection,
    /// The hot reads (DataLoaders, the catalogue): in the calling task on
    /// a SQLite file, through `db` otherwise.
    pub reads: crate::infra::sqlite_reads::Reads,
    pub jwt: JwtKeys,
    pub events: EventBus,
    pub metrics: Metrics,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub sentiment: Arc<dyn SentimentProvider>,
    pub storage: Arc<dyn Storage>,
    pub realtime: Realtime,
    pub rate_limiter: Arc<crate::protection::rate_limit::RateLimiter>,
    pub apq: crate::protection::apq::ApqStore,
    pub recommender: std::sync::Arc<crate::ml::serving::Recommender>,
    pub search: Arc<dyn crate::infra::search::SearchBackend>,
    /// This instance's search indexer, where it writes the index (tantivy's
    /// writer, or any instance with Elasticsearch).
    pub indexing: Option<Arc<crate::domain::search_index::Indexing>>,
    /// The durable job queue (enqueue, administer).
    pub jobs: crate::jobs::JobQueue,
    /// Delivers mail for the `MAIL_SEND` job.
    pub mailer: Arc<dyn crate::infra::mail::Mailer>,
    /// Failed logins, invalid tokens and the alerts they raise (AUTH-6).
    pub security: Arc<crate::domain::security::monitor::SecurityMonitor>,
    /// Addresses refused before any work.
    pub blocklist: Arc<crate::domain::security::blocks::Blocklist>,
    /// The shared key-value store (Redis when configured): caches such as
    /// the sitemap's.
    pub kv: Arc<dyn crate::infra::kv::Kv>,
    /// The payment provider; `None` when payments are not configured.
    pub stripe: Option<Arc<crate::infra::stripe::StripeClient>>,
    /// The help assistant: its embedder, chat model and in-process index.
    pub assistant: Arc<crate::domain::assistant::Assistant>,
    /// Who infers products' missing attributes (ML-1): the word rules, or
    /// a chat model when configured.
    pub inference: Arc<dyn crate::infra::inference::AttributeInference>,
    /// Visual shopping's external providers (none configured: the own
    /// catalogue alone).
    pub shopping: Arc<crate::infra::shopping::Providers>,
    /// Web Push to browsers' push services, signed with the VAPID key.
    pub web_push: Arc<crate::infra::web_push::WebPush>,
}

impl AppState {
    pub fn new(inner: StateInner) -> Self {
        Self(Arc::new(inner))
    }

    /// What the session functions need.
    pub fn auth_services(&self) -> Services<'_> {
        Services {
            db: &self.db,
            jwt: &self.jwt,
            events: &self.events,
            jobs: &self.jobs,
            monitor: &self.security,
            refresh_ttl: self.config.jwt.refresh_ttl,
        }
    }
}

impl Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}
