//! On PostgreSQL, a notice on the channel [`OKR_CHANGES`] whenever a change
//! is committed to what the dashboard shows: a quarter, a team, a person's
//! name, an objective, a key result, a check-in or a key result's trend.
//!
//! The server remembers the dashboards it has read, so that a page does not
//! ask the database for the same quarter on every request. It listens on
//! this channel and forgets them all on each notice, whoever made the
//! change: this server, another one on the same database, an import, the
//! CLI or plain SQL. Triggers run once per statement, and PostgreSQL sends
//! one notice per transaction for the same channel and payload.
//!
//! SQLite has no notices; the server there reads every dashboard, which is
//! a read of a local file. Nothing is created on SQLite.
//!
//! Only triggers: the spec's tables keep exactly their columns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel the notices are sent on.
pub const OKR_CHANGES: &str = "runway_okr_changes";

/// The function the triggers run.
const FUNCTION: &str = "runway_notify_okr_change";

/// The tables the dashboard reads, each with its trigger. (`check_in` reaches
/// the dashboard through `key_result_trend`, whose own triggers keep it up
/// to date; its trigger here covers a check-in's change the trend does not
/// show.)
const TABLES: [(&str, &str); 7] = [
    ("okr_change_quarter", "quarter"),
    ("okr_change_team", "team"),
    ("okr_change_okr_user", "okr_user"),
    ("okr_change_objective", "objective"),
    ("okr_change_key_result", "key_result"),
    ("okr_change_check_in", "check_in"),
    ("okr_change_key_result_trend", "key_result_trend"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 PERFORM pg_notify('{OKR_CHANGES}', '');
                 RETURN NULL;
             END $$"
        ))
        .await?;
        for (trigger, table) in TABLES {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
                 ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (trigger, table) in TABLES {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger} ON {table}"))
                .await?;
        }
        db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}()"))
            .await
            .map(|_| ())
    }
}
