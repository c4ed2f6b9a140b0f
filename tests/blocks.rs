//! Blocking users over HTTP (issue 22), on SQLite and PostgreSQL: a block
//! ends follows both ways and refuses follows, conversations and messages
//! between the pair; every list field that returns user content omits the
//! other side's content, for both users of the pair (a table over the
//! fields in `blocks/world.rs`, so that none is forgotten), and unread
//! badges count only what the lists show; an open `messageReceived`
//! subscription (WebSocket) stops carrying the other side's messages at the
//! block; follows racing a block never outlive it; unblocking restores
//! visibility but not the follows; blocking is idempotent and checks its
//! target.
mod common;
#[path = "blocks/world.rs"]
mod world;

use common::{SignedIn, TestApp, code};
use serde_json::{Value, json};
use world::{assert_visibility, badges, indexed, world};

on_both_databases!(
    blocking_ends_follows_and_refuses_contact,
    a_blocked_pair_sees_none_of_each_others_content,
    blocking_is_idempotent_and_checks_its_target,
    a_block_racing_follows_leaves_no_follow,
    a_block_reaches_an_open_message_subscription,
);

const BLOCK: &str = "mutation($u: ID!) { blockUser(input: { userId: $u }) { user { id } } }";
const UNBLOCK: &str = "mutation($u: ID!) { unblockUser(input: { userId: $u }) { user { id } } }";
const FOLLOW: &str = "mutation($u: ID!) { follow(userId: $u) { id followerCount } }";
const START: &str = "mutation($i: StartConversationInput!) { startConversation(input: $i) { id } }";
const SEND: &str =
    "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }";
const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }";
const COUNTS: &str = "query($u: ID!) { user(id: $u) { followerCount followingCount } }";
const BLOCKED_USERS: &str =
    "{ myBlockedUsers(first: 10) { totalCount edges { node { id nickname } } } }";

async fn ok(app: &TestApp, who: &SignedIn, query: &str, vars: Value) -> Value {
    app.gql_ok(query, vars, Some(&who.access)).await
}

async fn post(app: &TestApp, who: &SignedIn, body: &str) -> String {
    ok(app, who, CREATE_POST, json!({ "i": { "body": body } })).await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn counts(app: &TestApp, user: &SignedIn) -> (i64, i64) {
    let data = app.gql_ok(COUNTS, json!({ "u": user.id }), None).await;
    (
        data["user"]["followerCount"].as_i64().unwrap(),
        data["user"]["followingCount"].as_i64().unwrap(),
    )
}

async fn direct(app: &TestApp, from: &SignedIn, to: &SignedIn) -> Value {
    app.gql(
        START,
        json!({ "i": { "kind": "DIRECT", "memberIds": [to.id] } }),
        Some(&from.access),
    )
    .await
}

async fn blocking_ends_follows_and_refuses_contact(app: TestApp) {
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    ok(&app, &ana, FOLLOW, json!({ "u": ben.id })).await;
    ok(&app, &ben, FOLLOW, json!({ "u": ana.id })).await;
    assert_eq!(counts(&app, &ana).await, (1, 1));
    assert_eq!(counts(&app, &ben).await, (1, 1));
    let conversation = direct(&app, &ana, &ben).await["data"]["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &app,
        &ben,
        SEND,
        json!({ "c": conversation, "b": "hi ana" }),
    )
    .await;
    let presence = "query($u: [ID!]!) { presence(userIds: $u) { userId } }";
    ok(&app, &ana, presence, json!({ "u": [ben.id] })).await;
    let ana_post = post(&app, &ana, "ana's post").await;

    // The block ends both follows, counters included, in one go.
    let blocked = ok(&app, &ana, BLOCK, json!({ "u": ben.id })).await;
    assert_eq!(blocked["blockUser"]["user"]["id"], ben.id.as_str());
    assert_eq!(counts(&app, &ana).await, (0, 0));
    assert_eq!(counts(&app, &ben).await, (0, 0));

    // Neither may follow, start a conversation with, or write to the other.
    for (from, to) in [(&ana, &ben), (&ben, &ana)] {
        let body = app
            .gql(FOLLOW, json!({ "u": to.id }), Some(&from.access))
            .await;
        assert_eq!(code(&body), "BLOCKED", "{body}");
        let body = direct(&app, from, to).await;
        assert_eq!(code(&body), "BLOCKED", "{body}");
        let body = app
            .gql(
                START,
                json!({ "i": { "kind": "GROUP", "memberIds": [to.id], "title": "g" } }),
                Some(&from.access),
            )
            .await;
        assert_eq!(code(&body), "BLOCKED", "{body}");
        let body = app
            .gql(
                SEND,
                json!({ "c": conversation, "b": "still there?" }),
                Some(&from.access),
            )
            .await;
        assert_eq!(code(&body), "BLOCKED", "{body}");
        // Presence either way, though they still share a conversation.
        let body = app
            .gql(presence, json!({ "u": [to.id] }), Some(&from.access))
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
    }
    assert_eq!(counts(&app, &ana).await, (0, 0));

    // What the blocked user still does to the blocker's content notifies no
    // one (mentions do not exist in the API; any notification is gated).
    let like = "mutation($id: ID!) { like(targetType: POST, targetId: $id) { likeCount } }";
    ok(&app, &ben, like, json!({ "id": ana_post })).await;

    // Unblocking lifts the refusals; the follows do not come back.
    ok(&app, &ana, UNBLOCK, json!({ "u": ben.id })).await;
    assert_eq!(counts(&app, &ana).await, (0, 0));
    assert_eq!(counts(&app, &ben).await, (0, 0));
    let notifications = "{ notifications(first: 50) { edges { node { kind actor { id } } } } }";
    let seen = ok(&app, &ana, notifications, json!({})).await;
    let from_ben: Vec<&Value> = seen["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["actor"]["id"] == ben.id.as_str())
        .collect();
    // Ben's FOLLOW and MESSAGE from before the block are back; the LIKE
    // made while blocked was never stored.
    assert!(
        from_ben.iter().all(|e| e["node"]["kind"] != "LIKE"),
        "{seen}"
    );
    assert!(!from_ben.is_empty(), "{seen}");
    ok(&app, &ben, FOLLOW, json!({ "u": ana.id })).await;
    ok(
        &app,
        &ben,
        SEND,
        json!({ "c": conversation, "b": "friends again" }),
    )
    .await;
    ok(&app, &ana, presence, json!({ "u": [ben.id] })).await;
    assert_eq!(counts(&app, &ana).await, (1, 0));
}

/// Follows, unfollows and a block between the same pair, all at once: when
/// the dust settles there is no follow between them, each follow that was
/// refused was refused as `BLOCKED`, and the counters agree with the
/// follows that exist (cat's follow of ana is untouched).
async fn a_block_racing_follows_leaves_no_follow(app: TestApp) {
    const UNFOLLOW: &str = "mutation($u: ID!) { unfollow(userId: $u) { id } }";
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let cat = app.register("cat@example.com", "cat").await;
    ok(&app, &cat, FOLLOW, json!({ "u": ana.id })).await;
    let mut calls = Vec::new();
    for i in 0..24 {
        let (from, to, query) = match i % 4 {
            0 => (&ben, &ana, FOLLOW),
            1 => (&ana, &ben, FOLLOW),
            2 => (&ben, &ana, UNFOLLOW),
            _ => (&ana, &ben, UNFOLLOW),
        };
        calls.push(app.gql(query, json!({ "u": to.id }), Some(&from.access)));
        if i == 12 {
            calls.push(app.gql(BLOCK, json!({ "u": ben.id }), Some(&ana.access)));
        }
    }
    for body in futures::future::join_all(calls).await {
        if !body["errors"].is_null() {
            assert_eq!(code(&body), "BLOCKED", "{body}");
        }
    }
    let list = ok(&app, &ana, BLOCKED_USERS, json!({})).await;
    assert_eq!(list["myBlockedUsers"]["totalCount"], 1);
    assert_eq!(counts(&app, &ana).await, (1, 0));
    assert_eq!(counts(&app, &ben).await, (0, 0));
    let cat_counts = counts(&app, &cat).await;
    assert_eq!(cat_counts, (0, 1));
}

/// Ana watches a group chat over WebSocket (the graphql-ws client); Ben's
/// group messages stop reaching her from the moment she blocks him, though
/// the subscription stays open, and Cat's still do.
async fn a_block_reaches_an_open_message_subscription(app: TestApp) {
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let cat = app.register("cat@example.com", "cat").await;
    let group = ok(
        &app,
        &cat,
        START,
        json!({ "i": { "kind": "GROUP", "memberIds": [ana.id, ben.id], "title": "g" } }),
    )
    .await["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut client = common::realtime::NodeClient::spawn().await;
    client
        .connect("ana", &app.ws_url(), Some(&ana.access))
        .await;
    client
        .subscribe(
            "ana",
            "m",
            "subscription($c: ID!) { messageReceived(conversationId: $c) { body } }",
            json!({ "c": group }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body = |got: Value| got["data"]["messageReceived"]["body"].clone();
    ok(&app, &ben, SEND, json!({ "c": group, "b": "one" })).await;
    assert_eq!(body(client.next("m").await), "one");

    ok(&app, &ana, BLOCK, json!({ "u": ben.id })).await;
    // In a group Ben may still write; Ana does not see it.
    ok(&app, &ben, SEND, json!({ "c": group, "b": "two" })).await;
    ok(&app, &cat, SEND, json!({ "c": group, "b": "three" })).await;
    assert_eq!(body(client.next("m").await), "three");
}

async fn blocking_is_idempotent_and_checks_its_target(app: TestApp) {
    let ana = app.register("ana@example.com", "ana").await;
    let ben = app.register("ben@example.com", "ben").await;
    let body = app.gql(BLOCK, json!({ "u": ben.id }), None).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let body = app
        .gql(BLOCK, json!({ "u": ana.id }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    assert_eq!(body["errors"][0]["extensions"]["field"], "userId");
    let unknown = vitrine::conventions::encode_id("User", 999_999);
    let body = app
        .gql(BLOCK, json!({ "u": unknown.0 }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app
        .gql(UNBLOCK, json!({ "u": unknown.0 }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app
        .gql(BLOCK, json!({ "u": "not-an-id" }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");

    for _ in 0..2 {
        ok(&app, &ana, BLOCK, json!({ "u": ben.id })).await;
    }
    let list = ok(&app, &ana, BLOCKED_USERS, json!({})).await;
    assert_eq!(list["myBlockedUsers"]["totalCount"], 1);
    assert_eq!(
        list["myBlockedUsers"]["edges"][0]["node"]["id"],
        ben.id.as_str()
    );
    // Ben's own list is his blocks only.
    let theirs = ok(&app, &ben, BLOCKED_USERS, json!({})).await;
    assert_eq!(theirs["myBlockedUsers"]["totalCount"], 0);
    for _ in 0..2 {
        ok(&app, &ana, UNBLOCK, json!({ "u": ben.id })).await;
    }
    let list = ok(&app, &ana, BLOCKED_USERS, json!({})).await;
    assert_eq!(list["myBlockedUsers"]["totalCount"], 0);
    assert_eq!(list["myBlockedUsers"]["edges"], json!([]));
}

async fn a_blocked_pair_sees_none_of_each_others_content(app: TestApp) {
    let world = world(&app).await;
    indexed(&app).await;
    // Before: every field shows the other side's content (the table can fail).
    assert_visibility(&app, &world, true).await;
    let mut before = Vec::new();
    for side in [&world.ana, &world.ben] {
        let (count, listed, group) = badges(&app, &world, side).await;
        assert_eq!(count as usize, listed);
        // Ben's "hello group" came after Ana's (sending reads up to one's
        // own message, so Ben has read Ana's).
        let expected = if side.nickname == "anakim" { 1 } else { 0 };
        assert_eq!(group, expected, "{}", side.nickname);
        before.push(count);
    }

    ok(
        &app,
        &world.ana.user,
        BLOCK,
        json!({ "u": world.ben.user.id }),
    )
    .await;
    assert_visibility(&app, &world, false).await;
    // Badges count only what the lists show.
    for (side, before) in [&world.ana, &world.ben].into_iter().zip(before) {
        let (count, listed, group) = badges(&app, &world, side).await;
        assert_eq!(count as usize, listed, "{}", side.nickname);
        assert!(count < before, "{}: {count} of {before}", side.nickname);
        assert_eq!(group, 0, "{}", side.nickname);
    }
    // Nor may they write to each other in the INQUIRY conversation (the
    // inquiry itself stays with the store: it is the order's paper trail).
    for who in [&world.ana.user, &world.ben.user] {
        let body = app
            .gql(
                SEND,
                json!({ "c": world.inquiry, "b": "hello?" }),
                Some(&who.access),
            )
            .await;
        assert_eq!(code(&body), "BLOCKED", "{body}");
    }

    // Later pages skip the blocked side in SQL too: walking cat's top-level
    // comments one at a time (the first page from the batch loader, later
    // ones by cursor) meets cat's and ana's, never ben's.
    let mut authors = Vec::new();
    let mut after = Value::Null;
    for _ in 0..5 {
        let page = ok(
            &app,
            &world.ana.user,
            "query($p: ID!, $a: String) { comments(postId: $p, first: 1, after: $a) { edges { node { author { id } } } pageInfo { hasNextPage endCursor } } }",
            json!({ "p": world.cat_post, "a": after }),
        )
        .await;
        for edge in page["comments"]["edges"].as_array().unwrap() {
            authors.push(edge["node"]["author"]["id"].as_str().unwrap().to_owned());
        }
        if page["comments"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["comments"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(authors, [world.cat.id.clone(), world.ana.user.id.clone()]);

    ok(
        &app,
        &world.ana.user,
        UNBLOCK,
        json!({ "u": world.ben.user.id }),
    )
    .await;
    assert_visibility(&app, &world, true).await;
}
