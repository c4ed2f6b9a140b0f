//! Profile photos and store logos over HTTP, on SQLite and PostgreSQL:
//! set from the caller's confirmed upload, read back and fetched, replaced,
//! removed; other users' uploads, unconfirmed or non-image uploads, and
//! other people's stores refused.
mod common;

use common::{SignedIn, TestApp, code};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

on_both_databases!(
    a_profile_photo_is_set_replaced_and_removed,
    profile_photos_take_only_the_callers_images,
    a_store_owner_sets_the_logo,
    only_the_owner_sets_a_store_logo,
);

const SET_PHOTO: &str = "mutation($i: SetProfilePhotoInput!) { setProfilePhoto(input: $i) { user { id profilePhotoUrl profilePhoto { url width height } } } }";
const REMOVE_PHOTO: &str =
    "mutation { removeProfilePhoto { user { profilePhotoUrl profilePhoto { url } } } }";
const ME: &str = "{ me { profilePhotoUrl profilePhoto { url thumbnailUrl width } } }";
const SET_LOGO: &str = "mutation($i: SetStoreLogoInput!) { setStoreLogo(input: $i) { store { id logoUrl logo { url width height } } } }";
const REMOVE_LOGO: &str =
    "mutation($i: RemoveStoreLogoInput) { removeStoreLogo(input: $i) { store { logoUrl } } }";
const STORE: &str =
    "query($id: ID!) { store(id: $id) { logoUrl logo { url width } owner { profilePhotoUrl } } }";

/// A JPEG of `width`×`height`.
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// Fetches a URL of this API (relative or absolute): status, type, body.
async fn fetch(app: &TestApp, url: &str) -> (u16, Option<String>, Vec<u8>) {
    let url = if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_owned()
    };
    let resp = app.http.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

async fn set_photo(app: &TestApp, user: &SignedIn, upload: &str) -> Value {
    app.gql(
        SET_PHOTO,
        json!({ "i": { "uploadId": upload } }),
        Some(&user.access),
    )
    .await
}

async fn a_profile_photo_is_set_replaced_and_removed(app: TestApp) {
    let user = app.register("face@example.com", "face").await;
    let me = app.gql_ok(ME, json!({}), Some(&user.access)).await;
    assert!(me["me"]["profilePhotoUrl"].is_null());
    assert!(me["me"]["profilePhoto"].is_null());

    let first_bytes = jpeg(400, 400);
    let first = app
        .direct_upload(&user, "image/jpeg", first_bytes.clone())
        .await;
    let body = set_photo(&app, &user, &first).await;
    assert!(body["errors"].is_null(), "{body:#}");
    let set = &body["data"]["setProfilePhoto"]["user"];
    let url = set["profilePhotoUrl"].as_str().unwrap().to_owned();
    assert!(url.ends_with(&format!("/files/{first}.jpg")), "{url}");
    assert_eq!(set["profilePhoto"]["url"], url);
    assert_eq!(set["profilePhoto"]["width"], 400);
    // Read back, by the user and by anyone through their store-less profile.
    let me = app.gql_ok(ME, json!({}), Some(&user.access)).await;
    assert_eq!(me["me"]["profilePhotoUrl"], url);
    let (status, ct, bytes) = fetch(&app, &url).await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/jpeg")));
    assert_eq!(bytes, first_bytes);

    // Replacing points at the new file; the old one is no longer the photo.
    let second_bytes = common::png();
    let second = app
        .direct_upload(&user, "image/png", second_bytes.clone())
        .await;
    let body = set_photo(&app, &user, &second).await;
    let replaced = body["data"]["setProfilePhoto"]["user"]["profilePhotoUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(replaced, url);
    assert!(replaced.ends_with(&format!("/files/{second}.png")));
    let me = app.gql_ok(ME, json!({}), Some(&user.access)).await;
    assert_eq!(me["me"]["profilePhotoUrl"], replaced.as_str());
    let (status, ct, bytes) = fetch(&app, &replaced).await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/png")));
    assert_eq!(bytes, second_bytes);

    // Removed.
    let removed = app
        .gql_ok(REMOVE_PHOTO, json!({}), Some(&user.access))
        .await;
    assert!(removed["removeProfilePhoto"]["user"]["profilePhotoUrl"].is_null());
    assert!(removed["removeProfilePhoto"]["user"]["profilePhoto"].is_null());
    let me = app.gql_ok(ME, json!({}), Some(&user.access)).await;
    assert!(me["me"]["profilePhotoUrl"].is_null());
    // Removing twice is harmless; anonymous callers cannot.
    app.gql_ok(REMOVE_PHOTO, json!({}), Some(&user.access))
        .await;
    let body = app.gql(REMOVE_PHOTO, json!({}), None).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let body = app
        .gql(SET_PHOTO, json!({ "i": { "uploadId": second } }), None)
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

/// The numeric id of the account with `email`.
async fn user_id(app: &TestApp, email: &str) -> i64 {
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT id FROM users WHERE email = $1",
        _ => "SELECT id FROM users WHERE email = ?",
    };
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [email.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "id").unwrap()
}

async fn profile_photos_take_only_the_callers_images(app: TestApp) {
    let user = app.register("picky@example.com", "picky").await;
    let stranger = app.register("stranger@example.com", "stranger").await;

    // Someone else's upload: NOT_FOUND, as if it did not exist.
    let theirs = app
        .direct_upload(&stranger, "image/jpeg", jpeg(50, 50))
        .await;
    let body = set_photo(&app, &user, &theirs).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body:#}");

    // A file that is not an image never becomes a usable upload.
    let text = b"<html><script>alert(1)</script></html>".to_vec();
    let (pending, url, headers) = app.upload_url(&user, "image/png", text.len()).await;
    assert!(app.put_upload(&url, &headers, text).await.is_success());
    let refused = app
        .gql(
            "mutation($id: ID!) { confirmUpload(id: $id) { id } }",
            json!({ "id": pending }),
            Some(&user.access),
        )
        .await;
    assert_eq!(code(&refused), "VALIDATION");
    let body = set_photo(&app, &user, &pending).await;
    assert_eq!(code(&body), "UPLOAD_NOT_CONFIRMED", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "uploadId");
    // Nor can a non-image type be asked for.
    let body = app
        .gql(
            "mutation { createUploadUrl(contentType: \"application/pdf\", size: 100) { url } }",
            json!({}),
            Some(&user.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");

    // A confirmed upload of another type (not something the uploads make
    // today) is refused by the profile photo's own check.
    let owner = user_id(&app, "picky@example.com").await;
    let forged = uuid::Uuid::new_v4().to_string();
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO uploads (id, owner_id, content_type, byte_size, storage_key, status, created_at) VALUES ($1, $2, 'application/pdf', 10, $3, 'CONFIRMED', CURRENT_TIMESTAMP)"
        }
        _ => {
            "INSERT INTO uploads (id, owner_id, content_type, byte_size, storage_key, status, created_at) VALUES (?, ?, 'application/pdf', 10, ?, 'CONFIRMED', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
        }
    };
    app.state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                forged.clone().into(),
                owner.into(),
                format!("{forged}.pdf").into(),
            ],
        ))
        .await
        .unwrap();
    let body = set_photo(&app, &user, &forged).await;
    assert_eq!(code(&body), "VALIDATION", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "uploadId");

    // Not an id at all.
    let body = set_photo(&app, &user, "not-a-uuid").await;
    assert_eq!(code(&body), "VALIDATION");

    // None of it set a photo.
    let me = app.gql_ok(ME, json!({}), Some(&user.access)).await;
    assert!(me["me"]["profilePhotoUrl"].is_null());
}

async fn a_store_owner_sets_the_logo(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, store_id) = app
        .approved_seller(&admin, "Logo Works", "123-45-67890")
        .await;
    let data = app.gql_ok(STORE, json!({ "id": store_id }), None).await;
    assert!(data["store"]["logoUrl"].is_null());
    assert!(data["store"]["logo"].is_null());

    let logo_bytes = jpeg(256, 128);
    let logo = app
        .direct_upload(&seller, "image/jpeg", logo_bytes.clone())
        .await;
    // With the store named.
    let set = app
        .gql_ok(
            SET_LOGO,
            json!({ "i": { "storeId": store_id, "uploadId": logo } }),
            Some(&seller.access),
        )
        .await;
    let store = &set["setStoreLogo"]["store"];
    assert_eq!(store["id"], store_id.as_str());
    let url = store["logoUrl"].as_str().unwrap().to_owned();
    assert!(url.ends_with(&format!("/files/{logo}.jpg")), "{url}");
    assert_eq!(store["logo"]["width"], 256);
    // Anyone reads it on the store page, and fetches it.
    let data = app.gql_ok(STORE, json!({ "id": store_id }), None).await;
    assert_eq!(data["store"]["logoUrl"], url.as_str());
    assert_eq!(data["store"]["logo"]["url"], url.as_str());
    let (status, ct, bytes) = fetch(&app, &url).await;
    assert_eq!((status, ct.as_deref()), (200, Some("image/jpeg")));
    assert_eq!(bytes, logo_bytes);

    // Replaced, without naming the store (the caller's own).
    let next = app.direct_upload(&seller, "image/png", common::png()).await;
    let set = app
        .gql_ok(
            SET_LOGO,
            json!({ "i": { "uploadId": next } }),
            Some(&seller.access),
        )
        .await;
    let replaced = set["setStoreLogo"]["store"]["logoUrl"].as_str().unwrap();
    assert!(replaced.ends_with(&format!("/files/{next}.png")));
    let data = app.gql_ok(STORE, json!({ "id": store_id }), None).await;
    assert_eq!(data["store"]["logoUrl"], replaced);
    assert_eq!(fetch(&app, replaced).await.0, 200);

    // The owner's profile photo is theirs alone, not the logo.
    assert!(data["store"]["owner"]["profilePhotoUrl"].is_null());

    // Removed.
    let removed = app
        .gql_ok(
            REMOVE_LOGO,
            json!({ "i": { "storeId": store_id } }),
            Some(&seller.access),
        )
        .await;
    assert!(removed["removeStoreLogo"]["store"]["logoUrl"].is_null());
    let data = app.gql_ok(STORE, json!({ "id": store_id }), None).await;
    assert!(data["store"]["logoUrl"].is_null());
}

async fn only_the_owner_sets_a_store_logo(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, store_id) = app
        .approved_seller(&admin, "Owned Brand", "222-33-44444")
        .await;
    let (rival, _) = app
        .approved_seller(&admin, "Rival Brand", "333-44-55555")
        .await;
    let buyer = app.register("buyer@example.com", "buyer").await;
    let logo = app.direct_upload(&seller, "image/jpeg", jpeg(64, 64)).await;
    app.gql_ok(
        SET_LOGO,
        json!({ "i": { "storeId": store_id, "uploadId": logo } }),
        Some(&seller.access),
    )
    .await;

    // Another seller, with their own upload, cannot set it.
    let rival_logo = app.direct_upload(&rival, "image/jpeg", jpeg(32, 32)).await;
    let body = app
        .gql(
            SET_LOGO,
            json!({ "i": { "storeId": store_id, "uploadId": rival_logo } }),
            Some(&rival.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body:#}");
    let body = app
        .gql(
            REMOVE_LOGO,
            json!({ "i": { "storeId": store_id } }),
            Some(&rival.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    // Nor can an admin, nor a buyer (who has no store at all).
    let admin_logo = app.direct_upload(&admin, "image/jpeg", jpeg(32, 32)).await;
    let body = app
        .gql(
            SET_LOGO,
            json!({ "i": { "storeId": store_id, "uploadId": admin_logo } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let buyer_logo = app.direct_upload(&buyer, "image/jpeg", jpeg(32, 32)).await;
    let body = app
        .gql(
            SET_LOGO,
            json!({ "i": { "uploadId": buyer_logo } }),
            Some(&buyer.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    // The owner cannot use someone else's upload either.
    let body = app
        .gql(
            SET_LOGO,
            json!({ "i": { "storeId": store_id, "uploadId": rival_logo } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    // The logo is still the owner's.
    let data = app.gql_ok(STORE, json!({ "id": store_id }), None).await;
    assert!(
        data["store"]["logoUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/files/{logo}.jpg"))
    );
}
