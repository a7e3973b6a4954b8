//! `team_message_setting`: a team's check-in day, the time zone its day is
//! read in, and its chat channel's incoming webhook. A team without a row
//! checks in on Monday, UTC, with no webhook.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "team_message_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: Uuid,
    /// ISO weekday: 1 Monday … 7 Sunday.
    pub check_in_day: i16,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub time_zone: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook_url: Option<String>,
    pub updated_at: NaiveDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::team::Entity",
        from = "Column::TeamId",
        to = "super::team::Column::Id",
        on_delete = "Cascade"
    )]
    Team,
}

impl Related<super::team::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Team.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
