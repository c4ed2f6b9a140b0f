//! Direct uploads and image variants over HTTP (OPS-4), on SQLite and
//! PostgreSQL with local storage (S3: tests/storage.rs): the signed PUT,
//! `confirmUpload`'s checks, expiry, the thumbnail and WebP job, and the
//! uploads used as product photos, short thumbnails, post images and a
//! generation source.
mod common;

use std::time::Duration;

use common::{SignedIn, TestApp, code};
use serde_json::{Value, json};

on_both_databases!(
    a_direct_upload_is_put_confirmed_and_gets_variants,
    confirm_checks_what_arrived,
    the_signed_put_is_bounded,
    unconfirmed_and_foreign_uploads_cannot_be_used,
    expired_uploads_are_refused_and_removed,
    sellers_use_uploads_for_photos_and_thumbnails,
);

/// A photo-like JPEG of `width`×`height`.
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

const POST_IMAGES: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id images { url position thumbnailUrl webpUrl width height } } }";
const POST: &str = "query($id: ID!) { post(id: $id) { images { url position thumbnailUrl webpUrl width height } } }";
const CONFIRM: &str = "mutation($id: ID!) { confirmUpload(id: $id) { id status contentType size expiresAt image { url width height } } }";

/// Polls `query` until `ready` holds (the variants job runs in the
/// background), for up to 30 s.
async fn eventually(
    app: &TestApp,
    query: &str,
    vars: Value,
    token: Option<&str>,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..300 {
        let data = app.gql_ok(query, vars.clone(), token).await;
        if ready(&data) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never became ready: {query}");
}

/// Fetches a URL of this API (relative or absolute).
async fn fetch(app: &TestApp, url: &str) -> (reqwest::StatusCode, Option<String>, Vec<u8>) {
    let url = if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_owned()
    };
    let resp = app.http.get(url).send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

async fn a_direct_upload_is_put_confirmed_and_gets_variants(app: TestApp) {
    let user = app.register("maker@example.com", "maker").await;
    let photo = jpeg(1200, 800);
    let (id, url, headers) = app.upload_url(&user, "image/jpeg", photo.len()).await;
    // Local storage signs a URL of this API.
    assert!(url.starts_with(&app.url("/uploads/")), "{url}");
    assert!(url.contains("expires=") && url.contains("signature="));
    assert_eq!(
        headers,
        vec![("Content-Type".to_owned(), "image/jpeg".to_owned())]
    );
    assert!(
        app.put_upload(&url, &headers, photo.clone())
            .await
            .is_success()
    );
    // A PUT again (before confirmation) replaces the file.
    assert!(
        app.put_upload(&url, &headers, photo.clone())
            .await
            .is_success()
    );

    let confirmed = app
        .gql_ok(CONFIRM, json!({ "id": id }), Some(&user.access))
        .await;
    let upload = &confirmed["confirmUpload"];
    assert_eq!(upload["status"], "CONFIRMED");
    assert_eq!(upload["contentType"], "image/jpeg");
    assert_eq!(upload["size"], photo.len());
    assert!(upload["expiresAt"].is_null());
    assert_eq!(
        (
            upload["image"]["width"].clone(),
            upload["image"]["height"].clone()
        ),
        (json!(1200), json!(800))
    );
    let (status, ct, body) = fetch(&app, upload["image"]["url"].as_str().unwrap()).await;
    assert_eq!((status.as_u16(), ct.as_deref()), (200, Some("image/jpeg")));
    assert_eq!(body, photo);
    // Confirming twice is harmless; a PUT after confirmation is refused.
    let again = app
        .gql_ok(CONFIRM, json!({ "id": id }), Some(&user.access))
        .await;
    assert_eq!(again["confirmUpload"]["status"], "CONFIRMED");
    assert_eq!(
        app.put_upload(&url, &headers, jpeg(10, 10)).await.as_u16(),
        403
    );

    // Used as a post image: the variants arrive by job.
    let post = app
        .gql_ok(
            POST_IMAGES,
            json!({ "i": { "body": "new room", "imageUploadIds": [id] } }),
            Some(&user.access),
        )
        .await;
    let post_id = post["createPost"]["id"].clone();
    let data = eventually(&app, POST, json!({ "id": post_id }), None, |d| {
        !d["post"]["images"][0]["thumbnailUrl"].is_null()
    })
    .await;
    let image = &data["post"]["images"][0];
    assert_eq!(
        (image["width"].clone(), image["height"].clone()),
        (json!(1200), json!(800))
    );
    let (status, ct, thumb) = fetch(&app, image["thumbnailUrl"].as_str().unwrap()).await;
    assert_eq!((status.as_u16(), ct.as_deref()), (200, Some("image/webp")));
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
    let (_, ct, webp) = fetch(&app, image["webpUrl"].as_str().unwrap()).await;
    assert_eq!(ct.as_deref(), Some("image/webp"));
    let webp = image::load_from_memory(&webp).unwrap();
    assert_eq!((webp.width(), webp.height()), (1200, 800));

    // Multipart uploads get variants too.
    let (status, sent) = app
        .gql_upload(
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({ "i": { "body": "sent along", "images": [null] } }),
            vec![("variables.i.images.0", "room.jpg", jpeg(640, 480))],
            Some(&user.access),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{sent:#}");
    let data = eventually(
        &app,
        POST,
        json!({ "id": sent["data"]["createPost"]["id"] }),
        None,
        |d| !d["post"]["images"][0]["webpUrl"].is_null(),
    )
    .await;
    assert_eq!(data["post"]["images"][0]["width"], 640);
}

async fn confirm_checks_what_arrived(app: TestApp) {
    let user = app.register("checker@example.com", "checker").await;
    // Nothing PUT yet.
    let photo = jpeg(300, 200);
    let (id, url, headers) = app.upload_url(&user, "image/jpeg", photo.len()).await;
    let body = app
        .gql(CONFIRM, json!({ "id": id }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body:#}");
    // Not an image: refused, and the file is removed.
    let text = b"<html><script>alert(1)</script></html>".to_vec();
    assert!(app.put_upload(&url, &headers, text).await.is_success());
    let body = app
        .gql(CONFIRM, json!({ "id": id }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    assert_eq!(body["errors"][0]["extensions"]["field"], "id");
    let key = format!("{id}.jpg");
    assert!(app.state.storage.get(&key).await.unwrap().is_none());
    // Another image type than announced.
    let png = common::png();
    assert!(app.put_upload(&url, &headers, png).await.is_success());
    let body = app
        .gql(CONFIRM, json!({ "id": id }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("image/jpeg"),
        "{body:#}"
    );
    // The right file still goes through: the upload stayed PENDING.
    assert!(app.put_upload(&url, &headers, photo).await.is_success());
    let ok = app
        .gql_ok(CONFIRM, json!({ "id": id }), Some(&user.access))
        .await;
    assert_eq!(ok["confirmUpload"]["status"], "CONFIRMED");

    // Bad requests for a URL.
    let ask =
        "mutation($t: String!, $s: Int!) { createUploadUrl(contentType: $t, size: $s) { url } }";
    for (t, s, field) in [
        ("image/gif", 100, "contentType"),
        ("text/html", 100, "contentType"),
        ("image/png", 0, "size"),
        ("image/png", 10 * 1024 * 1024 + 1, "size"),
    ] {
        let body = app
            .gql(ask, json!({ "t": t, "s": s }), Some(&user.access))
            .await;
        assert_eq!(code(&body), "VALIDATION", "{t} {s}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    let anonymous = app
        .gql(ask, json!({ "t": "image/png", "s": 10 }), None)
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let body = app
        .gql(CONFIRM, json!({ "id": "not-a-uuid" }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
}

async fn the_signed_put_is_bounded(app: TestApp) {
    let user = app.register("putter@example.com", "putter").await;
    let photo = jpeg(200, 200);
    let (_, url, headers) = app.upload_url(&user, "image/jpeg", photo.len()).await;
    // More than announced.
    let mut bigger = photo.clone();
    bigger.extend_from_slice(&[0; 64]);
    assert_eq!(app.put_upload(&url, &headers, bigger).await.as_u16(), 413);
    // A forged signature, another key, no signature, an altered expiry.
    let forged = format!("{}0", url.trim_end_matches(|c: char| c.is_ascii_hexdigit()));
    assert_eq!(
        app.put_upload(&forged, &headers, photo.clone())
            .await
            .as_u16(),
        403
    );
    let (path, query) = url.split_once('?').unwrap();
    let other_key = format!("{}.jpg?{query}", &path[..path.len() - 4].replace('-', "0"));
    assert_eq!(
        app.put_upload(&other_key, &headers, photo.clone())
            .await
            .as_u16(),
        403
    );
    assert_eq!(
        app.put_upload(path, &headers, photo.clone()).await.as_u16(),
        403
    );
    let (_, expires) = query.split_once("expires=").unwrap();
    let expires: i64 = expires.split('&').next().unwrap().parse().unwrap();
    let later = url.replace(
        &format!("expires={expires}"),
        &format!("expires={}", expires + 3600),
    );
    assert_eq!(
        app.put_upload(&later, &headers, photo.clone())
            .await
            .as_u16(),
        403
    );
    // The genuine URL still works.
    assert!(app.put_upload(&url, &headers, photo).await.is_success());
}

async fn unconfirmed_and_foreign_uploads_cannot_be_used(app: TestApp) {
    let owner = app.register("owner@example.com", "owner").await;
    let stranger = app.register("stranger@example.com", "stranger").await;
    let photo = jpeg(400, 300);
    let (pending, url, headers) = app.upload_url(&owner, "image/jpeg", photo.len()).await;
    assert!(
        app.put_upload(&url, &headers, photo.clone())
            .await
            .is_success()
    );
    let post = |ids: Vec<&str>| json!({ "i": { "body": "hello", "imageUploadIds": ids } });
    let body = app
        .gql(POST_IMAGES, post(vec![&pending]), Some(&owner.access))
        .await;
    assert_eq!(code(&body), "UPLOAD_NOT_CONFIRMED");
    assert_eq!(body["errors"][0]["extensions"]["field"], "imageUploadIds");
    // Someone else's: neither usable nor confirmable by them.
    let body = app
        .gql(POST_IMAGES, post(vec![&pending]), Some(&stranger.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app
        .gql(CONFIRM, json!({ "id": pending }), Some(&stranger.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let confirmed = app.direct_upload(&owner, "image/jpeg", photo).await;
    let body = app
        .gql(POST_IMAGES, post(vec![&confirmed]), Some(&stranger.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    // Named twice; an id that is not one.
    let body = app
        .gql(
            POST_IMAGES,
            post(vec![&confirmed, &confirmed]),
            Some(&owner.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let body = app
        .gql(POST_IMAGES, post(vec!["x"]), Some(&owner.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    // Nothing was written by the refusals.
    let posts = app
        .gql_ok(
            "query { posts(first: 10) { edges { node { id } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(posts["posts"]["edges"].as_array().unwrap().len(), 0);
    // A generation source too.
    let generate = "mutation($i: GenerateDesignInput!, $k: String!) { generateDesign(input: $i, idempotencyKey: $k) { design { id } } }";
    let (fresh, _, _) = app.upload_url(&owner, "image/jpeg", 100).await;
    let body = app
        .gql(
            generate,
            json!({ "i": { "style": "MODERN", "roomType": "BEDROOM", "sourceUploadId": fresh }, "k": "generate-from-pending-0001" }),
            Some(&owner.access),
        )
        .await;
    assert_eq!(code(&body), "UPLOAD_NOT_CONFIRMED", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "sourceUploadId");
    // The owner's confirmed upload works.
    let ok = app
        .gql_ok(POST_IMAGES, post(vec![&confirmed]), Some(&owner.access))
        .await;
    assert_eq!(ok["createPost"]["images"][0]["width"], 400);
}

async fn expired_uploads_are_refused_and_removed(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let user = app.register("late@example.com", "late").await;
    let photo = jpeg(100, 100);
    let (late, url, headers) = app.upload_url(&user, "image/jpeg", photo.len()).await;
    assert!(
        app.put_upload(&url, &headers, photo.clone())
            .await
            .is_success()
    );
    let (kept, _, _) = app.upload_url(&user, "image/jpeg", photo.len()).await;
    let done = app.direct_upload(&user, "image/jpeg", photo).await;
    // Time passes for one of them.
    let db = &app.state.db;
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "UPDATE uploads SET expires_at = $1::timestamptz WHERE id = $2"
        }
        _ => "UPDATE uploads SET expires_at = ? WHERE id = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [past.into(), late.clone().into()],
    ))
    .await
    .unwrap();
    let body = app
        .gql(CONFIRM, json!({ "id": late }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "UPLOAD_EXPIRED");
    let body = app
        .gql(
            POST_IMAGES,
            json!({ "i": { "body": "late", "imageUploadIds": [late] } }),
            Some(&user.access),
        )
        .await;
    assert_eq!(code(&body), "UPLOAD_EXPIRED");
    // The expiry job removes it, row and file, and nothing else (the
    // scheduled run may have come first: then this pass finds nothing).
    let removed = vitrine::domain::uploads::direct::expire(db, app.state.storage.as_ref())
        .await
        .unwrap_or_else(|e| panic!("{}", e.message()));
    assert!(removed <= 1);
    assert!(
        app.state
            .storage
            .get(&format!("{late}.jpg"))
            .await
            .unwrap()
            .is_none()
    );
    let body = app
        .gql(CONFIRM, json!({ "id": late }), Some(&user.access))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    for id in [&kept, &done] {
        let found = app
            .gql(CONFIRM, json!({ "id": id }), Some(&user.access))
            .await;
        assert_ne!(code(&found), "NOT_FOUND", "{id} was removed");
    }
    // The job is scheduled.
    assert!(
        vitrine::jobs::kinds::periodic(&app.state.config, db.get_database_backend())
            .iter()
            .any(|p| p.name == "uploads-expiry")
    );
}

async fn sellers_use_uploads_for_photos_and_thumbnails(app: TestApp) {
    let admin = app.user_with_role("ADMIN").await;
    let (seller, _) = app
        .approved_seller(&admin, "Atelier Han", "111-22-33333")
        .await;
    let categories = app
        .gql_ok(
            "query { categories { id children { id } } }",
            json!({}),
            None,
        )
        .await;
    let category = categories["categories"][0]["children"][0]["id"].clone();
    let front = app
        .direct_upload(&seller, "image/jpeg", jpeg(900, 1200))
        .await;
    let back = app.direct_upload(&seller, "image/png", common::png()).await;
    let created = app
        .gql_ok(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": {
                "name": "Linen shirt", "price": 59000, "stock": 3, "categoryId": category,
                "images": ["https://cdn.example.com/linen-detail.jpg"],
                "imageUploadIds": [front, back],
            } }),
            Some(&seller.access),
        )
        .await;
    let product_id = created["createProduct"]["id"].clone();
    let query = "query($id: ID!) { product(id: $id) { images { url position thumbnailUrl webpUrl width height } } }";
    let data = eventually(&app, query, json!({ "id": product_id }), None, |d| {
        !d["product"]["images"][0]["thumbnailUrl"].is_null()
            && !d["product"]["images"][1]["thumbnailUrl"].is_null()
    })
    .await;
    let images = data["product"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    assert_eq!(
        (images[0]["width"].clone(), images[0]["height"].clone()),
        (json!(900), json!(1200))
    );
    assert!(
        images[0]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/files/{front}.jpg"))
    );
    assert_eq!(images[1]["width"], 1);
    assert_eq!(images[2]["url"], "https://cdn.example.com/linen-detail.jpg");
    assert!(images[2]["thumbnailUrl"].is_null() && images[2]["width"].is_null());
    assert_eq!(
        images
            .iter()
            .map(|i| i["position"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    // A stored first photo gets its colours analysed.
    let colours = eventually(
        &app,
        "query($id: ID!) { product(id: $id) { palette } }",
        json!({ "id": product_id }),
        None,
        |d| !d["product"]["palette"].as_array().unwrap().is_empty(),
    )
    .await;
    assert!(!colours["product"]["palette"].as_array().unwrap().is_empty());

    // Replacing the photos; bad ones refused with nothing written.
    let update = "mutation($id: ID!, $i: UpdateProductInput!) { updateProduct(id: $id, input: $i) { images { url } } }";
    let (pending, _, _) = app.upload_url(&seller, "image/jpeg", 100).await;
    let body = app
        .gql(
            update,
            json!({ "id": product_id, "i": { "imageUploadIds": [pending] } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&body), "UPLOAD_NOT_CONFIRMED");
    let body = app
        .gql(
            update,
            json!({ "id": product_id, "i": { "images": ["javascript:alert(1)"] } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let eleven: Vec<String> = (0..11)
        .map(|i| format!("https://cdn.example.com/{i}.jpg"))
        .collect();
    let body = app
        .gql(
            update,
            json!({ "id": product_id, "i": { "images": eleven } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let unchanged = app.gql_ok(query, json!({ "id": product_id }), None).await;
    assert_eq!(unchanged["product"]["images"].as_array().unwrap().len(), 3);
    let replaced = app
        .gql_ok(
            update,
            json!({ "id": product_id, "i": { "imageUploadIds": [back] } }),
            Some(&seller.access),
        )
        .await;
    assert_eq!(
        replaced["updateProduct"]["images"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A short's thumbnail from an upload; not both kinds at once.
    let thumb = app
        .direct_upload(&seller, "image/jpeg", jpeg(720, 1280))
        .await;
    let add = "mutation($i: AddShortInput!) { addShort(input: $i) { id thumbnailUrl thumbnail { url width height } } }";
    let short = |extra: Value| {
        let mut input = json!({ "productId": product_id, "title": "Fit check", "videoUrl": "https://cdn.example.com/v.mp4", "durationSecs": 15 });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "i": input })
    };
    let body = app
        .gql(add, short(json!({ "thumbnailUploadId": thumb, "thumbnailUrl": "https://cdn.example.com/t.jpg" })), Some(&seller.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let added = app
        .gql_ok(
            add,
            short(json!({ "thumbnailUploadId": thumb })),
            Some(&seller.access),
        )
        .await;
    let added = &added["addShort"];
    assert!(
        added["thumbnailUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/files/{thumb}.jpg"))
    );
    assert_eq!(added["thumbnail"]["url"], added["thumbnailUrl"]);
    assert_eq!(
        (
            added["thumbnail"]["width"].clone(),
            added["thumbnail"]["height"].clone()
        ),
        (json!(720), json!(1280))
    );
    let external = app
        .gql_ok(
            add,
            short(json!({ "thumbnailUrl": "https://cdn.example.com/t.jpg" })),
            Some(&seller.access),
        )
        .await;
    assert_eq!(
        external["addShort"]["thumbnail"]["url"],
        "https://cdn.example.com/t.jpg"
    );
    assert!(external["addShort"]["thumbnail"]["width"].is_null());
    // Someone else's upload is not the seller's to use.
    let buyer: SignedIn = app.register("buyer@example.com", "buyer").await;
    let theirs = app.direct_upload(&buyer, "image/jpeg", jpeg(50, 50)).await;
    let body = app
        .gql(
            add,
            short(json!({ "thumbnailUploadId": theirs })),
            Some(&seller.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
}
