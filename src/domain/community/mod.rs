//! Interior community (COMM-1, COMM-4 … COMM-7): designs, posts, comments,
//! likes, follows, the personalised home feed, behaviour tracking and
//! insights, plus image uploads (OPS-4).
pub mod behavior;
pub mod blocks;
pub mod designs;
pub mod feed;
pub mod generation;
pub mod insights;
pub mod posts;
pub mod social;

/// Design styles (COMM-1).
pub const STYLES: &[&str] = &[
    "MODERN",
    "MINIMALIST",
    "SCANDINAVIAN",
    "INDUSTRIAL",
    "CLASSIC",
    "NATURAL",
    "BOHEMIAN",
    "VINTAGE",
    "JAPANDI",
    "COASTAL",
];

/// Room types (COMM-1).
pub const ROOM_TYPES: &[&str] = &[
    "LIVING_ROOM",
    "BEDROOM",
    "KITCHEN",
    "DINING_ROOM",
    "BATHROOM",
    "HOME_OFFICE",
    "KIDS_ROOM",
    "ENTRYWAY",
    "BALCONY",
];

/// `ln(1 + 2·likes + 3·comments)` (COMM-4).
pub fn engagement_score(likes: i64, comments: i64) -> f64 {
    (1.0 + 2.0 * likes.max(0) as f64 + 3.0 * comments.max(0) as f64).ln()
}

#[cfg(test)]
mod tests {
    #[test]
    fn engagement() {
        assert_eq!(super::engagement_score(0, 0), 0.0);
        assert!((super::engagement_score(2, 1) - 8f64.ln()).abs() < 1e-12);
    }
}
