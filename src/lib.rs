//! vitrine: one GraphQL API for a shorts fashion shop and an AI
//! interior-design community. [`build`] assembles the application from a
//! [`config::Config`]; `main` and the integration tests both go through it.
pub mod auth;
pub mod config;
pub mod conventions;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod events;
pub mod infra;
pub mod ml;
pub mod protection;
pub mod realtime;
pub mod resolvers;
pub mod server;
pub mod state;
pub mod sync;
pub mod telemetry;

use std::{future::Future, net::SocketAddr};

use axum::Router;
use tokio::net::TcpListener;

use crate::{
    auth::JwtKeys,
    config::Config,
    events::EventBus,
    state::{AppState, StateInner},
    telemetry::Metrics,
};

/// A built application: its shared state and its router.
pub struct App {
    pub state: AppState,
    pub router: Router,
}

/// Connects to the database (running pending migrations) and Redis when
/// configured, loads the JWT keys, and builds the schema and router.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let metrics = Metrics::new();
    let jwt = JwtKeys::load(&config.jwt)?;
    let db = db::connect(&config, &metrics).await?;
    let applied = db::migrate(&db).await?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    db::optimize(&db, true).await;
    let redis = match &config.redis_url {
        None => None,
        Some(url) => {
            let client = redis::Client::open(url.expose())
                .map_err(|e| anyhow::anyhow!("REDIS_URL: invalid: {e}"))?;
            // Short timeouts: a Redis outage must slow requests down by
            // seconds at most, never hang them.
            let manager_config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
                .set_response_timeout(Some(std::time::Duration::from_secs(2)))
                .set_number_of_retries(1);
            let manager = client
                .get_connection_manager_with_config(manager_config)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "REDIS_URL: cannot connect to {}: {e}",
                        config.redis_url_redacted().unwrap_or_default()
                    )
                })?;
            Some((client, manager))
        }
    };
    let (pubsub, kv): (
        std::sync::Arc<dyn infra::pubsub::PubSub>,
        std::sync::Arc<dyn infra::kv::Kv>,
    ) = match &redis {
        None => (
            std::sync::Arc::new(infra::pubsub::MemoryPubSub::new()),
            std::sync::Arc::new(infra::kv::MemoryKv::default()),
        ),
        Some((client, manager)) => (
            std::sync::Arc::new(
                infra::pubsub::RedisPubSub::connect(
                    client.clone(),
                    manager.clone(),
                    &config.redis_prefix,
                )
                .await?,
            ),
            std::sync::Arc::new(infra::kv::RedisKv::new(manager.clone())),
        ),
    };
    let realtime = realtime::Realtime::new(pubsub, kv, &config.redis_prefix, config.realtime);
    let redis = redis.map(|(_, manager)| manager);
    let sentiment: std::sync::Arc<dyn infra::sentiment::SentimentProvider> =
        match &config.sentiment_url {
            Some(url) => std::sync::Arc::new(infra::sentiment::HttpSentiment::new(
                url.clone(),
                config.sentiment_timeout,
            )?),
            None => std::sync::Arc::new(infra::sentiment::LexiconSentiment),
        };
    let storage = std::sync::Arc::new(infra::storage::LocalStorage::new(
        config.data_dir.join("uploads"),
    )?);
    let events = EventBus::new();
    {
        let realtime = realtime.clone();
        realtime
            .clone()
            .spawn_bridge(&events, move || realtime.pubsub.signal_resync());
    }
    let rate_limiter = protection::rate_limit::RateLimiter::new(
        redis.clone(),
        &config.redis_prefix,
        &config.rate_limits,
    );
    let apq = protection::apq::ApqStore::new(redis.clone(), &config.redis_prefix);
    let search = infra::search::connect(&config).await?;
    if !search.read_only() {
        // A small pool of its own: indexing never waits for (nor adds to
        // the statement counts of) the requests' pool.
        let index_config = Config {
            db_max_connections: 2,
            ..config.clone()
        };
        let index_db = db::connect(&index_config, &Metrics::new()).await?;
        domain::search::spawn_indexer(index_db, search.clone(), &events);
    }
    let recommender = std::sync::Arc::new(ml::serving::Recommender::new(config.ml.dir.clone()));
    let state = AppState::new(StateInner {
        search,
        recommender,
        training: Default::default(),
        apq,
        rate_limiter,
        realtime,
        sentiment,
        storage,
        config,
        db,
        jwt,
        events,
        metrics,
        redis,
    });
    let mut schema = resolvers::schema_builder().data(state.clone());
    if state.config.is_production() {
        // No schema for strangers, no "did you mean" hints about it.
        schema = schema.disable_introspection().disable_suggestions();
    }
    let schema = schema.finish();
    domain::idempotency::spawn_cleanup(state.db.clone());
    domain::recommendations::start_serving(&state).await;
    let router = server::router(state.clone(), schema);
    Ok(App { state, router })
}

impl App {
    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight
    /// requests finish for up to `VITRINE_SHUTDOWN_GRACE`, and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = self.state.config.shutdown_grace;
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown({
            let realtime = self.state.realtime.clone();
            async move {
                shutdown.await;
                // Sockets never finish on their own: close them (1001).
                realtime.begin_shutdown();
                let _ = stopping_tx.send(());
            }
        });
        let server = std::future::IntoFuture::into_future(server);
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result?,
            _ = async {
                if stopping_rx.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => tracing::warn!(?grace, "shutdown grace elapsed; dropping remaining connections"),
        }
        self.state.search.close().await;
        db::optimize(&self.state.db, false).await;
        self.state.db.clone().close().await?;
        tracing::info!("stopped");
        Ok(())
    }
}
