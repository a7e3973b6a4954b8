//! `objective_alignment`: the objective an objective supports, and the key
//! result of it when the parent is a key result. At most one row per
//! objective; deleting either end deletes the row.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "objective_alignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub objective_id: Uuid,
    pub parent_objective_id: Uuid,
    pub parent_key_result_id: Option<Uuid>,
    pub created_at: NaiveDateTime,
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
        belongs_to = "super::objective::Entity",
        from = "Column::ParentObjectiveId",
        to = "super::objective::Column::Id",
        on_delete = "Cascade"
    )]
    ParentObjective,
    #[sea_orm(
        belongs_to = "super::key_result::Entity",
        from = "Column::ParentKeyResultId",
        to = "super::key_result::Column::Id",
        on_delete = "Cascade"
    )]
    ParentKeyResult,
}

impl ActiveModelBehavior for ActiveModel {}
