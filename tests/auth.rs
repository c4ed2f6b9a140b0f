//! Accounts and auth over HTTP (AUTH-1 … AUTH-4, AUTH-7), on SQLite and PostgreSQL.
mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{ME, PASSWORD, REFRESH, REGISTER, TestApp, code, reason};
use serde_json::{Value, json};

on_both_databases!(
    register_login_me_refresh_and_reuse,
    registration_rejects_bad_input,
    login_rejects_wrong_credentials,
    bad_tokens_are_refused_with_reasons,
    role_guards,
    admin_lists_users_with_filters_and_pages,
    kicked_user_is_cut_off_at_once,
    sessions_are_listed_and_revocable,
    update_me_and_password_change,
    delete_me_scrubs_and_revokes,
    public_profiles_hide_private_fields,
    concurrent_registrations_with_one_email,
    concurrent_refreshes_of_one_token,
);

async fn register_login_me_refresh_and_reuse(app: TestApp) {
    let alice = app.register("Alice@Example.com", "alice").await;
    assert_eq!(alice.email, "alice@example.com");

    let me = app.gql_ok(ME, json!({}), Some(&alice.access)).await;
    assert_eq!(me["me"]["email"], "alice@example.com");
    assert_eq!(me["me"]["role"], "BUYER");
    assert_eq!(me["me"]["status"], "ACTIVE");

    // Login on a second device, case-insensitively.
    let body = app.login("ALICE@example.COM", PASSWORD, "phone-1").await;
    let phone = common::signed_in(&body["data"]["login"]);
    assert_eq!(phone.id, alice.id);

    // Rotation: the new pair works, the old refresh token is spent.
    let rotated = app
        .gql_ok(REFRESH, json!({ "token": phone.refresh }), None)
        .await;
    let new_access = rotated["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_refresh = rotated["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_refresh, phone.refresh);
    app.gql_ok(ME, json!({}), Some(&new_access)).await;

    // Reuse of the spent token: refused, and the whole family dies with it.
    let reused = app
        .gql(REFRESH, json!({ "token": phone.refresh }), None)
        .await;
    assert_eq!(code(&reused), "TOKEN_REUSED", "{reused}");
    let after = app
        .gql(REFRESH, json!({ "token": new_refresh }), None)
        .await;
    assert_eq!(code(&after), "UNAUTHENTICATED");
    assert_eq!(reason(&after), "SESSION_REVOKED");
    let me = app.gql(ME, json!({}), Some(&new_access)).await;
    assert_eq!(reason(&me), "SESSION_REVOKED");

    // The first device's session is untouched.
    app.gql_ok(ME, json!({}), Some(&alice.access)).await;
    let again = app
        .gql_ok(REFRESH, json!({ "token": alice.refresh }), None)
        .await;
    assert!(again["refreshToken"]["accessToken"].is_string());

    // Unknown refresh tokens.
    let unknown = app
        .gql(REFRESH, json!({ "token": "rt_not-a-token" }), None)
        .await;
    assert_eq!(reason(&unknown), "REFRESH_TOKEN_INVALID");
}

async fn registration_rejects_bad_input(app: TestApp) {
    app.register("bob@example.com", "bob").await;
    let cases = [
        (
            json!({ "email": "BOB@Example.com", "password": PASSWORD, "nickname": "bob2" }),
            "CONFLICT",
            "email",
        ),
        (
            json!({ "email": "carol@example.com", "password": "short", "nickname": "carol" }),
            "VALIDATION",
            "password",
        ),
        (
            json!({ "email": "carol@example.com", "password": "123456789", "nickname": "carol" }),
            "VALIDATION",
            "password",
        ),
        (
            json!({ "email": "not-an-email", "password": PASSWORD, "nickname": "carol" }),
            "VALIDATION",
            "email",
        ),
        (
            json!({ "email": "carol@example.com", "password": PASSWORD, "nickname": "c" }),
            "VALIDATION",
            "nickname",
        ),
        (
            json!({ "email": "carol@example.com", "password": PASSWORD, "nickname": "x".repeat(41) }),
            "VALIDATION",
            "nickname",
        ),
        (
            json!({ "email": format!("{}@example.com", "a".repeat(300)), "password": PASSWORD, "nickname": "carol" }),
            "VALIDATION",
            "email",
        ),
        (
            json!({ "email": "carol@example.com", "password": "p".repeat(129), "nickname": "carol" }),
            "VALIDATION",
            "password",
        ),
        (
            json!({ "email": "carol@example.com", "password": PASSWORD, "nickname": "carol", "deviceId": "" }),
            "VALIDATION",
            "deviceId",
        ),
    ];
    for (input, expected, field) in cases {
        let body = app.gql(REGISTER, json!({ "input": input }), None).await;
        assert_eq!(code(&body), expected, "{input} -> {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert!(body["data"].is_null(), "{body}");
    }
    // Nothing was written by the refused attempts.
    let admin = app.user_with_role("ADMIN").await;
    let users = app
        .gql_ok(
            "{ users(search: \"carol\") { totalCount } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(users["users"]["totalCount"], 0);
    // A missing required field is refused before any resolver runs.
    let body = app
        .gql(
            REGISTER,
            json!({ "input": { "email": "x@example.com" } }),
            None,
        )
        .await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
}

async fn login_rejects_wrong_credentials(app: TestApp) {
    app.register("dave@example.com", "dave").await;
    for (email, password) in [
        ("dave@example.com", "wrong-password-here"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ] {
        let body = app.login(email, password, "d1").await;
        assert_eq!(code(&body), "INVALID_CREDENTIALS", "{body}");
        // The same message whether or not the account exists.
        assert_eq!(
            body["errors"][0]["message"],
            "email or password is incorrect"
        );
    }
}

fn forge(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn bad_tokens_are_refused_with_reasons(app: TestApp) {
    let erin = app.register("erin@example.com", "erin").await;
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(erin.access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();

    let mut expired = payload.clone();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let mut admin_claim = payload.clone();
    admin_claim["role"] = json!("ADMIN");
    let mut wrong_aud = payload.clone();
    wrong_aud["aud"] = json!("someone-else");
    let mut refresh_typ = payload.clone();
    refresh_typ["typ"] = json!("refresh");
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let header_hs512 = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
    let body_part = erin.access.split('.').nth(1).unwrap();
    let tampered = {
        let mut parts: Vec<String> = erin.access.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin_claim).unwrap());
        parts.join(".")
    };

    let cases: Vec<(String, &str)> = vec![
        ("garbage".into(), "TOKEN_INVALID"),
        (
            forge(&expired, common::TEST_JWT_SECRET.as_bytes()),
            "TOKEN_EXPIRED",
        ),
        (
            forge(&admin_claim, b"another-secret-another-secret-0123456789"),
            "TOKEN_INVALID",
        ),
        (tampered, "TOKEN_INVALID"),
        (format!("{header_none}.{body_part}."), "TOKEN_INVALID"),
        (
            format!(
                "{header_hs512}.{body_part}.{}",
                erin.access.split('.').nth(2).unwrap()
            ),
            "TOKEN_INVALID",
        ),
        (
            forge(&wrong_aud, common::TEST_JWT_SECRET.as_bytes()),
            "TOKEN_INVALID",
        ),
        (
            forge(&refresh_typ, common::TEST_JWT_SECRET.as_bytes()),
            "TOKEN_INVALID",
        ),
        (erin.refresh.clone(), "TOKEN_INVALID"),
    ];
    for (token, expected) in cases {
        let body = app.gql(ME, json!({}), Some(&token)).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{token}: {body}");
        assert_eq!(reason(&body), expected, "{token}: {body}");
    }
    // Not a Bearer header at all.
    let resp: Value = app
        .http
        .post(app.url("/graphql"))
        .header(
            "authorization",
            format!("Basic {}", URL_SAFE_NO_PAD.encode("erin:pw")),
        )
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reason(&resp), "TOKEN_INVALID");
    // Anonymous.
    let body = app.gql(ME, json!({}), None).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(reason(&body), "MISSING_CREDENTIALS");

    // An expired access token does not stop public fields or the refresh itself.
    let stale = forge(&expired, common::TEST_JWT_SECRET.as_bytes());
    let body = app
        .gql(REFRESH, json!({ "token": erin.refresh }), Some(&stale))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { nickname } }",
            json!({ "id": erin.id }),
            Some(&stale),
        )
        .await;
    assert_eq!(body["data"]["user"]["nickname"], "erin");
}

async fn role_guards(app: TestApp) {
    let buyer = app.user_with_role("BUYER").await;
    let seller = app.user_with_role("SELLER").await;
    let admin = app.user_with_role("ADMIN").await;
    let query = "{ users(first: 5) { totalCount } }";
    assert_eq!(
        code(&app.gql(query, json!({}), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&app.gql(query, json!({}), Some(&buyer.access)).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&app.gql(query, json!({}), Some(&seller.access)).await),
        "FORBIDDEN"
    );
    let ok = app.gql_ok(query, json!({}), Some(&admin.access)).await;
    assert_eq!(ok["users"]["totalCount"], 3);
    let kick = "mutation($id: ID!) { kickUser(id: $id, reason: \"spam\") { id } }";
    let body = app
        .gql(kick, json!({ "id": seller.id }), Some(&buyer.access))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app.gql(kick, json!({ "id": seller.id }), None).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

async fn admin_lists_users_with_filters_and_pages(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    for i in 0..7 {
        app.register(&format!("shopper{i}@example.com"), &format!("Shopper{i}"))
            .await;
    }
    app.user_with_role("SELLER").await;
    let query = "query($first: Int, $after: String, $role: Role, $status: UserStatus, $search: String) {
        users(first: $first, after: $after, role: $role, status: $status, search: $search) {
            totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email role } } } }";
    // Walk every page of buyers, three at a time.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .gql_ok(
                query,
                json!({ "first": 3, "after": after, "role": "BUYER" }),
                Some(&admin.access),
            )
            .await;
        let users = &data["users"];
        assert_eq!(users["totalCount"], 7);
        for edge in users["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["role"], "BUYER");
            seen.push(edge["node"]["email"].as_str().unwrap().to_owned());
        }
        if !users["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = users["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen.first().unwrap(),
        "shopper6@example.com",
        "newest first"
    );
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 7);

    // Search is case-insensitive over email and nickname; wildcards are literal.
    let data = app
        .gql_ok(query, json!({ "search": "SHOPPER3" }), Some(&admin.access))
        .await;
    assert_eq!(data["users"]["totalCount"], 1);
    let data = app
        .gql_ok(query, json!({ "search": "%" }), Some(&admin.access))
        .await;
    assert_eq!(data["users"]["totalCount"], 0);
    let data = app
        .gql_ok(query, json!({ "role": "SELLER" }), Some(&admin.access))
        .await;
    assert_eq!(data["users"]["totalCount"], 1);
    let data = app
        .gql_ok(query, json!({ "status": "KICKED" }), Some(&admin.access))
        .await;
    assert_eq!(data["users"]["totalCount"], 0);

    // Page-size and cursor errors.
    for (vars, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 100000 }), "first"),
        (json!({ "after": "bm90LWEtY3Vyc29y" }), "after"),
        (json!({ "search": "s".repeat(101) }), "search"),
    ] {
        let body = app.gql(query, vars.clone(), Some(&admin.access)).await;
        assert_eq!(code(&body), "VALIDATION", "{vars}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
}

async fn kicked_user_is_cut_off_at_once(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let other_admin = app.user_with_role("ADMIN").await;
    let mallory = app.register("mallory@example.com", "mallory").await;
    app.gql_ok(ME, json!({}), Some(&mallory.access)).await;

    let kick = "mutation($id: ID!, $reason: String!) { kickUser(id: $id, reason: $reason) { id status statusReason } }";
    let body = app
        .gql(
            kick,
            json!({ "id": mallory.id, "reason": "  " }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let data = app
        .gql_ok(
            kick,
            json!({ "id": mallory.id, "reason": "fraud" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(data["kickUser"]["status"], "KICKED");
    assert_eq!(data["kickUser"]["statusReason"], "fraud");

    // Her still-unexpired access token stops working immediately.
    let me = app.gql(ME, json!({}), Some(&mallory.access)).await;
    assert_eq!(code(&me), "UNAUTHENTICATED");
    assert_eq!(reason(&me), "SESSION_REVOKED");
    let refresh = app
        .gql(REFRESH, json!({ "token": mallory.refresh }), None)
        .await;
    assert_eq!(code(&refresh), "UNAUTHENTICATED");
    let login = app.login("mallory@example.com", PASSWORD, "new").await;
    assert_eq!(code(&login), "ACCOUNT_DISABLED");
    // A wrong password still reads as wrong credentials (no status oracle).
    let login = app
        .login("mallory@example.com", "not-her-password", "new")
        .await;
    assert_eq!(code(&login), "INVALID_CREDENTIALS");

    // Admins are not kickable, nor is oneself; unknown ids are NOT_FOUND.
    let body = app
        .gql(
            kick,
            json!({ "id": admin.id, "reason": "x" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(
            kick,
            json!({ "id": other_admin.id, "reason": "x" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let ghost = URL_SAFE_NO_PAD.encode("User:999999");
    let body = app
        .gql(
            kick,
            json!({ "id": ghost, "reason": "x" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app
        .gql(
            kick,
            json!({ "id": "bogus", "reason": "x" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");

    // The public profile disappears; admins still see it.
    let profile = "query($id: ID!) { user(id: $id) { id status } }";
    let anon = app.gql_ok(profile, json!({ "id": mallory.id }), None).await;
    assert!(anon["user"].is_null());
    let seen = app
        .gql_ok(profile, json!({ "id": mallory.id }), Some(&admin.access))
        .await;
    assert_eq!(seen["user"]["status"], "KICKED");
}

async fn sessions_are_listed_and_revocable(app: TestApp) {
    let frank = app.register("frank@example.com", "frank").await;
    let phone = common::signed_in(
        &app.login("frank@example.com", PASSWORD, "phone").await["data"]["login"],
    );
    let tablet = common::signed_in(
        &app.login("frank@example.com", PASSWORD, "tablet").await["data"]["login"],
    );
    let list = "{ mySessions(first: 10) { edges { node { id deviceId deviceType current userAgent ip } } } }";
    let data = app.gql_ok(list, json!({}), Some(&phone.access)).await;
    let sessions = data["mySessions"]["edges"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3);
    let current: Vec<_> = sessions
        .iter()
        .filter(|e| e["node"]["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["node"]["deviceId"], "phone");
    assert_eq!(current[0]["node"]["ip"], "127.0.0.1");
    let tablet_session = sessions
        .iter()
        .find(|e| e["node"]["deviceId"] == "tablet")
        .unwrap()["node"]["id"]
        .clone();

    // Someone else cannot revoke it.
    let george = app.register("george@example.com", "george").await;
    let revoke = "mutation($id: ID!) { revokeSession(id: $id) }";
    let body = app
        .gql(
            revoke,
            json!({ "id": tablet_session }),
            Some(&george.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    app.gql_ok(ME, json!({}), Some(&tablet.access)).await;

    // Frank can, from his phone: the tablet is signed out at once.
    app.gql_ok(revoke, json!({ "id": tablet_session }), Some(&phone.access))
        .await;
    assert_eq!(
        reason(&app.gql(ME, json!({}), Some(&tablet.access)).await),
        "SESSION_REVOKED"
    );
    let data = app.gql_ok(list, json!({}), Some(&phone.access)).await;
    assert_eq!(data["mySessions"]["edges"].as_array().unwrap().len(), 2);

    // Logout ends the current session and its refresh token.
    app.gql_ok("mutation { logout }", json!({}), Some(&frank.access))
        .await;
    assert_eq!(
        reason(&app.gql(ME, json!({}), Some(&frank.access)).await),
        "SESSION_REVOKED"
    );
    let body = app
        .gql(REFRESH, json!({ "token": frank.refresh }), None)
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    app.gql_ok(ME, json!({}), Some(&phone.access)).await;
}

async fn update_me_and_password_change(app: TestApp) {
    let hana = app.register("hana@example.com", "hana").await;
    let laptop = common::signed_in(
        &app.login("hana@example.com", PASSWORD, "laptop").await["data"]["login"],
    );
    let update = "mutation($input: UpdateMeInput!) { updateMe(input: $input) { nickname gender birthDate } }";
    let data = app
        .gql_ok(
            update,
            json!({ "input": { "nickname": "하나", "gender": "FEMALE", "birthDate": "1995-04-01" } }),
            Some(&hana.access),
        )
        .await;
    assert_eq!(
        data["updateMe"],
        json!({ "nickname": "하나", "gender": "FEMALE", "birthDate": "1995-04-01" })
    );

    for (input, expected, field) in [
        (
            json!({ "birthDate": "2999-01-01" }),
            "VALIDATION",
            "birthDate",
        ),
        (json!({ "nickname": "" }), "VALIDATION", "nickname"),
        (
            json!({ "newPassword": "brand-new-password" }),
            "VALIDATION",
            "currentPassword",
        ),
        (
            json!({ "currentPassword": PASSWORD, "newPassword": "short" }),
            "VALIDATION",
            "newPassword",
        ),
    ] {
        let body = app
            .gql(update, json!({ "input": input }), Some(&hana.access))
            .await;
        assert_eq!(code(&body), expected, "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    let body = app
        .gql(
            update,
            json!({ "input": { "currentPassword": "not-the-password", "newPassword": "brand-new-password" } }),
            Some(&hana.access),
        )
        .await;
    assert_eq!(code(&body), "INVALID_CREDENTIALS");
    let body = app
        .gql(
            update,
            json!({ "input": { "nickname": "ignored", "birthDate": "1800-01-01" } }),
            Some(&hana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let me = app.gql_ok(ME, json!({}), Some(&hana.access)).await;
    assert_eq!(
        me["me"]["nickname"], "하나",
        "a refused update writes nothing"
    );

    app.gql_ok(
        update,
        json!({ "input": { "currentPassword": PASSWORD, "newPassword": "brand-new-password" } }),
        Some(&hana.access),
    )
    .await;
    // This session lives on; the laptop is signed out.
    app.gql_ok(ME, json!({}), Some(&hana.access)).await;
    assert_eq!(
        reason(&app.gql(ME, json!({}), Some(&laptop.access)).await),
        "SESSION_REVOKED"
    );
    assert_eq!(
        code(&app.login("hana@example.com", PASSWORD, "x").await),
        "INVALID_CREDENTIALS"
    );
    let ok = app
        .login("hana@example.com", "brand-new-password", "x")
        .await;
    assert!(ok["errors"].is_null(), "{ok}");
}

async fn delete_me_scrubs_and_revokes(app: TestApp) {
    let ivan = app.register("ivan@example.com", "ivan").await;
    let body = app
        .gql(
            "mutation { deleteMe(password: \"wrong-password\") }",
            json!({}),
            Some(&ivan.access),
        )
        .await;
    assert_eq!(code(&body), "INVALID_CREDENTIALS");
    let data = app
        .gql_ok(
            "mutation($p: String!) { deleteMe(password: $p) }",
            json!({ "p": PASSWORD }),
            Some(&ivan.access),
        )
        .await;
    assert_eq!(data["deleteMe"], true);
    assert_eq!(
        reason(&app.gql(ME, json!({}), Some(&ivan.access)).await),
        "SESSION_REVOKED"
    );
    assert_eq!(
        code(
            &app.gql(REFRESH, json!({ "token": ivan.refresh }), None)
                .await
        ),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&app.login("ivan@example.com", PASSWORD, "x").await),
        "INVALID_CREDENTIALS"
    );
    let profile = app
        .gql_ok(
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": ivan.id }),
            None,
        )
        .await;
    assert!(profile["user"].is_null());

    // Personal data is gone from the row; the address is free again.
    let admin = app.user_with_role("ADMIN").await;
    let data = app
        .gql_ok(
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": ivan.id }),
            Some(&admin.access),
        )
        .await;
    assert!(data["user"].is_null());
    let data = app
        .gql_ok(
            "{ users(status: DELETED) { edges { node { email } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    let email = data["users"]["edges"][0]["node"]["email"].as_str().unwrap();
    assert!(!email.contains("ivan"), "{email}");
    let again = app.register("ivan@example.com", "ivan again").await;
    assert_ne!(again.id, ivan.id);
}

async fn public_profiles_hide_private_fields(app: TestApp) {
    let judy = app.register("judy@example.com", "judy").await;
    let ken = app.register("ken@example.com", "ken").await;
    let q = "query($id: ID!) { user(id: $id) { nickname email status } }";
    let own = app
        .gql_ok(q, json!({ "id": judy.id }), Some(&judy.access))
        .await;
    assert_eq!(own["user"]["email"], "judy@example.com");
    let other = app
        .gql_ok(q, json!({ "id": judy.id }), Some(&ken.access))
        .await;
    assert_eq!(other["user"]["nickname"], "judy");
    assert!(other["user"]["email"].is_null());
    assert!(other["user"]["status"].is_null());
    let anon = app.gql_ok(q, json!({ "id": judy.id }), None).await;
    assert!(anon["user"]["email"].is_null());
    let body = app.gql(q, json!({ "id": "not-an-id" }), None).await;
    assert_eq!(code(&body), "VALIDATION");
    // A session id is not a user id.
    let wrong_kind = URL_SAFE_NO_PAD.encode("Session:1");
    assert_eq!(
        code(&app.gql(q, json!({ "id": wrong_kind }), None).await),
        "VALIDATION"
    );
}

async fn concurrent_registrations_with_one_email(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let attempts = (0..20).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            app.gql(
                REGISTER,
                json!({ "input": { "email": "race@example.com", "password": PASSWORD, "nickname": format!("racer{i}") } }),
                None,
            )
            .await
        })
    });
    let results: Vec<Value> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = results.iter().filter(|b| b["errors"].is_null()).count();
    let conflicts = results.iter().filter(|b| code(b) == "CONFLICT").count();
    assert_eq!(ok, 1, "{results:?}");
    assert_eq!(conflicts, 19, "{results:?}");
}

async fn concurrent_refreshes_of_one_token(app: TestApp) {
    let lee = app.register("lee@example.com", "lee").await;
    let app = std::sync::Arc::new(app);
    let attempts = (0..10).map(|_| {
        let app = app.clone();
        let token = lee.refresh.clone();
        tokio::spawn(async move { app.gql(REFRESH, json!({ "token": token }), None).await })
    });
    let results: Vec<Value> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners: Vec<&Value> = results.iter().filter(|b| b["errors"].is_null()).collect();
    assert!(
        winners.len() <= 1,
        "at most one rotation may succeed: {results:?}"
    );
    assert!(
        results.iter().all(
            |b| b["errors"].is_null() || ["TOKEN_REUSED", "UNAUTHENTICATED"].contains(&code(b))
        ),
        "{results:?}"
    );
    // Racing the same token is reuse: the family is revoked either way.
    let me = app.gql(ME, json!({}), Some(&lee.access)).await;
    assert_eq!(reason(&me), "SESSION_REVOKED", "{me}");
}

/// EdDSA and RS256 keys from files; a token signed with HS256 is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asymmetric_algorithms() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt");
    for (alg, private, public) in [
        ("EdDSA", "ed25519-private.pem", "ed25519-public.pem"),
        ("RS256", "rsa-private.pem", "rsa-public.pem"),
    ] {
        let private = format!("{dir}/{private}");
        let public = format!("{dir}/{public}");
        let app = TestApp::spawn_with(
            common::Backend::Sqlite,
            &[
                ("VITRINE_JWT_ALGORITHM", alg),
                ("VITRINE_JWT_PRIVATE_KEY_FILE", &private),
                ("VITRINE_JWT_PUBLIC_KEY_FILE", &public),
            ],
        )
        .await
        .unwrap();
        let user = app.register("asym@example.com", "asym").await;
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(user.access.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], alg);
        app.gql_ok(ME, json!({}), Some(&user.access)).await;
        // HS256 "signed" with the public key (the classic confusion attack).
        let payload: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(user.access.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        let confused = forge(&payload, &std::fs::read(&public).unwrap());
        assert_eq!(
            reason(&app.gql(ME, json!({}), Some(&confused)).await),
            "TOKEN_INVALID"
        );
    }
}
