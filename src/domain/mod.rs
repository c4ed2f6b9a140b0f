//! Business rules, one module per domain. Functions take a connection (or
//! `&impl ConnectionTrait` inside a transaction) and plain inputs, return
//! entities or [`crate::error::AppError`], and publish domain events after commit.
pub mod accounts;
pub mod assistant;
pub mod billing;
pub mod color;
pub mod commerce;
pub mod community;
pub mod idempotency;
pub mod mail;
pub mod moderation;
pub mod partner_webhooks;
pub mod partners;
pub mod profile_photos;
pub mod realtime;
pub mod recommendations;
pub mod search;
pub mod search_index;
pub mod security;
pub mod seo;
pub mod shopping;
pub mod uploads;

use sea_orm::{ConnectionTrait, DbBackend, ExecResult, Statement, Value};

use crate::error::{AppError, AppResult};

/// Trims `raw` and checks its length in characters is within `min..=max`
/// and that it holds no control characters (newlines and tabs allowed when
/// `multiline`).
pub fn text(field: &str, raw: &str, min: usize, max: usize, multiline: bool) -> AppResult<String> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars < min || chars > max {
        let message = if min == 0 {
            format!("`{field}` must be at most {max} characters")
        } else {
            format!("`{field}` must be {min} to {max} characters")
        };
        return Err(AppError::validation(field, message));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(AppError::validation(
            field,
            format!("`{field}` contains control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// An absolute `http(s)` URL of at most 2048 characters.
pub fn url(field: &str, raw: &str) -> AppResult<String> {
    let value = raw.trim();
    let ok = value.len() <= 2048
        && url::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok {
        return Err(AppError::validation(
            field,
            format!("`{field}` must be an http(s) URL"),
        ));
    }
    Ok(value.to_owned())
}

/// A URL the server will send requests to (partner webhooks, Web Push
/// endpoints), for the input `field`: `https` with a host name or public
/// address, or, outside production, `http` to this machine (local receivers
/// in development and tests). No credentials, no fragment; in production no
/// loopback or private address (server-side request forgery).
pub fn outbound_url(config: &crate::config::Config, field: &str, raw: &str) -> AppResult<String> {
    let bad = |why: &str| AppError::validation(field, format!("`{field}` {why}"));
    let value = raw.trim();
    if value.is_empty() || value.len() > 2048 {
        return Err(bad("must be an absolute URL of at most 2048 characters"));
    }
    let parsed = url::Url::parse(value).map_err(|_| bad("is not a valid URL"))?;
    let host = parsed.host().ok_or_else(|| bad("has no host"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("must not have a #fragment"));
    }
    let loopback = match &host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback && !config.is_production() => {}
        "http" if loopback => return Err(bad("must use https in production")),
        "http" => {
            return Err(bad(
                "must use https (plain http is allowed only to this machine, outside production)",
            ));
        }
        _ => return Err(bad("must be an https URL")),
    }
    // In production, no deliveries to this machine or private networks
    // named by address (server-side request forgery); names are the
    // operator's to firewall.
    if config.is_production() {
        let private = match host {
            url::Host::Domain(_) => loopback,
            url::Host::Ipv4(ip) => {
                ip.is_loopback()
                    || ip.is_private()
                    || ip.is_link_local()
                    || ip.is_unspecified()
                    || ip.is_broadcast()
            }
            url::Host::Ipv6(ip) => {
                ip.is_loopback()
                    || ip.is_unspecified()
                    || ip.is_unique_local()
                    || ip.is_unicast_link_local()
            }
        };
        if private {
            return Err(bad("must not point to a private or loopback address"));
        }
    }
    Ok(parsed.to_string())
}

fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `LIKE` pattern matching `raw` anywhere, wildcards in `raw` taken literally.
pub fn like_contains(raw: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(format!("%{}%", escape_like(raw))).escape('\\')
}

/// `LIKE` pattern matching values that start with `raw`.
pub fn like_prefix(raw: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(format!("{}%", escape_like(raw))).escape('\\')
}

/// Executes one SQL statement written with `?` placeholders on either backend
/// (PostgreSQL gets `$1, $2, …`). For counter updates that must read and write
/// a row in one statement, which the query builder does not express well.
pub async fn execute_sql(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<ExecResult> {
    let backend = db.get_database_backend();
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, sql),
            values,
        ))
        .await?)
}

/// Rewrites `?` placeholders for `backend`.
pub fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(text("name", "  Coat  ", 1, 10, false).unwrap(), "Coat");
        assert!(text("name", "", 1, 10, false).is_err());
        assert!(text("name", "x".repeat(11).as_str(), 1, 10, false).is_err());
        assert!(text("name", "a\nb", 1, 10, false).is_err());
        assert_eq!(text("body", "a\nb", 1, 10, true).unwrap(), "a\nb");
        assert_eq!(text("body", "가나다", 1, 3, false).unwrap(), "가나다");
    }

    #[test]
    fn urls() {
        assert!(url("u", "https://cdn.example.com/a.mp4").is_ok());
        assert!(url("u", "javascript:alert(1)").is_err());
        assert!(url("u", "ftp://x/y").is_err());
        assert!(url("u", "not a url").is_err());
    }

    #[test]
    fn postgres_placeholders() {
        assert_eq!(
            placeholders(DbBackend::Postgres, "a = ? AND b = ?"),
            "a = $1 AND b = $2"
        );
        assert_eq!(placeholders(DbBackend::Sqlite, "a = ?"), "a = ?");
    }
}
