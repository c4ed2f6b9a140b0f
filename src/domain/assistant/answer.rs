//! What an answer says and how sure it is: retrieval with relevance, the
//! offline extractive answer, the rule-based FAQ answer (relevance below
//! [`FAQ_BELOW`]), the chat model's prompt, and the confidence score.
//!
//! - **relevance**: how much of the question's subject words the top three
//!   chunks together cover, each word weighted by its rarity in the corpus
//!   (smoothed IDF), a word matching itself or a glossary concept of it;
//! - **source coverage**: the share of the answer's sentences whose subject
//!   words are at least half found in the sources it cites;
//! - **completeness**: the weighted share of the question's subject words
//!   the answer itself addresses, halved when the answer was cut short;
//! - **confidence** = 0.5·relevance + 0.3·source coverage + 0.2·completeness;
//!   below [`UNSURE_BELOW`] the answer says plainly that it is unsure and
//!   offers a 1:1 inquiry.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{
    embed::dot,
    index::{HelpIndex, Retrieval},
    text::{self, Passage, Term},
};
use crate::infra::llm::{ChatMessage, Role};

/// Relevance below this gets the FAQ answer.
pub const FAQ_BELOW: f64 = 0.6;
/// Confidence below this says it is unsure and offers an inquiry.
pub const UNSURE_BELOW: f64 = 0.5;
/// Chunks given to the chat model, and sources listed.
pub const TOP_K: usize = 5;

/// A retrieval's outcome for one question.
pub struct Retrieved {
    pub korean: bool,
    pub terms: Vec<Term>,
    pub weights: HashMap<Term, f64>,
    /// Slots, best first.
    pub slots: Vec<usize>,
    /// The slot relevance was measured on.
    pub best: Option<usize>,
    pub relevance: f64,
}

impl Retrieved {
    fn weight(&self) -> impl Fn(&Term) -> f64 + '_ {
        |t| self.weights.get(t).copied().unwrap_or(1.0)
    }
}

/// Retrieves for `question` and measures relevance.
pub fn retrieve(
    index: &HelpIndex,
    question: &str,
    vector: Option<&[f32]>,
    how: Retrieval,
) -> Retrieved {
    let terms = text::terms(question);
    let weights = index.weights(&terms);
    let slots = index.retrieve(how, question, vector, TOP_K);
    let mut retrieved = Retrieved {
        korean: text::is_korean(question),
        terms,
        weights,
        slots,
        best: None,
        relevance: 0.0,
    };
    // Relevance: what the top three passages together cover of the question.
    let context: String = retrieved
        .slots
        .iter()
        .take(3)
        .filter_map(|s| index.chunks.get(*s))
        .map(|c| format!("{}\n{}\n", c.heading, c.text))
        .collect();
    retrieved.relevance = text::coverage(
        &retrieved.terms,
        &Passage::new(&context),
        retrieved.weight(),
    );
    // The passage answered from: the best-covering of the three.
    let weight = retrieved.weight();
    let best = retrieved
        .slots
        .iter()
        .take(3)
        .filter_map(|&slot| {
            Some((
                slot,
                text::coverage(&retrieved.terms, index.passage(slot)?, &weight),
            ))
        })
        .fold(None::<(usize, f64)>, |acc, (slot, c)| match acc {
            Some((_, best)) if best >= c => acc,
            _ => Some((slot, c)),
        });
    drop(weight);
    retrieved.best = best.map(|(slot, _)| slot);
    retrieved
}

/// A source as clients see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub doc: String,
    pub lang: String,
    pub title: String,
    pub heading: String,
    pub path: String,
}

impl Source {
    pub fn of(index: &HelpIndex, slot: usize) -> Option<Self> {
        let c = index.chunks.get(slot)?;
        Some(Self {
            doc: c.doc.clone(),
            lang: c.lang.clone(),
            title: c.title.clone(),
            heading: c.heading.clone(),
            path: c.path.clone(),
        })
    }
}

/// The chunk in the question's language that says what `slot` says: the
/// slot itself, or its translation's chunk nearest to it.
fn in_language(index: &HelpIndex, slot: usize, korean: bool) -> usize {
    let want = if korean { "ko" } else { "en" };
    let Some(chunk) = index.chunks.get(slot) else {
        return slot;
    };
    if chunk.lang == want {
        return slot;
    }
    index
        .chunks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.doc == chunk.doc && c.lang == want)
        .max_by(|a, b| dot(&a.1.vector, &chunk.vector).total_cmp(&dot(&b.1.vector, &chunk.vector)))
        .map_or(slot, |(s, _)| s)
}

/// An answer before it is streamed.
pub struct Draft {
    pub text: String,
    /// Slots cited, most important first.
    pub sources: Vec<usize>,
}

/// The sources listed with an answer: the cited chunk first, then other
/// documents among the retrieved, one chunk each.
fn sources_from(index: &HelpIndex, first: usize, retrieved: &Retrieved) -> Vec<usize> {
    let mut out = vec![first];
    for &slot in &retrieved.slots {
        if out.len() >= 3 {
            break;
        }
        let doc = &index.chunks[slot].doc;
        if !out.iter().any(|s| &index.chunks[*s].doc == doc) {
            out.push(in_language(index, slot, retrieved.korean));
        }
    }
    out
}

/// The offline answer: the sentences of the best chunk (in the question's
/// language) that carry the question's subject words, in their order.
pub fn extractive(index: &HelpIndex, retrieved: &Retrieved) -> Option<Draft> {
    let best = in_language(index, retrieved.best?, retrieved.korean);
    let chunk = index.chunks.get(best)?;
    let sentences = text::sentences(&chunk.text);
    let weight = retrieved.weight();
    let mut scored: Vec<(usize, f64)> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i,
                text::coverage(&retrieved.terms, &Passage::new(s), &weight),
            )
        })
        .filter(|(_, score)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut picked: Vec<usize> = Vec::new();
    let mut length = 0;
    for (i, _) in scored {
        let len = sentences[i].chars().count();
        if picked.len() >= 3 || (length + len > 600 && !picked.is_empty()) {
            break;
        }
        picked.push(i);
        length += len;
    }
    if picked.is_empty() {
        picked = (0..sentences.len().min(2)).collect();
    }
    picked.sort_unstable();
    let text = picked
        .iter()
        .map(|&i| sentences[i].trim_start_matches("- "))
        .collect::<Vec<_>>()
        .join(" ");
    Some(Draft {
        text,
        sources: sources_from(index, best, retrieved),
    })
}

/// One FAQ rule: any keyword in the question points at a document.
#[derive(Clone, Debug, Deserialize)]
pub struct FaqRule {
    pub doc: String,
    pub keywords: Vec<String>,
}

/// The FAQ answer: the lead paragraph of the document the first matching
/// rule names, or a plain "not found" with the inquiry offer.
pub fn faq(index: &HelpIndex, rules: &[FaqRule], question: &str, korean: bool) -> Draft {
    let lower = question.to_lowercase();
    let lang = if korean { "ko" } else { "en" };
    let rule = rules
        .iter()
        .find(|r| r.keywords.iter().any(|k| lower.contains(&k.to_lowercase())));
    let lead = rule.and_then(|r| {
        index
            .chunks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.doc == r.doc && c.lang == lang)
            .min_by_key(|(_, c)| c.position)
    });
    match lead {
        Some((slot, chunk)) => {
            let paragraph = chunk.text.split("\n\n").next().unwrap_or_default().trim();
            let text = if korean {
                format!(
                    "{paragraph}\n\n자세한 내용은 도움말 「{}」을(를) 확인해 주세요.",
                    chunk.title
                )
            } else {
                format!(
                    "{paragraph}\n\nSee the help article “{}” for details.",
                    chunk.title
                )
            };
            Draft {
                text,
                sources: vec![slot],
            }
        }
        None => Draft {
            text: if korean {
                "도움말에서 이 질문에 대한 답을 찾지 못했습니다.".to_owned()
            } else {
                "I could not find an answer to this in the help center.".to_owned()
            },
            sources: Vec::new(),
        },
    }
}

/// The sentence an unsure answer ends with.
pub fn unsure_notice(korean: bool) -> &'static str {
    if korean {
        "\n\n이 답변이 정확한지 확신할 수 없습니다. 1:1 문의를 남겨 주시면 담당자가 직접 답변해 드립니다."
    } else {
        "\n\nI am not sure this answer is right. You can open a 1:1 inquiry and a person will answer you."
    }
}

/// An answer's scores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub relevance: f64,
    pub coverage: f64,
    pub completeness: f64,
    pub confidence: f64,
}

/// Scores `answer` given the sources it was drawn from.
pub fn score(
    index: &HelpIndex,
    retrieved: &Retrieved,
    answer: &str,
    sources: &[usize],
    finished: bool,
) -> Scores {
    let source_text: String = sources
        .iter()
        .filter_map(|s| index.chunks.get(*s))
        .map(|c| format!("{}\n{}\n", c.heading, c.text))
        .collect();
    let source_passage = Passage::new(&source_text);
    let sentences = text::sentences(answer);
    let supported = sentences
        .iter()
        .filter(|s| {
            let terms = text::terms(s);
            terms.is_empty() || text::coverage(&terms, &source_passage, |_| 1.0) >= 0.5
        })
        .count();
    let coverage = if sentences.is_empty() || sources.is_empty() {
        0.0
    } else {
        supported as f64 / sentences.len() as f64
    };
    let addressed = text::coverage(&retrieved.terms, &Passage::new(answer), retrieved.weight());
    let completeness = addressed * if finished { 1.0 } else { 0.5 };
    let relevance = retrieved.relevance;
    Scores {
        relevance,
        coverage,
        completeness,
        confidence: 0.5 * relevance + 0.3 * coverage + 0.2 * completeness,
    }
}

/// The chat model's messages: instructions with the numbered passages,
/// the conversation so far, and the question.
pub fn prompt(
    index: &HelpIndex,
    retrieved: &Retrieved,
    history: &[(Role, String)],
    question: &str,
) -> Vec<ChatMessage> {
    let language = if retrieved.korean {
        "Korean"
    } else {
        "English"
    };
    let mut system = format!(
        "You are the help assistant of vitrine, a short-video fashion shop and an AI \
         interior-design community. Answer only from the numbered help passages below. If they \
         do not contain the answer, say that you are not sure and suggest a 1:1 inquiry. Answer \
         in {language}, in at most six sentences, and cite passages like [1].\n\nHelp passages:\n"
    );
    for (n, slot) in retrieved.slots.iter().enumerate() {
        if let Some(c) = index.chunks.get(*slot) {
            system.push_str(&format!("\n[{}] {}\n{}\n", n + 1, c.heading, c.text));
        }
    }
    let mut messages = vec![ChatMessage {
        role: Role::System,
        content: system,
    }];
    messages.extend(history.iter().map(|(role, content)| ChatMessage {
        role: *role,
        content: content.clone(),
    }));
    messages.push(ChatMessage {
        role: Role::User,
        content: question.to_owned(),
    });
    messages
}
