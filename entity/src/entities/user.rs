//! Better Auth's `user`: the identity someone signs in with. It is linked to an
//! `okr_user` by the sign-in story.

use chrono::NaiveDateTime;
#[cfg(feature = "orm")]
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(DeriveEntityModel))]
#[cfg_attr(feature = "orm", sea_orm(table_name = "user"))]
pub struct Model {
    #[cfg_attr(
        feature = "orm",
        sea_orm(primary_key, auto_increment = false, column_type = "Text")
    )]
    pub id: String,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text"))]
    pub name: String,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text", unique))]
    pub email: String,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "emailVerified"))]
    pub email_verified: bool,
    #[cfg_attr(feature = "orm", sea_orm(column_type = "Text", nullable))]
    pub image: Option<String>,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "createdAt"))]
    pub created_at: NaiveDateTime,
    #[cfg_attr(feature = "orm", sea_orm(column_name = "updatedAt"))]
    pub updated_at: NaiveDateTime,
}

#[cfg(feature = "orm")]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    #[sea_orm(has_many = "super::account::Entity")]
    Account,
}

#[cfg(feature = "orm")]
impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

#[cfg(feature = "orm")]
impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

#[cfg(feature = "orm")]
impl ActiveModelBehavior for ActiveModel {}
