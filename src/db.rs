//! Database connection (SQLite or PostgreSQL by URL), statement counting for
//! `db_statements_total`, and migrations.
use std::{path::Path, time::Duration};

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};

use crate::{config::Config, telemetry::Metrics};

/// Opens the pool. Every SQL statement sea-orm executes on it is counted in
/// `metrics.db_statements` (that is how N+1 is measured from outside).
pub async fn connect(config: &Config, metrics: &Metrics) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url.expose();
    if config.is_sqlite() {
        ensure_sqlite_dir(url)?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await.map_err(|e| {
        anyhow::anyhow!(
            "DATABASE_URL: cannot connect to {}: {e}",
            config.database_url_redacted()
        )
    })?;
    let statements = metrics.db_statements.clone();
    let errors = metrics.db_statement_errors.clone();
    db.set_metric_callback(move |info| {
        statements.inc();
        if info.failed {
            errors.inc();
        }
    });
    Ok(db)
}

/// The read connections of `infra::sqlite_reads` on a SQLite file (after
/// migrations, so that the schema they see is complete); `None` on
/// PostgreSQL and for an in-memory database.
pub fn sqlite_reads(
    config: &Config,
    metrics: &Metrics,
) -> anyhow::Result<Option<std::sync::Arc<crate::infra::sqlite_reads::SqlitePool>>> {
    if !config.is_sqlite() {
        return Ok(None);
    }
    Ok(crate::infra::sqlite_reads::SqlitePool::open(
        config.database_url.expose(),
        metrics.db_statements.clone(),
        metrics.db_statement_errors.clone(),
    )?
    .map(std::sync::Arc::new))
}

/// `sqlite://data/vitrine.db?mode=rwc` needs `data/` to exist.
fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("DATABASE_URL: cannot create {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// SQLite keeps query-planner statistics only when asked: refresh the ones
/// that need it (at start-up with `0x10002`, at shutdown plainly), as the
/// SQLite documentation recommends. A no-op on PostgreSQL (autovacuum does it).
pub async fn optimize(db: &DatabaseConnection, at_startup: bool) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let pragma = if at_startup {
        "PRAGMA optimize=0x10002"
    } else {
        "PRAGMA optimize"
    };
    if let Err(e) = db.execute_unprepared(pragma).await {
        tracing::warn!(error = %e, "PRAGMA optimize failed");
    }
    if let Err(e) = drop_stat4_samples(db).await {
        tracing::warn!(error = %e, "cannot drop sqlite_stat4 samples");
    }
}

/// SQLite built with `SQLITE_ENABLE_STAT4` (the bundled one is) keeps
/// samples of indexed values beside `sqlite_stat1`, and a prepared statement
/// whose plan could depend on a bound value of a sampled column is planned
/// again every time that value changes: the statement cache then saves
/// nothing for `WHERE product_id = ?`. Our indexes are selective and the
/// per-index row estimates of `sqlite_stat1` choose the same plans, so the
/// samples are dropped after each ANALYZE. A throw-away table created and
/// dropped then bumps the schema cookie, so that every open connection (the
/// pool's and the read connections of `infra::sqlite_reads`) reloads the
/// schema and its statistics without the samples.
async fn drop_stat4_samples(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let present = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'",
        ))
        .await?
        .is_some();
    if present {
        db.execute_unprepared(
            "DELETE FROM sqlite_stat4; \
             CREATE TABLE IF NOT EXISTS vitrine_stat_reload (x INTEGER); \
             DROP TABLE vitrine_stat_reload",
        )
        .await?;
    }
    Ok(())
}

/// Applies pending migrations; returns how many ran.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    Migrator::up(db, None).await?;
    Ok(pending)
}

/// Readiness: the database answers and no migration is pending.
#[derive(Debug, serde::Serialize)]
pub struct DatabaseStatus {
    pub ok: bool,
    pub backend: &'static str,
    pub pending_migrations: Option<usize>,
    pub error: Option<String>,
}

pub async fn status(db: &DatabaseConnection) -> DatabaseStatus {
    let backend = match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    };
    let ping = db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT 1",
        ))
        .await;
    if let Err(e) = ping {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return DatabaseStatus {
            ok: false,
            backend,
            pending_migrations: None,
            error: Some("database unreachable".into()),
        };
    }
    match Migrator::get_pending_migrations(db).await {
        Ok(pending) => DatabaseStatus {
            ok: pending.is_empty(),
            backend,
            pending_migrations: Some(pending.len()),
            error: (!pending.is_empty()).then(|| "migrations pending".into()),
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read migrations");
            DatabaseStatus {
                ok: false,
                backend,
                pending_migrations: None,
                error: Some("cannot read migration state".into()),
            }
        }
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy
/// timeout instead of failing when a read transaction tries to upgrade; on
/// PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
