//! `api_idempotency`: the first answer to a POST carrying an
//! `Idempotency-Key`, per token, so a retry gets it back instead of storing
//! the check-in again.

use chrono::NaiveDateTime;
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "api_idempotency"))]
pub struct Model {
    #[cfg_attr(feature = "orm", sea_orm(primary_key, auto_increment = false))]
    pub token_id: Uuid,
    #[cfg_attr(
        feature = "orm",
        sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(255))"
        )
    )]
    pub key: String,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "String(StringLen::N(64))"))]
    pub request_hash: String,
    pub status: i16,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text"))]
    pub response: String,
    pub created_at: NaiveDateTime,
}

#[cfg(feature = "orm")]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::api_token::Entity",
        from = "Column::TokenId",
        to = "super::api_token::Column::Id",
        on_delete = "Cascade"
    )]
    Token,
}

#[cfg(feature = "orm")]
impl Related<super::api_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Token.def()
    }
}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
