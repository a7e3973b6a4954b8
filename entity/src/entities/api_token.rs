//! `api_token`: a personal access token. A script that presents it acts as
//! the person who made it, with that person's role. Only a hash of the token
//! is kept; `prefix` is its first characters, to recognise it in a list.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
    pub owner_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(64))", unique)]
    pub token_hash: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::OwnerId",
        to = "super::okr_user::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
    #[sea_orm(has_many = "super::api_idempotency::Entity")]
    Idempotency,
}

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::api_idempotency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Idempotency.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
