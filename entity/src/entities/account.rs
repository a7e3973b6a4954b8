//! Better Auth's `account`: a credential or OAuth link of a `user`.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_name = "accountId", column_type = "Text")]
    pub account_id: String,
    #[sea_orm(column_name = "providerId", column_type = "Text")]
    pub provider_id: String,
    #[sea_orm(column_name = "userId", column_type = "Text")]
    pub user_id: String,
    #[sea_orm(column_name = "accessToken", column_type = "Text", nullable)]
    pub access_token: Option<String>,
    #[sea_orm(column_name = "refreshToken", column_type = "Text", nullable)]
    pub refresh_token: Option<String>,
    #[sea_orm(column_name = "idToken", column_type = "Text", nullable)]
    pub id_token: Option<String>,
    #[sea_orm(column_name = "accessTokenExpiresAt", nullable)]
    pub access_token_expires_at: Option<NaiveDateTime>,
    #[sea_orm(column_name = "refreshTokenExpiresAt", nullable)]
    pub refresh_token_expires_at: Option<NaiveDateTime>,
    #[sea_orm(column_type = "Text", nullable)]
    pub scope: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub password: Option<String>,
    #[sea_orm(column_name = "createdAt")]
    pub created_at: NaiveDateTime,
    #[sea_orm(column_name = "updatedAt")]
    pub updated_at: NaiveDateTime,
}

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

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
