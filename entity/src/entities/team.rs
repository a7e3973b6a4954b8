//! `team`: a sales or marketing team that owns objectives.
//!
//! `organization_id` is reserved for multi-tenancy and stays NULL for now.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "team")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(120))")]
    pub name: String,
    #[sea_orm(nullable)]
    pub organization_id: Option<Uuid>,
    pub archived: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::okr_user::Entity")]
    OkrUser,
    #[sea_orm(has_many = "super::objective::Entity")]
    Objective,
}

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OkrUser.def()
    }
}

impl Related<super::objective::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Objective.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
