//! `key_result`: a measurable outcome of an objective, moving from a start value
//! to a target in a unit and a direction.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::enums::{Direction, Unit};
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "key_result"))]
pub struct Model {
    #[cfg_attr(feature = "orm", sea_orm(primary_key, auto_increment = false))]
    pub id: Uuid,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "String(StringLen::N(500))"))]
    pub title: String,
    pub objective_id: Uuid,
    pub owner_id: Uuid,
    pub unit: Unit,
    pub direction: Direction,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Decimal(Some((15, 2)))"))]
    pub start_value: Decimal,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Decimal(Some((15, 2)))"))]
    pub target_value: Decimal,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Decimal(Some((15, 2)))"))]
    pub current_value: Decimal,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[cfg(feature = "orm")]
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

#[cfg(feature = "orm")]
impl Related<super::objective::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Objective.def()
    }
}

#[cfg(feature = "orm")]
impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

#[cfg(feature = "orm")]
impl Related<super::check_in::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CheckIn.def()
    }
}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
