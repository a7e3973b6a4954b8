//! `quarter`: the planning period objectives belong to, such as `2025-Q1`.
//!
//! `organization_id` is reserved for multi-tenancy and stays NULL for now.

use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "quarter")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub label: String,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
    #[sea_orm(nullable)]
    pub organization_id: Option<Uuid>,
    pub archived: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::objective::Entity")]
    Objective,
}

impl Related<super::objective::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Objective.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
