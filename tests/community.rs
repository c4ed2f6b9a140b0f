//! The interior community over HTTP (COMM-1, COMM-4 … COMM-7, OPS-4), on
//! SQLite and PostgreSQL: uploads, posts, comments, likes, follows, the feed,
//! behaviour tracking, insights, concurrency and query cost.
mod common;

use std::sync::Arc;

use common::{SignedIn, TestApp, code, png};
use serde_json::{Value, json};

on_both_databases!(
    uploads_are_checked_and_served,
    posts_carry_images_and_only_visible_designs,
    comments_are_one_level_deep,
    likes_on_every_target_kind,
    follows_are_counted_and_listed,
    deleting_is_for_authors_and_counts_follow,
    feed_ranking_follows_the_formula,
    feed_pages_are_stable_within_a_session,
    behaviour_batches_are_deduplicated,
    bad_behaviour_batches_store_nothing,
    insights_make_the_style_dna,
    concurrent_likes_keep_counts_exact,
);

const CREATE_DESIGN: &str = "mutation($i: CreateDesignInput!) { createDesign(input: $i) { id style roomType sourceImageUrl visibility generationStatus } }";
const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id body images { url position } design { id } } }";

async fn design(app: &TestApp, user: &SignedIn, title: &str, style: &str, room: &str) -> String {
    app.create_design(
        user,
        json!({ "title": title, "style": style, "roomType": room }),
    )
    .await
}

async fn post(app: &TestApp, user: &SignedIn, text: &str, design_id: Option<&str>) -> String {
    let data = app
        .gql_ok(
            CREATE_POST,
            json!({ "i": { "body": text, "designId": design_id } }),
            Some(&user.access),
        )
        .await;
    data["createPost"]["id"].as_str().unwrap().to_owned()
}

async fn like(app: &TestApp, user: &SignedIn, kind: &str, id: &str) -> Value {
    app.gql_ok(
        "mutation($t: LikeTargetType!, $id: ID!) { like(targetType: $t, targetId: $id) { likeCount liked } }",
        json!({ "t": kind, "id": id }),
        Some(&user.access),
    )
    .await["like"]
        .clone()
}

/// Originals in the upload directory (not the thumbnails and WebP
/// variants a job adds beside them).
fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("uploads"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|f| {
                    let name = f.file_name().to_string_lossy().into_owned();
                    // (and not a variant's temporary file mid-write)
                    !name.starts_with('.')
                        && !name.ends_with("-thumb.webp")
                        && !name.ends_with("-full.webp")
                })
                .count()
        })
        .unwrap_or(0)
}

async fn uploads_are_checked_and_served(app: TestApp) {
    let ana = app.register("ana@example.com", "ana").await;
    let (status, body) = app
        .gql_upload(
            CREATE_DESIGN,
            json!({ "i": { "title": "밝은 거실", "style": "SCANDINAVIAN", "roomType": "LIVING_ROOM", "sourceImage": null } }),
            vec![("variables.i.sourceImage", "living.png", png())],
            Some(&ana.access),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"]["createDesign"];
    assert_eq!(d["style"], "SCANDINAVIAN");
    assert_eq!(d["generationStatus"], "UPLOADED");
    let url = d["sourceImageUrl"].as_str().unwrap();
    assert!(url.starts_with("/files/") && url.ends_with(".png"), "{url}");
    let served = app.http.get(app.url(url)).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().as_ref(), png().as_slice());
    assert_eq!(stored_files(&app), 1);

    // Wrong type (whatever the file name says), and an empty file.
    for (name, bytes) in [
        ("sneaky.png", b"GIF89a\x01\x00\x01\x00".to_vec()),
        ("empty.jpg", Vec::new()),
        ("page.png", b"<svg/>".to_vec()),
    ] {
        let (status, body) = app
            .gql_upload(
                CREATE_DESIGN,
                json!({ "i": { "title": "x", "style": "MODERN", "roomType": "BEDROOM", "sourceImage": null } }),
                vec![("variables.i.sourceImage", name, bytes)],
                Some(&ana.access),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(code(&body), "VALIDATION", "{name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "sourceImage");
    }
    // A valid image with an invalid title: nothing is stored either.
    let (_, body) = app
        .gql_upload(
            CREATE_DESIGN,
            json!({ "i": { "title": "", "style": "MODERN", "roomType": "BEDROOM", "sourceImage": null } }),
            vec![("variables.i.sourceImage", "ok.png", png())],
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    assert_eq!(
        stored_files(&app),
        1,
        "a rejected upload leaves nothing behind"
    );
    let designs = app
        .gql_ok("{ designs { edges { node { id } } } }", json!({}), None)
        .await;
    assert_eq!(designs["designs"]["edges"].as_array().unwrap().len(), 1);
    // Anonymous uploads are refused; unknown files are 404.
    let (_, body) = app
        .gql_upload(
            CREATE_DESIGN,
            json!({ "i": { "title": "x", "style": "MODERN", "roomType": "BEDROOM", "sourceImage": null } }),
            vec![("variables.i.sourceImage", "ok.png", png())],
            None,
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(
        app.http
            .get(app.url("/files/nope.png"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/files/..%2Fjwt-secret"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// Size limits need their own app (a small `VITRINE_UPLOAD_MAX_BYTES`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_refused() {
    let app = TestApp::spawn_with(
        common::Backend::Sqlite,
        &[("VITRINE_UPLOAD_MAX_BYTES", "4096")],
    )
    .await
    .unwrap();
    let bo = app.register("bo@example.com", "bo").await;
    let mut big = png();
    big.resize(5000, 0);
    let (status, body) = app
        .gql_upload(
            CREATE_DESIGN,
            json!({ "i": { "title": "big", "style": "MODERN", "roomType": "BEDROOM", "sourceImage": null } }),
            vec![("variables.i.sourceImage", "big.png", big)],
            Some(&bo.access),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "VALIDATION", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("4096")
    );
    // Far over what any multipart request may carry: 413 from the headers
    // alone, before any of the body is read (only the head is sent here).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\ncontent-type: multipart/form-data; boundary=x\r\ncontent-length: {}\r\n\r\n",
        app.addr,
        100 * 1024 * 1024
    );
    raw.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), raw.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    assert_eq!(stored_files(&app), 0);
}

/// Three members; ana's design and her post about it, with two images.
struct Board {
    ana: SignedIn,
    ben: SignedIn,
    cho: SignedIn,
    design_id: String,
    post_id: String,
    /// The whole `createPost` response.
    created: Value,
}

async fn board(app: &TestApp) -> Board {
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let cho = app.register("cho@example.com", "cho").await;
    let design_id = design(app, &ana, "Japandi bedroom", "JAPANDI", "BEDROOM").await;
    let (_, created) = app
        .gql_upload(
            CREATE_POST,
            json!({ "i": { "body": "새로 꾸민 침실이에요", "designId": design_id, "images": [null, null] } }),
            vec![("variables.i.images.0", "a.png", png()), ("variables.i.images.1", "b.png", png())],
            Some(&ana.access),
        )
        .await;
    let post_id = created["data"]["createPost"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Board {
        ana,
        ben,
        cho,
        design_id,
        post_id,
        created,
    }
}

const ADD_COMMENT: &str = "mutation($p: ID!, $b: String!, $parent: ID) { addComment(postId: $p, body: $b, parentId: $parent) { id } }";

async fn comment(
    app: &TestApp,
    user: &SignedIn,
    post_id: &str,
    body: &str,
    parent: &Value,
) -> Value {
    app.gql_ok(
        ADD_COMMENT,
        json!({ "p": post_id, "b": body, "parent": parent }),
        Some(&user.access),
    )
    .await["addComment"]["id"]
        .clone()
}

/// The board with a thread under the post: ben's comment `c1` with ana's
/// reply, and cho's question (three comments, two top-level). Returns `c1`
/// too.
async fn board_with_thread(app: &TestApp) -> (Board, Value) {
    let b = board(app).await;
    let c1 = comment(app, &b.ben, &b.post_id, "예뻐요!", &Value::Null).await;
    comment(app, &b.ana, &b.post_id, "감사해요", &c1).await;
    comment(
        app,
        &b.cho,
        &b.post_id,
        "조명 정보 알 수 있을까요?",
        &Value::Null,
    )
    .await;
    (b, c1)
}

/// A post carries its images and design; someone else's private design
/// cannot be attached; an empty post is refused.
async fn posts_carry_images_and_only_visible_designs(app: TestApp) {
    let Board {
        ben,
        cho,
        design_id,
        created: body,
        ..
    } = board(&app).await;
    let p = &body["data"]["createPost"];
    assert_eq!(p["images"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(p["design"]["id"], design_id);
    // Someone else's private design cannot be attached.
    let (_, body) = app
        .gql_upload(
            CREATE_DESIGN,
            json!({ "i": { "title": "secret", "style": "MODERN", "roomType": "KITCHEN", "sourceImage": null, "visibility": "PRIVATE" } }),
            vec![("variables.i.sourceImage", "s.png", png())],
            Some(&cho.access),
        )
        .await;
    let private = body["data"]["createDesign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .gql(
            CREATE_POST,
            json!({ "i": { "body": "mine now", "designId": private } }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&refused), "NOT_FOUND");
    assert!(
        app.gql_ok(
            "query($id: ID!) { design(id: $id) { id } }",
            json!({ "id": private }),
            Some(&ben.access)
        )
        .await["design"]
            .is_null()
    );
    assert_eq!(
        code(
            &app.gql(
                CREATE_POST,
                json!({ "i": { "body": "" } }),
                Some(&ben.access)
            )
            .await
        ),
        "VALIDATION"
    );
}

/// Comments one level deep.
async fn comments_are_one_level_deep(app: TestApp) {
    let Board {
        ana,
        ben,
        cho,
        post_id,
        ..
    } = board(&app).await;
    let add = ADD_COMMENT;
    let c1 = comment(&app, &ben, &post_id, "예뻐요!", &Value::Null).await;
    let r1 = comment(&app, &ana, &post_id, "감사해요", &c1).await;
    let deep = app
        .gql(
            add,
            json!({ "p": post_id, "b": "too deep", "parent": r1 }),
            Some(&cho.access),
        )
        .await;
    assert_eq!(code(&deep), "VALIDATION");
    assert_eq!(
        code(
            &app.gql(add, json!({ "p": post_id, "b": " " }), Some(&cho.access))
                .await
        ),
        "VALIDATION"
    );
    comment(
        &app,
        &cho,
        &post_id,
        "조명 정보 알 수 있을까요?",
        &Value::Null,
    )
    .await;
    let thread = app
        .gql_ok(
            "query($id: ID!) { post(id: $id) { commentCount comments { edges { node { body replyCount author { nickname }
                replies { edges { node { body parentId } } } } } } } }",
            json!({ "id": post_id }),
            None,
        )
        .await;
    let t = &thread["post"];
    assert_eq!(t["commentCount"], 3);
    assert_eq!(t["comments"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(t["comments"]["edges"][0]["node"]["replyCount"], 1);
    assert_eq!(
        t["comments"]["edges"][0]["node"]["replies"]["edges"][0]["node"]["parentId"],
        c1
    );
}

/// Likes on every target kind; exact counts; engagement = ln(1 + 2L + 3C).
async fn likes_on_every_target_kind(app: TestApp) {
    let (b, c1) = board_with_thread(&app).await;
    let Board {
        ana,
        ben,
        cho,
        design_id,
        post_id,
        ..
    } = b;
    assert_eq!(
        like(&app, &ben, "POST", &post_id).await,
        json!({ "likeCount": 1, "liked": true })
    );
    assert_eq!(
        like(&app, &ben, "POST", &post_id).await["likeCount"],
        1,
        "liking twice is a no-op"
    );
    like(&app, &cho, "POST", &post_id).await;
    assert_eq!(like(&app, &ben, "DESIGN", &design_id).await["likeCount"], 1);
    assert_eq!(
        like(&app, &ana, "COMMENT", c1.as_str().unwrap()).await["likeCount"],
        1
    );
    let unliked = app
        .gql_ok(
            "mutation($id: ID!) { unlike(targetType: POST, targetId: $id) { likeCount liked } }",
            json!({ "id": post_id }),
            Some(&cho.access),
        )
        .await;
    assert_eq!(unliked["unlike"], json!({ "likeCount": 1, "liked": false }));
    let p = app
        .gql_ok("query($id: ID!) { post(id: $id) { likeCount commentCount engagementScore likedByMe } }", json!({ "id": post_id }), Some(&ben.access))
        .await;
    assert_eq!(p["post"]["likedByMe"], true);
    let expected = (1.0f64 + 2.0 * 1.0 + 3.0 * 3.0).ln();
    assert!(
        (p["post"]["engagementScore"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{p}"
    );
    let wrong_kind = app
        .gql(
            "mutation($id: ID!) { like(targetType: DESIGN, targetId: $id) { likeCount } }",
            json!({ "id": post_id }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(
        code(&wrong_kind),
        "VALIDATION",
        "a post id is not a design id"
    );
}

/// Follows: idempotent, not oneself, listed most recent first, counted.
async fn follows_are_counted_and_listed(app: TestApp) {
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let cho = app.register("cho@example.com", "cho").await;
    let follow = "mutation($u: ID!) { follow(userId: $u) { followerCount followedByMe } }";
    assert_eq!(
        app.gql_ok(follow, json!({ "u": ana.id }), Some(&ben.access))
            .await["follow"],
        json!({ "followerCount": 1, "followedByMe": true })
    );
    assert_eq!(
        app.gql_ok(follow, json!({ "u": ana.id }), Some(&ben.access))
            .await["follow"]["followerCount"],
        1
    );
    app.gql_ok(follow, json!({ "u": ana.id }), Some(&cho.access))
        .await;
    assert_eq!(
        code(
            &app.gql(follow, json!({ "u": ana.id }), Some(&ana.access))
                .await
        ),
        "VALIDATION"
    );
    let lists = app
        .gql_ok(
            "query($u: ID!, $b: ID!) { followers(userId: $u) { totalCount edges { node { nickname } } }
                                      following(userId: $b) { totalCount edges { node { nickname } } } }",
            json!({ "u": ana.id, "b": ben.id }),
            None,
        )
        .await;
    assert_eq!(lists["followers"]["totalCount"], 2);
    assert_eq!(
        lists["followers"]["edges"][0]["node"]["nickname"], "cho",
        "most recent first"
    );
    assert_eq!(lists["following"]["edges"][0]["node"]["nickname"], "ana");
    let after = app
        .gql_ok(
            "mutation($u: ID!) { unfollow(userId: $u) { followerCount } }",
            json!({ "u": ana.id }),
            Some(&cho.access),
        )
        .await;
    assert_eq!(after["unfollow"]["followerCount"], 1);
    let me = app
        .gql_ok("{ me { followingCount } }", json!({}), Some(&ben.access))
        .await;
    assert_eq!(me["me"]["followingCount"], 1);
}

/// Deleting: only the author (or an admin); comment counts follow.
async fn deleting_is_for_authors_and_counts_follow(app: TestApp) {
    let (
        Board {
            ana,
            ben,
            cho,
            post_id,
            ..
        },
        c1,
    ) = board_with_thread(&app).await;
    let del_c = "mutation($id: ID!) { deleteComment(id: $id) }";
    assert_eq!(
        code(&app.gql(del_c, json!({ "id": c1 }), Some(&cho.access)).await),
        "FORBIDDEN"
    );
    app.gql_ok(del_c, json!({ "id": c1 }), Some(&ana.access))
        .await;
    let p = app
        .gql_ok(
            "query($id: ID!) { post(id: $id) { commentCount } }",
            json!({ "id": post_id }),
            None,
        )
        .await;
    assert_eq!(
        p["post"]["commentCount"], 1,
        "the comment and its reply are gone"
    );
    let del_p = "mutation($id: ID!) { deletePost(id: $id) }";
    assert_eq!(
        code(
            &app.gql(del_p, json!({ "id": post_id }), Some(&ben.access))
                .await
        ),
        "FORBIDDEN"
    );
    app.gql_ok(del_p, json!({ "id": post_id }), Some(&ana.access))
        .await;
    assert!(
        app.gql_ok(
            "query($id: ID!) { post(id: $id) { id } }",
            json!({ "id": post_id }),
            None
        )
        .await["post"]
            .is_null()
    );
    assert_eq!(
        code(&like_raw(&app, &ben, "POST", &post_id).await),
        "NOT_FOUND"
    );
}

async fn like_raw(app: &TestApp, user: &SignedIn, kind: &str, id: &str) -> Value {
    app.gql(
        "mutation($t: LikeTargetType!, $id: ID!) { like(targetType: $t, targetId: $id) { likeCount } }",
        json!({ "t": kind, "id": id }),
        Some(&user.access),
    )
    .await
}

const FEED: &str = "query($n: Int, $after: String) { homeFeed(first: $n, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { score reason post { id body author { nickname } likeCount likedByMe design { id } } } } } }";

fn feed_bodies(data: &Value) -> Vec<String> {
    data["homeFeed"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["post"]["body"].as_str().unwrap().to_owned())
        .collect()
}

fn feed_score(data: &Value, body: &str) -> f64 {
    data["homeFeed"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["post"]["body"] == body)
        .map(|e| e["node"]["score"].as_f64().unwrap())
        .unwrap_or_else(|| panic!("{body} not in feed"))
}

/// Scores with default weights (behaviour .4, social .25, trending .2,
/// recency .15), all posts minutes old (decay and recency ≈ 1):
/// seed (liked: style, room and author affinity 1, trending 2/6) ≈ .617,
/// style (same style and room, other author: behaviour 2/3) ≈ .417,
/// followed (social 1) ≈ .40, trending (3 likes: trending 1) ≈ .35,
/// plain ≈ .15.
async fn feed_ranking_follows_the_formula(app: TestApp) {
    let viewer = app.register("viewer@example.com", "viewer").await;
    let followed = app.register("followed@example.com", "followed").await;
    let stylist = app.register("stylist@example.com", "stylist").await;
    let seeder = app.register("seeder@example.com", "seeder").await;
    let hot = app.register("hot@example.com", "hot").await;
    let plain = app.register("plain@example.com", "plain").await;
    let fans: Vec<SignedIn> = {
        let mut v = Vec::new();
        for i in 0..3 {
            v.push(
                app.register(&format!("fan{i}@example.com"), &format!("fan{i}"))
                    .await,
            );
        }
        v
    };
    let minimal_a = design(&app, &seeder, "Minimal living", "MINIMALIST", "LIVING_ROOM").await;
    let minimal_b = design(
        &app,
        &stylist,
        "Another minimal living",
        "MINIMALIST",
        "LIVING_ROOM",
    )
    .await;
    post(&app, &plain, "plain", None).await;
    let trending = post(&app, &hot, "trending", None).await;
    post(&app, &followed, "followed", None).await;
    post(&app, &stylist, "style", Some(&minimal_b)).await;
    let seed = post(&app, &seeder, "seed", Some(&minimal_a)).await;
    for fan in &fans {
        like(&app, fan, "POST", &trending).await;
    }
    app.gql_ok(
        "mutation($u: ID!) { follow(userId: $u) { id } }",
        json!({ "u": followed.id }),
        Some(&viewer.access),
    )
    .await;
    like(&app, &viewer, "POST", &seed).await;

    let data = app
        .gql_ok(FEED, json!({ "n": 10 }), Some(&viewer.access))
        .await;
    assert_eq!(
        feed_bodies(&data),
        ["seed", "style", "followed", "trending", "plain"],
        "{data:#}"
    );
    let reasons: Vec<&str> = data["homeFeed"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["FOR_YOU", "FOR_YOU", "FOLLOWING", "TRENDING", "RECENT"]
    );
    assert!(
        (feed_score(&data, "followed") - 0.40).abs() < 0.001,
        "{data:#}"
    );
    assert!((feed_score(&data, "trending") - 0.35).abs() < 0.001);
    assert!((feed_score(&data, "plain") - 0.15).abs() < 0.001);
    assert_eq!(
        data["homeFeed"]["edges"][0]["node"]["post"]["likedByMe"],
        true
    );

    // Cold start (anonymous, or nobody followed and no signals): trending first.
    let anon = app.gql_ok(FEED, json!({ "n": 10 }), None).await;
    assert_eq!(feed_bodies(&anon)[0], "trending");
    let newcomer = app.register("new@example.com", "newcomer").await;
    assert_eq!(
        feed_bodies(
            &app.gql_ok(FEED, json!({ "n": 10 }), Some(&newcomer.access))
                .await
        )[0],
        "trending"
    );

    // Hiding removes the item and weighs its category (style:MINIMALIST) 20% less.
    let before = feed_score(&data, "seed");
    let style_post = data["homeFeed"]["edges"][1]["node"]["post"]["id"].clone();
    app.gql_ok(
        "mutation($id: ID!) { hideFeedItem(itemType: POST, itemId: $id) }",
        json!({ "id": style_post }),
        Some(&viewer.access),
    )
    .await;
    let after = app
        .gql_ok(FEED, json!({ "n": 10 }), Some(&viewer.access))
        .await;
    assert_eq!(
        feed_bodies(&after),
        ["seed", "followed", "trending", "plain"]
    );
    let ratio = feed_score(&after, "seed") / before;
    assert!(
        (ratio - 0.8).abs() < 0.001,
        "category weight ×0.8, got {ratio}"
    );
    let body = app
        .gql(
            "mutation { hideFeedItem(itemType: POST, itemId: \"UG9zdDo5OTk5\") }",
            json!({}),
            Some(&viewer.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
}

async fn feed_pages_are_stable_within_a_session(app: TestApp) {
    let viewer = app.register("reader@example.com", "reader").await;
    let mut authors = Vec::new();
    for i in 0..5 {
        authors.push(
            app.register(&format!("author{i}@example.com"), &format!("author{i}"))
                .await,
        );
    }
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(post(&app, &authors[i % 5], &format!("post {i}"), None).await);
    }
    app.gql_ok(
        "mutation($u: ID!) { follow(userId: $u) { id } }",
        json!({ "u": authors[2].id }),
        Some(&viewer.access),
    )
    .await;
    let first = app
        .gql_ok(FEED, json!({ "n": 10 }), Some(&viewer.access))
        .await;
    let mut seen = feed_bodies(&first);
    let mut after = first["homeFeed"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    // Between pages: new posts, likes that would reorder everything, a new follow.
    for (i, author) in authors.iter().enumerate() {
        post(&app, author, &format!("late {i}"), None).await;
    }
    for author in &authors {
        for id in ids.iter().skip(20) {
            like(&app, author, "POST", id).await;
        }
    }
    app.gql_ok(
        "mutation($u: ID!) { follow(userId: $u) { id } }",
        json!({ "u": authors[4].id }),
        Some(&viewer.access),
    )
    .await;
    loop {
        let page = app
            .gql_ok(
                FEED,
                json!({ "n": 10, "after": after }),
                Some(&viewer.access),
            )
            .await;
        seen.extend(feed_bodies(&page));
        if !page["homeFeed"]["pageInfo"]["hasNextPage"]
            .as_bool()
            .unwrap()
        {
            break;
        }
        after = page["homeFeed"]["pageInfo"]["endCursor"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 25, "every post of the session once: {seen:?}");
    assert_eq!(unique.len(), 25, "no repeats: {seen:?}");
    assert!(
        seen.iter().all(|b| b.starts_with("post ")),
        "nothing from after the session began"
    );
    // A new session sees the new posts and the new ranking.
    let fresh = app
        .gql_ok(FEED, json!({ "n": 50 }), Some(&viewer.access))
        .await;
    assert_eq!(feed_bodies(&fresh).len(), 30);
    assert_eq!(
        code(
            &app.gql(
                FEED,
                json!({ "n": 10, "after": "garbage" }),
                Some(&viewer.access)
            )
            .await
        ),
        "VALIDATION"
    );
}

/// dana, and maker's two Scandinavian designs, an industrial one and a post
/// about the industrial one.
struct Tracking {
    dana: SignedIn,
    scandi: String,
    scandi2: String,
    post_id: String,
}

async fn tracking(app: &TestApp) -> Tracking {
    let dana = app.register("dana@example.com", "dana").await;
    let maker = app.register("maker@example.com", "maker").await;
    let scandi = design(app, &maker, "Scandi living", "SCANDINAVIAN", "LIVING_ROOM").await;
    let scandi2 = design(app, &maker, "Scandi bedroom", "SCANDINAVIAN", "BEDROOM").await;
    let industrial = design(app, &maker, "Loft kitchen", "INDUSTRIAL", "KITCHEN").await;
    let post_id = post(app, &maker, "loft", Some(&industrial)).await;
    Tracking {
        dana,
        scandi,
        scandi2,
        post_id,
    }
}

const TRACK: &str =
    "mutation($e: [BehaviorEventInput!]!) { trackEvents(events: $e) { accepted duplicates } }";

fn event(id: &str, kind: &str, target_type: &str, target: &str, value: Option<f64>) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    json!({ "clientEventId": id, "type": kind, "targetType": target_type, "targetId": target, "value": value, "occurredAt": now })
}

/// dana viewed and dwelt on `scandi` and saved `scandi2` (sent twice).
fn first_batch(t: &Tracking) -> Vec<Value> {
    vec![
        event("e-1", "VIEW", "DESIGN", &t.scandi, None),
        event("e-2", "DWELL", "DESIGN", &t.scandi, Some(42.0)),
        event("e-3", "SAVE", "DESIGN", &t.scandi2, None),
        event("e-3", "SAVE", "DESIGN", &t.scandi2, None),
    ]
}

/// Behaviour batches are de-duplicated by client event id, also on retry.
async fn behaviour_batches_are_deduplicated(app: TestApp) {
    let t = tracking(&app).await;
    let (dana, post_id) = (&t.dana, &t.post_id);
    let track = TRACK;
    let batch = first_batch(&t);
    let done = app
        .gql_ok(track, json!({ "e": batch }), Some(&dana.access))
        .await;
    assert_eq!(
        done["trackEvents"],
        json!({ "accepted": 3, "duplicates": 1 })
    );
    let mut retry = batch.clone();
    retry.push(event("e-4", "SCROLL_DEPTH", "POST", post_id, Some(70.0)));
    let done = app
        .gql_ok(track, json!({ "e": retry }), Some(&dana.access))
        .await;
    assert_eq!(
        done["trackEvents"],
        json!({ "accepted": 1, "duplicates": 4 }),
        "a retried batch is harmless"
    );
}

/// A batch with one bad event (or too many) is refused whole and stores nothing.
async fn bad_behaviour_batches_store_nothing(app: TestApp) {
    let Tracking {
        dana,
        scandi,
        post_id,
        ..
    } = tracking(&app).await;
    let track = TRACK;
    for (bad, field, needle) in [
        (
            event("b-1", "TELEPORT", "DESIGN", &scandi, None),
            "events[1].type",
            "TELEPORT",
        ),
        (
            event("b-1", "SCROLL_DEPTH", "POST", &post_id, Some(15.0)),
            "events[1].value",
            "10%",
        ),
        (
            event("b-1", "DWELL", "POST", &post_id, None),
            "events[1].value",
            "DWELL",
        ),
        (
            event("", "VIEW", "POST", &post_id, None),
            "events[1].clientEventId",
            "clientEventId",
        ),
        (
            event("b-1", "VIEW", "WORMHOLE", &post_id, None),
            "events[1].targetType",
            "WORMHOLE",
        ),
    ] {
        let body = app
            .gql(
                track,
                json!({ "e": [event("ok-1", "VIEW", "POST", &post_id, None), bad] }),
                Some(&dana.access),
            )
            .await;
        assert_eq!(code(&body), "VALIDATION", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{body}"
        );
    }
    let too_many: Vec<Value> = (0..501)
        .map(|i| event(&format!("m-{i}"), "VIEW", "POST", &post_id, None))
        .collect();
    assert_eq!(
        code(
            &app.gql(track, json!({ "e": too_many }), Some(&dana.access))
                .await
        ),
        "VALIDATION"
    );
    let full: Vec<Value> = (0..500)
        .map(|i| event(&format!("f-{i}"), "CLICK", "POST", &post_id, None))
        .collect();
    assert_eq!(
        app.gql_ok(track, json!({ "e": full }), Some(&dana.access))
            .await["trackEvents"]["accepted"],
        500
    );
    // Nothing from the refused batches was stored (ok-1 is new).
    let again = app
        .gql_ok(
            track,
            json!({ "e": [event("ok-1", "VIEW", "POST", &post_id, None)] }),
            Some(&dana.access),
        )
        .await;
    assert_eq!(again["trackEvents"]["accepted"], 1);
}

/// Insights: likes and saves make the style DNA.
async fn insights_make_the_style_dna(app: TestApp) {
    let t = tracking(&app).await;
    app.gql_ok(TRACK, json!({ "e": first_batch(&t) }), Some(&t.dana.access))
        .await;
    let Tracking {
        dana,
        scandi,
        post_id,
        ..
    } = t;
    like(&app, &dana, "DESIGN", &scandi).await;
    like(&app, &dana, "POST", &post_id).await;
    let insights = app
        .gql_ok(
            "{ myInsights { confidence designsConsidered styleDna { style share } suggestedActions { kind message style roomType } } }",
            json!({}),
            Some(&dana.access),
        )
        .await;
    let i = &insights["myInsights"];
    assert_eq!(i["designsConsidered"], 3);
    let dna = i["styleDna"].as_array().unwrap();
    assert_eq!(dna[0]["style"], "SCANDINAVIAN");
    assert!((dna[0]["share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let sum: f64 = dna.iter().map(|s| s["share"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-9, "shares sum to 1: {sum}");
    let confidence = i["confidence"].as_f64().unwrap();
    assert!(confidence > 0.0 && confidence < 1.0);
    let kinds: Vec<&str> = i["suggestedActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"LIKE_MORE_DESIGNS") && kinds.contains(&"FOLLOW_CREATORS"),
        "{kinds:?}"
    );
    let follow_action = i["suggestedActions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "FOLLOW_CREATORS")
        .unwrap();
    assert_eq!(follow_action["style"], "SCANDINAVIAN");
    assert!(
        follow_action["message"]
            .as_str()
            .unwrap()
            .contains("SCANDINAVIAN")
    );
    // Someone with no signals gets zero confidence and an empty DNA.
    let blank = app.register("blank@example.com", "blank").await;
    let b = app
        .gql_ok(
            "{ myInsights { confidence styleDna { share } } }",
            json!({}),
            Some(&blank.access),
        )
        .await;
    assert_eq!(
        b["myInsights"],
        json!({ "confidence": 0.0, "styleDna": [] })
    );
    assert_eq!(
        code(
            &app.gql("{ myInsights { confidence } }", json!({}), None)
                .await
        ),
        "UNAUTHENTICATED"
    );
}

async fn concurrent_likes_keep_counts_exact(app: TestApp) {
    let author = app.register("star@example.com", "star").await;
    let post_id = post(&app, &author, "popular", None).await;
    let mut users = Vec::new();
    for i in 0..100 {
        users.push(
            app.register(&format!("liker{i}@example.com"), &format!("liker{i}"))
                .await,
        );
    }
    let app = Arc::new(app);
    // Everyone likes at once, twice over; then every other user unlikes at once.
    let likes = users.iter().cycle().take(200).cloned().map(|u| {
        let app = app.clone();
        let id = post_id.clone();
        tokio::spawn(async move { like_raw(&app, &u, "POST", &id).await })
    });
    for r in futures::future::join_all(likes).await {
        assert!(r.unwrap()["errors"].is_null());
    }
    let unlikes = users.iter().step_by(2).cloned().map(|u| {
        let app = app.clone();
        let id = post_id.clone();
        tokio::spawn(async move {
            app.gql(
                "mutation($id: ID!) { unlike(targetType: POST, targetId: $id) { likeCount } }",
                json!({ "id": id }),
                Some(&u.access),
            )
            .await
        })
    });
    for r in futures::future::join_all(unlikes).await {
        assert!(r.unwrap()["errors"].is_null());
    }
    let count = app
        .gql_ok(
            "query($id: ID!) { post(id: $id) { likeCount engagementScore } }",
            json!({ "id": post_id }),
            None,
        )
        .await;
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM likes WHERE target_type = 'POST'",
        ))
        .await
        .unwrap()
        .unwrap();
    let rows: i64 = row.try_get("", "n").unwrap();
    assert_eq!(rows, 50);
    assert_eq!(count["post"]["likeCount"], 50);
    assert!((count["post"]["engagementScore"].as_f64().unwrap() - 101f64.ln()).abs() < 1e-9);
}

/// `homeFeed(first: 50)` with author, design, like count and the viewer's
/// like flag costs the same number of statements as `first: 10`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_feed_cost_does_not_grow_with_page_size() {
    for backend in [common::Backend::Sqlite, common::Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        let viewer = app.register("feeder@example.com", "feeder").await;
        let mut authors = Vec::new();
        for i in 0..6 {
            authors.push(
                app.register(&format!("w{i}@example.com"), &format!("writer{i}"))
                    .await,
            );
        }
        let d = design(&app, &authors[0], "Shared", "MODERN", "KITCHEN").await;
        for i in 0..60 {
            let id = post(
                &app,
                &authors[i % 6],
                &format!("p{i}"),
                if i % 3 == 0 { Some(d.as_str()) } else { None },
            )
            .await;
            if i % 4 == 0 {
                like(&app, &viewer, "POST", &id).await;
            }
        }
        app.gql_ok(
            "mutation($u: ID!) { follow(userId: $u) { id } }",
            json!({ "u": authors[1].id }),
            Some(&viewer.access),
        )
        .await;
        let mut costs = Vec::new();
        for n in [10, 50] {
            let before = app.metric("db_statements_total").await;
            let data = app
                .gql_ok(FEED, json!({ "n": n }), Some(&viewer.access))
                .await;
            costs.push(app.metric("db_statements_total").await - before);
            assert_eq!(
                data["homeFeed"]["edges"].as_array().unwrap().len(),
                n as usize
            );
        }
        assert_eq!(
            costs[0], costs[1],
            "{backend:?}: statements for 10 and 50 items: {costs:?}"
        );
        assert!(costs[0] <= 16.0, "{backend:?}: {costs:?}");
    }
}
