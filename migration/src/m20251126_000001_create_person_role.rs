//! Roles for sign-in: `person_role` holds what each person may change. A new
//! table, so the spec's eleven tables keep exactly their columns; a person
//! without a row is a member.

use sea_orm_migration::prelude::*;

use crate::columns::timestamp_now;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too, so a process killed half-way leaves nothing behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(PersonRole::Table)
                    .col(
                        ColumnDef::new(PersonRole::OkrUserId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PersonRole::Role)
                            .string_len(10)
                            .not_null()
                            .default("member")
                            .check(Expr::col(PersonRole::Role).is_in(["admin", "lead", "member"])),
                    )
                    .col(timestamp_now(backend, PersonRole::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("person_role_okr_user_id_okr_user_id_fk")
                            .from(PersonRole::Table, PersonRole::OkrUserId)
                            .to(OkrUser::Table, OkrUser::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonRole::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PersonRole {
    Table,
    OkrUserId,
    Role,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OkrUser {
    Table,
    Id,
}
