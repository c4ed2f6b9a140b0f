//! `vitrine assistant eval`: retrieval quality on the shipped question set
//! (`docs/help/eval/questions.json`: each question names the document that
//! answers it) for keyword only, vector only and hybrid retrieval: Recall@5
//! (the answering document among the first five documents retrieved) and
//! MRR (the mean of 1 / its rank, 0 beyond ten). Also the semantic cache's
//! hit rate on paraphrase pairs (and on near-duplicates, and its false hits
//! across different questions), and how often relevance routes questions to
//! the FAQ answer, on-topic and off-topic.
use std::{collections::BTreeMap, path::Path};

use anyhow::Context as _;
use serde::Deserialize;

use super::{
    answer::{self, FAQ_BELOW},
    cache::SIMILARITY,
    embed::{Embedder, dot},
    index::{self, HelpIndex, Retrieval},
    ingest,
};

#[derive(Clone, Debug, Deserialize)]
pub struct Question {
    pub id: String,
    /// `ko`, `en` or `mixed`.
    pub lang: String,
    pub question: String,
    pub answer_doc: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Paraphrase {
    pub a: String,
    pub b: String,
}

/// Recall@5 and MRR of one retrieval over one group of questions.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub retrieval: Retrieval,
    pub group: String,
    pub questions: usize,
    /// The answering document first.
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub mrr: f64,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub embedder: String,
    pub documents: usize,
    /// Questions evaluated.
    pub questions: usize,
    pub chunks: usize,
    pub rows: Vec<Row>,
    pub paraphrase_hits: usize,
    pub paraphrases: usize,
    pub duplicate_hits: usize,
    pub false_hits: usize,
    pub false_pairs: usize,
    /// On-topic questions whose relevance sends them to the FAQ.
    pub on_topic_to_faq: usize,
    pub off_topic_to_faq: usize,
    pub off_topic: usize,
}

impl Report {
    pub fn row(&self, retrieval: Retrieval, group: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.retrieval == retrieval && r.group == group)
    }
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<T> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&raw).with_context(|| format!("parsing {}", path.display()))
}

/// A near-duplicate of a question: what a user retyping it might send.
fn retyped(question: &str) -> String {
    let trimmed = question.trim_end_matches(['?', '.', '!']).to_lowercase();
    format!("  {trimmed} ?")
}

/// Runs the evaluation on the documents under `dir` (questions from
/// `dir/eval/`).
pub async fn evaluate(dir: &Path, embedder: &dyn Embedder) -> anyhow::Result<Report> {
    let index = ingest::in_memory(dir, embedder).await?;
    let questions: Vec<Question> = read(&dir.join("eval/questions.json"))?;
    let paraphrases: Vec<Paraphrase> = read(&dir.join("eval/paraphrases.json"))?;
    let off_topic: Vec<String> = read(&dir.join("eval/off_topic.json")).unwrap_or_default();
    let texts: Vec<String> = questions.iter().map(|q| q.question.clone()).collect();
    let vectors = embedder.embed(&texts).await?;
    let mut ranks: BTreeMap<(String, u8), Vec<Option<usize>>> = BTreeMap::new();
    let mut on_topic_to_faq = 0;
    for (q, v) in questions.iter().zip(&vectors) {
        for (code, how) in [
            (0u8, Retrieval::Keyword),
            (1, Retrieval::Vector),
            (2, Retrieval::Hybrid),
        ] {
            let slots = index.retrieve(how, &q.question, Some(v), index::CANDIDATES);
            let docs = index::documents(&index, &slots);
            let rank = docs
                .iter()
                .position(|d| *d == q.answer_doc)
                .filter(|r| *r < 10);
            for group in ["all", q.lang.as_str()] {
                ranks
                    .entry((group.to_owned(), code))
                    .or_default()
                    .push(rank);
            }
        }
        if answer::retrieve(&index, &q.question, Some(v), Retrieval::Hybrid).relevance < FAQ_BELOW {
            on_topic_to_faq += 1;
        }
    }
    let mut rows = Vec::new();
    for ((group, code), ranks) in ranks {
        let n = ranks.len();
        rows.push(Row {
            retrieval: [Retrieval::Keyword, Retrieval::Vector, Retrieval::Hybrid][code as usize],
            group,
            questions: n,
            recall_at_1: ranks.iter().filter(|r| r.is_some_and(|r| r < 1)).count() as f64
                / n as f64,
            recall_at_5: ranks.iter().filter(|r| r.is_some_and(|r| r < 5)).count() as f64
                / n as f64,
            mrr: ranks
                .iter()
                .map(|r| r.map_or(0.0, |r| 1.0 / (r as f64 + 1.0)))
                .sum::<f64>()
                / n as f64,
        });
    }
    let pair_texts: Vec<String> = paraphrases
        .iter()
        .flat_map(|p| [p.a.clone(), p.b.clone()])
        .collect();
    let pair_vectors = embedder.embed(&pair_texts).await?;
    let (a, b): (Vec<&Vec<f32>>, Vec<&Vec<f32>>) = (
        pair_vectors.iter().step_by(2).collect(),
        pair_vectors.iter().skip(1).step_by(2).collect(),
    );
    let paraphrase_hits = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| dot(x, y) >= SIMILARITY)
        .count();
    let mut false_hits = 0;
    let mut false_pairs = 0;
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if i != j {
                false_pairs += 1;
                if dot(x, y) >= SIMILARITY {
                    false_hits += 1;
                }
            }
        }
    }
    let retyped_texts: Vec<String> = texts.iter().map(|t| retyped(t)).collect();
    let retyped_vectors = embedder.embed(&retyped_texts).await?;
    let duplicate_hits = vectors
        .iter()
        .zip(&retyped_vectors)
        .filter(|(x, y)| dot(x, y) >= SIMILARITY)
        .count();
    let off_vectors = embedder.embed(&off_topic).await?;
    let off_topic_to_faq = off_topic
        .iter()
        .zip(&off_vectors)
        .filter(|(q, v)| {
            answer::retrieve(&index, q, Some(v), Retrieval::Hybrid).relevance < FAQ_BELOW
        })
        .count();
    Ok(Report {
        embedder: embedder.name(),
        questions: questions.len(),
        documents: index
            .chunks
            .iter()
            .map(|c| (&c.doc, &c.lang))
            .collect::<std::collections::HashSet<_>>()
            .len(),
        chunks: index.chunks.len(),
        rows,
        paraphrase_hits,
        paraphrases: paraphrases.len(),
        duplicate_hits,
        false_hits,
        false_pairs,
        on_topic_to_faq,
        off_topic_to_faq,
        off_topic: off_topic.len(),
    })
}

/// The report as Markdown (`reports/assistant-eval.md`, the README).
pub fn markdown(report: &Report) -> String {
    let questions = report.questions;
    let mut out = format!(
        "Embedder `{}`; {} documents, {} chunks; {questions} questions.\n\n\
         | retrieval | questions | Recall@1 | Recall@5 | MRR | MRR ko | MRR en | MRR mixed |\n\
         |---|---|---|---|---|---|---|---|\n",
        report.embedder, report.documents, report.chunks
    );
    for (how, name) in [
        (Retrieval::Keyword, "keyword (BM25)"),
        (Retrieval::Vector, "vector"),
        (Retrieval::Hybrid, "hybrid (RRF)"),
    ] {
        let cell = |group: &str| {
            report
                .row(how, group)
                .map_or("–".to_owned(), |r| format!("{:.3}", r.mrr))
        };
        if let Some(all) = report.row(how, "all") {
            out.push_str(&format!(
                "| {name} | {} | {:.3} | {:.3} | {:.3} | {} | {} | {} |\n",
                all.questions,
                all.recall_at_1,
                all.recall_at_5,
                all.mrr,
                cell("ko"),
                cell("en"),
                cell("mixed")
            ));
        }
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    out.push_str(&format!(
        "\nAnswer cache (similarity ≥ {SIMILARITY}): {}/{} paraphrase pairs hit ({:.0}%); \
         {}/{questions} retyped questions hit ({:.0}%); {}/{} pairs of different questions hit \
         falsely ({:.1}%).\n\nRelevance < {FAQ_BELOW} (the FAQ answer): {}/{questions} on-topic \
         questions ({:.0}%), {}/{} off-topic questions ({:.0}%).\n\nLatencies: `make bench-assistant`.\n",
        report.paraphrase_hits,
        report.paraphrases,
        pct(report.paraphrase_hits, report.paraphrases),
        report.duplicate_hits,
        pct(report.duplicate_hits, questions),
        report.false_hits,
        report.false_pairs,
        pct(report.false_hits, report.false_pairs),
        report.on_topic_to_faq,
        pct(report.on_topic_to_faq, questions),
        report.off_topic_to_faq,
        report.off_topic,
        pct(report.off_topic_to_faq, report.off_topic),
    ));
    out
}

/// Whether hybrid beats both single retrievals on the whole set (Recall@5
/// and MRR each at least as good, one of them better).
pub fn hybrid_wins(report: &Report) -> bool {
    let (Some(k), Some(v), Some(h)) = (
        report.row(Retrieval::Keyword, "all"),
        report.row(Retrieval::Vector, "all"),
        report.row(Retrieval::Hybrid, "all"),
    ) else {
        return false;
    };
    [k, v].iter().all(|o| {
        h.recall_at_5 >= o.recall_at_5
            && h.mrr >= o.mrr
            && (h.recall_at_5 > o.recall_at_5 || h.mrr > o.mrr)
    })
}

/// What hybrid retrieval does against each single ranking, in words.
pub fn verdict(report: &Report) -> String {
    let (Some(h), Some(k), Some(v)) = (
        report.row(Retrieval::Hybrid, "all"),
        report.row(Retrieval::Keyword, "all"),
        report.row(Retrieval::Vector, "all"),
    ) else {
        return "No questions were evaluated.".to_owned();
    };
    let against = |name: &str, o: &Row| {
        format!(
            "{name}: Recall@5 {:.3} against {:.3}, MRR {:.3} against {:.3}",
            h.recall_at_5, o.recall_at_5, h.mrr, o.mrr
        )
    };
    let head = if hybrid_wins(report) {
        "Hybrid retrieval is at least as good as each single ranking on Recall@5 and MRR, and better on at least one"
    } else {
        "WARNING: hybrid retrieval does not beat both single rankings"
    };
    format!(
        "{head} ({}; {}).",
        against("keyword", k),
        against("vector", v)
    )
}

/// Exposed for benchmarks: the index the evaluation builds.
pub async fn index_for(dir: &Path, embedder: &dyn Embedder) -> anyhow::Result<HelpIndex> {
    ingest::in_memory(dir, embedder).await
}
