//! Better Auth's four tables, column for column as the starter pack has them
//! (camelCase names included), so the sign-in story can use them unchanged.

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
                    .table(User::Table)
                    .col(ColumnDef::new(User::Id).text().not_null().primary_key())
                    .col(ColumnDef::new(User::Name).text().not_null())
                    .col(ColumnDef::new(User::Email).text().not_null().unique_key())
                    .col(
                        ColumnDef::new(User::EmailVerified)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(User::Image).text().null())
                    .col(timestamp_now(backend, User::CreatedAt))
                    .col(timestamp_now(backend, User::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(ColumnDef::new(Session::Id).text().not_null().primary_key())
                    .col(ColumnDef::new(Session::ExpiresAt).timestamp().not_null())
                    .col(
                        ColumnDef::new(Session::Token)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp_now(backend, Session::CreatedAt))
                    .col(timestamp_now(backend, Session::UpdatedAt))
                    .col(ColumnDef::new(Session::IpAddress).text().null())
                    .col(ColumnDef::new(Session::UserAgent).text().null())
                    .col(ColumnDef::new(Session::UserId).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("session_userId_user_id_fk")
                            .from(Session::Table, Session::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(ColumnDef::new(Account::Id).text().not_null().primary_key())
                    .col(ColumnDef::new(Account::AccountId).text().not_null())
                    .col(ColumnDef::new(Account::ProviderId).text().not_null())
                    .col(ColumnDef::new(Account::UserId).text().not_null())
                    .col(ColumnDef::new(Account::AccessToken).text().null())
                    .col(ColumnDef::new(Account::RefreshToken).text().null())
                    .col(ColumnDef::new(Account::IdToken).text().null())
                    .col(
                        ColumnDef::new(Account::AccessTokenExpiresAt)
                            .timestamp()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Account::RefreshTokenExpiresAt)
                            .timestamp()
                            .null(),
                    )
                    .col(ColumnDef::new(Account::Scope).text().null())
                    .col(ColumnDef::new(Account::Password).text().null())
                    .col(timestamp_now(backend, Account::CreatedAt))
                    .col(timestamp_now(backend, Account::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("account_userId_user_id_fk")
                            .from(Account::Table, Account::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Verification::Table)
                    .col(
                        ColumnDef::new(Verification::Id)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Verification::Identifier).text().not_null())
                    .col(ColumnDef::new(Verification::Value).text().not_null())
                    .col(
                        ColumnDef::new(Verification::ExpiresAt)
                            .timestamp()
                            .not_null(),
                    )
                    .col(timestamp_now(backend, Verification::CreatedAt))
                    .col(timestamp_now(backend, Verification::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Verification::Table.into_iden(),
            Account::Table.into_iden(),
            Session::Table.into_iden(),
            User::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    Name,
    Email,
    #[sea_orm(iden = "emailVerified")]
    EmailVerified,
    Image,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    #[sea_orm(iden = "expiresAt")]
    ExpiresAt,
    Token,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
    #[sea_orm(iden = "ipAddress")]
    IpAddress,
    #[sea_orm(iden = "userAgent")]
    UserAgent,
    #[sea_orm(iden = "userId")]
    UserId,
}

// Column names are the spec's, so some repeat the table name.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    #[sea_orm(iden = "accountId")]
    AccountId,
    #[sea_orm(iden = "providerId")]
    ProviderId,
    #[sea_orm(iden = "userId")]
    UserId,
    #[sea_orm(iden = "accessToken")]
    AccessToken,
    #[sea_orm(iden = "refreshToken")]
    RefreshToken,
    #[sea_orm(iden = "idToken")]
    IdToken,
    #[sea_orm(iden = "accessTokenExpiresAt")]
    AccessTokenExpiresAt,
    #[sea_orm(iden = "refreshTokenExpiresAt")]
    RefreshTokenExpiresAt,
    Scope,
    Password,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Verification {
    Table,
    Id,
    Identifier,
    Value,
    #[sea_orm(iden = "expiresAt")]
    ExpiresAt,
    #[sea_orm(iden = "createdAt")]
    CreatedAt,
    #[sea_orm(iden = "updatedAt")]
    UpdatedAt,
}
