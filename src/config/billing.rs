//! Payments and subscriptions through Stripe: the API key and version, the
//! webhook signing secrets, the two paid plans' prices, the grace period of
//! a failed renewal and the payment window of an order.
use std::time::Duration;

use super::{ConfigError, Environment, Secret, invalid, vars};

/// How to reach Stripe; present only when `VITRINE_STRIPE_SECRET_KEY` is set.
#[derive(Clone, Debug, PartialEq)]
pub struct StripeSettings {
    /// Without a trailing `/`; the client appends `/v1/…`.
    pub base_url: String,
    pub secret_key: Secret,
    /// Sent as `Stripe-Version` with every request.
    pub api_version: String,
    /// The Price of the PRO plan (`price_…`).
    pub price_pro: String,
    /// The Price of the ENTERPRISE plan.
    pub price_enterprise: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BillingConfig {
    /// `None`: payments are off (`startSubscription`, `payOrder` refuse).
    pub stripe: Option<StripeSettings>,
    /// Webhook signing secrets (`whsec_…`); an event signed by any of them
    /// is accepted, so a secret can be rotated without downtime. Empty: the
    /// webhook endpoint refuses every event.
    pub webhook_secrets: Vec<Secret>,
    /// How long a subscription whose renewal payment failed keeps its plan
    /// before it falls to FREE.
    pub grace: Duration,
    /// Unpaid orders are cancelled (and their stock released) after this.
    pub order_payment_timeout: Duration,
    /// ISO 4217 code in lower case, as Stripe writes it (`krw`).
    pub currency: String,
    /// Where Checkout and the billing portal send people back; `None` when
    /// neither this nor `VITRINE_PUBLIC_URL` is set.
    pub return_url: Option<String>,
}

impl BillingConfig {
    /// Whether payments are configured.
    pub fn enabled(&self) -> bool {
        self.stripe.is_some()
    }

    /// The paid plan a provider Price stands for.
    pub fn plan_of_price(&self, price: &str) -> Option<crate::entities::billing_account::Plan> {
        use crate::entities::billing_account::Plan;
        let s = self.stripe.as_ref()?;
        if price == s.price_pro {
            Some(Plan::Pro)
        } else if price == s.price_enterprise {
            Some(Plan::Enterprise)
        } else {
            None
        }
    }
}

/// Reads the `VITRINE_STRIPE_*` and `VITRINE_BILLING_*` variables;
/// `public_url` (already validated, no trailing `/`, empty when unset) is
/// the return URL's fallback.
pub(super) fn parse(
    env: &vars::Env<'_>,
    environment: Environment,
    public_url: &str,
) -> Result<BillingConfig, ConfigError> {
    let base_url = env
        .http_url(&vars::STRIPE_BASE_URL)?
        .unwrap_or_else(|| env.text(&vars::STRIPE_BASE_URL))
        .trim_end_matches('/')
        .to_owned();
    let api_version = env.text(&vars::STRIPE_API_VERSION);
    if !is_api_version(&api_version) {
        return Err(invalid(
            vars::STRIPE_API_VERSION.name,
            format!("expected a Stripe API version such as 2024-06-20, got `{api_version}`"),
        ));
    }
    let price = |var: &'static vars::Var| {
        let id = env.text(var);
        if id.is_empty() || id.contains(|c: char| c.is_whitespace() || c == ',') {
            Err(invalid(
                var.name,
                "expected a Stripe Price id such as price_…",
            ))
        } else {
            Ok(id)
        }
    };
    let (price_pro, price_enterprise) = (
        price(&vars::STRIPE_PRICE_PRO)?,
        price(&vars::STRIPE_PRICE_ENTERPRISE)?,
    );
    let stripe = match env.raw(&vars::STRIPE_SECRET_KEY) {
        None => None,
        Some(key)
            if (key.starts_with("sk_") || key.starts_with("rk_"))
                && !key.contains(char::is_whitespace) =>
        {
            Some(StripeSettings {
                base_url,
                secret_key: Secret::new(key),
                api_version,
                price_pro,
                price_enterprise,
            })
        }
        Some(_) => {
            return Err(invalid(
                vars::STRIPE_SECRET_KEY.name,
                "expected a Stripe secret key (sk_…) or restricted key (rk_…)",
            ));
        }
    };

    let mut webhook_secrets = Vec::new();
    for secret in env
        .raw(&vars::STRIPE_WEBHOOK_SECRET)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !secret.starts_with("whsec_") || secret.len() <= "whsec_".len() {
            return Err(invalid(
                vars::STRIPE_WEBHOOK_SECRET.name,
                "expected comma-separated webhook signing secrets (whsec_…)",
            ));
        }
        webhook_secrets.push(Secret::new(secret));
    }
    if environment == Environment::Production && stripe.is_some() && webhook_secrets.is_empty() {
        return Err(invalid(
            vars::STRIPE_WEBHOOK_SECRET.name,
            "required in production when VITRINE_STRIPE_SECRET_KEY is set",
        ));
    }

    let grace = env.duration(&vars::BILLING_GRACE)?;
    if grace > Duration::from_secs(60 * 86_400) {
        return Err(invalid(vars::BILLING_GRACE.name, "must be at most 60d"));
    }
    let order_payment_timeout = env.duration(&vars::ORDER_PAYMENT_TIMEOUT)?;
    if !(Duration::from_secs(60)..=Duration::from_secs(7 * 86_400)).contains(&order_payment_timeout)
    {
        return Err(invalid(
            vars::ORDER_PAYMENT_TIMEOUT.name,
            "must be between 1m and 7d",
        ));
    }
    let currency = env.text(&vars::BILLING_CURRENCY);
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(invalid(
            vars::BILLING_CURRENCY.name,
            format!(
                "expected a three-letter lower-case currency code such as krw, got `{currency}`"
            ),
        ));
    }
    let return_url = match env.http_url(&vars::BILLING_RETURN_URL)? {
        Some(url) => Some(url),
        None => (!public_url.is_empty()).then(|| public_url.to_owned()),
    };

    Ok(BillingConfig {
        stripe,
        webhook_secrets,
        grace,
        order_payment_timeout,
        currency,
        return_url,
    })
}

/// `YYYY-MM-DD`, optionally followed by a release name (`2025-03-31.basil`).
fn is_api_version(raw: &str) -> bool {
    let (date, name) = raw.split_once('.').unwrap_or((raw, "a"));
    let b = date.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
        && !name.is_empty()
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(
        environment: Environment,
        pairs: &[(&str, &str)],
        public_url: &str,
    ) -> Result<BillingConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| map.get(k).cloned();
        parse(&vars::Env::new(&lookup), environment, public_url)
    }

    #[test]
    fn defaults_leave_payments_off() {
        let c = load(Environment::Development, &[], "").unwrap();
        assert!(c.stripe.is_none() && !c.enabled());
        assert!(c.webhook_secrets.is_empty());
        assert_eq!(c.grace, Duration::from_secs(3 * 86_400));
        assert_eq!(c.order_payment_timeout, Duration::from_secs(30 * 60));
        assert_eq!(c.currency, "krw");
        assert_eq!(c.return_url, None);
        let c = load(Environment::Production, &[], "https://shop.example").unwrap();
        assert_eq!(c.return_url.as_deref(), Some("https://shop.example"));
    }

    #[test]
    fn a_secret_key_turns_stripe_on() {
        let c = load(
            Environment::Production,
            &[
                ("VITRINE_STRIPE_SECRET_KEY", "sk_test_vitrine"),
                ("VITRINE_STRIPE_WEBHOOK_SECRET", " whsec_new , whsec_old ,"),
                ("VITRINE_STRIPE_BASE_URL", "http://127.0.0.1:9000/"),
                ("VITRINE_STRIPE_PRICE_PRO", "price_1Pro"),
                ("VITRINE_BILLING_GRACE", "12h"),
                ("VITRINE_ORDER_PAYMENT_TIMEOUT", "15m"),
                ("VITRINE_BILLING_CURRENCY", "usd"),
                ("VITRINE_BILLING_RETURN_URL", "https://app.example/billing"),
            ],
            "https://api.example",
        )
        .unwrap();
        let stripe = c.stripe.clone().unwrap();
        assert_eq!(stripe.base_url, "http://127.0.0.1:9000");
        assert_eq!(stripe.secret_key.expose(), "sk_test_vitrine");
        assert_eq!(stripe.api_version, "2024-06-20");
        assert_eq!(stripe.price_pro, "price_1Pro");
        assert_eq!(stripe.price_enterprise, "price_enterprise");
        let secrets: Vec<&str> = c.webhook_secrets.iter().map(Secret::expose).collect();
        assert_eq!(secrets, ["whsec_new", "whsec_old"]);
        assert_eq!(c.grace, Duration::from_secs(12 * 3600));
        assert_eq!(c.order_payment_timeout, Duration::from_secs(900));
        assert_eq!(c.currency, "usd");
        assert_eq!(c.return_url.as_deref(), Some("https://app.example/billing"));
        assert!(!format!("{c:?}").contains("sk_test_vitrine"));
        assert!(!format!("{c:?}").contains("whsec_new"));
        let c = load(
            Environment::Development,
            &[
                ("VITRINE_STRIPE_SECRET_KEY", "sk_test_vitrine"),
                ("VITRINE_STRIPE_API_VERSION", "2025-03-31.basil"),
            ],
            "",
        )
        .unwrap();
        assert_eq!(c.stripe.unwrap().api_version, "2025-03-31.basil");
        assert!(c.webhook_secrets.is_empty());
    }

    #[test]
    fn errors_name_the_variable() {
        let key = ("VITRINE_STRIPE_SECRET_KEY", "sk_test_vitrine");
        for (environment, pairs, var) in [
            (
                Environment::Production,
                vec![key],
                "VITRINE_STRIPE_WEBHOOK_SECRET",
            ),
            (
                Environment::Development,
                vec![("VITRINE_STRIPE_SECRET_KEY", "pk_test_x")],
                "VITRINE_STRIPE_SECRET_KEY",
            ),
            (
                Environment::Development,
                vec![("VITRINE_STRIPE_WEBHOOK_SECRET", "whsec_a,secret")],
                "VITRINE_STRIPE_WEBHOOK_SECRET",
            ),
            (
                Environment::Development,
                vec![("VITRINE_STRIPE_BASE_URL", "ftp://stripe")],
                "VITRINE_STRIPE_BASE_URL",
            ),
            (
                Environment::Development,
                vec![("VITRINE_STRIPE_API_VERSION", "latest")],
                "VITRINE_STRIPE_API_VERSION",
            ),
            (
                Environment::Development,
                vec![("VITRINE_STRIPE_PRICE_PRO", "price a")],
                "VITRINE_STRIPE_PRICE_PRO",
            ),
            (
                Environment::Development,
                vec![("VITRINE_BILLING_GRACE", "soon")],
                "VITRINE_BILLING_GRACE",
            ),
            (
                Environment::Development,
                vec![("VITRINE_ORDER_PAYMENT_TIMEOUT", "10s")],
                "VITRINE_ORDER_PAYMENT_TIMEOUT",
            ),
            (
                Environment::Development,
                vec![("VITRINE_BILLING_CURRENCY", "KRW")],
                "VITRINE_BILLING_CURRENCY",
            ),
            (
                Environment::Development,
                vec![("VITRINE_BILLING_CURRENCY", "euro")],
                "VITRINE_BILLING_CURRENCY",
            ),
            (
                Environment::Development,
                vec![("VITRINE_BILLING_RETURN_URL", "/billing")],
                "VITRINE_BILLING_RETURN_URL",
            ),
        ] {
            let err = load(environment, &pairs, "").unwrap_err();
            assert_eq!(err.var, var, "{pairs:?}");
        }
    }

    #[test]
    fn api_versions() {
        assert!(is_api_version("2024-06-20"));
        assert!(is_api_version("2025-03-31.basil"));
        assert!(!is_api_version("2024-6-20"));
        assert!(!is_api_version("2024-06-20."));
        assert!(!is_api_version("latest"));
    }
}
