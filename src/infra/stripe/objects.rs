//! The objects the client reads and the requests it makes, as API version
//! 2024-06-20 documents them.
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::StripeError;

/// A customer (`cus_…`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
}

/// A Checkout session (`cs_…`); `url` is where to send the buyer.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// A subscription (`sub_…`), as API version 2024-06-20 renders it.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub id: String,
    /// `incomplete`, `trialing`, `active`, `past_due`, `canceled`, `unpaid`, …
    pub status: String,
    pub cancel_at_period_end: bool,
    pub current_period_start: i64,
    pub current_period_end: i64,
    /// The customer's id (or `None` when expanded or absent).
    pub customer: Option<String>,
    pub metadata: HashMap<String, String>,
    /// The whole object (items, prices, …).
    pub raw: Value,
}

impl Subscription {
    /// Reads a subscription object (a response, or an event's
    /// `data.object`). The period is read from the subscription, or, for
    /// API versions from 2025-03-31 on, from its first item.
    pub fn from_value(raw: Value) -> Result<Self, StripeError> {
        let text = |v: &Value, field: &str| {
            v[field]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| StripeError::Decode(format!("subscription without `{field}`")))
        };
        let period = |field: &str| {
            raw[field]
                .as_i64()
                .or_else(|| raw["items"]["data"][0][field].as_i64())
                .ok_or_else(|| StripeError::Decode(format!("subscription without `{field}`")))
        };
        Ok(Self {
            id: text(&raw, "id")?,
            status: text(&raw, "status")?,
            cancel_at_period_end: raw["cancel_at_period_end"].as_bool().unwrap_or(false),
            current_period_start: period("current_period_start")?,
            current_period_end: period("current_period_end")?,
            customer: raw["customer"].as_str().map(str::to_owned),
            metadata: string_map(&raw["metadata"]),
            raw,
        })
    }
}

/// A PaymentIntent (`pi_…`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PaymentIntent {
    pub id: String,
    /// Handed to the browser, which confirms the payment with Stripe.js.
    pub client_secret: String,
    pub amount: i64,
    pub currency: String,
    /// `requires_payment_method`, `processing`, `succeeded`, `canceled`, …
    pub status: String,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// A refund (`re_…`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    /// `pending`, `succeeded`, `failed`, … (nullable in the API).
    pub status: Option<String>,
}

/// What [`StripeClient::create_checkout_session`](super::StripeClient::create_checkout_session) asks for: a subscription
/// to one price.
#[derive(Clone, Debug)]
pub struct CheckoutRequest<'a> {
    pub customer: &'a str,
    pub price: &'a str,
    pub user_id: i64,
    /// Our plan's name (`PRO`), echoed in the metadata.
    pub plan: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// What [`StripeClient::create_payment_intent`](super::StripeClient::create_payment_intent) asks for.
#[derive(Clone, Debug)]
pub struct PaymentIntentRequest<'a> {
    /// In the currency's smallest unit (KRW has no minor unit).
    pub amount: i64,
    pub currency: &'a str,
    pub order_id: i64,
    pub buyer_id: i64,
    /// Omitted when empty.
    pub description: &'a str,
}

fn string_map(value: &Value) -> HashMap<String, String> {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
