//! Objectives: creating, editing and deleting, by admins and the team's
//! lead, in open quarters only.

use chrono::{Duration, NaiveDateTime};
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::*;
use crate::error::AppError;
use domain::access::Member;
use domain::commands::NewObjective;

/// Creates an objective, or edits the one `id` names (the form).
pub async fn save_objective(
    db: &DatabaseConnection,
    actor: &Member,
    id: Option<Uuid>,
    input: NewObjective,
    now: NaiveDateTime,
) -> Result<objective::Model, AppError> {
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    let saved = match id {
        None => create_all(&txn, actor, vec![input], now)
            .await?
            .pop()
            .ok_or(AppError::Internal)?,
        Some(id) => update_in(&txn, actor, id, input, now).await?,
    };
    txn.commit().await?;
    Ok(saved)
}

/// Creates `commands` in order inside `txn` (which holds the write turn),
/// or none of them: each needs a team `actor` may plan that is not
/// archived, an active owner and an open quarter. The form creates one; an
/// import creates many. Later ones are created a microsecond later.
pub async fn create_all(
    txn: &DatabaseTransaction,
    actor: &Member,
    commands: Vec<NewObjective>,
    now: NaiveDateTime,
) -> Result<Vec<objective::Model>, Refusal> {
    let teams = by_ids::<team::Entity, _>(
        txn,
        team::Column::Id,
        commands.iter().map(|command| command.team_id),
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
    let quarters = by_ids::<quarter::Entity, _>(
        txn,
        quarter::Column::Id,
        commands.iter().map(|command| command.quarter_id),
        |found| found.id,
    )
    .await?;
    let companies = alignment::company_teams(txn).await?;
    let mut created = Vec::with_capacity(commands.len());
    for (index, command) in commands.into_iter().enumerate() {
        let check = || -> Result<(), AppError> {
            check_team(actor, command.team_id, teams.get(&command.team_id))?;
            alignment::company_admins_only(actor, command.team_id, &companies)?;
            check_owner("owner_id", people.get(&command.owner_id))?;
            check_open(quarters.get(&command.quarter_id))
        };
        check().map_err(|error| Refusal::of(index, error))?;
        let at = now + Duration::microseconds(index as i64);
        created.push(objective::Model {
            id: Uuid::new_v4(),
            title: command.title,
            team_id: command.team_id,
            quarter_id: command.quarter_id,
            owner_id: command.owner_id,
            organization_id: None,
            created_at: at,
            updated_at: at,
        });
    }
    for chunk in created.chunks(BATCH) {
        let models: Vec<objective::ActiveModel> = chunk.iter().cloned().map(Into::into).collect();
        objective::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(created)
}

/// Edits objective `id` inside `txn`: the same checks as creating, for the
/// objective as it is and as it becomes; moving it to another quarter keeps
/// its check-ins inside that quarter's dates.
pub async fn update_in(
    txn: &DatabaseTransaction,
    actor: &Member,
    id: Uuid,
    input: NewObjective,
    now: NaiveDateTime,
) -> Result<objective::Model, AppError> {
    let team = team::Entity::find_by_id(input.team_id).one(txn).await?;
    check_team(actor, input.team_id, team.as_ref())?;
    alignment::may_plan_team(txn, actor, input.team_id).await?;
    active_person(txn, "owner_id", input.owner_id).await?;
    let quarter = open_quarter(txn, input.quarter_id).await?;
    let existing = objective::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("objective".into()))?;
    alignment::may_plan_team(txn, actor, existing.team_id).await?;
    open_quarter(txn, existing.quarter_id).await?;
    if existing.quarter_id != quarter.id {
        let outside = check_ins_outside(
            txn,
            key_result::Column::ObjectiveId.eq(id),
            quarter.start_at,
            quarter.end_at,
        )
        .await?;
        if outside > 0 {
            return Err(outside_error("quarter_id", "objective", outside, &quarter));
        }
    }
    let moved_quarter = existing.quarter_id != input.quarter_id;
    let moved_team = existing.team_id != input.team_id;
    let mut model = existing.into_active_model();
    model.title = Set(input.title);
    model.team_id = Set(input.team_id);
    model.quarter_id = Set(input.quarter_id);
    model.owner_id = Set(input.owner_id);
    model.updated_at = Set(now);
    let updated = model.update(txn).await?;
    if moved_quarter || moved_team {
        alignment::unalign_broken(txn, id, moved_quarter).await?;
    }
    Ok(updated)
}

/// Deletes an objective with its key results and their check-ins (the
/// spec's cascade), when `confirmed_check_ins` is how many go with it. The
/// objectives that supported it stay, unaligned.
pub async fn delete_objective(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    confirmed_check_ins: u64,
) -> Result<objective::Model, AppError> {
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    let existing = objective::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("objective".into()))?;
    alignment::may_plan_team(&txn, actor, existing.team_id).await?;
    open_quarter(&txn, existing.quarter_id).await?;
    let check_ins = check_in::Entity::find()
        .inner_join(key_result::Entity)
        .filter(key_result::Column::ObjectiveId.eq(id))
        .count(&txn)
        .await?;
    confirm_count(check_ins, confirmed_check_ins)?;
    objective::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(existing)
}
