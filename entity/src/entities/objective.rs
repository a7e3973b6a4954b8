//! `objective`: a team's qualitative goal for a quarter, measured by its key results.
//!
//! `organization_id` is reserved for multi-tenancy and stays NULL for now.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "objective")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub title: String,
    pub team_id: Uuid,
    pub quarter_id: Uuid,
    pub owner_id: Uuid,
    #[sea_orm(nullable)]
    pub organization_id: Option<Uuid>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::team::Entity",
        from = "Column::TeamId",
        to = "super::team::Column::Id",
        on_delete = "NoAction"
    )]
    Team,
    #[sea_orm(
        belongs_to = "super::quarter::Entity",
        from = "Column::QuarterId",
        to = "super::quarter::Column::Id",
        on_delete = "NoAction"
    )]
    Quarter,
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::OwnerId",
        to = "super::okr_user::Column::Id",
        on_delete = "NoAction"
    )]
    Owner,
    #[sea_orm(has_many = "super::key_result::Entity")]
    KeyResult,
}

impl Related<super::team::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Team.def()
    }
}

impl Related<super::quarter::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Quarter.def()
    }
}

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::key_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::KeyResult.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
