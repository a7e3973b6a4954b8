//! `import_upload`: an uploaded CSV file waiting for its commit, and that
//! commit's state, progress, result and lease, readable by every server.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_upload")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub kind: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub filename: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub checksum: String,
    #[sea_orm(column_type = "Blob")]
    pub content: Vec<u8>,
    pub uploaded_at: NaiveDateTime,
    /// `preview`, `running`, `committed` or `failed`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub record_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    pub runner: Option<Uuid>,
    pub lease_until: Option<NaiveDateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::okr_user::Entity",
        from = "Column::PersonId",
        to = "super::okr_user::Column::Id",
        on_delete = "Cascade"
    )]
    Person,
}

impl Related<super::okr_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
