//! Check-in reminders and digests: `notification_setting`, each person's
//! choices (reminders and digests on or off, time zone, hour) and the key
//! that signs their unsubscribe links; `team_message_setting`, each team's
//! check-in day, time zone and chat webhook; and `outbox_message`, every
//! message decided, with its delivery state. A message's `dedupe_key`
//! (person or team, kind and period) is unique, so deciding twice, on one
//! server or many, writes one row. New tables: the spec's eleven keep
//! exactly their columns.

use sea_orm_migration::prelude::*;

use crate::columns::{timestamp_now, uuid_pk};

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
                    .table(NotificationSetting::Table)
                    .col(
                        ColumnDef::new(NotificationSetting::PersonId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(NotificationSetting::Reminders)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(NotificationSetting::Digests)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(NotificationSetting::TimeZone)
                            .string_len(64)
                            .not_null()
                            .default("UTC"),
                    )
                    .col(
                        ColumnDef::new(NotificationSetting::Hour)
                            .small_integer()
                            .not_null()
                            .default(9),
                    )
                    .col(
                        ColumnDef::new(NotificationSetting::UnsubscribeKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp_now(backend, NotificationSetting::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("notification_setting_person_id_okr_user_id_fk")
                            .from(NotificationSetting::Table, NotificationSetting::PersonId)
                            .to(OkrUser::Table, OkrUser::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TeamMessageSetting::Table)
                    .col(
                        ColumnDef::new(TeamMessageSetting::TeamId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    // ISO weekday: 1 Monday … 7 Sunday.
                    .col(
                        ColumnDef::new(TeamMessageSetting::CheckInDay)
                            .small_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(TeamMessageSetting::TimeZone)
                            .string_len(64)
                            .not_null()
                            .default("UTC"),
                    )
                    .col(ColumnDef::new(TeamMessageSetting::WebhookUrl).text().null())
                    .col(timestamp_now(backend, TeamMessageSetting::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("team_message_setting_team_id_team_id_fk")
                            .from(TeamMessageSetting::Table, TeamMessageSetting::TeamId)
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
                    .table(OutboxMessage::Table)
                    .col(uuid_pk(backend, OutboxMessage::Id))
                    // One message per person (or team), kind and period.
                    .col(
                        ColumnDef::new(OutboxMessage::DedupeKey)
                            .string_len(200)
                            .not_null()
                            .unique_key(),
                    )
                    // reminder, follow_up or digest.
                    .col(
                        ColumnDef::new(OutboxMessage::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    // email or webhook.
                    .col(
                        ColumnDef::new(OutboxMessage::Channel)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxMessage::PersonId).uuid().null())
                    .col(ColumnDef::new(OutboxMessage::TeamId).uuid().null())
                    .col(ColumnDef::new(OutboxMessage::Recipient).text().not_null())
                    .col(ColumnDef::new(OutboxMessage::Subject).text().not_null())
                    .col(ColumnDef::new(OutboxMessage::BodyText).text().not_null())
                    // The HTML part of an email; the JSON body of a webhook.
                    .col(ColumnDef::new(OutboxMessage::BodyRich).text().not_null())
                    // pending, sending, sent or failed.
                    .col(
                        ColumnDef::new(OutboxMessage::State)
                            .string_len(16)
                            .not_null()
                            .default("pending"),
                    )
                    .col(
                        ColumnDef::new(OutboxMessage::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(OutboxMessage::NextAttemptAt)
                            .timestamp()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxMessage::LastError).text().null())
                    .col(ColumnDef::new(OutboxMessage::Runner).uuid().null())
                    .col(ColumnDef::new(OutboxMessage::LeaseUntil).timestamp().null())
                    .col(
                        ColumnDef::new(OutboxMessage::CreatedAt)
                            .timestamp()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxMessage::SentAt).timestamp().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("outbox_message_person_id_okr_user_id_fk")
                            .from(OutboxMessage::Table, OutboxMessage::PersonId)
                            .to(OkrUser::Table, OkrUser::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("outbox_message_team_id_team_id_fk")
                            .from(OutboxMessage::Table, OutboxMessage::TeamId)
                            .to(Team::Table, Team::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_message_state_next_attempt_at_idx")
                    .table(OutboxMessage::Table)
                    .col(OutboxMessage::State)
                    .col(OutboxMessage::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_message_created_at_idx")
                    .table(OutboxMessage::Table)
                    .col(OutboxMessage::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxMessage::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TeamMessageSetting::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NotificationSetting::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum NotificationSetting {
    Table,
    PersonId,
    Reminders,
    Digests,
    TimeZone,
    Hour,
    UnsubscribeKey,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TeamMessageSetting {
    Table,
    TeamId,
    CheckInDay,
    TimeZone,
    WebhookUrl,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Id,
    DedupeKey,
    Kind,
    Channel,
    PersonId,
    TeamId,
    Recipient,
    Subject,
    BodyText,
    BodyRich,
    State,
    Attempts,
    NextAttemptAt,
    LastError,
    Runner,
    LeaseUntil,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum OkrUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Team {
    Table,
    Id,
}
