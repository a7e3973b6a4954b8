//! RunwayOKR's seven tables and the spec's eight performance indexes.
//!
//! Foreign keys cascade only where the spec says so (a key result goes with
//! its objective, a check-in with its key result); everywhere else they are
//! NO ACTION, so a team that still has people cannot be deleted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::columns::{money, timestamp_now, uuid_pk};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A foreign key named `<from>_<column>_<to>_id_fk`, as Drizzle names them.
fn references(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: impl IntoIden,
    to_id: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to, to_id)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

fn one_of(column: impl IntoIden, allowed: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(allowed.iter().copied())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too, so a process killed half-way leaves nothing behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for table in tables(backend) {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so no foreign key blocks a drop.
        for table in [
            ImportRecord::Table.into_iden(),
            CheckIn::Table.into_iden(),
            KeyResult::Table.into_iden(),
            Objective::Table.into_iden(),
            Quarter::Table.into_iden(),
            OkrUser::Table.into_iden(),
            Team::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn tables(backend: DatabaseBackend) -> Vec<TableCreateStatement> {
    let no_action = ForeignKeyAction::NoAction;
    let cascade = ForeignKeyAction::Cascade;
    vec![
        Table::create()
            .table(Team::Table)
            .col(uuid_pk(backend, Team::Id))
            .col(ColumnDef::new(Team::Name).string_len(120).not_null())
            .col(ColumnDef::new(Team::OrganizationId).uuid().null())
            .col(
                ColumnDef::new(Team::Archived)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(timestamp_now(backend, Team::CreatedAt))
            .col(timestamp_now(backend, Team::UpdatedAt))
            .to_owned(),
        Table::create()
            .table(OkrUser::Table)
            .col(uuid_pk(backend, OkrUser::Id))
            .col(
                ColumnDef::new(OkrUser::Email)
                    .string_len(255)
                    .not_null()
                    .unique_key(),
            )
            .col(ColumnDef::new(OkrUser::Name).string_len(120).not_null())
            .col(ColumnDef::new(OkrUser::TeamId).uuid().not_null())
            .col(ColumnDef::new(OkrUser::OrganizationId).uuid().null())
            .col(
                ColumnDef::new(OkrUser::Active)
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(timestamp_now(backend, OkrUser::CreatedAt))
            .col(timestamp_now(backend, OkrUser::UpdatedAt))
            .foreign_key(&mut references(
                "okr_user_team_id_team_id_fk",
                (OkrUser::Table, OkrUser::TeamId),
                Team::Table,
                Team::Id,
                no_action,
            ))
            .to_owned(),
        Table::create()
            .table(Quarter::Table)
            .col(uuid_pk(backend, Quarter::Id))
            .col(ColumnDef::new(Quarter::Label).string_len(50).not_null())
            .col(ColumnDef::new(Quarter::StartAt).date().not_null())
            .col(ColumnDef::new(Quarter::EndAt).date().not_null())
            .col(ColumnDef::new(Quarter::OrganizationId).uuid().null())
            .col(
                ColumnDef::new(Quarter::Archived)
                    .boolean()
                    .not_null()
                    .default(false),
            )
            .col(ColumnDef::new(Quarter::Notes).text().null())
            .col(timestamp_now(backend, Quarter::CreatedAt))
            .col(timestamp_now(backend, Quarter::UpdatedAt))
            .to_owned(),
        Table::create()
            .table(Objective::Table)
            .col(uuid_pk(backend, Objective::Id))
            .col(ColumnDef::new(Objective::Title).string_len(255).not_null())
            .col(ColumnDef::new(Objective::TeamId).uuid().not_null())
            .col(ColumnDef::new(Objective::QuarterId).uuid().not_null())
            .col(ColumnDef::new(Objective::OwnerId).uuid().not_null())
            .col(ColumnDef::new(Objective::OrganizationId).uuid().null())
            .col(timestamp_now(backend, Objective::CreatedAt))
            .col(timestamp_now(backend, Objective::UpdatedAt))
            .foreign_key(&mut references(
                "objective_team_id_team_id_fk",
                (Objective::Table, Objective::TeamId),
                Team::Table,
                Team::Id,
                no_action,
            ))
            .foreign_key(&mut references(
                "objective_quarter_id_quarter_id_fk",
                (Objective::Table, Objective::QuarterId),
                Quarter::Table,
                Quarter::Id,
                no_action,
            ))
            .foreign_key(&mut references(
                "objective_owner_id_okr_user_id_fk",
                (Objective::Table, Objective::OwnerId),
                OkrUser::Table,
                OkrUser::Id,
                no_action,
            ))
            .to_owned(),
        Table::create()
            .table(KeyResult::Table)
            // Progress is (current − start) / (target − start): a key result
            // whose start is its target could never show any.
            .check(Expr::col(KeyResult::StartValue).ne(Expr::col(KeyResult::TargetValue)))
            .col(uuid_pk(backend, KeyResult::Id))
            .col(ColumnDef::new(KeyResult::Title).string_len(500).not_null())
            .col(ColumnDef::new(KeyResult::ObjectiveId).uuid().not_null())
            .col(ColumnDef::new(KeyResult::OwnerId).uuid().not_null())
            .col(
                ColumnDef::new(KeyResult::Unit)
                    .string_len(5)
                    .not_null()
                    .check(one_of(KeyResult::Unit, &["%", "pp", "$", "#"])),
            )
            .col(
                ColumnDef::new(KeyResult::Direction)
                    .string_len(5)
                    .not_null()
                    .check(one_of(KeyResult::Direction, &["up", "down"])),
            )
            .col(money(backend, KeyResult::StartValue))
            .col(money(backend, KeyResult::TargetValue))
            .col(money(backend, KeyResult::CurrentValue))
            .col(timestamp_now(backend, KeyResult::CreatedAt))
            .col(timestamp_now(backend, KeyResult::UpdatedAt))
            .foreign_key(&mut references(
                "key_result_objective_id_objective_id_fk",
                (KeyResult::Table, KeyResult::ObjectiveId),
                Objective::Table,
                Objective::Id,
                cascade,
            ))
            .foreign_key(&mut references(
                "key_result_owner_id_okr_user_id_fk",
                (KeyResult::Table, KeyResult::OwnerId),
                OkrUser::Table,
                OkrUser::Id,
                no_action,
            ))
            .to_owned(),
        Table::create()
            .table(CheckIn::Table)
            .col(uuid_pk(backend, CheckIn::Id))
            .col(ColumnDef::new(CheckIn::KrId).uuid().not_null())
            .col(money(backend, CheckIn::Value))
            .col(
                ColumnDef::new(CheckIn::Confidence)
                    .integer()
                    .not_null()
                    .check(Expr::col(CheckIn::Confidence).between(0, 2)),
            )
            .col(ColumnDef::new(CheckIn::Note).string_len(500).null())
            .col(ColumnDef::new(CheckIn::CreatedBy).uuid().not_null())
            .col(timestamp_now(backend, CheckIn::CreatedAt))
            .foreign_key(&mut references(
                "check_in_kr_id_key_result_id_fk",
                (CheckIn::Table, CheckIn::KrId),
                KeyResult::Table,
                KeyResult::Id,
                cascade,
            ))
            .foreign_key(&mut references(
                "check_in_created_by_okr_user_id_fk",
                (CheckIn::Table, CheckIn::CreatedBy),
                OkrUser::Table,
                OkrUser::Id,
                no_action,
            ))
            .to_owned(),
        Table::create()
            .table(ImportRecord::Table)
            .col(uuid_pk(backend, ImportRecord::Id))
            .col(
                ColumnDef::new(ImportRecord::Filename)
                    .string_len(255)
                    .not_null(),
            )
            .col(ColumnDef::new(ImportRecord::RowCount).integer().not_null())
            .col(ColumnDef::new(ImportRecord::CreatedBy).uuid().not_null())
            .col(timestamp_now(backend, ImportRecord::CreatedAt))
            .col(ColumnDef::new(ImportRecord::Metadata).json_binary().null())
            .foreign_key(&mut references(
                "import_record_created_by_okr_user_id_fk",
                (ImportRecord::Table, ImportRecord::CreatedBy),
                OkrUser::Table,
                OkrUser::Id,
                no_action,
            ))
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    fn index(name: &str, table: impl IntoIden, column: impl IntoIden) -> IndexCreateStatement {
        Index::create()
            .name(name)
            .table(table)
            .col(column)
            .to_owned()
    }
    vec![
        index("team_org_idx", Team::Table, Team::OrganizationId),
        index("user_team_idx", OkrUser::Table, OkrUser::TeamId),
        index("obj_quarter_idx", Objective::Table, Objective::QuarterId),
        index("obj_team_idx", Objective::Table, Objective::TeamId),
        index("kr_obj_idx", KeyResult::Table, KeyResult::ObjectiveId),
        index("kr_owner_idx", KeyResult::Table, KeyResult::OwnerId),
        index("checkin_kr_idx", CheckIn::Table, CheckIn::KrId),
        index("checkin_created_idx", CheckIn::Table, CheckIn::CreatedAt),
    ]
}

#[derive(DeriveIden)]
enum Team {
    Table,
    Id,
    Name,
    OrganizationId,
    Archived,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OkrUser {
    Table,
    Id,
    Email,
    Name,
    TeamId,
    OrganizationId,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Quarter {
    Table,
    Id,
    Label,
    StartAt,
    EndAt,
    OrganizationId,
    Archived,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Objective {
    Table,
    Id,
    Title,
    TeamId,
    QuarterId,
    OwnerId,
    OrganizationId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum KeyResult {
    Table,
    Id,
    Title,
    ObjectiveId,
    OwnerId,
    Unit,
    Direction,
    StartValue,
    TargetValue,
    CurrentValue,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CheckIn {
    Table,
    Id,
    KrId,
    Value,
    Confidence,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ImportRecord {
    Table,
    Id,
    Filename,
    RowCount,
    CreatedBy,
    CreatedAt,
    Metadata,
}
