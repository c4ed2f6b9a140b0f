//! What clients rely on stays in step with the code: the exported SDL, the
//! documented error codes and the README's configuration table.
use std::fs;

fn repo_file(path: &str) -> String {
    fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn committed_sdl_matches_the_built_schema() {
    let built = vitrine::resolvers::sdl();
    let committed = repo_file("schema/schema.graphql");
    assert!(
        built == committed,
        "schema/schema.graphql is stale: run `make schema` and commit the result"
    );
}

#[test]
fn every_error_code_is_documented() {
    let doc = repo_file("frontend-contract/error-codes.md");
    for code in vitrine::error::ERROR_CODES {
        assert!(
            doc.contains(&format!("`{code}`")),
            "{code} missing from frontend-contract/error-codes.md"
        );
    }
}

#[test]
fn readme_documents_every_variable_and_starts_with_the_two_commands() {
    let readme = repo_file("README.md");
    for (name, _, _) in vitrine::config::VARIABLES {
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} missing from README.md"
        );
    }
    let head: String = readme.lines().take(20).collect::<Vec<_>>().join("\n");
    let run = head
        .find("make run")
        .expect("README starts with `make run`");
    let test = head
        .find("make test")
        .expect("README starts with `make test`");
    assert!(run < test);
}

/// `manifest.json` is exactly what `vitrine contract build` makes of the
/// operation files (run it after changing one).
#[test]
fn persisted_operation_manifest_has_not_drifted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("frontend-contract");
    let built = vitrine::protection::contract::build(&root).expect("operations");
    assert_eq!(
        built.to_json(),
        repo_file("frontend-contract/manifest.json"),
        "frontend-contract/manifest.json is stale: run `vitrine contract build`"
    );
    assert_eq!(&built, vitrine::protection::contract::embedded());
    for client in ["web", "mobile", "partner"] {
        assert!(
            built.operations.values().any(|e| e.client == client),
            "no {client} operations"
        );
    }
}

/// Stops every request after validation: nothing executes.
struct ValidateOnly;

impl async_graphql::extensions::ExtensionFactory for ValidateOnly {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(ValidateOnly)
    }
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for ValidateOnly {
    async fn execute(
        &self,
        _ctx: &async_graphql::extensions::ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: async_graphql::extensions::NextExecute<'_>,
    ) -> async_graphql::Response {
        async_graphql::Response::new(async_graphql::Value::Null)
    }
}

/// Every shipped operation validates against the current schema.
#[tokio::test]
async fn every_persisted_operation_validates_against_the_schema() {
    let schema = vitrine::resolvers::schema_builder()
        .extension(ValidateOnly)
        .finish();
    let manifest = vitrine::protection::contract::embedded();
    for (id, entry) in &manifest.operations {
        let response = schema.execute(entry.document.as_str()).await;
        // Variables are not checked before execution, so none are needed.
        assert!(
            response.errors.is_empty(),
            "{}/{} ({id}) does not validate: {:?}",
            entry.client,
            entry.name,
            response.errors
        );
    }
    // The check itself is real: a field the schema lacks fails it.
    let broken = schema
        .execute("query Broken { products { edges { node { nope } } } }")
        .await;
    assert!(!broken.errors.is_empty());
}
