//! `key_result`: a measurable outcome of an objective, moving from a start value
//! to a target in a unit and a direction.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use uuid::Uuid;

use domain::{Direction, Unit};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "key_result")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(500))")]
    pub title: String,
    pub objective_id: Uuid,
    pub owner_id: Uuid,
    pub unit: Unit,
    pub direction: Direction,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
    pub start_value: Decimal,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
    pub target_value: Decimal,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
    pub current_value: Decimal,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::objective::Entity",
        from = "Column::ObjectiveId",
        to = "super::objective::Column::Id",
        on_delete = "Cascade"
    )]
    Objective,
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::OwnerId",
        to = "super::okr_user::Column::Id",
        on_delete = "NoAction"
    )]
    Owner,
    #[sea_orm(has_many = "super::check_in::Entity")]
    CheckIn,
}

impl Related<super::objective::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Objective.def()
    }
}

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::check_in::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CheckIn.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
