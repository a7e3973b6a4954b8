//! Moving OKRs in and out as CSV. The import is an adapter over the
//! writers in `server::commands`:
//!
//! - [`table`]: reading a file into rows and columns;
//! - [`plan`]: each row parsed into the form's commands and checked by the
//!   writers' rules, with every problem by line and column;
//! - [`commit`]: the rows written by the same writers, in one transaction
//!   with its `import_record`;
//! - [`export`]: a quarter in exactly the import format;
//! - [`uploads`]: uploaded files and their commits' state, progress and
//!   lease, in the database so any server can take any step;
//! - [`http`]: the upload form's endpoint and the downloads.
//!
//! Rows are matched by their natural key: quarter, team, objective title and
//! key result title (for check-ins, also the day, value and author), so
//! importing the same file twice changes nothing the second time.

pub mod commit;
pub mod export;
pub mod http;
pub mod plan;
pub mod table;
pub mod uploads;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{check_in, import_record, key_result, objective, okr_user, quarter, team};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use crate::server::commands::Progress;
pub use commit::{Upload, commit};
pub use export::{export_check_ins, export_okrs};
pub use plan::{Plan, plan};

use crate::server::commands::BATCH;
use plan::CheckInRow;

/// The SHA-256 of a file, hex: an identical file has the same one.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Everything the checks need from the database, read once.
struct Lookup {
    quarters: HashMap<String, quarter::Model>,
    teams: HashMap<String, team::Model>,
    people: HashMap<String, okr_user::Model>,
    /// (quarter, team, title) → objective.
    objectives: HashMap<(Uuid, Uuid, String), objective::Model>,
    /// (objective, title) → key result.
    key_results: HashMap<(Uuid, String), key_result::Model>,
    /// Key results with check-ins.
    checked_in: HashSet<Uuid>,
}

impl Lookup {
    async fn load(db: &impl ConnectionTrait) -> Result<Lookup, DbErr> {
        let quarters = quarter::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.label.clone(), found))
            .collect();
        let teams = team::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.name.to_lowercase(), found))
            .collect();
        let people = okr_user::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.email.to_lowercase(), found))
            .collect();
        let objectives = objective::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| {
                (
                    (found.quarter_id, found.team_id, found.title.clone()),
                    found,
                )
            })
            .collect();
        let key_results = key_result::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| ((found.objective_id, found.title.clone()), found))
            .collect();
        let checked_in = check_in::Entity::find()
            .select_only()
            .column(check_in::Column::KrId)
            .distinct()
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(Lookup {
            quarters,
            teams,
            people,
            objectives,
            key_results,
            checked_in,
        })
    }
}

/// Every committed import, newest first, for the history page.
pub async fn history(
    db: &impl ConnectionTrait,
) -> Result<Vec<crate::model::ImportHistoryRow>, DbErr> {
    Ok(import_record::Entity::find()
        .find_also_related(okr_user::Entity)
        .order_by_desc(import_record::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|(record, person)| {
            let metadata = record.metadata.clone().unwrap_or_default();
            let count = |what: &str, key: &str| metadata[what][key].as_u64().unwrap_or(0);
            let kind = metadata["kind"].as_str().unwrap_or_default().to_owned();
            let noun = if kind == "check_ins" {
                "check-ins"
            } else {
                "key results"
            };
            crate::model::ImportHistoryRow {
                id: record.id,
                filename: record.filename,
                summary: format!(
                    "{} {noun} created, {} updated, {} unchanged",
                    count("records", "created"),
                    count("records", "updated"),
                    count("records", "unchanged"),
                ),
                kind: if kind == "check_ins" {
                    "Check-ins".to_owned()
                } else {
                    "Objectives and key results".to_owned()
                },
                rows: record.row_count,
                by: person.map(|person| person.name).unwrap_or_default(),
                at: record.created_at,
            }
        })
        .collect())
}

/// The check-ins already stored for the key results `rows` name, by
/// natural key: key result, day, value and author.
async fn existing_check_ins(
    db: &impl ConnectionTrait,
    rows: &[CheckInRow],
) -> Result<HashSet<(Uuid, NaiveDate, Decimal, Uuid)>, DbErr> {
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|row| row.command.key_result_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut existing = HashSet::new();
    for chunk in ids.chunks(BATCH) {
        for found in check_in::Entity::find()
            .filter(check_in::Column::KrId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            existing.insert((
                found.kr_id,
                found.created_at.date(),
                found.value,
                found.created_by,
            ));
        }
    }
    Ok(existing)
}

/// An earlier import of the same bytes: when and by whom.
pub async fn identical_import(
    db: &impl ConnectionTrait,
    checksum: &str,
) -> Result<Option<String>, DbErr> {
    let found = import_record::Entity::find()
        .find_also_related(okr_user::Entity)
        .order_by_desc(import_record::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .find(|(record, _)| {
            record
                .metadata
                .as_ref()
                .and_then(|metadata| metadata.get("checksum"))
                .and_then(|value| value.as_str())
                == Some(checksum)
        });
    Ok(found.map(|(record, person)| {
        format!(
            "{} on {} UTC by {}",
            record.filename,
            record.created_at.format("%b %-d, %Y %H:%M"),
            person.map(|person| person.name).unwrap_or_default()
        )
    }))
}
