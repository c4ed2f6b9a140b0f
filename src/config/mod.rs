//! The one typed configuration, read from the environment (and an optional
//! `.env` file, loaded by `main`), validated at start-up; every error names
//! the variable that is wrong.
//!
//! - [`vars`]: the table of every variable (name, default, meaning). It drives
//!   parsing (variables are read only through its entries) and the README's
//!   table (`vitrine config` prints [`vars::markdown_table`]).
//! - [`auth`], [`protection`], [`services`]: the typed settings of each
//!   concern and the code that parses them.
//!
//! **Adding a variable** (for example a `VITRINE_JOBS_*` group):
//! 1. add one line to the `variables!` table in `vars.rs`:
//!    `JOBS_WORKERS = Var::new(<name>, <default>, <meaning>);`, the name in
//!    quotes, e.g. `VITRINE_JOBS_WORKERS`
//!    (`Var::unset` when there is no literal default);
//! 2. read it where its group is parsed, e.g. `env.number(&vars::JOBS_WORKERS, 1..=64)?`
//!    in a new `jobs.rs` beside `services.rs` that returns a `JobsConfig`,
//!    stored in a [`Config`] field;
//! 3. run `vitrine config` and paste its table into the README (a test in
//!    `tests/contract.rs` fails until the two are equal, and fails on any
//!    `VITRINE_*` name in the sources that the table does not list).
pub mod ai;
pub mod assistant;
pub mod auth;
pub mod billing;
pub mod inference;
pub mod jobs;
pub mod partner_webhooks;
pub mod protection;
pub mod security;
pub mod services;
pub mod shopping;
pub mod vars;
pub mod web;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub use auth::{JwtAlgorithm, JwtConfig, JwtKeySource, Secret};
pub use billing::{BillingConfig, StripeSettings};
pub use jobs::JobsConfig;
pub use protection::{Policy, QueryLimits, RateLimits, TrustedProxies, parse_policy};
pub use services::{FeedWeights, MlConfig, RealtimeConfig, SearchConfig};
pub use vars::{VARIABLES, Var};

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub env: Environment,
    /// AI design generation's providers (COMM-2).
    pub ai: ai::AiConfig,
    /// The help assistant (COMM-9).
    pub assistant: assistant::AssistantConfig,
    /// Product attribute inference (ML-1).
    pub inference: inference::InferenceConfig,
    /// Mail, email verification and the security monitor (AUTH-5, AUTH-6).
    pub security: security::SecurityConfig,
    pub bind: SocketAddr,
    /// May carry a password: log [`Config::database_url_redacted`] instead.
    pub database_url: Secret,
    pub db_max_connections: u32,
    pub redis_url: Option<Secret>,
    pub data_dir: PathBuf,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub jwt: JwtConfig,
    pub cors_origins: Vec<String>,
    pub sentiment_url: Option<String>,
    pub sentiment_timeout: Duration,
    /// `None`: the local directory; else the S3 bucket (OPS-4).
    pub s3: Option<crate::infra::storage::S3Settings>,
    pub upload_max_bytes: u64,
    /// Lifetime of a direct-upload URL, and of its upload unconfirmed.
    pub upload_url_ttl: Duration,
    pub public_url: String,
    pub feed_weights: FeedWeights,
    pub shutdown_grace: Duration,
    pub redis_prefix: String,
    pub realtime: RealtimeConfig,
    pub limits: QueryLimits,
    pub rate_limits: RateLimits,
    pub persisted_only: bool,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    pub ml: MlConfig,
    pub search: SearchConfig,
    pub jobs: JobsConfig,
    /// Stripe payments and subscriptions.
    pub billing: billing::BillingConfig,
    /// Visual shopping's external providers (COMM-8).
    pub shopping: shopping::ShoppingConfig,
    /// Partner webhooks' retry schedule and `stock.low` threshold.
    pub partner_webhooks: partner_webhooks::PartnerWebhooksConfig,
    /// The web client's files and the Web Push identity.
    pub web: web::WebConfig,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`; tests pass a map here.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = vars::Env::new(&lookup);

        let environment = match env.text(&vars::ENV).as_str() {
            "development" | "dev" => Environment::Development,
            "production" | "prod" => Environment::Production,
            other => {
                return Err(invalid(
                    vars::ENV.name,
                    format!("expected `development` or `production`, got `{other}`"),
                ));
            }
        };
        let bind = env.text(&vars::BIND).parse::<SocketAddr>().map_err(|e| {
            invalid(
                vars::BIND.name,
                format!("expected host:port such as 127.0.0.1:8080 ({e})"),
            )
        })?;

        let database_url = env.text(&vars::DATABASE_URL);
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                vars::DATABASE_URL.name,
                "expected a sqlite://… or postgres://… URL",
            ));
        }
        let db_max_connections = env.number(&vars::DB_MAX_CONNECTIONS, 1..=1000)? as u32;

        let redis_url = match env.raw(&vars::REDIS_URL) {
            None => None,
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                Some(Secret::new(url))
            }
            Some(_) => {
                return Err(invalid(
                    vars::REDIS_URL.name,
                    "expected a redis:// or rediss:// URL",
                ));
            }
        };
        let data_dir = PathBuf::from(env.text(&vars::DATA_DIR));
        let log_filter = env.text(&vars::LOG);
        let log_format = match env.raw(&vars::LOG_FORMAT).as_deref() {
            None if environment == Environment::Production => LogFormat::Json,
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    vars::LOG_FORMAT.name,
                    format!("expected `pretty` or `json`, got `{other}`"),
                ));
            }
        };

        let jwt = auth::parse(&env, environment, &data_dir)?;
        let shutdown_grace = env.duration(&vars::SHUTDOWN_GRACE)?;

        let cors_origins = match env.raw(&vars::CORS_ORIGINS) {
            Some(list) => list
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            None if environment == Environment::Development => vec!["*".to_owned()],
            None => Vec::new(),
        };
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| *o != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                vars::CORS_ORIGINS.name,
                format!("`{bad}` is not an origin such as https://shop.example"),
            ));
        }

        let s3 = match env.text(&vars::STORAGE).as_str() {
            "local" => None,
            "s3" => {
                let bucket = env
                    .raw(&vars::S3_BUCKET)
                    .filter(|b| !b.trim().is_empty())
                    .ok_or_else(|| {
                        invalid(vars::S3_BUCKET.name, "required with VITRINE_STORAGE=s3")
                    })?;
                let access_key_id = env.raw(&vars::S3_ACCESS_KEY_ID);
                let secret_access_key = env.raw(&vars::S3_SECRET_ACCESS_KEY);
                if access_key_id.is_some() != secret_access_key.is_some() {
                    return Err(invalid(
                        vars::S3_SECRET_ACCESS_KEY.name,
                        "set both VITRINE_S3_ACCESS_KEY_ID and VITRINE_S3_SECRET_ACCESS_KEY, or neither",
                    ));
                }
                Some(crate::infra::storage::S3Settings {
                    bucket,
                    region: env.text(&vars::S3_REGION),
                    endpoint: env.http_url(&vars::S3_ENDPOINT)?,
                    access_key_id,
                    secret_access_key,
                    prefix: env.text(&vars::S3_PREFIX),
                    timeout: env.duration(&vars::S3_TIMEOUT)?,
                })
            }
            other => {
                return Err(invalid(
                    vars::STORAGE.name,
                    format!("expected `local` or `s3`, got `{other}`"),
                ));
            }
        };
        let sentiment_url = env.http_url(&vars::SENTIMENT_URL)?;
        let sentiment_timeout = env.duration(&vars::SENTIMENT_TIMEOUT)?;

        let upload_max_bytes = env.number(&vars::UPLOAD_MAX_BYTES, 1024..=100 * 1024 * 1024)?;
        let upload_url_ttl = env.duration(&vars::UPLOAD_URL_TTL)?;
        if !(Duration::from_secs(60)..=Duration::from_secs(7 * 86_400)).contains(&upload_url_ttl) {
            // S3 pre-signed URLs last at most seven days.
            return Err(invalid(
                vars::UPLOAD_URL_TTL.name,
                "must be between 1m and 7d",
            ));
        }
        let public_url = env
            .http_url(&vars::PUBLIC_URL)
            .map_err(|_| invalid(vars::PUBLIC_URL.name, "expected an http(s) origin"))?
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let feed_weights = services::feed_weights(&env)?;

        let redis_prefix = env.text(&vars::REDIS_PREFIX);
        if redis_prefix.is_empty()
            || redis_prefix.len() > 64
            || !redis_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(invalid(
                vars::REDIS_PREFIX.name,
                "expected 1 to 64 characters of letters, digits, '-', '_', '.' or ':'",
            ));
        }
        let realtime = services::realtime(&env)?;
        let protection = protection::parse(&env, environment)?;
        let ml = services::ml(&env, &data_dir)?;
        let jobs = jobs::parse(&env)?;
        let search = services::search(&env)?;
        let ai = ai::parse(&env)?;
        let assistant = assistant::parse(&env)?;
        let inference = inference::parse(&env)?;
        let security = security::parse(&env)?;
        let billing = billing::parse(&env, environment, &public_url)?;
        let shopping = shopping::parse(&env)?;
        let partner_webhooks = partner_webhooks::parse(&env)?;
        let web = web::parse(&env, &data_dir)?;

        Ok(Self {
            ai,
            assistant,
            inference,
            shopping,
            partner_webhooks,
            web,
            billing,
            security,
            ml,
            jobs,
            search,
            persisted_only: protection.persisted_only,
            trusted_proxies: protection.trusted_proxies,
            rate_limits: protection.rate_limits,
            limits: protection.limits,
            redis_prefix,
            realtime,
            env: environment,
            bind,
            database_url: Secret::new(database_url),
            db_max_connections,
            redis_url,
            data_dir,
            log_filter,
            log_format,
            jwt,
            cors_origins,
            sentiment_url,
            sentiment_timeout,
            s3,
            upload_max_bytes,
            upload_url_ttl,
            public_url,
            feed_weights,
            shutdown_grace,
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }

    /// The database URL with any password replaced, for logs.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose())
    }

    /// The Redis URL with any password replaced, for logs.
    pub fn redis_url_redacted(&self) -> Option<String> {
        self.redis_url.as_ref().map(|u| redact_url(u.expose()))
    }
}

fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("redacted"));
            url.to_string()
        }
        Ok(_) => raw.to_owned(),
        Err(_) => "[unparseable url]".into(),
    }
}

/// `"500ms"`, `"90s"`, `"15m"`, `"1h"`, `"30d"` or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let secs = match unit {
        "ms" => return (n > 0).then(|| Duration::from_millis(n)),
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded() {
        let c = load(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert!(c.is_sqlite());
        assert!(c.redis_url.is_none());
        assert_eq!(c.jwt.access_ttl, Duration::from_secs(900));
        assert_eq!(c.jwt.refresh_ttl, Duration::from_secs(30 * 86_400));
        assert!(matches!(c.jwt.keys, JwtKeySource::GeneratedSecretFile(_)));
    }

    #[test]
    fn errors_name_the_variable() {
        for (vars, var) in [
            (vec![("VITRINE_BIND", "nope")], "VITRINE_BIND"),
            (vec![("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (vec![("VITRINE_ENV", "staging")], "VITRINE_ENV"),
            (vec![("VITRINE_ENV", "production")], "VITRINE_JWT_SECRET"),
            (vec![("VITRINE_JWT_SECRET", "short")], "VITRINE_JWT_SECRET"),
            (
                vec![("VITRINE_JWT_ALGORITHM", "none")],
                "VITRINE_JWT_ALGORITHM",
            ),
            (
                vec![("VITRINE_JWT_ALGORITHM", "EdDSA")],
                "VITRINE_JWT_PRIVATE_KEY_FILE",
            ),
            (
                vec![("VITRINE_ACCESS_TOKEN_TTL", "soon")],
                "VITRINE_ACCESS_TOKEN_TTL",
            ),
            (
                vec![("VITRINE_ACCESS_TOKEN_TTL", "40d")],
                "VITRINE_REFRESH_TOKEN_TTL",
            ),
            (vec![("REDIS_URL", "http://x")], "REDIS_URL"),
            (
                vec![("VITRINE_SEARCH_BACKEND", "solr")],
                "VITRINE_SEARCH_BACKEND",
            ),
            (
                vec![("VITRINE_SEARCH_BACKEND", "elasticsearch")],
                "VITRINE_ELASTICSEARCH_URL",
            ),
            (
                vec![("VITRINE_DB_MAX_CONNECTIONS", "0")],
                "VITRINE_DB_MAX_CONNECTIONS",
            ),
        ] {
            let err = load(&vars).unwrap_err();
            assert_eq!(err.var, var, "{vars:?}");
            assert!(err.to_string().contains(var));
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = load(&[
            (
                "VITRINE_JWT_SECRET",
                "0123456789abcdef0123456789abcdef-topsecret",
            ),
            ("DATABASE_URL", "postgres://app:hunter2@db/vitrine"),
            ("REDIS_URL", "redis://:redispass@cache:6379"),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("topsecret"));
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains("redispass"));
        assert!(!c.database_url_redacted().contains("hunter2"));
        assert!(!c.redis_url_redacted().unwrap().contains("redispass"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("30d"), Some(Duration::from_secs(2_592_000)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("42"), Some(Duration::from_secs(42)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5 weeks"), None);
    }
}
