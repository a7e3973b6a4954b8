//! `notification_setting`: one person's choices for check-in reminders and
//! digests, and the key that signs their unsubscribe links. A person
//! without a row has the defaults (both on, 09:00 UTC).

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    pub reminders: bool,
    pub digests: bool,
    /// An IANA name, such as `Asia/Tokyo`.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub time_zone: String,
    /// The local hour messages go out at, 0 to 23.
    pub hour: i16,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub unsubscribe_key: String,
    pub updated_at: NaiveDateTime,
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
