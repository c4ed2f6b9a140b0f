//! The one typed configuration, read from the environment (and an optional
//! `.env` file, loaded by `main`). Every variable the server reads is listed in
//! [`VARIABLES`] with its default; the README's table is generated from the same
//! list by `vitrine config`. Validation happens here, at start-up, and every
//! error names the variable that is wrong.
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

/// `(name, default, description)` for every variable the server reads.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "VITRINE_ENV",
        "development",
        "`development` or `production`. Production turns GraphiQL off and requires explicit secrets.",
    ),
    (
        "VITRINE_BIND",
        "127.0.0.1:8080",
        "Address the HTTP/WebSocket server listens on.",
    ),
    (
        "DATABASE_URL",
        "sqlite://data/vitrine.db?mode=rwc",
        "`sqlite://…` (embedded) or `postgres://…`.",
    ),
    ("VITRINE_DB_MAX_CONNECTIONS", "10", "Connection pool size."),
    (
        "REDIS_URL",
        "(unset)",
        "`redis://…` for shared kv/pub-sub across instances; unset = in-process.",
    ),
    (
        "VITRINE_REDIS_PREFIX",
        "vitrine",
        "Prefix of every Redis key and pub/sub channel, so instances of one deployment share and others don't.",
    ),
    (
        "VITRINE_WS_MAX_SUBSCRIPTIONS",
        "100",
        "Active subscriptions one WebSocket may hold; more are refused with SUBSCRIPTION_LIMIT.",
    ),
    (
        "VITRINE_WS_INIT_TIMEOUT",
        "3s",
        "A WebSocket that sends no `connection_init` within this is closed with 4408.",
    ),
    (
        "VITRINE_WS_PING_INTERVAL",
        "15s",
        "Server keep-alive ping interval; a socket silent for three intervals is closed.",
    ),
    (
        "VITRINE_PRESENCE_TTL",
        "30s",
        "Presence entries expire after this unless refreshed (every third of it) while a socket is open.",
    ),
    (
        "VITRINE_MAX_DEPTH",
        "12",
        "Deepest field nesting an operation may have (QUERY_TOO_DEEP).",
    ),
    (
        "VITRINE_MAX_COMPLEXITY",
        "10000",
        "Complexity budget per operation: each field costs 1, a connection `first` × its selection (QUERY_TOO_COMPLEX).",
    ),
    (
        "VITRINE_MAX_ALIASES",
        "30",
        "Aliases per document (TOO_MANY_ALIASES).",
    ),
    (
        "VITRINE_MAX_ROOT_FIELDS",
        "20",
        "Root fields per operation (TOO_MANY_ROOT_FIELDS).",
    ),
    (
        "VITRINE_MAX_DIRECTIVES",
        "5",
        "Directives on one field (TOO_MANY_DIRECTIVES).",
    ),
    (
        "VITRINE_MAX_TOKENS",
        "5000",
        "Tokens per document, counted before parsing (TOO_MANY_TOKENS).",
    ),
    (
        "VITRINE_RATE_LIMIT_USER",
        "20000/60s",
        "Complexity a signed-in user may spend per window (sliding log; Redis when configured).",
    ),
    (
        "VITRINE_RATE_LIMIT_IP",
        "10000/60s",
        "Complexity an anonymous caller (per IP) may spend per window.",
    ),
    (
        "VITRINE_RATE_LIMIT_AUTH",
        "20/300s",
        "login/register/refreshToken attempts per IP per window; every alias and batched operation counts.",
    ),
    (
        "VITRINE_PERSISTED_ONLY",
        "false",
        "`true`: every client (not only partners) must send persisted documents of the frontend manifest.",
    ),
    (
        "VITRINE_DATA_DIR",
        "data",
        "Local state: development JWT secret, uploads, search index.",
    ),
    (
        "VITRINE_ML_DIR",
        "$VITRINE_DATA_DIR/models/recommender",
        "Versioned recommender models; `CURRENT` names the one served.",
    ),
    (
        "VITRINE_ML_DIM",
        "64",
        "Item vector dimension of newly trained models (16 to 512).",
    ),
    (
        "VITRINE_ML_EPOCHS",
        "20",
        "Training epochs of `vitrine ml train` and the training job.",
    ),
    (
        "VITRINE_ML_SEED",
        "42",
        "Seed of training: the same data and seed give the same model.",
    ),
    (
        "VITRINE_ML_HALF_LIFE",
        "14d",
        "Recency half-life of the viewer's activity in their recommendation vector.",
    ),
    (
        "VITRINE_ML_MAX_PER_STORE",
        "3",
        "Most products of one store in one page of `recommendedProducts`.",
    ),
    (
        "VITRINE_ML_TRAIN_ON_START",
        "true",
        "Train a first model in the background when `serve` finds none and there is activity.",
    ),
    (
        "VITRINE_ML_RELOAD_INTERVAL",
        "10s",
        "How often serving checks `CURRENT` for a model trained elsewhere (swapped without a restart).",
    ),
    (
        "VITRINE_SEARCH_BACKEND",
        "tantivy",
        "`tantivy` (embedded index under $VITRINE_DATA_DIR/search) or `elasticsearch` (Elasticsearch 8 / OpenSearch).",
    ),
    (
        "VITRINE_ELASTICSEARCH_URL",
        "(unset)",
        "Elasticsearch base URL, e.g. `http://user:pass@es:9200`; required with `VITRINE_SEARCH_BACKEND=elasticsearch`.",
    ),
    (
        "VITRINE_ELASTICSEARCH_INDEX",
        "vitrine-search",
        "Name of the Elasticsearch index (and of its index template).",
    ),
    (
        "VITRINE_LOG",
        "info",
        "Log filter (`tracing` EnvFilter syntax); `RUST_LOG` is honoured too.",
    ),
    (
        "VITRINE_LOG_FORMAT",
        "pretty (development) / json (production)",
        "`pretty` or `json`.",
    ),
    (
        "VITRINE_JWT_ALGORITHM",
        "HS256",
        "`HS256`, `EdDSA` or `RS256`; tokens signed with any other algorithm are refused.",
    ),
    (
        "VITRINE_JWT_SECRET",
        "(development: generated into $VITRINE_DATA_DIR/jwt-secret)",
        "HS256 secret, at least 32 bytes. Required in production with HS256.",
    ),
    (
        "VITRINE_JWT_PRIVATE_KEY_FILE",
        "(unset)",
        "PEM private key for EdDSA/RS256.",
    ),
    (
        "VITRINE_JWT_PUBLIC_KEY_FILE",
        "(unset)",
        "PEM public key for EdDSA/RS256.",
    ),
    (
        "VITRINE_JWT_ISSUER",
        "vitrine",
        "`iss` claim written and required.",
    ),
    (
        "VITRINE_JWT_AUDIENCE",
        "vitrine-api",
        "`aud` claim written and required.",
    ),
    (
        "VITRINE_ACCESS_TOKEN_TTL",
        "15m",
        "Access token lifetime (`90s`, `15m`, `1h`, `30d`).",
    ),
    (
        "VITRINE_REFRESH_TOKEN_TTL",
        "30d",
        "Refresh token lifetime; each rotation starts a new one.",
    ),
    (
        "VITRINE_CORS_ORIGINS",
        "* (development) / none (production)",
        "Comma-separated browser origins allowed by CORS, or `*`.",
    ),
    (
        "VITRINE_UPLOAD_MAX_BYTES",
        "10485760 (10 MiB)",
        "Largest accepted image upload; JPEG, PNG and WebP only, sniffed from the bytes.",
    ),
    (
        "VITRINE_PUBLIC_URL",
        "(unset: relative /files/… URLs)",
        "Origin prefixed to file URLs, e.g. https://api.example.com.",
    ),
    (
        "VITRINE_FEED_WEIGHTS",
        "0.4,0.25,0.2,0.15",
        "Home feed weights: behaviour, social, trending, recency (each 0 to 1).",
    ),
    (
        "VITRINE_LOADER_DELAY",
        "1ms",
        "How long a DataLoader gathers keys before it runs one batched statement.",
    ),
    (
        "VITRINE_SHUTDOWN_GRACE",
        "20s",
        "How long a SIGTERM/SIGINT waits for in-flight requests.",
    ),
];

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    EdDsa,
    Rs256,
}

/// A value that must never reach a log line: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where the JWT signing material comes from.
#[derive(Clone, Debug)]
pub enum JwtKeySource {
    /// HS256 with an explicit secret.
    Secret(Secret),
    /// HS256, development only: a random secret kept in this file (created on first use).
    GeneratedSecretFile(PathBuf),
    /// EdDSA / RS256 PEM files.
    KeyFiles { private: PathBuf, public: PathBuf },
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub algorithm: JwtAlgorithm,
    pub keys: JwtKeySource,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub env: Environment,
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
    pub loader_delay: Duration,
    pub upload_max_bytes: u64,
    pub public_url: String,
    pub feed_weights: FeedWeights,
    pub shutdown_grace: Duration,
    pub redis_prefix: String,
    pub realtime: RealtimeConfig,
    pub limits: crate::protection::limits::QueryLimits,
    pub rate_limits: crate::protection::rate_limit::RateLimits,
    pub persisted_only: bool,
    pub ml: MlConfig,
    pub search: SearchConfig,
}

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
}

impl MlConfig {
    pub fn in_dir(data_dir: &std::path::Path) -> Self {
        Self {
            dir: data_dir.join("models").join("recommender"),
            dim: 64,
            epochs: 20,
            seed: 42,
            half_life: Duration::from_secs(14 * 86_400),
            max_per_store: 3,
            train_on_start: true,
            reload_interval: Duration::from_secs(10),
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

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`; tests pass a map here.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let env = match get("VITRINE_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "VITRINE_ENV",
                    format!("expected `development` or `production`, got `{other}`"),
                ));
            }
        };
        let bind = get("VITRINE_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse::<SocketAddr>()
            .map_err(|e| {
                invalid(
                    "VITRINE_BIND",
                    format!("expected host:port such as 127.0.0.1:8080 ({e})"),
                )
            })?;

        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/vitrine.db?mode=rwc".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "DATABASE_URL",
                "expected a sqlite://… or postgres://… URL",
            ));
        }
        let db_max_connections = parse_number(
            get("VITRINE_DB_MAX_CONNECTIONS"),
            "VITRINE_DB_MAX_CONNECTIONS",
            10,
            1..=1000,
        )?;

        let redis_url = match get("REDIS_URL") {
            None => None,
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                Some(Secret(url))
            }
            Some(_) => return Err(invalid("REDIS_URL", "expected a redis:// or rediss:// URL")),
        };
        let data_dir = PathBuf::from(get("VITRINE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let log_filter = get("VITRINE_LOG")
            .or_else(|| get("RUST_LOG"))
            .unwrap_or_else(|| "info".into());
        let log_format = match get("VITRINE_LOG_FORMAT").as_deref() {
            None if env == Environment::Production => LogFormat::Json,
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "VITRINE_LOG_FORMAT",
                    format!("expected `pretty` or `json`, got `{other}`"),
                ));
            }
        };

        let algorithm = match get("VITRINE_JWT_ALGORITHM").as_deref() {
            None | Some("HS256") => JwtAlgorithm::Hs256,
            Some("EdDSA") => JwtAlgorithm::EdDsa,
            Some("RS256") => JwtAlgorithm::Rs256,
            Some(other) => {
                return Err(invalid(
                    "VITRINE_JWT_ALGORITHM",
                    format!("expected HS256, EdDSA or RS256, got `{other}`"),
                ));
            }
        };
        let keys = match algorithm {
            JwtAlgorithm::Hs256 => match get("VITRINE_JWT_SECRET") {
                Some(secret) if secret.len() >= 32 => JwtKeySource::Secret(Secret(secret)),
                Some(_) => return Err(invalid("VITRINE_JWT_SECRET", "must be at least 32 bytes")),
                None if env == Environment::Production => {
                    return Err(invalid(
                        "VITRINE_JWT_SECRET",
                        "required in production with HS256",
                    ));
                }
                None => JwtKeySource::GeneratedSecretFile(data_dir.join("jwt-secret")),
            },
            JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => {
                let private = get("VITRINE_JWT_PRIVATE_KEY_FILE").ok_or_else(|| {
                    invalid("VITRINE_JWT_PRIVATE_KEY_FILE", "required with EdDSA/RS256")
                })?;
                let public = get("VITRINE_JWT_PUBLIC_KEY_FILE").ok_or_else(|| {
                    invalid("VITRINE_JWT_PUBLIC_KEY_FILE", "required with EdDSA/RS256")
                })?;
                JwtKeySource::KeyFiles {
                    private: private.into(),
                    public: public.into(),
                }
            }
        };
        let access_ttl = parse_duration_var(
            get("VITRINE_ACCESS_TOKEN_TTL"),
            "VITRINE_ACCESS_TOKEN_TTL",
            "15m",
        )?;
        let refresh_ttl = parse_duration_var(
            get("VITRINE_REFRESH_TOKEN_TTL"),
            "VITRINE_REFRESH_TOKEN_TTL",
            "30d",
        )?;
        if refresh_ttl <= access_ttl {
            return Err(invalid(
                "VITRINE_REFRESH_TOKEN_TTL",
                "must be longer than VITRINE_ACCESS_TOKEN_TTL",
            ));
        }
        let jwt = JwtConfig {
            algorithm,
            keys,
            issuer: get("VITRINE_JWT_ISSUER").unwrap_or_else(|| "vitrine".into()),
            audience: get("VITRINE_JWT_AUDIENCE").unwrap_or_else(|| "vitrine-api".into()),
            access_ttl,
            refresh_ttl,
        };
        let shutdown_grace = parse_duration_var(
            get("VITRINE_SHUTDOWN_GRACE"),
            "VITRINE_SHUTDOWN_GRACE",
            "20s",
        )?;

        let cors_origins = match get("VITRINE_CORS_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            None if env == Environment::Development => vec!["*".to_owned()],
            None => Vec::new(),
        };
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| *o != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "VITRINE_CORS_ORIGINS",
                format!("`{bad}` is not an origin such as https://shop.example"),
            ));
        }

        let sentiment_url = match get("VITRINE_SENTIMENT_URL") {
            Some(u)
                if url::Url::parse(&u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) =>
            {
                Some(u)
            }
            Some(_) => return Err(invalid("VITRINE_SENTIMENT_URL", "expected an http(s) URL")),
            None => None,
        };
        let sentiment_timeout = parse_duration_var(
            get("VITRINE_SENTIMENT_TIMEOUT"),
            "VITRINE_SENTIMENT_TIMEOUT",
            "3s",
        )?;

        let loader_delay =
            parse_duration_var(get("VITRINE_LOADER_DELAY"), "VITRINE_LOADER_DELAY", "1ms")?;
        if loader_delay > Duration::from_millis(100) {
            return Err(invalid("VITRINE_LOADER_DELAY", "must be at most 100ms"));
        }

        let upload_max_bytes = match get("VITRINE_UPLOAD_MAX_BYTES") {
            None => 10 * 1024 * 1024,
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| (1024..=100 * 1024 * 1024).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "VITRINE_UPLOAD_MAX_BYTES",
                        "expected a byte count from 1024 to 104857600",
                    )
                })?,
        };
        let public_url = match get("VITRINE_PUBLIC_URL") {
            None => String::new(),
            Some(u)
                if url::Url::parse(&u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) =>
            {
                u.trim_end_matches('/').to_owned()
            }
            Some(_) => return Err(invalid("VITRINE_PUBLIC_URL", "expected an http(s) origin")),
        };
        let feed_weights = match get("VITRINE_FEED_WEIGHTS") {
            None => FeedWeights::default(),
            Some(raw) => {
                let parts: Vec<f64> = raw
                    .split(',')
                    .filter_map(|p| p.trim().parse().ok())
                    .collect();
                match parts[..] {
                    [behaviour, social, trending, recency]
                        if parts.iter().all(|w| (0.0..=1.0).contains(w)) =>
                    {
                        FeedWeights {
                            behaviour,
                            social,
                            trending,
                            recency,
                        }
                    }
                    _ => {
                        return Err(invalid(
                            "VITRINE_FEED_WEIGHTS",
                            "expected four weights from 0 to 1: behaviour,social,trending,recency",
                        ));
                    }
                }
            }
        };

        let redis_prefix = get("VITRINE_REDIS_PREFIX").unwrap_or_else(|| "vitrine".into());
        if redis_prefix.is_empty()
            || redis_prefix.len() > 64
            || !redis_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(invalid(
                "VITRINE_REDIS_PREFIX",
                "expected 1 to 64 characters of letters, digits, '-', '_', '.' or ':'",
            ));
        }
        let max_subscriptions = match get("VITRINE_WS_MAX_SUBSCRIPTIONS") {
            None => 100,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "VITRINE_WS_MAX_SUBSCRIPTIONS",
                        "expected a number from 1 to 10000",
                    )
                })?,
        };
        let realtime = RealtimeConfig {
            max_subscriptions,
            init_timeout: parse_duration_var(
                get("VITRINE_WS_INIT_TIMEOUT"),
                "VITRINE_WS_INIT_TIMEOUT",
                "3s",
            )?,
            ping_interval: parse_duration_var(
                get("VITRINE_WS_PING_INTERVAL"),
                "VITRINE_WS_PING_INTERVAL",
                "15s",
            )?,
            presence_ttl: parse_duration_var(
                get("VITRINE_PRESENCE_TTL"),
                "VITRINE_PRESENCE_TTL",
                "30s",
            )?,
        };
        if realtime.presence_ttl < Duration::from_secs(3) {
            return Err(invalid("VITRINE_PRESENCE_TTL", "must be at least 3s"));
        }

        let count = |var: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(raw) => raw
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| invalid(var, format!("expected a number from 1 to {max}"))),
            }
        };
        let limits = crate::protection::limits::QueryLimits {
            max_depth: count("VITRINE_MAX_DEPTH", 12, 50)? as usize,
            max_complexity: count("VITRINE_MAX_COMPLEXITY", 10_000, 10_000_000)?,
            max_aliases: count("VITRINE_MAX_ALIASES", 30, 1_000)? as usize,
            max_root_fields: count("VITRINE_MAX_ROOT_FIELDS", 20, 1_000)? as usize,
            max_directives: count("VITRINE_MAX_DIRECTIVES", 5, 100)? as usize,
            max_tokens: count("VITRINE_MAX_TOKENS", 5_000, 1_000_000)? as usize,
            introspection: env != Environment::Production,
        };

        let policy = |var: &'static str,
                      name: &'static str,
                      default: crate::protection::rate_limit::Policy| {
            match get(var) {
                None => Ok(default),
                Some(raw) => crate::protection::rate_limit::parse_policy(name, &raw)
                    .ok_or_else(|| invalid(var, "expected <cost>/<window>, e.g. 10000/60s")),
            }
        };
        let defaults = crate::protection::rate_limit::RateLimits::default();
        let rate_limits = crate::protection::rate_limit::RateLimits {
            user: policy("VITRINE_RATE_LIMIT_USER", "user", defaults.user)?,
            ip: policy("VITRINE_RATE_LIMIT_IP", "ip", defaults.ip)?,
            auth: policy("VITRINE_RATE_LIMIT_AUTH", "auth", defaults.auth)?,
        };

        let persisted_only = match get("VITRINE_PERSISTED_ONLY").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(invalid("VITRINE_PERSISTED_ONLY", "expected true or false")),
        };

        let defaults = MlConfig::in_dir(&data_dir);
        let flag = |var: &'static str, default: bool| match get(var).as_deref() {
            None => Ok(default),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(_) => Err(invalid(var, "expected true or false")),
        };
        let ml = MlConfig {
            dir: get("VITRINE_ML_DIR").map_or(defaults.dir, PathBuf::from),
            dim: parse_number(get("VITRINE_ML_DIM"), "VITRINE_ML_DIM", 64, 16..=512)?.into(),
            epochs: parse_number(get("VITRINE_ML_EPOCHS"), "VITRINE_ML_EPOCHS", 20, 1..=1000)?
                as usize,
            seed: parse_number(get("VITRINE_ML_SEED"), "VITRINE_ML_SEED", 42, 0..=u32::MAX)?.into(),
            half_life: parse_duration_var(
                get("VITRINE_ML_HALF_LIFE"),
                "VITRINE_ML_HALF_LIFE",
                "14d",
            )?,
            max_per_store: parse_number(
                get("VITRINE_ML_MAX_PER_STORE"),
                "VITRINE_ML_MAX_PER_STORE",
                3,
                1..=100,
            )? as usize,
            train_on_start: flag("VITRINE_ML_TRAIN_ON_START", true)?,
            reload_interval: parse_duration_var(
                get("VITRINE_ML_RELOAD_INTERVAL"),
                "VITRINE_ML_RELOAD_INTERVAL",
                "10s",
            )?,
        };

        let search = match get("VITRINE_SEARCH_BACKEND").as_deref() {
            None | Some("tantivy") => SearchConfig::Tantivy,
            Some("elasticsearch") => {
                let url = get("VITRINE_ELASTICSEARCH_URL")
                    .filter(|u| {
                        url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"))
                    })
                    .ok_or_else(|| {
                        invalid(
                            "VITRINE_ELASTICSEARCH_URL",
                            "an http(s) URL is required with VITRINE_SEARCH_BACKEND=elasticsearch",
                        )
                    })?;
                let index =
                    get("VITRINE_ELASTICSEARCH_INDEX").unwrap_or_else(|| "vitrine-search".into());
                if index.is_empty()
                    || index.len() > 200
                    || !index.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_')
                    })
                {
                    return Err(invalid(
                        "VITRINE_ELASTICSEARCH_INDEX",
                        "expected lower-case letters, digits, '-' or '_'",
                    ));
                }
                SearchConfig::Elasticsearch {
                    url: Secret(url),
                    index,
                }
            }
            Some(_) => {
                return Err(invalid(
                    "VITRINE_SEARCH_BACKEND",
                    "expected tantivy or elasticsearch",
                ));
            }
        };

        Ok(Self {
            ml,
            search,
            persisted_only,
            rate_limits,
            limits,
            redis_prefix,
            realtime,
            env,
            bind,
            database_url: Secret(database_url),
            db_max_connections,
            redis_url,
            data_dir,
            log_filter,
            log_format,
            jwt,
            cors_origins,
            sentiment_url,
            sentiment_timeout,
            loader_delay,
            upload_max_bytes,
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

fn parse_number(
    raw: Option<String>,
    var: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    let value: u32 = raw
        .parse()
        .map_err(|_| invalid(var, format!("expected a whole number, got `{raw}`")))?;
    if !range.contains(&value) {
        return Err(invalid(
            var,
            format!("must be within {}..={}", range.start(), range.end()),
        ));
    }
    Ok(value)
}

fn parse_duration_var(
    raw: Option<String>,
    var: &'static str,
    default: &str,
) -> Result<Duration, ConfigError> {
    let raw = raw.unwrap_or_else(|| default.to_owned());
    parse_duration(&raw).ok_or_else(|| {
        invalid(
            var,
            format!("expected a duration such as 90s, 15m, 1h or 30d, got `{raw}`"),
        )
    })
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
