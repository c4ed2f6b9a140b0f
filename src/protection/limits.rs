//! Query limits (API-3), checked on every operation, HTTP and WebSocket
//! alike, before anything executes: a token scan of the raw text (token
//! count, and brace nesting before the parser ever recurses), then a walk of
//! the parsed document (depth, aliases, root fields, directives per field,
//! introspection in production, and complexity, where a field with a `first`
//! argument costs `first` × its selection).
use std::collections::HashSet;

use async_graphql::{
    Name, Positioned, ServerError, Value, Variables,
    parser::types::{ExecutableDocument, Field, Selection, SelectionSet},
};

use crate::error::RefusalCode;

pub use crate::config::QueryLimits;

/// A connection field without `first` returns this many items.
const DEFAULT_FIRST: u64 = crate::conventions::DEFAULT_PAGE_SIZE;
/// The most any `first` can fetch.
const MAX_FIRST: u64 = crate::conventions::MAX_PAGE_SIZE;

/// Levels an introspection selection may nest below `__schema`/`__type`:
/// graphql-js' `getIntrospectionQuery()` needs 15 (nine `ofType`s under
/// `types { fields { args { type`), with room for its deeper variants.
const INTROSPECTION_MAX_DEPTH: usize = 24;
/// List fields one introspection path may pass (`types { fields { args`).
const INTROSPECTION_MAX_LISTS: usize = 3;
/// Introspection fields that return lists.
const INTROSPECTION_LISTS: [&str; 8] = [
    "types",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
];

fn refuse(code: RefusalCode, message: String) -> ServerError {
    code.error(message)
}

/// Counts tokens and the deepest `{` nesting of the raw text, stopping as
/// soon as either is over its limit (so a megabyte of braces costs nothing).
pub fn check_text(query: &str, limits: &QueryLimits) -> Result<(), ServerError> {
    let bytes = query.as_bytes();
    let (mut i, mut tokens, mut depth) = (0usize, 0usize, 0usize);
    // Nesting allowed in the text: selection sets plus object values.
    let max_nesting = limits.max_depth + 8;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(refuse(
                        RefusalCode::QueryTooDeep,
                        format!("the query nests deeper than {} levels", limits.max_depth),
                    ));
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'.' | b'-' | b'+'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(refuse(
                RefusalCode::TooManyTokens,
                format!("the document has more than {} tokens", limits.max_tokens),
            ));
        }
    }
    Ok(())
}

/// What the walk measured for one operation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Measured {
    pub depth: usize,
    pub complexity: u64,
    pub aliases: usize,
    pub root_fields: usize,
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: &'a QueryLimits,
    aliases: usize,
    /// Fragments on the current path: a cycle is measured once, not forever
    /// (validation then rejects it with its own error).
    path: HashSet<&'a str>,
    /// `first` of a field that pages the connections directly inside it
    /// (`search(first:)` and its sections), seen by its direct children.
    paged_by: Option<u64>,
}

/// Whether `field` is a connection (selects `edges` or `nodes`).
fn is_connection(field: &Field) -> bool {
    field.selection_set.node.items.iter().any(|s| {
        matches!(&s.node, Selection::Field(f) if f.node.name.node == "edges" || f.node.name.node == "nodes")
    })
}

impl<'a> Walk<'a> {
    /// Returns (depth, complexity) of a selection set.
    fn selection_set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        level: usize,
    ) -> Result<(usize, u64), ServerError> {
        let mut depth = 0;
        let mut cost: u64 = 0;
        for item in &set.node.items {
            let (d, c) = match &item.node {
                Selection::Field(field) => self.field(&field.node, level)?,
                Selection::InlineFragment(f) => self.selection_set(&f.node.selection_set, level)?,
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.doc.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) if self.path.insert(name) => {
                            let measured = self.selection_set(&fragment.node.selection_set, level);
                            self.path.remove(name);
                            measured?
                        }
                        _ => (0, 0),
                    }
                }
            };
            depth = depth.max(d);
            cost = cost.saturating_add(c);
        }
        Ok((depth, cost))
    }

    fn field(&mut self, field: &'a Field, level: usize) -> Result<(usize, u64), ServerError> {
        if field.alias.is_some() {
            self.aliases += 1;
            if self.aliases > self.limits.max_aliases {
                return Err(refuse(
                    RefusalCode::TooManyAliases,
                    format!(
                        "the document uses more than {} aliases",
                        self.limits.max_aliases
                    ),
                ));
            }
        }
        if field.directives.len() > self.limits.max_directives {
            return Err(refuse(
                RefusalCode::TooManyDirectives,
                format!(
                    "`{}` carries more than {} directives",
                    field.name.node, self.limits.max_directives
                ),
            ));
        }
        let name = field.name.node.as_str();
        if !self.limits.introspection && (name == "__schema" || name == "__type") {
            return Err(refuse(
                RefusalCode::IntrospectionDisabled,
                "introspection is disabled in production".into(),
            ));
        }
        if name == "__schema" || name == "__type" {
            // Introspection has a bounded shape of its own: it is measured
            // by its own limits, not the query depth (graphql-js'
            // introspection query nests 15 levels).
            let cost = self.introspection(&field.selection_set, 1, 0)?;
            return Ok((level + 1, cost.saturating_add(1)));
        }
        let depth = level + 1;
        if depth > self.limits.max_depth {
            return Err(refuse(
                RefusalCode::QueryTooDeep,
                format!(
                    "the query nests deeper than {} levels",
                    self.limits.max_depth
                ),
            ));
        }
        let inherited = self.paged_by.take();
        if field.selection_set.node.items.is_empty() {
            self.paged_by = inherited;
            return Ok((depth, 1));
        }
        // A field with `first` that is no connection itself but holds
        // connections (`search`) pages them: they cost its `first` each,
        // and it does not multiply them a second time.
        let pages_children = !is_connection(field)
            && field.arguments.iter().any(|(n, _)| n.node == "first")
            && field
                .selection_set
                .node
                .items
                .iter()
                .any(|s| matches!(&s.node, Selection::Field(f) if is_connection(&f.node)));
        let multiplier = match (pages_children, inherited) {
            (true, _) => {
                self.paged_by = Some(self.first_of(field));
                1
            }
            (false, Some(first))
                if is_connection(field)
                    && !field.arguments.iter().any(|(n, _)| n.node == "first") =>
            {
                first
            }
            _ => self.first_of(field),
        };
        let measured = self.selection_set(&field.selection_set, depth);
        self.paged_by = inherited;
        let (child_depth, child_cost) = measured?;
        Ok((
            child_depth.max(depth),
            child_cost.saturating_mul(multiplier).saturating_add(1),
        ))
    }

    /// Measures an introspection selection: at most
    /// [`INTROSPECTION_MAX_DEPTH`] levels below `__schema`/`__type` and
    /// [`INTROSPECTION_MAX_LISTS`] list fields on one path (the
    /// `types { fields { type { fields … } } }` fan-out is what makes
    /// introspection expensive); costs one per field.
    fn introspection(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        depth: usize,
        lists: usize,
    ) -> Result<u64, ServerError> {
        let mut cost: u64 = 0;
        for item in &set.node.items {
            cost = cost.saturating_add(match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.selection_set.node.items.is_empty() {
                        1
                    } else {
                        let lists = lists
                            + usize::from(INTROSPECTION_LISTS.contains(&field.name.node.as_str()));
                        if depth + 1 > INTROSPECTION_MAX_DEPTH || lists > INTROSPECTION_MAX_LISTS {
                            return Err(refuse(
                                RefusalCode::QueryTooDeep,
                                format!(
                                    "introspection may nest {INTROSPECTION_MAX_DEPTH} levels and \
                                     {INTROSPECTION_MAX_LISTS} lists (`types`, `fields`, `args`, …) deep"
                                ),
                            ));
                        }
                        self.introspection(&field.selection_set, depth + 1, lists)?
                            .saturating_add(1)
                    }
                }
                Selection::InlineFragment(f) => {
                    self.introspection(&f.node.selection_set, depth, lists)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.doc.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) if self.path.insert(name) => {
                            let measured =
                                self.introspection(&fragment.node.selection_set, depth, lists);
                            self.path.remove(name);
                            measured?
                        }
                        _ => 0,
                    }
                }
            });
        }
        Ok(cost)
    }

    /// `first` of a connection field (a literal or a variable), else 1 for
    /// plain fields and the default page for connections without it.
    fn first_of(&self, field: &Field) -> u64 {
        let Some((_, value)) = field.arguments.iter().find(|(n, _)| n.node == "first") else {
            return if is_connection(field) {
                DEFAULT_FIRST
            } else {
                1
            };
        };
        let resolved = value
            .node
            .clone()
            .into_const_with(|name: Name| {
                Ok::<_, std::convert::Infallible>(
                    self.variables.get(&name).cloned().unwrap_or(Value::Null),
                )
            })
            .unwrap_or(Value::Null);
        // Above the page cap the field itself refuses (`VALIDATION` on
        // `first`), which says more than a complexity error.
        match resolved {
            Value::Number(n) => n.as_u64().unwrap_or(1).clamp(1, MAX_FIRST),
            _ => DEFAULT_FIRST,
        }
    }
}

/// Measures every operation of `doc`; the first limit exceeded is the error.
pub fn check_document(
    doc: &ExecutableDocument,
    variables: &Variables,
    limits: &QueryLimits,
) -> Result<Measured, ServerError> {
    let mut worst = Measured::default();
    for (_, operation) in doc.operations.iter() {
        let mut walk = Walk {
            doc,
            variables,
            limits,
            aliases: 0,
            path: HashSet::new(),
            paged_by: None,
        };
        let (depth, complexity) = walk.selection_set(&operation.node.selection_set, 0)?;
        let root_fields =
            count_root_fields(doc, &operation.node.selection_set, &mut HashSet::new());
        if root_fields > limits.max_root_fields {
            return Err(refuse(
                RefusalCode::TooManyRootFields,
                format!(
                    "an operation may select at most {} root fields",
                    limits.max_root_fields
                ),
            ));
        }
        if complexity > limits.max_complexity {
            return Err(refuse(
                RefusalCode::QueryTooComplex,
                format!(
                    "the query's complexity {complexity} is over the budget of {}",
                    limits.max_complexity
                ),
            ));
        }
        worst.depth = worst.depth.max(depth);
        worst.complexity = worst.complexity.max(complexity);
        worst.aliases = worst.aliases.max(walk.aliases);
        worst.root_fields = worst.root_fields.max(root_fields);
    }
    Ok(worst)
}

fn count_root_fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a Positioned<SelectionSet>,
    seen: &mut HashSet<&'a str>,
) -> usize {
    set.node
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(f) => count_root_fields(doc, &f.node.selection_set, seen),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                match doc.fragments.get(&s.node.fragment_name.node) {
                    Some(f) if seen.insert(name) => {
                        count_root_fields(doc, &f.node.selection_set, seen)
                    }
                    _ => 0,
                }
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str) -> Result<Measured, String> {
        let limits = QueryLimits {
            introspection: false,
            ..QueryLimits::default()
        };
        check_text(query, &limits).map_err(|e| code(&e))?;
        let doc = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        check_document(&doc, &Variables::default(), &limits).map_err(|e| code(&e))
    }

    fn code(e: &ServerError) -> String {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .map(|v| v.to_string().trim_matches('"').to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn connections_cost_first_times_their_selection() {
        let m = check("{ products(first: 10) { edges { node { id name } } } }").unwrap();
        // node: 2 + 1, edges: 3 + 1, products: 10 × 4 + 1.
        assert_eq!(m.complexity, 41);
        assert_eq!(m.depth, 4);
        let m = check("{ products { edges { node { id } } } }").unwrap();
        assert_eq!(m.complexity, 20 * 3 + 1);
        assert_eq!(
            check(
                "{ products(first: 100) { edges { node { id shorts(first: 100) { edges { node { id } } } } } } }"
            ),
            Err("QUERY_TOO_COMPLEX".into())
        );
    }

    #[test]
    fn a_paging_field_costs_its_first_once_per_section() {
        // search(first: 10): each section 10 × (edges 1 + node 2 + 1) + 1,
        // not 10 × 20 × … as if the sections were paged twice.
        let m = check(
            "{ search(query: \"x\", first: 10) { users { edges { node { id } } } posts { edges { node { id } } } } }",
        )
        .unwrap();
        assert_eq!(m.complexity, 2 * (10 * 3 + 1) + 1);
        // Connections deeper down keep their own pages.
        let m = check(
            "{ search(query: \"x\", first: 10) { products { edges { node { shorts { edges { node { id } } } } } } } }",
        )
        .unwrap();
        assert_eq!(m.complexity, 10 * ((20 * 3 + 1) + 2) + 1 + 1);
    }

    #[test]
    fn each_limit_has_its_code() {
        let deep = format!("{}{}", "{ a ".repeat(13), "}".repeat(13));
        assert_eq!(check(&deep), Err("QUERY_TOO_DEEP".into()));
        let very_deep = format!("{}{}", "{ a ".repeat(100_000), "}".repeat(100_000));
        assert!(matches!(
            check(&very_deep).unwrap_err().as_str(),
            "QUERY_TOO_DEEP" | "TOO_MANY_TOKENS"
        ));
        let aliases: String = (0..31).map(|i| format!("a{i}: me {{ id }} ")).collect();
        assert_eq!(
            check(&format!("{{ {aliases} }}")),
            Err("TOO_MANY_ALIASES".into())
        );
        let roots = "me { id } ".repeat(21);
        assert_eq!(
            check(&format!("{{ {roots} }}")),
            Err("TOO_MANY_ROOT_FIELDS".into())
        );
        let directives = "@include(if: true) ".repeat(6);
        assert_eq!(
            check(&format!("{{ me {directives} {{ id }} }}")),
            Err("TOO_MANY_DIRECTIVES".into())
        );
        assert_eq!(
            check("{ __schema { types { name } } }"),
            Err("INTROSPECTION_DISABLED".into())
        );
        let tokens = "id ".repeat(6000);
        assert_eq!(
            check(&format!("{{ me {{ {tokens} }} }}")),
            Err("TOO_MANY_TOKENS".into())
        );
    }

    #[test]
    fn introspection_has_limits_of_its_own() {
        let allowed = QueryLimits::default();
        let run = |q: &str| -> Result<Measured, String> {
            let doc = async_graphql::parser::parse_query(q).map_err(|e| e.to_string())?;
            check_document(&doc, &Variables::default(), &allowed).map_err(|e| code(&e))
        };
        // Deeper than the query limit (12), as graphql-js' query is.
        let of_types = format!("{}{}", "ofType { kind ".repeat(10), "}".repeat(10));
        let standard = format!(
            "{{ __schema {{ types {{ fields {{ args {{ type {{ kind {of_types} }} }} }} }} }} }}"
        );
        let measured = run(&standard).unwrap();
        assert_eq!(measured.depth, 1);
        assert_eq!(
            run(&format!(
                "{{ me {{ id }} {} }}",
                &standard[1..standard.len() - 1]
            ))
            .unwrap()
            .depth,
            2
        );
        // The fan-out that makes introspection expensive is refused.
        assert_eq!(
            run(
                "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
            ),
            Err("QUERY_TOO_DEEP".into())
        );
        let endless = format!(
            "{{ __type(name: \"User\") {{ {}name {} }} }}",
            "ofType { ".repeat(30),
            "}".repeat(30)
        );
        assert_eq!(run(&endless), Err("QUERY_TOO_DEEP".into()));
        // Through fragments too.
        assert_eq!(
            run(
                "{ __schema { types { ...T } } } fragment T on __Type { fields { type { fields { type { fields { name } } } } } }"
            ),
            Err("QUERY_TOO_DEEP".into())
        );
    }

    #[test]
    fn fragment_cycles_terminate() {
        let q = "query { me { ...A } } fragment A on User { id ...B } fragment B on User { ...A }";
        assert!(check(q).is_ok());
        // Strings and comments are one token or none.
        assert!(check("# comment { { { {\n{ me(x: \"{{{{{{{{{{{{{{{{\") { id } }").is_ok());
    }
}
