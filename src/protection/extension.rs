//! The schema's protection extension: query limits (API-3) and rate limits
//! (API-4) around parsing, on every operation, HTTP and WebSocket alike.
//! Sign-in attempts are charged from the raw text, then the text is checked
//! (tokens, nesting), parsed, checked as a document (depth, complexity,
//! aliases, root fields, directives, introspection in production), and its
//! complexity charged to the caller's window: the partner behind an API key,
//! else the signed-in user, else the client's IP.
//!
//! Each charge's [`Decision`] is noted in the request's [`RateLimitNotes`],
//! which the HTTP layer turns into `RateLimit` headers.
use std::sync::{Arc, Mutex};

use async_graphql::{
    ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::ExecutableDocument,
};

use super::{
    limits,
    rate_limit::{self, Decision, Policy},
};
use crate::{
    auth::{ClientInfo, Credentials, guard::RequestAuth},
    error::{RefusalCode, with_code},
    state::AppState,
};

/// Registered on the schema (after `ErrorCodes`, so that the codes set
/// here are the ones clients see).
pub struct Protection;

impl ExtensionFactory for Protection {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ProtectionExtension)
    }
}

struct ProtectionExtension;

/// The partner behind a request's API key, for its rate tier.
#[derive(Clone, Debug)]
pub struct PartnerCaller {
    pub id: i64,
    pub policy: Policy,
}

/// Rate-limit decisions of one HTTP request (all operations of a batch).
#[derive(Clone, Default)]
pub struct RateLimitNotes(Arc<Mutex<Vec<Decision>>>);

impl RateLimitNotes {
    fn push(&self, decision: &Decision) {
        crate::sync::lock(&self.0).push(decision.clone());
    }

    /// The decisions so far, in the order they were made.
    pub fn decisions(&self) -> Vec<Decision> {
        crate::sync::lock(&self.0).clone()
    }
}

fn note(ctx: &ExtensionContext<'_>, decision: &Decision) {
    if let Some(notes) = ctx.data_opt::<RateLimitNotes>() {
        notes.push(decision);
    }
}

fn rate_limited(decision: &Decision) -> ServerError {
    let mut err = RefusalCode::RateLimited.error(format!(
        "rate limit `{}` exceeded: retry in {} s",
        decision.policy.name, decision.reset_secs
    ));
    let ext = err.extensions.get_or_insert_with(Default::default);
    ext.set("retryAfter", decision.reset_secs);
    ext.set("policy", decision.policy.name);
    err
}

/// Charges `cost` to the caller's window; an error when it is spent.
async fn charge(
    ctx: &ExtensionContext<'_>,
    key: &str,
    policy: Policy,
    cost: u64,
    app: &AppState,
) -> ServerResult<()> {
    let decision = app.rate_limiter.charge(key, policy, cost).await;
    note(ctx, &decision);
    if decision.allowed {
        Ok(())
    } else {
        Err(rate_limited(&decision))
    }
}

#[async_trait::async_trait]
impl Extension for ProtectionExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let app = ctx.data_opt::<AppState>();
        let limits = app.map(|app| app.config.limits).unwrap_or_default();
        let ip = ctx
            .data_opt::<ClientInfo>()
            .and_then(|c| c.ip.clone())
            .unwrap_or_else(|| "unknown".into());
        let attempts = rate_limit::auth_attempts(query);
        if let Some(app) = app
            && attempts > 0
        {
            charge(ctx, &ip, app.rate_limiter.auth, attempts, app).await?;
        }
        limits::check_text(query, &limits)?;
        let doc = next.run(ctx, query, variables).await.map_err(|e| {
            // The parser's own nesting guard, and async-graphql's recursion
            // check (which is also what stops a fragment cycle).
            if e.message.contains("recursion limit") || e.message.contains("recursion depth") {
                with_code(e, RefusalCode::QueryTooDeep.as_str())
            } else {
                e
            }
        })?;
        let measured = limits::check_document(&doc, variables, &limits)?;
        if let Some(app) = app {
            let user = ctx
                .data_opt::<RequestAuth>()
                .and_then(|a| match a.credentials() {
                    Credentials::Token(claims) => claims.user_id(),
                    _ => None,
                });
            let cost = measured.complexity.max(1);
            let limiter = &app.rate_limiter;
            match (ctx.data_opt::<PartnerCaller>(), user) {
                (Some(p), _) => charge(ctx, &p.id.to_string(), p.policy, cost, app).await?,
                (None, Some(id)) => charge(ctx, &id.to_string(), limiter.user, cost, app).await?,
                (None, None) => charge(ctx, &ip, limiter.ip, cost, app).await?,
            }
        }
        Ok(doc)
    }
}
