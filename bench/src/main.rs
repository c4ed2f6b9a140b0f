//! `make bench`: spawns the real server on a random port against a fresh
//! embedded database filled by `seed-demo`, then drives it over HTTP.
//!
//! Home feed (issue: community): 10,000 posts by 200 authors over the last 14
//! days (500 designs, 30,000 likes, 5,000 comments) are bulk-inserted, the
//! signed-in buyer follows 30 authors and has liked 100 posts, and
//! `homeFeed(first: 10 / 50)` with author, design, like count and like flag is
//! measured the same way.
//!
//! Product list (issue: commerce): `products(first: N)` with each product's
//! store, images, first 3 shorts, rating and the viewer's wishlist flag, at
//! N = 10 and 100. Reports SQL statements per request (from
//! `db_statements_total`, counted in the same process) and latency
//! percentiles, with every latency also given as a ratio to a baseline
//! request (`{ __typename }`) measured in the same run.
mod stats;
use stats::percentile;

use std::{path::PathBuf, time::Instant};

mod harness;

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Markdown file the results are written to.
    #[arg(long, default_value = "bench/results/product-list.md")]
    out: PathBuf,
    /// Timed requests per case (after 20 warm-up requests).
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Database to run against; default: a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// Markdown file the home feed results are written to.
    #[arg(long, default_value = "bench/results/home-feed.md")]
    feed_out: PathBuf,
    /// Markdown file the persisted-query comparison is written to.
    #[arg(long, default_value = "bench/results/persisted-queries.md")]
    persisted_out: PathBuf,
    /// Posts in the home feed dataset.
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
}

/// Bulk-inserts the feed dataset around `viewer_id` (not through the API:
/// 10,000 posts one request at a time would measure the seeding, not the feed).
async fn feed_dataset(
    db: &sea_orm::DatabaseConnection,
    viewer_id: i64,
    posts: usize,
) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    use vitrine::entities::{comment, design, follow, like, post, user};
    let now = Utc::now();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n.max(1)
    };
    let authors: Vec<user::ActiveModel> = (0..200)
        .map(|i| user::ActiveModel {
            email: Set(format!("author{i}@bench.vitrine.dev")),
            password_hash: Set(None),
            nickname: Set(format!("author {i}")),
            role: Set(user::Role::Buyer),
            status: Set(user::UserStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
            follower_count: Set(0),
            following_count: Set(0),
            ..Default::default()
        })
        .collect();
    user::Entity::insert_many(authors)
        .exec_without_returning(db)
        .await?;
    let first_author: i64 = user::Entity::find()
        .all(db)
        .await?
        .iter()
        .filter(|u| u.email.starts_with("author"))
        .map(|u| u.id)
        .min()
        .unwrap_or(1);
    let author = |n: u64| first_author + n as i64;
    let styles = vitrine::domain::community::STYLES;
    let rooms = vitrine::domain::community::ROOM_TYPES;
    let designs: Vec<design::ActiveModel> = (0..500)
        .map(|i| design::ActiveModel {
            owner_id: Set(author(i % 200)),
            title: Set(format!("design {i}")),
            prompt: Set(String::new()),
            style: Set(styles[(i as usize) % styles.len()].into()),
            room_type: Set(rooms[(i as usize / 3) % rooms.len()].into()),
            visibility: Set(design::DesignVisibility::Public),
            generation_status: Set(design::GenerationStatus::Uploaded),
            like_count: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in designs.chunks(250) {
        design::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let first_design = design::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|d| d.id)
        .min()
        .unwrap_or(1);
    let window = 14 * 24 * 3600;
    let rows: Vec<post::ActiveModel> = (0..posts)
        .map(|i| {
            let age = next(window) as i64;
            post::ActiveModel {
                author_id: Set(author(next(200))),
                body: Set(format!("post {i}")),
                design_id: Set((i % 2 == 0).then(|| first_design + next(500) as i64)),
                like_count: Set(0),
                comment_count: Set(0),
                engagement_score: Set(0.0),
                created_at: Set(now - Duration::seconds(age)),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        post::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let first_post = post::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|p| p.id)
        .min()
        .unwrap_or(1);
    let mut likes = std::collections::HashSet::new();
    while likes.len() < 30_000 {
        likes.insert((author(next(200)), first_post + next(posts as u64) as i64));
    }
    for n in 0..100 {
        likes.insert((viewer_id, first_post + (n * 97 % posts) as i64));
    }
    let like_rows: Vec<like::ActiveModel> = likes
        .into_iter()
        .map(|(user_id, post_id)| like::ActiveModel {
            user_id: Set(user_id),
            target_type: Set(like::LikeTarget::Post),
            target_id: Set(post_id),
            created_at: Set(now - Duration::seconds(next(window) as i64)),
            ..Default::default()
        })
        .collect();
    for chunk in like_rows.chunks(1000) {
        like::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let comments: Vec<comment::ActiveModel> = (0..5000)
        .map(|i| comment::ActiveModel {
            post_id: Set(first_post + next(posts as u64) as i64),
            author_id: Set(author(next(200))),
            body: Set(format!("comment {i}")),
            like_count: Set(0),
            reply_count: Set(0),
            created_at: Set(now - Duration::seconds(next(window) as i64)),
            ..Default::default()
        })
        .collect();
    for chunk in comments.chunks(1000) {
        comment::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let follows: Vec<follow::ActiveModel> = (0..30)
        .map(|i| follow::ActiveModel {
            follower_id: Set(viewer_id),
            followee_id: Set(author(i * 6)),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    follow::Entity::insert_many(follows)
        .exec_without_returning(db)
        .await?;
    // Counters as the API would have kept them.
    for sql in [
        "UPDATE posts SET like_count = (SELECT COUNT(*) FROM likes l WHERE l.target_type = 'POST' AND l.target_id = posts.id)",
        "UPDATE posts SET comment_count = (SELECT COUNT(*) FROM comments c WHERE c.post_id = posts.id)",
    ] {
        vitrine::domain::execute_sql(db, sql, vec![])
            .await
            .map_err(|e| anyhow::anyhow!(e.message()))?;
    }
    Ok(())
}

const HOME_FEED: &str = "query($n: Int!) { homeFeed(first: $n) { edges { node { score reason post { id body likeCount likedByMe
    author { id nickname } design { id style roomType } } } } } }";

const PRODUCT_LIST: &str =
    "query($n: Int!) { products(first: $n) { edges { node { id name price rating inMyWishlist
    store { id name } images { url } shorts(first: 3) { edges { node { id title } } } } } } }";

struct Case {
    name: String,
    statements_per_request: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
}

/// 20 warm-up requests, then `iterations` timed ones, sequentially.
async fn measure(
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    state: &vitrine::state::AppState,
    name: &str,
    body: &Value,
    iterations: usize,
) -> anyhow::Result<Case> {
    for _ in 0..20 {
        http.post(endpoint)
            .bearer_auth(token)
            .json(body)
            .send()
            .await?
            .bytes()
            .await?;
    }
    let before = state.metrics.db_statements.get();
    let mut latencies = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let resp: Value = http
            .post(endpoint)
            .bearer_auth(token)
            .json(body)
            .send()
            .await?
            .json()
            .await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        if resp.get("errors").is_some() {
            anyhow::bail!("{name}: {resp}");
        }
    }
    let statements = (state.metrics.db_statements.get() - before) as f64 / iterations as f64;
    latencies.sort_by(f64::total_cmp);
    Ok(Case {
        name: name.to_owned(),
        statements_per_request: statements,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        mean_ms: latencies.iter().sum::<f64>() / latencies.len() as f64,
    })
}

fn table(cases: &[Case]) -> String {
    let baseline = cases[0].p50_ms;
    let mut out = String::from(
        "| case | SQL statements / request | p50 ms | p99 ms | mean ms | p50 ÷ baseline p50 |\n|---|---|---|---|---|---|\n",
    );
    for c in cases {
        out.push_str(&format!(
            "| {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.1}× |\n",
            c.name,
            c.statements_per_request,
            c.p50_ms,
            c.p99_ms,
            c.mean_ms,
            c.p50_ms / baseline
        ));
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let data_dir = dir.path().join("data").display().to_string();
    let (app, summary) = harness::demo_app(&url, &data_dir).await?;
    let state = app.state.clone();
    let served = harness::serve(app).await?;

    let http = reqwest::Client::new();
    let endpoint = served.endpoint.clone();
    let login: Value = http
        .post(&endpoint)
        .json(&json!({ "query": "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken } }",
                       "variables": { "e": "buyer01@demo.vitrine.dev", "p": vitrine::demo::USER_PASSWORD } }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?
        .to_owned();

    let mut cases = Vec::new();
    for (name, query, vars) in [
        (
            "baseline `{ __typename }`".to_owned(),
            "{ __typename }",
            json!({}),
        ),
        (
            "products(first: 10)".to_owned(),
            PRODUCT_LIST,
            json!({ "n": 10 }),
        ),
        (
            "products(first: 100)".to_owned(),
            PRODUCT_LIST,
            json!({ "n": 100 }),
        ),
    ] {
        let body = json!({ "query": query, "variables": vars });
        cases.push(
            measure(
                &http,
                &endpoint,
                &token,
                &state,
                &name,
                &body,
                args.iterations,
            )
            .await?,
        );
    }

    // The same large operation as full text, by APQ hash and by documentId.
    let (doc_id, entry) = vitrine::protection::contract::embedded()
        .operations
        .iter()
        .find(|(_, e)| e.client == "web" && e.name == "ProductList")
        .ok_or_else(|| anyhow::anyhow!("web/ProductList missing from the manifest"))?;
    let hash = doc_id.trim_start_matches("sha256:");
    let vars = json!({ "first": 20 });
    let persisted_bodies = [
        (
            "full text".to_owned(),
            json!({ "query": entry.document, "variables": vars }),
        ),
        (
            "APQ hash (`extensions.persistedQuery`)".to_owned(),
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }, "variables": vars }),
        ),
        (
            "`documentId`".to_owned(),
            json!({ "documentId": doc_id, "variables": vars }),
        ),
    ];
    let mut persisted = Vec::new();
    for (name, body) in &persisted_bodies {
        let bytes = serde_json::to_vec(body)?.len();
        let case = measure(
            &http,
            &endpoint,
            &token,
            &state,
            name,
            body,
            args.iterations,
        )
        .await?;
        persisted.push((case, bytes));
    }

    // The community feed over a 10,000-post dataset.
    let viewer_id: i64 = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        vitrine::entities::user::Entity::find()
            .filter(vitrine::entities::user::Column::Email.eq("buyer01@demo.vitrine.dev"))
            .one(&state.db)
            .await?
            .map(|u| u.id)
            .ok_or_else(|| anyhow::anyhow!("buyer01 missing"))?
    };
    eprintln!("inserting the feed dataset ({} posts)…", args.posts);
    feed_dataset(&state.db, viewer_id, args.posts).await?;
    let mut feed_cases = Vec::new();
    for (name, vars) in [
        ("baseline `{ __typename }`".to_owned(), None),
        ("homeFeed(first: 10)".to_owned(), Some(json!({ "n": 10 }))),
        ("homeFeed(first: 50)".to_owned(), Some(json!({ "n": 50 }))),
    ] {
        let body = match &vars {
            None => json!({ "query": "{ __typename }" }),
            Some(v) => json!({ "query": HOME_FEED, "variables": v }),
        };
        feed_cases.push(
            measure(
                &http,
                &endpoint,
                &token,
                &state,
                &name,
                &body,
                args.iterations.min(100),
            )
            .await?,
        );
    }

    served.stop().await?;

    let full = &persisted[0];
    let mut pq = format!(
        "# Persisted queries: full text vs hash\n\n`web/ProductList` from the frontend manifest (`products(first: 20)` with store, images, rating, review count, stock and wishlist flag, `__typename` in every selection; {} bytes of text), {} timed requests each after 20 warm-up ones, one sequential client over loopback, same process and run.\n\n| sent as | request body bytes | body ÷ full text | p50 ms | p99 ms | p50 ÷ full text p50 |\n|---|---|---|---|---|---|\n",
        entry.document.len(),
        args.iterations
    );
    for (case, bytes) in &persisted {
        pq.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            case.name,
            bytes,
            *bytes as f64 / full.1 as f64,
            case.p50_ms,
            case.p99_ms,
            case.p50_ms / full.0.p50_ms
        ));
    }
    std::fs::write(&args.persisted_out, &pq)?;
    println!("{pq}");

    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let report = format!(
        "# Product list benchmark\n\n{backend}, demo data ({} products, {} shorts), {} timed requests per case after 20 warm-up, \
         one client, sequential, over HTTP on loopback. Signed in as a buyer (so the viewer is loaded and the wishlist flag is real).\n\n{}",
        summary.products,
        summary.shorts,
        args.iterations,
        table(&cases)
    );
    let feed_report = format!(
        "# Home feed benchmark\n\n{backend}, {} posts by 200 authors over 14 days, 500 designs, 30,000 likes, 5,000 comments; \
         the buyer follows 30 authors and liked 100 posts. {} timed requests per case after 20 warm-up, one client, sequential, \
         over HTTP on loopback. Each item asks score, reason, author, design, like count and the viewer's like flag.\n\n{}",
        args.posts,
        args.iterations.min(100),
        table(&feed_cases)
    );
    println!("{feed_report}");
    if let Some(dir) = args.feed_out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.feed_out, &feed_report)?;
    println!("{report}");
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, report)?;
    eprintln!("written to {}", args.out.display());
    Ok(())
}
