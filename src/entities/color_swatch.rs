//! `color_swatches`: one palette colour of a design's or product's image
//! (COMM-3), for colour search.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "color_swatches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `DESIGN` or `PRODUCT`.
    pub subject_type: String,
    pub subject_id: i64,
    /// 0 for the largest share.
    pub rank: i32,
    /// `#rrggbb`.
    pub hex: String,
    /// Degrees, [0, 360).
    pub hue: f64,
    /// Percent.
    pub saturation: f64,
    /// Percent.
    pub lightness: f64,
    /// Of the image's kept samples, (0, 1].
    pub share: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
