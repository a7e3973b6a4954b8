//! `key_result_trend`: a key result's sparkline, kept up to date by the
//! database's triggers as check-ins are written (see the migration that
//! creates it). `points` is the newest check-ins inside the key result's
//! quarter, oldest first, as `created_at|value|confidence` joined by `;`.
//! A table of its own, so the spec's tables keep exactly their columns.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "key_result_trend")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kr_id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    pub points: Option<String>,
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
}

impl Related<super::key_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::KeyResult.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
