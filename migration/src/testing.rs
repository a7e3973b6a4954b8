//! Fresh, migrated databases for tests, on SQLite and PostgreSQL.
//!
//! Every `TestDb` is its own database: a temporary SQLite file, or a new
//! PostgreSQL database created on the server named by
//! `RUNWAY_TEST_POSTGRES_URL` and dropped again when the test ends, so tests
//! run in parallel and leave nothing behind.

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

use crate::Migrator;

pub const POSTGRES_URL_VAR: &str = "RUNWAY_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

/// The PostgreSQL server to test against, if any. Under `CI=true` a missing
/// variable is an error, so CI can never pass by skipping PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!(
                "{POSTGRES_URL_VAR} must be set when CI=true: PostgreSQL tests may not be skipped"
            )
        }
        _ => None,
    }
}

fn swap_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

impl TestDb {
    /// An empty database with no migrations applied.
    pub async fn empty(backend: Backend) -> Option<TestDb> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("runway_test_{tag}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let db = Database::connect(&url)
                    .await
                    .expect("open a temporary SQLite file");
                Some(TestDb {
                    db,
                    url,
                    backend,
                    cleanup: Cleanup::SqliteFile(path),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("runway_test_{tag}");
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|error| {
                    panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {error}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create a test database");
                admin.close().await.ok();
                let url = swap_database(&admin_url, &name);
                let db = Database::connect(&url)
                    .await
                    .expect("connect to the test database");
                Some(TestDb {
                    db,
                    url,
                    backend,
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                })
            }
        }
    }

    /// A database with every migration applied.
    pub async fn migrated(backend: Backend) -> Option<TestDb> {
        let test_db = TestDb::empty(backend).await?;
        Migrator::up(&test_db.db, None)
            .await
            .expect("apply migrations");
        Some(test_db)
    }

    /// A migrated database holding the demo seed.
    pub async fn seeded(backend: Backend) -> Option<TestDb> {
        let test_db = TestDb::empty(backend).await?;
        crate::seed::run(&test_db.db)
            .await
            .expect("seed the demo data");
        Some(test_db)
    }

    pub fn db_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool and removes the database. Call it at the end of a test;
    /// `Drop` does the same as a fallback when a test panics.
    pub async fn close(mut self) -> Result<(), DbErr> {
        let db = std::mem::take(&mut self.db);
        db.close().await?;
        if let Cleanup::PostgresDatabase { admin_url, name } = &self.cleanup {
            let admin = Database::connect(admin_url).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
            admin.close().await?;
            // Dropped already: leave nothing for `Drop` to do.
            self.cleanup = Cleanup::SqliteFile(std::path::PathBuf::new());
        }
        // A SQLite file is removed by `Drop`, right after this.
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                if !path.as_os_str().is_empty() {
                    for suffix in ["", "-wal", "-shm"] {
                        let mut file = path.clone().into_os_string();
                        file.push(suffix);
                        let _ = std::fs::remove_file(file);
                    }
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                // A panicking test never reached `close`: drop its database on a
                // thread of its own, since we may be inside a runtime here.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                    Ok::<(), std::io::Error>(())
                })
                .join();
            }
        }
    }
}

/// Runs one async test body against SQLite, or PostgreSQL when configured.
/// `backend_test!(name, |backend| async move { ... })` defines `name::sqlite`
/// and `name::postgres`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let body = $body;
                body($crate::testing::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::testing::postgres_admin_url().is_none() {
                    eprintln!(
                        "skipped: set {} to run on PostgreSQL",
                        $crate::testing::POSTGRES_URL_VAR
                    );
                    return;
                }
                let body = $body;
                body($crate::testing::Backend::Postgres).await;
            }
        }
    };
}
