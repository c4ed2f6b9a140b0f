//! AI design generation (COMM-2) with the default offline provider, end to
//! end over HTTP: `generateDesign` answers at once with a QUEUED design and
//! its job; the job describes the room, makes the new image, moves the
//! design to READY and notifies its owner; idempotency keys behave as the
//! mechanism promises; progress reaches `jobProgress` across instances.
mod common;

use std::{io::Cursor, time::Duration};

use common::{Backend, SignedIn, TestApp, code, realtime::NodeClient};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

const GENERATE: &str = "mutation($i: GenerateDesignInput!, $k: String!) { generateDesign(input: $i, idempotencyKey: $k) { jobId design { id generationStatus title } } }";
const DESIGN: &str = "query($id: ID!) { design(id: $id) { id generationStatus provider generationError structureDescription sourceImageUrl generatedImageUrl colorTheme } }";

/// A room: a window on the left, a darker floor.
fn room() -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(480, 320, |x, y| {
        let base: u8 = if x < 160 { 230 } else { 130 };
        let floor = if y > 240 { 40 } else { 0 };
        Rgb([base - floor, base - floor - 10, base - floor - 30])
    }));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn generate(app: &TestApp, who: &SignedIn, key: &str, style: &str, image: Vec<u8>) -> Value {
    let (status, body) = app
        .gql_upload(
            GENERATE,
            json!({ "i": { "style": style, "roomType": "LIVING_ROOM", "prompt": "warm and calm", "sourceImage": null }, "k": key }),
            vec![("variables.i.sourceImage", "room.png", image)],
            Some(&who.access),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn ready(app: &TestApp, who: &SignedIn, id: &str) -> Value {
    for _ in 0..150 {
        let d = app
            .gql_ok(DESIGN, json!({ "id": id }), Some(&who.access))
            .await["design"]
            .clone();
        if d["generationStatus"] == "READY" || d["generationStatus"] == "FAILED" {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("design {id} did not finish");
}

on_sqlite_and_postgres!(
    a_generated_design_becomes_ready_and_notifies_its_owner,
    keys_replay_and_refuse_other_input
);

async fn a_generated_design_becomes_ready_and_notifies_its_owner(app: TestApp) {
    let ana = app.register("ana-gen@example.com", "ana").await;
    let body = generate(&app, &ana, "gen-key-0001", "COASTAL", room()).await;
    assert!(body["errors"].is_null(), "{body}");
    let payload = &body["data"]["generateDesign"];
    assert_eq!(payload["design"]["generationStatus"], "QUEUED");
    assert_eq!(payload["design"]["title"], "coastal living room");
    assert!(payload["jobId"].is_string());
    let id = payload["design"]["id"].as_str().unwrap().to_owned();

    let d = ready(&app, &ana, &id).await;
    assert_eq!(d["generationStatus"], "READY", "{d:#}");
    assert_eq!(d["provider"], "offline");
    assert_eq!(d["generationError"], Value::Null);
    let description = d["structureDescription"].as_str().unwrap();
    assert!(
        description.starts_with("Architecture (furniture ignored)"),
        "{description}"
    );
    assert!(
        description.contains("light falls from the left"),
        "{description}"
    );
    // The new image is served, a PNG unlike the source.
    let url = |u: &Value| {
        let u = u.as_str().unwrap();
        if u.starts_with('/') {
            app.url(u)
        } else {
            u.to_owned()
        }
    };
    let generated = app
        .http
        .get(url(&d["generatedImageUrl"]))
        .send()
        .await
        .unwrap();
    assert_eq!(generated.status(), 200);
    assert_eq!(generated.headers()["content-type"], "image/png");
    let generated = generated.bytes().await.unwrap();
    let source = app
        .http
        .get(url(&d["sourceImageUrl"]))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_ne!(generated, source);
    let decoded = image::load_from_memory(&generated).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 320));
    // DESIGN_READY, stored for the owner, about this design.
    let notes = app
        .gql_ok(
            "{ notifications(first: 5) { edges { node { kind subjectId data } } } }",
            json!({}),
            Some(&ana.access),
        )
        .await;
    let ready_note = notes["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["kind"] == "DESIGN_READY")
        .unwrap_or_else(|| panic!("no DESIGN_READY: {notes:#}"));
    assert_eq!(ready_note["node"]["subjectId"], id.as_str());
    // The generated image's colours are analysed too.
    for _ in 0..100 {
        let d = app
            .gql_ok(DESIGN, json!({ "id": id }), Some(&ana.access))
            .await;
        if !d["design"]["colorTheme"].is_null() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the generated image was not analysed");
}

async fn keys_replay_and_refuse_other_input(app: TestApp) {
    let ana = app.register("ana-keys@example.com", "ana").await;
    let first = generate(&app, &ana, "gen-key-0002", "MODERN", room()).await;
    let id = first["data"]["generateDesign"]["design"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = first["data"]["generateDesign"]["jobId"].clone();
    ready(&app, &ana, &id).await;
    // Same key, same input, finished: the stored design, no new job.
    let again = generate(&app, &ana, "gen-key-0002", "MODERN", room()).await;
    assert!(again["errors"].is_null(), "{again}");
    assert_eq!(again["data"]["generateDesign"]["design"]["id"], id.as_str());
    assert_eq!(
        again["data"]["generateDesign"]["design"]["generationStatus"],
        "READY"
    );
    assert_eq!(again["data"]["generateDesign"]["jobId"], job);
    let admin = app.user_with_role("ADMIN").await;
    let jobs = app
        .gql_ok(
            "{ adminJobs(kind: \"DESIGN_GENERATION\", first: 10) { edges { node { id } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(jobs["adminJobs"]["edges"].as_array().unwrap().len(), 1);
    // Same key, other input.
    let other = generate(&app, &ana, "gen-key-0002", "BOHEMIAN", room()).await;
    assert_eq!(code(&other), "IDEMPOTENCY_KEY_REUSED", "{other}");
    // Bad input: nothing claimed, nothing written.
    let (_, body) = app
        .gql_upload(
            GENERATE,
            json!({ "i": { "style": "MODERN", "roomType": "LIVING_ROOM", "sourceImage": null }, "k": "gen-key-0003" }),
            vec![("variables.i.sourceImage", "room.png", b"not an image".to_vec())],
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    let body = app
        .gql(
            GENERATE,
            json!({ "i": { "style": "MODERN", "roomType": "LIVING_ROOM", "sourceUploadId": "7d0a9f8e-34b1-4c55-9a61-2f0b4a1c9e77" }, "k": "gen-key-0004" }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = app
        .gql(
            GENERATE,
            json!({ "i": { "style": "MODERN", "roomType": "LIVING_ROOM" }, "k": "gen-key-0005" }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
    let body = app
        .gql(
            GENERATE,
            json!({ "i": { "style": "GOTHIC", "roomType": "LIVING_ROOM" }, "k": "gen-key-0006" }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    let jobs = app
        .gql_ok(
            "{ adminJobs(kind: \"DESIGN_GENERATION\", first: 10) { edges { node { id } } } }",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(jobs["adminJobs"]["edges"].as_array().unwrap().len(), 1);
    // Anonymous callers are refused.
    let body = app
        .gql(
            GENERATE,
            json!({ "i": { "style": "MODERN", "roomType": "LIVING_ROOM" }, "k": "gen-key-0007" }),
            None,
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

/// While the job waits (an API-only instance), the same key answers
/// IN_PROGRESS; once an instance with workers runs it, every step reaches
/// the owner's `jobProgress` (across instances, through Redis).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_progress_then_every_step_on_job_progress() {
    let Some(api) =
        TestApp::spawn_with_redis(Backend::Postgres, &[("VITRINE_JOBS_WORKERS", "false")]).await
    else {
        return;
    };
    let ana = api.register("ana-progress@example.com", "ana").await;
    let first = generate(&api, &ana, "gen-key-0100", "JAPANDI", room()).await;
    let job = first["data"]["generateDesign"]["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = first["data"]["generateDesign"]["design"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = generate(&api, &ana, "gen-key-0100", "JAPANDI", room()).await;
    assert_eq!(code(&again), "IN_PROGRESS", "{again}");

    let mut client = NodeClient::spawn().await;
    client
        .connect("ana", &api.ws_url(), Some(&ana.access))
        .await;
    client
        .subscribe(
            "ana",
            "p",
            "subscription($j: ID!) { jobProgress(jobId: $j) { state progress message } }",
            json!({ "j": job }),
        )
        .await;
    // The stored state first: QUEUED.
    let queued = client.next("p").await["data"]["jobProgress"].clone();
    assert_eq!(queued["state"], "QUEUED", "{queued}");
    let _worker = api.sibling(&[("VITRINE_JOBS_WORKERS", "true")]).await;
    let mut messages = Vec::new();
    loop {
        let step = client.next("p").await["data"]["jobProgress"].clone();
        messages.push(step["message"].as_str().unwrap_or_default().to_owned());
        if step["state"] == "SUCCEEDED" {
            break;
        }
    }
    let joined = messages.join(" | ");
    for stage in ["ANALYZING", "GENERATING", "READY"] {
        assert!(joined.contains(stage), "{stage} missing from {joined}");
    }
    assert_eq!(ready(&api, &ana, &id).await["generationStatus"], "READY");
    // And now the key replays the finished design.
    let replay = generate(&api, &ana, "gen-key-0100", "JAPANDI", room()).await;
    assert_eq!(
        replay["data"]["generateDesign"]["design"]["generationStatus"],
        "READY"
    );
}
