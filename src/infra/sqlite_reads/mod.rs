//! Reads on SQLite in the calling task, without sqlx's thread hop.
//!
//! sqlx runs each SQLite connection on a worker thread. Every statement is
//! a command sent over a channel, and its rows come back over another. On a
//! product page that is dozens of context switches, and the scheduling and
//! futex waits cost more than SQLite itself.
//!
//! The hot reads (the DataLoaders, the catalogue's list) go here instead.
//! This is a small set of read-only rusqlite connections to the same file,
//! opened with `query_only` and each with its own statement cache. A
//! statement is run to completion in the calling task, as better-sqlite3
//! does in Node.js: microseconds for the keyed, indexed reads this serves.
//! In WAL mode readers never wait for the writer.
//!
//! The SQL is the statement sea-orm builds, with the same bound values, so
//! both paths run the same query. Rows are decoded into the same entity
//! models by [`SqliteModel`], which decodes each column as sqlx would (see
//! `decode.rs`). A test loads every row of the demo shop both ways and
//! compares them. Statements are counted in `db_statements_total` like
//! sea-orm's.
//!
//! An in-memory database (`sqlite::memory:`) cannot be shared between
//! connections. There, and on PostgreSQL, [`Reads`] goes through sea-orm.
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use prometheus::IntCounter;
use rusqlite::{Connection, OpenFlags};
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryTrait, Select,
    Statement,
};

mod decode;
mod models;
#[cfg(test)]
mod tests;

pub use decode::SqliteColumn;

/// How many read connections: one per runtime worker (a connection is
/// held only between two awaits, so no more than the workers can hold
/// one at once) and a spare, at least four.
fn connections() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() + 1)
        .max(4)
}
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

/// An entity model that can be read from a rusqlite row by column index.
pub trait SqliteModel: Sized {
    /// The model's columns, in field order.
    const COLUMNS: &'static [&'static str];
    /// `at[i]` is where `COLUMNS[i]` is in the row.
    fn from_sqlite(row: &rusqlite::Row<'_>, at: &[usize]) -> rusqlite::Result<Self>;
}

/// One read connection. `query_only`; a statement cache; and the query
/// planner stability guarantee (QPSG): without it SQLite looks at the
/// values bound to a `LIMIT ?` or, with `sqlite_stat4` samples, to an
/// indexed column when it plans, marks the statement as depending on them,
/// and plans it again every time a value is bound, which would make the
/// cache worthless.
fn read_connection(path: &str, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The read-only connections.
pub struct SqlitePool {
    connections: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    statements: IntCounter,
    errors: IntCounter,
}

impl SqlitePool {
    /// Opens the connections for `sqlite://path?…`; `None` for an in-memory
    /// database.
    pub fn open(
        database_url: &str,
        statements: IntCounter,
        errors: IntCounter,
    ) -> anyhow::Result<Option<Self>> {
        let path = database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or_default();
        if path.is_empty() || path == ":memory:" || database_url.contains("mode=memory") {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let count = connections();
        let mut connections = Vec::with_capacity(count);
        for _ in 0..count {
            let conn = read_connection(path, flags)
                .map_err(|e| anyhow::anyhow!("DATABASE_URL: cannot open {path} to read: {e}"))?;
            connections.push(Mutex::new(conn));
        }
        Ok(Some(Self {
            connections,
            next: AtomicUsize::new(0),
            statements,
            errors,
        }))
    }

    /// Runs `f` on a free connection (or waits for one: each is held for
    /// the length of one statement).
    fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.connections.len() {
            let slot = &self.connections[(start + i) % self.connections.len()];
            if let Ok(conn) = slot.try_lock() {
                return f(&conn);
            }
        }
        let conn = crate::sync::lock(&self.connections[start % self.connections.len()]);
        f(&conn)
    }

    /// The rows of `statement` as models; `Ok(None)` when a bound value has
    /// a type this path does not bind (the caller then uses sea-orm).
    fn query<M: SqliteModel>(&self, statement: &Statement) -> Result<Option<Vec<M>>, DbErr> {
        let Some(values) = decode::bind_values(statement) else {
            return Ok(None);
        };
        self.statements.inc();
        let result = self.with_connection(|conn| -> rusqlite::Result<Vec<M>> {
            let mut prepared = conn.prepare_cached(&statement.sql)?;
            let at = M::COLUMNS
                .iter()
                .map(|name| prepared.column_index(name))
                .collect::<rusqlite::Result<Vec<usize>>>()?;
            let mut rows = prepared.query(rusqlite::params_from_iter(values.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(M::from_sqlite(row, &at)?);
            }
            Ok(out)
        });
        result.map(Some).map_err(|e| {
            self.errors.inc();
            DbErr::Custom(format!("sqlite read: {e}"))
        })
    }
}

/// Where reads go: the rusqlite pool on a SQLite file, sea-orm otherwise.
#[derive(Clone)]
pub struct Reads {
    db: DatabaseConnection,
    sqlite: Option<Arc<SqlitePool>>,
}

impl Reads {
    pub fn new(db: &DatabaseConnection, sqlite: Option<Arc<SqlitePool>>) -> Self {
        Self {
            db: db.clone(),
            sqlite: sqlite.filter(|_| db.get_database_backend() == DbBackend::Sqlite),
        }
    }

    /// Whether reads run in the task (a SQLite file) rather than through
    /// sea-orm.
    pub fn is_direct(&self) -> bool {
        self.sqlite.is_some()
    }

    /// The sea-orm connection, for everything else.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The models a select returns.
    pub async fn all<E>(&self, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: SqliteModel,
    {
        let statement = select.build(self.backend());
        self.statement(statement).await
    }

    /// The models a raw statement returns (`SELECT *` or the model's
    /// columns, in any order, and any extra columns).
    pub async fn statement<M>(&self, statement: Statement) -> Result<Vec<M>, DbErr>
    where
        M: SqliteModel + FromQueryResult,
    {
        if let Some(pool) = &self.sqlite
            && let Some(rows) = pool.query::<M>(&statement)?
        {
            return Ok(rows);
        }
        M::find_by_statement(statement).all(&self.db).await
    }
}
