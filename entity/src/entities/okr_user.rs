//! `okr_user`: a person in RunwayOKR, a member of one team, who owns objectives
//! and key results and records check-ins. Separate from the auth `user`.
//!
//! `organization_id` is reserved for multi-tenancy and stays NULL for now.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "okr_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub email: String,
    #[sea_orm(column_type = "String(StringLen::N(120))")]
    pub name: String,
    pub team_id: Uuid,
    #[sea_orm(nullable)]
    pub organization_id: Option<Uuid>,
    pub active: bool,
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
    #[sea_orm(has_many = "super::objective::Entity")]
    Objective,
    #[sea_orm(has_many = "super::key_result::Entity")]
    KeyResult,
    #[sea_orm(has_many = "super::check_in::Entity")]
    CheckIn,
    #[sea_orm(has_many = "super::import_record::Entity")]
    ImportRecord,
    #[sea_orm(has_one = "super::person_role::Entity")]
    PersonRole,
    #[sea_orm(has_many = "super::api_token::Entity")]
    ApiToken,
}

impl Related<super::team::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Team.def()
    }
}

impl Related<super::objective::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Objective.def()
    }
}

impl Related<super::key_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::KeyResult.def()
    }
}

impl Related<super::check_in::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CheckIn.def()
    }
}

impl Related<super::import_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ImportRecord.def()
    }
}

impl Related<super::person_role::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PersonRole.def()
    }
}

impl Related<super::api_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
