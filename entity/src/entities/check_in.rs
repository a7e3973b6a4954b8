//! `check_in`: a weekly reading of a key result: its value, the owner's
//! confidence and a note.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::enums::ConfidenceLevel;
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "check_in"))]
pub struct Model {
    #[cfg_attr(feature = "orm", sea_orm(primary_key, auto_increment = false))]
    pub id: Uuid,
    pub kr_id: Uuid,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Decimal(Some((15, 2)))"))]
    pub value: Decimal,
    pub confidence: ConfidenceLevel,
    #[cfg_attr(
        feature = "orm",
        sea_orm(column_type = "String(StringLen::N(500))", nullable)
    )]
    pub note: Option<String>,
    pub created_by: Uuid,
    pub created_at: NaiveDateTime,
}

#[cfg(feature = "orm")]
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

#[cfg(feature = "orm")]
impl Related<super::key_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::KeyResult.def()
    }
}

#[cfg(feature = "orm")]
impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
