//! Words that matter in a question and whether a passage has them: the
//! measure behind the assistant's relevance, source coverage and
//! completeness. English words are stemmed ([`text_tokens`]); a Korean
//! word (eojeol) loses its particle or ending and matches a passage that
//! contains its stem; either matches through a shared glossary concept.
use std::collections::HashSet;

use super::glossary::glossary;
pub use crate::infra::search::analysis::is_hangul;
use crate::infra::search::analysis::text_tokens;

/// Whether the text is Korean (any Hangul): answers follow the question's
/// language.
pub fn is_korean(text: &str) -> bool {
    text.chars().any(is_hangul)
}

/// English words that say nothing about the subject (stemmed forms too).
const ENGLISH_STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "into",
    "about",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "do",
    "doe",
    "does",
    "did",
    "done",
    "have",
    "has",
    "had",
    "i",
    "me",
    "my",
    "mine",
    "we",
    "our",
    "you",
    "your",
    "it",
    "its",
    "it'",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "how",
    "whi",
    "why",
    "where",
    "when",
    "can",
    "could",
    "would",
    "should",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "not",
    "no",
    "so",
    "than",
    "then",
    "too",
    "veri",
    "very",
    "just",
    "also",
    "get",
    "got",
    "want",
    "need",
    "s",
    "t",
    "d",
    "ll",
    "ve",
    "re",
    "m",
    "im",
    "don",
    "doesn",
    "isn",
    "didn",
    "wasn",
    "aren",
    "won",
    "can't",
    "anyth",
    "anything",
    "someth",
    "something",
    "ani",
    "any",
    "all",
    "some",
    "one",
    "happen",
    "pleas",
    "please",
    "still",
    "again",
    "up",
    "out",
    "now",
    "they",
    "them",
    "their",
    "he",
    "she",
    "his",
    "her",
    "us",
    "tell",
    "say",
    "went",
    "go",
    "goe",
    "come",
    "came",
    "put",
    "take",
    "took",
    "tri",
    "see",
    "look",
    "know",
    "think",
    "thing",
    "way",
    "lot",
    "mani",
    "much",
    "more",
    "most",
    "after",
    "befor",
    "against",
    "whether",
    "even",
    "ever",
    "realli",
    "actual",
    "particular",
    "well",
    "like",
    "let",
    "make",
    "made",
    "use",
    "work",
    "someon",
    "sure",
];

/// Korean words that say nothing about the subject.
const KOREAN_STOP: &[&str] = &[
    "언제",
    "어떻게",
    "무엇",
    "뭐",
    "뭔가",
    "뭔지",
    "뭐가",
    "왜",
    "어디",
    "어디서",
    "누가",
    "제가",
    "저는",
    "저",
    "내",
    "제",
    "나",
    "수",
    "있나요",
    "있어요",
    "있습니까",
    "되나요",
    "하나요",
    "할까요",
    "인가요",
    "건가요",
    "거",
    "것",
    "그",
    "이",
    "저희",
    "좀",
    "혹시",
    "그냥",
    "다시",
    "어떤",
    "얼마",
    "얼마나",
    "몇",
    "정말",
    "하면",
    "해야",
    "하려면",
    "싶어요",
    "싶은데",
    "때",
    "안",
    "더",
    "또",
    "이미",
    "바로",
    "먼저",
    "계속",
    "자꾸",
    "같이",
    "그대로",
    "나중",
    "나중에",
];

/// Endings of a verb made from a noun (결제하다, 취소되다): the noun stays.
const NOUN_VERB_ENDINGS: &[&str] = &[
    "하려면",
    "했는데",
    "하는데",
    "합니까",
    "됩니까",
    "했어요",
    "됐어요",
    "됐는데",
    "되나요",
    "하나요",
    "할까요",
    "되는데",
    "해요",
    "하면",
    "해야",
    "하고",
    "하지",
    "하는",
    "했다",
    "해서",
    "했어",
    "됐다",
    "돼요",
    "되면",
    "되는",
    "되어",
    "돼서",
    "할",
    "한",
    "된",
    "될",
    "됨",
    "함",
];

/// Particles (and the copula) after a noun, longest first.
const PARTICLES: &[&str] = &[
    "이에요",
    "에서는",
    "으로는",
    "에게서",
    "까지는",
    "부터는",
    "이라도",
    "예요",
    "에서",
    "으로",
    "에게",
    "까지",
    "부터",
    "처럼",
    "보다",
    "이나",
    "이랑",
    "랑",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "에",
    "의",
    "도",
    "만",
    "과",
    "와",
    "로",
];

/// Endings of predicates: such a word is a verb or adjective, not a subject.
const PREDICATE_ENDINGS: &[&str] = &[
    "는데", "어요", "아요", "어서", "아서", "었어", "았어", "였어", "워요", "져요", "나요", "까요",
    "니다", "려고", "면서", "지만", "다가", "도록", "었다", "았다", "는지", "세요", "어도", "아도",
    "으면", "라고", "요", "면", "고",
];

/// A subject word of a question.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// A stemmed English word.
    Stem(String),
    /// A Korean word without its particle or ending.
    Korean(String),
}

fn strip<'a>(word: &'a str, endings: &[&str]) -> Option<&'a str> {
    endings
        .iter()
        .filter_map(|e| word.strip_suffix(e))
        .find(|stem| stem.chars().count() >= 2)
}

fn korean_stem(word: &str) -> Option<String> {
    if KOREAN_STOP.contains(&word) {
        return None;
    }
    let stem = match strip(word, NOUN_VERB_ENDINGS).or_else(|| strip(word, PARTICLES)) {
        Some(stem) => stem,
        None if PREDICATE_ENDINGS.iter().any(|e| word.ends_with(e)) => return None,
        None => word,
    };
    (stem.chars().count() >= 2 && !KOREAN_STOP.contains(&stem)).then(|| stem.to_owned())
}

/// The subject words of a question, each once.
pub fn terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let term = if word.chars().any(is_hangul) {
            // Hangul followed by Latin (`PRO플랜`): each part on its own.
            let hangul: String = word.chars().filter(|c| is_hangul(*c)).collect();
            let latin: String = word.chars().filter(|c| !is_hangul(*c)).collect();
            if !latin.is_empty() {
                for t in english_terms(&latin) {
                    if seen.insert(t.clone()) {
                        out.push(t);
                    }
                }
            }
            korean_stem(&hangul).map(Term::Korean)
        } else {
            for t in english_terms(word) {
                if seen.insert(t.clone()) {
                    out.push(t);
                }
            }
            None
        };
        if let Some(t) = term
            && seen.insert(t.clone())
        {
            out.push(t);
        }
    }
    out
}

fn english_terms(word: &str) -> Vec<Term> {
    text_tokens(word)
        .into_iter()
        .filter(|s| !ENGLISH_STOP.contains(&s.as_str()) && !s.chars().all(|c| c.is_ascii_digit()))
        .map(Term::Stem)
        .collect()
}

/// A passage prepared for matching terms.
pub struct Passage {
    lower: String,
    stems: HashSet<String>,
    concepts: HashSet<&'static str>,
}

impl Passage {
    pub fn new(text: &str) -> Self {
        Self {
            lower: text.to_lowercase(),
            stems: text_tokens(text).into_iter().collect(),
            concepts: glossary().concepts(text).into_iter().collect(),
        }
    }

    /// Whether the passage has `term`: the word itself, or a concept of it.
    pub fn has(&self, term: &Term) -> bool {
        let direct = match term {
            Term::Stem(s) => self.stems.contains(s),
            Term::Korean(k) => self.lower.contains(k.as_str()),
        };
        direct
            || term_concepts(term)
                .iter()
                .any(|c| self.concepts.contains(c))
    }
}

/// The glossary concepts of a term, memoised: relevance asks for them once
/// per passage, and a question has a handful of terms.
fn term_concepts(term: &Term) -> std::sync::Arc<[&'static str]> {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex, OnceLock},
    };
    type Memo = Mutex<HashMap<Term, Arc<[&'static str]>>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(found) = crate::sync::lock(memo).get(term) {
        return found.clone();
    }
    let concepts: Arc<[&'static str]> = match term {
        Term::Stem(s) | Term::Korean(s) => glossary().concepts(s).into(),
    };
    let mut memo = crate::sync::lock(memo);
    // Bounded: questions bring new words forever.
    if memo.len() >= 20_000 {
        memo.clear();
    }
    memo.insert(term.clone(), concepts.clone());
    concepts
}

/// The weighted share of `terms` that `passage` has; `weight` gives each
/// term's weight (rarer terms matter more). 0 when there are no terms.
pub fn coverage(terms: &[Term], passage: &Passage, weight: impl Fn(&Term) -> f64) -> f64 {
    let total: f64 = terms.iter().map(&weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f64 = terms.iter().filter(|t| passage.has(t)).map(&weight).sum();
    found / total
}

/// Sentences of a passage (kept with their punctuation).
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in bytes.iter().enumerate() {
        let next = bytes.get(k + 1).map(|&(_, n)| n);
        let end = match c {
            '\n' => true,
            '.' | '?' | '!' => next.is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            let s = text[start..i + c.len_utf8()].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = i + c.len_utf8();
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_terms_drop_particles_endings_and_stop_words() {
        assert_eq!(
            terms("환불은 언제 되나요?"),
            vec![Term::Korean("환불".into())]
        );
        assert_eq!(
            terms("How do I get a refund for my order?"),
            vec![Term::Stem("refund".into()), Term::Stem("order".into())]
        );
        assert!(terms("PRO플랜 quota는?").contains(&Term::Stem("pro".into())));
    }

    #[test]
    fn passages_match_words_stems_and_concepts() {
        let p = Passage::new("결제가 완료된 주문은 환불을 요청할 수 있습니다.");
        assert!(p.has(&Term::Korean("환불".into())));
        assert!(
            p.has(&Term::Stem("refund".into())),
            "through the refund concept"
        );
        assert!(!p.has(&Term::Stem("weather".into())));
        let weight = |_: &Term| 1.0;
        assert_eq!(coverage(&terms("refund weather"), &p, weight), 0.5);
    }

    #[test]
    fn sentences_split_on_full_stops_and_lines() {
        assert_eq!(
            sentences("One. Two is 3.5 long!\nThree"),
            vec!["One.", "Two is 3.5 long!", "Three"]
        );
    }
}
