//! Who infers a product's attributes (ML-1, "reinforced features"), behind
//! one small trait, [`AttributeInference`]:
//! - [`RuleInference`], the offline default: Korean and English word rules
//!   over the name and description ([`recommender::infer`]), and the
//!   category whose code names a product type found there;
//! - [`LlmInference`]: an OpenAI-compatible chat model in JSON mode, given
//!   the product's text, its first image's URL and every allowed value.
//!
//! Both answer a [`Proposal`], unchecked: the domain
//! (`domain::commerce::inference`) keeps only what the taxonomy knows.
use recommender::infer;
use serde_json::Value;

use crate::{
    config::inference::InferenceConfig,
    entities::product_inference::InferenceSource,
    infra::llm::{ChatMessage, ChatRequest, LlmConfig, LlmError, OpenAiCompatible, Role},
};

/// Characters of the description given to a model.
const MAX_DESCRIPTION_CHARS: usize = 4000;

/// What is read of a product.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductText {
    pub name: String,
    pub description: String,
    /// Its first image, when it has one.
    pub image_url: Option<String>,
}

/// One category a product may be put in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxonomyCategory {
    /// The taxonomy's code, e.g. `01outer_01coat`.
    pub code: String,
    pub name: String,
    pub name_ko: String,
}

/// Every value an inference may propose, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Taxonomy {
    pub categories: Vec<TaxonomyCategory>,
    /// Catalogue colours (`Black`, `SkyBlue`, …).
    pub colors: Vec<String>,
    /// `SPRING_FALL`, `SUMMER`, `WINTER`.
    pub seasons: Vec<String>,
    /// Fibre names (`cotton`, `wool`, …).
    pub fibers: Vec<String>,
    /// Spec tags (`coat`, `water-repellent`, …).
    pub spec_tags: Vec<String>,
}

/// What a provider proposes, before the taxonomy is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proposal {
    /// A category code.
    pub category: Option<String>,
    pub colors: Vec<String>,
    pub seasons: Vec<String>,
    pub fibers: Vec<String>,
    pub spec_tags: Vec<String>,
}

/// Infers the attributes a product's text and image suggest.
#[async_trait::async_trait]
pub trait AttributeInference: Send + Sync {
    /// Stored with each inference.
    fn source(&self) -> InferenceSource;
    /// The model, when a model infers.
    fn model(&self) -> Option<&str>;
    /// A proposal for `product`, whose values should come from `taxonomy`.
    async fn infer(&self, product: &ProductText, taxonomy: &Taxonomy)
    -> Result<Proposal, LlmError>;
}

/// The provider `config` chooses: the chat model when a key is set, else
/// the rules.
pub fn for_config(config: &InferenceConfig) -> anyhow::Result<Box<dyn AttributeInference>> {
    let Some(key) = &config.api_key else {
        return Ok(Box::new(RuleInference));
    };
    let http = reqwest::Client::builder()
        .connect_timeout(config.timeout)
        .build()?;
    let client = OpenAiCompatible::new(
        LlmConfig {
            base_url: config.base_url.clone(),
            api_key: Some(key.clone()),
            chat_model: config.model.clone(),
            embedding_model: String::new(),
            timeout: config.timeout,
        },
        http,
    );
    Ok(Box::new(LlmInference { client }))
}

/// The offline word rules.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleInference;

/// The stored season of a natural one (`spring` and `autumn` share one).
fn stored_season(natural: &str) -> &'static str {
    match natural {
        "summer" => "SUMMER",
        "winter" => "WINTER",
        _ => "SPRING_FALL",
    }
}

/// The product type a category's code names: its last segment without the
/// ordering digits and separators (`01outer_01coat` → `coat`,
/// `02top_02tshirt` → `tshirt`, `05shoes` → `shoes`).
fn code_type(code: &str) -> String {
    let last = code.rsplit('_').next().unwrap_or(code);
    last.chars().filter(|c| c.is_ascii_alphabetic()).collect()
}

/// The most specific category whose code names one of `types`, the first
/// type found winning.
pub fn category_for(types: &[String], categories: &[TaxonomyCategory]) -> Option<String> {
    types.iter().find_map(|t| {
        let wanted: String = t.chars().filter(|c| c.is_ascii_alphabetic()).collect();
        categories
            .iter()
            .filter(|c| code_type(&c.code) == wanted)
            .max_by_key(|c| c.code.matches('_').count())
            .map(|c| c.code.clone())
    })
}

#[async_trait::async_trait]
impl AttributeInference for RuleInference {
    fn source(&self) -> InferenceSource {
        InferenceSource::Rules
    }

    fn model(&self) -> Option<&str> {
        None
    }

    async fn infer(
        &self,
        product: &ProductText,
        taxonomy: &Taxonomy,
    ) -> Result<Proposal, LlmError> {
        let found = infer::infer(&product.name, &product.description);
        let mut seasons: Vec<String> = Vec::new();
        for s in &found.seasons {
            let stored = stored_season(s).to_owned();
            if !seasons.contains(&stored) {
                seasons.push(stored);
            }
        }
        Ok(Proposal {
            category: category_for(&found.tags, &taxonomy.categories),
            colors: found.colors,
            seasons,
            fibers: found.fibers,
            spec_tags: found.tags,
        })
    }
}

/// An OpenAI-compatible chat model in JSON mode.
#[derive(Clone, Debug)]
pub struct LlmInference {
    pub client: OpenAiCompatible,
}

/// The instructions: the allowed values, and the one JSON object wanted.
pub fn prompt(product: &ProductText, taxonomy: &Taxonomy) -> Vec<ChatMessage> {
    let categories: Vec<String> = taxonomy
        .categories
        .iter()
        .map(|c| format!("{} ({} / {})", c.code, c.name, c.name_ko))
        .collect();
    let system = format!(
        "You label products of a Korean fashion and home shop. From the product's name, \
         description and image, infer the attributes it clearly has. Use ONLY the allowed \
         values below, spelled exactly as given; leave a list empty and the category null when \
         unsure. Answer with one JSON object and nothing else, of the form \
         {{\"category\": string|null, \"colors\": [string], \"seasons\": [string], \
         \"fibers\": [string], \"specTags\": [string]}}.\n\
         Allowed categories (use the code): {}\n\
         Allowed colors: {}\n\
         Allowed seasons: {}\n\
         Allowed fibers: {}\n\
         Allowed specTags: {}",
        categories.join(", "),
        taxonomy.colors.join(", "),
        taxonomy.seasons.join(", "),
        taxonomy.fibers.join(", "),
        taxonomy.spec_tags.join(", "),
    );
    let description: String = product
        .description
        .chars()
        .take(MAX_DESCRIPTION_CHARS)
        .collect();
    let user = format!(
        "Name: {}\nDescription: {}\nImage URL: {}",
        product.name,
        description,
        product.image_url.as_deref().unwrap_or("(none)"),
    );
    vec![
        ChatMessage::new(Role::System, system),
        ChatMessage::new(Role::User, user),
    ]
}

/// The strings of `value[key]` (`specTags` also as `spec_tags`); anything
/// else in the list is kept as its JSON text, so that the taxonomy check
/// refuses and counts it.
fn strings(value: &Value, keys: &[&str]) -> Vec<String> {
    let list = keys.iter().find_map(|k| value.get(*k));
    match list {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The [`Proposal`] in a model's JSON answer.
pub fn parse_answer(value: &Value) -> Proposal {
    Proposal {
        category: value
            .get("category")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|c| !c.trim().is_empty()),
        colors: strings(value, &["colors", "colours"]),
        seasons: strings(value, &["seasons"]),
        fibers: strings(value, &["fibers", "fibres"]),
        spec_tags: strings(value, &["specTags", "spec_tags"]),
    }
}

#[async_trait::async_trait]
impl AttributeInference for LlmInference {
    fn source(&self) -> InferenceSource {
        InferenceSource::Llm
    }

    fn model(&self) -> Option<&str> {
        Some(&self.client.config().chat_model)
    }

    async fn infer(
        &self,
        product: &ProductText,
        taxonomy: &Taxonomy,
    ) -> Result<Proposal, LlmError> {
        let request = ChatRequest {
            messages: prompt(product, taxonomy),
            max_tokens: Some(400),
            temperature: Some(0.0),
        };
        let answer = self.client.chat_json(&request).await?;
        Ok(parse_answer(&answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> Vec<TaxonomyCategory> {
        [
            ("01outer", "Outer"),
            ("01outer_01coat", "Coats"),
            ("02top_02tshirt", "T-shirts"),
            ("05shoes", "Shoes"),
        ]
        .into_iter()
        .map(|(code, name)| TaxonomyCategory {
            code: code.into(),
            name: name.into(),
            name_ko: String::new(),
        })
        .collect()
    }

    #[tokio::test]
    async fn rules_map_seasons_and_find_the_category_of_a_type() {
        let taxonomy = Taxonomy {
            categories: categories(),
            ..Taxonomy::default()
        };
        let product = ProductText {
            name: "겨울 울 코트".into(),
            description: "봄, 가을에도 좋은 검정색 코트".into(),
            image_url: None,
        };
        let proposal = RuleInference.infer(&product, &taxonomy).await.unwrap();
        assert_eq!(proposal.category.as_deref(), Some("01outer_01coat"));
        assert_eq!(proposal.seasons, ["WINTER", "SPRING_FALL"]);
        assert_eq!(proposal.colors, ["black"]);
        assert_eq!(proposal.fibers, ["wool"]);
        assert_eq!(
            category_for(&["tshirt".into()], &taxonomy.categories).as_deref(),
            Some("02top_02tshirt")
        );
        assert_eq!(category_for(&["bag".into()], &taxonomy.categories), None);
    }

    #[test]
    fn answers_are_read_leniently() {
        let value = serde_json::json!({
            "category": "01outer_01coat",
            "colours": ["Red", 7],
            "seasons": "WINTER",
            "spec_tags": ["coat"],
        });
        let proposal = parse_answer(&value);
        assert_eq!(proposal.category.as_deref(), Some("01outer_01coat"));
        assert_eq!(proposal.colors, ["Red", "7"]);
        assert_eq!(proposal.seasons, ["WINTER"]);
        assert!(proposal.fibers.is_empty());
        assert_eq!(proposal.spec_tags, ["coat"]);
    }
}
