//! Object storage (OPS-4) on a real S3-compatible server: moto, from PyPI,
//! installed into the project virtualenv by `make test` and started here on
//! 127.0.0.1. Uploads, generated images, their variants and colour analysis
//! go through the bucket; direct uploads PUT to pre-signed URLs of it; a
//! bucket that cannot be written leaves nothing behind; readiness reports
//! the storage.
mod common;

use std::{io::Cursor, path::PathBuf, process::Stdio, time::Duration};

use common::{Backend, TestApp, code};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

/// A moto server on a free port, stopped on drop.
struct Moto {
    url: String,
    _child: tokio::process::Child,
}

impl Moto {
    async fn start() -> Option<Self> {
        let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
        if !binary.is_file() {
            return common::unavailable(
                "moto (S3)",
                format!("{} is missing: `make test` installs it", binary.display()),
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = tokio::process::Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..150 {
            if http.get(&url).send().await.is_ok() {
                return Some(Self { url, _child: child });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on {url}");
    }

    async fn create_bucket(&self, bucket: &str) {
        let resp = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "create bucket: {}",
            resp.status()
        );
    }

    /// The keys in `bucket` (ListObjectsV2).
    async fn keys(&self, bucket: &str) -> Vec<String> {
        let xml = reqwest::get(format!("{}/{bucket}?list-type=2", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

/// The bucket's keys once there are `n` of them (jobs write in the
/// background), for up to 30 s.
async fn eventually_keys(moto: &Moto, bucket: &str, n: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for _ in 0..300 {
        keys = moto.keys(bucket).await;
        if keys.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(keys.len(), n, "{keys:?}");
    keys
}

fn s3_vars<'a>(moto: &'a Moto, bucket: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("VITRINE_STORAGE", "s3"),
        ("VITRINE_S3_BUCKET", bucket),
        ("VITRINE_S3_ENDPOINT", &moto.url),
        ("VITRINE_S3_ACCESS_KEY_ID", "testing"),
        ("VITRINE_S3_SECRET_ACCESS_KEY", "testing"),
        ("VITRINE_S3_PREFIX", "tenant-a"),
    ]
}

fn png() -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(240, 160, |x, _| {
        Rgb(if x < 80 {
            [230, 220, 200]
        } else {
            [40, 70, 160]
        })
    }));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

const GENERATE: &str = "mutation($i: GenerateDesignInput!, $k: String!) { generateDesign(input: $i, idempotencyKey: $k) { design { id } } }";
const DESIGN: &str = "query($id: ID!) { design(id: $id) { generationStatus colorTheme sourceImageUrl generatedImageUrl } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_generated_images_live_in_the_bucket() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("vitrine-media").await;
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, &s3_vars(&moto, "vitrine-media")).await
    else {
        return;
    };
    let ready = app.get_json("/readyz").await;
    assert_eq!(
        ready["storage"],
        json!({ "ok": true, "backend": "s3" }),
        "{ready:#}"
    );
    let ana = app.register("ana-s3@example.com", "ana").await;
    let source = png();
    let (_, body) = app
        .gql_upload(
            GENERATE,
            json!({ "i": { "style": "NATURAL", "roomType": "KITCHEN", "sourceImage": null }, "k": "s3-generate-1" }),
            vec![("variables.i.sourceImage", "room.png", source.clone())],
            Some(&ana.access),
        )
        .await;
    let id = body["data"]["generateDesign"]["design"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let mut design = Value::Null;
    for _ in 0..150 {
        design = app
            .gql_ok(DESIGN, json!({ "id": id }), Some(&ana.access))
            .await["design"]
            .clone();
        if design["generationStatus"] == "READY" && !design["colorTheme"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(design["generationStatus"], "READY", "{design:#}");
    assert!(
        !design["colorTheme"].is_null(),
        "the job read the generated image back: {design:#}"
    );
    // Both images and their thumbnails and WebP variants (by a job) are in
    // the bucket under the prefix, and served at /files.
    let keys = eventually_keys(&moto, "vitrine-media", 6).await;
    assert!(keys.iter().all(|k| k.starts_with("tenant-a/")), "{keys:?}");
    assert_eq!(
        keys.iter().filter(|k| k.ends_with(".png")).count(),
        2,
        "{keys:?}"
    );
    assert_eq!(
        keys.iter().filter(|k| k.ends_with("-thumb.webp")).count(),
        2,
        "{keys:?}"
    );
    assert_eq!(
        keys.iter().filter(|k| k.ends_with("-full.webp")).count(),
        2,
        "{keys:?}"
    );
    let served = app
        .http
        .get(app.url(design["sourceImageUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), source);
    let generated = app
        .http
        .get(app.url(design["generatedImageUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(generated.status(), 200);
    assert_eq!(generated.headers()["content-type"], "image/png");
    let key = design["sourceImageUrl"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(keys.contains(&format!("tenant-a/{key}")), "{keys:?}");
    // A key that is not there is a 404, not an error.
    let missing = app
        .http
        .get(app.url("/files/0b0c8a4e-2b7e-4f0a-9d49-9c1e2f3a4b5c.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_that_cannot_be_written_leaves_nothing_behind() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    // The bucket was never created.
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, &s3_vars(&moto, "no-such-bucket")).await
    else {
        return;
    };
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["storage"]["ok"], false);
    let ana = app.register("ana-nobucket@example.com", "ana").await;
    let (_, body) = app
        .gql_upload(
            "mutation($i: CreateDesignInput!) { createDesign(input: $i) { id } }",
            json!({ "i": { "title": "t", "style": "MODERN", "roomType": "LIVING_ROOM", "sourceImage": null } }),
            vec![("variables.i.sourceImage", "room.png", png())],
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "INTERNAL", "{body}");
    let mine = app
        .gql_ok(
            "{ designs { edges { node { id } } } }",
            json!({}),
            Some(&ana.access),
        )
        .await;
    assert_eq!(mine["designs"]["edges"], json!([]));
}

/// Direct uploads on S3: the client PUTs to a pre-signed URL of the bucket
/// (never through the API); `confirmUpload` reads the object back; an
/// expired upload's object is deleted from the bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_uploads_go_straight_to_the_bucket() {
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("vitrine-direct").await;
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, &s3_vars(&moto, "vitrine-direct")).await
    else {
        return;
    };
    let user = app.register("direct-s3@example.com", "direct").await;
    let photo = png();
    let (id, url, headers) = app.upload_url(&user, "image/png", photo.len()).await;
    assert!(
        url.starts_with(&format!("{}/vitrine-direct/tenant-a/{id}.png?", moto.url)),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires="),
        "{url}"
    );
    // Unconfirmed: not usable yet.
    let post = "mutation($i: CreatePostInput!) { createPost(input: $i) { id images { width thumbnailUrl } } }";
    let body = app
        .gql(
            post,
            json!({ "i": { "body": "s3", "imageUploadIds": [id] } }),
            Some(&user.access),
        )
        .await;
    assert_eq!(code(&body), "UPLOAD_NOT_CONFIRMED");
    assert!(
        app.put_upload(&url, &headers, photo.clone())
            .await
            .is_success()
    );
    assert_eq!(
        moto.keys("vitrine-direct").await,
        vec![format!("tenant-a/{id}.png")]
    );
    let confirmed = app
        .gql_ok(
            "mutation($id: ID!) { confirmUpload(id: $id) { status size image { url width height } } }",
            json!({ "id": id }),
            Some(&user.access),
        )
        .await;
    assert_eq!(confirmed["confirmUpload"]["status"], "CONFIRMED");
    assert_eq!(confirmed["confirmUpload"]["size"], photo.len());
    assert_eq!(confirmed["confirmUpload"]["image"]["width"], 240);
    let served = app
        .http
        .get(app.url(confirmed["confirmUpload"]["image"]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.bytes().await.unwrap().to_vec(), photo);
    let keys = eventually_keys(&moto, "vitrine-direct", 3).await;
    assert!(
        keys.contains(&format!("tenant-a/{id}-thumb.webp")),
        "{keys:?}"
    );
    let created = app
        .gql_ok(
            post,
            json!({ "i": { "body": "s3", "imageUploadIds": [id] } }),
            Some(&user.access),
        )
        .await;
    assert_eq!(created["createPost"]["images"][0]["width"], 240);

    // Too large an object is refused at confirmation and deleted.
    let (big, url, headers) = app.upload_url(&user, "image/png", 100).await;
    assert!(
        app.put_upload(&url, &headers, photo.clone())
            .await
            .is_success()
    );
    let body = app
        .gql(
            "mutation($id: ID!) { confirmUpload(id: $id) { status } }",
            json!({ "id": big }),
            Some(&user.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    assert!(
        !moto
            .keys("vitrine-direct")
            .await
            .contains(&format!("tenant-a/{big}.png"))
    );

    // An expired one: its object leaves the bucket with it.
    let (late, url, headers) = app.upload_url(&user, "image/png", photo.len()).await;
    assert!(app.put_upload(&url, &headers, photo).await.is_success());
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE uploads SET expires_at = ? WHERE id = ?",
        [
            (chrono::Utc::now() - chrono::Duration::seconds(5))
                .to_rfc3339()
                .into(),
            late.clone().into(),
        ],
    ))
    .await
    .unwrap();
    let removed = vitrine::domain::uploads::direct::expire(db, app.state.storage.as_ref())
        .await
        .unwrap_or_else(|e| panic!("{}", e.message()));
    assert!(removed <= 1, "the scheduled run may have come first");
    let keys = moto.keys("vitrine-direct").await;
    assert!(!keys.contains(&format!("tenant-a/{late}.png")), "{keys:?}");
    assert!(keys.contains(&format!("tenant-a/{id}.png")), "{keys:?}");
}
