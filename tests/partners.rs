//! Persisted documents (API-1, API-2): automatic persisted queries driven by
//! Apollo Client's persisted-query link (npm, pinned in
//! tests/apq-client/package-lock.json), the hash protocol over POST and GET,
//! and partners restricted to the frontend manifest with their rate tier.
mod common;

use common::{Backend, TestApp, code};
use serde_json::{Value, json};
use vitrine::protection::{apq::sha256_hex, contract};

fn manifest_id(name: &str) -> String {
    contract::embedded()
        .operations
        .iter()
        .find(|(_, e)| e.name == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("{name} is not in the manifest"))
}

async fn post(
    app: &TestApp,
    key: Option<&str>,
    body: Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = app.http.post(app.url("/graphql")).json(&body);
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.json().await.unwrap_or(Value::Null), headers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apollo_client_persisted_query_link_round_trip() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apq-client");
    common::realtime::npm_ci(&dir, "@apollo/client");
    let out = tokio::process::Command::new("node")
        .arg("apq.mjs")
        .arg(app.url("/graphql"))
        .current_dir(&dir)
        .output()
        .await
        .expect("node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run: Value = serde_json::from_str(stdout.trim()).expect("json");
    let exchanges = run["exchanges"].as_array().unwrap();
    // 1: hash only, by GET → not found; 2: the query with its hash → data;
    // 3: the second query is hash only, by GET → data.
    assert_eq!(exchanges.len(), 3, "{exchanges:#?}");
    assert_eq!(exchanges[0]["method"], "GET");
    assert!(!exchanges[0]["url"].as_str().unwrap().contains("query="));
    assert_eq!(
        exchanges[0]["body"]["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert_eq!(
        exchanges[0]["body"]["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert!(
        exchanges[1]["body"]["data"]["categories"].is_array(),
        "{:#?}",
        exchanges[1]
    );
    assert_eq!(exchanges[2]["method"], "GET");
    assert!(!exchanges[2]["url"].as_str().unwrap().contains("query="));
    assert!(exchanges[2]["body"]["data"]["categories"].is_array());
    assert_eq!(run["first"], run["second"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persisted_query_protocol_details() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let q = "{ categories { id } }";
    let hash = sha256_hex(q);
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    // Unknown hash.
    let (status, body, _) = post(&app, None, json!({ "extensions": ext })).await;
    assert_eq!((status, code(&body)), (200, "PERSISTED_QUERY_NOT_FOUND"));
    // A query that does not hash to the announced hash is refused.
    let (status, body, _) = post(
        &app,
        None,
        json!({ "query": "{ me { id } }", "extensions": ext }),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (400, "PERSISTED_QUERY_HASH_MISMATCH")
    );
    // Register, then hash only over POST and GET.
    let (status, body, _) = post(&app, None, json!({ "query": q, "extensions": ext })).await;
    assert_eq!(status, 200, "{body}");
    let (_, body, _) = post(&app, None, json!({ "extensions": ext })).await;
    assert!(body["data"]["categories"].is_array(), "{body}");
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[("extensions", ext.to_string())])
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body["data"]["categories"].is_array(), "{body}");
    // A mutation cannot hide behind a hash over GET.
    let m = "mutation { logout }";
    let mext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(m) } });
    post(&app, None, json!({ "query": m, "extensions": mext })).await;
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[("extensions", mext.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    // Manifest documents are known without registration, by hash or id.
    let me = manifest_id("NotificationBadge");
    let (_, body, _) = post(&app, None, json!({ "documentId": me })).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    // With VITRINE_PERSISTED_ONLY, first-party free text is refused too.
    let strict = app.sibling(&[("VITRINE_PERSISTED_ONLY", "true")]).await;
    let (status, body, _) = post(&strict, None, json!({ "query": q })).await;
    assert_eq!((status, code(&body)), (400, "PERSISTED_QUERY_REQUIRED"));
    let products = manifest_id("PartnerProducts");
    let (status, body, _) = post(
        &strict,
        None,
        json!({ "documentId": products, "variables": { "first": 2 } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_run_only_their_manifest_operations() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let admin = app.user_with_role("ADMIN").await;
    let products = manifest_id("PartnerProducts");
    let stores = manifest_id("PartnerStores");
    let create = "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { apiKey partner { id name keyPrefix allowedOperations rateTier revokedAt } } }";
    // Admins only, and only partner operations of the manifest.
    let buyer = app.register("not-admin@example.com", "buyer").await;
    let body = app
        .gql(
            create,
            json!({ "i": { "name": "Shop Feed", "allowedOperations": [products] } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(
            create,
            json!({ "i": { "name": "Bad", "allowedOperations": [manifest_id("NotificationBadge")] } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let created = app
        .gql_ok(create, json!({ "i": { "name": "Shop Feed", "allowedOperations": [products], "rateTier": "FREE" } }), Some(&admin.access))
        .await;
    let key = created["createPartner"]["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner_id = created["createPartner"]["partner"]["id"].clone();
    assert!(
        key.starts_with(
            created["createPartner"]["partner"]["keyPrefix"]
                .as_str()
                .unwrap()
        )
    );
    let listed = app
        .gql_ok(
            "{ partners { edges { node { name rateTier } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(listed["partners"]["edges"][0]["node"]["name"], "Shop Feed");

    // A manifest operation on the allow-list runs, by id or by APQ hash.
    let (status, body, headers) = post(
        &app,
        Some(&key),
        json!({ "documentId": products, "variables": { "first": 2 } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["products"]["edges"].is_array());
    assert_eq!(headers["ratelimit-policy"], "\"partner\";q=1000;w=60");
    let hash = products.trim_start_matches("sha256:");
    let (status, _, _) = post(&app, Some(&key), json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }, "variables": { "first": 2 } })).await;
    assert_eq!(status, 200);
    let resp = app
        .http
        .get(app.url("/graphql"))
        .header("x-api-key", &key)
        .query(&[
            ("documentId", products.as_str()),
            ("variables", "{\"first\":2}"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Free text, another operation, a non-partner operation, a batch: refused.
    let (status, body, _) = post(
        &app,
        Some(&key),
        json!({ "query": "{ categories { id } }" }),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "PERSISTED_QUERY_REQUIRED"));
    let (status, body, _) = post(&app, Some(&key), json!({ "documentId": stores })).await;
    assert_eq!((status, code(&body)), (403, "PERSISTED_QUERY_NOT_ALLOWED"));
    let (status, body, _) = post(
        &app,
        Some(&key),
        json!({ "documentId": manifest_id("NotificationBadge") }),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "PERSISTED_QUERY_NOT_ALLOWED"));
    let (status, body, _) = post(
        &app,
        Some(&key),
        json!([{ "documentId": products }, { "documentId": products }]),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "BATCH_TOO_LARGE"));
    // A hash registered by APQ is not a manifest document.
    let q = "{ categories { id } }";
    post(&app, None, json!({ "query": q, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(q) } } })).await;
    let (status, body, _) = post(&app, Some(&key), json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(q) } } })).await;
    assert_eq!((status, code(&body)), (400, "PERSISTED_QUERY_NOT_ALLOWED"));

    // The FREE tier (1,000 complexity a minute) runs out.
    let mut refused = None;
    for i in 0..40 {
        let (status, body, headers) = post(
            &app,
            Some(&key),
            json!({ "documentId": products, "variables": { "first": 10 } }),
        )
        .await;
        if status == 429 {
            refused = Some((i, body, headers));
            break;
        }
        assert_eq!(status, 200, "{body}");
    }
    let (after, body, headers) = refused.expect("the FREE tier ran out");
    assert!(after >= 2, "{after}");
    assert_eq!(code(&body), "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["policy"], "partner");
    assert!(headers.contains_key("retry-after"));

    // A revoked key stops at once; unknown keys never worked.
    app.gql_ok(
        "mutation($id: ID!) { revokePartner(id: $id) { revokedAt } }",
        json!({ "id": partner_id }),
        Some(&admin.access),
    )
    .await;
    let (status, body, _) = post(&app, Some(&key), json!({ "documentId": products })).await;
    assert_eq!((status, code(&body)), (401, "PARTNER_KEY_INVALID"));
    let (status, body, _) = post(&app, Some("vpk_nope"), json!({ "documentId": products })).await;
    assert_eq!((status, code(&body)), (401, "PARTNER_KEY_INVALID"));
}

/// With Redis, a query registered on one instance is known on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apq_store_is_shared_through_redis() {
    let Some(a) = TestApp::spawn_with_redis(Backend::Postgres, &[]).await else {
        return;
    };
    let b = a.sibling(&[]).await;
    let q = format!("{{ categories {{ id code }} }} # {}", uuid::Uuid::new_v4());
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(&q) } });
    let (_, body, _) = post(&b, None, json!({ "extensions": ext })).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    let (status, _, _) = post(&a, None, json!({ "query": q, "extensions": ext })).await;
    assert_eq!(status, 200);
    let (_, body, _) = post(&b, None, json!({ "extensions": ext })).await;
    assert!(body["data"]["categories"].is_array(), "{body}");
}

/// Every manifest query runs as shipped, with only the variables a client
/// must send: schema validation alone misses variable coercion (an omitted
/// nullable variable is null even where the argument has a default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_queries_execute_as_shipped() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let user = app.register("contract@example.com", "contract").await;
    // What the operations on one object need: a design of the user's, and
    // a conversation with the help assistant.
    let design = app
        .create_design(&user, json!({ "title": "Room", "style": "MODERN", "roomType": "LIVING_ROOM", "visibility": "PUBLIC" }))
        .await;
    let asked = app
        .gql_ok(
            "mutation { askAssistant(input: { question: \"How do refunds work?\" }) { conversation { id } } }",
            json!({}),
            Some(&user.access),
        )
        .await;
    let conversation = asked["askAssistant"]["conversation"]["id"].clone();
    // A post and a direct conversation of the user's.
    let post_id = app
        .gql_ok(
            "mutation { createPost(input: { body: \"Our living room\" }) { id } }",
            json!({}),
            Some(&user.access),
        )
        .await["createPost"]["id"]
        .clone();
    let friend = app.register("contract-friend@example.com", "friend").await;
    let chat = app
        .gql_ok(
            "mutation($m: [ID!]!) { startConversation(input: { kind: DIRECT, memberIds: $m }) { id } }",
            json!({ "m": [friend.id] }),
            Some(&user.access),
        )
        .await["startConversation"]["id"]
        .clone();
    // Admin and seller screens' operations run as those roles.
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Contract Store", "10000009")
        .await;
    let tee = common::category_id(&app, "02top_02tshirt").await;
    let product = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "name": "Contract tee", "price": 19000, "stock": 5, "categoryId": tee } }),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .clone();
    for (id, entry) in &contract::embedded().operations {
        // `PartnerStoreOrders` needs a store-linked partner's key: run in
        // tests/partner_orders.rs.
        if !entry.document.trim_start().starts_with("query") || entry.name == "PartnerStoreOrders" {
            continue;
        }
        // `$id` names what the operation reads; the rest ignore what they
        // do not declare. Search needs its words (`query`, `prefix`).
        let object = match entry.name.as_str() {
            "AssistantThread" => conversation.clone(),
            "ChatConversation" => chat.clone(),
            "DesignDetail" => json!(design),
            "PostDetail" => post_id.clone(),
            "UserProfile" => json!(user.id),
            _ => product.clone(),
        };
        let variables = json!({
            "id": object, "query": "linen", "prefix": "li",
            "objectClass": "couch", "designId": design, "conversationId": chat,
            "postId": post_id, "productId": product, "by": { "id": "Q3VzdG9tQ2FydDo5OTk5" },
            "from": "2026-11-01", "to": "2026-11-30",
        });
        let token = if entry.name.starts_with("Admin") {
            &admin.access
        } else if entry.name.starts_with("Seller") {
            &seller.access
        } else {
            &user.access
        };
        let body = app
            .gql(&entry.document, variables.clone(), Some(token))
            .await;
        assert!(
            body.get("errors").is_none(),
            "{}/{} ({id}) fails as shipped: {body}",
            entry.client,
            entry.name
        );
        let (_, by_id, _) = post(
            &app,
            None,
            json!({ "documentId": id, "variables": variables }),
        )
        .await;
        assert!(by_id.get("data").is_some(), "{by_id}");
    }
}
