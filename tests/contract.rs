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
