//! Planning writes: quarters, teams, objectives and key results, the
//! roll-over into the next quarter, and the review's notes. Every write
//! checks the actor's role and refuses changes inside an archived quarter.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{
    FilterOption, KeyResultDraft, ObjectiveDraft, PersonOption, PlanningOptions, QuarterAdminRow,
    QuarterDraft, QuarterView, RollOverObjective, RollOverPlan, RollOverReport, TeamAdminRow,
};
use domain::access::Member;
use domain::commands::NewKeyResult;
use domain::commands::NewObjective;
use domain::commands::NewQuarter;
use domain::{calendar, rules};

fn admins_only(actor: &Member) -> Result<(), AppError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("admins only"))
    }
}

fn may_plan(actor: &Member, team: Uuid) -> Result<(), AppError> {
    if actor.may_plan(team) {
        Ok(())
    } else if actor.role == domain::Role::Lead {
        Err(AppError::forbidden(
            "leads plan only their own team's objectives",
        ))
    } else {
        Err(AppError::forbidden(
            "only admins and team leads plan objectives",
        ))
    }
}

fn read_only(quarter: &quarter::Model) -> AppError {
    AppError::validation(
        "quarter_id",
        format!(
            "quarter {} is archived and read-only; an admin can reopen it",
            quarter.label
        ),
    )
}

fn lower_eq(column: impl ColumnTrait, text: &str) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::ExprTrait::eq(
        Expr::expr(Func::lower(Expr::col(column))),
        text.to_lowercase(),
    )
}

// ---------------------------------------------------------------------------
// Quarters

/// The key of the PostgreSQL advisory lock that quarter writes take.
const QUARTERS_LOCK: i64 = 0x5255_4e57_4159_5131; // "RUNWAYQ1"

/// Takes the quarters' turn for the rest of the transaction `txn`: the
/// writes that check the quarters and then write (creating, editing or
/// archiving a quarter, rolling one over) take it first, so two at once
/// cannot both find no 2025-Q2 and both create it, or both copy the same
/// objective. On PostgreSQL an advisory lock released at commit or
/// rollback; on SQLite the write turn already runs writes one at a time.
async fn quarters_turn(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({QUARTERS_LOCK})"))
            .await?;
    }
    Ok(())
}

/// Every quarter with its objective count, and the next one to suggest.
pub async fn quarters_admin(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<(Vec<QuarterAdminRow>, QuarterDraft), AppError> {
    let quarters = super::okrs::quarters(db).await?;
    let counts: HashMap<Uuid, i64> = objective::Entity::find()
        .select_only()
        .column(objective::Column::QuarterId)
        .column_as(objective::Column::Id.count(), "count")
        .group_by(objective::Column::QuarterId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let latest_end = quarters.iter().map(|quarter| quarter.end_at).max();
    let (label, start_at, end_at) = calendar::suggested_quarter(latest_end, today);
    let rows = quarters
        .into_iter()
        .map(|quarter| QuarterAdminRow {
            objectives: counts.get(&quarter.id).copied().unwrap_or(0) as u64,
            quarter,
        })
        .collect();
    Ok((
        rows,
        QuarterDraft {
            id: None,
            label,
            start_at,
            end_at,
        },
    ))
}

/// Refuses a label another quarter has, or dates that overlap another
/// quarter's; `except` is the quarter being edited.
async fn check_quarter_fits(
    db: &impl ConnectionTrait,
    input: &NewQuarter,
    except: Option<Uuid>,
) -> Result<(), AppError> {
    let others: Vec<quarter::Model> = quarter::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|other| Some(other.id) != except)
        .collect();
    if let Some(same) = others
        .iter()
        .find(|other| other.label.eq_ignore_ascii_case(&input.label))
    {
        return Err(AppError::validation(
            "label",
            format!("{} is already a quarter's label", same.label),
        ));
    }
    if let Some(overlapping) = others.iter().find(|other| {
        calendar::overlaps(
            (input.start_at, input.end_at),
            (other.start_at, other.end_at),
        )
    }) {
        return Err(AppError::validation(
            "start_at",
            format!(
                "overlaps {} ({} – {}); quarters may not share days",
                overlapping.label,
                overlapping.start_at.format("%b %-d"),
                overlapping.end_at.format("%b %-d, %Y")
            ),
        ));
    }
    Ok(())
}

pub async fn create_quarter(
    db: &DatabaseConnection,
    actor: &Member,
    input: NewQuarter,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    admins_only(actor)?;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    quarters_turn(&txn).await?;
    check_quarter_fits(&txn, &input, None).await?;
    let created = quarter::ActiveModel {
        id: Set(Uuid::new_v4()),
        label: Set(input.label),
        start_at: Set(input.start_at),
        end_at: Set(input.end_at),
        organization_id: Set(None),
        archived: Set(false),
        notes: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update_quarter(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    input: NewQuarter,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    admins_only(actor)?;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    quarters_turn(&txn).await?;
    let existing = quarter::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("quarter_id", "choose a quarter from the list"))?;
    if existing.archived {
        return Err(read_only(&existing));
    }
    check_quarter_fits(&txn, &input, Some(id)).await?;
    // Its check-ins must stay inside its dates.
    let outside = check_ins_outside(
        &txn,
        objective::Column::QuarterId.eq(id),
        input.start_at,
        input.end_at,
    )
    .await?;
    if outside > 0 {
        return Err(AppError::validation(
            "start_at",
            format!("{outside} check-ins of this quarter would fall outside these dates"),
        ));
    }
    let mut model = existing.into_active_model();
    model.label = Set(input.label);
    model.start_at = Set(input.start_at);
    model.end_at = Set(input.end_at);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// How many check-ins of the key results that `scope` picks (a condition
/// on the check-in, its key result or their objective) fall outside the
/// days `start` to `end`: a quarter's check-ins stay inside its dates.
async fn check_ins_outside(
    db: &impl ConnectionTrait,
    scope: sea_orm::sea_query::SimpleExpr,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<u64, DbErr> {
    let day_after = end.succ_opt().unwrap_or(end);
    check_in::Entity::find()
        .inner_join(key_result::Entity)
        .join(
            sea_orm::JoinType::InnerJoin,
            <key_result::Entity as sea_orm::Related<objective::Entity>>::to(),
        )
        .filter(scope)
        .filter(
            sea_orm::Condition::any()
                .add(check_in::Column::CreatedAt.lt(start.and_time(chrono::NaiveTime::MIN)))
                .add(check_in::Column::CreatedAt.gte(day_after.and_time(chrono::NaiveTime::MIN))),
        )
        .count(db)
        .await
}

/// Refuses moving check-ins (`outside` of them, of `what`) into `quarter`,
/// naming `field`.
fn outside_error(field: &str, what: &str, outside: u64, quarter: &quarter::Model) -> AppError {
    AppError::validation(
        field,
        format!(
            "{outside} check-ins of this {what} would fall outside {} ({} – {})",
            quarter.label,
            quarter.start_at.format("%b %-d"),
            quarter.end_at.format("%b %-d, %Y")
        ),
    )
}

/// Archives a quarter (read-only from then on) or reopens it.
pub async fn set_quarter_archived(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    archived: bool,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    admins_only(actor)?;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    quarters_turn(&txn).await?;
    let existing = quarter::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("quarter_id", "choose a quarter from the list"))?;
    let mut model = existing.into_active_model();
    model.archived = Set(archived);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The review's notes of a quarter.
pub async fn quarter_notes(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<String>, DbErr> {
    Ok(quarter::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|found| found.notes))
}

/// Saves the review's notes (admins, and leads), unless the quarter is archived.
pub async fn set_quarter_notes(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    notes: Option<String>,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    if !matches!(actor.role, domain::Role::Admin | domain::Role::Lead) {
        return Err(AppError::forbidden(
            "only admins and team leads write the review's notes",
        ));
    }
    let existing = quarter::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("quarter_id", "choose a quarter from the list"))?;
    if existing.archived {
        return Err(read_only(&existing));
    }
    let mut model = existing.into_active_model();
    model.notes = Set(notes);
    model.updated_at = Set(now);
    Ok(model.update(db).await?)
}

// ---------------------------------------------------------------------------
// Teams

pub async fn teams_admin(db: &impl ConnectionTrait) -> Result<Vec<TeamAdminRow>, DbErr> {
    let people: HashMap<Uuid, i64> = okr_user::Entity::find()
        .select_only()
        .column(okr_user::Column::TeamId)
        .column_as(okr_user::Column::Id.count(), "count")
        .filter(okr_user::Column::Active.eq(true))
        .group_by(okr_user::Column::TeamId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let objectives: HashMap<Uuid, i64> = objective::Entity::find()
        .select_only()
        .column(objective::Column::TeamId)
        .column_as(objective::Column::Id.count(), "count")
        .group_by(objective::Column::TeamId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Archived)
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|found| TeamAdminRow {
            people: people.get(&found.id).copied().unwrap_or(0) as u64,
            objectives: objectives.get(&found.id).copied().unwrap_or(0) as u64,
            id: found.id,
            name: found.name,
            archived: found.archived,
        })
        .collect())
}

async fn check_team_name_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), AppError> {
    let mut query = team::Entity::find().filter(lower_eq(team::Column::Name, name));
    if let Some(except) = except {
        query = query.filter(team::Column::Id.ne(except));
    }
    if query.one(db).await?.is_some() {
        return Err(AppError::validation(
            "name",
            "another team already has this name",
        ));
    }
    Ok(())
}

pub async fn create_team(
    db: &DatabaseConnection,
    actor: &Member,
    name: &str,
    now: NaiveDateTime,
) -> Result<team::Model, AppError> {
    admins_only(actor)?;
    let name = domain::text::check_name("name", name, 100)?;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    check_team_name_free(&txn, &name, None).await?;
    let created = team::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name),
        organization_id: Set(None),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Renames a team, or archives or restores it: an archived team leaves the
/// pickers but keeps its objectives and people.
pub async fn update_team(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    name: Option<&str>,
    archived: Option<bool>,
    now: NaiveDateTime,
) -> Result<team::Model, AppError> {
    admins_only(actor)?;
    let name = name
        .map(|name| domain::text::check_name("name", name, 100))
        .transpose()?;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    let existing = team::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("team_id", "choose a team from the list"))?;
    if let Some(name) = &name {
        check_team_name_free(&txn, name, Some(id)).await?;
    }
    if archived == Some(true) && actor.team_id == id {
        return Err(AppError::validation(
            "team_id",
            "you are in this team; move yourself to another team before archiving it",
        ));
    }
    let mut model = existing.into_active_model();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(archived) = archived {
        model.archived = Set(archived);
    }
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

// ---------------------------------------------------------------------------
// Pickers

/// What the objective and key result forms offer: open quarters, active
/// teams (a lead's own only) and active people.
pub async fn options(db: &impl ConnectionTrait, actor: &Member) -> Result<PlanningOptions, DbErr> {
    let quarters: Vec<QuarterView> = super::okrs::quarters(db)
        .await?
        .into_iter()
        .filter(|quarter| !quarter.archived)
        .collect();
    let teams = team::Entity::find()
        .filter(team::Column::Archived.eq(false))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|found| actor.may_plan(found.id))
        .map(|found| FilterOption {
            id: found.id,
            name: found.name,
        })
        .collect();
    let people = okr_user::Entity::find()
        .filter(okr_user::Column::Active.eq(true))
        .order_by_asc(okr_user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|person| PersonOption {
            id: person.id,
            name: person.name,
            team_id: person.team_id,
        })
        .collect();
    Ok(PlanningOptions {
        quarters,
        teams,
        people,
    })
}

async fn active_person(
    db: &impl ConnectionTrait,
    field: &str,
    id: Uuid,
) -> Result<okr_user::Model, AppError> {
    okr_user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|person| person.active)
        .ok_or_else(|| AppError::validation(field, "choose an active person from the list"))
}

async fn open_quarter(db: &impl ConnectionTrait, id: Uuid) -> Result<quarter::Model, AppError> {
    let found = quarter::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("quarter_id", "choose a quarter from the list"))?;
    if found.archived {
        return Err(read_only(&found));
    }
    Ok(found)
}

// ---------------------------------------------------------------------------
// Objectives

pub async fn objective_draft(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<ObjectiveDraft>, DbErr> {
    let Some(found) = objective::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let key_results = key_result::Entity::find()
        .filter(key_result::Column::ObjectiveId.eq(id))
        .count(db)
        .await?;
    let check_ins = check_in::Entity::find()
        .inner_join(key_result::Entity)
        .filter(key_result::Column::ObjectiveId.eq(id))
        .count(db)
        .await?;
    Ok(Some(ObjectiveDraft {
        id: Some(found.id),
        title: found.title,
        team_id: found.team_id,
        owner_id: found.owner_id,
        quarter_id: found.quarter_id,
        key_results,
        check_ins,
    }))
}

/// Creates an objective, or edits the one `id` names.
pub async fn save_objective(
    db: &DatabaseConnection,
    actor: &Member,
    id: Option<Uuid>,
    input: NewObjective,
    now: NaiveDateTime,
) -> Result<objective::Model, AppError> {
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    may_plan(actor, input.team_id)?;
    let team = team::Entity::find_by_id(input.team_id)
        .one(&txn)
        .await?
        .filter(|found| !found.archived)
        .ok_or_else(|| AppError::validation("team_id", "choose an active team from the list"))?;
    active_person(&txn, "owner_id", input.owner_id).await?;
    let quarter = open_quarter(&txn, input.quarter_id).await?;
    let saved = match id {
        None => {
            objective::ActiveModel {
                id: Set(Uuid::new_v4()),
                title: Set(input.title),
                team_id: Set(team.id),
                quarter_id: Set(input.quarter_id),
                owner_id: Set(input.owner_id),
                organization_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
        Some(id) => {
            let existing = objective::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::NotFound("objective".into()))?;
            may_plan(actor, existing.team_id)?;
            open_quarter(&txn, existing.quarter_id).await?;
            if existing.quarter_id != quarter.id {
                let outside = check_ins_outside(
                    &txn,
                    key_result::Column::ObjectiveId.eq(id),
                    quarter.start_at,
                    quarter.end_at,
                )
                .await?;
                if outside > 0 {
                    return Err(outside_error("quarter_id", "objective", outside, &quarter));
                }
            }
            let mut model = existing.into_active_model();
            model.title = Set(input.title);
            model.team_id = Set(team.id);
            model.quarter_id = Set(input.quarter_id);
            model.owner_id = Set(input.owner_id);
            model.updated_at = Set(now);
            model.update(&txn).await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

/// Deletes an objective with its key results and their check-ins (the
/// spec's cascade), when `confirmed_check_ins` is how many go with it.
pub async fn delete_objective(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    confirmed_check_ins: u64,
) -> Result<objective::Model, AppError> {
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    let existing = objective::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("objective".into()))?;
    may_plan(actor, existing.team_id)?;
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

/// A delete goes ahead only if the check-ins it takes along are those the
/// person confirmed: someone may have checked in since.
fn confirm_count(actual: u64, confirmed: u64) -> Result<(), AppError> {
    if actual != confirmed {
        return Err(AppError::validation(
            "check_ins",
            format!("it now has {actual} check-ins, not {confirmed}: look again and confirm"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Key results

pub async fn key_result_draft(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<KeyResultDraft>, DbErr> {
    let Some(found) = key_result::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let check_ins = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(id))
        .count(db)
        .await?;
    Ok(Some(KeyResultDraft {
        id: Some(found.id),
        objective_id: found.objective_id,
        title: found.title,
        owner_id: found.owner_id,
        unit: found.unit,
        start_value: found.start_value,
        target_value: found.target_value,
        current_value: found.current_value,
        check_ins,
    }))
}

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

/// Creates a key result in `objective_id`, or edits the one `id` names.
/// Changing the unit or start of one with check-ins needs `confirmed`.
pub async fn save_key_result(
    db: &DatabaseConnection,
    actor: &Member,
    id: Option<Uuid>,
    input: NewKeyResult,
    confirmed: bool,
    now: NaiveDateTime,
) -> Result<key_result::Model, AppError> {
    let direction = rules::direction_of(input.start_value, input.target_value)?;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    let parent = objective::Entity::find_by_id(input.objective_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("objective_id", "choose an objective"))?;
    may_plan(actor, parent.team_id)?;
    let quarter = open_quarter(&txn, parent.quarter_id).await?;
    active_person(&txn, "owner_id", input.owner_id).await?;
    let saved = match id {
        None => {
            key_result::ActiveModel {
                id: Set(Uuid::new_v4()),
                title: Set(input.title),
                objective_id: Set(parent.id),
                owner_id: Set(input.owner_id),
                unit: Set(input.unit),
                direction: Set(direction),
                start_value: Set(input.start_value),
                target_value: Set(input.target_value),
                current_value: Set(input.current_value.unwrap_or(input.start_value)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
        Some(id) => {
            let existing = key_result::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::NotFound("key result".into()))?;
            if existing.objective_id != parent.id {
                // Moving a key result to another objective: both must be plannable.
                let from = objective::Entity::find_by_id(existing.objective_id)
                    .one(&txn)
                    .await?
                    .ok_or(AppError::Internal)?;
                may_plan(actor, from.team_id)?;
                open_quarter(&txn, from.quarter_id).await?;
                if from.quarter_id != quarter.id {
                    let outside = check_ins_outside(
                        &txn,
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
                .count(&txn)
                .await?;
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
            model.update(&txn).await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

/// Deletes a key result with its check-ins, when `confirmed_check_ins` is
/// how many go with it.
pub async fn delete_key_result(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    confirmed_check_ins: u64,
) -> Result<key_result::Model, AppError> {
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    let existing = key_result::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("key result".into()))?;
    let parent = objective::Entity::find_by_id(existing.objective_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    may_plan(actor, parent.team_id)?;
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

// ---------------------------------------------------------------------------
// Rolling a quarter over

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
    if !matches!(actor.role, domain::Role::Admin | domain::Role::Lead) {
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
/// title) already in the next quarter is not copied again.
pub async fn roll_over(
    db: &DatabaseConnection,
    actor: &Member,
    label: &str,
    chosen: &[Uuid],
    skip_reached: bool,
    now: NaiveDateTime,
) -> Result<RollOverReport, AppError> {
    if !matches!(actor.role, domain::Role::Admin | domain::Role::Lead) {
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
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    quarters_turn(&txn).await?;
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
            let input = NewQuarter {
                label: draft.label.clone(),
                start_at: draft.start_at,
                end_at: draft.end_at,
            };
            check_quarter_fits(&txn, &input, None).await?;
            let created = quarter::ActiveModel {
                id: Set(Uuid::new_v4()),
                label: Set(input.label),
                start_at: Set(input.start_at),
                end_at: Set(input.end_at),
                organization_id: Set(None),
                archived: Set(false),
                notes: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
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
    }
    txn.commit().await?;
    Ok(report)
}
