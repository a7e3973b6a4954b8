//! Rolling a quarter over: copying chosen objectives and their key results
//! into the next quarter, creating it if needed.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use entity::{key_result, objective, objective_alignment, quarter, team};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::*;
use crate::error::AppError;
use crate::model::{QuarterDraft, RollOverObjective, RollOverPlan, RollOverReport};
use domain::access::Member;
use domain::commands::NewQuarter;
use domain::{calendar, rules};

/// The quarter a roll-over of `from` goes into: the one starting the day
/// after it ends, else the calendar quarter to create.
async fn roll_over_target(
    db: &impl ConnectionTrait,
    from: &quarter::Model,
) -> Result<(QuarterDraft, Option<quarter::Model>), DbErr> {
    let day_after = from.end_at.succ_opt().unwrap_or(from.end_at);
    if let Some(existing) = quarter::Entity::find()
        .filter(quarter::Column::StartAt.eq(day_after))
        .one(db)
        .await?
    {
        return Ok((
            QuarterDraft {
                id: Some(existing.id),
                label: existing.label.clone(),
                start_at: existing.start_at,
                end_at: existing.end_at,
            },
            Some(existing),
        ));
    }
    let (label, start_at, end_at) = calendar::following_quarter(from.end_at);
    Ok((
        QuarterDraft {
            id: None,
            label,
            start_at,
            end_at,
        },
        None,
    ))
}

/// What "Start the next quarter from this one" offers `actor`: the target
/// quarter and the objectives they may copy, with which are there already.
pub async fn roll_over_plan(
    db: &impl ConnectionTrait,
    actor: &Member,
    label: &str,
) -> Result<Option<RollOverPlan>, AppError> {
    let Some(from) = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !actor.is_planner() {
        return Err(AppError::forbidden(
            "only admins and team leads roll a quarter over",
        ));
    }
    let (to, existing) = roll_over_target(db, &from).await?;
    let copied: Vec<(String, Uuid)> = match &existing {
        Some(target) => objective::Entity::find()
            .filter(objective::Column::QuarterId.eq(target.id))
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.title, found.team_id))
            .collect(),
        None => vec![],
    };
    let teams: HashMap<Uuid, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    // The quarter's key results in one statement, by objective.
    let mut by_objective: HashMap<Uuid, Vec<key_result::Model>> = HashMap::new();
    for kr in key_result::Entity::find()
        .inner_join(objective::Entity)
        .filter(objective::Column::QuarterId.eq(from.id))
        .all(db)
        .await?
    {
        by_objective.entry(kr.objective_id).or_default().push(kr);
    }
    let mut objectives = Vec::new();
    for found in objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(from.id))
        .order_by_asc(objective::Column::CreatedAt)
        .order_by_asc(objective::Column::Title)
        .all(db)
        .await?
    {
        if !actor.may_plan(found.team_id) {
            continue;
        }
        let key_results = by_objective.remove(&found.id).unwrap_or_default();
        let reached = key_results
            .iter()
            .filter(|kr| rules::reached(kr.direction, kr.current_value, kr.target_value))
            .count() as u64;
        objectives.push(RollOverObjective {
            already_copied: copied
                .iter()
                .any(|(title, team)| *title == found.title && *team == found.team_id),
            id: found.id,
            team: teams.get(&found.team_id).cloned().unwrap_or_default(),
            title: found.title,
            key_results: key_results.len() as u64,
            reached,
        });
    }
    Ok(Some(RollOverPlan {
        from: from.into(),
        to,
        objectives,
    }))
}

/// Copies the chosen objectives of quarter `label` and their key results
/// into the next quarter (creating it if needed), in one transaction: the
/// new start is the old current value; target, owner and unit stay; no
/// check-ins. Key results already reached are left out with
/// `skip_reached`. An objective (by team and title) or key result (by
/// title) already in the next quarter is not copied again. Alignments come
/// along where both ends do ([`keep_alignments`]).
pub async fn roll_over(
    db: &DatabaseConnection,
    actor: &Member,
    label: &str,
    chosen: &[Uuid],
    skip_reached: bool,
    now: NaiveDateTime,
) -> Result<RollOverReport, AppError> {
    if !actor.is_planner() {
        return Err(AppError::forbidden(
            "only admins and team leads roll a quarter over",
        ));
    }
    if chosen.is_empty() {
        return Err(AppError::validation(
            "objective_ids",
            "choose at least one objective to copy",
        ));
    }
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    quarters_turn(&txn).await?;
    // Alignments are written below; with their turn, no alignment made at
    // the same time can close a cycle with them.
    super::alignment::alignment_turn(&txn).await?;
    let from = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("quarter {}", domain::text::echo(label))))?;
    let (draft, existing) = roll_over_target(&txn, &from).await?;
    let (target, created_quarter) = match existing {
        Some(target) if target.archived => return Err(read_only(&target)),
        Some(target) => (target, false),
        None => {
            let input = NewQuarter::new(&draft.label, draft.start_at, draft.end_at)?;
            let created = super::quarters::create_in(&txn, input, now).await?;
            (created, true)
        }
    };
    let mut report = RollOverReport {
        to_label: target.label.clone(),
        created_quarter,
        objectives_copied: 0,
        key_results_copied: 0,
        left_out_reached: 0,
        already_there: 0,
    };
    // Each chosen objective and its copy, in the order chosen.
    let mut copies: Vec<(Uuid, objective::Model)> = Vec::new();
    for id in chosen {
        let source = objective::Entity::find_by_id(*id)
            .one(&txn)
            .await?
            .filter(|found| found.quarter_id == from.id)
            .ok_or_else(|| {
                AppError::validation("objective_ids", "choose objectives of this quarter")
            })?;
        may_plan(actor, source.team_id)?;
        let copy = match objective::Entity::find()
            .filter(objective::Column::QuarterId.eq(target.id))
            .filter(objective::Column::TeamId.eq(source.team_id))
            .filter(objective::Column::Title.eq(source.title.clone()))
            .one(&txn)
            .await?
        {
            Some(copy) => copy,
            None => {
                report.objectives_copied += 1;
                objective::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    title: Set(source.title.clone()),
                    team_id: Set(source.team_id),
                    quarter_id: Set(target.id),
                    owner_id: Set(source.owner_id),
                    organization_id: Set(source.organization_id),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        let there: Vec<String> = key_result::Entity::find()
            .filter(key_result::Column::ObjectiveId.eq(copy.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|kr| kr.title)
            .collect();
        for kr in key_result::Entity::find()
            .filter(key_result::Column::ObjectiveId.eq(source.id))
            .order_by_asc(key_result::Column::CreatedAt)
            .order_by_asc(key_result::Column::Title)
            .all(&txn)
            .await?
        {
            if there.contains(&kr.title) {
                report.already_there += 1;
                continue;
            }
            if skip_reached && rules::reached(kr.direction, kr.current_value, kr.target_value) {
                report.left_out_reached += 1;
                continue;
            }
            // The new start is where the old one ended; if that is already
            // the target, the key result has nowhere to go and is left out.
            if kr.current_value == kr.target_value {
                report.left_out_reached += 1;
                continue;
            }
            let direction =
                rules::direction_of(kr.current_value, kr.target_value).unwrap_or(kr.direction);
            key_result::ActiveModel {
                id: Set(Uuid::new_v4()),
                title: Set(kr.title),
                objective_id: Set(copy.id),
                owner_id: Set(kr.owner_id),
                unit: Set(kr.unit),
                direction: Set(direction),
                start_value: Set(kr.current_value),
                target_value: Set(kr.target_value),
                current_value: Set(kr.current_value),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            report.key_results_copied += 1;
        }
        if !copies.iter().any(|(source_id, _)| *source_id == source.id) {
            copies.push((source.id, copy));
        }
    }
    keep_alignments(&txn, from.id, target.id, &copies, now).await?;
    txn.commit().await?;
    Ok(report)
}

/// Keeps the alignments of the objectives copied (`copies`: source id and
/// copy, in the order chosen) where both ends made it to the next quarter:
/// if a source supported objective P (or its key result k), its copy
/// supports P's copy, one made in this roll-over or one already in quarter
/// `to` (by team and title, as "already copied" reads it; so a lead's
/// copies still reach the company's copied objective). A supported key
/// result is matched by title within P's copy; one not copied (reached) is
/// replaced by P's copy itself. A copy already aligned keeps its own
/// alignment, and one that would close a cycle with the alignments `to`
/// already has is left unaligned.
async fn keep_alignments(
    txn: &impl ConnectionTrait,
    from: Uuid,
    to: Uuid,
    copies: &[(Uuid, objective::Model)],
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let mut rows: HashMap<Uuid, objective_alignment::Model> =
        by_ids::<objective_alignment::Entity, _>(
            txn,
            objective_alignment::Column::ObjectiveId,
            copies.iter().map(|(source_id, _)| *source_id),
            |row| row.objective_id,
        )
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    // Everything the loop looks up, read once: the parents, the key
    // results they supported, and the next quarter's objectives and their
    // key results (a parent's copy may come from an earlier roll-over).
    let sources = by_ids::<objective::Entity, _>(
        txn,
        objective::Column::Id,
        rows.values().map(|row| row.parent_objective_id),
        |found| found.id,
    )
    .await?;
    let supported = by_ids::<key_result::Entity, _>(
        txn,
        key_result::Column::Id,
        rows.values().filter_map(|row| row.parent_key_result_id),
        |found| found.id,
    )
    .await?;
    let next: HashMap<(Uuid, String), objective::Model> = objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(to))
        .all(txn)
        .await?
        .into_iter()
        .map(|found| ((found.team_id, found.title.clone()), found))
        .collect();
    let next_key_results: HashMap<(Uuid, String), Uuid> = key_result::Entity::find()
        .inner_join(objective::Entity)
        .filter(objective::Column::QuarterId.eq(to))
        .all(txn)
        .await?
        .into_iter()
        .map(|found| ((found.objective_id, found.title), found.id))
        .collect();
    let mut parents = super::alignment::quarter_parents(txn, to).await?;
    for (source_id, copy) in copies {
        let Some(row) = rows.remove(source_id) else {
            continue;
        };
        if parents.contains_key(&copy.id) {
            continue;
        }
        let Some(parent) = sources
            .get(&row.parent_objective_id)
            .filter(|parent| parent.quarter_id == from)
        else {
            continue;
        };
        let parent_copy = match copies.iter().find(|(source_id, _)| *source_id == parent.id) {
            Some((_, parent_copy)) => parent_copy,
            None => match next.get(&(parent.team_id, parent.title.clone())) {
                Some(parent_copy) => parent_copy,
                None => continue,
            },
        };
        if parent_copy.team_id == copy.team_id
            || domain::alignment::cycle(&parents, copy.id, parent_copy.id).is_some()
        {
            continue;
        }
        let key_result_id = row
            .parent_key_result_id
            .and_then(|id| supported.get(&id))
            .and_then(|found| {
                next_key_results
                    .get(&(parent_copy.id, found.title.clone()))
                    .copied()
            });
        objective_alignment::Entity::insert(objective_alignment::ActiveModel {
            objective_id: Set(copy.id),
            parent_objective_id: Set(parent_copy.id),
            parent_key_result_id: Set(key_result_id),
            created_at: Set(now),
        })
        .exec_without_returning(txn)
        .await?;
        parents.insert(copy.id, parent_copy.id);
    }
    Ok(())
}
