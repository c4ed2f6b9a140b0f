//! Platform statistics for admins (COM-11): daily sign-ups, orders and
//! revenue, top products and active users over a date range (UTC days,
//! both ends included). Grouped in SQL, so the cost does not grow with rows
//! returned to the server.
use chrono::{Duration as ChronoDuration, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::{
    domain::placeholders,
    error::{AppError, AppResult},
};

pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DailyFigures {
    pub day: NaiveDate,
    pub sign_ups: i64,
    pub orders: i64,
    /// KRW of lines not cancelled.
    pub revenue: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopProduct {
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub revenue: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<DailyFigures>,
    pub top_products: Vec<TopProduct>,
    /// Distinct users who used a session or placed an order in the range.
    pub active_users: i64,
    pub total_sign_ups: i64,
    pub total_orders: i64,
    pub total_revenue: i64,
}

fn day_expr(backend: DbBackend, col: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        _ => format!("substr({col}, 1, 10)"),
    }
}

async fn rows(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<Vec<sea_orm::QueryResult>> {
    let backend = db.get_database_backend();
    Ok(db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, sql),
            values,
        ))
        .await?)
}

pub async fn platform_stats(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<PlatformStats> {
    if to < from {
        return Err(AppError::validation("to", "`to` is before `from`"));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(AppError::validation(
            "to",
            format!("the range may span at most {MAX_RANGE_DAYS} days"),
        ));
    }
    let start = Utc.from_utc_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default());
    let end = Utc.from_utc_datetime(
        &(to + ChronoDuration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    );
    let backend = db.get_database_backend();
    let range = || vec![Value::from(start), Value::from(end)];

    let mut days: Vec<DailyFigures> = (0..=(to - from).num_days())
        .map(|i| DailyFigures {
            day: from + ChronoDuration::days(i),
            ..Default::default()
        })
        .collect();
    let slot = |days: &mut Vec<DailyFigures>, raw: &str| -> Option<usize> {
        let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
        let index = (day - from).num_days();
        (index >= 0 && (index as usize) < days.len()).then_some(index as usize)
    };

    let sign_ups = rows(
        db,
        &format!(
            "SELECT {d} AS day, COUNT(*) AS n FROM users WHERE created_at >= ? AND created_at < ? GROUP BY {d}",
            d = day_expr(backend, "created_at")
        ),
        range(),
    )
    .await?;
    for row in sign_ups {
        let day: String = row.try_get("", "day")?;
        if let Some(i) = slot(&mut days, &day) {
            days[i].sign_ups = row.try_get("", "n")?;
        }
    }

    let orders = rows(
        db,
        &format!(
            "SELECT {d} AS day, COUNT(DISTINCT o.id) AS n, \
             CAST(COALESCE(SUM(CASE WHEN l.status IN ('PAID', 'SHIPPED', 'DELIVERED') THEN l.line_total ELSE 0 END), 0) AS BIGINT) AS revenue \
             FROM orders o JOIN order_lines l ON l.order_id = o.id \
             WHERE o.created_at >= ? AND o.created_at < ? GROUP BY {d}",
            d = day_expr(backend, "o.created_at")
        ),
        range(),
    )
    .await?;
    for row in orders {
        let day: String = row.try_get("", "day")?;
        if let Some(i) = slot(&mut days, &day) {
            days[i].orders = row.try_get("", "n")?;
            days[i].revenue = row.try_get("", "revenue")?;
        }
    }

    let top = rows(
        db,
        "SELECT l.product_id AS product_id, MAX(l.product_name) AS name, CAST(SUM(l.quantity) AS BIGINT) AS quantity, \
         CAST(SUM(l.line_total) AS BIGINT) AS revenue \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.created_at >= ? AND o.created_at < ? AND l.status IN ('PAID', 'SHIPPED', 'DELIVERED') \
         GROUP BY l.product_id ORDER BY quantity DESC, product_id ASC LIMIT 10",
        range(),
    )
    .await?;
    let top_products = top
        .into_iter()
        .map(|row| {
            Ok(TopProduct {
                product_id: row.try_get("", "product_id")?,
                name: row.try_get("", "name")?,
                quantity: row.try_get("", "quantity")?,
                revenue: row.try_get("", "revenue")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;

    let active = rows(
        db,
        "SELECT COUNT(DISTINCT user_id) AS n FROM (\
           SELECT user_id FROM sessions WHERE last_seen_at >= ? AND last_seen_at < ? \
           UNION SELECT buyer_id AS user_id FROM orders WHERE created_at >= ? AND created_at < ?) AS active",
        vec![start.into(), end.into(), start.into(), end.into()],
    )
    .await?;
    let active_users = match active.first() {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };

    Ok(PlatformStats {
        from,
        to,
        total_sign_ups: days.iter().map(|d| d.sign_ups).sum(),
        total_orders: days.iter().map(|d| d.orders).sum(),
        total_revenue: days.iter().map(|d| d.revenue).sum(),
        days,
        top_products,
        active_users,
    })
}
