//! On PostgreSQL, a notice on the channel [`SESSION_CHANGES`] whenever a
//! change is committed that can alter whom a session cookie signs in: a
//! session updated or deleted, a sign-in's name or email, a person added,
//! changed (email, team, active) or removed, a role given or taken.
//!
//! The server remembers the sessions it has looked up, so that a page does
//! not ask the database who is signed in on every request. It listens on
//! this channel and forgets them all on each notice, whoever made the
//! change: this server, another one on the same database, `server add-user`
//! or plain SQL. Triggers run once per statement, and PostgreSQL sends one
//! notice per transaction for the same channel and payload.
//!
//! SQLite has no notices; the server there looks every session up, which is
//! a read of a local file. Nothing is created on SQLite.
//!
//! Only triggers: the spec's tables keep exactly their columns.

use sea_orm_migration::prelude::*;

use crate::notices::{self, Trigger};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel the notices are sent on.
pub const SESSION_CHANGES: &str = "runway_session_changes";

/// The function the triggers run.
const FUNCTION: &str = "runway_notify_session_change";

/// Each trigger: its name, its table, and the changes it fires on. A new
/// session needs no notice (nobody has remembered it yet), its deletion or
/// new expiry does.
const TRIGGERS: [Trigger; 4] = [
    (
        "session_change_session",
        r#""session""#,
        "UPDATE OR DELETE OR TRUNCATE",
    ),
    (
        "session_change_user",
        r#""user""#,
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
    (
        "session_change_okr_user",
        "okr_user",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
    (
        "session_change_person_role",
        "person_role",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        notices::create(manager, FUNCTION, SESSION_CHANGES, &TRIGGERS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        notices::drop(manager, FUNCTION, &TRIGGERS).await
    }
}
