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
pub mod jobs;
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

/// A built application: its shared state, its router, and its background
/// work (running from the moment it is built; stopped by [`App::serve`]'s
/// shutdown, or aborted when the app is dropped).
pub struct App {
    pub state: AppState,
    pub router: Router,
    pub background: jobs::Background,
}

/// Connects to the database (running pending migrations) and Redis when
/// configured, loads the JWT keys, and builds the schema and router.
pub async fn build(config: Config) -> anyhow::Result<App> {
    build_with_clock(config, std::sync::Arc::new(jobs::SystemClock)).await
}

/// [`build`] with the clock that email codes and the security monitor
/// read (tests move it instead of sleeping).
pub async fn build_with_clock(
    config: Config,
    clock: std::sync::Arc<dyn jobs::Clock>,
) -> anyhow::Result<App> {
    let metrics = Metrics::new();
    let jwt = JwtKeys::load(&config.jwt)?;
    let db = db::connect(&config, &metrics).await?;
    let applied = db::migrate(&db).await?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    db::optimize(&db, true).await;
    let reads = crate::infra::sqlite_reads::Reads::new(&db, db::sqlite_reads(&config, &metrics)?);
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
    let security = std::sync::Arc::new(domain::security::monitor::SecurityMonitor::new(
        kv.clone(),
        &config.redis_prefix,
        config.security.monitor,
        clock,
    ));
    let realtime =
        realtime::Realtime::new(pubsub, kv.clone(), &config.redis_prefix, config.realtime);
    let redis = redis.map(|(_, manager)| manager);
    let sentiment: std::sync::Arc<dyn infra::sentiment::SentimentProvider> =
        match &config.sentiment_url {
            Some(url) => std::sync::Arc::new(infra::sentiment::HttpSentiment::new(
                url.clone(),
                config.sentiment_timeout,
            )?),
            None => std::sync::Arc::new(infra::sentiment::LexiconSentiment),
        };
    let storage: std::sync::Arc<dyn infra::storage::Storage> = match &config.s3 {
        Some(s3) => std::sync::Arc::new(infra::storage::S3Storage::new(s3)?),
        None => std::sync::Arc::new(
            infra::storage::LocalStorage::new(config.data_dir.join("uploads"))?.with_url_key(
                &auth::jwt::read_or_create_secret(
                    &config.data_dir.join("upload-url-key"),
                    "key for signing direct-upload URLs",
                )?,
            )?,
        ),
    };
    let events = EventBus::new();
    let rate_limiter = protection::rate_limit::RateLimiter::new(
        redis.clone(),
        &config.redis_prefix,
        &config.rate_limits,
    );
    let apq = protection::apq::ApqStore::new(redis.clone(), &config.redis_prefix);
    let search = infra::search::connect(&config).await?;
    let indexing = if search.read_only() {
        None
    } else {
        // A small pool of its own: indexing never waits for (nor adds to
        // the statement counts of) the requests' pool.
        let index_config = Config {
            db_max_connections: 2,
            ..config.clone()
        };
        let index_db = db::connect(&index_config, &Metrics::new()).await?;
        Some(domain::search_index::Indexing::new(
            index_db,
            search.clone(),
        ))
    };
    let recommender = std::sync::Arc::new(ml::serving::Recommender::new(config.ml.dir.clone()));
    // The workers' polls and the scheduler get a small pool of their own:
    // they never wait for (nor add to the statement counts of) requests.
    // Jobs caused by a write are enqueued on that write's own connection.
    let jobs_db = db::connect(
        &Config {
            db_max_connections: 3,
            ..config.clone()
        },
        &Metrics::new(),
    )
    .await?;
    let jobs = jobs::JobQueue::new(jobs_db);
    let mailer = mailer(&config)?;
    let blocklist = std::sync::Arc::new(domain::security::blocks::Blocklist::default());
    blocklist
        .reload(&db)
        .await
        .map_err(domain::security::blocks::load_error)?;
    let stripe = config
        .billing
        .stripe
        .as_ref()
        .map(|settings| std::sync::Arc::new(infra::stripe::StripeClient::new(settings)));
    let assistant = std::sync::Arc::new(
        domain::assistant::Assistant::new(&config.assistant)
            .map_err(|e| anyhow::anyhow!("the help assistant: {e:#}"))?
            .with_vectors(infra::search::help_vectors::HelpVectors::for_config(
                &config,
            )?),
    );
    let shopping = std::sync::Arc::new(infra::shopping::Providers::new(
        &config.shopping,
        infra::shopping::sub_id_key(&config.jwt)?,
    )?);
    let inference: std::sync::Arc<dyn infra::inference::AttributeInference> =
        infra::inference::for_config(&config.inference)
            .map_err(|e| anyhow::anyhow!("the attribute inference: {e:#}"))?
            .into();
    let web_push = std::sync::Arc::new(
        infra::web_push::WebPush::load(&config.web)
            .map_err(|e| anyhow::anyhow!("Web Push: {e:#}"))?,
    );
    let state = AppState::new(StateInner {
        web_push,
        assistant,
        inference,
        shopping,
        kv,
        stripe,
        mailer,
        security,
        blocklist,
        search,
        indexing,
        jobs,
        recommender,
        apq,
        rate_limiter,
        realtime,
        sentiment,
        storage,
        config,
        db,
        reads,
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
    let background = jobs::Background::start(&state).await;
    let router = server::router(state.clone(), schema);
    Ok(App {
        state,
        router,
        background,
    })
}

impl App {
    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight
    /// requests and running jobs finish for up to `VITRINE_SHUTDOWN_GRACE`
    /// (jobs still running then go back to the queue), and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = self.state.config.shutdown_grace;
        let background = self.background;
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let (jobs_tx, jobs_rx) = tokio::sync::oneshot::channel::<()>();
        // The background stops alongside the HTTP drain, with the same grace.
        let background = tokio::spawn(async move {
            if jobs_rx.await.is_ok() {
                background.shutdown(grace).await;
            }
        });
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
                let _ = jobs_tx.send(());
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
        if let Err(e) = background.await {
            tracing::error!(error = %e, "background shutdown failed");
        }
        self.state.search.close().await;
        db::optimize(&self.state.db, false).await;
        self.state.db.clone().close().await?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The mailer `VITRINE_MAIL` names.
fn mailer(config: &Config) -> anyhow::Result<std::sync::Arc<dyn infra::mail::Mailer>> {
    use crate::config::security::MailBackend;
    let mail = &config.security.mail;
    let sender = infra::mail::Sender {
        name: mail.sender_name.clone(),
        email: mail.sender_email.clone(),
    };
    Ok(match &mail.backend {
        MailBackend::Outbox => std::sync::Arc::new(infra::mail::OutboxMailer::new(
            config.data_dir.join("outbox"),
            sender,
        )?),
        MailBackend::Brevo { base_url, api_key } => std::sync::Arc::new(
            infra::mail::BrevoMailer::new(base_url, api_key.expose(), sender, mail.timeout)?,
        ),
    })
}
