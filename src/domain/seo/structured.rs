//! Structured data (COMM-10): schema.org JSON-LD for the public pages of
//! products (`Product` with `offers`, `aggregateRating`, `brand`, `image`:
//! what Google's product rich results read), stores (`Organization`),
//! designs (`VisualArtwork`) and posts (`SocialMediaPosting`). Built from
//! plain values so that the resolvers only gather them.
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Makes `url` absolute under `base` (stored files are served as `/files/…`
/// when no public URL is configured).
pub fn absolute(base: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_owned()
    }
}

fn rating(average: f64, count: i64) -> Option<Value> {
    (count > 0).then(|| {
        json!({
            "@type": "AggregateRating",
            "ratingValue": (average * 10.0).round() / 10.0,
            "reviewCount": count,
            "bestRating": 5,
            "worstRating": 1,
        })
    })
}

pub struct ProductData<'a> {
    pub url: String,
    pub id: i64,
    pub name: &'a str,
    pub description: &'a str,
    /// Won (KRW has no minor unit).
    pub price: i64,
    pub in_stock: bool,
    pub images: Vec<String>,
    pub brand: Option<&'a str>,
    pub rating: (f64, i64),
    pub updated_at: DateTime<Utc>,
}

pub fn product(p: &ProductData<'_>) -> Value {
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "@id": p.url,
        "url": p.url,
        "sku": p.id.to_string(),
        "name": p.name,
        "description": p.description,
        "image": p.images,
        "offers": {
            "@type": "Offer",
            "url": p.url,
            "price": p.price,
            "priceCurrency": "KRW",
            "availability": if p.in_stock { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
            "itemCondition": "https://schema.org/NewCondition",
        },
        "dateModified": p.updated_at.to_rfc3339(),
    });
    if let Some(brand) = p.brand {
        ld["brand"] = json!({ "@type": "Brand", "name": brand });
    }
    if let Some(r) = rating(p.rating.0, p.rating.1) {
        ld["aggregateRating"] = r;
    }
    ld
}

pub struct StoreData<'a> {
    pub url: String,
    pub name: &'a str,
    pub description: &'a str,
    pub rating: (f64, i64),
}

pub fn store(s: &StoreData<'_>) -> Value {
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": ["Organization", "Brand"],
        "@id": s.url,
        "url": s.url,
        "name": s.name,
        "description": s.description,
    });
    if let Some(r) = rating(s.rating.0, s.rating.1) {
        ld["aggregateRating"] = r;
    }
    ld
}

pub struct DesignData<'a> {
    pub url: String,
    pub title: &'a str,
    pub prompt: &'a str,
    pub style: &'a str,
    pub room_type: &'a str,
    pub image: Option<String>,
    pub creator: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

pub fn design(d: &DesignData<'_>) -> Value {
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "VisualArtwork",
        "@id": d.url,
        "url": d.url,
        "name": d.title,
        "description": d.prompt,
        "artform": "Interior design",
        "genre": d.style,
        "about": d.room_type,
        "dateCreated": d.created_at.to_rfc3339(),
    });
    if let Some(image) = &d.image {
        ld["image"] = json!(image);
    }
    if let Some(creator) = d.creator {
        ld["creator"] = json!({ "@type": "Person", "name": creator });
    }
    ld
}

pub struct PostData<'a> {
    pub url: String,
    pub text: &'a str,
    pub images: Vec<String>,
    pub author: Option<&'a str>,
    pub author_url: Option<String>,
    pub likes: i64,
    pub comments: i64,
    pub published: DateTime<Utc>,
}

pub fn post(p: &PostData<'_>) -> Value {
    let headline: String = p.text.chars().take(110).collect();
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "SocialMediaPosting",
        "@id": p.url,
        "url": p.url,
        "headline": headline,
        "text": p.text,
        "datePublished": p.published.to_rfc3339(),
        "image": p.images,
        "interactionStatistic": [
            { "@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction", "userInteractionCount": p.likes },
            { "@type": "InteractionCounter", "interactionType": "https://schema.org/CommentAction", "userInteractionCount": p.comments },
        ],
    });
    if let Some(author) = p.author {
        let mut person = json!({ "@type": "Person", "name": author });
        if let Some(url) = &p.author_url {
            person["url"] = json!(url);
        }
        ld["author"] = person;
    }
    ld
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_carry_what_rich_results_require() {
        let ld = product(&ProductData {
            url: "https://v.example/products/3".into(),
            id: 3,
            name: "Coat",
            description: "Wool",
            price: 289_000,
            in_stock: false,
            images: vec!["https://cdn.example/c.jpg".into()],
            brand: Some("Maison Kim"),
            rating: (4.26, 7),
            updated_at: Utc::now(),
        });
        assert_eq!(ld["@type"], "Product");
        assert_eq!(ld["offers"]["priceCurrency"], "KRW");
        assert_eq!(
            ld["offers"]["availability"],
            "https://schema.org/OutOfStock"
        );
        assert_eq!(ld["aggregateRating"]["ratingValue"], 4.3);
        assert_eq!(ld["brand"]["name"], "Maison Kim");
        let unrated = store(&StoreData {
            url: "u".into(),
            name: "n",
            description: "",
            rating: (0.0, 0),
        });
        assert!(unrated.get("aggregateRating").is_none());
        assert_eq!(
            absolute("https://v.example", "/files/a.png"),
            "https://v.example/files/a.png"
        );
        assert_eq!(
            absolute("https://v.example", "https://cdn/a.png"),
            "https://cdn/a.png"
        );
    }
}
