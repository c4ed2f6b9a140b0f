//! The help assistant (COMM-9) end to end: ingestion of the shipped corpus,
//! `askAssistant`, and the answer followed over the WebSocket
//! (`assistantAnswer`), on SQLite and on PostgreSQL with Redis (tokens
//! through Redis pub/sub, snapshots and the answer cache in Redis). The
//! chat model and the embeddings are played by a local OpenAI-compatible
//! fake (`assistant/fake_openai.rs`): a streamed answer, a stream cut in the
//! middle, a 429 and a timeout (each → the offline answer).
mod common;
#[path = "assistant/fake_openai.rs"]
mod fake_openai;
#[path = "assistant/support.rs"]
mod support;

use std::time::Duration;

use common::{
    Backend, TestApp, code,
    realtime::{raw_next, raw_send, raw_socket},
};
use fake_openai::{Chat, FakeOpenAi};
use serde_json::json;
use support::{ANSWER, ASK, ask, follow, ingest, user};

const CONVERSATION: &str = "query($id: ID!) { assistantConversation(id: $id) { title messages(first: 10) { edges { node { role content status mode } } } } }";

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(Backend::Sqlite, FakeOpenAi::start().await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres_redis() {
                    super::$name(Backend::Postgres, FakeOpenAi::start().await).await;
                }
            }
        )+
    };
}

both_backends!(
    offline_answers_stream_with_sources_cache_and_faq,
    conversations_are_private_and_keep_their_history,
    the_chat_model_streams_and_fails_over_to_the_offline_answer,
    openai_embeddings_ingest_only_what_changed,
);

/// The app on `backend` (PostgreSQL with Redis), with `extra` variables.
async fn spawn(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    match backend {
        Backend::Sqlite => TestApp::spawn_with(backend, extra).await,
        _ => TestApp::spawn_with_redis(backend, extra).await,
    }
}

/// The app, its assistant talking to `fake` (chat, and embeddings when
/// `embeddings` is set), with `extra` variables.
async fn spawn_with_llm(
    backend: Backend,
    fake: &FakeOpenAi,
    embeddings: bool,
    timeout: &str,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let base = fake.base_url();
    let mut vars = vec![
        ("VITRINE_ASSISTANT_BASE_URL", base.as_str()),
        ("VITRINE_ASSISTANT_API_KEY", fake_openai::KEY),
        ("VITRINE_ASSISTANT_CHAT_MODEL", fake_openai::CHAT_MODEL),
        (
            "VITRINE_ASSISTANT_EMBEDDING_MODEL",
            fake_openai::EMBEDDING_MODEL,
        ),
        ("VITRINE_ASSISTANT_TIMEOUT", timeout),
    ];
    if embeddings {
        vars.push(("VITRINE_ASSISTANT_EMBEDDINGS", "openai"));
    }
    vars.extend_from_slice(extra);
    spawn(backend, &vars).await
}

async fn offline_answers_stream_with_sources_cache_and_faq(backend: Backend, _fake: FakeOpenAi) {
    // Paced, so that the subscriber sees the answer arrive word by word.
    let Some(app) = spawn(backend, &[("VITRINE_ASSISTANT_PACE", "30ms")]).await else {
        return;
    };
    let corpus = ingest(&app, false).await;
    assert!(corpus["documents"].as_i64().unwrap() >= 30, "{corpus}");
    assert!(
        corpus["embedder"]
            .as_str()
            .unwrap()
            .starts_with("offline-hash")
    );
    let ana = user(&app, "ana").await;

    // A Korean question: the offline answer streams word by word from the
    // Korean refund document.
    let asked = ask(&app, &ana, "주문을 취소하면 환불은 언제 들어오나요?", None).await;
    assert_eq!(asked["answer"]["status"], "PENDING");
    let answer_id = asked["answer"]["id"].as_str().unwrap().to_owned();
    let followed = follow(&app, &ana, &answer_id).await;
    let message = &followed.message;
    assert_eq!(message["status"], "DONE", "{message:#}");
    assert_eq!(message["mode"], "EXTRACTIVE", "{message:#}");
    assert_eq!(followed.kinds.last().unwrap(), "DONE");
    assert!(
        followed.kinds.iter().filter(|k| *k == "TOKEN").count() >= 5,
        "{:?}",
        followed.kinds
    );
    assert_eq!(followed.text, message["content"].as_str().unwrap());
    assert!(
        message["content"].as_str().unwrap().contains("환불"),
        "{message:#}"
    );
    let first = &message["sources"][0];
    assert_eq!(first["doc"], "cancellation-refunds", "{message:#}");
    assert_eq!(first["lang"], "ko");
    let confidence = message["confidence"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&confidence), "{message:#}");
    assert!(message["relevance"].as_f64().unwrap() >= 0.6);
    assert_eq!(message["offerInquiry"], false);

    // A subscriber that comes after the end gets the whole answer at once.
    let late = follow(&app, &ana, &answer_id).await;
    assert_eq!(late.text, followed.text);
    assert_eq!(late.kinds, vec!["TOKEN", "DONE"]);

    // The same question again (retyped) is answered from the cache.
    let again = ask(&app, &ana, "주문을 취소하면 환불은 언제 들어오나요", None).await;
    let cached = follow(&app, &ana, again["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(cached.message["mode"], "CACHED", "{:#}", cached.message);
    assert_eq!(cached.text, followed.text);

    // An English question is answered in English.
    let en = ask(
        &app,
        &ana,
        "How many AI design generations does the free plan include per month?",
        None,
    )
    .await;
    let en = follow(&app, &ana, en["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(en.message["mode"], "EXTRACTIVE", "{:#}", en.message);
    assert_eq!(en.message["sources"][0]["lang"], "en");
    assert_eq!(
        en.message["sources"][0]["doc"], "plans-quotas",
        "{:#}",
        en.message
    );

    // Off-topic: relevance below 0.6, the FAQ answer, unsure, with an inquiry offered.
    let off = ask(&app, &ana, "내일 서울 날씨 어때요?", None).await;
    let off = follow(&app, &ana, off["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(off.message["mode"], "FAQ", "{:#}", off.message);
    assert!(off.message["relevance"].as_f64().unwrap() < 0.6);
    assert!(off.message["confidence"].as_f64().unwrap() < 0.5);
    assert_eq!(off.message["offerInquiry"], true);
    assert!(off.text.contains("1:1 문의"), "{}", off.text);

    // Low relevance but a FAQ rule's keyword (환불): the lead of the
    // document the rule names.
    let faq = ask(
        &app,
        &ana,
        "환불 받고 싶은데 중고나라 거래 사기 당했어요",
        None,
    )
    .await;
    let faq = follow(&app, &ana, faq["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(faq.message["mode"], "FAQ", "{:#}", faq.message);
    assert_eq!(
        faq.message["sources"][0]["doc"], "cancellation-refunds",
        "{:#}",
        faq.message
    );
    assert_eq!(faq.message["sources"][0]["lang"], "ko");
    assert!(faq.text.contains("도움말"), "{}", faq.text);

    // Answers are counted by mode.
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("assistant_answers_total{fallback=\"false\",mode=\"CACHED\"} 1"),
        "{metrics}"
    );
}

async fn conversations_are_private_and_keep_their_history(backend: Backend, fake: FakeOpenAi) {
    let Some(llm) = spawn_with_llm(backend, &fake, false, "5s", &[]).await else {
        return;
    };
    ingest(&llm, false).await;
    let ana = user(&llm, "ana").await;
    let ben = user(&llm, "ben").await;

    let first = ask(
        &llm,
        &ana,
        "How do I share a custom cart with a friend?",
        None,
    )
    .await;
    let conversation = first["conversation"]["id"].as_str().unwrap().to_owned();
    follow(&llm, &ana, first["answer"]["id"].as_str().unwrap()).await;
    let second = ask(
        &llm,
        &ana,
        "Can they change its items?",
        Some(&conversation),
    )
    .await;
    assert_eq!(second["conversation"]["id"], conversation.as_str());
    let done = follow(&llm, &ana, second["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(done.message["mode"], "LLM", "{:#}", done.message);

    // The follow-up's prompt carries the conversation so far.
    let chats = fake.chats();
    let messages = chats.last().unwrap()["messages"]
        .as_array()
        .unwrap()
        .clone();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        vec!["system", "user", "assistant", "user"],
        "{messages:#?}"
    );
    assert_eq!(
        messages[1]["content"],
        "How do I share a custom cart with a friend?"
    );
    assert_eq!(messages[3]["content"], "Can they change its items?");

    let thread = llm
        .gql_ok(
            CONVERSATION,
            json!({ "id": conversation }),
            Some(&ana.access),
        )
        .await;
    let nodes = thread["assistantConversation"]["messages"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(nodes.len(), 4);
    assert_eq!(nodes[0]["node"]["role"], "USER");
    assert_eq!(nodes[3]["node"]["status"], "DONE");

    // Another user sees neither the conversation nor the answer stream,
    // and cannot post into it.
    let body = llm
        .gql(
            CONVERSATION,
            json!({ "id": conversation }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = llm
        .gql(
            ASK,
            json!({ "i": { "question": "hi", "conversationId": conversation } }),
            Some(&ben.access),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let mut socket = raw_socket(&llm.ws_url(), "graphql-transport-ws").await;
    raw_send(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", ben.access) } })).await;
    raw_next(&mut socket).await;
    raw_send(&mut socket, json!({ "type": "subscribe", "id": "x", "payload": { "query": ANSWER, "variables": { "m": second["answer"]["id"] } } })).await;
    // Refused as a `next` carrying the error, then `complete`: the stream
    // never starts.
    let refused = raw_next(&mut socket).await.unwrap();
    assert_eq!(refused["type"], "next", "{refused:#}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused:#}"
    );
    assert!(refused["payload"]["data"].is_null());
    assert_eq!(raw_next(&mut socket).await.unwrap()["type"], "complete");

    // Bad input.
    let body = llm
        .gql(
            ASK,
            json!({ "i": { "question": "   " } }),
            Some(&ana.access),
        )
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let long = "가".repeat(1001);
    let body = llm
        .gql(ASK, json!({ "i": { "question": long } }), Some(&ana.access))
        .await;
    assert_eq!(code(&body), "VALIDATION");
    let body = llm
        .gql(ASK, json!({ "i": { "question": "hi" } }), None)
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");

    // Deleting the account deletes its conversations with their messages.
    let count = |sql: &'static str| {
        let db = llm.state.db.clone();
        async move {
            use sea_orm::ConnectionTrait;
            let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
            let row = db.query_one_raw(statement).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM assistant_messages").await,
        4
    );
    llm.gql_ok(
        "mutation($p: String!) { deleteMe(password: $p) }",
        json!({ "p": common::PASSWORD }),
        Some(&ana.access),
    )
    .await;
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM assistant_conversations").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM assistant_messages").await,
        0
    );
}

async fn the_chat_model_streams_and_fails_over_to_the_offline_answer(
    backend: Backend,
    fake: FakeOpenAi,
) {
    let Some(llm) = spawn_with_llm(backend, &fake, false, "1s", &[]).await else {
        return;
    };
    ingest(&llm, false).await;
    let ana = user(&llm, "ana").await;
    let question = "주문 취소하면 환불은 어떻게 되나요?";

    // The model's deltas arrive as tokens, in order.
    let asked = ask(&llm, &ana, question, None).await;
    let ok = follow(&llm, &ana, asked["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(ok.message["mode"], "LLM", "{:#}", ok.message);
    assert_eq!(ok.text, fake_openai::DELTAS.concat());
    assert!(ok.kinds.iter().filter(|k| *k == "TOKEN").count() >= fake_openai::DELTAS.len());
    assert!(ok.message["fallbackReason"].is_null());
    let request = fake.chats().last().unwrap().clone();
    let system = request["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("[1]") && system.contains("Korean"),
        "{system}"
    );
    assert!(
        system.contains("환불"),
        "the retrieved passages are in the prompt"
    );
    assert_eq!(request["messages"][1]["content"], question);

    // A stream cut in the middle: the two tokens shown are taken back and
    // the offline answer follows.
    fake.set_chat(Chat::Cut);
    let asked = ask(
        &llm,
        &ana,
        question,
        Some(asked["conversation"]["id"].as_str().unwrap()),
    )
    .await;
    let cut = follow(&llm, &ana, asked["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(cut.message["mode"], "EXTRACTIVE", "{:#}", cut.message);
    assert!(
        cut.message["fallbackReason"]
            .as_str()
            .unwrap()
            .contains("chat"),
        "{:#}",
        cut.message
    );
    assert_eq!(cut.text, cut.message["content"].as_str().unwrap());
    assert!(
        !cut.text.contains(fake_openai::DELTAS[0]),
        "the cut answer is gone: {}",
        cut.text
    );

    // A 429 and a timeout: the offline answer, each saying why.
    for (mode, why, question) in [
        (
            Chat::RateLimited,
            "rate",
            "How long do refunds take to reach my card?",
        ),
        (
            Chat::Hang,
            "time",
            "Can I cancel an order after it has shipped?",
        ),
    ] {
        fake.set_chat(mode);
        let started = std::time::Instant::now();
        let asked = ask(&llm, &ana, question, None).await;
        let answer = follow(&llm, &ana, asked["answer"]["id"].as_str().unwrap()).await;
        assert_eq!(
            answer.message["mode"], "EXTRACTIVE",
            "{mode:?}: {:#}",
            answer.message
        );
        let reason = answer.message["fallbackReason"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert!(reason.contains(why), "{mode:?}: {reason}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{mode:?} took {:?}",
            started.elapsed()
        );
    }
    let metrics = llm.metrics_text().await;
    assert!(
        metrics.contains("assistant_answers_total{fallback=\"true\",mode=\"EXTRACTIVE\"} 3"),
        "{metrics}"
    );
}

async fn openai_embeddings_ingest_only_what_changed(backend: Backend, fake: FakeOpenAi) {
    // A corpus of its own, to change one document.
    let docs = tempfile::tempdir().unwrap();
    for lang in ["ko", "en"] {
        std::fs::create_dir_all(docs.path().join(lang)).unwrap();
        for doc in ["payment", "shorts"] {
            let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("docs/help/{lang}/{doc}.md"));
            std::fs::copy(from, docs.path().join(format!("{lang}/{doc}.md"))).unwrap();
        }
    }
    std::fs::write(
        docs.path().join("en/delivery.html"),
        "<html><head><title>Delivery</title></head><body><h1>Delivery</h1><p>Parcels arrive within two business days.</p>\
         <h2>Abroad</h2><p>International parcels take seven to ten days.</p></body></html>",
    )
    .unwrap();
    let dir = docs.path().display().to_string();
    let Some(llm) = spawn_with_llm(
        backend,
        &fake,
        true,
        "5s",
        &[("VITRINE_ASSISTANT_DOCS", dir.as_str())],
    )
    .await
    else {
        return;
    };
    let corpus = ingest(&llm, false).await;
    assert_eq!(corpus["documents"], 5);
    assert_eq!(
        corpus["embedder"],
        format!("openai/{}", fake_openai::EMBEDDING_MODEL)
    );
    let chunks = corpus["chunks"].as_i64().unwrap() as usize;
    assert_eq!(fake.embedded_inputs(), chunks);

    // Unchanged: nothing embedded again, even forced.
    ingest(&llm, true).await;
    assert_eq!(fake.embedded_inputs(), chunks);

    // One document edited: only its chunks are embedded.
    std::fs::write(
        docs.path().join("en/delivery.html"),
        "<html><body><h1>Delivery</h1><p>Parcels arrive within one business day.</p></body></html>",
    )
    .unwrap();
    let changed = ingest(&llm, false).await;
    assert_ne!(changed["version"], corpus["version"]);
    assert_eq!(fake.embedded_inputs(), chunks + 1);

    // The HTML page answers, through the model's embeddings.
    let ana = user(&llm, "ana").await;
    fake.set_chat(Chat::RateLimited);
    let asked = ask(&llm, &ana, "How fast do parcels arrive?", None).await;
    let answer = follow(&llm, &ana, asked["answer"]["id"].as_str().unwrap()).await;
    assert_eq!(
        answer.message["sources"][0]["path"], "en/delivery.html",
        "{:#}",
        answer.message
    );
    assert!(answer.text.contains("one business day"), "{}", answer.text);
}
