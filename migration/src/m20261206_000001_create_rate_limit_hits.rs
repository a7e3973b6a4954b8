//! `rate_limit_hit`: one row per attempt that a limit counts (a sign-in, a
//! one-time link redeemed, an API request), by bucket, such as
//! `sign-in:email:<address>`. Counting in the database makes one limit of
//! every server on it; an attempt is written before it is checked, so
//! parallel attempts cannot slip past the count. A new table: the spec's
//! eleven keep exactly their columns.

use sea_orm_migration::prelude::*;

use crate::columns::uuid_pk;

#[derive(DeriveMigrationName)]
pub struct Migration;

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
                    .table(RateLimitHit::Table)
                    .col(uuid_pk(backend, RateLimitHit::Id))
                    .col(
                        ColumnDef::new(RateLimitHit::Bucket)
                            .string_len(320)
                            .not_null(),
                    )
                    .col(ColumnDef::new(RateLimitHit::HitAt).timestamp().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rate_limit_hit_bucket_hit_at_idx")
                    .table(RateLimitHit::Table)
                    .col(RateLimitHit::Bucket)
                    .col(RateLimitHit::HitAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rate_limit_hit_hit_at_idx")
                    .table(RateLimitHit::Table)
                    .col(RateLimitHit::HitAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimitHit::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RateLimitHit {
    Table,
    Id,
    Bucket,
    HitAt,
}
