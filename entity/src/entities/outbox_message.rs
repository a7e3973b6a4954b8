//! `outbox_message`: a reminder or digest decided, and its delivery. The
//! unique `dedupe_key` (person or team, kind and period) makes deciding it
//! again a no-op; the sender claims it with a lease, like an import commit.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_message")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(200))", unique)]
    pub dedupe_key: String,
    /// `reminder`, `follow_up` or `digest`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub kind: String,
    /// `email` or `webhook`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub channel: String,
    pub person_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    /// An email address, or a webhook URL.
    #[sea_orm(column_type = "Text")]
    pub recipient: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    /// The HTML part of an email; the JSON body of a webhook post.
    #[sea_orm(column_type = "Text")]
    pub body_rich: String,
    /// `pending`, `sending`, `sent` or `failed`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub runner: Option<Uuid>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::PersonId",
        to = "super::okr_user::Column::Id",
        on_delete = "Cascade"
    )]
    Person,
    #[sea_orm(
        belongs_to = "super::team::Entity",
        from = "Column::TeamId",
        to = "super::team::Column::Id",
        on_delete = "Cascade"
    )]
    Team,
}

impl ActiveModelBehavior for ActiveModel {}
