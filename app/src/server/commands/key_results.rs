//! Key results: creating, editing and deleting, by admins and the team's
//! lead, in open quarters only.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use entity::{check_in, key_result, objective, okr_user, quarter};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::*;
use crate::error::AppError;
use domain::access::Member;
use domain::commands::NewKeyResult;
use domain::rules;

/// What changing a key result's unit or start would change, for the
/// confirmation; `None` when nothing needs confirming.
fn change_warning(
    existing: &key_result::Model,
    input: &NewKeyResult,
    check_ins: u64,
) -> Option<String> {
    if check_ins == 0 {
        return None;
    }
    let mut changes = Vec::new();
    if existing.unit != input.unit {
        changes.push(format!(
            "its unit from {} to {}, so its {check_ins} check-ins read in {}",
            existing.unit.as_str(),
            input.unit.as_str(),
            input.unit.as_str()
        ));
    }
    if existing.start_value != input.start_value {
        changes.push(format!(
            "its start from {} to {}, which changes the progress of its {check_ins} check-ins",
            existing.start_value.normalize(),
            input.start_value.normalize()
        ));
    }
    (!changes.is_empty()).then(|| format!("This changes {}.", changes.join(", and ")))
}

/// Creates a key result in `objective_id`, or edits the one `id` names
/// (the form). Changing the unit or start of one with check-ins needs
/// `confirmed`.
pub async fn save_key_result(
    db: &DatabaseConnection,
    actor: &Member,
    id: Option<Uuid>,
    input: NewKeyResult,
    confirmed: bool,
    now: NaiveDateTime,
) -> Result<key_result::Model, AppError> {
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    let saved = match id {
        None => create_all(&txn, actor, vec![input], now, &())
            .await?
            .pop()
            .ok_or(AppError::Internal)?,
        Some(id) => update_in(&txn, actor, id, input, confirmed, now).await?,
    };
    txn.commit().await?;
    Ok(saved)
}

/// The objective a key result goes into: it exists, `actor` may plan its
/// team, and its quarter is open.
fn check_parent(
    actor: &Member,
    parent: Option<&objective::Model>,
    quarters: &HashMap<Uuid, quarter::Model>,
    companies: &std::collections::HashSet<Uuid>,
) -> Result<(), AppError> {
    let parent =
        parent.ok_or_else(|| AppError::validation("objective_id", "choose an objective"))?;
    may_plan(actor, parent.team_id)?;
    alignment::company_admins_only(actor, parent.team_id, companies)?;
    check_open(quarters.get(&parent.quarter_id))
}

/// With check-ins, a key result's current value is its latest check-in's:
/// a command may leave it out or repeat it, not change it.
pub fn check_current(
    existing: &key_result::Model,
    has_check_ins: bool,
    current: Option<Decimal>,
) -> Result<(), AppError> {
    match current {
        Some(current) if has_check_ins && current != existing.current_value => {
            Err(AppError::validation(
                "current_value",
                format!(
                    "this key result has check-ins, which set its current value ({}); leave it empty",
                    existing.current_value.normalize()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Creates `commands` in order inside `txn` (which holds the write turn),
/// or none of them: each goes into an objective whose team `actor` may
/// plan, in an open quarter, with an active owner. The form creates one; an
/// import creates many, reporting `progress`.
pub async fn create_all(
    txn: &DatabaseTransaction,
    actor: &Member,
    commands: Vec<NewKeyResult>,
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<Vec<key_result::Model>, Refusal> {
    let parents = by_ids::<objective::Entity, _>(
        txn,
        objective::Column::Id,
        commands.iter().map(|command| command.objective_id),
        |found| found.id,
    )
    .await?;
    let companies = alignment::company_teams(txn).await?;
    let quarters = by_ids::<quarter::Entity, _>(
        txn,
        quarter::Column::Id,
        parents.values().map(|parent| parent.quarter_id),
        |found| found.id,
    )
    .await?;
    let people = by_ids::<okr_user::Entity, _>(
        txn,
        okr_user::Column::Id,
        commands.iter().map(|command| command.owner_id),
        |found| found.id,
    )
    .await?;
    let mut created = Vec::with_capacity(commands.len());
    for (index, command) in commands.into_iter().enumerate() {
        let check = || -> Result<domain::Direction, AppError> {
            check_parent(
                actor,
                parents.get(&command.objective_id),
                &quarters,
                &companies,
            )?;
            check_owner("owner_id", people.get(&command.owner_id))?;
            Ok(rules::direction_of(
                command.start_value,
                command.target_value,
            )?)
        };
        let direction = check().map_err(|error| Refusal::of(index, error))?;
        let at = now + Duration::microseconds(index as i64);
        created.push(key_result::Model {
            id: Uuid::new_v4(),
            title: command.title,
            objective_id: command.objective_id,
            owner_id: command.owner_id,
            unit: command.unit,
            direction,
            start_value: command.start_value,
            target_value: command.target_value,
            current_value: command.current_value.unwrap_or(command.start_value),
            created_at: at,
            updated_at: at,
        });
    }
    let total = created.len() as u64;
    let mut done = 0;
    for chunk in created.chunks(BATCH) {
        let models: Vec<key_result::ActiveModel> = chunk.iter().cloned().map(Into::into).collect();
        key_result::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
        done += chunk.len() as u64;
        progress.advance(done, total);
    }
    Ok(created)
}

/// Edits key result `id` inside `txn`: the same checks as creating, for the
/// key result as it is and as it becomes. Moving it to an objective of
/// another quarter keeps its check-ins inside that quarter's dates;
/// changing the unit or start of one with check-ins needs `confirmed`.
pub async fn update_in(
    txn: &DatabaseTransaction,
    actor: &Member,
    id: Uuid,
    input: NewKeyResult,
    confirmed: bool,
    now: NaiveDateTime,
) -> Result<key_result::Model, AppError> {
    let direction = rules::direction_of(input.start_value, input.target_value)?;
    let parent = objective::Entity::find_by_id(input.objective_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::validation("objective_id", "choose an objective"))?;
    alignment::may_plan_team(txn, actor, parent.team_id).await?;
    let quarter = open_quarter(txn, parent.quarter_id).await?;
    active_person(txn, "owner_id", input.owner_id).await?;
    let existing = key_result::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("key result".into()))?;
    if existing.objective_id != parent.id {
        // Moving a key result to another objective: both must be plannable.
        let from = objective::Entity::find_by_id(existing.objective_id)
            .one(txn)
            .await?
            .ok_or(AppError::Internal)?;
        alignment::may_plan_team(txn, actor, from.team_id).await?;
        open_quarter(txn, from.quarter_id).await?;
        // Objectives that supported it supported its old objective.
        entity::objective_alignment::Entity::delete_many()
            .filter(entity::objective_alignment::Column::ParentKeyResultId.eq(id))
            .exec(txn)
            .await?;
        if from.quarter_id != quarter.id {
            let outside = check_ins_outside(
                txn,
                check_in::Column::KrId.eq(id),
                quarter.start_at,
                quarter.end_at,
            )
            .await?;
            if outside > 0 {
                return Err(outside_error(
                    "objective_id",
                    "key result",
                    outside,
                    &quarter,
                ));
            }
        }
    }
    let check_ins = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(id))
        .count(txn)
        .await?;
    check_current(&existing, check_ins > 0, input.current_value)?;
    if let Some(warning) = change_warning(&existing, &input, check_ins)
        && !confirmed
    {
        return Err(AppError::validation(
            "confirm",
            format!("{warning} Tick the box to confirm."),
        ));
    }
    let mut model = existing.into_active_model();
    model.title = Set(input.title);
    model.objective_id = Set(parent.id);
    model.owner_id = Set(input.owner_id);
    model.unit = Set(input.unit);
    model.direction = Set(direction);
    model.start_value = Set(input.start_value);
    model.target_value = Set(input.target_value);
    // With check-ins, the latest one is the current value.
    if check_ins == 0 {
        model.current_value = Set(input.current_value.unwrap_or(input.start_value));
    }
    model.updated_at = Set(now);
    Ok(model.update(txn).await?)
}

/// Deletes a key result with its check-ins, when `confirmed_check_ins` is
/// how many go with it.
pub async fn delete_key_result(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    confirmed_check_ins: u64,
) -> Result<key_result::Model, AppError> {
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    let existing = key_result::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("key result".into()))?;
    let parent = objective::Entity::find_by_id(existing.objective_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    alignment::may_plan_team(&txn, actor, parent.team_id).await?;
    open_quarter(&txn, parent.quarter_id).await?;
    let check_ins = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(id))
        .count(&txn)
        .await?;
    confirm_count(check_ins, confirmed_check_ins)?;
    key_result::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(existing)
}
