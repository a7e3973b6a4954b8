//! Alignment: `company_team` marks the teams that stand for the company as
//! a whole (their objectives are company objectives, which only admins
//! plan), and `objective_alignment` says which objective, or which of its
//! key results, an objective supports. One row per aligned objective (its
//! primary key), so an objective supports at most one parent. The parent
//! objective is always set, with the key result when the parent is one of
//! its key results, so the tree is walked by one column.
//!
//! Deleting a parent deletes the row and keeps the child, unaligned; on
//! PostgreSQL both tables send the dashboard's change notice, as the
//! tables it already reads do. New tables: the spec's eleven keep exactly
//! their columns.

use sea_orm_migration::prelude::*;

use crate::columns::timestamp_now;
use crate::notices::{self, Trigger};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The dashboard's change notices for the new tables (the function is the
/// one `m20261127_000003_create_okr_change_notices` made).
const TRIGGERS: [Trigger; 2] = [
    (
        "okr_change_company_team",
        "company_team",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
    (
        "okr_change_objective_alignment",
        "objective_alignment",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(CompanyTeam::Table)
                    .col(
                        ColumnDef::new(CompanyTeam::TeamId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(timestamp_now(backend, CompanyTeam::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("company_team_team_id_team_id_fk")
                            .from(CompanyTeam::Table, CompanyTeam::TeamId)
                            .to(Team::Table, Team::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ObjectiveAlignment::Table)
                    .col(
                        ColumnDef::new(ObjectiveAlignment::ObjectiveId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ObjectiveAlignment::ParentObjectiveId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ObjectiveAlignment::ParentKeyResultId)
                            .uuid()
                            .null(),
                    )
                    .col(timestamp_now(backend, ObjectiveAlignment::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("objective_alignment_objective_id_objective_id_fk")
                            .from(ObjectiveAlignment::Table, ObjectiveAlignment::ObjectiveId)
                            .to(Objective::Table, Objective::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("objective_alignment_parent_objective_id_objective_id_fk")
                            .from(
                                ObjectiveAlignment::Table,
                                ObjectiveAlignment::ParentObjectiveId,
                            )
                            .to(Objective::Table, Objective::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("objective_alignment_parent_key_result_id_key_result_id_fk")
                            .from(
                                ObjectiveAlignment::Table,
                                ObjectiveAlignment::ParentKeyResultId,
                            )
                            .to(KeyResult::Table, KeyResult::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        // Finding an objective's supporters, and the rows a deleted parent
        // key result takes with it.
        manager
            .create_index(
                Index::create()
                    .name("objective_alignment_parent_objective_id_idx")
                    .table(ObjectiveAlignment::Table)
                    .col(ObjectiveAlignment::ParentObjectiveId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("objective_alignment_parent_key_result_id_idx")
                    .table(ObjectiveAlignment::Table)
                    .col(ObjectiveAlignment::ParentKeyResultId)
                    .to_owned(),
            )
            .await?;
        notices::add_triggers(manager, "runway_notify_okr_change", &TRIGGERS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        notices::drop_triggers(manager, &TRIGGERS).await?;
        manager
            .drop_table(Table::drop().table(ObjectiveAlignment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CompanyTeam::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CompanyTeam {
    Table,
    TeamId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ObjectiveAlignment {
    Table,
    ObjectiveId,
    ParentObjectiveId,
    ParentKeyResultId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Team {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Objective {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum KeyResult {
    Table,
    Id,
}
