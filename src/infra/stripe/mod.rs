//! A small client of Stripe's REST API (payments and subscriptions), as
//! documented at <https://docs.stripe.com/api>:
//!
//! - requests carry `Authorization: Bearer <secret key>` and
//!   `Stripe-Version: <VITRINE_STRIPE_API_VERSION>`; `POST` bodies are
//!   `application/x-www-form-urlencoded` with nested parameters in bracket
//!   notation (`metadata[order_id]=7`, `line_items[0][price]=…`), and each
//!   `POST` carries an `Idempotency-Key` chosen by the caller, so that a
//!   retry (here, or a job's later attempt) cannot act twice;
//! - errors are `{"error": {"type", "code"?, "message", "param"?}}` with a
//!   4xx or 5xx status ([`StripeError::Api`]); 429, 5xx and transport
//!   failures are retried twice (200 ms, then 800 ms) with the same key;
//! - lists are `{"object": "list", "data", "has_more"}`, newest first,
//!   paged with `limit` (at most 100) and `starting_after=<last id>`.
//!
//! Webhook signatures are checked by [`signature`].
mod objects;
pub mod signature;
#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use objects::{
    CheckoutRequest, CheckoutSession, Customer, PaymentIntent, PaymentIntentRequest, Refund,
    Subscription,
};
pub use signature::{DEFAULT_TOLERANCE_SECS, SignatureError, sign, verify_signature};

use crate::config::{Secret, StripeSettings};

/// Pages [`StripeClient::list_all`] follows before it gives up.
pub const MAX_PAGES: usize = 100;

/// A failed Stripe call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StripeError {
    /// Stripe answered with an error object.
    Api {
        status: u16,
        /// `type`: `invalid_request_error`, `api_error`, `card_error`,
        /// `idempotency_error`, …
        kind: String,
        /// `code`, e.g. `resource_missing`, `parameter_unknown`.
        code: Option<String>,
        message: String,
        /// The parameter at fault, when there is one.
        param: Option<String>,
    },
    /// No answer (connection, timeout).
    Transport(String),
    /// An answer that is not what the API documents.
    Decode(String),
}

impl StripeError {
    /// Whether the same request may succeed later: rate limiting (429),
    /// Stripe's own failures (5xx) and transport failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 429 || *status >= 500,
            Self::Transport(_) => true,
            Self::Decode(_) => false,
        }
    }

    /// The error's `code`, when Stripe gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

impl std::fmt::Display for StripeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api {
                status,
                kind,
                code,
                message,
                param,
            } => {
                write!(f, "Stripe {status} {kind}")?;
                if let Some(code) = code {
                    write!(f, " ({code})")?;
                }
                write!(f, ": {message}")?;
                if let Some(param) = param {
                    write!(f, " [param {param}]")?;
                }
                Ok(())
            }
            Self::Transport(e) => write!(f, "Stripe unreachable: {e}"),
            Self::Decode(e) => write!(f, "unexpected Stripe response: {e}"),
        }
    }
}

impl std::error::Error for StripeError {}

/// Form parameters in order: `(name, value)`, names in bracket notation.
pub type Params = Vec<(String, String)>;

fn params<const N: usize>(pairs: [(&str, String); N]) -> Params {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `application/x-www-form-urlencoded` of `params` (brackets escaped, as
/// every form encoder does; Stripe decodes them).
pub fn encode_form(params: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// An id as one path segment.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn decode<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, StripeError> {
    serde_json::from_value(value).map_err(|e| StripeError::Decode(format!("{what}: {e}")))
}

/// Stripe's REST API with one secret key.
#[derive(Clone, Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    base_url: String,
    key: Secret,
    api_version: String,
    /// Waits before the second and third attempt.
    backoff: [Duration; 2],
}

impl StripeClient {
    pub fn new(settings: &StripeSettings) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("vitrine/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with timeouts");
        Self {
            http,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            key: settings.secret_key.clone(),
            api_version: settings.api_version.clone(),
            backoff: [Duration::from_millis(200), Duration::from_millis(800)],
        }
    }

    #[cfg(test)]
    fn with_backoff(mut self, backoff: [Duration; 2]) -> Self {
        self.backoff = backoff;
        self
    }

    /// The `Stripe-Version` sent.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    async fn send_once(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let encoded = encode_form(params);
        let mut url = format!("{}{path}", self.base_url);
        let mut request = if method == reqwest::Method::GET {
            if !encoded.is_empty() {
                url.push(if path.contains('?') { '&' } else { '?' });
                url.push_str(&encoded);
            }
            self.http.get(url)
        } else {
            self.http
                .request(method, url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(encoded)
        };
        request = request
            .bearer_auth(self.key.expose())
            .header("Stripe-Version", &self.api_version);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body)
                .map_err(|e| StripeError::Decode(format!("{path}: {e}")));
        }
        let error = serde_json::from_slice::<Value>(&body)
            .ok()
            .map(|v| v["error"].clone())
            .filter(Value::is_object);
        let text = |e: &Value, field: &str| e[field].as_str().map(str::to_owned);
        Err(match error {
            Some(e) => StripeError::Api {
                status,
                kind: text(&e, "type").unwrap_or_else(|| "api_error".into()),
                code: text(&e, "code"),
                message: text(&e, "message").unwrap_or_default(),
                param: text(&e, "param"),
            },
            None => StripeError::Api {
                status,
                kind: "api_error".into(),
                code: None,
                message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                param: None,
            },
        })
    }

    /// One request, retried while [`StripeError::is_retryable`] (at most
    /// twice more), always with the same idempotency key.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        params: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let mut attempt = 0;
        loop {
            match self
                .send_once(method.clone(), path, params, idempotency_key)
                .await
            {
                Err(e) if e.is_retryable() && attempt < self.backoff.len() => {
                    tracing::warn!(path, attempt, error = %e, "Stripe request failed; retrying");
                    tokio::time::sleep(self.backoff[attempt]).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// `POST {base}{path}` (`/v1/…`) with a form body.
    pub async fn post_form(
        &self,
        path: &str,
        params: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        self.send(reqwest::Method::POST, path, params, Some(idempotency_key))
            .await
    }

    /// `GET {base}{path}` with `params` as the query string.
    pub async fn get(&self, path: &str, params: &[(String, String)]) -> Result<Value, StripeError> {
        self.send(reqwest::Method::GET, path, params, None).await
    }

    /// Every object of a list endpoint matching `filters`, newest first:
    /// pages of 100 following `starting_after` while `has_more`, at most
    /// [`MAX_PAGES`] pages.
    pub async fn list_all(
        &self,
        path: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, StripeError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = filters.to_vec();
            query.push(("limit".into(), "100".into()));
            if let Some(after) = &after {
                query.push(("starting_after".into(), after.clone()));
            }
            let mut page = self.get(path, &query).await?;
            let Value::Array(data) = page["data"].take() else {
                return Err(StripeError::Decode(format!(
                    "{path}: a list without `data`"
                )));
            };
            let has_more = page["has_more"].as_bool().unwrap_or(false);
            let last = data
                .last()
                .and_then(|v| v["id"].as_str())
                .map(str::to_owned);
            all.extend(data);
            match (has_more, last) {
                (false, _) => return Ok(all),
                (true, Some(last)) => after = Some(last),
                (true, None) => {
                    return Err(StripeError::Decode(format!(
                        "{path}: `has_more` on a page without ids"
                    )));
                }
            }
        }
        Err(StripeError::Decode(format!(
            "{path}: more than {MAX_PAGES} pages of 100; narrow the filters"
        )))
    }

    /// `POST /v1/customers`: a customer for our user.
    pub async fn create_customer(
        &self,
        email: &str,
        user_id: i64,
        idempotency_key: &str,
    ) -> Result<Customer, StripeError> {
        let form = params([
            ("email", email.to_owned()),
            ("metadata[user_id]", user_id.to_string()),
        ]);
        let value = self
            .post_form("/v1/customers", &form, idempotency_key)
            .await?;
        decode(value, "customer")
    }

    /// `POST /v1/checkout/sessions` in `subscription` mode.
    pub async fn create_checkout_session(
        &self,
        request: &CheckoutRequest<'_>,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeError> {
        let value = self
            .post_form(
                "/v1/checkout/sessions",
                &checkout_params(request),
                idempotency_key,
            )
            .await?;
        decode(value, "checkout session")
    }

    /// `POST /v1/billing_portal/sessions`: the portal's URL.
    pub async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<String, StripeError> {
        let form = params([
            ("customer", customer.to_owned()),
            ("return_url", return_url.to_owned()),
        ]);
        let value = self
            .post_form("/v1/billing_portal/sessions", &form, idempotency_key)
            .await?;
        value["url"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| StripeError::Decode("billing portal session without `url`".into()))
    }

    /// `POST /v1/subscriptions/{id}` with `cancel_at_period_end`.
    pub async fn set_cancel_at_period_end(
        &self,
        subscription_id: &str,
        cancel: bool,
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        let form = params([("cancel_at_period_end", cancel.to_string())]);
        let path = format!("/v1/subscriptions/{}", segment(subscription_id));
        let value = self.post_form(&path, &form, idempotency_key).await?;
        Subscription::from_value(value)
    }

    /// `GET /v1/subscriptions/{id}`.
    pub async fn get_subscription(
        &self,
        subscription_id: &str,
    ) -> Result<Subscription, StripeError> {
        let path = format!("/v1/subscriptions/{}", segment(subscription_id));
        Subscription::from_value(self.get(&path, &[]).await?)
    }

    /// `POST /v1/payment_intents` with automatic payment methods.
    pub async fn create_payment_intent(
        &self,
        request: &PaymentIntentRequest<'_>,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let value = self
            .post_form(
                "/v1/payment_intents",
                &payment_intent_params(request),
                idempotency_key,
            )
            .await?;
        decode(value, "payment intent")
    }

    /// `GET /v1/payment_intents/{id}`.
    pub async fn get_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        let path = format!("/v1/payment_intents/{}", segment(id));
        decode(self.get(&path, &[]).await?, "payment intent")
    }

    /// `POST /v1/refunds` of a PaymentIntent: all that remains when
    /// `amount` is `None`.
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        amount: Option<i64>,
        order_id: i64,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        let mut form = params([
            ("payment_intent", payment_intent.to_owned()),
            ("reason", "requested_by_customer".to_owned()),
            ("metadata[order_id]", order_id.to_string()),
        ]);
        if let Some(amount) = amount {
            form.push(("amount".into(), amount.to_string()));
        }
        let value = self
            .post_form("/v1/refunds", &form, idempotency_key)
            .await?;
        decode(value, "refund")
    }

    /// Every paid invoice created at or after `created_gte` (unix seconds).
    pub async fn list_paid_invoices(&self, created_gte: i64) -> Result<Vec<Value>, StripeError> {
        let filters = params([
            ("status", "paid".to_owned()),
            ("created[gte]", created_gte.to_string()),
        ]);
        self.list_all("/v1/invoices", &filters).await
    }

    /// Every PaymentIntent created at or after `created_gte`, whatever its
    /// status (the list endpoint has no status filter).
    pub async fn list_payment_intents(&self, created_gte: i64) -> Result<Vec<Value>, StripeError> {
        let filters = params([("created[gte]", created_gte.to_string())]);
        self.list_all("/v1/payment_intents", &filters).await
    }
}

/// The form of a subscription Checkout session. The user and plan travel
/// in the session's metadata and, through `subscription_data`, in the
/// subscription's, so that every later event names them.
pub fn checkout_params(r: &CheckoutRequest<'_>) -> Params {
    let user_id = r.user_id.to_string();
    params([
        ("mode", "subscription".to_owned()),
        ("customer", r.customer.to_owned()),
        ("line_items[0][price]", r.price.to_owned()),
        ("line_items[0][quantity]", "1".to_owned()),
        ("client_reference_id", user_id.clone()),
        ("success_url", r.success_url.to_owned()),
        ("cancel_url", r.cancel_url.to_owned()),
        ("metadata[user_id]", user_id.clone()),
        ("metadata[plan]", r.plan.to_owned()),
        ("subscription_data[metadata][user_id]", user_id),
        ("subscription_data[metadata][plan]", r.plan.to_owned()),
    ])
}

/// The form of an order's PaymentIntent.
pub fn payment_intent_params(r: &PaymentIntentRequest<'_>) -> Params {
    let mut form = params([
        ("amount", r.amount.to_string()),
        ("currency", r.currency.to_owned()),
        ("automatic_payment_methods[enabled]", "true".to_owned()),
        ("metadata[order_id]", r.order_id.to_string()),
        ("metadata[buyer_id]", r.buyer_id.to_string()),
    ]);
    if !r.description.is_empty() {
        form.push(("description".into(), r.description.to_owned()));
    }
    form
}
