//! Which models the rusqlite path reads. A model's fields are listed once
//! here; the struct literal makes a field added to the entity and missing
//! here a compile error, and a test checks the column names.
use super::{SqliteColumn, SqliteModel};
use crate::entities::{
    assistant_message, category, comment, design, message, post, product, product_image, review,
    short, store, upload, user,
};

macro_rules! sqlite_models {
    ($($model:path { $($field:ident),+ $(,)? })+) => {$(
        impl SqliteModel for $model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];
            fn from_sqlite(row: &rusqlite::Row<'_>, at: &[usize]) -> rusqlite::Result<Self> {
                let mut at = at.iter().copied();
                Ok(Self {$(
                    $field: {
                        let i = at.next().unwrap_or_default();
                        SqliteColumn::column(row.get_ref(i)?).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                i,
                                row.get_ref(i).map_or(rusqlite::types::Type::Null, |v| v.data_type()),
                                Box::new(ColumnError(stringify!($field), e.to_string())),
                            )
                        })?
                    },
                )+})
            }
        }
    )+};
}

/// Which column failed to decode, and why.
#[derive(Debug)]
struct ColumnError(&'static str, String);

impl std::fmt::Display for ColumnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.0, self.1)
    }
}

impl std::error::Error for ColumnError {}

sqlite_models! {
    user::Model {
        id, email, password_hash, nickname, role, status, gender, birth_date, status_reason, created_at, updated_at, deleted_at, follower_count, following_count, locale, profile_photo_upload_id,
    }
    store::Model {
        id, owner_id, name, name_key, license_number, description, status, review_reason, reviewed_by, reviewed_at, rating_sum, review_count, created_at, updated_at, logo_upload_id, shipping_fee, free_shipping_threshold,
    }
    category::Model {
        id, code, name, name_ko, parent_id, path, depth, position,
    }
    product::Model {
        id, store_id, category_id, name, description, price, stock, gender, colors, seasons, fiber_composition, elasticity, transparency, fleece, spec_tags, options, status, rating_sum, review_count, rating_avg, wishlist_count, sold_count, popularity, palette, color_theme, created_at, updated_at,
    }
    short::Model {
        id, product_id, store_id, title, description, video_url, thumbnail_url, thumbnail_upload_id, duration_secs, source, view_count, like_count, sentiment_label, sentiment_score, sentiment_provider, created_at, hidden_at,
    }
    design::Model {
        id, owner_id, title, prompt, style, room_type, source_upload_id, generated_upload_id, structure_description, palette, color_theme, visibility, generation_status, provider, generation_error, like_count, created_at, updated_at, hidden_at,
    }
    post::Model {
        id, author_id, body, design_id, like_count, comment_count, engagement_score, created_at, deleted_at, hidden_at,
    }
    post::image::Model {
        id, post_id, upload_id, position,
    }
    message::Model {
        id, conversation_id, sender_id, body, created_at, hidden_at,
    }
    review::Model {
        id, product_id, store_id, user_id, order_line_id, rating, body, images, photo_upload_ids, created_at, hidden_at,
    }
    comment::Model {
        id, post_id, author_id, parent_id, body, like_count, reply_count, created_at, deleted_at, hidden_at,
    }
    assistant_message::Model {
        id, conversation_id, role, content, status, mode, sources, confidence, relevance, fallback_reason, offer_inquiry, created_at, completed_at,
    }
    product_image::Model {
        id, product_id, url, upload_id, position,
    }
    upload::Model {
        id, owner_id, content_type, byte_size, storage_key, status, expires_at, width, height, thumbnail_key, webp_key, created_at,
    }
}
