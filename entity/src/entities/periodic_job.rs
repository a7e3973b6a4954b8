//! `periodic_job`: a piece of periodic work and when it is next due. The
//! server whose update moves `next_run_at` on is the one that runs it.

use chrono::NaiveDateTime;
use sea_orm::entity::prelude::*;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "periodic_job")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub name: String,
    pub next_run_at: NaiveDateTime,
    pub last_run_at: Option<NaiveDateTime>,
    pub last_runner: Option<Uuid>,
    pub runs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
