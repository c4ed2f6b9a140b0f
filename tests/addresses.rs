//! The address book over HTTP (EXT-2), on SQLite and PostgreSQL: saving,
//! listing and editing Korean addresses, the one default (first saved,
//! switched, concurrent switches, promoted on delete), each field's
//! validation, other users' addresses, the limit of 20, and orders that
//! keep their copy when the book is later edited or emptied.
mod common;

use std::sync::Arc;

use common::{SignedIn, TestApp, code};
use serde_json::{Value, json};

on_both_databases!(
    addresses_are_saved_listed_and_edited,
    one_default_at_a_time,
    concurrent_set_default_leaves_exactly_one,
    deleting_the_default_promotes_another,
    each_bad_field_is_named,
    other_users_addresses_are_not_found,
    a_book_holds_at_most_twenty,
    orders_keep_their_copy_of_the_address,
);

const SAVE: &str = "mutation($i: SaveAddressInput!) { saveAddress(input: $i) { address { id label recipient phone postalCode roadAddress detailAddress isDefault createdAt } } }";
const SET_DEFAULT: &str =
    "mutation($i: AddressIdInput!) { setDefaultAddress(input: $i) { address { id isDefault } } }";
const DELETE: &str = "mutation($i: AddressIdInput!) { deleteAddress(input: $i) { deletedId newDefault { id isDefault } } }";
const LIST: &str = "query($first: Int, $after: String) { myAddresses(first: $first, after: $after) { edges { cursor node { id label recipient phone postalCode roadAddress detailAddress isDefault } } pageInfo { hasNextPage endCursor } } }";

fn address(recipient: &str) -> Value {
    json!({
        "label": "집",
        "recipient": recipient,
        "phone": "01012345678",
        "postalCode": "04524",
        "roadAddress": "서울특별시 중구 세종대로 110",
        "detailAddress": "3층 301호",
    })
}

/// `SaveAddressInput` from a flat object: `id`, `label` and `isDefault`
/// stay on top, the address's own fields go under `address`.
fn nest(flat: Value) -> Value {
    let mut input = json!({});
    let mut address = json!({});
    for (key, value) in flat.as_object().unwrap() {
        let target = match key.as_str() {
            "id" | "label" | "isDefault" => &mut input,
            _ => &mut address,
        };
        target[key] = value.clone();
    }
    input["address"] = address;
    input
}

async fn save(app: &TestApp, user: &SignedIn, input: Value) -> Value {
    app.gql_ok(SAVE, json!({ "i": nest(input) }), Some(&user.access))
        .await["saveAddress"]["address"]
        .clone()
}

async fn book(app: &TestApp, user: &SignedIn) -> Vec<Value> {
    let data = app
        .gql_ok(LIST, json!({ "first": 100 }), Some(&user.access))
        .await;
    data["myAddresses"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn defaults(book: &[Value]) -> Vec<String> {
    book.iter()
        .filter(|a| a["isDefault"] == true)
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

fn id(address: &Value) -> String {
    address["id"].as_str().unwrap().to_owned()
}

async fn addresses_are_saved_listed_and_edited(app: TestApp) {
    let user = app.register("book@example.com", "book").await;
    assert!(book(&app, &user).await.is_empty());

    let home = save(&app, &user, address("홍길동")).await;
    assert_eq!(home["recipient"], "홍길동");
    // Stored with hyphens.
    assert_eq!(home["phone"], "010-1234-5678");
    assert_eq!(home["postalCode"], "04524");
    assert_eq!(home["detailAddress"], "3층 301호");
    assert_eq!(home["label"], "집");
    // The first address is the default.
    assert_eq!(home["isDefault"], true);

    let mut office = address("김철수");
    office["label"] = json!("회사");
    office["phone"] = json!("02-123-4567");
    office["detailAddress"] = json!("");
    let office = save(&app, &user, office).await;
    assert_eq!(office["phone"], "02-123-4567");
    assert_eq!(office["isDefault"], false);
    assert_eq!(office["detailAddress"], "");

    // The default first, then newest first.
    let listed = book(&app, &user).await;
    assert_eq!(
        listed.iter().map(id).collect::<Vec<_>>(),
        vec![id(&home), id(&office)]
    );

    // An edit keeps the id and the default.
    let mut edit = address("홍길동");
    edit["id"] = home["id"].clone();
    edit["roadAddress"] = json!("부산광역시 해운대구 해운대해변로 264");
    edit["postalCode"] = json!("48099");
    edit["phone"] = json!("051 123 4567");
    let edited = save(&app, &user, edit).await;
    assert_eq!(id(&edited), id(&home));
    assert_eq!(
        edited["roadAddress"],
        "부산광역시 해운대구 해운대해변로 264"
    );
    assert_eq!(edited["phone"], "051-123-4567");
    assert_eq!(edited["isDefault"], true);
    // `isDefault: false` never leaves the book without a default.
    let mut keep = address("홍길동");
    keep["id"] = home["id"].clone();
    keep["isDefault"] = json!(false);
    assert_eq!(save(&app, &user, keep).await["isDefault"], true);
    assert_eq!(book(&app, &user).await.len(), 2);

    // Pages walk the book once.
    let first = app
        .gql_ok(LIST, json!({ "first": 1 }), Some(&user.access))
        .await;
    let page = &first["myAddresses"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["edges"][0]["node"]["id"], home["id"]);
    let second = app
        .gql_ok(
            LIST,
            json!({ "first": 1, "after": page["pageInfo"]["endCursor"] }),
            Some(&user.access),
        )
        .await;
    let page = &second["myAddresses"];
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(page["edges"][0]["node"]["id"], office["id"]);

    // Signed in only.
    let anonymous = app.gql(LIST, json!({}), None).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let anonymous = app
        .gql(SAVE, json!({ "i": nest(address("홍길동")) }), None)
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

async fn one_default_at_a_time(app: TestApp) {
    let user = app.register("defaults@example.com", "defaults").await;
    let a = save(&app, &user, address("가")).await;
    let b = save(&app, &user, address("나")).await;
    let mut c = address("다");
    c["isDefault"] = json!(true);
    let c = save(&app, &user, c).await;
    // Saving with isDefault moves the default.
    assert_eq!(c["isDefault"], true);
    assert_eq!(defaults(&book(&app, &user).await), vec![id(&c)]);

    let set = app
        .gql_ok(
            SET_DEFAULT,
            json!({ "i": { "id": id(&b) } }),
            Some(&user.access),
        )
        .await;
    assert_eq!(set["setDefaultAddress"]["address"]["isDefault"], true);
    let listed = book(&app, &user).await;
    assert_eq!(defaults(&listed), vec![id(&b)]);
    // The default is listed first.
    assert_eq!(id(&listed[0]), id(&b));

    // Setting the default again is harmless.
    app.gql_ok(
        SET_DEFAULT,
        json!({ "i": { "id": id(&b) } }),
        Some(&user.access),
    )
    .await;
    assert_eq!(defaults(&book(&app, &user).await), vec![id(&b)]);

    // An edit with isDefault moves it too.
    let mut edit = address("가");
    edit["id"] = a["id"].clone();
    edit["isDefault"] = json!(true);
    assert_eq!(save(&app, &user, edit).await["isDefault"], true);
    assert_eq!(defaults(&book(&app, &user).await), vec![id(&a)]);
}

async fn concurrent_set_default_leaves_exactly_one(app: TestApp) {
    let user = app.register("racer@example.com", "racer").await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(id(&save(&app, &user, address(&format!("수령인{n}"))).await));
    }
    let app = Arc::new(app);
    let user = Arc::new(user);
    for round in 0..3 {
        let tasks: Vec<_> = (0..12)
            .map(|n| {
                let (app, user) = (app.clone(), user.clone());
                let target = ids[(n + round) % ids.len()].clone();
                tokio::spawn(async move {
                    app.gql(
                        SET_DEFAULT,
                        json!({ "i": { "id": target } }),
                        Some(&user.access),
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            let body = task.await.unwrap();
            assert!(body["errors"].is_null(), "{body:#}");
            assert_eq!(
                body["data"]["setDefaultAddress"]["address"]["isDefault"],
                true
            );
        }
        assert_eq!(defaults(&book(&app, &user).await).len(), 1, "round {round}");
    }
    // Concurrent saves of new defaults, too.
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (app, user) = (app.clone(), user.clone());
            tokio::spawn(async move {
                let mut input = address(&format!("동시{n}"));
                input["isDefault"] = json!(true);
                app.gql(SAVE, json!({ "i": nest(input) }), Some(&user.access))
                    .await
            })
        })
        .collect();
    for task in tasks {
        let body = task.await.unwrap();
        assert!(body["errors"].is_null(), "{body:#}");
    }
    let listed = book(&app, &user).await;
    assert_eq!(listed.len(), 14);
    assert_eq!(defaults(&listed).len(), 1);
}

async fn deleting_the_default_promotes_another(app: TestApp) {
    let user = app.register("deleter@example.com", "deleter").await;
    let a = save(&app, &user, address("가")).await;
    let b = save(&app, &user, address("나")).await;
    let c = save(&app, &user, address("다")).await;
    assert_eq!(defaults(&book(&app, &user).await), vec![id(&a)]);

    // Deleting another address leaves the default alone.
    let deleted = app
        .gql_ok(DELETE, json!({ "i": { "id": id(&b) } }), Some(&user.access))
        .await;
    assert_eq!(deleted["deleteAddress"]["deletedId"], b["id"]);
    assert!(deleted["deleteAddress"]["newDefault"].is_null());
    assert_eq!(defaults(&book(&app, &user).await), vec![id(&a)]);

    // Deleting the default promotes the newest other one (none was used).
    let d = save(&app, &user, address("라")).await;
    let deleted = app
        .gql_ok(DELETE, json!({ "i": { "id": id(&a) } }), Some(&user.access))
        .await;
    assert_eq!(deleted["deleteAddress"]["newDefault"]["id"], d["id"]);
    assert_eq!(deleted["deleteAddress"]["newDefault"]["isDefault"], true);
    let listed = book(&app, &user).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(defaults(&listed), vec![id(&d)]);

    // Gone for good: a second delete is NOT_FOUND.
    let again = app
        .gql(DELETE, json!({ "i": { "id": id(&a) } }), Some(&user.access))
        .await;
    assert_eq!(code(&again), "NOT_FOUND");

    // Down to the last: no default left to promote, an empty book.
    app.gql_ok(DELETE, json!({ "i": { "id": id(&d) } }), Some(&user.access))
        .await;
    assert_eq!(defaults(&book(&app, &user).await), vec![id(&c)]);
    let last = app
        .gql_ok(DELETE, json!({ "i": { "id": id(&c) } }), Some(&user.access))
        .await;
    assert!(last["deleteAddress"]["newDefault"].is_null());
    assert!(book(&app, &user).await.is_empty());
    // The next address saved is the default again.
    assert_eq!(save(&app, &user, address("마")).await["isDefault"], true);
}

async fn each_bad_field_is_named(app: TestApp) {
    let user = app.register("checker@example.com", "checker").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("postalCode", json!("1234"), "postalCode"),
        ("postalCode", json!("123456"), "postalCode"),
        ("postalCode", json!("135-080"), "postalCode"),
        ("postalCode", json!("0452a"), "postalCode"),
        ("roadAddress", json!("   "), "roadAddress"),
        ("roadAddress", json!("가".repeat(201)), "roadAddress"),
        ("detailAddress", json!("가".repeat(101)), "detailAddress"),
        ("recipient", json!(""), "recipient"),
        ("recipient", json!("가".repeat(31)), "recipient"),
        ("phone", json!("12345"), "phone"),
        ("phone", json!("010-123-4567"), "phone"),
        ("phone", json!("010-1234-56789"), "phone"),
        ("phone", json!("099-123-4567"), "phone"),
        ("phone", json!("010-1234-567x"), "phone"),
        ("label", json!("가".repeat(31)), "label"),
    ];
    for (key, value, field) in cases {
        let mut input = address("홍길동");
        input[key] = value.clone();
        let body = app
            .gql(SAVE, json!({ "i": nest(input) }), Some(&user.access))
            .await;
        assert_eq!(code(&body), "VALIDATION", "{key}={value}: {body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{key}={value}"
        );
    }
    // Nothing was stored.
    assert!(book(&app, &user).await.is_empty());
    // Limits are inclusive; 011 numbers, landlines and internet phones pass.
    let mut input = address(&"가".repeat(30));
    input["roadAddress"] = json!("나".repeat(200));
    input["detailAddress"] = json!("다".repeat(100));
    input["phone"] = json!("011-123-4567");
    assert_eq!(save(&app, &user, input).await["phone"], "011-123-4567");
    for (raw, stored) in [
        ("0212345678", "02-1234-5678"),
        ("031-234-5678", "031-234-5678"),
        ("070 1234 5678", "070-1234-5678"),
    ] {
        let mut input = address("홍길동");
        input["phone"] = json!(raw);
        assert_eq!(save(&app, &user, input).await["phone"], stored, "{raw}");
    }
    // A malformed id.
    let mut input = address("홍길동");
    input["id"] = json!("not-an-id");
    let body = app
        .gql(SAVE, json!({ "i": nest(input) }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    assert_eq!(body["errors"][0]["extensions"]["field"], "id");
}

async fn other_users_addresses_are_not_found(app: TestApp) {
    let owner = app.register("owner@example.com", "owner").await;
    let other = app.register("other@example.com", "other").await;
    let mine = save(&app, &owner, address("주인")).await;
    save(&app, &owner, address("주인2")).await;
    let theirs = save(&app, &other, address("남")).await;
    // Each book is its own; each has its own default.
    assert_eq!(book(&app, &other).await.len(), 1);
    assert_eq!(defaults(&book(&app, &other).await), vec![id(&theirs)]);

    let mut edit = address("탈취");
    edit["id"] = mine["id"].clone();
    let body = app
        .gql(SAVE, json!({ "i": nest(edit) }), Some(&other.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body:#}");
    let body = app
        .gql(
            SET_DEFAULT,
            json!({ "i": { "id": id(&mine) } }),
            Some(&other.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app
        .gql(
            DELETE,
            json!({ "i": { "id": id(&mine) } }),
            Some(&other.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    // Untouched.
    let listed = book(&app, &owner).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["recipient"], "주인");
    assert_eq!(defaults(&listed), vec![id(&mine)]);
    assert_eq!(defaults(&book(&app, &other).await), vec![id(&theirs)]);
}

async fn a_book_holds_at_most_twenty(app: TestApp) {
    let user = app.register("hoarder@example.com", "hoarder").await;
    for n in 0..20 {
        save(&app, &user, address(&format!("수령인{n}"))).await;
    }
    let body = app
        .gql(
            SAVE,
            json!({ "i": nest(address("스물하나")) }),
            Some(&user.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "addresses");
    let listed = book(&app, &user).await;
    assert_eq!(listed.len(), 20);
    // Edits still work at the limit; a delete makes room.
    let mut edit = address("수정");
    edit["id"] = listed[5]["id"].clone();
    assert_eq!(save(&app, &user, edit).await["recipient"], "수정");
    app.gql_ok(
        DELETE,
        json!({ "i": { "id": id(&listed[3]) } }),
        Some(&user.access),
    )
    .await;
    save(&app, &user, address("스물")).await;
    assert_eq!(book(&app, &user).await.len(), 20);
}

const PLACE: &str = "mutation($i: PlaceOrderInput!, $k: String!) { placeOrder(input: $i, idempotencyKey: $k) { id recipient phone address postalCode roadAddress detailAddress } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id recipient phone address postalCode roadAddress detailAddress } }";

/// What an order shows of its address.
fn shipped_to(order: &Value) -> Value {
    json!({
        "recipient": order["recipient"],
        "phone": order["phone"],
        "address": order["address"],
        "postalCode": order["postalCode"],
        "roadAddress": order["roadAddress"],
        "detailAddress": order["detailAddress"],
    })
}

async fn orders_keep_their_copy_of_the_address(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Address Book Shop", "111-22-33333")
        .await;
    let categories = app.gql_ok("{ categories { id } }", json!({}), None).await;
    let product = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "name": "Linen shirt", "description": "shirt", "price": 30000, "stock": 20,
                "categoryId": categories["categories"][0]["id"], "gender": "UNISEX",
                "images": ["https://cdn.example.com/s.jpg"] } }),
            Some(&seller.access),
        )
        .await["createProduct"]["id"]
        .clone();
    let from = json!({ "lines": [{ "productId": product, "quantity": 1 }] });
    let buyer = app.register("keeper@example.com", "keeper").await;
    let place = |input: Value, key: &str| {
        let key = format!("address-book-{key}");
        let (app, buyer) = (&app, &buyer);
        async move {
            app.gql(PLACE, json!({ "i": input, "k": key }), Some(&buyer.access))
                .await
        }
    };

    // An empty book and no address named: a clear error.
    let body = place(json!({ "from": from }), "keep-0").await;
    assert_eq!(code(&body), "VALIDATION", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "addressId");

    let home = save(&app, &buyer, address("홍길동")).await;
    let mut office = address("김철수");
    office["phone"] = json!("02-123-4567");
    office["postalCode"] = json!("06236");
    office["roadAddress"] = json!("서울특별시 강남구 테헤란로 152");
    office["detailAddress"] = json!("");
    let office = save(&app, &buyer, office).await;
    let gym = save(&app, &buyer, address("박영희")).await;

    // No address named: the default (home), copied.
    let by_default = place(json!({ "from": from }), "keep-1").await;
    assert!(by_default["errors"].is_null(), "{by_default:#}");
    let by_default = by_default["data"]["placeOrder"].clone();
    assert_eq!(
        shipped_to(&by_default),
        json!({ "recipient": "홍길동", "phone": "010-1234-5678",
            "address": "(04524) 서울특별시 중구 세종대로 110, 3층 301호", "postalCode": "04524",
            "roadAddress": "서울특별시 중구 세종대로 110", "detailAddress": "3층 301호" })
    );
    // By id (the office), copied; no detail leaves no trailing comma.
    let by_id = place(json!({ "from": from, "addressId": id(&office) }), "keep-2").await;
    assert!(by_id["errors"].is_null(), "{by_id:#}");
    let by_id = by_id["data"]["placeOrder"].clone();
    assert_eq!(by_id["recipient"], "김철수");
    assert_eq!(by_id["phone"], "02-123-4567");
    assert_eq!(by_id["address"], "(06236) 서울특별시 강남구 테헤란로 152");
    // Typed in at checkout: checked like the book, normalised, not saved.
    let typed = json!({ "recipient": " 이순신 ", "phone": "+82 10 9876 5432", "postalCode": "03187",
        "roadAddress": "서울특별시 종로구 세종대로 172", "detailAddress": "1층" });
    let inline = place(json!({ "from": from, "address": typed }), "keep-3").await;
    assert!(inline["errors"].is_null(), "{inline:#}");
    let inline = inline["data"]["placeOrder"].clone();
    assert_eq!(inline["recipient"], "이순신");
    assert_eq!(inline["phone"], "010-9876-5432");
    assert_eq!(inline["postalCode"], "03187");
    assert_eq!(book(&app, &buyer).await.len(), 3);
    for (field, value) in [
        ("postalCode", json!("0318")),
        ("phone", json!("010-98-5432")),
        ("recipient", json!("")),
        ("roadAddress", json!("")),
    ] {
        let mut bad = typed.clone();
        bad[field] = value;
        let body = place(
            json!({ "from": from, "address": bad }),
            &format!("keep-bad-{field}"),
        )
        .await;
        assert_eq!(code(&body), "VALIDATION", "{field}: {body:#}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    // An id and an inline address at once.
    let body = place(
        json!({ "from": from, "addressId": id(&home), "address": typed }),
        "keep-both",
    )
    .await;
    assert_eq!(code(&body), "VALIDATION");

    // Deleting the default promotes the address an order used last (the
    // office), not the newest (the gym).
    let deleted = app
        .gql_ok(
            DELETE,
            json!({ "i": { "id": id(&home) } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(deleted["deleteAddress"]["newDefault"]["id"], office["id"]);
    // Edit the office, then empty the book.
    let mut edit = address("최민수");
    edit["id"] = office["id"].clone();
    edit["postalCode"] = json!("48099");
    edit["roadAddress"] = json!("부산광역시 해운대구 해운대해변로 264");
    save(&app, &buyer, edit).await;
    for gone in [&office, &gym] {
        app.gql_ok(
            DELETE,
            json!({ "i": { "id": id(gone) } }),
            Some(&buyer.access),
        )
        .await;
    }
    assert!(book(&app, &buyer).await.is_empty());

    // Every past order still shows the address it was placed with.
    for placed in [&by_default, &by_id, &inline] {
        let reread = app
            .gql_ok(ORDER, json!({ "id": placed["id"] }), Some(&buyer.access))
            .await;
        assert_eq!(shipped_to(&reread["order"]), shipped_to(placed));
    }
    // A deleted address cannot be ordered to; nor another user's.
    let body = place(json!({ "from": from, "addressId": id(&office) }), "keep-4").await;
    assert_eq!(code(&body), "NOT_FOUND", "{body:#}");
    let other = app.register("someone@example.com", "someone").await;
    let theirs = save(&app, &other, address("남")).await;
    let body = place(json!({ "from": from, "addressId": id(&theirs) }), "keep-5").await;
    assert_eq!(code(&body), "NOT_FOUND", "{body:#}");
}
