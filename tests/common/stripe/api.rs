//! The fake's side of the wire: Stripe's request rules (bearer key,
//! idempotency keys, form parameters, unknown parameters refused, error
//! shape) and one function per endpoint over the [`Ledger`].
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use super::{API_KEY, API_VERSION, Ledger, Recorded, Saved, Shared, now, stripe_id};

/// A Stripe error response: `{"error": {"type", "message", "code"?, "param"?}}`.
struct ApiError {
    status: u16,
    body: Value,
    /// Stripe saves an idempotent result once an endpoint starts executing,
    /// not for requests refused by authentication or parameter validation.
    saved: bool,
}

/// An `invalid_request_error`; `.code`, `.param`, `.kind` and `.executed` refine it.
fn err(status: u16, message: impl Into<String>) -> ApiError {
    let body = json!({ "error": { "type": "invalid_request_error", "message": message.into() } });
    ApiError {
        status,
        body,
        saved: false,
    }
}

impl ApiError {
    fn code(mut self, code: &str) -> Self {
        let doc = format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        );
        self.body["error"]["code"] = json!(code);
        self.body["error"]["doc_url"] = json!(doc);
        self
    }

    fn param(mut self, param: &str) -> Self {
        self.body["error"]["param"] = json!(param);
        self
    }

    fn kind(mut self, kind: &str) -> Self {
        self.body["error"]["type"] = json!(kind);
        self
    }

    fn executed(mut self) -> Self {
        self.saved = true;
        self
    }
}

fn invalid(code: &str, param: &str, message: impl Into<String>) -> ApiError {
    err(400, message).code(code).param(param)
}

/// `No such customer: 'cus_x'`: 404 for the path's id, 400 for a parameter.
fn no_such(kind: &str, id: &str, param: &str) -> ApiError {
    let status = if param == "id" { 404 } else { 400 };
    err(status, format!("No such {kind}: '{id}'"))
        .code("resource_missing")
        .param(param)
}

type Outcome = Result<Value, ApiError>;

/// A request's parameters (form body or query string), in order.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).filter(|v| !v.is_empty()).ok_or_else(|| {
            invalid(
                "parameter_missing",
                key,
                format!("Missing required param: {key}."),
            )
        })
    }

    fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    invalid(
                        "parameter_invalid_integer",
                        key,
                        format!("Invalid integer: {v}"),
                    )
                })
            })
            .transpose()
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(invalid(
                    "parameter_invalid_boolean",
                    key,
                    format!("Invalid boolean: {v}"),
                )),
            })
            .transpose()
    }

    /// `prefix[k]=v` pairs as a JSON object (`metadata`, `subscription_data[metadata]`).
    fn map(&self, prefix: &str) -> Value {
        let open = format!("{prefix}[");
        let entries = self.0.iter().filter_map(|(k, v)| {
            let key = k.strip_prefix(&open)?.strip_suffix(']')?;
            (!key.contains('[')).then(|| (key.to_owned(), json!(v)))
        });
        Value::Object(entries.collect::<Map<_, _>>())
    }

    /// Refuses parameters whose top-level name is not in `allowed`
    /// (space-separated), as Stripe refuses unknown parameters.
    fn only(&self, allowed: &str) -> Result<(), ApiError> {
        match self
            .0
            .iter()
            .map(|(k, _)| k.split('[').next().unwrap_or(k))
            .find(|name| !allowed.split(' ').any(|a| a == *name))
        {
            Some(name) => Err(invalid(
                "parameter_unknown",
                name,
                format!("Received unknown parameter: {name} (the fake accepts: {allowed})"),
            )),
            None => Ok(()),
        }
    }
}

fn customer_ref(ledger: &Ledger, p: &Params) -> Result<Value, ApiError> {
    match p.get("customer") {
        None => Ok(Value::Null),
        Some(id) if ledger.get(id, "customer").is_some() => Ok(json!(id)),
        Some(id) => Err(no_such("customer", id, "customer")),
    }
}

fn create_customer(ledger: &mut Ledger, p: &Params) -> Outcome {
    p.only("email name metadata description phone preferred_locales expand")?;
    Ok(ledger.insert(json!({
        "id": stripe_id("cus", 14), "object": "customer", "created": now(), "livemode": false,
        "email": p.get("email"), "name": p.get("name"), "description": p.get("description"),
        "phone": p.get("phone"), "metadata": p.map("metadata"), "balance": 0, "currency": null,
        "default_source": null, "delinquent": false,
        "invoice_settings": { "default_payment_method": null, "custom_fields": null, "footer": null },
    })))
}

fn create_checkout_session(ledger: &mut Ledger, p: &Params) -> Outcome {
    p.only(
        "mode customer customer_email client_reference_id line_items success_url \
         cancel_url metadata subscription_data payment_intent_data locale expand \
         allow_promotion_codes payment_method_types customer_creation expires_at \
         billing_address_collection currency submit_type customer_update",
    )?;
    let mode = p.required("mode")?;
    if !["payment", "subscription", "setup"].contains(&mode) {
        return Err(invalid(
            "parameter_invalid_string",
            "mode",
            format!("Invalid mode: {mode}"),
        ));
    }
    let customer = customer_ref(ledger, p)?;
    let mut items = Vec::new();
    for i in 0.. {
        let Some(price) = p.get(&format!("line_items[{i}][price]")) else {
            break;
        };
        let quantity = p.int(&format!("line_items[{i}][quantity]"))?.unwrap_or(1);
        items.push((price.to_owned(), quantity));
    }
    if mode != "setup" && items.is_empty() {
        return Err(invalid(
            "parameter_missing",
            "line_items",
            format!("`line_items` is required in `{mode}` mode."),
        ));
    }
    let (id, t) = (format!("cs_test_{}", &stripe_id("x", 58)[2..]), now());
    ledger
        .checkout
        .insert(id.clone(), (items, p.map("subscription_data[metadata]")));
    Ok(ledger.insert(json!({
        "id": id, "object": "checkout.session", "mode": mode, "status": "open",
        "payment_status": "unpaid", "url": format!("https://checkout.stripe.test/c/pay/{id}"),
        "customer": customer, "customer_email": p.get("customer_email"),
        "client_reference_id": p.get("client_reference_id"), "success_url": p.get("success_url"),
        "cancel_url": p.get("cancel_url"), "metadata": p.map("metadata"), "currency": p.get("currency"),
        "subscription": null, "payment_intent": null, "invoice": null, "amount_total": null,
        "created": t, "expires_at": t + 86_400, "livemode": false,
    })))
}

fn create_portal_session(ledger: &mut Ledger, p: &Params) -> Outcome {
    p.only("customer return_url configuration locale flow_data on_behalf_of expand")?;
    let customer = p.required("customer")?;
    if ledger.get(customer, "customer").is_none() {
        return Err(no_such("customer", customer, "customer"));
    }
    let id = stripe_id("bps", 24);
    Ok(ledger.insert(json!({
        "id": id, "object": "billing_portal.session", "customer": customer, "created": now(),
        "livemode": false, "return_url": p.get("return_url"), "locale": p.get("locale"),
        "configuration": stripe_id("bpc", 24), "flow": null, "on_behalf_of": null,
        "url": format!("https://billing.stripe.test/p/session/{id}"),
    })))
}

fn update_subscription(ledger: &mut Ledger, id: &str, p: &Params) -> Outcome {
    p.only("cancel_at_period_end metadata cancellation_details expand")?;
    let sub = ledger
        .get(id, "subscription")
        .ok_or_else(|| no_such("subscription", id, "id"))?;
    if sub["status"] == "canceled" {
        let message =
            "A canceled subscription can only update its cancellation_details and metadata.";
        return Err(err(400, message).executed());
    }
    let cancel = p.bool("cancel_at_period_end")?;
    let (metadata, comment) = (
        p.map("metadata"),
        p.get("cancellation_details[comment]").map(str::to_owned),
    );
    Ok(ledger.update(id, |sub| {
        if let Some(cancel) = cancel {
            sub["cancel_at_period_end"] = json!(cancel);
            sub["cancel_at"] = if cancel {
                sub["current_period_end"].clone()
            } else {
                Value::Null
            };
            sub["canceled_at"] = if cancel { json!(now()) } else { Value::Null };
        }
        if let (Value::Object(into), Value::Object(from)) = (&mut sub["metadata"], metadata) {
            into.extend(from);
        }
        if let Some(comment) = comment {
            sub["cancellation_details"]["comment"] = json!(comment);
        }
    }))
}

fn create_payment_intent(ledger: &mut Ledger, p: &Params) -> Outcome {
    p.only(
        "amount currency customer description metadata automatic_payment_methods \
         payment_method_types receipt_email statement_descriptor \
         statement_descriptor_suffix capture_method expand",
    )?;
    let amount = p.int("amount")?.ok_or_else(|| {
        invalid(
            "parameter_missing",
            "amount",
            "Missing required param: amount.",
        )
    })?;
    if amount < 1 {
        return Err(invalid(
            "parameter_invalid_integer",
            "amount",
            "This value must be greater than or equal to 1.",
        ));
    }
    let currency = p.required("currency")?.to_ascii_lowercase();
    let customer = customer_ref(ledger, p)?;
    let apm = match p.bool("automatic_payment_methods[enabled]")? {
        Some(enabled) => json!({ "enabled": enabled, "allow_redirects": "always" }),
        None => Value::Null,
    };
    let id = stripe_id("pi", 24);
    Ok(ledger.insert(json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "amount_received": 0, "currency": currency, "customer": customer,
        "description": p.get("description"), "metadata": p.map("metadata"),
        "automatic_payment_methods": apm, "status": "requires_payment_method",
        "client_secret": format!("{id}_secret_{}", &stripe_id("x", 25)[2..]),
        "capture_method": p.get("capture_method").unwrap_or("automatic"),
        "confirmation_method": "automatic", "payment_method": null, "payment_method_types": ["card"],
        "latest_charge": null, "last_payment_error": null, "canceled_at": null,
        "cancellation_reason": null, "receipt_email": p.get("receipt_email"),
        "created": now(), "livemode": false,
    })))
}

fn create_refund(ledger: &mut Ledger, p: &Params) -> Outcome {
    p.only("payment_intent charge amount metadata reason expand")?;
    let intent = match (p.get("payment_intent"), p.get("charge")) {
        (Some(pi), _) => ledger
            .get(pi, "payment_intent")
            .cloned()
            .ok_or_else(|| no_such("payment_intent", pi, "payment_intent"))?,
        (None, Some(ch)) => ledger
            .objects
            .values()
            .map(|(_, v)| v)
            .find(|v| v["object"] == "payment_intent" && v["latest_charge"] == ch)
            .cloned()
            .ok_or_else(|| no_such("charge", ch, "charge"))?,
        (None, None) => {
            return Err(invalid(
                "parameter_missing",
                "payment_intent",
                "One of `charge` or `payment_intent` is required.",
            ));
        }
    };
    let reason = p.get("reason");
    if reason.is_some_and(|r| !["duplicate", "fraudulent", "requested_by_customer"].contains(&r)) {
        return Err(invalid(
            "parameter_invalid_string",
            "reason",
            format!("Invalid reason: {}", reason.unwrap_or_default()),
        ));
    }
    let amount = p.int("amount")?;
    if amount.is_some_and(|a| a < 1) {
        return Err(invalid(
            "parameter_invalid_integer",
            "amount",
            "Invalid positive integer",
        ));
    }
    let pi = intent["id"].as_str().unwrap_or_default().to_owned();
    let charge = intent["latest_charge"].clone();
    if intent["status"] != "succeeded" {
        let message =
            format!("This PaymentIntent ({pi}) does not have a successful charge to refund.");
        return Err(err(400, message).param("payment_intent").executed());
    }
    let remaining = intent["amount_received"].as_i64().unwrap_or(0)
        - ledger.refunded.get(&pi).copied().unwrap_or(0);
    let ch = charge.as_str().unwrap_or_default();
    if remaining == 0 {
        let message = format!("Charge {ch} has already been refunded.");
        return Err(err(400, message).code("charge_already_refunded").executed());
    }
    let amount = amount.unwrap_or(remaining);
    if amount > remaining {
        let message = format!(
            "Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
        );
        return Err(err(400, message).param("amount").executed());
    }
    *ledger.refunded.entry(pi.clone()).or_default() += amount;
    Ok(ledger.insert(json!({
        "id": stripe_id("re", 24), "object": "refund", "amount": amount, "currency": intent["currency"],
        "charge": charge, "payment_intent": pi, "reason": reason, "status": "succeeded",
        "metadata": p.map("metadata"), "balance_transaction": stripe_id("txn", 24),
        "receipt_number": null, "created": now(),
    })))
}

/// A list endpoint: newest first, `limit` (1–100, default 10),
/// `starting_after` / `ending_before` cursors, `created[gt|gte|lt|lte]` and
/// equality `filters` on top-level string fields.
fn list(ledger: &Ledger, kind: &str, url: &str, filters: &[&str], p: &Params) -> Outcome {
    p.only(&format!(
        "limit starting_after ending_before created expand {}",
        filters.join(" ")
    ))?;
    let limit = p.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(invalid(
            "parameter_invalid_integer",
            "limit",
            format!("Invalid limit: {limit}; must be between 1 and 100."),
        ));
    }
    let mut bounds = Vec::new();
    for (key, test) in [
        ("created", i64::eq as fn(&i64, &i64) -> bool),
        ("created[gt]", i64::gt),
        ("created[gte]", i64::ge),
        ("created[lt]", i64::lt),
        ("created[lte]", i64::le),
    ] {
        if let Some(bound) = p.int(key)? {
            bounds.push((test, bound));
        }
    }
    let statuses = ["draft", "open", "paid", "uncollectible", "void"];
    if kind == "invoice"
        && let Some(s) = p.get("status").filter(|s| !statuses.contains(s))
    {
        let message = format!("Invalid status: {s}");
        return Err(invalid("parameter_invalid_string", "status", message));
    }
    let mut items: Vec<&(u64, Value)> = ledger
        .objects
        .values()
        .filter(|(_, v)| v["object"] == kind)
        .filter(|(_, v)| {
            bounds
                .iter()
                .all(|(test, b)| test(&v["created"].as_i64().unwrap_or(0), b))
        })
        .filter(|(_, v)| {
            filters
                .iter()
                .all(|f| p.get(f).is_none_or(|want| v[*f] == want))
        })
        .collect();
    items.sort_by_key(|(seq, v)| std::cmp::Reverse((v["created"].as_i64().unwrap_or(0), *seq)));
    let position = |cursor: &str, param: &str| {
        items
            .iter()
            .position(|(_, v)| v["id"] == cursor)
            .ok_or_else(|| no_such(kind, cursor, param))
    };
    let limit = limit as usize;
    let (page, has_more) = if let Some(after) = p.get("starting_after") {
        let rest = &items[position(after, "starting_after")? + 1..];
        (&rest[..limit.min(rest.len())], rest.len() > limit)
    } else if let Some(before) = p.get("ending_before") {
        let head = &items[..position(before, "ending_before")?];
        (
            &head[head.len().saturating_sub(limit)..],
            head.len() > limit,
        )
    } else {
        (&items[..limit.min(items.len())], items.len() > limit)
    };
    let data: Vec<Value> = page.iter().map(|(_, v)| v.clone()).collect();
    Ok(json!({ "object": "list", "url": url, "has_more": has_more, "data": data }))
}

fn retrieve(ledger: &Ledger, kind: &str, id: &str) -> Outcome {
    ledger
        .get(id, kind)
        .cloned()
        .ok_or_else(|| no_such(kind, id, "id"))
}

fn route(ledger: &mut Ledger, method: &Method, path: &str, p: &Params) -> Outcome {
    let segments: Vec<&str> = path.strip_prefix("/v1/").unwrap_or("").split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["customers"]) => create_customer(ledger, p),
        ("GET", ["customers", id]) => retrieve(ledger, "customer", id),
        ("POST", ["checkout", "sessions"]) => create_checkout_session(ledger, p),
        ("GET", ["checkout", "sessions", id]) => retrieve(ledger, "checkout.session", id),
        ("POST", ["billing_portal", "sessions"]) => create_portal_session(ledger, p),
        ("GET", ["subscriptions", id]) => retrieve(ledger, "subscription", id),
        ("POST", ["subscriptions", id]) => update_subscription(ledger, id, p),
        ("POST", ["payment_intents"]) => create_payment_intent(ledger, p),
        ("GET", ["payment_intents"]) => list(
            ledger,
            "payment_intent",
            "/v1/payment_intents",
            &["customer"],
            p,
        ),
        ("GET", ["payment_intents", id]) => retrieve(ledger, "payment_intent", id),
        ("POST", ["refunds"]) => create_refund(ledger, p),
        ("GET", ["refunds", id]) => retrieve(ledger, "refund", id),
        ("GET", ["invoices"]) => list(
            ledger,
            "invoice",
            "/v1/invoices",
            &["customer", "status", "subscription"],
            p,
        ),
        ("GET", ["invoices", id]) => retrieve(ledger, "invoice", id),
        _ => Err(err(
            404,
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we \
             can help at https://support.stripe.com/."
            ),
        )),
    }
}

fn answer(
    ledger: &mut Ledger,
    method: &Method,
    path: &str,
    query: &str,
    form: &[(String, String)],
    headers: &HeaderMap,
    key: Option<&str>,
) -> (u16, String, bool) {
    let text = |e: ApiError| (e.status, e.body.to_string(), false);
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(auth) if auth == format!("Bearer {API_KEY}") => {}
        None => {
            return text(err(
                401,
                "You did not provide an API key. You need to provide your API \
                key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
                YOUR_SECRET_KEY').",
            ));
        }
        Some(auth) => {
            let given = auth.strip_prefix("Bearer ").unwrap_or(auth);
            let shown: String = given.chars().take(8).collect();
            return text(err(401, format!("Invalid API Key provided: {shown}****")));
        }
    }
    let sorted = |f: &[(String, String)]| {
        let mut f = f.to_vec();
        f.sort();
        f
    };
    if method == Method::POST && key.is_none() {
        return text(err(400, "fake: Idempotency-Key required"));
    }
    let fault = |(m, p, _): &(String, String, u16)| m == method.as_str() && p == path;
    if let Some(i) = ledger.faults.iter().position(fault) {
        let (_, _, status) = ledger.faults.remove(i);
        return text(err(status, "fake: injected failure").kind("api_error"));
    }
    if let Some(key) = key.filter(|_| method == Method::POST) {
        if let Some(saved) = ledger.idempotency.get(key) {
            if saved.method == method.as_str()
                && saved.path == path
                && sorted(&saved.form) == sorted(form)
            {
                return (saved.status, saved.body.clone(), true);
            }
            let message = format!(
                "Keys for idempotent requests can only be used with the same parameters they were \
                 first used with. Try using a key other than '{key}' if you meant to execute a \
                 different request."
            );
            return text(err(400, message).kind("idempotency_error"));
        }
        let typed = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !form.is_empty() && !typed.starts_with("application/x-www-form-urlencoded") {
            let message = format!("fake: POST bodies must be form-urlencoded, not {typed:?}");
            return text(err(400, message));
        }
    }
    let query_pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let params = Params(if method == Method::POST {
        form
    } else {
        &query_pairs[..]
    });
    let (status, body, save) = match route(ledger, method, path, &params) {
        Ok(v) => (200, v.to_string(), true),
        Err(e) => (e.status, e.body.to_string(), e.saved),
    };
    if let (Some(key), true, true) = (key, save, method == Method::POST) {
        ledger.idempotency.insert(
            key.to_owned(),
            Saved {
                method: method.to_string(),
                path: path.to_owned(),
                form: form.to_vec(),
                status,
                body: body.clone(),
            },
        );
    }
    (status, body, false)
}

pub(super) async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let key = text("idempotency-key");
    let mut ledger = shared.lock().unwrap_or_else(|e| e.into_inner());
    let (status, body, replayed) = answer(
        &mut ledger,
        &method,
        &path,
        &query,
        &form,
        &headers,
        key.as_deref(),
    );
    ledger.requests.push(Recorded {
        method: method.to_string(),
        path,
        query,
        form,
        idempotency_key: key,
        stripe_version: text("stripe-version"),
        status,
        replayed,
    });
    drop(ledger);
    let mut response = (StatusCode::from_u16(status).expect("status"), body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        "application/json".parse().expect("header"),
    );
    h.insert("request-id", stripe_id("req", 14).parse().expect("header"));
    h.insert("stripe-version", API_VERSION.parse().expect("header"));
    if replayed {
        h.insert("idempotent-replayed", "true".parse().expect("header"));
    }
    response
}
