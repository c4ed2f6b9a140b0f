//! Colour search of the catalogue (COMM-3): ACTIVE products whose first
//! image has a colour near the one asked for.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    domain::color::store::{self as colors, ColorMatch, Subject},
    entities::product::{self, ProductStatus},
    error::AppResult,
};

/// ACTIVE products with a palette colour near `wanted`, nearest first;
/// `after` is the last one's [`colors::rank_key`].
pub async fn by_color(
    db: &DatabaseConnection,
    wanted: [u8; 3],
    after: Option<(i64, i64)>,
    limit: u64,
) -> AppResult<Vec<(product::Model, ColorMatch)>> {
    let matches = colors::matches(db, Subject::Product, wanted).await?;
    colors::page_of(matches, after, limit, |ids| async move {
        Ok(product::Entity::find()
            .filter(product::Column::Id.is_in(ids))
            .filter(product::Column::Status.eq(ProductStatus::Active))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect())
    })
    .await
}
