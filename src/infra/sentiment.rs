//! Sentiment of a short's title and description (COM-4).
//!
//! [`LexiconSentiment`] (the offline default) scores text against small
//! Korean and English lexicons:
//! - English is split into words; a word counts when it is in a lexicon.
//! - Korean is agglutinative, so it is matched by *stem* inside each
//!   whitespace-separated word (`예쁘` matches `예쁘고`, `예쁜` does not need its
//!   own entry because `예쁜` is listed as well).
//! - A negator flips the next sentiment word (`not`, `never`, `no`, `…n't`,
//!   Korean `안`, `못`), as does a negating ending after it (`좋지 않다`,
//!   `편하지 않아요`, `별로 없다`).
//! - An intensifier (`very`, `really`, `so`, `너무`, `정말`, `진짜`, `완전`, `아주`)
//!   makes the next sentiment word count 1.5×.
//!
//! The sum `s` becomes a score `s / (|s| + 2)` in (−1, 1); above 0.2 is
//! POSITIVE, below −0.2 NEGATIVE, else NEUTRAL. [`HttpSentiment`] asks an
//! external service instead and falls back to the lexicon when it fails, so
//! adding a short never fails because of the provider.
use std::time::Duration;

use crate::entities::short::SentimentLabel;

#[derive(Clone, Debug, PartialEq)]
pub struct Sentiment {
    pub label: SentimentLabel,
    /// Polarity in [−1, 1].
    pub score: f64,
    /// Which provider decided.
    pub provider: String,
}

pub trait SentimentProvider: Send + Sync {
    fn analyze<'a>(&'a self, text: &'a str) -> futures::future::BoxFuture<'a, Sentiment>;
}

const POSITIVE_EN: &[&str] = &[
    "love",
    "loved",
    "loving",
    "great",
    "amazing",
    "perfect",
    "best",
    "beautiful",
    "comfortable",
    "comfy",
    "stylish",
    "cute",
    "recommend",
    "recommended",
    "excellent",
    "nice",
    "good",
    "happy",
    "soft",
    "warm",
    "elegant",
    "gorgeous",
    "awesome",
    "favorite",
    "favourite",
    "chic",
    "lovely",
    "fantastic",
    "flattering",
    "trendy",
    "classy",
    "pretty",
];
const NEGATIVE_EN: &[&str] = &[
    "bad",
    "terrible",
    "worst",
    "ugly",
    "uncomfortable",
    "disappointed",
    "disappointing",
    "poor",
    "broken",
    "refund",
    "hate",
    "hated",
    "awful",
    "itchy",
    "faded",
    "tight",
    "waste",
    "cheaply",
    "flimsy",
    "horrible",
    "regret",
    "scratchy",
    "defective",
    "returned",
    "boring",
];
const POSITIVE_KO: &[&str] = &[
    "좋",
    "최고",
    "예쁘",
    "예쁜",
    "예뻐",
    "이쁘",
    "이쁜",
    "멋지",
    "멋진",
    "멋있",
    "추천",
    "만족",
    "편하",
    "편해",
    "편안",
    "귀엽",
    "귀여",
    "사랑",
    "완벽",
    "훌륭",
    "세련",
    "고급",
    "따뜻",
    "부드럽",
    "부드러",
    "감동",
    "대박",
    "강추",
    "짱",
    "핏이 좋",
];
const NEGATIVE_KO: &[&str] = &[
    "별로", "실망", "불편", "최악", "나쁘", "나쁜", "나빠", "환불", "반품", "불량", "아쉽", "아쉬",
    "싫", "비추", "엉망", "찢어", "얇아", "후회", "구리", "촌스",
];
const NEGATORS_EN: &[&str] = &["not", "never", "no", "hardly"];
const NEGATORS_KO: &[&str] = &["안", "못"];
const NEGATING_ENDINGS_KO: &[&str] = &["지 않", "지 못", "지않", "지못"];
const INTENSIFIERS: &[&str] = &[
    "very", "really", "so", "super", "너무", "정말", "진짜", "완전", "아주", "엄청",
];

/// The offline default.
#[derive(Clone, Copy, Debug, Default)]
pub struct LexiconSentiment;

impl LexiconSentiment {
    pub const NAME: &'static str = "offline-lexicon";

    pub fn score(text: &str) -> Sentiment {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '\''))
            .filter(|w| !w.is_empty())
            .collect();
        let mut sum = 0.0_f64;
        let mut negate = false;
        let mut weight = 1.0_f64;
        for (i, word) in words.iter().enumerate() {
            let bare = word.trim_matches('\'');
            if NEGATORS_EN.contains(&bare) || bare.ends_with("n't") || NEGATORS_KO.contains(&bare) {
                negate = true;
                continue;
            }
            if INTENSIFIERS.contains(&bare) {
                weight = 1.5;
                continue;
            }
            // Korean negative stems are checked before positive ones: `별로 좋` is negative.
            let negative =
                NEGATIVE_EN.contains(&bare) || NEGATIVE_KO.iter().any(|stem| bare.contains(stem));
            let positive =
                POSITIVE_EN.contains(&bare) || POSITIVE_KO.iter().any(|stem| bare.contains(stem));
            let polarity = match (negative, positive) {
                (true, _) => -1.0,
                (false, true) => 1.0,
                (false, false) => 0.0,
            };
            if polarity == 0.0 {
                continue;
            }
            // `좋지 않다`: the negating ending is on this word or starts the next.
            let joined = match words.get(i + 1) {
                Some(next) => format!("{bare} {next}"),
                None => bare.to_owned(),
            };
            let negated_after = NEGATING_ENDINGS_KO.iter().any(|e| joined.contains(e))
                || words
                    .get(i + 1)
                    .is_some_and(|n| n.starts_with("않") || n.starts_with("없"));
            let mut value = polarity * weight;
            if negate ^ negated_after {
                value = -value;
            }
            sum += value;
            negate = false;
            weight = 1.0;
        }
        let score = sum / (sum.abs() + 2.0);
        let label = if score > 0.2 {
            SentimentLabel::Positive
        } else if score < -0.2 {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        Sentiment {
            label,
            score: (score * 1000.0).round() / 1000.0,
            provider: Self::NAME.into(),
        }
    }
}

impl SentimentProvider for LexiconSentiment {
    fn analyze<'a>(&'a self, text: &'a str) -> futures::future::BoxFuture<'a, Sentiment> {
        Box::pin(async move { Self::score(text) })
    }
}

/// An HTTP sentiment service: `POST <url>` with `{"text": "..."}`, answering
/// `{"label": "POSITIVE" | "NEUTRAL" | "NEGATIVE", "score": number}`.
pub struct HttpSentiment {
    client: reqwest::Client,
    url: String,
}

impl HttpSentiment {
    pub const NAME: &'static str = "http";

    pub fn new(url: String, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { client, url })
    }

    async fn call(&self, text: &str) -> anyhow::Result<Sentiment> {
        #[derive(serde::Deserialize)]
        struct Answer {
            label: String,
            score: f64,
        }
        let answer: Answer = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let label = match answer.label.to_uppercase().as_str() {
            "POSITIVE" => SentimentLabel::Positive,
            "NEGATIVE" => SentimentLabel::Negative,
            "NEUTRAL" => SentimentLabel::Neutral,
            other => anyhow::bail!("unknown label {other}"),
        };
        if !answer.score.is_finite() || !(-1.0..=1.0).contains(&answer.score) {
            anyhow::bail!("score {} outside [-1, 1]", answer.score);
        }
        Ok(Sentiment {
            label,
            score: answer.score,
            provider: Self::NAME.into(),
        })
    }
}

impl SentimentProvider for HttpSentiment {
    fn analyze<'a>(&'a self, text: &'a str) -> futures::future::BoxFuture<'a, Sentiment> {
        Box::pin(async move {
            match self.call(text).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "sentiment provider failed; using the offline lexicon");
                    let mut fallback = LexiconSentiment::score(text);
                    fallback.provider = format!("{} (fallback)", LexiconSentiment::NAME);
                    fallback
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> SentimentLabel {
        LexiconSentiment::score(text).label
    }

    #[test]
    fn english() {
        assert_eq!(
            label("I love this coat, so comfortable and stylish"),
            SentimentLabel::Positive
        );
        assert_eq!(
            label("Terrible fabric, very disappointed"),
            SentimentLabel::Negative
        );
        assert_eq!(label("This is not good"), SentimentLabel::Negative);
        assert_eq!(label("It isn't bad at all"), SentimentLabel::Positive);
        assert_eq!(
            label("Spring collection 2026 lookbook"),
            SentimentLabel::Neutral
        );
    }

    #[test]
    fn korean() {
        assert_eq!(
            label("이 코트 정말 예쁘고 따뜻해요 강추"),
            SentimentLabel::Positive
        );
        assert_eq!(label("핏이 별로고 실망했어요"), SentimentLabel::Negative);
        assert_eq!(label("착용감이 좋지 않아요"), SentimentLabel::Negative);
        assert_eq!(label("안 편해요"), SentimentLabel::Negative);
        assert_eq!(label("신상 입고 안내"), SentimentLabel::Neutral);
    }

    #[test]
    fn mixed_and_bounded() {
        assert_eq!(label("데일리룩 추천 perfect fit"), SentimentLabel::Positive);
        let s = LexiconSentiment::score("love love love love love love love love");
        assert!(s.score < 1.0 && s.score > 0.7);
        assert_eq!(s.provider, "offline-lexicon");
    }
}
