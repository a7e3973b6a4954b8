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

use crate::notices::{self, Trigger};

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
const TRIGGERS: [Trigger; 7] = [
    ("okr_change_quarter", "quarter", ALL),
    ("okr_change_team", "team", ALL),
    ("okr_change_okr_user", "okr_user", ALL),
    ("okr_change_objective", "objective", ALL),
    ("okr_change_key_result", "key_result", ALL),
    ("okr_change_check_in", "check_in", ALL),
    ("okr_change_key_result_trend", "key_result_trend", ALL),
];

/// Every change a trigger can fire on.
const ALL: &str = "INSERT OR UPDATE OR DELETE OR TRUNCATE";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        notices::create(manager, FUNCTION, OKR_CHANGES, &TRIGGERS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        notices::drop(manager, FUNCTION, &TRIGGERS).await
    }
}
