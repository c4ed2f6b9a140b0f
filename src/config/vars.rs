//! The table of every environment variable vitrine reads: name, default and
//! meaning, in the order the README lists them. Parsing reads variables only
//! through a [`Var`] of this table ([`Env`] takes nothing else), and
//! `vitrine config` prints [`markdown_table`], which the README's
//! configuration table must equal (`tests/contract.rs`); so a variable cannot
//! be read without being documented, nor documented without existing.
use std::{ops::RangeInclusive, time::Duration};

use super::{ConfigError, invalid, parse_duration};

/// One environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: &'static str,
    /// The value used when the variable is unset; `None` when unset means
    /// "off" or the default is computed (see [`Var::shown`]).
    pub default: Option<&'static str>,
    /// The default as the documentation shows it.
    pub shown: &'static str,
    pub meaning: &'static str,
    /// A second name read when this one is unset (named in `meaning`).
    pub alias: Option<&'static str>,
}

impl Var {
    /// A variable with a literal default.
    const fn new(name: &'static str, default: &'static str, meaning: &'static str) -> Self {
        Self {
            name,
            default: Some(default),
            shown: default,
            meaning,
            alias: None,
        }
    }

    /// A variable without a literal default: `shown` explains what unset means.
    const fn unset(name: &'static str, shown: &'static str, meaning: &'static str) -> Self {
        Self {
            name,
            default: None,
            shown,
            meaning,
            alias: None,
        }
    }

    /// Documents the default as `shown` (a unit, a note) instead of its value.
    const fn shown_as(self, shown: &'static str) -> Self {
        Self { shown, ..self }
    }

    const fn or(self, alias: &'static str) -> Self {
        Self {
            alias: Some(alias),
            ..self
        }
    }
}

/// Declares each variable as a constant and [`VARIABLES`] as all of them in
/// order, so that a variable is written down exactly once.
macro_rules! variables {
    ($( $id:ident = $var:expr; )*) => {
        $( pub const $id: Var = $var; )*
        /// Every variable, in documentation order.
        pub const VARIABLES: &[Var] = &[$($id),*];
    };
}

variables! {
    ENV = Var::new("VITRINE_ENV", "development", "`development` or `production`. Production turns GraphiQL off and requires explicit secrets.");
    BIND = Var::new("VITRINE_BIND", "127.0.0.1:8080", "Address the HTTP/WebSocket server listens on.");
    DATABASE_URL = Var::new("DATABASE_URL", "sqlite://data/vitrine.db?mode=rwc", "`sqlite://…` (embedded) or `postgres://…`.");
    DB_MAX_CONNECTIONS = Var::new("VITRINE_DB_MAX_CONNECTIONS", "10", "Connection pool size.");
    REDIS_URL = Var::unset("REDIS_URL", "(unset)", "`redis://…` for shared kv/pub-sub across instances; unset = in-process.");
    REDIS_PREFIX = Var::new("VITRINE_REDIS_PREFIX", "vitrine", "Prefix of every Redis key and pub/sub channel, so instances of one deployment share and others don't.");
    WS_MAX_SUBSCRIPTIONS = Var::new("VITRINE_WS_MAX_SUBSCRIPTIONS", "100", "Active subscriptions one WebSocket may hold, and SSE streams one user (anonymous: one IP) may hold on an instance; more are refused with SUBSCRIPTION_LIMIT.");
    WS_INIT_TIMEOUT = Var::new("VITRINE_WS_INIT_TIMEOUT", "3s", "A WebSocket that sends no `connection_init` within this is closed with 4408.");
    WS_PING_INTERVAL = Var::new("VITRINE_WS_PING_INTERVAL", "15s", "Server keep-alive ping interval (also the SSE keep-alive comment); a socket silent for three intervals is closed.");
    PRESENCE_TTL = Var::new("VITRINE_PRESENCE_TTL", "30s", "Presence entries expire after this unless refreshed (every third of it) while a socket is open.");
    MAX_DEPTH = Var::new("VITRINE_MAX_DEPTH", "12", "Deepest field nesting an operation may have (QUERY_TOO_DEEP).");
    MAX_COMPLEXITY = Var::new("VITRINE_MAX_COMPLEXITY", "10000", "Complexity budget per operation: each field costs 1, a connection `first` × its selection (QUERY_TOO_COMPLEX).");
    MAX_ALIASES = Var::new("VITRINE_MAX_ALIASES", "30", "Aliases per document (TOO_MANY_ALIASES).");
    MAX_ROOT_FIELDS = Var::new("VITRINE_MAX_ROOT_FIELDS", "20", "Root fields per operation (TOO_MANY_ROOT_FIELDS).");
    MAX_DIRECTIVES = Var::new("VITRINE_MAX_DIRECTIVES", "5", "Directives on one field (TOO_MANY_DIRECTIVES).");
    MAX_TOKENS = Var::new("VITRINE_MAX_TOKENS", "5000", "Tokens per document, counted before parsing (TOO_MANY_TOKENS).");
    RATE_LIMIT_USER = Var::new("VITRINE_RATE_LIMIT_USER", "20000/60s", "Complexity a signed-in user may spend per window (sliding log; Redis when configured).");
    RATE_LIMIT_IP = Var::new("VITRINE_RATE_LIMIT_IP", "10000/60s", "Complexity an anonymous caller (per IP) may spend per window.");
    RATE_LIMIT_AUTH = Var::new("VITRINE_RATE_LIMIT_AUTH", "20/300s", "login/register/refreshToken attempts per IP per window; every alias and batched operation counts.");
    PERSISTED_ONLY = Var::new("VITRINE_PERSISTED_ONLY", "false", "`true`: every client (not only partners) must send persisted documents of the frontend manifest.");
    DATA_DIR = Var::new("VITRINE_DATA_DIR", "data", "Local state: development JWT secret, uploads, search index.");
    ML_DIR = Var::unset("VITRINE_ML_DIR", "$VITRINE_DATA_DIR/models/recommender", "Versioned recommender models; `CURRENT` names the one served.");
    ML_DIM = Var::new("VITRINE_ML_DIM", "64", "Item vector dimension of newly trained models (16 to 512).");
    ML_EPOCHS = Var::new("VITRINE_ML_EPOCHS", "20", "Training epochs of `vitrine ml train` and the training job.");
    ML_SEED = Var::new("VITRINE_ML_SEED", "42", "Seed of training: the same data and seed give the same model.");
    ML_HALF_LIFE = Var::new("VITRINE_ML_HALF_LIFE", "14d", "Recency half-life of the viewer's activity in their recommendation vector.");
    ML_MAX_PER_STORE = Var::new("VITRINE_ML_MAX_PER_STORE", "3", "Most products of one store in one page of `recommendedProducts`.");
    ML_TRAIN_ON_START = Var::new("VITRINE_ML_TRAIN_ON_START", "true", "Train a first model in the background when `serve` finds none and there is activity.");
    ML_RELOAD_INTERVAL = Var::new("VITRINE_ML_RELOAD_INTERVAL", "10s", "How often serving checks `CURRENT` for a model trained elsewhere (swapped without a restart).");
    ML_RETRAIN_AT = Var::new("VITRINE_ML_RETRAIN_AT", "off", "Nightly recommender retraining at this UTC time (`03:00`), or `off`.");
    CHART_FONT = Var::unset("VITRINE_CHART_FONT", "(unset: a system DejaVu/Liberation font)", "TrueType font of the charts `vitrine ml eval` draws.");
    SEARCH_BACKEND = Var::new("VITRINE_SEARCH_BACKEND", "tantivy", "`tantivy` (embedded index under $VITRINE_DATA_DIR/search) or `elasticsearch` (Elasticsearch 8 / OpenSearch).");
    ELASTICSEARCH_URL = Var::unset("VITRINE_ELASTICSEARCH_URL", "(unset)", "Elasticsearch base URL, e.g. `http://user:pass@es:9200`; required with `VITRINE_SEARCH_BACKEND=elasticsearch`.");
    ELASTICSEARCH_INDEX = Var::new("VITRINE_ELASTICSEARCH_INDEX", "vitrine-search", "Name of the Elasticsearch index (and of its index template).");
    SENTIMENT_URL = Var::unset("VITRINE_SENTIMENT_URL", "(unset)", "HTTP sentiment service for shorts (COM-4): `POST` of `{text}`, answering `{label, score}` (label POSITIVE, NEUTRAL or NEGATIVE; score from -1 to 1); unset = the offline lexicon.");
    STORAGE = Var::new("VITRINE_STORAGE", "local", "Where uploaded and generated files live (OPS-4): `local` ($VITRINE_DATA_DIR/uploads) or `s3` (an S3-compatible bucket, VITRINE_S3_*). Either way they are served at /files/<key>.");
    S3_BUCKET = Var::unset("VITRINE_S3_BUCKET", "(unset)", "The bucket (required with VITRINE_STORAGE=s3).");
    S3_REGION = Var::new("VITRINE_S3_REGION", "us-east-1", "The bucket's region.");
    S3_ENDPOINT = Var::unset("VITRINE_S3_ENDPOINT", "(unset: AWS)", "An S3-compatible server's URL (MinIO, moto, …), addressed path-style.");
    S3_ACCESS_KEY_ID = Var::unset("VITRINE_S3_ACCESS_KEY_ID", "(unset: the environment's AWS credentials)", "Access key id.");
    S3_SECRET_ACCESS_KEY = Var::unset("VITRINE_S3_SECRET_ACCESS_KEY", "(unset)", "Secret access key.");
    S3_PREFIX = Var::new("VITRINE_S3_PREFIX", "uploads", "Key prefix of every object, so one bucket can serve several deployments.");
    S3_TIMEOUT = Var::new("VITRINE_S3_TIMEOUT", "30s", "Timeout of one S3 request.");
    AI_PROVIDERS = Var::new("VITRINE_AI_PROVIDERS", "offline", "Design generation's fallback chain (COMM-2), comma-separated from gemini, openai, replicate, offline; offline is always its last tier, then the per-style placeholder. A request may name its provider first.");
    AI_TIMEOUT = Var::new("VITRINE_AI_TIMEOUT", "60s", "Timeout of one request to an AI provider (a Replicate prediction: of the whole poll).");
    GEMINI_BASE_URL = Var::new("VITRINE_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com/v1beta", "Gemini API base URL (`…/models/{model}:generateContent`).");
    GEMINI_TEXT_MODEL = Var::new("VITRINE_GEMINI_TEXT_MODEL", "gemini-2.5-flash", "Gemini model of stage 1 (image in, text out).");
    GEMINI_IMAGE_MODEL = Var::new("VITRINE_GEMINI_IMAGE_MODEL", "gemini-2.5-flash-image", "Gemini model of stage 2 (image and text in, image out).");
    GEMINI_API_KEY = Var::unset("VITRINE_GEMINI_API_KEY", "(unset)", "Gemini API key (`x-goog-api-key`); unset = Gemini off.");
    OPENAI_BASE_URL = Var::new("VITRINE_OPENAI_BASE_URL", "https://api.openai.com/v1", "OpenAI API base URL (`/chat/completions`, `/images/edits`).");
    OPENAI_TEXT_MODEL = Var::new("VITRINE_OPENAI_TEXT_MODEL", "gpt-4o-mini", "OpenAI chat model of stage 1 (with the image).");
    OPENAI_IMAGE_MODEL = Var::new("VITRINE_OPENAI_IMAGE_MODEL", "gpt-image-1", "OpenAI image model of stage 2 (an edit of the source image).");
    OPENAI_API_KEY = Var::unset("VITRINE_OPENAI_API_KEY", "(unset)", "OpenAI API key (Bearer); unset = OpenAI off.");
    REPLICATE_BASE_URL = Var::new("VITRINE_REPLICATE_BASE_URL", "https://api.replicate.com/v1", "Replicate API base URL (`/models/{owner}/{name}/predictions`, then polling the prediction).");
    REPLICATE_TEXT_MODEL = Var::new("VITRINE_REPLICATE_TEXT_MODEL", "openai/gpt-4o-mini", "Replicate model (owner/name) of stage 1: input `prompt` and `image_input`.");
    REPLICATE_IMAGE_MODEL = Var::new("VITRINE_REPLICATE_IMAGE_MODEL", "black-forest-labs/flux-kontext-pro", "Replicate model (owner/name) of stage 2: input `prompt` and `input_image`.");
    REPLICATE_API_TOKEN = Var::unset("VITRINE_REPLICATE_API_TOKEN", "(unset)", "Replicate API token (Bearer); unset = Replicate off.");
    ASSISTANT_DOCS = Var::new("VITRINE_ASSISTANT_DOCS", "docs/help", "The help assistant's documents (COMM-9): Markdown and HTML files under `<lang>/` folders; re-ingested by a job when they change.");
    ASSISTANT_AUTO_INGEST = Var::new("VITRINE_ASSISTANT_AUTO_INGEST", "true", "Ingest the help documents when `serve` starts and whenever they change (checked every 10 minutes); `false`: only `vitrine assistant ingest` does.");
    ASSISTANT_EMBEDDINGS = Var::new("VITRINE_ASSISTANT_EMBEDDINGS", "offline", "`offline` (hashed n-grams and a bilingual glossary, no download) or `openai` (`/embeddings` of VITRINE_ASSISTANT_BASE_URL, needs the key). Changing it re-embeds the corpus.");
    ASSISTANT_BASE_URL = Var::new("VITRINE_ASSISTANT_BASE_URL", "https://api.openai.com/v1", "Base URL of the OpenAI-compatible API the assistant uses (`/chat/completions`, `/embeddings`).");
    ASSISTANT_API_KEY = Var::unset("VITRINE_ASSISTANT_API_KEY", "(unset: offline answers)", "Bearer key of that API. Set: answers are generated by the chat model (streamed), with the offline answer as fallback; unset: the offline extractive answerer.");
    ASSISTANT_CHAT_MODEL = Var::new("VITRINE_ASSISTANT_CHAT_MODEL", "gpt-4o-mini", "Chat model of the assistant's answers.");
    ASSISTANT_EMBEDDING_MODEL = Var::new("VITRINE_ASSISTANT_EMBEDDING_MODEL", "text-embedding-3-small", "Embedding model with VITRINE_ASSISTANT_EMBEDDINGS=openai.");
    ASSISTANT_TIMEOUT = Var::new("VITRINE_ASSISTANT_TIMEOUT", "20s", "Longest wait for the chat API's first byte, and between two streamed chunks; then the offline answer is given instead.");
    ASSISTANT_PACE = Var::new("VITRINE_ASSISTANT_PACE", "15ms", "Pause between two words of an offline answer, so it streams like a generated one (`0ms`: all at once).");
    INFERENCE_BASE_URL = Var::new("VITRINE_INFERENCE_BASE_URL", "https://api.openai.com/v1", "Product attribute inference (ML-1): base URL of the OpenAI-compatible API (`POST …/chat/completions` in JSON mode) that infers the colours, seasons, fibres, spec tags and category a seller left out.");
    INFERENCE_API_KEY = Var::unset("VITRINE_INFERENCE_API_KEY", "(unset: the offline rules)", "Bearer key of that API. Set: the chat model infers; unset: Korean and English word rules over the name and description do.");
    INFERENCE_MODEL = Var::new("VITRINE_INFERENCE_MODEL", "gpt-4o-mini", "Chat model of the attribute inference (stored with each inference).");
    INFERENCE_TIMEOUT = Var::new("VITRINE_INFERENCE_TIMEOUT", "30s", "Longest wait for one inference answer (at most 300s); a failed call is retried by the job with backoff.");
    SENTIMENT_TIMEOUT = Var::new("VITRINE_SENTIMENT_TIMEOUT", "3s", "Timeout of one sentiment request; on timeout or error the lexicon answers instead.");
    LOG = Var::new("VITRINE_LOG", "info", "Log filter (`tracing` EnvFilter syntax); `RUST_LOG` is honoured too.").or("RUST_LOG");
    LOG_FORMAT = Var::unset("VITRINE_LOG_FORMAT", "pretty (development) / json (production)", "`pretty` or `json`.");
    JWT_ALGORITHM = Var::new("VITRINE_JWT_ALGORITHM", "HS256", "`HS256`, `EdDSA` or `RS256`; tokens signed with any other algorithm are refused.");
    JWT_SECRET = Var::unset("VITRINE_JWT_SECRET", "(development: generated into $VITRINE_DATA_DIR/jwt-secret)", "HS256 secret, at least 32 bytes. Required in production with HS256.");
    JWT_PRIVATE_KEY_FILE = Var::unset("VITRINE_JWT_PRIVATE_KEY_FILE", "(unset)", "PEM private key for EdDSA/RS256.");
    JWT_PUBLIC_KEY_FILE = Var::unset("VITRINE_JWT_PUBLIC_KEY_FILE", "(unset)", "PEM public key for EdDSA/RS256.");
    JWT_ISSUER = Var::new("VITRINE_JWT_ISSUER", "vitrine", "`iss` claim written and required.");
    JWT_AUDIENCE = Var::new("VITRINE_JWT_AUDIENCE", "vitrine-api", "`aud` claim written and required.");
    ACCESS_TOKEN_TTL = Var::new("VITRINE_ACCESS_TOKEN_TTL", "15m", "Access token lifetime (`90s`, `15m`, `1h`, `30d`).");
    REFRESH_TOKEN_TTL = Var::new("VITRINE_REFRESH_TOKEN_TTL", "30d", "Refresh token lifetime; each rotation starts a new one.");
    ADMIN_PASSWORD = Var::unset("VITRINE_ADMIN_PASSWORD", "(unset)", "Password of `vitrine admin create` when `--password` is not given (kept out of the shell history).");
    TRUSTED_PROXIES = Var::unset("VITRINE_TRUSTED_PROXIES", "(none)", "Comma-separated addresses or CIDR ranges of the proxies in front of the API; a connection from one of them names the client in `X-Forwarded-For` (the rightmost address that is not a proxy). Empty: the peer is the client.");
    CORS_ORIGINS = Var::unset("VITRINE_CORS_ORIGINS", "* (development) / none (production)", "Comma-separated browser origins allowed by CORS, or `*`.");
    UPLOAD_MAX_BYTES = Var::new("VITRINE_UPLOAD_MAX_BYTES", "10485760", "Largest accepted image upload; JPEG, PNG and WebP only, sniffed from the bytes.").shown_as("10485760 (10 MiB)");
    MAIL = Var::new("VITRINE_MAIL", "outbox", "Who delivers mail (AUTH-5): `outbox` (every message an .eml file under $VITRINE_DATA_DIR/outbox, listed by `adminOutbox`) or `brevo` (Brevo's transactional email API).");
    MAIL_FROM = Var::new("VITRINE_MAIL_FROM", "vitrine <no-reply@vitrine.local>", "The sender of every message (`Name <address>`).");
    BREVO_BASE_URL = Var::new("VITRINE_BREVO_BASE_URL", "https://api.brevo.com/v3", "Brevo API base URL (`POST …/smtp/email`).");
    BREVO_API_KEY = Var::unset("VITRINE_BREVO_API_KEY", "(unset)", "Brevo API key (`api-key` header); required with VITRINE_MAIL=brevo.");
    REQUIRE_EMAIL_VERIFICATION = Var::new("VITRINE_REQUIRE_EMAIL_VERIFICATION", "false", "`true`: `register` needs an `emailVerificationToken` of the same address (requestEmailCode → verifyEmailCode).");
    SECURITY_LOGIN_THRESHOLD = Var::new("VITRINE_SECURITY_LOGIN_THRESHOLD", "5", "Failed logins of one account (or from one IP) within 5 minutes that raise a security alert (muted 30 minutes per account or IP).");
    SECURITY_TOKEN_THRESHOLD = Var::new("VITRINE_SECURITY_TOKEN_THRESHOLD", "20", "Invalid access tokens from one IP within an hour that make it a block-list candidate (`securityCandidates`).");
    UPLOAD_URL_TTL = Var::new("VITRINE_UPLOAD_URL_TTL", "15m", "How long a `createUploadUrl` URL accepts the PUT; an upload still unconfirmed then is removed (1m to 7d).");
    PUBLIC_URL = Var::unset("VITRINE_PUBLIC_URL", "(unset: relative /files/… URLs)", "Origin prefixed to file URLs, e.g. https://api.example.com.");
    FEED_WEIGHTS = Var::new("VITRINE_FEED_WEIGHTS", "0.4,0.25,0.2,0.15", "Home feed weights: behaviour, social, trending, recency (each 0 to 1).");
    SHUTDOWN_GRACE = Var::new("VITRINE_SHUTDOWN_GRACE", "20s", "How long a SIGTERM/SIGINT waits for in-flight requests and running background jobs (those still running then are given back to the queue).");
    JOBS_WORKERS = Var::new("VITRINE_JOBS_WORKERS", "true", "Whether this instance runs background jobs (`false`: an API-only instance; jobs wait for one that does).");
    JOBS_LEASE = Var::new("VITRINE_JOBS_LEASE", "30s", "How long a claimed job is held without a heartbeat; a job whose worker died is taken by another instance after this.");
    JOBS_POLL_INTERVAL = Var::new("VITRINE_JOBS_POLL_INTERVAL", "1s", "How often idle workers look for due jobs (jobs enqueued on the same instance start at once).");
    JOBS_SCHEDULER_INTERVAL = Var::new("VITRINE_JOBS_SCHEDULER_INTERVAL", "15s", "How often the scheduler enqueues due periodic jobs (each period once across all instances).");
    JOBS_RETENTION = Var::new("VITRINE_JOBS_RETENTION", "7d", "How long finished jobs (SUCCEEDED, DEAD, CANCELLED) are kept for `adminJobs`.");
    STRIPE_SECRET_KEY = Var::unset("VITRINE_STRIPE_SECRET_KEY", "(unset: payments off)", "Stripe secret key (`sk_…`, or a restricted `rk_…`; Bearer). Unset: payments are off, and `startSubscription` and `payOrder` refuse.");
    STRIPE_WEBHOOK_SECRET = Var::unset("VITRINE_STRIPE_WEBHOOK_SECRET", "(unset)", "Comma-separated webhook signing secrets (`whsec_…`); an event whose `Stripe-Signature` matches any of them is accepted, so a secret can be rotated. Unset: the webhook endpoint answers 400 to every event. Required in production with VITRINE_STRIPE_SECRET_KEY.");
    STRIPE_BASE_URL = Var::new("VITRINE_STRIPE_BASE_URL", "https://api.stripe.com", "Stripe API base URL (`…/v1/…`).");
    STRIPE_API_VERSION = Var::new("VITRINE_STRIPE_API_VERSION", "2024-06-20", "`Stripe-Version` of every request, and so the shape of the objects and events read (subscriptions with `current_period_start`/`_end`, invoices with `subscription`).");
    STRIPE_PRICE_PRO = Var::new("VITRINE_STRIPE_PRICE_PRO", "price_pro", "Stripe Price id of the PRO plan.");
    STRIPE_PRICE_ENTERPRISE = Var::new("VITRINE_STRIPE_PRICE_ENTERPRISE", "price_enterprise", "Stripe Price id of the ENTERPRISE plan.");
    BILLING_GRACE = Var::new("VITRINE_BILLING_GRACE", "3d", "How long a subscription whose renewal payment failed keeps its plan before it falls to FREE (at most 60d).");
    ORDER_PAYMENT_TIMEOUT = Var::new("VITRINE_ORDER_PAYMENT_TIMEOUT", "30m", "Orders still unpaid this long after they were placed are cancelled (1m to 7d).");
    BILLING_CURRENCY = Var::new("VITRINE_BILLING_CURRENCY", "krw", "Currency of payments, three lower-case letters (ISO 4217, as Stripe writes it).");
    BILLING_RETURN_URL = Var::unset("VITRINE_BILLING_RETURN_URL", "(unset: VITRINE_PUBLIC_URL)", "Where Stripe Checkout and the billing portal send people back.");
    PARTNER_WEBHOOK_RETRY_DELAYS = Var::new("VITRINE_PARTNER_WEBHOOK_RETRY_DELAYS", "1m,5m,30m,2h,6h", "Partner webhooks: waits after the 1st, 2nd, … failed delivery attempt (the last repeats); attempts stop 24 h after the first, and a subscription failing for 24 h is disabled.");
    PARTNER_STOCK_LOW_THRESHOLD = Var::new("VITRINE_PARTNER_STOCK_LOW_THRESHOLD", "5", "Partner webhooks: a sale that leaves this many or fewer in stock sends `stock.low` (the default of new subscriptions, which may set their own).");
    SHOPPING_TIMEOUT = Var::new("VITRINE_SHOPPING_TIMEOUT", "3s", "Visual shopping (COMM-8): timeout of one request to a shopping provider; a provider slower than this is left out (TIMEOUT) and the others' results are returned (at most 30s).");
    NAVER_BASE_URL = Var::new("VITRINE_NAVER_BASE_URL", "https://openapi.naver.com", "Naver Search API base URL (`GET …/v1/search/shop.json`).");
    NAVER_CLIENT_ID = Var::unset("VITRINE_NAVER_CLIENT_ID", "(unset: Naver off)", "Naver application client id (`X-Naver-Client-Id`); set with VITRINE_NAVER_CLIENT_SECRET.");
    NAVER_CLIENT_SECRET = Var::unset("VITRINE_NAVER_CLIENT_SECRET", "(unset)", "Naver application client secret (`X-Naver-Client-Secret`).");
    NAVER_QUOTA = Var::new("VITRINE_NAVER_QUOTA", "25000/1d", "Calls to Naver per window (`calls/window`, windows counted from 00:00 UTC in the shared kv); over it, Naver is skipped (QUOTA_EXHAUSTED) and the other providers fill its share. The Search API allows 25,000 calls a day.");
    GOOGLE_CSE_BASE_URL = Var::new("VITRINE_GOOGLE_CSE_BASE_URL", "https://www.googleapis.com", "Google Custom Search JSON API base URL (`GET …/customsearch/v1`).");
    GOOGLE_CSE_KEY = Var::unset("VITRINE_GOOGLE_CSE_KEY", "(unset: Google off)", "Google API key (`key`); set with VITRINE_GOOGLE_CSE_CX.");
    GOOGLE_CSE_CX = Var::unset("VITRINE_GOOGLE_CSE_CX", "(unset)", "Programmable Search Engine id (`cx`), best restricted to shopping sites.");
    GOOGLE_CSE_QUOTA = Var::new("VITRINE_GOOGLE_CSE_QUOTA", "100/1d", "Calls to Google per window, as VITRINE_NAVER_QUOTA; the API's free tier is 100 queries a day.");
    COUPANG_BASE_URL = Var::new("VITRINE_COUPANG_BASE_URL", "https://api-gateway.coupang.com", "Coupang Partners Open API base URL (`GET …/v2/providers/affiliate_open_api/apis/openapi/products/search`).");
    COUPANG_ACCESS_KEY = Var::unset("VITRINE_COUPANG_ACCESS_KEY", "(unset: Coupang off)", "Coupang Partners access key (in the HMAC `Authorization` header); set with VITRINE_COUPANG_SECRET_KEY.");
    COUPANG_SECRET_KEY = Var::unset("VITRINE_COUPANG_SECRET_KEY", "(unset)", "Coupang Partners secret key (signs each request with HMAC-SHA256).");
    COUPANG_QUOTA = Var::new("VITRINE_COUPANG_QUOTA", "10/1h", "Calls to Coupang per window, as VITRINE_NAVER_QUOTA; Coupang Partners allows 10 product searches an hour.");
    WEB_DIR = Var::new("VITRINE_WEB_DIR", "web/dist", "The built web client (`make web-build`) served at `/`: hashed `assets/` cached for a year, everything else revalidated, HTML with a content-security policy; unknown paths get its `index.html` (client-side routes).");
    VAPID_PRIVATE_KEY = Var::unset("VITRINE_VAPID_PRIVATE_KEY", "(generated into $VITRINE_DATA_DIR/vapid-private-key)", "The Web Push VAPID key (RFC 8292): a P-256 private scalar, 32 bytes base64url. Set it when several instances send pushes; browsers' subscriptions are bound to its public key.");
    VAPID_SUBJECT = Var::new("VITRINE_VAPID_SUBJECT", "mailto:no-reply@vitrine.local", "The VAPID `sub` claim: a mailto: or https: contact the push services may use.");
    WEB_PUSH_TIMEOUT = Var::new("VITRINE_WEB_PUSH_TIMEOUT", "10s", "Timeout of one request to a push service; a timeout is retried by the WEB_PUSH job.");
}

/// The configuration table in Markdown, as `vitrine config` prints it and
/// the README carries it.
pub fn markdown_table() -> String {
    let mut table = String::from("| variable | default | meaning |\n|---|---|---|\n");
    for var in VARIABLES {
        table.push_str(&format!(
            "| `{}` | {} | {} |\n",
            var.name, var.shown, var.meaning
        ));
    }
    table
}

/// Reads variables of the table through a lookup (the process environment,
/// or a map in tests). Values are trimmed; an empty value counts as unset.
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { lookup }
    }

    fn read(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value set for `var` (or its alias), without the default.
    pub fn raw(&self, var: &Var) -> Option<String> {
        self.read(var.name)
            .or_else(|| var.alias.and_then(|a| self.read(a)))
    }

    /// The value set, else the default (empty when there is none).
    pub fn text(&self, var: &Var) -> String {
        self.raw(var)
            .unwrap_or_else(|| var.default.unwrap_or_default().to_owned())
    }

    /// `90s`, `15m`, `1h`, `30d`, `500ms`.
    pub fn duration(&self, var: &'static Var) -> Result<Duration, ConfigError> {
        let raw = self.text(var);
        parse_duration(&raw).ok_or_else(|| {
            invalid(
                var.name,
                format!("expected a duration such as 90s, 15m, 1h or 30d, got `{raw}`"),
            )
        })
    }

    /// A whole number within `range`.
    pub fn number(
        &self,
        var: &'static Var,
        range: RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        let raw = self.text(var);
        raw.parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                invalid(
                    var.name,
                    format!(
                        "expected a whole number from {} to {}, got `{raw}`",
                        range.start(),
                        range.end()
                    ),
                )
            })
    }

    /// `true`/`1` or `false`/`0`.
    pub fn flag(&self, var: &'static Var) -> Result<bool, ConfigError> {
        match self.text(var).as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(invalid(var.name, "expected true or false")),
        }
    }

    /// An `http(s)://` URL, when set.
    pub fn http_url(&self, var: &'static Var) -> Result<Option<String>, ConfigError> {
        match self.raw(var) {
            None => Ok(None),
            Some(u) if is_http_url(&u) => Ok(Some(u)),
            Some(_) => Err(invalid(var.name, "expected an http(s) URL")),
        }
    }
}

pub fn is_http_url(raw: &str) -> bool {
    url::Url::parse(raw).is_ok_and(|p| matches!(p.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_well_formed() {
        let mut names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a variable is listed twice");
        for var in VARIABLES {
            // A `|` would split the Markdown cell.
            assert!(
                !var.shown.contains('|') && !var.meaning.contains('|'),
                "{}",
                var.name
            );
            assert!(
                !var.shown.is_empty() && !var.meaning.is_empty(),
                "{}",
                var.name
            );
        }
        assert_eq!(markdown_table().lines().count(), VARIABLES.len() + 2);
    }

    #[test]
    fn unset_variables_take_the_default_and_aliases_are_read() {
        let lookup = |name: &str| (name == "RUST_LOG").then(|| " debug ".to_owned());
        let env = Env::new(&lookup);
        assert_eq!(env.text(&LOG), "debug");
        assert_eq!(env.text(&BIND), "127.0.0.1:8080");
        assert_eq!(env.raw(&REDIS_URL), None);
        assert_eq!(env.number(&ML_DIM, 16..=512).unwrap(), 64);
        assert!(env.flag(&ML_TRAIN_ON_START).unwrap());
        let err = Env::new(&|_: &str| Some("x".into()))
            .number(&ML_DIM, 16..=512)
            .unwrap_err();
        assert_eq!(err.var, "VITRINE_ML_DIM");
    }
}
