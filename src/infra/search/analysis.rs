//! Text analysis shared by both backends, so that they agree on what a word
//! is. The Elasticsearch index template declares the same chain with
//! built-in parts (`standard` tokenizer, `lowercase`, `cjk_bigram`,
//! `stemmer: porter2`, `edge_ngram` 1–20); tantivy runs this code.
//!
//! - Latin (and other alphabetic) words are lower-cased and stemmed with the
//!   Snowball English (Porter2) stemmer: "sofas" and "sofa" meet.
//! - Hangul runs become overlapping character bigrams ("모던거실소파" →
//!   모던 던거 거실 실소 소파), so a Korean word is found inside a compound
//!   written without spaces; a one-syllable run stays a unigram.
//! - Suggestions index every word's leading edge n-grams (1 to
//!   [`MAX_GRAM`] characters) of the lower-cased word, unstemmed.
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Longest edge n-gram indexed for suggestions (characters).
pub const MAX_GRAM: usize = 20;
/// Query words beyond this many are ignored.
pub const MAX_QUERY_TOKENS: usize = 32;

/// Hangul syllables and jamo.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F)
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// A run of word characters and whether it is Hangul.
fn words(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(|c: char| c.is_alphanumeric())?;
        rest = &rest[start..];
        let hangul = rest.chars().next().is_some_and(is_hangul);
        let end = rest
            .char_indices()
            .find(|&(_, c)| !c.is_alphanumeric() || is_hangul(c) != hangul)
            .map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some((word, hangul))
    })
}

/// The terms full-text fields are indexed and queried with.
pub fn text_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (word, hangul) in words(text) {
        if hangul {
            let chars: Vec<char> = word.chars().collect();
            if chars.len() == 1 {
                out.push(word.to_owned());
            } else {
                out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
            }
        } else {
            let lower = word.to_lowercase();
            out.push(stemmer().stem(&lower).into_owned());
        }
    }
    out
}

/// Lower-cased words, unstemmed: how a suggestion prefix is queried.
pub fn prefix_tokens(text: &str) -> Vec<String> {
    words(text)
        .map(|(w, _)| w.to_lowercase().chars().take(MAX_GRAM).collect())
        .collect()
}

/// Every leading n-gram of every word: how suggestion text is indexed.
pub fn edge_ngrams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in prefix_tokens(text) {
        let mut gram = String::new();
        for c in word.chars() {
            gram.push(c);
            out.push(gram.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_compounds_become_bigrams() {
        assert_eq!(
            text_tokens("모던거실소파"),
            vec!["모던", "던거", "거실", "실소", "소파"]
        );
        assert_eq!(text_tokens("집"), vec!["집"]);
    }

    #[test]
    fn english_is_stemmed_and_mixed_text_splits_by_script() {
        assert_eq!(text_tokens("Sofas, RUNNING"), vec!["sofa", "run"]);
        assert_eq!(text_tokens("모던 거실 sofa"), vec!["모던", "거실", "sofa"]);
        assert_eq!(text_tokens("리넨shirts"), vec!["리넨", "shirt"]);
        assert!(text_tokens(" ,.! ").is_empty());
    }

    #[test]
    fn suggestions_use_edge_ngrams() {
        assert_eq!(
            edge_ngrams("Lin 셔츠"),
            vec!["l", "li", "lin", "셔", "셔츠"]
        );
        assert_eq!(prefix_tokens("LIN 셔"), vec!["lin", "셔"]);
        assert_eq!(edge_ngrams(&"a".repeat(30)).len(), MAX_GRAM);
    }
}
