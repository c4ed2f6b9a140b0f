//! What the assistant's test binaries share: ingesting the help corpus as an
//! admin, signing users up, asking, and following an answer over the
//! WebSocket to its end.
use std::time::Duration;

use serde_json::{Value, json};

use super::common::{
    SignedIn, TestApp,
    realtime::{raw_next, raw_send, raw_socket},
};

pub const ASK: &str = "mutation($i: AskAssistantInput!) { askAssistant(input: $i) { conversation { id } question { id content } answer { id status } } }";
pub const ANSWER: &str = "subscription($m: ID!) { assistantAnswer(messageId: $m) { kind delta message { id content status mode confidence relevance offerInquiry fallbackReason sources { doc lang title heading path } } } }";
const INGEST: &str = "mutation($f: Boolean!) { ingestHelpCorpus(input: { force: $f }) { jobId } }";
const CORPUS: &str = "{ helpCorpus { version embedder documents chunks loaded } }";
const JOBS: &str = "{ adminJobs(kind: \"ASSISTANT_INGEST\", first: 20) { edges { node { id state lastError message } } } }";

/// Ingests as a new admin; see [`ingest_as`].
pub async fn ingest(app: &TestApp, force: bool) -> Value {
    let admin = app.user_with_role("ADMIN").await;
    ingest_as(app, &admin, force).await.0
}

/// Ingests (as `admin`), waits for the job to succeed and until this
/// instance serves the corpus: (the corpus, the job's message).
pub async fn ingest_as(app: &TestApp, admin: &SignedIn, force: bool) -> (Value, String) {
    let job = app
        .gql_ok(INGEST, json!({ "f": force }), Some(&admin.access))
        .await["ingestHelpCorpus"]["jobId"]
        .clone();
    for _ in 0..300 {
        let jobs = app.gql_ok(JOBS, json!({}), Some(&admin.access)).await;
        let node = jobs["adminJobs"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .find(|n| n["id"] == job)
            .expect("the ingestion job is listed");
        assert!(node["lastError"].is_null(), "{node:#}");
        if node["state"] == "SUCCEEDED" {
            let corpus = app.gql_ok(CORPUS, json!({}), None).await["helpCorpus"].clone();
            if corpus["loaded"] == true {
                return (corpus, node["message"].as_str().unwrap_or("").to_owned());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the help corpus was not ingested and loaded within 30 s");
}

pub async fn user(app: &TestApp, name: &str) -> SignedIn {
    app.register(
        &format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple()),
        name,
    )
    .await
}

pub async fn ask(
    app: &TestApp,
    who: &SignedIn,
    question: &str,
    conversation: Option<&str>,
) -> Value {
    app.gql_ok(
        ASK,
        json!({ "i": { "question": question, "conversationId": conversation } }),
        Some(&who.access),
    )
    .await["askAssistant"]
        .clone()
}

/// What a subscriber saw: the event kinds in order, the text it would show
/// (deltas applied, restarts honoured) and the final message.
pub struct Followed {
    pub kinds: Vec<String>,
    pub text: String,
    pub message: Value,
}

/// Follows `assistantAnswer(messageId)` over the WebSocket to its end.
pub async fn follow(app: &TestApp, who: &SignedIn, message_id: &str) -> Followed {
    let mut socket = raw_socket(&app.ws_url(), "graphql-transport-ws").await;
    raw_send(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", who.access) } })).await;
    assert_eq!(
        raw_next(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    raw_send(&mut socket, json!({ "type": "subscribe", "id": "a", "payload": { "query": ANSWER, "variables": { "m": message_id } } })).await;
    let mut followed = Followed {
        kinds: Vec::new(),
        text: String::new(),
        message: Value::Null,
    };
    loop {
        let msg = raw_next(&mut socket)
            .await
            .expect("the answer stream ends with complete");
        match msg["type"].as_str() {
            Some("next") => {
                let payload = &msg["payload"];
                assert!(payload.get("errors").is_none(), "{payload:#}");
                let event = &payload["data"]["assistantAnswer"];
                let kind = event["kind"].as_str().unwrap().to_owned();
                match kind.as_str() {
                    "TOKEN" => followed.text.push_str(event["delta"].as_str().unwrap()),
                    "RESTART" => followed.text.clear(),
                    "DONE" => followed.message = event["message"].clone(),
                    other => panic!("unknown kind {other}"),
                }
                followed.kinds.push(kind);
            }
            Some("complete") => return followed,
            Some("error") => panic!("subscription error: {msg:#}"),
            _ => {}
        }
    }
}
