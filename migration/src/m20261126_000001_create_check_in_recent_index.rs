//! `checkin_kr_created_idx` on `check_in (kr_id, created_at, id)`: each key
//! result's check-ins in time order, so the dashboard's sparklines read only
//! the newest few of each key result instead of ranking its whole history.
//!
//! `id` is last because the sparklines break ties on the time by id: with
//! it, the index gives the rows in exactly the order asked for, and the top
//! rows of a key result are read straight from it with no sort, on SQLite
//! and on PostgreSQL, whose generic plan for a prepared statement cannot
//! tell how many rows a key result has and would otherwise sort them all.
//!
//! Only an index: the spec's tables keep exactly their columns, and its
//! `checkin_kr_idx` and `checkin_created_idx` stay.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index's name, as `down` drops it.
const INDEX: &str = "checkin_kr_created_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too, so a process killed half-way leaves nothing behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(CheckIn::Table)
                    .col(CheckIn::KrId)
                    .col(CheckIn::CreatedAt)
                    .col(CheckIn::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(CheckIn::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CheckIn {
    Table,
    Id,
    KrId,
    CreatedAt,
}
