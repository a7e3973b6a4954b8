//! `check_in`: a weekly reading of a key result: its value, the owner's
//! confidence and a note.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use uuid::Uuid;

use domain::ConfidenceLevel;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "check_in")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kr_id: Uuid,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
    pub value: Decimal,
    pub confidence: ConfidenceLevel,
    #[sea_orm(column_type = "String(StringLen::N(500))", nullable)]
    pub note: Option<String>,
    pub created_by: Uuid,
    pub created_at: NaiveDateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::key_result::Entity",
        from = "Column::KrId",
        to = "super::key_result::Column::Id",
        on_delete = "Cascade"
    )]
    KeyResult,
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::CreatedBy",
        to = "super::okr_user::Column::Id",
        on_delete = "NoAction"
    )]
    Creator,
}

impl Related<super::key_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::KeyResult.def()
    }
}

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
