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

/// The codes of `error-codes.md`'s main table (its first column).
fn documented_in(doc: &str) -> Vec<String> {
    doc.lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(code, _)| code.to_owned()))
        .collect()
}

#[test]
fn every_error_code_is_documented() {
    let doc = repo_file("frontend-contract/error-codes.md");
    let documented = documented_in(&doc);
    let codes = vitrine::error::documented_codes();
    for code in &codes {
        assert!(
            documented.iter().any(|d| d == code),
            "{code} missing from frontend-contract/error-codes.md"
        );
    }
    for code in &documented {
        assert!(
            codes.contains(&code.as_str()),
            "{code} is documented in frontend-contract/error-codes.md but is no code of \
             vitrine::error::{{ErrorCode, RefusalCode}}"
        );
    }
}

#[test]
fn readme_configuration_table_is_what_vitrine_config_prints() {
    let readme = repo_file("README.md");
    let table = vitrine::config::vars::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's configuration table differs from `vitrine config`: paste its output \
         into the README's Configuration section"
    );
    let head: String = readme.lines().take(20).collect::<Vec<_>>().join("\n");
    let run = head
        .find("make run")
        .expect("README starts with `make run`");
    let test = head
        .find("make test")
        .expect("README starts with `make test`");
    assert!(run < test);
}

/// Every environment variable named in the sources (`"VITRINE_…"`, and the
/// unprefixed ones the server reads) is a row of the configuration table, or
/// an alias named in one. Not configuration: `VITRINE_LIBTORCH_LIB`, set at
/// build time by `build.rs`.
#[test]
fn every_variable_in_the_sources_is_documented() {
    const NOT_CONFIGURATION: &[&str] = &["VITRINE_LIBTORCH_LIB"];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "crates"] {
        collect_rust_files(&root.join(dir), &mut files);
    }
    assert!(!files.is_empty());
    let documented: Vec<&str> = vitrine::config::VARIABLES
        .iter()
        .flat_map(|v| std::iter::once(v.name).chain(v.alias))
        .collect();
    let mut missing = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for name in quoted_variables(&text) {
            if !documented.contains(&name) && !NOT_CONFIGURATION.contains(&name) {
                missing.push(format!("{name} ({})", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "read but not in the configuration table (src/config/vars.rs): {missing:?}"
    );
}

fn collect_rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect_rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `"VITRINE_X"`, `"DATABASE_URL"`, `"REDIS_URL"` and `"RUST_LOG"` string
/// literals (a prefix such as `"VITRINE_"` is not a variable).
fn quoted_variables(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for (i, _) in text.match_indices('"') {
        let rest = &text[i + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !rest[end..].starts_with('"') || name.ends_with('_') {
            continue;
        }
        if name.starts_with("VITRINE_") || ["DATABASE_URL", "REDIS_URL", "RUST_LOG"].contains(&name)
        {
            names.push(name);
        }
    }
    names
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

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Generated by codegen from the contract itself.
            if path.file_name().is_some_and(|n| n == "gql") {
                continue;
            }
            collect_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "ts" || e == "tsx" || e == "js" || e == "mjs")
        {
            out.push(path);
        }
    }
}

/// The `<Name>Document` identifiers a source file uses (the typed
/// documents codegen makes of each operation file).
fn documents_used(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find("Document") {
        let end = from + at;
        from = end + "Document".len();
        let after_ok = bytes
            .get(from)
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
        let mut start = end;
        while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            start -= 1;
        }
        let name = &text[start..end];
        if after_ok && name.starts_with(|c: char| c.is_ascii_uppercase()) {
            names.push(name.to_owned());
        }
    }
    names
}

/// The web client (web/) runs only operations of the frontend contract:
/// no GraphQL text of its own, every typed document it imports is an
/// operation file of `frontend-contract/operations/web/` in the manifest,
/// and every web operation of the contract is used by it. (The browser
/// tests also run the app against a server in persisted-only mode.)
#[test]
fn the_web_client_runs_only_contract_operations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let codegen = repo_file("web/codegen.ts");
    assert!(
        codegen.contains("../frontend-contract/operations/web/*.graphql"),
        "web/codegen.ts must generate documents from the contract's web operations only"
    );
    let manifest = vitrine::protection::contract::embedded();
    let contract: std::collections::BTreeSet<String> = manifest
        .operations
        .values()
        .filter(|e| e.client == "web")
        .map(|e| e.name.clone())
        .collect();
    let mut files = Vec::new();
    collect_files(&root.join("web/src"), &mut files);
    collect_files(&root.join("web/public"), &mut files);
    let mut used = std::collections::BTreeSet::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(root).unwrap().display();
        for inline in [
            "gql`",
            "gql(",
            "graphql-tag",
            "graphql(`",
            "graphql(\"",
            "query: `",
        ] {
            assert!(
                !text.contains(inline),
                "{shown}: `{inline}`: GraphQL written in the app; add an operation file to frontend-contract/operations/web/ instead"
            );
        }
        // Documents run outside Apollo by name (graphql-ws subscriptions).
        for literal in text.split("contractDocument('").skip(1) {
            let name = literal.split('\'').next().unwrap_or_default().to_owned();
            assert!(
                contract.contains(&name),
                "{shown} runs {name}, which is not a web operation of the frontend contract"
            );
            used.insert(name);
        }
        for name in documents_used(&text) {
            assert!(
                contract.contains(&name),
                "{shown} runs {name}, which is not a web operation of the frontend contract"
            );
            used.insert(name);
        }
    }
    let unused: Vec<&String> = contract.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "web operations of the contract that the web client never runs: {unused:?}"
    );
    assert!(
        used.len() >= 20,
        "only {} operations found: is the scan broken?",
        used.len()
    );
    // The scan itself is real.
    assert_eq!(
        documents_used("useQuery(ProductListDocument, {}); const x: TypedDocumentNode = y;"),
        ["ProductList"]
    );
}
