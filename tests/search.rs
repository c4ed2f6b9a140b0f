//! Search over HTTP (SEARCH-1 … SEARCH-5). Every case runs on the embedded
//! tantivy backend (SQLite and PostgreSQL) and on the Elasticsearch backend
//! against a fake Elasticsearch 8 (`search/fake_es.rs`) that checks what it
//! is sent. The expected orders follow from the ranking rules alone: the
//! documents compared differ only in what the rule under test looks at.
mod common;
#[path = "search/fake_es.rs"]
mod fake_es;

use std::time::{Duration, Instant};

use common::{Backend, SignedIn, TestApp, code};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Tantivy,
    ElasticFake,
}

struct Setup {
    app: TestApp,
    engine: Engine,
    es: Option<fake_es::Running>,
}

async fn spawn(engine: Engine, db: Backend) -> Option<Setup> {
    match engine {
        Engine::Tantivy => Some(Setup {
            app: TestApp::spawn(db).await?,
            engine,
            es: None,
        }),
        Engine::ElasticFake => {
            let es = fake_es::FakeElasticsearch::start().await;
            let app = TestApp::spawn_with(
                db,
                &[
                    ("VITRINE_SEARCH_BACKEND", "elasticsearch"),
                    ("VITRINE_ELASTICSEARCH_URL", &es.url),
                ],
            )
            .await?;
            Some(Setup {
                app,
                engine,
                es: Some(es),
            })
        }
    }
}

macro_rules! on_both_search_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tantivy_sqlite() {
                if let Some(s) = spawn(Engine::Tantivy, Backend::Sqlite).await {
                    super::$name(s).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tantivy_postgres() {
                if let Some(s) = spawn(Engine::Tantivy, Backend::Postgres).await {
                    super::$name(s).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn elasticsearch_fake() {
                if let Some(s) = spawn(Engine::ElasticFake, Backend::Sqlite).await {
                    super::$name(s).await;
                }
            }
        }
    )+};
}

on_both_search_backends!(
    ranking_follows_the_rules,
    korean_english_and_mixed_queries,
    product_filters_narrow_the_hits,
    search_pages_walk_every_hit_once,
    suggestions_by_prefix,
    writes_are_searchable_within_a_second,
    hidden_content_stays_hidden,
    reindex_gives_identical_results,
);

const SEARCH: &str = "query($q: String!, $types: [SearchType!], $first: Int, $after: String, $f: ProductFilterInput) {
  search(query: $q, types: $types, first: $first, after: $after, productFilter: $f) {
    users { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id nickname } } }
    posts { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id body likeCount commentCount } } }
    designs { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id title style roomType } } }
    products { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name price } } }
    stores { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name } } }
    shorts { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id title } } }
  }
}";

const SUGGEST: &str = "query($p: String!, $types: [SearchType!], $first: Int) {
  searchSuggestions(prefix: $p, types: $types, first: $first) { text type id }
}";

async fn search(app: &TestApp, token: Option<&str>, q: &str, vars: Value) -> Value {
    let mut v = json!({ "q": q });
    for (k, val) in vars.as_object().into_iter().flatten() {
        v[k] = val.clone();
    }
    app.gql_ok(SEARCH, v, token).await["search"].clone()
}

/// Node ids of a section, in order.
fn ids(section: &Value) -> Vec<String> {
    section["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `probe` until it returns `Some`, for at most `within`.
async fn eventually<T, F, Fut>(within: Duration, what: &str, mut probe: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return (v, started.elapsed());
        }
        assert!(started.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (≤ 2 s) until `types` sections for `q` hold exactly `expected`, in order.
async fn expect_order(
    app: &TestApp,
    token: Option<&str>,
    q: &str,
    section: &str,
    expected: &[String],
) {
    let types = json!([section.trim_end_matches('s').to_uppercase()]);
    eventually(
        Duration::from_secs(2),
        &format!("{section} for {q:?}"),
        || {
            let types = types.clone();
            async move {
                let found = search(app, token, q, json!({ "types": types, "first": 50 })).await;
                (ids(&found[section]) == expected).then_some(())
            }
        },
    )
    .await;
}

async fn leaf_category(app: &TestApp, nth: usize) -> String {
    let data = app
        .gql_ok("{ categories { id children { id } } }", json!({}), None)
        .await;
    data["categories"][nth]["children"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn product(app: &TestApp, seller: &SignedIn, input: Value) -> String {
    let mut input = input;
    if input.get("price").is_none() {
        input["price"] = json!(30000);
    }
    if input.get("stock").is_none() {
        input["stock"] = json!(10);
    }
    if input.get("categoryId").is_none() {
        input["categoryId"] = json!(leaf_category(app, 0).await);
    }
    app.gql_ok(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({ "i": input }),
        Some(&seller.access),
    )
    .await["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until every event published so far has been indexed: a marker
/// post written now becomes searchable only after all earlier ones.
async fn settle(app: &TestApp, user: &SignedIn) {
    let marker = format!("marker{}", uuid::Uuid::new_v4().simple());
    let id = post(app, user, &marker).await;
    eventually(Duration::from_secs(2), "marker indexed", || async {
        let f = search(app, None, &marker, json!({ "types": ["POST"] })).await;
        (ids(&f["posts"]) == [id.clone()]).then_some(())
    })
    .await;
}

async fn named_product(app: &TestApp, seller: &SignedIn, name: &str, description: &str) -> String {
    product(
        app,
        seller,
        json!({ "name": name, "description": description }),
    )
    .await
}

async fn design(
    app: &TestApp,
    user: &SignedIn,
    title: &str,
    style: &str,
    room: &str,
    visibility: &str,
) -> String {
    app.create_design(
        user,
        json!({ "title": title, "style": style, "roomType": room, "visibility": visibility }),
    )
    .await
}

async fn post(app: &TestApp, user: &SignedIn, text: &str) -> String {
    app.gql_ok(
        "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
        json!({ "i": { "body": text } }),
        Some(&user.access),
    )
    .await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn like_post(app: &TestApp, user: &SignedIn, id: &str) {
    app.gql_ok(
        "mutation($id: ID!) { like(targetType: POST, targetId: $id) { likeCount } }",
        json!({ "id": id }),
        Some(&user.access),
    )
    .await;
}

async fn comment(app: &TestApp, user: &SignedIn, id: &str) {
    app.gql_ok(
        "mutation($id: ID!) { addComment(postId: $id, body: \"nice\") { id } }",
        json!({ "id": id }),
        Some(&user.access),
    )
    .await;
}

async fn ranking_follows_the_rules(s: Setup) {
    let app = &s.app;
    let admin = app.user_with_role("ADMIN").await;
    let author = app.register("author@example.com", "author").await;
    let fan = app.register("fan@example.com", "fan").await;

    // Designs: identical titles; only style and room type differ.
    let both = design(
        app,
        &author,
        "cozy corner",
        "MODERN",
        "LIVING_ROOM",
        "PUBLIC",
    )
    .await;
    let style = design(app, &author, "cozy corner", "MODERN", "BEDROOM", "PUBLIC").await;
    let room = design(
        app,
        &author,
        "cozy corner",
        "CLASSIC",
        "LIVING_ROOM",
        "PUBLIC",
    )
    .await;
    let neither = design(app, &author, "cozy corner", "CLASSIC", "BEDROOM", "PUBLIC").await;
    let order = [both.clone(), style.clone(), room.clone(), neither.clone()];
    // (t+2)·3·2 > (t+1)·3 > (t+1)·2 > t for any text relevance t > 0.
    expect_order(
        app,
        None,
        "modern living room cozy corner",
        "designs",
        &order,
    )
    .await;
    expect_order(app, None, "모던 거실 cozy corner", "designs", &order).await;
    // Naming only the room: both LIVING_ROOM designs first, newest first on a tie.
    let found = search(app, None, "거실 cozy", json!({ "types": ["DESIGN"] })).await;
    assert_eq!(ids(&found["designs"])[..2], [room.clone(), both.clone()]);

    // Posts: same text; engagement 2·likes + 3·comments orders them.
    let quiet = post(app, &author, "linen sofa review").await;
    let liked = post(app, &author, "linen sofa review").await;
    let commented = post(app, &author, "linen sofa review").await;
    let both_ways = post(app, &author, "linen sofa review").await;
    like_post(app, &fan, &liked).await; // 2
    comment(app, &fan, &commented).await; // 3
    like_post(app, &fan, &both_ways).await;
    comment(app, &fan, &both_ways).await; // 5
    expect_order(
        app,
        None,
        "linen sofa",
        "posts",
        &[
            both_ways.clone(),
            commented.clone(),
            liked.clone(),
            quiet.clone(),
        ],
    )
    .await;
    // Unliking drops a post (5 → 3, tied with `commented`, newer first);
    // a second like lifts another (2 → 4) above both.
    app.gql_ok(
        "mutation($id: ID!) { unlike(targetType: POST, targetId: $id) { likeCount } }",
        json!({ "id": both_ways }),
        Some(&fan.access),
    )
    .await;
    let fan2 = app.register("fan2@example.com", "fan two").await;
    like_post(app, &fan2, &liked).await;
    expect_order(
        app,
        None,
        "linen sofa",
        "posts",
        &[liked, both_ways, commented, quiet],
    )
    .await;

    // Products: the name weighs over the description.
    let (seller, _) = app
        .approved_seller(&admin, "Maison Kim", "1234567890")
        .await;
    let by_desc = named_product(
        app,
        &seller,
        "Summer top",
        "a linen blend with a linen feel",
    )
    .await;
    let by_name = named_product(app, &seller, "Linen shirt", "basic").await;
    let _other = named_product(app, &seller, "Wool coat", "warm").await;
    expect_order(app, None, "linen", "products", &[by_name, by_desc]).await;
}

async fn korean_english_and_mixed_queries(s: Setup) {
    let app = &s.app;
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "한남 리빙", "2234567890").await;
    let compound = named_product(app, &seller, "모던거실소파", "3인용").await;
    let english = named_product(app, &seller, "Leather Sofas", "two seats").await;
    let unrelated = named_product(app, &seller, "원목 식탁", "dining table").await;

    settle(app, &seller).await;

    // A Korean word inside a compound written without spaces.
    expect_order(
        app,
        None,
        "거실",
        "products",
        std::slice::from_ref(&compound),
    )
    .await;
    expect_order(
        app,
        None,
        "소파",
        "products",
        std::slice::from_ref(&compound),
    )
    .await;
    // English stemming both ways.
    expect_order(
        app,
        None,
        "sofa",
        "products",
        std::slice::from_ref(&english),
    )
    .await;
    expect_order(
        app,
        None,
        "LEATHER sofas",
        "products",
        std::slice::from_ref(&english),
    )
    .await;
    // Mixed: both halves find their product; the unrelated one stays out.
    let found = search(app, None, "모던 거실 sofa", json!({ "types": ["PRODUCT"] })).await;
    let mut got = ids(&found["products"]);
    got.sort();
    let mut want = vec![compound.clone(), english.clone()];
    want.sort();
    assert_eq!(got, want);
    assert!(!got.contains(&unrelated));
    assert_eq!(found["products"]["totalCount"], 2);
    // Stores and users by Korean names; other sections are searched at once.
    let found = search(app, None, "한남", json!({})).await;
    assert_eq!(found["stores"]["totalCount"], 1);
    assert_eq!(found["users"]["totalCount"], 1, "the seller's nickname");
    assert_eq!(found["products"]["totalCount"], 0);
    // Nothing to search for: empty sections, not an error.
    let found = search(app, None, " !? ", json!({})).await;
    assert_eq!(found["products"]["totalCount"], 0);
    let body = app.gql(SEARCH, json!({ "q": "x".repeat(201) }), None).await;
    assert_eq!(code(&body), "VALIDATION");
}

/// Three indexed "linen" products: two of one store, one of another.
struct Linen {
    store: String,
    top: String,
    cheap_black_female: String,
    dear_navy_male: String,
    mid_black_unisex: String,
}

async fn linen_products(app: &TestApp) -> Linen {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, store) = app
        .approved_seller(&admin, "Filter House", "3234567890")
        .await;
    let (other_seller, _) = app
        .approved_seller(&admin, "Other House", "3234567891")
        .await;
    let top = leaf_category(app, 0).await;
    let bottom = leaf_category(app, 1).await;
    let cheap_black_female = product(app, &seller, json!({ "name": "linen one", "price": 10000, "colors": ["Black"], "gender": "FEMALE", "categoryId": top, "seasons": ["SUMMER"] })).await;
    let dear_navy_male = product(app, &seller, json!({ "name": "linen two", "price": 90000, "colors": ["Navy"], "gender": "MALE", "categoryId": bottom })).await;
    let mid_black_unisex = product(app, &other_seller, json!({ "name": "linen three", "price": 50000, "colors": ["Black"], "gender": "UNISEX", "categoryId": top })).await;
    eventually(Duration::from_secs(2), "all three indexed", || async {
        let f = search(app, None, "linen", json!({ "types": ["PRODUCT"] })).await;
        (f["products"]["totalCount"] == 3).then_some(())
    })
    .await;
    Linen {
        store,
        top,
        cheap_black_female,
        dear_navy_male,
        mid_black_unisex,
    }
}

/// The catalogue's filters narrow the product hits; bad filters are refused.
async fn product_filters_narrow_the_hits(s: Setup) {
    let app = &s.app;
    let Linen {
        store,
        top,
        cheap_black_female,
        dear_navy_male,
        mid_black_unisex,
    } = linen_products(app).await;
    let filtered = |f: Value| async move {
        let found = search(
            app,
            None,
            "linen",
            json!({ "types": ["PRODUCT"], "f": f, "first": 10 }),
        )
        .await;
        let mut got = ids(&found["products"]);
        got.sort();
        assert_eq!(found["products"]["totalCount"], got.len());
        got
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        filtered(json!({ "maxPrice": 50000 })).await,
        sorted(vec![cheap_black_female.clone(), mid_black_unisex.clone()])
    );
    assert_eq!(
        filtered(json!({ "minPrice": 20000, "maxPrice": 60000 })).await,
        vec![mid_black_unisex.clone()]
    );
    assert_eq!(
        filtered(json!({ "colors": ["navy"] })).await,
        vec![dear_navy_male.clone()]
    );
    assert_eq!(
        filtered(json!({ "gender": "FEMALE" })).await,
        sorted(vec![cheap_black_female.clone(), mid_black_unisex.clone()])
    );
    assert_eq!(
        filtered(json!({ "categoryId": top })).await,
        sorted(vec![cheap_black_female.clone(), mid_black_unisex.clone()])
    );
    assert_eq!(
        filtered(json!({ "storeId": store })).await,
        sorted(vec![cheap_black_female.clone(), dear_navy_male.clone()])
    );
    assert_eq!(
        filtered(json!({ "season": "SUMMER" })).await,
        vec![cheap_black_female.clone()]
    );
    let body = app
        .gql(
            SEARCH,
            json!({ "q": "linen", "f": { "minPrice": 9, "maxPrice": 1 } }),
            None,
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let body = app
        .gql(
            SEARCH,
            json!({ "q": "linen", "f": { "colors": ["ultraviolet"] } }),
            None,
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
}

/// Pages of one walk every hit once, in rank order; cursors continue their
/// own section only; page sizes and depth are bounded.
async fn search_pages_walk_every_hit_once(s: Setup) {
    let app = &s.app;
    let linen = linen_products(app).await;
    let all = [
        linen.cheap_black_female,
        linen.dear_navy_male,
        linen.mid_black_unisex,
    ];
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let full = ids(&search(
        app,
        None,
        "linen",
        json!({ "types": ["PRODUCT"], "first": 10 }),
    )
    .await["products"]);
    let mut after = search(
        app,
        None,
        "linen",
        json!({ "types": ["PRODUCT"], "first": 1 }),
    )
    .await["products"]["pageInfo"]["endCursor"]
        .as_str()
        .map(str::to_owned);
    let mut walked = vec![full[0].clone()];
    while let Some(cursor) = after {
        let page = search(app, None, "linen", json!({ "first": 1, "after": cursor })).await;
        assert!(
            page["users"].is_null(),
            "after continues its own section only"
        );
        walked.extend(ids(&page["products"]));
        after = (page["products"]["pageInfo"]["hasNextPage"] == true).then(|| {
            page["products"]["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned()
        });
    }
    assert_eq!(walked, full);
    assert_eq!(sorted(walked), sorted(all.to_vec()));
    let cursor = search(
        app,
        None,
        "linen",
        json!({ "types": ["PRODUCT"], "first": 1 }),
    )
    .await["products"]["pageInfo"]["endCursor"]
        .clone();
    let body = app
        .gql(
            SEARCH,
            json!({ "q": "linen", "types": ["USER", "PRODUCT"], "after": cursor }),
            None,
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let body = app
        .gql(SEARCH, json!({ "q": "linen", "first": 101 }), None)
        .await;
    assert_eq!(code(&body), "VALIDATION");
    // Paging stops at the first 10,000 hits of a section (as Elasticsearch's
    // index.max_result_window), on both backends.
    let far = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("c1:{\"k\":\"Product\",\"o\":9995}")
    };
    let body = app
        .gql(
            SEARCH,
            json!({ "q": "linen", "first": 10, "after": far }),
            None,
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
}

async fn suggestions_by_prefix(s: Setup) {
    let app = &s.app;
    let admin = app.user_with_role("ADMIN").await;
    let linda = app.register("linda@example.com", "linda").await;
    let (seller, _) = app
        .approved_seller(&admin, "Linen House", "4234567890")
        .await;
    for i in 0..12 {
        product(app, &seller, json!({ "name": format!("Linen piece {i}") })).await;
    }
    product(app, &seller, json!({ "name": "모던 거실 소파" })).await;
    design(app, &linda, "Lint free loft", "MODERN", "BEDROOM", "PUBLIC").await;
    design(app, &linda, "Linen secret", "MODERN", "BEDROOM", "PRIVATE").await;
    let suggest = |p: &'static str, types: Value, first: Option<i32>, token: Option<String>| async move {
        let mut v = json!({ "p": p, "types": types });
        if let Some(f) = first {
            v["first"] = json!(f);
        }
        app.gql_ok(SUGGEST, v, token.as_deref()).await["searchSuggestions"]
            .as_array()
            .unwrap()
            .clone()
    };
    // Wait for the last write (events are applied in order), then check.
    eventually(Duration::from_secs(2), "private design indexed", || async {
        let got = suggest(
            "linen sec",
            json!(["DESIGN"]),
            None,
            Some(linda.access.clone()),
        )
        .await;
        (got.len() == 1).then_some(())
    })
    .await;
    let got = suggest("lin", Value::Null, None, None).await;
    assert_eq!(got.len(), 10, "at most 10: {got:?}");
    for s in &got {
        let text = s["text"].as_str().unwrap().to_lowercase();
        assert!(
            text.split_whitespace().any(|w| w.starts_with("lin")),
            "{text}"
        );
        assert_ne!(
            text, "linen secret",
            "a private design is not suggested to strangers"
        );
    }
    let kinds = |got: &[Value]| {
        let mut k: Vec<String> = got
            .iter()
            .map(|s| s["type"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k.dedup();
        k
    };
    assert_eq!(suggest("lin", json!(["STORE"]), None, None).await.len(), 1);
    assert_eq!(
        suggest("lin", json!(["STORE"]), None, None).await[0]["text"],
        "Linen House"
    );
    assert_eq!(
        kinds(&suggest("lin", json!(["USER", "DESIGN"]), None, None).await),
        vec!["DESIGN", "USER"]
    );
    assert_eq!(suggest("lin", Value::Null, Some(3), None).await.len(), 3);
    // Every word of the prefix must start a word; Korean prefixes too.
    let got = suggest("linen pie", json!(["PRODUCT"]), None, None).await;
    assert_eq!(got.len(), 10);
    assert_eq!(
        suggest("모던 거", Value::Null, None, None).await[0]["text"],
        "모던 거실 소파"
    );
    assert_eq!(
        suggest("거실", Value::Null, None, None).await[0]["text"],
        "모던 거실 소파"
    );
    // Under two characters: nothing (no error), so clients may call per keystroke.
    assert!(suggest("l", Value::Null, None, None).await.is_empty());
    assert!(suggest("xq", Value::Null, None, None).await.is_empty());
    // Only the owner sees her private design.
    assert!(
        suggest("linen sec", json!(["DESIGN"]), None, None)
            .await
            .is_empty()
    );
    // Posts and shorts have no suggestions; first is capped at 10.
    let body = app
        .gql(SUGGEST, json!({ "p": "lin", "types": ["POST"] }), None)
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let body = app
        .gql(SUGGEST, json!({ "p": "lin", "first": 11 }), None)
        .await;
    assert_eq!(code(&body), "VALIDATION");
}

async fn writes_are_searchable_within_a_second(s: Setup) {
    let app = &s.app;
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app.approved_seller(&admin, "Fresh Co", "5234567890").await;
    let writer = app.register("writer@example.com", "writer").await;

    // A write, then a search: within one second.
    let id = product(app, &seller, json!({ "name": "Quokka jacket" })).await;
    let (_, took) = eventually(Duration::from_secs(1), "new product searchable", || async {
        let f = search(app, None, "quokka", json!({ "types": ["PRODUCT"] })).await;
        (ids(&f["products"]) == [id.clone()]).then_some(())
    })
    .await;
    assert!(took < Duration::from_secs(1), "{took:?}");

    // Visibility changes propagate as fast: hidden, then listed again.
    app.gql_ok(
        "mutation($id: ID!) { setProductStatus(id: $id, status: HIDDEN) { status } }",
        json!({ "id": id }),
        Some(&seller.access),
    )
    .await;
    eventually(Duration::from_secs(1), "hidden product gone", || async {
        let f = search(app, None, "quokka", json!({ "types": ["PRODUCT"] })).await;
        (f["products"]["totalCount"] == 0).then_some(())
    })
    .await;
    // Its seller still finds it.
    let f = search(
        app,
        Some(&seller.access),
        "quokka",
        json!({ "types": ["PRODUCT"] }),
    )
    .await;
    assert_eq!(ids(&f["products"]), std::slice::from_ref(&id));

    // Deletes too.
    let doomed = post(app, &writer, "wombat diaries").await;
    eventually(Duration::from_secs(1), "post searchable", || async {
        let f = search(app, None, "wombat", json!({ "types": ["POST"] })).await;
        (ids(&f["posts"]) == [doomed.clone()]).then_some(())
    })
    .await;
    app.gql_ok(
        "mutation($id: ID!) { deletePost(id: $id) }",
        json!({ "id": doomed }),
        Some(&writer.access),
    )
    .await;
    eventually(Duration::from_secs(1), "deleted post gone", || async {
        let f = search(app, None, "wombat", json!({ "types": ["POST"] })).await;
        (f["posts"]["totalCount"] == 0).then_some(())
    })
    .await;

    // Many writers at once: every post searchable within a second of the last.
    let writes = (0..12).map(|i| {
        let w = writer.clone();
        async move { post(app, &w, &format!("narwhal burst {i}")).await }
    });
    let created = futures::future::join_all(writes).await;
    let (_, took) = eventually(
        Duration::from_secs(1),
        "12 concurrent posts searchable",
        || async {
            let f = search(
                app,
                None,
                "narwhal",
                json!({ "types": ["POST"], "first": 50 }),
            )
            .await;
            let mut got = ids(&f["posts"]);
            got.sort();
            let mut want = created.clone();
            want.sort();
            (got == want).then_some(())
        },
    )
    .await;
    assert!(took < Duration::from_secs(1));
}

async fn hidden_content_stays_hidden(s: Setup) {
    let app = &s.app;
    let admin = app.user_with_role("ADMIN").await;
    let owner = app.register("owner@example.com", "owner").await;
    let stranger = app.register("stranger@example.com", "stranger").await;
    let private = design(
        app,
        &owner,
        "secret atelier",
        "JAPANDI",
        "HOME_OFFICE",
        "PRIVATE",
    )
    .await;
    let public = design(
        app,
        &owner,
        "open atelier",
        "JAPANDI",
        "HOME_OFFICE",
        "PUBLIC",
    )
    .await;
    // A pending store: its owner and admins only.
    let applicant = app.register("applicant@example.com", "applicant").await;
    app.gql_ok(
        "mutation($i: ApplyForStoreInput!) { applyForStore(input: $i) { id } }",
        json!({ "i": { "name": "Atelier Pending", "licenseNumber": "6234567890" } }),
        Some(&applicant.access),
    )
    .await;
    // A kicked and a deleted account.
    let kicked = app.register("kicked@example.com", "atelier kicked").await;
    app.gql_ok(
        "mutation($id: ID!) { kickUser(id: $id, reason: \"spam\") { id } }",
        json!({ "id": kicked.id }),
        Some(&admin.access),
    )
    .await;
    let gone = app.register("gone@example.com", "atelier gone").await;
    app.gql_ok(
        "mutation($p: String!) { deleteMe(password: $p) }",
        json!({ "p": common::PASSWORD }),
        Some(&gone.access),
    )
    .await;
    // Events are applied in order: once a later write is searchable,
    // everything before it has been indexed.
    settle(app, &owner).await;
    for token in [None, Some(stranger.access.as_str())] {
        let f = search(app, token, "atelier", json!({})).await;
        assert_eq!(
            ids(&f["designs"]),
            std::slice::from_ref(&public),
            "private design hidden"
        );
        assert_eq!(f["designs"]["totalCount"], 1);
        assert_eq!(f["stores"]["totalCount"], 0, "pending store hidden");
        assert_eq!(
            f["users"]["totalCount"], 0,
            "kicked and deleted users hidden"
        );
    }
    let f = search(app, Some(&owner.access), "atelier", json!({})).await;
    assert_eq!(
        f["designs"]["totalCount"], 2,
        "the owner sees her private design"
    );
    let f = search(app, Some(&applicant.access), "atelier", json!({})).await;
    assert_eq!(
        f["stores"]["totalCount"], 1,
        "the applicant sees the pending store"
    );
    let f = search(app, Some(&admin.access), "atelier", json!({})).await;
    assert!(ids(&f["designs"]).contains(&private));
    assert_eq!(
        f["users"]["edges"][0]["node"]["nickname"], "atelier kicked",
        "deleted accounts are gone even for admins"
    );
    let got = app.gql_ok(SUGGEST, json!({ "p": "atelier" }), None).await["searchSuggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(got, vec!["open atelier"]);
}

async fn reindex_gives_identical_results(s: Setup) {
    let app = &s.app;
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Rebuild Lab", "7234567890")
        .await;
    let fan = app.register("rebuild-fan@example.com", "rebuild fan").await;
    for (i, name) in [
        "Linen shirt",
        "linen 셔츠",
        "모던 linen 소파",
        "Wool linen blend",
        "Cotton tee",
    ]
    .iter()
    .enumerate()
    {
        product(
            app,
            &seller,
            json!({ "name": name, "description": format!("rebuild {i} linen") }),
        )
        .await;
    }
    for i in 0..4 {
        let p = post(app, &fan, &format!("rebuild linen story {i}")).await;
        if i % 2 == 0 {
            like_post(app, &admin, &p).await;
        }
    }
    design(app, &fan, "rebuild room", "MODERN", "LIVING_ROOM", "PUBLIC").await;
    design(
        app,
        &fan,
        "rebuild private",
        "MODERN",
        "LIVING_ROOM",
        "PRIVATE",
    )
    .await;
    let queries = [
        "linen",
        "rebuild",
        "모던 거실",
        "셔츠",
        "rebuild linen story",
    ];
    let snapshot = || async {
        let mut out = Vec::new();
        for q in queries {
            for token in [None, Some(fan.access.as_str())] {
                out.push(search(app, token, q, json!({ "first": 20 })).await);
            }
            out.push(app.gql_ok(SUGGEST, json!({ "p": q }), None).await);
        }
        out
    };
    settle(app, &fan).await;
    let backend = app.state.search.clone();
    let expected: u64 = vitrine::domain::search::indexable_counts(&app.state.db)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(backend.count().await.unwrap(), expected);
    let before = snapshot().await;
    assert!(before[0]["products"]["totalCount"].as_u64().unwrap() >= 4);

    // A full rebuild in place (what `vitrine search reindex` runs).
    vitrine::domain::search_index::rebuild(&app.state.db, backend.as_ref(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        snapshot().await,
        before,
        "identical after a rebuild in place"
    );
    assert_eq!(backend.count().await.unwrap(), expected);

    // Dropped, then rebuilt from the database: no loss.
    backend.drop_all().await.unwrap();
    assert_eq!(backend.count().await.unwrap(), 0);
    let found = search(app, None, "linen", json!({ "types": ["PRODUCT"] })).await;
    assert_eq!(found["products"]["totalCount"], 0);
    vitrine::domain::search_index::rebuild(&app.state.db, backend.as_ref(), &|_| {})
        .await
        .unwrap();
    assert_eq!(snapshot().await, before, "identical after drop + rebuild");
    if s.engine == Engine::ElasticFake {
        let es = s.es.as_ref().unwrap();
        assert_eq!(es.fake.documents("vitrine-search") as u64, expected);
    }
}

/// What the Elasticsearch backend sends, checked against the documented API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elasticsearch_requests_follow_the_api() {
    let Some(s) = spawn(Engine::ElasticFake, Backend::Sqlite).await else {
        return;
    };
    let app = &s.app;
    let es = s.es.as_ref().unwrap();
    let author = app.register("es@example.com", "es author").await;
    let p = post(app, &author, "bulk me please").await;
    eventually(Duration::from_secs(1), "indexed through _bulk", || async {
        let f = search(app, None, "bulk", json!({ "types": ["POST"] })).await;
        (ids(&f["posts"]) == [p.clone()]).then_some(())
    })
    .await;
    design(app, &author, "es room", "MODERN", "KITCHEN", "PUBLIC").await;
    search(app, None, "modern kitchen", json!({ "types": ["DESIGN"] })).await;
    app.gql_ok(SUGGEST, json!({ "p": "es" }), None).await;

    let log = es.fake.requests();
    // Start-up: the template, then the index, in that order.
    let template = log
        .iter()
        .position(|r| r.method == "PUT" && r.path == "/_index_template/vitrine-search");
    let create = log
        .iter()
        .position(|r| r.method == "PUT" && r.path == "/vitrine-search");
    assert!(template.unwrap() < create.unwrap(), "{log:#?}");
    // Writes: newline-terminated _bulk with refresh=true from the worker.
    let bulk = log
        .iter()
        .find(|r| r.path == "/vitrine-search/_bulk" && r.body.contains("bulk me please"))
        .expect("a _bulk with the post");
    assert_eq!(bulk.method, "POST");
    assert!(matches!(
        bulk.content_type.as_str(),
        "application/json" | "application/x-ndjson"
    ));
    assert_eq!(bulk.query.get("refresh").map(String::as_str), Some("true"));
    assert!(bulk.body.ends_with('\n'));
    let lines: Vec<Value> = bulk
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The batch may carry other documents too (the author): find the post's
    // action; its source is the next line.
    let at = lines
        .iter()
        .position(|l| *l == json!({ "index": { "_id": format!("post:{}", decode(&p)) } }))
        .unwrap_or_else(|| panic!("no index action for the post: {lines:#?}"));
    assert_eq!(lines[at + 1]["kind"], "post");
    assert_eq!(lines[at + 1]["public"], true);
    assert_eq!(lines[at + 1]["boost"], 1.0);
    // Searches: multi_match (most_fields) inside function_score, with the
    // style and room-type weights when the query names them.
    let design_search: Value = log
        .iter()
        .filter(|r| r.path == "/vitrine-search/_search")
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|b| {
            b["query"]["function_score"]["query"]["bool"]["filter"][0]
                == json!({ "term": { "kind": "design" } })
        })
        .expect("a design search");
    let fs = &design_search["query"]["function_score"];
    assert_eq!(
        fs["query"]["bool"]["should"][0]["multi_match"]["type"],
        "most_fields"
    );
    assert_eq!(
        fs["query"]["bool"]["should"][0]["multi_match"]["fields"],
        json!(["title^1", "body^1"])
    );
    assert_eq!(
        fs["functions"][1],
        json!({ "filter": { "terms": { "style": ["MODERN"] } }, "weight": 3.0 })
    );
    assert_eq!(
        fs["functions"][2],
        json!({ "filter": { "terms": { "room_type": ["KITCHEN"] } }, "weight": 2.0 })
    );
    assert_eq!(design_search["track_total_hits"], true);
    // Suggestions: the edge-n-gram field, every word required.
    let suggest = log
        .iter()
        .filter(|r| r.path == "/vitrine-search/_search")
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .find(|b| b["query"]["bool"]["must"][0]["match"]["suggest"].is_object())
        .expect("a suggestion search");
    assert_eq!(
        suggest["query"]["bool"]["must"][0]["match"]["suggest"]["operator"],
        "and"
    );
    // /readyz asks the cluster about the index.
    let ready = app.get_json("/readyz").await;
    assert_eq!(
        ready["search"],
        json!({ "ok": true, "backend": "elasticsearch" })
    );
    drop(s.es);
}

/// `/readyz` reports search; an Elasticsearch that goes away makes the
/// instance not ready and searches fail with INTERNAL (no detail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_outage_is_reported() {
    let Some(mut s) = spawn(Engine::ElasticFake, Backend::Sqlite).await else {
        return;
    };
    let app = &s.app;
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    drop(s.es.take());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["search"]["ok"], false);
    let body = app.gql(SEARCH, json!({ "q": "anything" }), None).await;
    assert_eq!(code(&body), "INTERNAL");
}

/// The tantivy index survives a restart and is rebuilt when it was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tantivy_index_persists_and_rebuilds_on_start() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let author = app.register("persist@example.com", "persist").await;
    let p = post(&app, &author, "platypus notes").await;
    eventually(Duration::from_secs(1), "indexed", || async {
        let f = search(&app, None, "platypus", json!({ "types": ["POST"] })).await;
        (ids(&f["posts"]) == [p.clone()]).then_some(())
    })
    .await;
    let app = app.restart().await;
    let f = search(&app, None, "platypus", json!({ "types": ["POST"] })).await;
    assert_eq!(ids(&f["posts"]), std::slice::from_ref(&p), "kept on disk");
    // Lose every document, restart: rebuilt from the database at start.
    app.state.search.drop_all().await.unwrap();
    let f = search(&app, None, "platypus", json!({ "types": ["POST"] })).await;
    assert_eq!(f["posts"]["totalCount"], 0);
    let app = app.restart().await;
    eventually(Duration::from_secs(2), "rebuilt on start", || async {
        let f = search(&app, None, "platypus", json!({ "types": ["POST"] })).await;
        (ids(&f["posts"]) == [p.clone()]).then_some(())
    })
    .await;
}

fn decode(global: &str) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .unwrap();
    String::from_utf8(raw)
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .parse()
        .unwrap()
}
