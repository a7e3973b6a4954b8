//! Committing a planned file: in one transaction with its `import_record`,
//! through the same writers as the forms (`server::commands`), which check
//! every row again against the database as it is now. Every row lands, or
//! none does; a row refused now is named by its line and column.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use entity::{import_record, objective_alignment};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::plan::{OkrRow, Plan, QuarterRef, check_in_column, okr_column, unchanged};
use super::{Lookup, existing_check_ins};
use crate::error::AppError;
use crate::model::{ImportCounts, ImportKind};
use crate::server::commands::alignment::{ParentChoice, align_in, alignment_turn};
use crate::server::commands::{
    BATCH, Progress, Refusal, check_ins, key_results, objectives, quarters, quarters_turn,
};
use domain::access::Member;
use domain::commands::{NewCheckIn, NewKeyResult, NewObjective};

/// The file's facts `import_record` keeps.
pub struct Upload<'a> {
    pub filename: &'a str,
    pub checksum: &'a str,
    pub delimiter: char,
    /// The columns in the file's order.
    pub columns: Vec<String>,
}

/// One import commit at a time in this process. Plans are made before their
/// commit, so two files committed at once (two uploads of one check-in
/// export, say) would each add the rows the other is adding; one after the
/// other, each commit sees what the one before wrote.
static COMMITS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Writes a plan without problems in one transaction, with its
/// `import_record`: every row lands, or none does.
pub async fn commit(
    db: &DatabaseConnection,
    actor: &Member,
    plan: Plan,
    upload: Upload<'_>,
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<import_record::Model, AppError> {
    if !plan.problems.is_empty() {
        return Err(AppError::validation(
            "file",
            format!(
                "the file has {}; nothing was imported",
                crate::model::problems_in_words(plan.problems.len() as u64)
            ),
        ));
    }
    let _one_at_a_time = COMMITS.lock().await;
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    match plan.kind {
        ImportKind::Okrs => write_okrs(&txn, actor, &plan.okrs, now, progress).await?,
        ImportKind::CheckIns => write_check_ins(&txn, actor, &plan, now, progress).await?,
    }
    let counts = |counts: ImportCounts| {
        serde_json::json!({
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
        })
    };
    let metadata = serde_json::json!({
        "kind": plan.kind.as_str(),
        "checksum": upload.checksum,
        "delimiter": upload.delimiter.to_string(),
        "columns": upload.columns,
        "objectives": counts(plan.summary.objectives),
        "records": counts(plan.summary.records),
        "quarters_created": plan.summary.quarters_created,
    });
    let record = import_record::ActiveModel {
        id: Set(Uuid::new_v4()),
        filename: Set(upload.filename.chars().take(255).collect()),
        row_count: Set(i32::try_from(plan.summary.rows).unwrap_or(i32::MAX)),
        created_by: Set(actor.person_id),
        created_at: Set(now),
        metadata: Set(Some(metadata)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(record)
}

/// A refusal of the row on `line`, as the file's problem at its column.
fn at_line(line: u64, column: &str, error: AppError) -> AppError {
    let message = match error {
        AppError::Validation { message, .. } => message,
        AppError::Forbidden(message) => {
            return AppError::Forbidden(format!("line {line}: {message}"));
        }
        other => return other,
    };
    AppError::validation(column, format!("line {line}: {message}"))
}

/// A batch writer's refusal, named by the line of the row it came from.
fn refused(
    refusal: Refusal,
    lines: &[u64],
    column: impl Fn(Option<&str>) -> &'static str,
) -> AppError {
    match refusal.index.and_then(|index| lines.get(index)) {
        Some(line) => {
            let column = column(refusal.error.field());
            at_line(*line, column, refusal.error)
        }
        None => refusal.error,
    }
}

async fn write_okrs(
    txn: &DatabaseTransaction,
    actor: &Member,
    rows: &[OkrRow],
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<(), AppError> {
    // The quarters' turn before reading them, as the quarter form takes it:
    // a quarter created meanwhile is found here, not created twice.
    quarters_turn(txn).await?;
    // And the alignments' turn, before anything is read, when the file
    // aligns objectives: what it checks is what it writes over.
    if rows.iter().any(|row| row.parent.is_some()) {
        alignment_turn(txn).await?;
    }
    let lookup = Lookup::load(txn).await?;

    // Quarters: the new calendar quarters, through the quarter form's writer.
    let mut quarter_ids: HashMap<String, Uuid> = lookup
        .quarters
        .iter()
        .map(|(label, found)| (label.clone(), found.id))
        .collect();
    for row in rows {
        let quarter_id = match &row.quarter {
            QuarterRef::Existing(found) => found.id,
            QuarterRef::New(new) => match quarter_ids.get(&new.label) {
                Some(id) => *id,
                None => {
                    quarters::create_in(txn, new.clone(), now)
                        .await
                        .map_err(|error| at_line(row.line, "quarter", error))?
                        .id
                }
            },
        };
        quarter_ids.insert(row.quarter.label().to_owned(), quarter_id);
    }
    let quarter_of = |row: &OkrRow| quarter_ids[row.quarter.label()];

    // Objectives: new ones in one batch; a changed owner through the edit.
    let mut objective_ids: HashMap<(Uuid, Uuid, String), Uuid> = HashMap::new();
    let mut new_objectives = Vec::new();
    let mut new_objective_lines = Vec::new();
    for row in rows {
        let key = (quarter_of(row), row.team, row.objective.clone());
        if objective_ids.contains_key(&key) || new_objectives.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let command = NewObjective {
            title: row.objective.clone(),
            team_id: row.team,
            owner_id: row.objective_owner,
            quarter_id: key.0,
        };
        match lookup.objectives.get(&key) {
            Some(found) if found.owner_id != row.objective_owner => {
                objectives::update_in(txn, actor, found.id, command, now)
                    .await
                    .map_err(|error| at_line(row.line, okr_column(error.field(), true), error))?;
                objective_ids.insert(key, found.id);
            }
            Some(found) => {
                objective_ids.insert(key, found.id);
            }
            None => {
                new_objectives.push((key, command));
                new_objective_lines.push(row.line);
            }
        }
    }
    let (keys, commands): (Vec<_>, Vec<_>) = new_objectives.into_iter().unzip();
    let created = objectives::create_all(txn, actor, commands, now)
        .await
        .map_err(|refusal| {
            refused(refusal, &new_objective_lines, |field| {
                okr_column(field, true)
            })
        })?;
    for (key, objective) in keys.into_iter().zip(created) {
        objective_ids.insert(key, objective.id);
    }

    // Key results: new ones in one batch; changed ones through the edit.
    let mut new_key_results: Vec<NewKeyResult> = Vec::new();
    let mut new_lines = Vec::new();
    for row in rows {
        let objective_id = objective_ids[&(quarter_of(row), row.team, row.objective.clone())];
        let command = NewKeyResult {
            objective_id,
            ..row.key_result.clone()
        };
        match lookup
            .key_results
            .get(&(objective_id, command.title.clone()))
        {
            Some(found) if unchanged(found, &command) => {}
            Some(found) => {
                // Confirmed: the preview showed what changes.
                key_results::update_in(txn, actor, found.id, command, true, now)
                    .await
                    .map_err(|error| at_line(row.line, okr_column(error.field(), false), error))?;
            }
            None => {
                new_key_results.push(command);
                new_lines.push(row.line);
            }
        }
    }
    let created = key_results::create_all(txn, actor, new_key_results, now, progress)
        .await
        .map_err(|refusal| refused(refusal, &new_lines, |field| okr_column(field, false)))?;

    // Alignments, now that every objective and key result they name is
    // there. Rows with blank parent columns leave an objective's alignment
    // as it is: a file never unaligns.
    let key_result_ids: HashMap<(Uuid, String), Uuid> = lookup
        .key_results
        .iter()
        .map(|(key, found)| (key.clone(), found.id))
        .chain(
            created
                .into_iter()
                .map(|found| ((found.objective_id, found.title), found.id)),
        )
        .collect();
    let mut wanted = Vec::new();
    let mut seen = HashSet::new();
    for row in rows {
        let Some(parent) = &row.parent else { continue };
        let child = objective_ids[&(quarter_of(row), row.team, row.objective.clone())];
        if !seen.insert(child) {
            continue;
        }
        let key = (quarter_of(row), parent.team, parent.objective.clone());
        let Some(parent_id) = objective_ids
            .get(&key)
            .copied()
            .or_else(|| lookup.objectives.get(&key).map(|found| found.id))
        else {
            return Err(at_line(
                row.line,
                "parent_objective",
                AppError::validation("parent", "the parent objective is no longer there"),
            ));
        };
        let choice = match &parent.key_result {
            None => ParentChoice::Objective(parent_id),
            Some(title) => match key_result_ids.get(&(parent_id, title.clone())) {
                Some(id) => ParentChoice::KeyResult(*id),
                None => {
                    return Err(at_line(
                        row.line,
                        "parent_key_result",
                        AppError::validation("parent", "the parent key result is no longer there"),
                    ));
                }
            },
        };
        wanted.push((row.line, child, parent_id, choice));
    }
    align_all(txn, actor, wanted, now).await
}

/// Aligns each objective to its parent, at the line of its first row
/// (line, objective, parent objective, choice), through the align form's
/// writer. Those already so aligned are left alone; the others are all
/// unaligned first, so that a file moving A from under B and B under A
/// passes no cycle on its way.
async fn align_all(
    txn: &DatabaseTransaction,
    actor: &Member,
    wanted: Vec<(u64, Uuid, Uuid, ParentChoice)>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if wanted.is_empty() {
        return Ok(());
    }
    let children: Vec<Uuid> = wanted.iter().map(|(_, child, ..)| *child).collect();
    let mut stored = HashMap::new();
    for chunk in children.chunks(BATCH) {
        for found in objective_alignment::Entity::find()
            .filter(objective_alignment::Column::ObjectiveId.is_in(chunk.to_vec()))
            .all(txn)
            .await?
        {
            stored.insert(
                found.objective_id,
                (found.parent_objective_id, found.parent_key_result_id),
            );
        }
    }
    let changed: Vec<_> = wanted
        .into_iter()
        .filter(|(_, child, parent, choice)| {
            let key_result = match choice {
                ParentChoice::Objective(_) => None,
                ParentChoice::KeyResult(id) => Some(*id),
            };
            stored.get(child) != Some(&(*parent, key_result))
        })
        .collect();
    let at = |line: u64| move |error| at_line(line, "parent_objective", error);
    for (line, child, ..) in &changed {
        if stored.contains_key(child) {
            align_in(txn, actor, *child, None, now)
                .await
                .map_err(at(*line))?;
        }
    }
    for (line, child, _, choice) in changed {
        align_in(txn, actor, child, Some(choice), now)
            .await
            .map_err(at(line))?;
    }
    Ok(())
}

async fn write_check_ins(
    txn: &DatabaseTransaction,
    actor: &Member,
    plan: &Plan,
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<(), AppError> {
    // Check-ins another commit wrote since the plan was made are not
    // written twice.
    let existing = existing_check_ins(txn, &plan.check_ins).await?;
    let rows: Vec<_> = plan
        .check_ins
        .iter()
        .filter(|row| !existing.contains(&row.natural_key()))
        .collect();
    let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
    let commands: Vec<NewCheckIn> = rows
        .iter()
        .map(|row| NewCheckIn {
            date: Some(row.day),
            ..row.command.clone()
        })
        .collect();
    check_ins::record_all(txn, actor.person_id, commands, now, progress)
        .await
        .map_err(|refusal| refused(refusal, &lines, check_in_column))?;
    Ok(())
}
