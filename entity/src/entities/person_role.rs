//! `person_role`: what a person may change (admin, lead or member). A table of
//! its own, so the spec's `okr_user` keeps exactly its columns. A person with
//! no row here is a member.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use domain::Role;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "person_role")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub okr_user_id: Uuid,
    pub role: Role,
    pub updated_at: NaiveDateTime,
}

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

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OkrUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
