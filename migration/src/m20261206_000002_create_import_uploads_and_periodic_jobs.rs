//! What lets any server take any request: `import_upload`, an uploaded CSV
//! file with its commit's state, progress and lease (so the upload, the
//! preview, the commit and the progress page may each land on another
//! server), and `periodic_job`, one row per piece of periodic work, whose
//! next run time is claimed by one server per period. New tables: the
//! spec's eleven keep exactly their columns.

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
                    .table(ImportUpload::Table)
                    .col(uuid_pk(backend, ImportUpload::Id))
                    .col(ColumnDef::new(ImportUpload::PersonId).uuid().not_null())
                    .col(ColumnDef::new(ImportUpload::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(ImportUpload::Filename)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportUpload::Checksum)
                            .string_len(64)
                            .not_null(),
                    )
                    // The file itself; emptied once it is committed.
                    .col(ColumnDef::new(ImportUpload::Content).blob().not_null())
                    .col(
                        ColumnDef::new(ImportUpload::UploadedAt)
                            .timestamp()
                            .not_null(),
                    )
                    // preview, running, committed or failed.
                    .col(
                        ColumnDef::new(ImportUpload::State)
                            .string_len(16)
                            .not_null()
                            .default("preview"),
                    )
                    .col(
                        ColumnDef::new(ImportUpload::Done)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(ImportUpload::Total)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(ImportUpload::RecordId).uuid().null())
                    .col(ColumnDef::new(ImportUpload::Message).text().null())
                    // The server running the commit, and until when it has
                    // the job unless it renews the lease.
                    .col(ColumnDef::new(ImportUpload::Runner).uuid().null())
                    .col(ColumnDef::new(ImportUpload::LeaseUntil).timestamp().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("import_upload_person_id_okr_user_id_fk")
                            .from(ImportUpload::Table, ImportUpload::PersonId)
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
                    .name("import_upload_uploaded_at_idx")
                    .table(ImportUpload::Table)
                    .col(ImportUpload::UploadedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PeriodicJob::Table)
                    .col(
                        ColumnDef::new(PeriodicJob::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PeriodicJob::NextRunAt)
                            .timestamp()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PeriodicJob::LastRunAt).timestamp().null())
                    .col(ColumnDef::new(PeriodicJob::LastRunner).uuid().null())
                    .col(
                        ColumnDef::new(PeriodicJob::Runs)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PeriodicJob::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportUpload::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ImportUpload {
    Table,
    Id,
    PersonId,
    Kind,
    Filename,
    Checksum,
    Content,
    UploadedAt,
    State,
    Done,
    Total,
    RecordId,
    Message,
    Runner,
    LeaseUntil,
}

#[derive(DeriveIden)]
enum PeriodicJob {
    Table,
    Name,
    NextRunAt,
    LastRunAt,
    LastRunner,
    Runs,
}

#[derive(DeriveIden)]
enum OkrUser {
    Table,
    Id,
}
