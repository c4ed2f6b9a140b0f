//! Community safety over HTTP (issue 22), on SQLite and PostgreSQL: reports
//! of every target kind, the admins' queue, and what DISMISS, HIDE_CONTENT and
//! SUSPEND_USER do to feeds, search, comments, chat, reads and accounts.
mod common;
#[path = "moderation/support.rs"]
mod support;

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{ME, PASSWORD, TestApp, code, reason};
use serde_json::{Value, json};
use support::*;

on_both_databases!(
    every_target_kind_can_be_reported,
    only_admins_see_and_resolve_reports,
    hiding_a_post_removes_it_from_feed_search_and_reads,
    hiding_comments_messages_and_reviews,
    hiding_designs_and_shorts,
    dismissing_keeps_the_content,
    suspending_cuts_the_author_off,
    bad_reports_are_refused,
);

async fn every_target_kind_can_be_reported(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let post_id = post(&app, &ana, "my living room").await;
    let comment_id = comment(&app, &ana, &post_id, "thanks all").await;
    let design_id = app
        .create_design(
            &ana,
            json!({ "title": "Calm", "style": "MODERN", "roomType": "LIVING_ROOM" }),
        )
        .await;
    let (_, short_id, review_id) = shop_content(&app, &admin, &ana).await;
    let (_, message_id) = message(&app, &ana, &ben, "buy my followers").await;

    let targets = [
        ("POST", post_id.clone()),
        ("COMMENT", comment_id),
        ("DESIGN", design_id),
        ("SHORT", short_id),
        ("REVIEW", review_id),
        ("USER", ana.id.clone()),
        ("MESSAGE", message_id),
    ];
    let mut filed = Vec::new();
    for (kind, id) in &targets {
        let r = report_ok(&app, &ben, kind, id).await;
        assert_eq!(r["targetKind"], *kind);
        assert_eq!(r["targetId"], id.as_str());
        assert_eq!(r["status"], "OPEN");
        assert_eq!(r["reason"], "SPAM");
        assert_eq!(r["note"], "see this");
        assert!(r["action"].is_null());
        assert_eq!(r["reporter"]["id"], ben.id.as_str());
        assert_eq!(r["targetReportCount"], 1);
        filed.push(r["id"].as_str().unwrap().to_owned());
    }
    // A second reporter of the post: both reports count it.
    let cara = app.register("cara@example.com", "cara").await;
    let again = report_ok(&app, &cara, "POST", &post_id).await;
    assert_eq!(again["targetReportCount"], 2);
    filed.push(again["id"].as_str().unwrap().to_owned());

    // The queue: oldest first, paged, with the authors and the counts.
    let open = queue(&app, &admin, "OPEN").await;
    let ids: Vec<&str> = open.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, filed.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(open[0]["targetReportCount"], 2);
    assert_eq!(open[0]["targetAuthor"]["id"], ana.id.as_str());
    assert_eq!(open[5]["targetAuthor"]["id"], ana.id.as_str());
    let page = app
        .gql_ok(QUEUE, json!({ "s": "OPEN", "n": 3 }), Some(&admin.access))
        .await;
    assert_eq!(page["reports"]["pageInfo"]["hasNextPage"], true);
    let next = app
        .gql_ok(
            QUEUE,
            json!({ "s": "OPEN", "n": 100, "after": page["reports"]["pageInfo"]["endCursor"] }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(next["reports"]["edges"].as_array().unwrap().len(), 5);
    assert_eq!(next["reports"]["edges"][0]["node"]["id"], filed[3].as_str());
    // OPEN is the default status.
    let default = app
        .gql_ok(
            "{ reports(first: 100) { edges { node { id } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(default["reports"]["edges"].as_array().unwrap().len(), 8);
    assert!(queue(&app, &admin, "RESOLVED").await.is_empty());
}

async fn only_admins_see_and_resolve_reports(app: TestApp) {
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let seller = app.user_with_role("SELLER").await;
    let post_id = post(&app, &ana, "hello").await;
    let filed = report_ok(&app, &ben, "POST", &post_id).await;
    let id = filed["id"].as_str().unwrap();
    for who in [&ana, &ben, &seller] {
        let body = app
            .gql(QUEUE, json!({ "s": "OPEN" }), Some(&who.access))
            .await;
        assert_eq!(code(&body), "FORBIDDEN");
        assert_eq!(code(&resolve(&app, who, id, "DISMISS").await), "FORBIDDEN");
    }
    let anonymous = app.gql(QUEUE, json!({}), None).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let anonymous = app
        .gql(
            REPORT,
            json!({ "i": { "target": "POST", "targetId": post_id, "reason": "SPAM" } }),
            None,
        )
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    // Nothing changed.
    let admin = app.user_with_role("ADMIN").await;
    assert_eq!(queue(&app, &admin, "OPEN").await.len(), 1);
}

async fn hiding_a_post_removes_it_from_feed_search_and_reads(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let cara = app.register("cara@example.com", "cara").await;
    let bad = post(&app, &ana, "zanzibar scam giveaway").await;
    let good = post(&app, &ana, "zanzibar sunset living room").await;
    within(Duration::from_secs(2), "both posts searchable", || async {
        search_hits(&app, &ben, "zanzibar").await.len() == 2
    })
    .await;
    assert!(feed_ids(&app, &ben).await.contains(&bad));

    let by_ben = report_ok(&app, &ben, "POST", &bad).await;
    let by_cara = report_ok(&app, &cara, "POST", &bad).await;
    let other = report_ok(&app, &ben, "POST", &good).await;
    let hidden = resolve(&app, &admin, by_ben["id"].as_str().unwrap(), "HIDE_CONTENT").await;
    let r = &hidden["data"]["resolveReport"]["report"];
    assert_eq!(r["status"], "RESOLVED", "{hidden}");
    assert_eq!(r["action"], "HIDE_CONTENT");
    assert_eq!(r["resolutionNote"], "checked");
    assert_eq!(r["resolvedBy"]["id"], admin.id.as_str());
    assert!(r["resolvedAt"].is_string());
    // At once: out of the feed; within a second: out of search (the index
    // follows the event bus). Gone by id, to its author too; admins still read it.
    assert!(!feed_ids(&app, &ben).await.contains(&bad));
    within(
        Duration::from_secs(1),
        "hidden post out of search",
        || async { search_hits(&app, &ben, "zanzibar").await == vec![good.clone()] },
    )
    .await;
    for who in [&ben, &ana] {
        let seen = app
            .gql_ok(POST_BY_ID, json!({ "id": bad }), Some(&who.access))
            .await;
        assert!(seen["post"].is_null());
    }
    let anon = app.gql_ok(POST_BY_ID, json!({ "id": bad }), None).await;
    assert!(anon["post"].is_null());
    let seen = app
        .gql_ok(POST_BY_ID, json!({ "id": bad }), Some(&admin.access))
        .await;
    assert_eq!(seen["post"]["id"], bad.as_str());
    let listed = app
        .gql_ok(
            "query($u: ID!) { posts(userId: $u, first: 10) { edges { node { id } } } }",
            json!({ "u": ana.id }),
            None,
        )
        .await;
    assert_eq!(listed["posts"]["edges"].as_array().unwrap().len(), 1);
    // No comments or likes on it any more.
    let body = app
        .gql(
            ADD_COMMENT,
            json!({ "p": bad, "b": "hi" }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");

    // Cara's report on the same post was resolved with it; the other stays open.
    let resolved = queue(&app, &admin, "RESOLVED").await;
    let mut ids: Vec<&str> = resolved.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![
        by_ben["id"].as_str().unwrap(),
        by_cara["id"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(resolved.iter().all(|r| r["action"] == "HIDE_CONTENT"));
    let open = queue(&app, &admin, "OPEN").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], other["id"]);
    // Closed is closed.
    let again = resolve(&app, &admin, by_cara["id"].as_str().unwrap(), "DISMISS").await;
    assert_eq!(code(&again), "CONFLICT");

    // Both reporters hear the outcome; the author hears of the hiding.
    for who in [&ben, &cara] {
        let got = notifications(&app, who).await;
        let outcome = got
            .iter()
            .find(|(k, _)| k == "REPORT_RESOLVED")
            .unwrap_or_else(|| panic!("no REPORT_RESOLVED in {got:?}"));
        assert_eq!(outcome.1["action"], "HIDE_CONTENT");
        assert_eq!(outcome.1["targetId"], bad.as_str());
    }
    let got = notifications(&app, &ana).await;
    let notice = got
        .iter()
        .find(|(k, _)| k == "CONTENT_HIDDEN")
        .unwrap_or_else(|| panic!("no CONTENT_HIDDEN in {got:?}"));
    assert_eq!(notice.1["targetKind"], "POST");
    assert_eq!(notice.1["targetId"], bad.as_str());
    // Hidden content cannot be reported again.
    let body = report(&app, &cara, "POST", &bad, "SPAM").await;
    assert_eq!(code(&body), "NOT_FOUND");
}

async fn hiding_comments_messages_and_reviews(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let post_id = post(&app, &ben, "my kitchen").await;
    let rude = comment(&app, &ana, &post_id, "ugly kitchen").await;
    let kind = comment(&app, &ana, &post_id, "nice tiles").await;
    // A reply under the rude comment goes with it.
    app.gql_ok(
        "mutation($p: ID!, $r: ID!) { addComment(postId: $p, body: \"agreed\", parentId: $r) { id } }",
        json!({ "p": post_id, "r": rude }),
        Some(&ana.access),
    )
    .await;
    let comments = "query($p: ID!) { post(id: $p) { commentCount comments(first: 10) { edges { node { id } } } } }";
    let seen = app.gql_ok(comments, json!({ "p": post_id }), None).await;
    assert_eq!(seen["post"]["commentCount"], 3);

    let filed = report_ok(&app, &ben, "COMMENT", &rude).await;
    let done = resolve(&app, &admin, filed["id"].as_str().unwrap(), "HIDE_CONTENT").await;
    assert_eq!(
        done["data"]["resolveReport"]["report"]["status"], "RESOLVED",
        "{done}"
    );
    let seen = app.gql_ok(comments, json!({ "p": post_id }), None).await;
    let ids: Vec<&str> = seen["post"]["comments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![kind.as_str()]);
    // A hidden comment (with its reply) no longer counts, as a deleted one.
    assert_eq!(seen["post"]["commentCount"], 1);
    let top = app
        .gql_ok(
            "query($p: ID!) { comments(postId: $p, first: 10) { edges { node { id } } } }",
            json!({ "p": post_id }),
            None,
        )
        .await;
    assert_eq!(top["comments"]["edges"].as_array().unwrap().len(), 1);
    // Its author cannot delete it (it already left the counts).
    let body = app
        .gql(
            "mutation($id: ID!) { deleteComment(id: $id) }",
            json!({ "id": rude }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");

    // A message, reported by the other member.
    let (conv, spam) = message(&app, &ana, &ben, "cheap followers here").await;
    let fine = app
        .gql_ok(SEND, json!({ "c": conv, "b": "sorry" }), Some(&ana.access))
        .await["sendMessage"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let filed = report_ok(&app, &ben, "MESSAGE", &spam).await;
    resolve(&app, &admin, filed["id"].as_str().unwrap(), "HIDE_CONTENT").await;
    let history =
        "query($c: ID!) { messages(conversationId: $c, first: 10) { edges { node { id } } } }";
    for who in [&ana, &ben] {
        let seen = app
            .gql_ok(history, json!({ "c": conv }), Some(&who.access))
            .await;
        let ids: Vec<&str> = seen["messages"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![fine.as_str()]);
    }
    // Ben has not read the conversation: only the visible message is unread.
    let unread = app
        .gql_ok(
            "{ myConversations(first: 5) { edges { node { unreadCount lastMessage { id } } } } }",
            json!({}),
            Some(&ben.access),
        )
        .await;
    let conv_node = &unread["myConversations"]["edges"][0]["node"];
    assert_eq!(conv_node["unreadCount"], 1, "{unread}");
    assert_eq!(conv_node["lastMessage"]["id"], fine.as_str());

    // A review: out of the product's reviews and of its rating.
    let (product, _, review) = shop_content(&app, &admin, &ana).await;
    let filed = report_ok(&app, &ben, "REVIEW", &review).await;
    resolve(&app, &admin, filed["id"].as_str().unwrap(), "HIDE_CONTENT").await;
    let seen = app
        .gql_ok(
            "query($p: ID!) { product(id: $p) { reviewCount reviews(first: 5) { edges { node { id } } } } reviews(productId: $p, first: 5) { edges { node { id } } } }",
            json!({ "p": product }),
            None,
        )
        .await;
    assert_eq!(seen["product"]["reviewCount"], 0);
    assert!(
        seen["product"]["reviews"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(seen["reviews"]["edges"].as_array().unwrap().is_empty());
}

async fn hiding_designs_and_shorts(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let design = app
        .create_design(
            &ana,
            json!({ "title": "Quokka lounge", "style": "MODERN", "roomType": "LIVING_ROOM" }),
        )
        .await;
    let (product, short, _) = shop_content(&app, &admin, &ana).await;
    within(
        Duration::from_secs(2),
        "design and short searchable",
        || async {
            design_short_hits(&app, &ben, "quokka").await.0 == vec![design.clone()]
                && design_short_hits(&app, &ben, "snow").await.1 == vec![short.clone()]
        },
    )
    .await;
    const LISTS: &str = "query($p: ID!) { designs(first: 50) { edges { node { id } } }
        shortsFeed(first: 50) { edges { node { id } } }
        shorts(productId: $p, first: 10) { edges { node { id } } } }";
    let lists = app
        .gql_ok(LISTS, json!({ "p": product }), Some(&ben.access))
        .await;
    assert!(node_ids(&lists, &["designs"]).contains(&design));
    assert_eq!(node_ids(&lists, &["shortsFeed"]), vec![short.clone()]);
    assert_eq!(node_ids(&lists, &["shorts"]), vec![short.clone()]);

    for (kind, id) in [("DESIGN", &design), ("SHORT", &short)] {
        let filed = report_ok(&app, &ben, kind, id).await;
        let done = resolve(&app, &admin, filed["id"].as_str().unwrap(), "HIDE_CONTENT").await;
        assert_eq!(
            done["data"]["resolveReport"]["report"]["status"], "RESOLVED",
            "{done}"
        );
    }
    // At once out of the lists and the ranked shorts feed; within a
    // second out of search.
    for who in [&ben, &ana] {
        let lists = app
            .gql_ok(LISTS, json!({ "p": product }), Some(&who.access))
            .await;
        assert!(!node_ids(&lists, &["designs"]).contains(&design));
        assert!(node_ids(&lists, &["shortsFeed"]).is_empty());
        assert!(node_ids(&lists, &["shorts"]).is_empty());
    }
    within(
        Duration::from_secs(1),
        "hidden design and short out of search",
        || async {
            design_short_hits(&app, &ben, "quokka").await.0.is_empty()
                && design_short_hits(&app, &ben, "snow").await.1.is_empty()
        },
    )
    .await;
    // Gone by id to everyone but admins, its owner included.
    const DESIGN_BY_ID: &str = "query($id: ID!) { design(id: $id) { id } }";
    for who in [&ben, &ana] {
        let seen = app
            .gql_ok(DESIGN_BY_ID, json!({ "id": design }), Some(&who.access))
            .await;
        assert!(seen["design"].is_null(), "{seen}");
    }
    let seen = app
        .gql_ok(DESIGN_BY_ID, json!({ "id": design }), Some(&admin.access))
        .await;
    assert_eq!(seen["design"]["id"], design.as_str());
    // Nobody can like what is hidden; ana heard of her design (the short
    // is the seller's).
    let like = app
        .gql(
            "mutation($id: ID!) { like(targetType: DESIGN, targetId: $id) { liked } }",
            json!({ "id": design }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&like), "NOT_FOUND", "{like}");
    let got = notifications(&app, &ana).await;
    let kinds: Vec<&Value> = got
        .iter()
        .filter(|(k, _)| k == "CONTENT_HIDDEN")
        .map(|(_, d)| &d["targetKind"])
        .collect();
    assert_eq!(kinds.len(), 1, "{got:?}");
}

async fn dismissing_keeps_the_content(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let cara = app.register("cara@example.com", "cara").await;
    let post_id = post(&app, &ana, "a perfectly fine sofa").await;
    let by_ben = report_ok(&app, &ben, "POST", &post_id).await;
    let by_cara = report_ok(&app, &cara, "POST", &post_id).await;
    let done = resolve(&app, &admin, by_ben["id"].as_str().unwrap(), "DISMISS").await;
    let r = &done["data"]["resolveReport"]["report"];
    assert_eq!(r["status"], "DISMISSED", "{done}");
    assert_eq!(r["action"], "DISMISS");
    assert_eq!(r["targetReportCount"], 2);
    // The post stays; only ben's report closed.
    let seen = app.gql_ok(POST_BY_ID, json!({ "id": post_id }), None).await;
    assert_eq!(seen["post"]["id"], post_id.as_str());
    let open = queue(&app, &admin, "OPEN").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], by_cara["id"]);
    assert_eq!(queue(&app, &admin, "DISMISSED").await.len(), 1);
    let got = notifications(&app, &ben).await;
    let outcome = got.iter().find(|(k, _)| k == "REPORT_RESOLVED").unwrap();
    assert_eq!(outcome.1["action"], "DISMISS");
    assert!(notifications(&app, &cara).await.is_empty());
    assert!(
        !notifications(&app, &ana)
            .await
            .iter()
            .any(|(k, _)| k == "CONTENT_HIDDEN")
    );
    // Once closed, ben may report it again.
    report_ok(&app, &ben, "POST", &post_id).await;
}

async fn suspending_cuts_the_author_off(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let post_id = post(&app, &ana, "follow me for free money").await;
    app.gql_ok(ME, json!({}), Some(&ana.access)).await;
    let filed = report_ok(&app, &ben, "POST", &post_id).await;
    let on_user = report_ok(&app, &ben, "USER", &ana.id).await;
    let done = resolve(&app, &admin, filed["id"].as_str().unwrap(), "SUSPEND_USER").await;
    let r = &done["data"]["resolveReport"]["report"];
    assert_eq!(r["status"], "RESOLVED", "{done}");
    assert_eq!(r["action"], "SUSPEND_USER");
    // Her token stops working at once and she cannot sign in again.
    let me = app.gql(ME, json!({}), Some(&ana.access)).await;
    assert_eq!(code(&me), "UNAUTHENTICATED");
    assert_eq!(reason(&me), "SESSION_REVOKED");
    let login = app.login("ana@example.com", PASSWORD, "new").await;
    assert_eq!(code(&login), "ACCOUNT_DISABLED");
    let status = app
        .gql_ok(
            "query($id: ID!) { user(id: $id) { status statusReason } }",
            json!({ "id": ana.id }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(status["user"]["status"], "KICKED");
    // Nothing of hers is hidden by it.
    let seen = app.gql_ok(POST_BY_ID, json!({ "id": post_id }), None).await;
    assert_eq!(seen["post"]["id"], post_id.as_str());
    // The report on her account is still open (another target); resolving
    // it by suspension again leaves her suspended.
    let again = resolve(
        &app,
        &admin,
        on_user["id"].as_str().unwrap(),
        "SUSPEND_USER",
    )
    .await;
    assert_eq!(
        again["data"]["resolveReport"]["report"]["status"], "RESOLVED",
        "{again}"
    );
    let got = notifications(&app, &ben).await;
    assert_eq!(
        got.iter().filter(|(k, _)| k == "REPORT_RESOLVED").count(),
        2,
        "{got:?}"
    );
    // An account cannot be hidden, and admins cannot be suspended.
    let dan = app.register("dan@example.com", "dan").await;
    let on_dan = report_ok(&app, &ben, "USER", &dan.id).await;
    let body = resolve(&app, &admin, on_dan["id"].as_str().unwrap(), "HIDE_CONTENT").await;
    assert_eq!(code(&body), "VALIDATION");
    let other_admin = app.user_with_role("ADMIN").await;
    let admin_post = post(&app, &other_admin, "announcement").await;
    let on_admin = report_ok(&app, &ben, "POST", &admin_post).await;
    let body = resolve(
        &app,
        &admin,
        on_admin["id"].as_str().unwrap(),
        "SUSPEND_USER",
    )
    .await;
    assert_eq!(code(&body), "FORBIDDEN");
    // A refused resolution changes nothing.
    assert_eq!(queue(&app, &admin, "OPEN").await.len(), 2);
}

async fn bad_reports_are_refused(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let eve = app.register("eve@example.com", "eve").await;
    let post_id = post(&app, &ana, "hello").await;

    // One open report per reporter and target.
    report_ok(&app, &ben, "POST", &post_id).await;
    assert_eq!(
        code(&report(&app, &ben, "POST", &post_id, "HATE").await),
        "CONFLICT"
    );
    // Not one's own content or account.
    assert_eq!(
        code(&report(&app, &ana, "POST", &post_id, "SPAM").await),
        "VALIDATION"
    );
    assert_eq!(
        code(&report(&app, &ana, "USER", &ana.id, "SPAM").await),
        "VALIDATION"
    );
    // Unknown, mistyped and malformed ids.
    let ghost = URL_SAFE_NO_PAD.encode("Post:999999");
    assert_eq!(
        code(&report(&app, &ben, "POST", &ghost, "SPAM").await),
        "NOT_FOUND"
    );
    for (kind, missing) in [
        ("COMMENT", "Comment:999999"),
        ("DESIGN", "Design:999999"),
        ("SHORT", "Short:999999"),
        ("REVIEW", "Review:999999"),
        ("USER", "User:999999"),
        ("MESSAGE", "Message:999999"),
    ] {
        let id = URL_SAFE_NO_PAD.encode(missing);
        assert_eq!(
            code(&report(&app, &ben, kind, &id, "SPAM").await),
            "NOT_FOUND",
            "{kind}"
        );
    }
    assert_eq!(
        code(&report(&app, &ben, "POST", &ana.id, "SPAM").await),
        "VALIDATION"
    );
    assert_eq!(
        code(&report(&app, &ben, "POST", "bogus", "SPAM").await),
        "VALIDATION"
    );
    let body = app
        .gql(
            REPORT,
            json!({ "i": { "target": "POST", "targetId": post_id, "reason": "RUDE" } }),
            Some(&eve.access),
        )
        .await;
    assert!(body["errors"].is_array(), "{body}");
    let body = app
        .gql(
            REPORT,
            json!({ "i": { "target": "POST", "targetId": post_id, "reason": "OTHER", "note": "n".repeat(1001) } }),
            Some(&eve.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    // Only what the reporter can read: a message of a conversation eve is
    // not in, a private design of someone else.
    let (_, msg) = message(&app, &ana, &ben, "hi ben").await;
    assert_eq!(
        code(&report(&app, &eve, "MESSAGE", &msg, "SPAM").await),
        "NOT_FOUND"
    );
    let private = app
        .create_design(
            &ana,
            json!({ "title": "Mine", "style": "MODERN", "roomType": "BEDROOM", "visibility": "PRIVATE" }),
        )
        .await;
    assert_eq!(
        code(&report(&app, &eve, "DESIGN", &private, "SPAM").await),
        "NOT_FOUND"
    );
    // Resolving: unknown and malformed report ids.
    let ghost = URL_SAFE_NO_PAD.encode("Report:999999");
    assert_eq!(
        code(&resolve(&app, &admin, &ghost, "DISMISS").await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(&resolve(&app, &admin, &post_id, "DISMISS").await),
        "VALIDATION"
    );
    // A resolution note over 1,000 characters; the report stays open.
    let open = queue(&app, &admin, "OPEN").await;
    let long = app
        .gql(
            RESOLVE,
            json!({ "i": { "id": open[0]["id"], "action": "DISMISS", "note": "n".repeat(1001) } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&long), "VALIDATION");
    assert_eq!(queue(&app, &admin, "OPEN").await.len(), open.len());
    // Page sizes and cursors of the queue.
    for (n, after) in [(0, None), (101, None), (10, Some("bogus"))] {
        let body = app
            .gql(
                QUEUE,
                json!({ "s": "OPEN", "n": n, "after": after }),
                Some(&admin.access),
            )
            .await;
        assert_eq!(code(&body), "VALIDATION", "first {n}, after {after:?}");
    }
    // Reports are rate-limited per reporter (30 an hour).
    let mut refused = None;
    for n in 0..40 {
        let p = post(&app, &ana, &format!("post {n}")).await;
        let body = report(&app, &eve, "POST", &p, "SPAM").await;
        if !body["errors"].is_null() {
            refused = Some(body);
            break;
        }
    }
    let refused = refused.expect("reports are rate-limited");
    assert_eq!(code(&refused), "COOLDOWN");
}
