//! `okr_version`: one row whose `version` goes up with every change to what
//! the dashboard shows (the tables of the OKR notices, and the alignment's),
//! in the writing transaction itself.
//!
//! A server that reads the database on every request (SQLite, or PostgreSQL
//! with `DB_REMEMBER_READS=false`) reads this number, and sends a dashboard
//! page it rendered again only when the number is the one it read before
//! rendering. Because the number is written by the same transaction as the
//! change, a reader that sees a number sees every change committed before
//! it: such a page is never behind the database, whoever wrote (this
//! server, another, an import, the CLI or plain SQL).
//!
//! - **PostgreSQL:** the row is updated once per writing transaction, at
//!   its commit: deferred constraint triggers on each row changed, of which
//!   the first in a transaction updates it (a transaction-local setting
//!   remembers that it did). Taking the row's lock last, at commit, means
//!   writers queue on it only for the commit itself and can never deadlock
//!   on it. `TRUNCATE`, which constraint triggers cannot follow, has a
//!   statement trigger.
//! - **SQLite:** one writer at a time; a trigger for each insert, update and
//!   delete updates the row.
//!
//! A new table and triggers: the spec's tables keep exactly their columns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables the dashboard reads (those of the OKR notices, and the
/// alignment's).
pub const VERSIONED_TABLES: [&str; 9] = [
    "quarter",
    "team",
    "okr_user",
    "objective",
    "key_result",
    "check_in",
    "key_result_trend",
    "company_team",
    "objective_alignment",
];

/// PostgreSQL's function the triggers run.
const FUNCTION: &str = "runway_bump_okr_version";

/// The changes each table's triggers follow.
const CHANGES: [&str; 3] = ["insert", "update", "delete"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OkrVersion::Table)
                    .col(
                        ColumnDef::new(OkrVersion::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OkrVersion::Version)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(OkrVersion::Table)
                    .columns([OkrVersion::Id, OkrVersion::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         IF current_setting('runway.okr_version_bumped_in', true)
                            IS DISTINCT FROM txid_current()::text THEN
                             UPDATE okr_version SET version = version + 1 WHERE id = 1;
                             PERFORM set_config('runway.okr_version_bumped_in', txid_current()::text, true);
                         END IF;
                         RETURN NULL;
                     END $$"
                ))
                .await?;
                for table in VERSIONED_TABLES {
                    db.execute_unprepared(&format!(
                        "CREATE CONSTRAINT TRIGGER okr_version_{table}
                         AFTER INSERT OR UPDATE OR DELETE ON {table}
                         DEFERRABLE INITIALLY DEFERRED
                         FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
                    ))
                    .await?;
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER okr_version_{table}_truncate AFTER TRUNCATE ON {table}
                         FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                    ))
                    .await?;
                }
            }
            _ => {
                for table in VERSIONED_TABLES {
                    for change in CHANGES {
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER okr_version_{table}_{change} AFTER {change} ON {table}
                             BEGIN UPDATE okr_version SET version = version + 1 WHERE id = 1; END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for table in VERSIONED_TABLES {
            let triggers: Vec<String> = match backend {
                DatabaseBackend::Postgres => vec![
                    format!("okr_version_{table} ON {table}"),
                    format!("okr_version_{table}_truncate ON {table}"),
                ],
                _ => CHANGES
                    .iter()
                    .map(|change| format!("okr_version_{table}_{change}"))
                    .collect(),
            };
            for trigger in triggers {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}"))
                    .await?;
            }
        }
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}()"))
                .await?;
        }
        manager
            .drop_table(Table::drop().table(OkrVersion::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OkrVersion {
    Table,
    Id,
    Version,
}
