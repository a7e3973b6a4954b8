//! The JSON API's tables: `api_token`, the personal access tokens that let
//! scripts act as the person who made them, and `api_idempotency`, the first
//! answer to each `Idempotency-Key` so a retried POST stores nothing more.
//! New tables: the spec's eleven keep exactly their columns.

use sea_orm_migration::prelude::*;

use crate::columns::{timestamp_now, uuid_pk};

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
                    .table(ApiToken::Table)
                    .col(uuid_pk(backend, ApiToken::Id))
                    .col(ColumnDef::new(ApiToken::Name).string_len(100).not_null())
                    .col(ColumnDef::new(ApiToken::OwnerId).uuid().not_null())
                    // SHA-256 of the token, hex: the token itself is never kept.
                    .col(
                        ColumnDef::new(ApiToken::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    // The token's first characters, to recognise it in lists.
                    .col(ColumnDef::new(ApiToken::Prefix).string_len(16).not_null())
                    .col(timestamp_now(backend, ApiToken::CreatedAt))
                    .col(ColumnDef::new(ApiToken::LastUsedAt).timestamp().null())
                    .col(ColumnDef::new(ApiToken::ExpiresAt).timestamp().null())
                    .col(ColumnDef::new(ApiToken::RevokedAt).timestamp().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("api_token_owner_id_okr_user_id_fk")
                            .from(ApiToken::Table, ApiToken::OwnerId)
                            .to(OkrUser::Table, OkrUser::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_token_owner_idx")
                    .table(ApiToken::Table)
                    .col(ApiToken::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiIdempotency::Table)
                    .col(ColumnDef::new(ApiIdempotency::TokenId).uuid().not_null())
                    .col(
                        ColumnDef::new(ApiIdempotency::Key)
                            .string_len(255)
                            .not_null(),
                    )
                    // SHA-256 of what was asked: the same key with another
                    // request is a conflict, not a retry.
                    .col(
                        ColumnDef::new(ApiIdempotency::RequestHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ApiIdempotency::Status)
                            .small_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ApiIdempotency::Response).text().not_null())
                    .col(timestamp_now(backend, ApiIdempotency::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ApiIdempotency::TokenId)
                            .col(ApiIdempotency::Key),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("api_idempotency_token_id_api_token_id_fk")
                            .from(ApiIdempotency::Table, ApiIdempotency::TokenId)
                            .to(ApiToken::Table, ApiToken::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiIdempotency::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ApiToken::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    OwnerId,
    TokenHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ApiIdempotency {
    Table,
    TokenId,
    Key,
    RequestHash,
    Status,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OkrUser {
    Table,
    Id,
}
