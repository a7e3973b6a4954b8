//! The connection pool, configured from the environment.
//!
//! | variable | default |
//! |---|---|
//! | `DATABASE_URL` | `sqlite://runway.db?mode=rwc` (embedded SQLite) |
//! | `DB_MAX_CONNECTIONS` | 10 (SQLite: 5) |
//! | `DB_MIN_CONNECTIONS` | 0 |
//! | `DB_ACQUIRE_TIMEOUT_MS` | 1000 (also bounds opening a new connection) |
//! | `DB_STATEMENT_TIMEOUT_MS` | 5000 (PostgreSQL `statement_timeout`) |
//! | `DB_LOCK_TIMEOUT_MS` | 2000 (PostgreSQL `lock_timeout`) |
//! | `DB_IDLE_TIMEOUT_SECS` | 300 |
//! | `DB_PING_AFTER_IDLE_MS` | 1000 (0: before every use) |
//! | `DB_SQLITE_BUSY_TIMEOUT_MS` | 5000 |
//! | `DB_LOG_STATEMENTS` | false |
//! | `DB_REMEMBER_READS` | true (PostgreSQL only; see `remembered`) |

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

#[derive(Debug, Clone, PartialEq)]
pub struct DbConfig {
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    /// PostgreSQL: the longest a statement may run, and wait for a lock.
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    pub acquire_timeout: Duration,
    pub idle_timeout: Duration,
    /// A pooled connection idle this long is pinged before it is handed
    /// out; one in steady use is not.
    pub ping_after_idle: Duration,
    pub sqlite_busy_timeout: Duration,
    pub log_statements: bool,
    /// PostgreSQL: remember sessions and dashboards between requests,
    /// forgotten on the database's change notices
    /// ([`super::remembered`]). Off for a server that reaches PostgreSQL
    /// through a pooler in transaction mode, which does not pass notices on.
    pub remember_reads: bool,
}

/// A variable that is set but not understood.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {value:?} is not valid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

pub fn var<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse().map_err(|error: T::Err| ConfigError {
                name,
                value,
                reason: error.to_string(),
            })
        }
        _ => Ok(default),
    }
}

impl DbConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::for_url(migration::database_url_from_env())
    }

    /// The pool settings of the environment, for a given database.
    pub fn for_url(url: String) -> Result<Self, ConfigError> {
        let is_sqlite = url.starts_with("sqlite:");
        Ok(DbConfig {
            max_connections: var("DB_MAX_CONNECTIONS", if is_sqlite { 5 } else { 10 })?,
            min_connections: var("DB_MIN_CONNECTIONS", 0)?,
            statement_timeout: Duration::from_millis(var("DB_STATEMENT_TIMEOUT_MS", 5000)?),
            lock_timeout: Duration::from_millis(var("DB_LOCK_TIMEOUT_MS", 2000)?),
            acquire_timeout: Duration::from_millis(var("DB_ACQUIRE_TIMEOUT_MS", 1000)?),
            idle_timeout: Duration::from_secs(var("DB_IDLE_TIMEOUT_SECS", 300)?),
            ping_after_idle: Duration::from_millis(var("DB_PING_AFTER_IDLE_MS", 1000)?),
            sqlite_busy_timeout: Duration::from_millis(var("DB_SQLITE_BUSY_TIMEOUT_MS", 5000)?),
            log_statements: var("DB_LOG_STATEMENTS", false)?,
            remember_reads: var("DB_REMEMBER_READS", true)?,
            url,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

/// Opens the pool lazily: the server starts, and answers health checks with
/// 503, even while the database is down, and recovers when it comes back.
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        // sqlx opens connections inside the acquire wait, so the acquire
        // timeout bounds connecting too.
        .connect_timeout(config.acquire_timeout)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(config.idle_timeout)
        // A connection that sat idle may have been closed under it (a
        // restarted database, a proxy's idle limit): it is pinged first, and
        // replaced if dead. Pinging every checkout instead doubled the round
        // trips of a busy page (each statement checks one out).
        .test_before_acquire_if_idle_for(config.ping_after_idle)
        .sqlx_logging(config.log_statements)
        .connect_lazy(true);
    if config.is_sqlite() {
        let busy_timeout = config.sqlite_busy_timeout;
        options.map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                .foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(busy_timeout)
        });
    }
    if !config.is_sqlite() {
        POSTGRES_WRITERS
            .get_or_init(|| tokio::sync::Semaphore::new(postgres_writers(config.max_connections)));
        // Every connection of the pool: a stuck query or lock gives up and
        // frees its connection instead of holding it for ever.
        let statement_timeout = config.statement_timeout.as_millis().to_string();
        let lock_timeout = config.lock_timeout.as_millis().to_string();
        options.map_sqlx_postgres_opts(move |postgres| {
            postgres.options([
                ("statement_timeout", statement_timeout.as_str()),
                ("lock_timeout", lock_timeout.as_str()),
            ])
        });
    }
    Database::connect(options).await
}

/// Writes take a turn before opening their transaction, so that a burst of
/// writers waits in order here, bounded only by the request timeout, instead
/// of piling onto the pool and timing out on it (503).
///
/// - SQLite has one writer at a time: one turn. Without it, each writer
///   would hold a pooled connection while waiting for the file lock.
/// - PostgreSQL locks rows, so writers run side by side, but at most half the
///   pool at once: the other half stays free for pages, sign-ins and the
///   session lookup every request makes, and a writer blocked on a row lock
///   never holds a connection another writer's turn is waiting for.
static SQLITE_WRITERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
static POSTGRES_WRITERS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();

/// How many PostgreSQL writers may hold a connection at once, for a pool of
/// `max_connections`.
pub fn postgres_writers(max_connections: u32) -> usize {
    (max_connections as usize / 2).max(1)
}

/// A write transaction's turn, held until it is dropped.
pub type WriteTurn = tokio::sync::SemaphorePermit<'static>;

pub async fn write_turn(db: &impl sea_orm::ConnectionTrait) -> WriteTurn {
    let writers = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => &SQLITE_WRITERS,
        // Set by `connect`; a pool opened otherwise gets the default size's.
        _ => POSTGRES_WRITERS.get_or_init(|| tokio::sync::Semaphore::new(postgres_writers(10))),
    };
    // The semaphores are never closed.
    writers.acquire().await.expect("the writers' turn")
}

#[cfg(test)]
mod tests {
    use super::postgres_writers;

    #[test]
    fn postgres_writers_leave_half_the_pool_to_readers() {
        assert_eq!(postgres_writers(10), 5);
        assert_eq!(postgres_writers(11), 5);
        assert_eq!(postgres_writers(2), 1);
        // A pool of one still lets one writer in.
        assert_eq!(postgres_writers(1), 1);
    }
}
