//! The world of `a_blocked_pair_sees_none_of_each_others_content`: two
//! sellers with every kind of user content, a third user between them, and
//! the table of every list field that returns user content.
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use super::{FOLLOW, SEND, START, direct, ok, post};
use crate::common::{SignedIn, TestApp, category_id};

/// One user of the pair with something of every kind of content.
pub struct Side {
    pub user: SignedIn,
    pub nickname: &'static str,
    pub post: String,
    pub product: String,
    pub store: String,
    pub short: String,
    pub design: String,
}

/// Everything both users can see before the block.
pub struct World {
    pub ana: Side,
    pub ben: Side,
    pub cat: SignedIn,
    pub cat_post: String,
    pub group: String,
    pub direct: String,
    /// Ben's INQUIRY conversation about Ana's store.
    pub inquiry: String,
    /// A palette colour of both sides' designs (the same image).
    pub colour: String,
}

/// Where a list field's items are and what marks the other side's item.
#[derive(Clone, Copy)]
pub enum Marker {
    /// The item's author (poster, owner, sender, actor, the user itself).
    Author,
    /// The other side's short.
    Short,
    /// The DIRECT conversation between the pair.
    Direct,
    /// The INQUIRY conversation between the pair.
    Inquiry,
}

/// One list field of the table: how to ask for it as `viewer`, where its
/// items are, and which pointer inside an item holds its marker.
pub struct Field {
    pub name: &'static str,
    pub query: &'static str,
    pub vars: Value,
    pub items: &'static str,
    pub marker_at: &'static str,
    pub marker: Marker,
}

/// Every list field that returns user content, as `viewer` sees it with
/// `other` as the other side.
pub fn fields(world: &World, viewer: &Side, other: &Side) -> Vec<Field> {
    let author = |name, query, vars, items, marker_at| Field {
        name,
        query,
        vars,
        items,
        marker_at,
        marker: Marker::Author,
    };
    let short = |name, query, vars, items| Field {
        name,
        query,
        vars,
        items,
        marker_at: "/node/id",
        marker: Marker::Short,
    };
    vec![
        author(
            "homeFeed",
            "{ homeFeed(first: 100) { edges { node { post { author { id } } } } } }",
            json!({}),
            "/homeFeed/edges",
            "/node/post/author/id",
        ),
        author(
            "posts",
            "{ posts(first: 100) { edges { node { author { id } } } } }",
            json!({}),
            "/posts/edges",
            "/node/author/id",
        ),
        author(
            "posts(userId)",
            "query($u: ID) { posts(userId: $u, first: 100) { edges { node { author { id } } } } }",
            json!({ "u": other.user.id }),
            "/posts/edges",
            "/node/author/id",
        ),
        author(
            "comments(postId)",
            "query($p: ID!) { comments(postId: $p, first: 100) { edges { node { author { id } } } } }",
            json!({ "p": world.cat_post }),
            "/comments/edges",
            "/node/author/id",
        ),
        author(
            "Post.comments",
            "query($p: ID!) { post(id: $p) { comments(first: 100) { edges { node { author { id } } } } } }",
            json!({ "p": world.cat_post }),
            "/post/comments/edges",
            "/node/author/id",
        ),
        author(
            "Comment.replies",
            "query($p: ID!) { post(id: $p) { comments(first: 1) { edges { node { replies(first: 100) { edges { node { author { id } } } } } } } } }",
            json!({ "p": world.cat_post }),
            "/post/comments/edges/0/node/replies/edges",
            "/node/author/id",
        ),
        author(
            "Post.comments on the viewer's post",
            "query($p: ID!) { post(id: $p) { comments(first: 100) { edges { node { author { id } } } } } }",
            json!({ "p": viewer.post }),
            "/post/comments/edges",
            "/node/author/id",
        ),
        author(
            "designsByColor",
            "query($c: String!) { designsByColor(color: $c, first: 100) { edges { node { owner { id } } } } }",
            json!({ "c": world.colour }),
            "/designsByColor/edges",
            "/node/owner/id",
        ),
        author(
            "designs",
            "{ designs(first: 100) { edges { node { owner { id } } } } }",
            json!({}),
            "/designs/edges",
            "/node/owner/id",
        ),
        short(
            "shortsFeed",
            "{ shortsFeed(first: 100) { edges { node { id } } } }",
            json!({}),
            "/shortsFeed/edges",
        ),
        short(
            "shorts(productId)",
            "query($p: ID!) { shorts(productId: $p, first: 100) { edges { node { id } } } }",
            json!({ "p": other.product }),
            "/shorts/edges",
        ),
        short(
            "Product.shorts",
            "query($p: ID!) { product(id: $p) { shorts(first: 100) { edges { node { id } } } } }",
            json!({ "p": other.product }),
            "/product/shorts/edges",
        ),
        short(
            "Store.shorts",
            "query($s: ID!) { store(id: $s) { shorts(first: 100) { edges { node { id } } } } }",
            json!({ "s": other.store }),
            "/store/shorts/edges",
        ),
        // The other side reviewed the viewer's product.
        author(
            "reviews(productId)",
            "query($p: ID!) { reviews(productId: $p, first: 100) { edges { node { author { id } } } } }",
            json!({ "p": viewer.product }),
            "/reviews/edges",
            "/node/author/id",
        ),
        author(
            "Product.reviews",
            "query($p: ID!) { product(id: $p) { reviews(first: 100) { edges { node { author { id } } } } } }",
            json!({ "p": viewer.product }),
            "/product/reviews/edges",
            "/node/author/id",
        ),
        author(
            "Store.reviews",
            "query($s: ID!) { store(id: $s) { reviews(first: 100) { edges { node { author { id } } } } } }",
            json!({ "s": viewer.store }),
            "/store/reviews/edges",
            "/node/author/id",
        ),
        author(
            "search: posts",
            "{ search(query: \"zebra\", types: [POST], first: 50) { posts { edges { node { author { id } } } } } }",
            json!({}),
            "/search/posts/edges",
            "/node/author/id",
        ),
        author(
            "search: designs",
            "{ search(query: \"zebra\", types: [DESIGN], first: 50) { designs { edges { node { owner { id } } } } } }",
            json!({}),
            "/search/designs/edges",
            "/node/owner/id",
        ),
        short(
            "search: shorts",
            "{ search(query: \"zebra\", types: [SHORT], first: 50) { shorts { edges { node { id } } } } }",
            json!({}),
            "/search/shorts/edges",
        ),
        author(
            "search: users",
            "query($q: String!) { search(query: $q, types: [USER], first: 50) { users { edges { node { id } } } } }",
            json!({ "q": other.nickname }),
            "/search/users/edges",
            "/node/id",
        ),
        author(
            "searchSuggestions",
            "query($q: String!) { searchSuggestions(prefix: $q, types: [USER]) { id } }",
            json!({ "q": other.nickname }),
            "/searchSuggestions",
            "/id",
        ),
        author(
            "followers",
            "query($u: ID!) { followers(userId: $u, first: 100) { edges { node { id } } } }",
            json!({ "u": world.cat.id }),
            "/followers/edges",
            "/node/id",
        ),
        author(
            "following",
            "query($u: ID!) { following(userId: $u, first: 100) { edges { node { id } } } }",
            json!({ "u": world.cat.id }),
            "/following/edges",
            "/node/id",
        ),
        author(
            "notifications",
            "{ notifications(first: 100) { edges { node { actor { id } } } } }",
            json!({}),
            "/notifications/edges",
            "/node/actor/id",
        ),
        Field {
            name: "myConversations",
            query: "{ myConversations(first: 100) { edges { node { id } } } }",
            vars: json!({}),
            items: "/myConversations/edges",
            marker_at: "/node/id",
            marker: Marker::Direct,
        },
        Field {
            name: "myConversations (inquiry)",
            query: "{ myConversations(first: 100) { edges { node { id } } } }",
            vars: json!({}),
            items: "/myConversations/edges",
            marker_at: "/node/id",
            marker: Marker::Inquiry,
        },
        author(
            "messages (inquiry)",
            "query($c: ID!) { messages(conversationId: $c, first: 100) { edges { node { sender { id } } } } }",
            json!({ "c": world.inquiry }),
            "/messages/edges",
            "/node/sender/id",
        ),
        author(
            "messages (group)",
            "query($c: ID!) { messages(conversationId: $c, first: 100) { edges { node { sender { id } } } } }",
            json!({ "c": world.group }),
            "/messages/edges",
            "/node/sender/id",
        ),
        author(
            "messages (direct)",
            "query($c: ID!) { messages(conversationId: $c, first: 100) { edges { node { sender { id } } } } }",
            json!({ "c": world.direct }),
            "/messages/edges",
            "/node/sender/id",
        ),
    ]
}

/// Whether `viewer` sees `other`'s item in `field`.
pub async fn sees(
    app: &TestApp,
    world: &World,
    viewer: &Side,
    other: &Side,
    field: &Field,
) -> bool {
    let wanted = match field.marker {
        Marker::Author => other.user.id.clone(),
        Marker::Short => other.short.clone(),
        Marker::Direct => world.direct.clone(),
        Marker::Inquiry => world.inquiry.clone(),
    };
    let data = app
        .gql_ok(field.query, field.vars.clone(), Some(&viewer.user.access))
        .await;
    let items = data
        .pointer(field.items)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{}: no list at {} in {data}", field.name, field.items));
    items
        .iter()
        .any(|item| item.pointer(field.marker_at) == Some(&Value::String(wanted.clone())))
}

/// Asserts, for both users of the pair and every field, that each sees the
/// other's content exactly when `visible`.
pub async fn assert_visibility(app: &TestApp, world: &World, visible: bool) {
    let mut wrong = Vec::new();
    for (viewer, other) in [(&world.ana, &world.ben), (&world.ben, &world.ana)] {
        for field in fields(world, viewer, other) {
            if sees(app, world, viewer, other, &field).await != visible {
                wrong.push(format!("{} as {}", field.name, viewer.nickname));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "expected the other side's content to be {}: {wrong:?}",
        if visible { "visible" } else { "hidden" }
    );
}

/// The viewer's unread badges: notifications (the count, and the unread
/// ones the list shows) and the group conversation's unread messages.
pub async fn badges(app: &TestApp, world: &World, viewer: &Side) -> (i64, usize, i64) {
    let query = "{ unreadNotificationCount notifications(first: 100) { edges { node { read } } } myConversations(first: 100) { edges { node { id unreadCount } } } }";
    let data = ok(app, &viewer.user, query, json!({})).await;
    let listed = data["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["read"] == false)
        .count();
    let group = data["myConversations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == world.group.as_str())
        .unwrap_or_else(|| panic!("no group in {data}"));
    (
        data["unreadNotificationCount"].as_i64().unwrap(),
        listed,
        group["node"]["unreadCount"].as_i64().unwrap(),
    )
}

/// A row id from a global id.
pub fn raw_id(kind: &str, id: &str) -> i64 {
    vitrine::conventions::decode_id(kind, &async_graphql::ID(id.to_owned()))
        .unwrap_or_else(|| panic!("not a {kind} id: {id}"))
}

/// A review of `product` by `author`, stored directly (the purchase flow
/// that earns one is `tests/commerce.rs`'s subject, not this file's).
pub async fn review(app: &TestApp, author: &SignedIn, product: &str, store: &str, line: i64) {
    let backend = app.state.db.get_database_backend();
    let sql = "INSERT INTO reviews (product_id, store_id, user_id, order_line_id, rating, body, images, created_at) \
               VALUES (?, ?, ?, ?, 5, 'zebra comfy', '[]', ?)";
    let sql = match backend {
        DbBackend::Postgres => {
            let mut n = 0;
            sql.chars()
                .map(|c| {
                    if c == '?' {
                        n += 1;
                        format!("${n}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        }
        _ => sql.to_owned(),
    };
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                raw_id("Product", product).into(),
                raw_id("Store", store).into(),
                raw_id("User", &author.id).into(),
                line.into(),
                chrono::Utc::now().into(),
            ],
        ))
        .await
        .expect("insert review");
}

/// A seller with a store, a listed product, a short, a post and a public
/// design, all findable by "zebra".
pub async fn side(app: &TestApp, admin: &SignedIn, nickname: &'static str, license: &str) -> Side {
    let (user, store) = app.approved_seller(admin, nickname, license).await;
    let coat = category_id(app, "01outer_01coat").await;
    let created = ok(
        app,
        &user,
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({ "i": {
            "name": format!("{nickname} coat"), "description": "Double-faced wool coat", "price": 289000, "stock": 5,
            "categoryId": coat, "gender": "FEMALE", "colors": ["black"], "seasons": ["WINTER"],
            "fiberComposition": [{ "fiber": "Wool", "percent": 100 }],
            "elasticity": "NONE", "transparency": "NONE_AT_ALL", "fleece": false,
            "specTags": ["long"], "options": ["S", "M"],
            "images": ["https://cdn.example.com/coat-1.jpg"]
        } }),
    )
    .await;
    let product = created["createProduct"]["id"].as_str().unwrap().to_owned();
    let added = ok(
        app,
        &user,
        "mutation($i: AddShortInput!) { addShort(input: $i) { id } }",
        json!({ "i": { "productId": product, "title": format!("zebra short by {nickname}"),
            "videoUrl": "https://video.example.com/s1.mp4", "durationSecs": 30, "source": "UPLOAD" } }),
    )
    .await;
    let short = added["addShort"]["id"].as_str().unwrap().to_owned();
    let post = post(app, &user, &format!("zebra stripes by {nickname}")).await;
    let design = app
        .create_design(
        &user,
            json!({ "title": format!("zebra loft {nickname}"), "style": "MODERN", "roomType": "BEDROOM" }),
        )
        .await;
    Side {
        user,
        nickname,
        post,
        product,
        store,
        short,
        design,
    }
}

pub async fn world(app: &TestApp) -> World {
    let admin = app.user_with_role("ADMIN").await;
    let ana = side(app, &admin, "anakim", "111-11-11111").await;
    let ben = side(app, &admin, "benlee", "222-22-22222").await;
    let cat = app.register("cat@example.com", "cat").await;
    let cat_post = post(app, &cat, "cat's question").await;
    let comment = "mutation($p: ID!, $parent: ID, $b: String!) { addComment(postId: $p, parentId: $parent, body: $b) { id } }";
    // Cat's comment comes first, so that its replies are the first
    // comment's.
    let top = ok(
        app,
        &cat,
        comment,
        json!({ "p": cat_post, "b": "what do you think?" }),
    )
    .await["addComment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut line = 900_000;
    for (me, other) in [(&ana, &ben), (&ben, &ana)] {
        let u = &me.user;
        ok(app, u, comment, json!({ "p": cat_post, "b": "top" })).await;
        ok(
            app,
            u,
            comment,
            json!({ "p": cat_post, "parent": top, "b": "reply" }),
        )
        .await;
        ok(app, u, comment, json!({ "p": other.post, "b": "nice" })).await;
        ok(
            app,
            u,
            "mutation($id: ID!) { like(targetType: POST, targetId: $id) { likeCount } }",
            json!({ "id": other.post }),
        )
        .await;
        ok(app, u, FOLLOW, json!({ "u": cat.id })).await;
        ok(app, &cat, FOLLOW, json!({ "u": u.id })).await;
        line += 1;
        review(app, u, &other.product, &other.store, line).await;
    }
    let group = ok(
        app,
        &cat,
        START,
        json!({ "i": { "kind": "GROUP", "memberIds": [ana.user.id, ben.user.id], "title": "zebra club" } }),
    )
    .await["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let direct = direct(app, &ana.user, &ben.user).await["data"]["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let asked = ok(
        app,
        &ben.user,
        "mutation($i: AskInquiryInput!) { askInquiry(input: $i) { id } }",
        json!({ "i": { "storeId": ana.store, "subject": "size", "body": "does M run small?" } }),
    )
    .await;
    let inquiry = ok(
        app,
        &ben.user,
        "mutation($q: ID!) { startConversation(input: { kind: INQUIRY, inquiryId: $q }) { id } }",
        json!({ "q": asked["askInquiry"]["id"] }),
    )
    .await["startConversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for who in [&ana.user, &ben.user] {
        ok(app, who, SEND, json!({ "c": group, "b": "hello group" })).await;
        ok(app, who, SEND, json!({ "c": direct, "b": "hello you" })).await;
        ok(app, who, SEND, json!({ "c": inquiry, "b": "about M" })).await;
    }
    let colour = palette(app, &ana).await;
    assert_eq!(palette(app, &ben).await, colour);
    World {
        ana,
        ben,
        cat,
        cat_post,
        group,
        direct,
        inquiry,
        colour,
    }
}

/// The first palette colour of the side's design, once the colour job
/// analysed it.
pub async fn palette(app: &TestApp, side: &Side) -> String {
    let query = "query($id: ID!) { design(id: $id) { palette } }";
    for _ in 0..100 {
        let data = ok(app, &side.user, query, json!({ "id": side.design })).await;
        if let Some(colour) = data["design"]["palette"][0].as_str() {
            return colour.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("design {} was not analysed", side.design);
}

/// Waits until the search index holds every side's post, design, short and
/// account (it follows the database within about a second).
pub async fn indexed(app: &TestApp) {
    let query = "{ search(query: \"zebra\", types: [POST, DESIGN, SHORT], first: 50) { posts { totalCount } designs { totalCount } shorts { totalCount } } a: search(query: \"anakim\", types: [USER]) { users { totalCount } } b: search(query: \"benlee\", types: [USER]) { users { totalCount } } }";
    for _ in 0..100 {
        let data = app.gql_ok(query, json!({}), None).await;
        let counts = [
            &data["search"]["posts"]["totalCount"],
            &data["search"]["designs"]["totalCount"],
            &data["search"]["shorts"]["totalCount"],
        ];
        if counts.iter().all(|c| c.as_i64() == Some(2))
            && data["a"]["users"]["totalCount"].as_i64() >= Some(1)
            && data["b"]["users"]["totalCount"].as_i64() >= Some(1)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the search index did not catch up");
}
