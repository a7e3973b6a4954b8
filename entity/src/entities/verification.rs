//! Better Auth's `verification`: short-lived tokens such as e-mail confirmations.

use chrono::NaiveDateTime;
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "verification"))]
pub struct Model {
    #[cfg_attr(
        feature = "orm",
        sea_orm(primary_key, auto_increment = false, column_type = "Text")
    )]
    pub id: String,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text"))]
    pub identifier: String,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text"))]
    pub value: String,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "expiresAt"))]
    pub expires_at: NaiveDateTime,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "createdAt"))]
    pub created_at: NaiveDateTime,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "updatedAt"))]
    pub updated_at: NaiveDateTime,
}

#[cfg(feature = "orm")]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
