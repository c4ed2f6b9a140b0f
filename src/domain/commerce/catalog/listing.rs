//! The catalogue's listing (COM-2): filters (including "in stock in size
//! M" over the variants), sorts, keyset cursors and the page query.
use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductSort {
    Newest,
    PriceAsc,
    PriceDesc,
    Popular,
    Rating,
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    pub category_id: Option<i64>,
    pub store_id: Option<i64>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub colors: Vec<String>,
    /// MALE or FEMALE also match UNISEX products.
    pub gender: Option<ProductGender>,
    pub season: Option<String>,
    pub search: Option<String>,
    /// A COMM-3 mood: products whose analysed theme it is.
    pub theme: Option<Theme>,
    /// `None`: ACTIVE only (the public catalogue).
    pub statuses: Option<Vec<ProductStatus>>,
    /// Products with a variant of this size (and colour, when given) in
    /// stock: "in stock in size M".
    pub in_stock_size: Option<String>,
    pub in_stock_color: Option<String>,
}

/// Position in a sorted listing: the sort key's value and the id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProductCursor {
    pub sort: ProductSort,
    pub value: f64,
    pub id: i64,
}

impl ProductSort {
    fn column(self) -> product::Column {
        match self {
            Self::Newest => product::Column::Id,
            Self::PriceAsc | Self::PriceDesc => product::Column::Price,
            Self::Popular => product::Column::Popularity,
            Self::Rating => product::Column::RatingAvg,
        }
    }

    fn ascending(self) -> bool {
        self == Self::PriceAsc
    }

    /// The cursor of `p` in this order.
    pub fn cursor(self, p: &product::Model) -> ProductCursor {
        let value = match self {
            Self::Newest => p.id as f64,
            Self::PriceAsc | Self::PriceDesc => p.price as f64,
            Self::Popular => p.popularity as f64,
            Self::Rating => p.rating_avg,
        };
        ProductCursor {
            sort: self,
            value,
            id: p.id,
        }
    }

    fn sql_value(self, value: f64) -> Value {
        match self {
            Self::Rating => value.into(),
            _ => (value as i64).into(),
        }
    }
}

fn filter_condition(filter: &ProductFilter, category_path: Option<&str>) -> AppResult<Condition> {
    let mut cond = Condition::all();
    cond = match &filter.statuses {
        None => cond.add(product::Column::Status.eq(ProductStatus::Active)),
        Some(statuses) => cond.add(product::Column::Status.is_in(statuses.iter().copied())),
    };
    if let Some(store) = filter.store_id {
        cond = cond.add(product::Column::StoreId.eq(store));
    }
    if let Some(theme) = filter.theme {
        cond = cond.add(product::Column::ColorTheme.eq(theme.as_str()));
    }
    if let Some(min) = filter.min_price {
        cond = cond.add(product::Column::Price.gte(min));
    }
    if let Some(max) = filter.max_price {
        cond = cond.add(product::Column::Price.lte(max));
    }
    if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
        && min > max
    {
        return Err(AppError::validation(
            "minPrice",
            "`minPrice` is above `maxPrice`",
        ));
    }
    if let Some(gender) = filter.gender {
        cond = match gender {
            ProductGender::Unisex => cond.add(product::Column::Gender.eq(gender)),
            _ => cond.add(product::Column::Gender.is_in([gender, ProductGender::Unisex])),
        };
    }
    if let Some(path) = category_path {
        // The subtree: every category whose path starts with this one's.
        let subtree = Query::select()
            .column(category::Column::Id)
            .from(category::Entity)
            .and_where(Expr::col(category::Column::Path).like(like_prefix(path)))
            .to_owned();
        cond = cond.add(product::Column::CategoryId.in_subquery(subtree));
    }
    if !filter.colors.is_empty() {
        let colors = canonical_colors(&filter.colors)?;
        let matching = Query::select()
            .column(color::Column::ProductId)
            .from(color::Entity)
            .and_where(color::Column::Color.is_in(colors))
            .to_owned();
        cond = cond.add(product::Column::Id.in_subquery(matching));
    }
    if filter.in_stock_size.is_some() || filter.in_stock_color.is_some() {
        cond = cond.add(product::Column::Id.in_subquery(in_stock_variants(filter)?));
    }
    if let Some(season_name) = &filter.season {
        let season_name = canonical_seasons(std::slice::from_ref(season_name))?.remove(0);
        let matching = Query::select()
            .column(season::Column::ProductId)
            .from(season::Entity)
            .and_where(season::Column::Season.eq(season_name))
            .to_owned();
        cond = cond.add(product::Column::Id.in_subquery(matching));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let search = text("search", search, 1, 100, false)?;
        cond = cond.add(
            Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                product::Column::Name,
            )))
            .like(like_contains(&search.to_lowercase())),
        );
    }
    Ok(cond)
}

/// The products with a variant of the filter's size and/or colour in stock.
fn in_stock_variants(filter: &ProductFilter) -> AppResult<sea_orm::sea_query::SelectStatement> {
    use crate::entities::product_variant as variant;
    let mut query = Query::select();
    query
        .column(variant::Column::ProductId)
        .from(variant::Entity)
        .and_where(variant::Column::Stock.gt(0));
    for (field, column, value) in [
        ("inStockSize", variant::Column::Size, &filter.in_stock_size),
        (
            "inStockColor",
            variant::Column::Color,
            &filter.in_stock_color,
        ),
    ] {
        if let Some(raw) = value {
            let value = text(field, raw, 1, 30, false)?;
            query.and_where(
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(column)))
                    .eq(value.to_lowercase()),
            );
        }
    }
    Ok(query.to_owned())
}

/// One page of products in `sort` order after `after`.
pub async fn list_products(
    reads: &crate::infra::sqlite_reads::Reads,
    filter: &ProductFilter,
    sort: ProductSort,
    after: Option<&ProductCursor>,
    limit: u64,
) -> AppResult<Vec<product::Model>> {
    let category_path = match filter.category_id {
        Some(id) => Some(require_category(reads.db(), id).await?.path),
        None => None,
    };
    let mut query =
        product::Entity::find().filter(filter_condition(filter, category_path.as_deref())?);
    if let Some(after) = after {
        if after.sort != sort {
            return Err(AppError::validation(
                "after",
                "`after` belongs to another sort order",
            ));
        }
        let col = sort.column();
        let value = sort.sql_value(after.value);
        let keyset = if sort.ascending() {
            Condition::any().add(col.gt(value.clone())).add(
                Condition::all()
                    .add(col.eq(value))
                    .add(product::Column::Id.gt(after.id)),
            )
        } else {
            Condition::any().add(col.lt(value.clone())).add(
                Condition::all()
                    .add(col.eq(value))
                    .add(product::Column::Id.lt(after.id)),
            )
        };
        query = query.filter(keyset);
    }
    query = if sort.ascending() {
        query
            .order_by_asc(sort.column())
            .order_by_asc(product::Column::Id)
    } else {
        query
            .order_by_desc(sort.column())
            .order_by_desc(product::Column::Id)
    };
    Ok(reads.all(query.limit(limit)).await?)
}
