//! Exporting a quarter as CSV, in exactly the import format: its objectives
//! and key results, or its check-ins.

use std::collections::HashMap;

use entity::{check_in, key_result, objective, objective_alignment, okr_user, quarter, team};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::table;
use crate::error::AppError;
use crate::model::ImportKind;
use crate::server::commands::BATCH;

/// A text cell as exports write it: as text, even where a spreadsheet
/// would read a formula.
fn safe(text: &str) -> String {
    table::spreadsheet_safe(text).into_owned()
}

/// A decimal as exports write it: two decimals, a point, no grouping.
fn exported(value: Decimal) -> String {
    format!("{value:.2}")
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, AppError> {
    writer.into_inner().map_err(|_| AppError::Internal)
}

/// A quarter's objectives and key results in the OKR import format.
pub async fn export_okrs(
    db: &impl ConnectionTrait,
    label: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    let Some(quarter) = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rows = ordered_key_results(db, &quarter).await?;
    let parents = parent_names(db, &rows).await?;
    let mut out = writer();
    let (required, optional) = table::columns(ImportKind::Okrs);
    out.write_record(required.iter().chain(optional))
        .map_err(|_| AppError::Internal)?;
    let unaligned = [String::new(), String::new(), String::new()];
    for (team, objective, objective_owner, key_result, owner) in rows {
        let [parent_team, parent_objective, parent_key_result] =
            parents.get(&objective.id).unwrap_or(&unaligned);
        out.write_record([
            &safe(&quarter.label),
            &safe(&team),
            &safe(&objective.title),
            &safe(&objective_owner),
            &safe(&key_result.title),
            &safe(&owner),
            key_result.unit.as_str(),
            &exported(key_result.start_value),
            &exported(key_result.target_value),
            &exported(key_result.current_value),
            &safe(parent_team),
            &safe(parent_objective),
            &safe(parent_key_result),
        ])
        .map_err(|_| AppError::Internal)?;
    }
    finish(out).map(Some)
}

/// What each aligned objective of `rows` supports, as the parent columns
/// name it: team, objective title, and key result title or blank.
async fn parent_names(
    db: &impl ConnectionTrait,
    rows: &[ExportRow],
) -> Result<HashMap<Uuid, [String; 3]>, DbErr> {
    let mut objectives: HashMap<Uuid, &objective::Model> = HashMap::new();
    let mut key_results: HashMap<Uuid, String> = HashMap::new();
    for (_, objective, _, key_result, _) in rows {
        objectives.insert(objective.id, objective);
        key_results.insert(key_result.id, key_result.title.clone());
    }
    let ids: Vec<Uuid> = objectives.keys().copied().collect();
    let mut alignments = Vec::new();
    for chunk in ids.chunks(BATCH) {
        alignments.extend(
            objective_alignment::Entity::find()
                .filter(objective_alignment::Column::ObjectiveId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    if alignments.is_empty() {
        return Ok(HashMap::new());
    }
    // Parents outside the rows (an objective without key results) are read
    // by id.
    let mut parents: HashMap<Uuid, objective::Model> = HashMap::new();
    let missing: Vec<Uuid> = alignments
        .iter()
        .map(|found| found.parent_objective_id)
        .filter(|id| !objectives.contains_key(id))
        .collect();
    for chunk in missing.chunks(BATCH) {
        for found in objective::Entity::find()
            .filter(objective::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            parents.insert(found.id, found);
        }
    }
    let teams: HashMap<Uuid, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    let mut names = HashMap::new();
    for alignment in alignments {
        let Some(parent) = objectives
            .get(&alignment.parent_objective_id)
            .copied()
            .or_else(|| parents.get(&alignment.parent_objective_id))
        else {
            continue;
        };
        let key_result = match alignment.parent_key_result_id {
            None => String::new(),
            Some(id) => match key_results.get(&id) {
                Some(title) => title.clone(),
                None => key_result::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .map(|found| found.title)
                    .unwrap_or_default(),
            },
        };
        names.insert(
            alignment.objective_id,
            [
                teams.get(&parent.team_id).cloned().unwrap_or_default(),
                parent.title.clone(),
                key_result,
            ],
        );
    }
    Ok(names)
}

type ExportRow = (String, objective::Model, String, key_result::Model, String);

/// The quarter's key results in dashboard order: team, objective, key result.
async fn ordered_key_results(
    db: &impl ConnectionTrait,
    quarter: &quarter::Model,
) -> Result<Vec<ExportRow>, DbErr> {
    let teams: HashMap<Uuid, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    let emails: HashMap<Uuid, String> = okr_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.email))
        .collect();
    let mut objectives = objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(quarter.id))
        .order_by_asc(objective::Column::CreatedAt)
        .order_by_asc(objective::Column::Title)
        .all(db)
        .await?;
    objectives.sort_by(|a, b| {
        teams
            .get(&a.team_id)
            .cmp(&teams.get(&b.team_id))
            .then(a.team_id.cmp(&b.team_id))
            .then(a.created_at.cmp(&b.created_at))
            .then(a.title.cmp(&b.title))
    });
    let ids: Vec<Uuid> = objectives.iter().map(|found| found.id).collect();
    let mut key_results: HashMap<Uuid, Vec<key_result::Model>> = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        for found in key_result::Entity::find()
            .filter(key_result::Column::ObjectiveId.is_in(chunk.to_vec()))
            .order_by_asc(key_result::Column::CreatedAt)
            .order_by_asc(key_result::Column::Title)
            .all(db)
            .await?
        {
            key_results
                .entry(found.objective_id)
                .or_default()
                .push(found);
        }
    }
    let mut rows = Vec::new();
    for objective in objectives {
        let team = teams.get(&objective.team_id).cloned().unwrap_or_default();
        let objective_owner = emails.get(&objective.owner_id).cloned().unwrap_or_default();
        for key_result in key_results.remove(&objective.id).unwrap_or_default() {
            let owner = emails
                .get(&key_result.owner_id)
                .cloned()
                .unwrap_or_default();
            rows.push((
                team.clone(),
                objective.clone(),
                objective_owner.clone(),
                key_result,
                owner,
            ));
        }
    }
    Ok(rows)
}

/// A quarter's check-ins in the check-in import format, oldest first per
/// key result.
pub async fn export_check_ins(
    db: &impl ConnectionTrait,
    label: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    let Some(quarter) = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rows = ordered_key_results(db, &quarter).await?;
    let emails: HashMap<Uuid, String> = okr_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.email))
        .collect();
    let mut out = writer();
    let (required, optional) = table::columns(ImportKind::CheckIns);
    let header: Vec<&str> = required
        .iter()
        .take(7)
        .chain(optional)
        .chain(required.iter().skip(7))
        .copied()
        .collect();
    out.write_record(&header).map_err(|_| AppError::Internal)?;
    // Every check-in of the quarter's key results, a few statements in all.
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|(_, _, _, key_result, _)| key_result.id)
        .collect();
    let mut check_ins: HashMap<Uuid, Vec<check_in::Model>> = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        for found in check_in::Entity::find()
            .filter(check_in::Column::KrId.is_in(chunk.to_vec()))
            .order_by_asc(check_in::Column::CreatedAt)
            .order_by_asc(check_in::Column::Id)
            .all(db)
            .await?
        {
            check_ins.entry(found.kr_id).or_default().push(found);
        }
    }
    for (team, objective, _, key_result, _) in rows {
        for found in check_ins.remove(&key_result.id).unwrap_or_default() {
            out.write_record([
                &safe(&quarter.label),
                &safe(&team),
                &safe(&objective.title),
                &safe(&key_result.title),
                &found.created_at.date().to_string(),
                &exported(found.value),
                &found.confidence.label().to_lowercase(),
                &safe(found.note.as_deref().unwrap_or("")),
                &safe(emails.get(&found.created_by).map_or("", String::as_str)),
            ])
            .map_err(|_| AppError::Internal)?;
        }
    }
    finish(out).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_write_two_decimals_and_no_grouping() {
        assert_eq!(exported(Decimal::from(9_100_000)), "9100000.00");
        assert_eq!(exported(Decimal::new(35, 1)), "3.50");
        assert_eq!(exported(Decimal::new(-5, 0)), "-5.00");
    }
}
