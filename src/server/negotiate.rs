//! Content negotiation of `/graphql` responses (GraphQL over HTTP, "Accept"
//! and "Status codes"): the media type comes from `Accept`, q-values
//! honoured. `application/graphql-response+json` answers request errors
//! (a document that does not parse or validate, variables that cannot be
//! coerced) with 400 and no `data` entry; `application/json`, the legacy
//! type that `*/*` and a missing `Accept` get, answers them with 200, as
//! the spec allows until its watershed.
use axum::http::{HeaderMap, header};

/// The JSON media types a GraphQL response can be sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`.
    GraphqlResponse,
    /// `application/json`.
    Json,
}

impl MediaType {
    /// The `Content-Type` header value (always UTF-8).
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// One media range of an `Accept` header.
struct Range<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: f32,
}

fn ranges(accept: &str) -> impl Iterator<Item = Range<'_>> {
    accept.split(',').filter_map(|item| {
        let mut parts = item.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let mut q = 1.0_f32;
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                // A malformed q makes the range unusable, not preferred.
                q = value.trim().parse().unwrap_or(0.0);
            }
        }
        Some(Range {
            kind: kind.trim(),
            subtype: subtype.trim(),
            q: q.clamp(0.0, 1.0),
        })
    })
}

/// What a range offers: the media type it names (or `Json` for a wildcard,
/// as the spec says for now) and how specific it is.
fn offer(range: &Range<'_>) -> Option<(MediaType, u8)> {
    let kind = range.kind.to_ascii_lowercase();
    let subtype = range.subtype.to_ascii_lowercase();
    match (kind.as_str(), subtype.as_str()) {
        ("application", "graphql-response+json") => Some((MediaType::GraphqlResponse, 2)),
        ("application", "json") => Some((MediaType::Json, 2)),
        ("application", "*") | ("*", "*") => Some((MediaType::Json, 1)),
        _ => None,
    }
}

/// The media type to answer with, or `None` when `Accept` offers nothing
/// this server can send (406). The highest q wins; on a tie an explicit
/// type beats a wildcard, and `application/graphql-response+json` beats
/// `application/json`. No `Accept` header is `application/json`.
pub fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.iter().all(|v| v.trim().is_empty()) {
        return Some(MediaType::Json);
    }
    let mut best: Option<(f32, u8, MediaType)> = None;
    for range in values.iter().flat_map(|v| ranges(v)) {
        let Some((media, specificity)) = offer(&range) else {
            continue;
        };
        if range.q <= 0.0 {
            continue;
        }
        let preference = u8::from(media == MediaType::GraphqlResponse);
        let better = match best {
            None => true,
            Some((q, s, m)) => {
                let current = u8::from(m == MediaType::GraphqlResponse);
                (range.q, specificity, preference) > (q, s, current)
            }
        };
        if better {
            best = Some((range.q, specificity, media));
        }
    }
    best.map(|(_, _, media)| media)
}

/// Whether `Accept` asks for an event stream (GraphQL over SSE).
pub fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(ranges)
        .any(|r| {
            r.q > 0.0
                && r.kind.eq_ignore_ascii_case("text")
                && r.subtype.eq_ignore_ascii_case("event-stream")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pick(accept: Option<&str>) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        if let Some(a) = accept {
            headers.insert(header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        negotiate(&headers)
    }

    #[test]
    fn accept_chooses_the_media_type() {
        use MediaType::*;
        assert_eq!(pick(None), Some(Json));
        assert_eq!(pick(Some("*/*")), Some(Json));
        assert_eq!(pick(Some("application/*")), Some(Json));
        assert_eq!(pick(Some("application/json")), Some(Json));
        assert_eq!(
            pick(Some("application/graphql-response+json")),
            Some(GraphqlResponse)
        );
        assert_eq!(
            pick(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponse)
        );
        assert_eq!(
            pick(Some("application/json, application/graphql-response+json")),
            Some(GraphqlResponse)
        );
        assert_eq!(
            pick(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(
            pick(Some("APPLICATION/GRAPHQL-RESPONSE+JSON; charset=utf-8")),
            Some(GraphqlResponse)
        );
        // A browser's navigation header ends in */*.
        assert_eq!(
            pick(Some(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            )),
            Some(Json)
        );
        // An explicit type beats a wildcard of the same q.
        assert_eq!(
            pick(Some("*/*, application/graphql-response+json")),
            Some(GraphqlResponse)
        );
    }

    #[test]
    fn nothing_acceptable_is_none() {
        assert_eq!(pick(Some("text/html")), None);
        assert_eq!(pick(Some("application/xml, text/plain")), None);
        assert_eq!(pick(Some("application/json;q=0")), None);
        assert_eq!(pick(Some("application/json;q=nonsense")), None);
    }

    #[test]
    fn event_streams_are_recognised() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        assert!(wants_event_stream(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_event_stream(&headers));
    }
}
