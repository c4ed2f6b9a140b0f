//! [`Background`]: every long-lived task of an instance, each with a name
//! and a handle, started from one place ([`Background::start`]) and stopped
//! together on shutdown. Nothing in the application spawns a loop of its
//! own; a task that outlives its app (a test's, say) cannot happen, since
//! dropping the owner aborts them all.
use std::{future::Future, sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};

use super::{kinds, scheduler, worker::WorkerConfig, worker::Workers};
use crate::state::AppState;

pub struct Background {
    stop: watch::Sender<bool>,
    /// `(name, handle, watches the stop signal)`.
    loops: Vec<(&'static str, JoinHandle<()>, bool)>,
    workers: Option<Workers>,
}

impl Default for Background {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            loops: Vec::new(),
            workers: None,
        }
    }
}

impl Background {
    /// Starts the instance's background work: the search indexer (where
    /// this instance writes the index), the real-time bridge, recommender
    /// model reloads, and — unless `VITRINE_JOBS_WORKERS=false` — the job
    /// workers and the scheduler.
    pub async fn start(state: &AppState) -> Self {
        let mut bg = Self::default();
        if let Some(indexer) = state.indexing.clone() {
            let stop = bg.stop_signal();
            bg.spawn_graceful(
                "search-indexer",
                indexer.run(state.events.subscribe(), stop),
            );
        }
        {
            let realtime = state.realtime.clone();
            let on_lag = {
                let realtime = realtime.clone();
                move || realtime.pubsub.signal_resync()
            };
            bg.spawn(
                "realtime-bridge",
                realtime.bridge(state.events.subscribe(), on_lag),
            );
        }
        bg.spawn(
            "sitemap-invalidation",
            crate::domain::seo::invalidate_on_writes(
                state.kv.clone(),
                state.config.redis_prefix.clone(),
                state.events.subscribe(),
            ),
        );
        bg.spawn(
            "blocklist-reload",
            crate::domain::security::blocks::keep_loaded(
                state.blocklist.clone(),
                state.jobs.db().clone(),
            ),
        );
        crate::domain::recommendations::load_current(
            &state.recommender,
            state.jobs.db(),
            &state.config.ml.dir,
        )
        .await;
        bg.spawn(
            "recommender-reload",
            crate::domain::recommendations::keep_serving(
                state.recommender.clone(),
                state.jobs.db().clone(),
                state.config.ml.reload_interval,
                state.events.subscribe(),
            ),
        );
        bg.spawn(
            "help-index-reload",
            crate::domain::assistant::job::keep_loaded(state.clone()),
        );
        if state.config.jobs.workers {
            let config = WorkerConfig {
                instance: WorkerConfig::instance_name(),
                lease: state.config.jobs.lease,
                poll_interval: state.config.jobs.poll_interval,
            };
            bg.workers = Some(Workers::start(
                state.jobs.clone(),
                kinds::registry(state),
                config,
                Arc::new(state.realtime.clone()),
                state.metrics.clone(),
            ));
            bg.spawn_graceful(
                "scheduler",
                scheduler::run(
                    state.jobs.clone(),
                    kinds::periodic(&state.config, state.db.get_database_backend()),
                    state.config.jobs.scheduler_interval,
                    bg.stop_signal(),
                ),
            );
        }
        kinds::train_first_model_if_missing(state).await;
        crate::domain::assistant::job::ingest_on_start(state).await;
        bg
    }

    /// Abort handles of everything running, for an owner that cannot await
    /// a shutdown (a test app dropped at the end of its test, whose
    /// database and data directory go right after).
    pub fn abort_handles(&self) -> AbortHandles {
        let mut handles: Vec<tokio::task::AbortHandle> = self
            .loops
            .iter()
            .map(|(_, h, _)| h.abort_handle())
            .collect();
        if let Some(workers) = &self.workers {
            handles.extend(workers.abort_handle());
        }
        AbortHandles(handles)
    }

    /// Turns true when the instance starts shutting down.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `task` until it ends or the owner stops (it is aborted then).
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        self.loops.push((name, tokio::spawn(task), false));
    }

    /// Runs `task`, which watches [`Self::stop_signal`] and ends by itself
    /// soon after it turns true.
    pub fn spawn_graceful(
        &mut self,
        name: &'static str,
        task: impl Future<Output = ()> + Send + 'static,
    ) {
        self.loops.push((name, tokio::spawn(task), true));
    }

    /// Stops everything: the workers first (running jobs get `grace`), then
    /// the loops, which get a moment to finish what they hold (the indexer
    /// its last batch) before they are aborted.
    pub async fn shutdown(mut self, grace: Duration) {
        self.stop.send_replace(true);
        if let Some(workers) = self.workers.take() {
            workers.shutdown(grace).await;
        }
        for (name, mut handle, graceful) in std::mem::take(&mut self.loops) {
            if graceful
                && tokio::time::timeout(Duration::from_secs(5), &mut handle)
                    .await
                    .is_ok()
            {
                continue;
            }
            if graceful {
                tracing::warn!(task = name, "background task did not stop in time; aborted");
            }
            handle.abort();
        }
    }
}

/// See [`Background::abort_handles`].
pub struct AbortHandles(Vec<tokio::task::AbortHandle>);

impl AbortHandles {
    pub fn abort(&self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        for (_, handle, _) in &self.loops {
            handle.abort();
        }
    }
}
