//! `okr_user_email_lower_idx` on `okr_user (LOWER(email))`: a signed-in
//! user's person, found by email whatever its case. Every page request
//! looks its session up and joins the person on `LOWER(email)`, which the
//! spec's unique index on `email` cannot serve: without this index the
//! lookup read the people table row by row, more of it the more people
//! there are.
//!
//! Only an index: the spec's tables keep exactly their columns.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index's name, as `down` drops it.
const INDEX: &str = "okr_user_email_lower_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too, so a process killed half-way leaves nothing behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    /// The same statement on both databases; sea-query cannot write an
    /// index on an expression for SQLite.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                r#"CREATE INDEX "{INDEX}" ON "okr_user" (LOWER("email"))"#
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(OkrUser::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OkrUser {
    Table,
}
