//! Better Auth's `session`: one signed-in browser.

use chrono::NaiveDateTime;
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "session"))]
pub struct Model {
    #[cfg_attr(
        feature = "orm",
        sea_orm(primary_key, auto_increment = false, column_type = "Text")
    )]
    pub id: String,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "expiresAt"))]
    pub expires_at: NaiveDateTime,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text", unique))]
    pub token: String,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "createdAt"))]
    pub created_at: NaiveDateTime,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "updatedAt"))]
    pub updated_at: NaiveDateTime,
    #[cfg_attr(
        feature = "orm",
        sea_orm(column_name = "ipAddress", column_type = "Text", nullable)
    )]
    pub ip_address: Option<String>,
    #[cfg_attr(
        feature = "orm",
        sea_orm(column_name = "userAgent", column_type = "Text", nullable)
    )]
    pub user_agent: Option<String>,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "userId", column_type = "Text"))]
    pub user_id: String,
}

#[cfg(feature = "orm")]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

#[cfg(feature = "orm")]
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
