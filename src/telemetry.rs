//! Logs and metrics (OPS-2). Logs are `tracing` events, pretty in development
//! and JSON in production, each inside the request's span that carries its
//! `request_id`. Metrics live in one Prometheus registry served at `/metrics`.
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{Config, LogFormat};

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
}

/// The process's metrics. Cloning shares the same series.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_latency: HistogramVec,
    pub db_statements: IntCounter,
    pub db_statement_errors: IntCounter,
    pub graphql_errors: IntCounterVec,
    pub websocket_connections: IntGauge,
    pub websocket_subscriptions: IntGauge,
    pub sse_streams: IntGauge,
    pub jobs: IntCounterVec,
    pub jobs_depth: IntGaugeVec,
    pub job_run_seconds: HistogramVec,
    pub billing_events: IntCounterVec,
    pub assistant_answers: IntCounterVec,
    pub web_push: IntCounterVec,
    pub shopping_calls: IntCounterVec,
    pub shopping_call_seconds: HistogramVec,
    pub inferred_values: IntCounterVec,
    pub partner_webhook_attempts: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let http_latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
            &["method", "route"],
        )
        .expect("static metric definition");
        let db_statements = IntCounter::new("db_statements_total", "SQL statements executed")
            .expect("static metric definition");
        let db_statement_errors =
            IntCounter::new("db_statement_errors_total", "SQL statements that failed")
                .expect("static metric definition");
        let graphql_errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors returned, by code"),
            &["code"],
        )
        .expect("static metric definition");
        let websocket_connections = IntGauge::new(
            "websocket_connections",
            "Open GraphQL WebSocket connections",
        )
        .expect("static metric definition");
        let websocket_subscriptions = IntGauge::new(
            "websocket_subscriptions",
            "Operations running on GraphQL WebSockets",
        )
        .expect("static metric definition");
        let sse_streams = IntGauge::new(
            "sse_streams",
            "Open GraphQL-over-SSE streams (one operation each)",
        )
        .expect("static metric definition");
        let jobs = IntCounterVec::new(
            Opts::new(
                "jobs_total",
                "Background job attempts ended, by kind and outcome (succeeded, retried, dead, lost, released)",
            ),
            &["kind", "outcome"],
        )
        .expect("static metric definition");
        let jobs_depth = IntGaugeVec::new(
            Opts::new("jobs_queue_depth", "Jobs in the queue, by kind and state"),
            &["kind", "state"],
        )
        .expect("static metric definition");
        let job_run_seconds = HistogramVec::new(
            HistogramOpts::new("job_run_seconds", "Run time of job attempts, by kind")
                .buckets(vec![0.01, 0.05, 0.25, 1.0, 5.0, 30.0, 120.0, 600.0, 3600.0]),
            &["kind"],
        )
        .expect("static metric definition");
        let billing_events = IntCounterVec::new(
            Opts::new(
                "billing_webhook_events_total",
                "Payment-provider webhook events, by type and outcome (applied, duplicate, refused, bad_signature)",
            ),
            &["type", "outcome"],
        )
        .expect("static metric definition");
        let assistant_answers = IntCounterVec::new(
            Opts::new(
                "assistant_answers_total",
                "Help assistant answers, by mode (LLM, EXTRACTIVE, FAQ, CACHED, FAILED) and whether the chat model or embeddings failed over to the offline path",
            ),
            &["mode", "fallback"],
        )
        .expect("static metric definition");
        let web_push = IntCounterVec::new(
            Opts::new(
                "web_push_deliveries_total",
                "Web Push deliveries (WEB_PUSH jobs), by outcome (sent, online, read, removed, gone, rejected, retried, failed)",
            ),
            &["outcome"],
        )
        .expect("static metric definition");
        let shopping_calls = IntCounterVec::new(
            Opts::new(
                "shopping_provider_calls_total",
                "Visual-shopping provider calls, by provider and outcome (ok, timeout, failed, quota_exhausted)",
            ),
            &["provider", "outcome"],
        )
        .expect("static metric definition");
        let shopping_call_seconds = HistogramVec::new(
            HistogramOpts::new(
                "shopping_provider_call_seconds",
                "Duration of visual-shopping provider calls, by provider",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]),
            &["provider"],
        )
        .expect("static metric definition");
        let inferred_values = IntCounterVec::new(
            Opts::new(
                "product_inference_values_total",
                "Attribute values proposed by the product inference job, by source (RULES, LLM) and outcome (kept, dropped: outside the taxonomy)",
            ),
            &["source", "outcome"],
        )
        .expect("static metric definition");
        let partner_webhook_attempts = IntCounterVec::new(
            Opts::new(
                "partner_webhook_attempts_total",
                "Partner webhook delivery attempts, by event type and outcome (delivered, failed)",
            ),
            &["event", "outcome"],
        )
        .expect("static metric definition");
        for collector in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_latency.clone()),
            Box::new(db_statements.clone()),
            Box::new(db_statement_errors.clone()),
            Box::new(graphql_errors.clone()),
            Box::new(websocket_connections.clone()),
            Box::new(websocket_subscriptions.clone()),
            Box::new(sse_streams.clone()),
            Box::new(jobs.clone()),
            Box::new(jobs_depth.clone()),
            Box::new(job_run_seconds.clone()),
            Box::new(billing_events.clone()),
            Box::new(assistant_answers.clone()),
            Box::new(web_push.clone()),
            Box::new(shopping_calls.clone()),
            Box::new(shopping_call_seconds.clone()),
            Box::new(inferred_values.clone()),
            Box::new(partner_webhook_attempts.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric registered once");
        }
        Self {
            registry,
            http_requests,
            http_latency,
            db_statements,
            db_statement_errors,
            graphql_errors,
            websocket_connections,
            websocket_subscriptions,
            sse_streams,
            jobs,
            jobs_depth,
            job_run_seconds,
            billing_events,
            assistant_answers,
            web_push,
            shopping_calls,
            shopping_call_seconds,
            inferred_values,
            partner_webhook_attempts,
        }
    }

    /// One product inference stored: `kept` values in the taxonomy,
    /// `dropped` outside it.
    pub fn count_inferred_values(&self, source: &str, kept: usize, dropped: usize) {
        self.inferred_values
            .with_label_values(&[source, "kept"])
            .inc_by(kept as u64);
        self.inferred_values
            .with_label_values(&[source, "dropped"])
            .inc_by(dropped as u64);
    }

    /// One shopping provider call ended with `outcome` (a call skipped for
    /// its quota has no duration).
    pub fn shopping_call(&self, provider: &str, outcome: &str, elapsed: Option<Duration>) {
        self.shopping_calls
            .with_label_values(&[provider, outcome])
            .inc();
        if let Some(elapsed) = elapsed {
            self.shopping_call_seconds
                .with_label_values(&[provider])
                .observe(elapsed.as_secs_f64());
        }
    }

    /// One help-assistant answer stored.
    pub fn count_assistant_answer(&self, mode: &str, fallback: bool) {
        self.assistant_answers
            .with_label_values(&[mode, if fallback { "true" } else { "false" }])
            .inc();
    }

    /// One WEB_PUSH job's outcome.
    pub fn count_web_push(&self, outcome: &str) {
        self.web_push.with_label_values(&[outcome]).inc();
    }

    /// One webhook event received (`kind` is the event type, or `-` when it
    /// could not be read).
    pub fn count_billing_event(&self, kind: &str, outcome: &str) {
        // Unknown types stay one label, not one series each.
        let kind = if kind == "-"
            || kind.len() <= 48
                && kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
        {
            kind
        } else {
            "other"
        };
        self.billing_events
            .with_label_values(&[kind, outcome])
            .inc();
    }

    /// One partner webhook delivery attempt (`event` is a known type name).
    pub fn count_partner_webhook_attempt(&self, event: &str, delivered: bool) {
        let outcome = if delivered { "delivered" } else { "failed" };
        self.partner_webhook_attempts
            .with_label_values(&[event, outcome])
            .inc();
    }

    /// One error a client received, under its `extensions.code`.
    pub fn count_error(&self, code: &str) {
        self.graphql_errors.with_label_values(&[code]).inc();
    }

    /// One job attempt ended with `outcome`.
    pub fn job_finished(&self, kind: &str, outcome: &str) {
        self.jobs.with_label_values(&[kind, outcome]).inc();
    }

    pub fn observe_job_run(&self, kind: &str, seconds: f64) {
        self.job_run_seconds
            .with_label_values(&[kind])
            .observe(seconds);
    }

    /// Replaces the queue-depth gauge with `rows` (kind, state, count);
    /// series not in `rows` drop to zero.
    pub fn set_job_depth(&self, rows: &[(String, crate::entities::job::JobState, i64)]) {
        self.jobs_depth.reset();
        for (kind, state, n) in rows {
            self.jobs_depth
                .with_label_values(&[kind.as_str(), state.as_str()])
                .set(*n);
        }
    }

    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
