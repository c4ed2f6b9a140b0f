//! Colour intelligence (COMM-3) in the schema: the `ColorTheme` mood and
//! search by colour.
use async_graphql::{
    Context, Enum, Object, Result,
    connection::{Connection, EmptyFields},
};

use super::{
    commerce::types::Product,
    community::Design,
    context::{state, viewer_user},
    relay::{PageArgs, connection},
};
use crate::{
    domain::{
        color::{Theme, parse_color, store::rank_key},
        commerce::colors as catalog_colors,
        community::designs,
    },
    error::AppError,
};

/// The mood of an image's colours, from the share-weighted mean of its
/// palette: MONOCHROME (saturation < 20%), PASTEL (lightness > 80%), EARTH
/// (hue 60–120° and saturation < 50%), NEUTRAL (saturation < 40%), COOL (hue
/// 180–300°), else WARM; checked in that order.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ColorTheme {
    Warm,
    Cool,
    Pastel,
    Earth,
    Neutral,
    Monochrome,
}

impl From<Theme> for ColorTheme {
    fn from(theme: Theme) -> Self {
        match theme {
            Theme::Warm => Self::Warm,
            Theme::Cool => Self::Cool,
            Theme::Pastel => Self::Pastel,
            Theme::Earth => Self::Earth,
            Theme::Neutral => Self::Neutral,
            Theme::Monochrome => Self::Monochrome,
        }
    }
}

impl From<ColorTheme> for Theme {
    fn from(theme: ColorTheme) -> Self {
        match theme {
            ColorTheme::Warm => Self::Warm,
            ColorTheme::Cool => Self::Cool,
            ColorTheme::Pastel => Self::Pastel,
            ColorTheme::Earth => Self::Earth,
            ColorTheme::Neutral => Self::Neutral,
            ColorTheme::Monochrome => Self::Monochrome,
        }
    }
}

impl ColorTheme {
    /// The theme stored on a design or product, if analysed.
    pub fn of(stored: Option<&str>) -> Option<Self> {
        stored.and_then(Theme::parse).map(Into::into)
    }
}

/// `color` as RGB, or a VALIDATION error naming what is accepted.
pub fn wanted_color(color: &str) -> Result<[u8; 3], AppError> {
    parse_color(color).ok_or_else(|| {
        AppError::validation(
            "color",
            format!("`{color}` is not a colour: send #rrggbb, #rgb or a colour name"),
        )
    })
}

#[derive(Default)]
pub struct ColorQuery;

#[Object]
impl ColorQuery {
    /// Designs with a colour near `color` (`#rrggbb`, `#rgb` or a name such
    /// as `navy`, `beige`, `베이지`) in their palette, nearest first, by the
    /// weighted HSL distance of COMM-3; PUBLIC ones plus the caller's own.
    async fn designs_by_color(
        &self,
        ctx: &Context<'_>,
        color: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Design>> {
        let page = PageArgs::new(first, after)?;
        let wanted = wanted_color(&color)?;
        let reader = viewer_user(ctx).await?;
        let rows = designs::by_color(
            &state(ctx).db,
            wanted,
            reader.as_ref(),
            &*super::blocks::hidden(ctx).await?,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |(_, m)| rank_key(m),
            |(d, _)| Design(d),
        ))
    }

    /// ACTIVE products whose first image has a colour near `color` (as for
    /// `designsByColor`), nearest first. Only images stored by this server
    /// are analysed.
    async fn products_by_color(
        &self,
        ctx: &Context<'_>,
        color: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Product>> {
        let page = PageArgs::new(first, after)?;
        let wanted = wanted_color(&color)?;
        let rows = catalog_colors::by_color(
            &state(ctx).db,
            wanted,
            page.after_key()?,
            page.fetch_limit(),
        )
        .await?;
        Ok(connection(
            &page,
            rows,
            EmptyFields,
            |(_, m)| rank_key(m),
            |(p, _)| Product(p),
        ))
    }
}
