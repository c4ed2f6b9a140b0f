//! The schema's error-code extension: gives every error a stable
//! `extensions.code`, including the ones async-graphql raises before a
//! resolver runs (parse and validation errors, argument values it could not
//! coerce), and counts errors by code (`graphql_errors_total`).
//!
//! Registered first, so it sees the errors of every other extension
//! (`protection::Protection` sets its own codes, which are kept).
use std::sync::Arc;

use async_graphql::{
    ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::ExecutableDocument,
};

use crate::{
    error::{ErrorCode, RefusalCode, with_code},
    state::AppState,
};

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextRequest<'_>,
    ) -> async_graphql::Response {
        let mut response = next.run(ctx).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            // Left without a code: argument values async-graphql could not coerce.
            .map(|e| with_code(e, ErrorCode::Validation.as_str()))
            .collect();
        if let Some(app) = ctx.data_opt::<AppState>() {
            for err in &response.errors {
                let code = err
                    .extensions
                    .as_ref()
                    .and_then(|e| e.get("code"))
                    .map(|v| v.to_string().trim_matches('"').to_owned())
                    .unwrap_or_default();
                app.metrics.count_error(&code);
            }
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, RefusalCode::GraphqlParseFailed.as_str()))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errs| {
            errs.into_iter()
                .map(|e| with_code(e, RefusalCode::GraphqlValidationFailed.as_str()))
                .collect()
        })
    }
}
