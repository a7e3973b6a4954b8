//! What the planning pages read: the quarters' and teams' admin lists, the
//! pickers of the objective and key result forms, their drafts, and a
//! quarter's review notes.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{
    FilterOption, KeyResultDraft, ObjectiveDraft, PersonOption, PlanningOptions, QuarterAdminRow,
    QuarterDraft, QuarterView, TeamAdminRow,
};
use domain::access::Member;
use domain::calendar;

/// Every quarter with its objective count, and the next one to suggest.
pub async fn quarters_admin(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<(Vec<QuarterAdminRow>, QuarterDraft), AppError> {
    let quarters = crate::server::queries::dashboard::quarters(db).await?;
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

/// The review's notes of a quarter.
pub async fn quarter_notes(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<String>, DbErr> {
    Ok(quarter::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|found| found.notes))
}

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
    let companies = crate::server::commands::alignment::company_teams(db).await?;
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Archived)
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|found| TeamAdminRow {
            company: companies.contains(&found.id),
            people: people.get(&found.id).copied().unwrap_or(0) as u64,
            objectives: objectives.get(&found.id).copied().unwrap_or(0) as u64,
            id: found.id,
            name: found.name,
            archived: found.archived,
        })
        .collect())
}

/// What the objective and key result forms offer: open quarters, active
/// teams (a lead's own only) and active people.
pub async fn options(db: &impl ConnectionTrait, actor: &Member) -> Result<PlanningOptions, DbErr> {
    let quarters: Vec<QuarterView> = crate::server::queries::dashboard::quarters(db)
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

/// A quarter's label, by id.
pub async fn quarter_label(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<String>, DbErr> {
    Ok(quarter::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|found| found.label))
}

/// A person, active or not, by id.
pub async fn person(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<okr_user::Model>, DbErr> {
    okr_user::Entity::find_by_id(id).one(db).await
}

/// A team, archived or not, by id.
pub async fn team(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<team::Model>, DbErr> {
    team::Entity::find_by_id(id).one(db).await
}

/// An objective with its quarter, by the objective's id.
pub async fn objective_with_quarter(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(objective::Model, quarter::Model)>, DbErr> {
    Ok(objective::Entity::find_by_id(id)
        .find_also_related(quarter::Entity)
        .one(db)
        .await?
        .and_then(|(objective, quarter)| Some((objective, quarter?))))
}
