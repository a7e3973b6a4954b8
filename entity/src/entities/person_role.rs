//! `person_role`: what a person may change (admin, lead or member). A table of
//! its own, so the spec's `okr_user` keeps exactly its columns. A person with
//! no row here is a member.

use chrono::NaiveDateTime;
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::enums::Role;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "person_role"))]
pub struct Model {
    #[cfg_attr(feature = "orm", sea_orm(primary_key, auto_increment = false))]
    pub okr_user_id: Uuid,
    pub role: Role,
    pub updated_at: NaiveDateTime,
}

#[cfg(feature = "orm")]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::OkrUserId",
        to = "super::okr_user::Column::Id",
        on_delete = "Cascade"
    )]
    OkrUser,
}

#[cfg(feature = "orm")]
impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OkrUser.def()
    }
}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
