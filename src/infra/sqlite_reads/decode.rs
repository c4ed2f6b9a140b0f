//! Values in and out of SQLite exactly as sea-orm's sqlx driver writes and
//! reads them.
use chrono::{
    DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, SecondsFormat, TimeZone, Utc,
};
use rusqlite::types::{FromSqlError, Value as SqlValue, ValueRef};
use sea_orm::{ActiveEnum, Statement, Value};

/// The bound values of a statement as rusqlite values, encoded as sqlx
/// encodes them; `None` if one has a type not handled here.
pub fn bind_values(statement: &Statement) -> Option<Vec<SqlValue>> {
    let Some(values) = &statement.values else {
        return Some(Vec::new());
    };
    values.0.iter().map(bind).collect()
}

fn bind(value: &Value) -> Option<SqlValue> {
    fn int(v: Option<i64>) -> SqlValue {
        v.map_or(SqlValue::Null, SqlValue::Integer)
    }
    Some(match value {
        Value::Bool(v) => int(v.map(i64::from)),
        Value::TinyInt(v) => int(v.map(i64::from)),
        Value::SmallInt(v) => int(v.map(i64::from)),
        Value::Int(v) => int(v.map(i64::from)),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(v.map(i64::from)),
        Value::SmallUnsigned(v) => int(v.map(i64::from)),
        Value::Unsigned(v) => int(v.map(i64::from)),
        Value::BigUnsigned(v) => int(v.and_then(|v| i64::try_from(v).ok())),
        Value::Float(v) => v.map_or(SqlValue::Null, |v| SqlValue::Real(f64::from(v))),
        Value::Double(v) => v.map_or(SqlValue::Null, SqlValue::Real),
        Value::String(v) => v.clone().map_or(SqlValue::Null, SqlValue::Text),
        Value::Char(v) => v.map_or(SqlValue::Null, |c| SqlValue::Text(c.to_string())),
        Value::Bytes(v) => v.clone().map_or(SqlValue::Null, SqlValue::Blob),
        Value::ChronoDateTimeUtc(v) => v.map_or(SqlValue::Null, |v| {
            SqlValue::Text(v.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        Value::ChronoDate(v) => v.map_or(SqlValue::Null, |v| {
            SqlValue::Text(v.format("%F").to_string())
        }),
        _ => return None,
    })
}

/// A model field's type, read from a column as sqlx reads it.
pub trait SqliteColumn: Sized {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError>;
}

impl<T: SqliteColumn> SqliteColumn for Option<T> {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::column(other).map(Some),
        }
    }
}

impl SqliteColumn for i64 {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        value.as_i64()
    }
}

macro_rules! narrow_int {
    ($($t:ty),+) => {$(
        impl SqliteColumn for $t {
            fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
                let wide = value.as_i64()?;
                <$t>::try_from(wide).map_err(|_| FromSqlError::OutOfRange(wide))
            }
        }
    )+};
}
narrow_int!(i32, i16);

impl SqliteColumn for bool {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        value.as_i64().map(|v| v != 0)
    }
}

impl SqliteColumn for f64 {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match value {
            ValueRef::Real(v) => Ok(v),
            ValueRef::Integer(v) => Ok(v as f64),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

impl SqliteColumn for String {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        value.as_str().map(str::to_owned)
    }
}

impl SqliteColumn for DateTime<Utc> {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        let parsed = match value {
            ValueRef::Text(_) => datetime_from_text(value.as_str()?),
            ValueRef::Integer(secs) => Utc.fix().timestamp_opt(secs, 0).single(),
            ValueRef::Real(days) => datetime_from_julian(days),
            _ => None,
        };
        parsed
            .map(|dt| dt.with_timezone(&Utc))
            .ok_or(FromSqlError::InvalidType)
    }
}

impl SqliteColumn for NaiveDate {
    fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        NaiveDate::parse_from_str(value.as_str()?, "%F").map_err(|e| FromSqlError::Other(e.into()))
    }
}

/// sqlx's text formats: RFC 3339 first, then SQLite's own.
fn datetime_from_text(text: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt);
    }
    const FORMATS: [&str; 12] = [
        "%F %T%.f",
        "%F %R",
        "%F %RZ",
        "%F %R%:z",
        "%F %T%.fZ",
        "%F %T%.f%:z",
        "%FT%R",
        "%FT%RZ",
        "%FT%R%:z",
        "%FT%T%.f",
        "%FT%T%.fZ",
        "%FT%T%.f%:z",
    ];
    FORMATS.iter().find_map(|format| {
        DateTime::parse_from_str(text, format).ok().or_else(|| {
            NaiveDateTime::parse_from_str(text, format)
                .ok()
                .map(|dt| Utc.fix().from_utc_datetime(&dt))
        })
    })
}

fn datetime_from_julian(days: f64) -> Option<DateTime<FixedOffset>> {
    let seconds = (days - 2_440_587.5) * 86_400.0;
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.trunc() as i64;
    let nanos = ((seconds - seconds.trunc()) * 1e9) as u32;
    Utc.fix().timestamp_opt(whole, nanos).single()
}

/// String-valued `ActiveEnum`s.
macro_rules! string_enums {
    ($($t:ty),+ $(,)?) => {$(
        impl SqliteColumn for $t {
            fn column(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
                let raw = value.as_str()?.to_owned();
                <$t as ActiveEnum>::try_from_value(&raw)
                    .map_err(|e| FromSqlError::Other(e.to_string().into()))
            }
        }
    )+};
}
use crate::entities::{assistant_message, design, product, short, store, upload, user};
string_enums!(
    user::Role,
    user::UserStatus,
    user::Gender,
    store::StoreStatus,
    product::ProductGender,
    product::Degree,
    product::ProductStatus,
    short::ShortSource,
    short::SentimentLabel,
    design::DesignVisibility,
    design::GenerationStatus,
    assistant_message::MessageRole,
    assistant_message::AnswerStatus,
    assistant_message::AnswerMode,
    upload::UploadStatus,
);
