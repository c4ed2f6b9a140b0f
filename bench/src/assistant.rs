//! `make bench-assistant` (COMM-9): the help assistant's latencies.
//!
//! 1. Retrieval over the shipped help corpus, in process: embedding the
//!    question plus hybrid retrieval and relevance, p50/p99 over every
//!    evaluation question, 20 passes; keyword-only retrieval measured in the
//!    same run is the baseline.
//! 2. Time to the first streamed token over the real endpoints: a client
//!    posts `askAssistant` and subscribes to `assistantAnswer` over the
//!    WebSocket; measured from the POST to the first TOKEN, for the offline
//!    answerer and for a fake OpenAI-compatible chat model that streams its
//!    first delta at once (so the figure is the platform's own overhead),
//!    each against a `{ __typename }` POST round trip in the same run.
//!    Results: `bench/results/assistant.md`.
use std::{path::PathBuf, time::Instant};

#[allow(dead_code)] // the demo seeding is for other benchmarks.
mod harness;
mod stats;

use axum::{Router, body::Body, response::Response, routing::post};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use vitrine::domain::assistant::{
    answer,
    embed::{Embedder, OfflineEmbedder},
    eval::Question,
    index::Retrieval,
    ingest,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "bench/results/assistant.md")]
    out: PathBuf,
    #[arg(long, default_value = "docs/help")]
    docs: PathBuf,
    /// Questions asked over the endpoints, per answerer.
    #[arg(long, default_value_t = 40)]
    asks: usize,
}

fn summary(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (stats::percentile(&ms, 0.5), stats::percentile(&ms, 0.99))
}

/// Retrieval p50/p99 (ms) of `how`, embedding included.
async fn retrieval(
    docs: &std::path::Path,
    questions: &[Question],
) -> anyhow::Result<Vec<(&'static str, f64, f64)>> {
    let index = ingest::in_memory(docs, &OfflineEmbedder).await?;
    let mut out = Vec::new();
    for (name, how) in [
        ("keyword only (baseline)", Retrieval::Keyword),
        ("vector only", Retrieval::Vector),
        ("hybrid + relevance", Retrieval::Hybrid),
    ] {
        let mut ms = Vec::new();
        for _ in 0..20 {
            for q in questions {
                let started = Instant::now();
                let vector = OfflineEmbedder
                    .embed(std::slice::from_ref(&q.question))
                    .await?
                    .pop();
                if how == Retrieval::Hybrid {
                    std::hint::black_box(answer::retrieve(
                        &index,
                        &q.question,
                        vector.as_deref(),
                        how,
                    ));
                } else {
                    std::hint::black_box(index.retrieve(
                        how,
                        &q.question,
                        vector.as_deref(),
                        answer::TOP_K,
                    ));
                }
                ms.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let (p50, p99) = summary(ms);
        out.push((name, p50, p99));
    }
    Ok(out)
}

/// A chat model that streams 20 deltas, the first at once.
async fn fake_llm() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            let chunks = (0..20).map(|i| {
                let body = json!({ "choices": [{ "index": 0, "delta": { "content": format!("word{i} ") }, "finish_reason": null }] });
                Ok::<_, std::io::Error>(format!("data: {body}\n\n"))
            });
            let end = [
                Ok(format!("data: {}\n\n", json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": "stop" }] }))),
                Ok("data: [DONE]\n\n".to_owned()),
            ];
            let stream = futures::stream::iter(chunks.chain(end));
            Response::builder()
                .header("content-type", "text/event-stream")
                .body(Body::from_stream(stream))
                .unwrap_or_default()
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/v1"))
}

async fn gql(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let mut request = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request.send().await?.json().await?;
    anyhow::ensure!(body["errors"].is_null(), "{body}");
    Ok(body["data"].clone())
}

/// (first-token ms, baseline round-trip ms) samples against one server.
async fn first_tokens(
    extra: &[(&str, &str)],
    questions: &[Question],
    asks: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let mut vars = vec![("VITRINE_ASSISTANT_AUTO_INGEST", "false")];
    vars.extend_from_slice(extra);
    let app = vitrine::build(harness::config_with(
        &url,
        &data.display().to_string(),
        &vars,
    )?)
    .await?;
    let docs = app.state.config.assistant.docs_dir.clone();
    let nothing = |_: f64, _: String| {};
    ingest::ingest(
        &app.state.db,
        &docs,
        app.state.assistant.embedder(),
        false,
        &nothing,
    )
    .await?;
    app.state.assistant.refresh(&app.state.db).await?;
    let served = harness::serve(app).await?;
    let endpoint = served.endpoint.clone();
    let ws = endpoint.replacen("http://", "ws://", 1) + "/ws";
    let http = reqwest::Client::new();
    let data = gql(&http, &endpoint, None, "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        json!({ "i": { "email": "asker@bench.vitrine.dev", "password": "correct-horse-battery", "nickname": "asker" } })).await?;
    let token = data["register"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut request = ws.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let text = |v: Value| tungstenite::Message::Text(v.to_string().into());
    socket.send(text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))).await?;
    while let Some(Ok(msg)) = socket.next().await {
        if let tungstenite::Message::Text(t) = msg
            && t.as_str().contains("connection_ack")
        {
            break;
        }
    }
    let mut first = Vec::new();
    let mut baseline = Vec::new();
    for (n, q) in questions.iter().cycle().take(asks).enumerate() {
        let started = Instant::now();
        gql(&http, &endpoint, None, "{ __typename }", json!({})).await?;
        baseline.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let asked = gql(
            &http,
            &endpoint,
            Some(&token),
            "mutation($i: AskAssistantInput!) { askAssistant(input: $i) { answer { id } } }",
            json!({ "i": { "question": format!("{} ({n})", q.question) } }),
        )
        .await?;
        let id = asked["askAssistant"]["answer"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let sub = format!("s{n}");
        socket.send(text(json!({ "type": "subscribe", "id": sub, "payload": {
            "query": "subscription($m: ID!) { assistantAnswer(messageId: $m) { kind } }", "variables": { "m": id } } }))).await?;
        let mut got_first = false;
        while let Some(Ok(msg)) = socket.next().await {
            let tungstenite::Message::Text(t) = msg else {
                continue;
            };
            let v: Value = serde_json::from_str(t.as_str())?;
            match v["type"].as_str() {
                Some("ping") => socket.send(text(json!({ "type": "pong" }))).await?,
                Some("next")
                    if v["id"] == sub.as_str()
                        && !got_first
                        && v["payload"]["data"]["assistantAnswer"]["kind"] == "TOKEN" =>
                {
                    first.push(started.elapsed().as_secs_f64() * 1000.0);
                    got_first = true;
                }
                Some("complete") if v["id"] == sub.as_str() => break,
                Some("error") => anyhow::bail!("subscription error: {v}"),
                _ => {}
            }
        }
        anyhow::ensure!(got_first, "no token for question {n}");
    }
    served.stop().await?;
    Ok((first, baseline))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let questions: Vec<Question> = serde_json::from_str(&std::fs::read_to_string(
        args.docs.join("eval/questions.json"),
    )?)?;
    eprintln!("retrieval over {} questions × 20…", questions.len());
    let retrieval = retrieval(&args.docs, &questions).await?;
    eprintln!("first tokens, offline answerer…");
    let offline = first_tokens(&[], &questions, args.asks).await?;
    eprintln!("first tokens, fake chat model…");
    let base = fake_llm().await?;
    let llm = first_tokens(
        &[
            ("VITRINE_ASSISTANT_BASE_URL", base.as_str()),
            ("VITRINE_ASSISTANT_API_KEY", "sk-bench"),
        ],
        &questions,
        args.asks,
    )
    .await?;
    let mut out = format!(
        "# Help assistant benchmark\n\n`make bench-assistant` (release build), {}.\n\n## Retrieval ({} questions × 20, in process, embedding included)\n\n\
         | retrieval | p50 ms | p99 ms | p50 vs keyword |\n|---|---|---|---|\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        questions.len()
    );
    let keyword_p50 = retrieval.first().map_or(1.0, |r| r.1);
    for (name, p50, p99) in &retrieval {
        out.push_str(&format!(
            "| {name} | {p50:.3} | {p99:.3} | {:.2}× |\n",
            p50 / keyword_p50
        ));
    }
    out.push_str(&format!(
        "\n## Time to first streamed token ({} questions each, SQLite, one client)\n\n\
         | answerer | p50 ms | p99 ms | `{{ __typename }}` p50 ms (same run) | p50 vs `{{ __typename }}` |\n|---|---|---|---|---|\n",
        args.asks
    ));
    for (name, (first, baseline)) in [
        ("offline (extractive)", offline),
        ("fake chat model (first delta at once)", llm),
    ] {
        let (p50, p99) = summary(first);
        let (b50, _) = summary(baseline);
        out.push_str(&format!(
            "| {name} | {p50:.2} | {p99:.2} | {b50:.2} | {:.1}× |\n",
            p50 / b50
        ));
    }
    out.push_str(
        "\nThe first token's path: the POST stores the question and queues the answer job in one \
         transaction and returns; a worker claims the job (woken at once), embeds, retrieves and \
         publishes; the subscription first reads the row and the snapshot, then follows the topic.\n",
    );
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &out)?;
    println!("{out}");
    Ok(())
}
