//! Real time (RT-1 … RT-7) over the real `/graphql/ws` endpoint, driven by
//! the `graphql-ws` client library (npm, pinned in
//! tests/realtime-client/package-lock.json) and, for protocol violations no
//! real client sends, by a raw WebSocket. Every scenario runs on SQLite with
//! the in-process bus and on PostgreSQL with Redis pub/sub.
mod common;

use std::time::Duration;

use common::{
    Backend, SignedIn, TestApp, code,
    realtime::{
        NodeClient, TcpProxy, comment_in_background, raw_close_code, raw_next, raw_send, raw_socket,
    },
};
use futures::SinkExt;
use serde_json::{Value, json};

const NOTIFICATIONS: &str = "subscription($after: String) { notificationReceived(after: $after) { id cursor kind subjectType subjectId data actor { id nickname } } }";
const FOLLOW: &str = "mutation($u: ID!) { follow(userId: $u) { id } }";
const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }";
const COMMENT: &str = "mutation($p: ID!, $b: String!) { addComment(postId: $p, body: $b) { id } }";
const LIKE: &str =
    "mutation($t: LikeTargetType!, $id: ID!) { like(targetType: $t, targetId: $id) { likeCount } }";
const START_DIRECT: &str = "mutation($u: ID!) { startConversation(input: { kind: DIRECT, memberIds: [$u] }) { id kind members { id } } }";
const SEND: &str =
    "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id body } }";

/// Runs a test on SQLite (in-process pub/sub) and on PostgreSQL with Redis.
macro_rules! on_both_stacks {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = TestApp::spawn(Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres_redis() {
                    if let Some(app) = TestApp::spawn_with_redis(Backend::Postgres, &[]).await {
                        super::$name(app).await;
                    }
                }
            }
        )+
    };
}

on_both_stacks!(
    notifications_arrive_live_and_are_listed,
    replay_after_disconnect_has_no_gap_and_no_duplicate,
    device_sync_reaches_the_other_devices_only,
    one_direct_conversation_per_pair,
    messages_reach_members_only,
    conversations_list_history_and_read_markers,
    group_messages_notify_the_others,
    store_inquiries_get_one_conversation,
    typing_is_ephemeral_and_expires,
    presence_follows_sockets,
    misuse_of_the_protocol_closes_with_its_code,
    slow_and_forged_connections_are_closed,
    kicks_expiry_and_logout_close_sockets,
    the_subscription_cap_refuses_the_extra_one,
    keep_alive_pings_and_the_legacy_subprotocol,
    unauthorised_subscriptions_are_refused,
    job_progress_reaches_its_owner_only,
);

async fn user(app: &TestApp, name: &str) -> SignedIn {
    app.register(
        &format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple()),
        name,
    )
    .await
}

async fn post(app: &TestApp, author: &SignedIn) -> String {
    app.gql_ok(
        CREATE_POST,
        json!({ "i": { "body": "우리집 거실 living room" } }),
        Some(&author.access),
    )
    .await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn comment(app: &TestApp, who: &SignedIn, post_id: &str, body: &str) {
    app.gql_ok(
        COMMENT,
        json!({ "p": post_id, "b": body }),
        Some(&who.access),
    )
    .await;
}

async fn unread(app: &TestApp, who: &SignedIn) -> i64 {
    app.gql_ok("{ unreadNotificationCount }", json!({}), Some(&who.access))
        .await["unreadNotificationCount"]
        .as_i64()
        .unwrap()
}

fn notification(next: &Value) -> &Value {
    assert!(next.get("errors").is_none(), "errors: {next:#}");
    &next["data"]["notificationReceived"]
}

async fn notifications_arrive_live_and_are_listed(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let mut client = NodeClient::spawn().await;
    client
        .connect("ana", &app.ws_url(), Some(&ana.access))
        .await;
    client.subscribe("ana", "n", NOTIFICATIONS, json!({})).await;
    // The subscription is live once the server holds it; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;

    app.gql_ok(FOLLOW, json!({ "u": ana.id }), Some(&ben.access))
        .await;
    let next = client.next("n").await;
    let n = notification(&next);
    assert_eq!(n["kind"], "FOLLOW");
    assert_eq!(n["actor"]["id"], ben.id.as_str());
    assert_eq!(n["subjectType"], "User");

    let post_id = post(&app, &ana).await;
    app.gql_ok(
        LIKE,
        json!({ "t": "POST", "id": post_id }),
        Some(&ben.access),
    )
    .await;
    let next = client.next("n").await;
    assert_eq!(notification(&next)["kind"], "LIKE");
    assert_eq!(notification(&next)["subjectId"], post_id.as_str());
    // Liking one's own post notifies nobody; a repeated like neither.
    app.gql_ok(
        LIKE,
        json!({ "t": "POST", "id": post_id }),
        Some(&ana.access),
    )
    .await;
    app.gql_ok(
        LIKE,
        json!({ "t": "POST", "id": post_id }),
        Some(&ben.access),
    )
    .await;
    comment(&app, &ben, &post_id, "멋져요 nice").await;
    let next = client.next("n").await;
    assert_eq!(notification(&next)["kind"], "COMMENT");
    assert_eq!(notification(&next)["data"]["excerpt"], "멋져요 nice");
    client.assert_quiet("n", Duration::from_millis(500)).await;

    assert_eq!(unread(&app, &ana).await, 3);
    let listed = app
        .gql_ok(
            "{ notifications(first: 2) { edges { node { kind read } } pageInfo { hasNextPage } } }",
            json!({}),
            Some(&ana.access),
        )
        .await;
    let kinds: Vec<&str> = listed["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["COMMENT", "LIKE"]);
    assert_eq!(listed["notifications"]["pageInfo"]["hasNextPage"], true);
    // Nobody else sees them.
    assert_eq!(unread(&app, &ben).await, 0);
}

async fn replay_after_disconnect_has_no_gap_and_no_duplicate(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let post_id = post(&app, &ana).await;
    let mut client = NodeClient::spawn().await;
    client.connect("a1", &app.ws_url(), Some(&ana.access)).await;
    client.subscribe("a1", "n1", NOTIFICATIONS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    comment(&app, &ben, &post_id, "first").await;
    let first = client.next("n1").await;
    let cursor = notification(&first)["cursor"].as_str().unwrap().to_owned();

    // Offline: three notifications are stored while nobody listens.
    client.send(json!({ "op": "dispose", "conn": "a1" })).await;
    client.closed("a1").await;
    for body in ["second", "third", "fourth"] {
        comment(&app, &ben, &post_id, body).await;
    }

    // Reconnect after the cursor, while more notifications keep coming.
    client.connect("a2", &app.ws_url(), Some(&ana.access)).await;
    let writer =
        comment_in_background(app.url("/graphql"), ben.access.clone(), post_id.clone(), 20);
    client
        .subscribe("a2", "n2", NOTIFICATIONS, json!({ "after": cursor }))
        .await;
    writer.await.unwrap();
    // The offline ones come first, in order; nothing twice, nothing missing.
    client
        .assert_replayed("n2", &["second", "third", "fourth"], 20)
        .await;
}

async fn device_sync_reaches_the_other_devices_only(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let post_id = post(&app, &ana).await;
    for body in ["a", "b", "c"] {
        comment(&app, &ben, &post_id, body).await;
    }
    let ids: Vec<String> = app
        .gql_ok(
            "{ notifications { edges { node { id } } } }",
            json!({}),
            Some(&ana.access),
        )
        .await["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);

    let sync = "subscription($d: String!) { deviceSync(deviceId: $d) { kind deviceId notificationIds all unreadNotificationCount } }";
    let mut client = NodeClient::spawn().await;
    for device in ["phone", "tablet", "laptop"] {
        client
            .connect(device, &app.ws_url(), Some(&ana.access))
            .await;
        client
            .subscribe(device, device, sync, json!({ "d": device }))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mark = "mutation($ids: [ID!], $all: Boolean, $d: String!) { markNotificationsRead(ids: $ids, all: $all, deviceId: $d) { updated unreadCount } }";
    let done = app
        .gql_ok(
            mark,
            json!({ "ids": [ids[0]], "d": "phone" }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(done["markNotificationsRead"]["updated"], 1);
    assert_eq!(done["markNotificationsRead"]["unreadCount"], 2);
    for device in ["tablet", "laptop"] {
        let event = client.next(device).await["data"]["deviceSync"].clone();
        assert_eq!(event["kind"], "NOTIFICATIONS_READ");
        assert_eq!(event["deviceId"], "phone");
        assert_eq!(event["notificationIds"], json!([ids[0]]));
        assert_eq!(event["unreadNotificationCount"], 2);
    }
    client
        .assert_quiet("phone", Duration::from_millis(500))
        .await;

    // "Read all" from the tablet: one event on each other device.
    let done = app
        .gql_ok(
            mark,
            json!({ "all": true, "d": "tablet" }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(done["markNotificationsRead"]["updated"], 2);
    for device in ["phone", "laptop"] {
        let event = client.next(device).await["data"]["deviceSync"].clone();
        assert_eq!(event["all"], true);
        assert_eq!(event["unreadNotificationCount"], 0);
    }
    client
        .assert_quiet("tablet", Duration::from_millis(300))
        .await;
    client
        .assert_quiet("phone", Duration::from_millis(300))
        .await;
    client
        .assert_quiet("laptop", Duration::from_millis(300))
        .await;
    assert_eq!(unread(&app, &ana).await, 0);

    // Bad input is refused with a code; someone else's ids are not found.
    let body = app
        .gql(mark, json!({ "d": "phone" }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let body = app
        .gql(
            mark,
            json!({ "ids": [ids[0]], "d": "x" }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
}

/// Ana's direct conversation with ben; eve is not in it.
struct Chat {
    ana: SignedIn,
    ben: SignedIn,
    eve: SignedIn,
    conv: String,
}

async fn chat(app: &TestApp) -> Chat {
    let ana = user(app, "ana").await;
    let ben = user(app, "ben").await;
    let eve = user(app, "eve").await;
    let started = app
        .gql_ok(START_DIRECT, json!({ "u": ben.id }), Some(&ana.access))
        .await;
    let conv = started["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Chat {
        ana,
        ben,
        eve,
        conv,
    }
}

const CHAT_TEXTS: [&str; 3] = ["안녕 hello", "두번째", "third"];

async fn send_chat_texts(app: &TestApp, c: &Chat) {
    for text in CHAT_TEXTS {
        app.gql_ok(SEND, json!({ "c": c.conv, "b": text }), Some(&c.ana.access))
            .await;
    }
}

const HISTORY: &str = "query($c: ID!, $before: String) { messages(conversationId: $c, first: 2, before: $before) { edges { cursor node { body } } pageInfo { hasNextPage } } }";

/// A pair has one direct conversation, whoever starts it, also when starts race.
async fn one_direct_conversation_per_pair(app: TestApp) {
    let Chat { ana, ben, conv, .. } = chat(&app).await;
    let started = app
        .gql_ok(START_DIRECT, json!({ "u": ben.id }), Some(&ana.access))
        .await;
    assert_eq!(started["startConversation"]["id"], conv.as_str());
    assert_eq!(started["startConversation"]["kind"], "DIRECT");
    // The pair has one direct conversation, whoever starts it.
    let again = app
        .gql_ok(START_DIRECT, json!({ "u": ana.id }), Some(&ben.access))
        .await;
    assert_eq!(again["startConversation"]["id"], conv.as_str());
    // Racing starts between a new pair end in one conversation.
    let cat = user(&app, "cat").await;
    let races = (0..10).map(|i| {
        let (start, other) = if i % 2 == 0 {
            (&cat, &ben)
        } else {
            (&ben, &cat)
        };
        app.gql(START_DIRECT, json!({ "u": other.id }), Some(&start.access))
    });
    let ids: std::collections::HashSet<String> = futures::future::join_all(races)
        .await
        .iter()
        .map(|b| {
            b["data"]["startConversation"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{b}"))
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1);
}

/// Members receive messages live; outsiders can neither subscribe, read nor write.
async fn messages_reach_members_only(app: TestApp) {
    let c = chat(&app).await;
    let Chat {
        ana,
        ben,
        eve,
        conv,
    } = &c;
    let mut client = NodeClient::spawn().await;
    client
        .connect("ben", &app.ws_url(), Some(&ben.access))
        .await;
    client
        .subscribe(
            "ben",
            "m",
            "subscription($c: ID!) { messageReceived(conversationId: $c) { id body sender { id } } }",
            json!({ "c": conv }),
        )
        .await;
    client
        .connect("eve", &app.ws_url(), Some(&eve.access))
        .await;
    client
        .subscribe(
            "eve",
            "spy",
            "subscription($c: ID!) { messageReceived(conversationId: $c) { id body } }",
            json!({ "c": conv }),
        )
        .await;
    let refused = client.next("spy").await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "NOT_FOUND");
    tokio::time::sleep(Duration::from_millis(300)).await;

    send_chat_texts(&app, &c).await;
    let got = client.next("m").await;
    assert_eq!(got["data"]["messageReceived"]["body"], "안녕 hello");
    assert_eq!(
        got["data"]["messageReceived"]["sender"]["id"],
        ana.id.as_str()
    );

    // Outsiders can neither read nor write.
    let body = app
        .gql(HISTORY, json!({ "c": conv }), Some(&eve.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app
        .gql(SEND, json!({ "c": conv, "b": "hi" }), Some(&eve.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    client.assert_quiet("spy", Duration::from_millis(300)).await;
    let body = app
        .gql(SEND, json!({ "c": conv, "b": "   " }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
}

/// Conversation lists with unread counts, history newest first, and read
/// markers that clear the conversation's MESSAGE notifications.
async fn conversations_list_history_and_read_markers(app: TestApp) {
    let c = chat(&app).await;
    send_chat_texts(&app, &c).await;
    let Chat { ana, ben, conv, .. } = &c;
    let mine = "{ myConversations { edges { node { id unreadCount lastMessage { body } members { id } } } } }";
    let list = app.gql_ok(mine, json!({}), Some(&ben.access)).await;
    let node = &list["myConversations"]["edges"][0]["node"];
    assert_eq!(node["unreadCount"], 3);
    assert_eq!(node["lastMessage"]["body"], "third");
    assert_eq!(node["members"].as_array().unwrap().len(), 2);
    let list = app.gql_ok(mine, json!({}), Some(&ana.access)).await;
    assert_eq!(
        list["myConversations"]["edges"][0]["node"]["unreadCount"],
        0
    );

    // History newest first, continued with `before`.
    let page = app
        .gql_ok(HISTORY, json!({ "c": conv }), Some(&ben.access))
        .await;
    let bodies: Vec<&str> = page["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["third", "두번째"]);
    assert_eq!(page["messages"]["pageInfo"]["hasNextPage"], true);
    let cursor = page["messages"]["edges"][1]["cursor"].clone();
    let older = app
        .gql_ok(
            HISTORY,
            json!({ "c": conv, "before": cursor }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(older["messages"]["edges"][0]["node"]["body"], "안녕 hello");
    assert_eq!(older["messages"]["pageInfo"]["hasNextPage"], false);

    // Reading the conversation clears its unread count and its MESSAGE
    // notifications.
    assert_eq!(unread(&app, ben).await, 3);
    let read = app
        .gql_ok(
            "mutation($c: ID!) { markConversationRead(conversationId: $c, deviceId: \"web\") { unreadCount } }",
            json!({ "c": conv }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(read["markConversationRead"]["unreadCount"], 0);
    assert_eq!(unread(&app, ben).await, 0);
}

/// A group of three; a message notifies the two others.
async fn group_messages_notify_the_others(app: TestApp) {
    let Chat { ana, ben, eve, .. } = chat(&app).await;
    let group = app
        .gql_ok(
            "mutation($m: [ID!]!) { startConversation(input: { kind: GROUP, memberIds: $m, title: \"거실 꾸미기\" }) { id title members { id } } }",
            json!({ "m": [ben.id, eve.id] }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(
        group["startConversation"]["members"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let gid = group["startConversation"]["id"].clone();
    app.gql_ok(
        SEND,
        json!({ "c": gid, "b": "group hi" }),
        Some(&ana.access),
    )
    .await;
    assert_eq!(unread(&app, &ben).await, 1);
    assert_eq!(unread(&app, &eve).await, 1);
}

/// A store inquiry gets one conversation between the buyer and the store.
async fn store_inquiries_get_one_conversation(app: TestApp) {
    let Chat { ben, eve, .. } = chat(&app).await;
    let admin = app.user_with_role("ADMIN").await;
    let seller = user(&app, "seller").await;
    let store = app
        .gql_ok(
            "mutation($i: ApplyForStoreInput!) { applyForStore(input: $i) { id } }",
            json!({ "i": { "name": format!("Shop {}", uuid::Uuid::new_v4().simple()), "licenseNumber": "12345678", "description": "brand" } }),
            Some(&seller.access),
        )
        .await["applyForStore"]["id"]
        .clone();
    app.gql_ok(
        "mutation($id: ID!) { reviewStore(id: $id, decision: APPROVE) { status } }",
        json!({ "id": store }),
        Some(&admin.access),
    )
    .await;
    // Store approval is a notification for the owner.
    assert_eq!(unread(&app, &seller).await, 1);
    let inquiry = app
        .gql_ok(
            "mutation($i: AskInquiryInput!) { askInquiry(input: $i) { id } }",
            json!({ "i": { "storeId": store, "subject": "배송", "body": "언제 와요?" } }),
            Some(&ben.access),
        )
        .await["askInquiry"]["id"]
        .clone();
    let start_inquiry = "mutation($q: ID!) { startConversation(input: { kind: INQUIRY, inquiryId: $q }) { id kind inquiryId members { id } } }";
    let by_buyer = app
        .gql_ok(start_inquiry, json!({ "q": inquiry }), Some(&ben.access))
        .await;
    let by_seller = app
        .gql_ok(start_inquiry, json!({ "q": inquiry }), Some(&seller.access))
        .await;
    assert_eq!(
        by_buyer["startConversation"]["id"],
        by_seller["startConversation"]["id"]
    );
    assert_eq!(by_buyer["startConversation"]["inquiryId"], inquiry);
    let body = app
        .gql(start_inquiry, json!({ "q": inquiry }), Some(&eve.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    // Answering the inquiry notifies the buyer.
    let before = unread(&app, &ben).await;
    app.gql_ok(
        "mutation($id: ID!) { answerInquiry(id: $id, answer: \"내일 도착합니다\") { status } }",
        json!({ "id": inquiry }),
        Some(&seller.access),
    )
    .await;
    assert_eq!(unread(&app, &ben).await, before + 1);
}

async fn typing_is_ephemeral_and_expires(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let eve = user(&app, "eve").await;
    let conv = app
        .gql_ok(START_DIRECT, json!({ "u": ben.id }), Some(&ana.access))
        .await["startConversation"]["id"]
        .clone();
    let typing_sub =
        "subscription($c: ID!) { typing(conversationId: $c) { userId typing user { nickname } } }";
    let mut client = NodeClient::spawn().await;
    client
        .connect("ben", &app.ws_url(), Some(&ben.access))
        .await;
    client
        .subscribe("ben", "t", typing_sub, json!({ "c": conv }))
        .await;
    client
        .connect("ana", &app.ws_url(), Some(&ana.access))
        .await;
    client
        .subscribe("ana", "own", typing_sub, json!({ "c": conv }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let set = "mutation($c: ID!, $t: Boolean!) { setTyping(conversationId: $c, typing: $t) }";
    app.gql_ok(set, json!({ "c": conv, "t": true }), Some(&ana.access))
        .await;
    let started = tokio::time::Instant::now();
    let event = client.next("t").await["data"]["typing"].clone();
    assert_eq!(event["typing"], true);
    assert_eq!(event["userId"], ana.id.as_str());
    assert_eq!(event["user"]["nickname"], "ana");
    // No refresh: it lapses after 5 s.
    let event = client.next("t").await["data"]["typing"].clone();
    assert_eq!(event["typing"], false);
    let lapsed = started.elapsed();
    assert!(
        lapsed >= Duration::from_millis(4500) && lapsed < Duration::from_secs(8),
        "{lapsed:?}"
    );
    // An explicit stop is delivered at once.
    app.gql_ok(set, json!({ "c": conv, "t": true }), Some(&ana.access))
        .await;
    assert_eq!(client.next("t").await["data"]["typing"]["typing"], true);
    app.gql_ok(set, json!({ "c": conv, "t": false }), Some(&ana.access))
        .await;
    assert_eq!(client.next("t").await["data"]["typing"]["typing"], false);
    // Nobody hears their own typing; outsiders cannot type.
    client.assert_quiet("own", Duration::from_millis(300)).await;
    let body = app
        .gql(set, json!({ "c": conv, "t": true }), Some(&eve.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
}

async fn presence_follows_sockets(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let eve = user(&app, "eve").await;
    app.gql_ok(FOLLOW, json!({ "u": ben.id }), Some(&ana.access))
        .await;
    // With Redis, a second instance shares presence: Ben connects to one,
    // Ana watches on the other.
    let other = match app.vars.contains_key("REDIS_URL") {
        true => Some(app.sibling(&[]).await),
        false => None,
    };
    let watch_on = other.as_ref().unwrap_or(&app);
    let presence_q = "query($u: [ID!]!) { presence(userIds: $u) { userId online } }";
    let now = app
        .gql_ok(presence_q, json!({ "u": [ben.id] }), Some(&ana.access))
        .await;
    assert_eq!(now["presence"][0]["online"], false);

    let mut client = NodeClient::spawn().await;
    client
        .connect("ana", &watch_on.ws_url(), Some(&ana.access))
        .await;
    client
        .subscribe(
            "ana",
            "p",
            "subscription($u: [ID!]!) { presenceChanged(userIds: $u) { userId online user { nickname } } }",
            json!({ "u": [ben.id] }),
        )
        .await;
    let initial = client.next("p").await["data"]["presenceChanged"].clone();
    assert_eq!(initial["online"], false);

    client
        .connect("ben1", &app.ws_url(), Some(&ben.access))
        .await;
    let online = client.next("p").await["data"]["presenceChanged"].clone();
    assert_eq!(online["online"], true);
    assert_eq!(online["user"]["nickname"], "ben");
    let seen = watch_on
        .gql_ok(presence_q, json!({ "u": [ben.id] }), Some(&ana.access))
        .await;
    assert_eq!(seen["presence"][0]["online"], true);

    // A second socket changes nothing; closing one of two neither.
    client
        .connect("ben2", &app.ws_url(), Some(&ben.access))
        .await;
    client
        .send(json!({ "op": "dispose", "conn": "ben1" }))
        .await;
    client.closed("ben1").await;
    client.assert_quiet("p", Duration::from_millis(500)).await;
    // The last one going offline is announced.
    client
        .send(json!({ "op": "terminate", "conn": "ben2" }))
        .await;
    let offline = client.next("p").await["data"]["presenceChanged"].clone();
    assert_eq!(offline["online"], false);

    // Strangers' presence is not visible.
    let body = app
        .gql(presence_q, json!({ "u": [ben.id] }), Some(&eve.access))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
}

/// Protocol misuse closes the socket with its code (4400, 4401, 4429, 4409).
async fn misuse_of_the_protocol_closes_with_its_code(app: TestApp) {
    let ana = user(&app, "ana").await;
    let url = app.ws_url();

    // 4400: not a protocol message.
    let mut raw = raw_socket(&url, "graphql-transport-ws").await;
    raw.send(tokio_tungstenite::tungstenite::Message::Text(
        "not json".into(),
    ))
    .await
    .unwrap();
    assert_eq!(raw_close_code(&mut raw).await.0, 4400);

    // 4401: subscribe before the connection is acknowledged.
    let mut raw = raw_socket(&url, "graphql-transport-ws").await;
    raw_send(
        &mut raw,
        json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ __typename }" } }),
    )
    .await;
    assert_eq!(raw_close_code(&mut raw).await.0, 4401);

    // 4429: a second connection_init.
    let mut raw = raw_socket(&url, "graphql-transport-ws").await;
    raw_send(&mut raw, json!({ "type": "connection_init" })).await;
    assert_eq!(raw_next(&mut raw).await.unwrap()["type"], "connection_ack");
    raw_send(&mut raw, json!({ "type": "connection_init" })).await;
    assert_eq!(raw_close_code(&mut raw).await.0, 4429);

    // 4409: a second operation with a live id.
    let mut raw = raw_socket(&url, "graphql-transport-ws").await;
    raw_send(
        &mut raw,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", ana.access) } }),
    )
    .await;
    assert_eq!(raw_next(&mut raw).await.unwrap()["type"], "connection_ack");
    let sub = json!({ "type": "subscribe", "id": "dup", "payload": { "query": "subscription { notificationReceived { id } }" } });
    raw_send(&mut raw, sub.clone()).await;
    raw_send(&mut raw, sub).await;
    let (code_, reason) = raw_close_code(&mut raw).await;
    assert_eq!(code_, 4409, "{reason}");
}

/// 4408 for a client too slow to initialise, 4403 for a forged token.
async fn slow_and_forged_connections_are_closed(app: TestApp) {
    let url = app.ws_url();
    // 4408: no connection_init within 3 s (a graphql-ws client that takes 4 s
    // to produce its connection params).
    let mut client = NodeClient::spawn().await;
    client
        .send(json!({ "op": "connect", "conn": "slow", "url": url, "initDelayMs": 4000 }))
        .await;
    assert_eq!(client.closed("slow").await.0, 4408);

    // 4403: a forged token.
    client
        .send(json!({ "op": "connect", "conn": "forged", "url": url, "token": "not-a-jwt" }))
        .await;
    assert_eq!(client.closed("forged").await.0, 4403);
}

/// 4403 when the user is kicked, the access token runs out, or the session
/// logs out.
async fn kicks_expiry_and_logout_close_sockets(app: TestApp) {
    let ana = user(&app, "ana").await;
    let url = app.ws_url();
    let mut client = NodeClient::spawn().await;
    // 4403: a kick while connected.
    let victim = user(&app, "victim").await;
    client.connect("victim", &url, Some(&victim.access)).await;
    let admin = app.user_with_role("ADMIN").await;
    app.gql_ok(
        "mutation($id: ID!) { kickUser(id: $id, reason: \"spam\") { id } }",
        json!({ "id": victim.id }),
        Some(&admin.access),
    )
    .await;
    let (code_, reason) = client.closed("victim").await;
    assert_eq!(code_, 4403);
    assert!(reason.contains("kicked"), "{reason}");
    // The access token running out closes the socket too.
    let short = app.sibling(&[("VITRINE_ACCESS_TOKEN_TTL", "2s")]).await;
    let login = short
        .login(&victim_email(&app).await, common::PASSWORD, "w")
        .await;
    let brief = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    client.connect("brief", &short.ws_url(), Some(&brief)).await;
    let started = tokio::time::Instant::now();
    let (code_, reason) = client.closed("brief").await;
    assert_eq!(code_, 4403);
    assert!(reason.contains("expired"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(4));
    // Logging out closes that session's sockets.
    client.connect("ana", &url, Some(&ana.access)).await;
    app.gql_ok("mutation { logout }", json!({}), Some(&ana.access))
        .await;
    assert_eq!(client.closed("ana").await.0, 4403);
}

/// The per-socket subscription cap refuses the extra one with a code.
async fn the_subscription_cap_refuses_the_extra_one(app: TestApp) {
    let mut client = NodeClient::spawn().await;
    let capped = app.sibling(&[("VITRINE_WS_MAX_SUBSCRIPTIONS", "2")]).await;
    let bob = user(&app, "bob").await;
    client
        .connect("bob", &capped.ws_url(), Some(&bob.access))
        .await;
    for sub in ["c1", "c2", "c3"] {
        client
            .subscribe(
                "bob",
                sub,
                "subscription { notificationReceived { id } }",
                json!({}),
            )
            .await;
    }
    let refused = client
        .expect(|e| e["event"] == "error" && e["sub"] == "c3")
        .await;
    assert_eq!(
        refused["error"]["errors"][0]["extensions"]["code"],
        "SUBSCRIPTION_LIMIT"
    );
}

/// Server keep-alive pings, and the legacy subprotocol end to end.
async fn keep_alive_pings_and_the_legacy_subprotocol(app: TestApp) {
    let url = app.ws_url();
    let bob = user(&app, "bob").await;
    let pinging = app.sibling(&[("VITRINE_WS_PING_INTERVAL", "1s")]).await;
    let mut raw = raw_socket(&pinging.ws_url(), "graphql-transport-ws").await;
    raw_send(&mut raw, json!({ "type": "connection_init" })).await;
    let ping = loop {
        let msg = tokio::time::timeout(Duration::from_secs(3), futures::StreamExt::next(&mut raw))
            .await
            .expect("a ping within 3 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == "ping" {
                break v;
            }
        }
    };
    assert_eq!(ping["type"], "ping");

    let mut legacy = raw_socket(&url, "graphql-ws").await;
    let cat = user(&app, "cat").await;
    raw_send(
        &mut legacy,
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", cat.access) } }),
    )
    .await;
    assert_eq!(
        raw_next(&mut legacy).await.unwrap()["type"],
        "connection_ack"
    );
    raw_send(
        &mut legacy,
        json!({ "type": "start", "id": "L1", "payload": { "query": "subscription { notificationReceived { kind } }" } }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.gql_ok(FOLLOW, json!({ "u": cat.id }), Some(&bob.access))
        .await;
    let data = raw_next(&mut legacy).await.unwrap();
    assert_eq!(data["type"], "data");
    assert_eq!(data["id"], "L1");
    assert_eq!(
        data["payload"]["data"]["notificationReceived"]["kind"],
        "FOLLOW"
    );
    raw_send(&mut legacy, json!({ "type": "connection_terminate" })).await;
}

async fn unauthorised_subscriptions_are_refused(app: TestApp) {
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let mut client = NodeClient::spawn().await;
    // Anonymous sockets are accepted, but personal subscriptions are not.
    client.connect("anon", &app.ws_url(), None).await;
    client
        .subscribe(
            "anon",
            "n",
            "subscription { notificationReceived { id } }",
            json!({}),
        )
        .await;
    let refused = client.next("n").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "n")
        .await;
    // Ben may not watch Ana's presence (no follow, no conversation).
    client
        .connect("ben", &app.ws_url(), Some(&ben.access))
        .await;
    client
        .subscribe(
            "ben",
            "p",
            "subscription($u: [ID!]!) { presenceChanged(userIds: $u) { online } }",
            json!({ "u": [ana.id] }),
        )
        .await;
    assert_eq!(
        client.next("p").await["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    // Invalid documents end with an `error` message.
    client
        .subscribe("ben", "bad", "subscription { nope }", json!({}))
        .await;
    let error = client
        .expect(|e| e["event"] == "error" && e["sub"] == "bad")
        .await;
    assert_eq!(
        error["error"]["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
}

async fn job_progress_reaches_its_owner_only(app: TestApp) {
    use vitrine::realtime::{JobProgress, JobState};
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let ana_id = app
        .gql_ok("{ me { id } }", json!({}), Some(&ana.access))
        .await;
    let _ = ana_id;
    let ana_row = user_row_id(&app, &ana).await;
    let q =
        "subscription($j: ID!) { jobProgress(jobId: $j) { jobId kind state progress message } }";
    let mut client = NodeClient::spawn().await;
    client
        .connect("ana", &app.ws_url(), Some(&ana.access))
        .await;
    client
        .subscribe("ana", "j", q, json!({ "j": "job-1" }))
        .await;
    client
        .connect("ben", &app.ws_url(), Some(&ben.access))
        .await;
    client
        .subscribe("ben", "spy", q, json!({ "j": "job-1" }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (step, state) in [
        (0.5, JobState::Running),
        (1.0, JobState::Succeeded),
        (1.0, JobState::Running),
    ] {
        app.state
            .realtime
            .job_progress(
                ana_row,
                &JobProgress {
                    job_id: "job-1".into(),
                    kind: "TEST".into(),
                    state,
                    progress: step,
                    message: Some(format!("{step}")),
                    at: chrono::Utc::now(),
                },
            )
            .await;
    }
    let first = client.next("j").await["data"]["jobProgress"].clone();
    assert_eq!(first["state"], "RUNNING");
    assert_eq!(first["progress"], 0.5);
    let last = client.next("j").await["data"]["jobProgress"].clone();
    assert_eq!(last["state"], "SUCCEEDED");
    // The stream completes with the job; nothing after it.
    client
        .expect(|e| e["event"] == "complete" && e["sub"] == "j")
        .await;
    client.assert_quiet("spy", Duration::from_millis(300)).await;
}

/// A fresh account's email (for a second sign-in).
async fn victim_email(app: &TestApp) -> String {
    let email = format!("brief-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, "brief").await;
    email
}

async fn user_row_id(app: &TestApp, who: &SignedIn) -> i64 {
    let claims = app.state.jwt.verify(&who.access).expect("valid token");
    claims.user_id().expect("user id")
}

/// A server restart loses nothing: the client resumes from its cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_survive_a_server_restart() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let ana = user(&app, "ana").await;
    let ben = user(&app, "ben").await;
    let post_id = post(&app, &ana).await;
    let mut client = NodeClient::spawn().await;
    client.connect("a1", &app.ws_url(), Some(&ana.access)).await;
    client.subscribe("a1", "n1", NOTIFICATIONS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    comment(&app, &ben, &post_id, "before restart").await;
    let cursor = notification(&client.next("n1").await)["cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let app = app.restart().await;
    // The old server closed the socket as it went away.
    assert_eq!(client.closed("a1").await.0, 1001);
    comment(&app, &ben, &post_id, "after restart").await;
    client.connect("a2", &app.ws_url(), Some(&ana.access)).await;
    client
        .subscribe("a2", "n2", NOTIFICATIONS, json!({ "after": cursor }))
        .await;
    let next = client.next("n2").await;
    assert_eq!(notification(&next)["data"]["excerpt"], "after restart");
    client.assert_quiet("n2", Duration::from_millis(500)).await;
}

/// Redis going away loses nothing: notifications stored meanwhile reach a
/// subscriber on the cut-off instance once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_survive_a_redis_outage() {
    let (proxy, proxied) = TcpProxy::to_redis().await;
    // Instance A reaches Redis through the proxy, instance B directly.
    let Some(a) =
        TestApp::spawn_with_redis(Backend::Postgres, &[("REDIS_URL", proxied.as_str())]).await
    else {
        return;
    };
    let mut direct = a.vars.clone();
    direct.insert("REDIS_URL".into(), common::redis_url());
    let b = a
        .sibling(&[("REDIS_URL", direct["REDIS_URL"].as_str())])
        .await;
    let ana = user(&b, "ana").await;
    let ben = user(&b, "ben").await;
    let post_id = post(&b, &ana).await;
    let mut client = NodeClient::spawn().await;
    client.connect("ana", &a.ws_url(), Some(&ana.access)).await;
    client.subscribe("ana", "n", NOTIFICATIONS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    comment(&b, &ben, &post_id, "while healthy").await;
    assert_eq!(
        notification(&client.next("n").await)["data"]["excerpt"],
        "while healthy"
    );

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    comment(&b, &ben, &post_id, "during the outage").await;
    // Instance A cannot hear B meanwhile, and its own API keeps working
    // (nothing answers 500 because Redis is gone).
    client.assert_quiet("n", Duration::from_millis(500)).await;
    let body = a
        .gql("{ unreadNotificationCount }", json!({}), Some(&ana.access))
        .await;
    assert_eq!(body["data"]["unreadNotificationCount"], 2, "{body}");

    proxy.restore();
    let next = client.next("n").await;
    assert_eq!(notification(&next)["data"]["excerpt"], "during the outage");
    comment(&b, &ben, &post_id, "after the outage").await;
    assert_eq!(
        notification(&client.next("n").await)["data"]["excerpt"],
        "after the outage"
    );
    client.assert_quiet("n", Duration::from_millis(500)).await;
}
