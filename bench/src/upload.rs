//! GraphQL multipart uploads, as clients send files (shared by the
//! benchmarks that create designs: `media-bench`, `shopping-bench`).

/// The form of a GraphQL multipart request whose one file, `part`, is the
/// `sourceImage` of the `i` input variable.
pub fn form(
    operations: &serde_json::Value,
    part: reqwest::multipart::Part,
) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text(
            "map",
            serde_json::json!({ "0": ["variables.i.sourceImage"] }).to_string(),
        )
        .part("0", part)
}
