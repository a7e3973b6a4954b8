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
    let supporters = crate::server::commands::alignment::supporters_of(db, id).await?;
    Ok(Some(ObjectiveDraft {
        id: Some(found.id),
        title: found.title,
        team_id: found.team_id,
        owner_id: found.owner_id,
        quarter_id: found.quarter_id,
        key_results,
        check_ins,
        supporters,
    }))
}

/// What objective `id` (of team `team_id`, in quarter `quarter_id`) may
/// support: every objective of another team in its quarter, with its key
/// results, the company's first, then by team and title; not those that
/// support it, directly or further down, which would make a cycle.
pub async fn alignment_choices(
    db: &impl ConnectionTrait,
    id: Uuid,
    team_id: Uuid,
    quarter_id: Uuid,
) -> Result<crate::model::AlignmentChoices, DbErr> {
    use crate::model::{AlignmentChoices, ParentGroup};
    use crate::server::commands::alignment::{ParentChoice, company_teams, quarter_parents};
    use entity::objective_alignment;
    let quarter = quarter::Entity::find_by_id(quarter_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("quarter {quarter_id}")))?;
    let parents = quarter_parents(db, quarter_id).await?;
    let below = |candidate: Uuid| domain::alignment::cycle(&parents, id, candidate).is_some();
    let companies = company_teams(db).await?;
    let teams: HashMap<Uuid, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    let mut objectives = objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(quarter_id))
        .filter(objective::Column::TeamId.ne(team_id))
        .all(db)
        .await?;
    objectives.retain(|candidate| !below(candidate.id));
    let team_name = |team: Uuid| teams.get(&team).cloned().unwrap_or_default();
    objectives.sort_by_cached_key(|candidate| {
        (
            !companies.contains(&candidate.team_id),
            team_name(candidate.team_id),
            candidate.title.clone(),
        )
    });
    let mut key_results: HashMap<Uuid, Vec<key_result::Model>> = HashMap::new();
    for found in key_result::Entity::find()
        .filter(key_result::Column::ObjectiveId.is_in(objectives.iter().map(|o| o.id)))
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
    let current = objective_alignment::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|row| match row.parent_key_result_id {
            Some(key_result) => ParentChoice::KeyResult(key_result).value(),
            None => ParentChoice::Objective(row.parent_objective_id).value(),
        })
        .unwrap_or_default();
    let groups = objectives
        .into_iter()
        .map(|candidate| {
            let team = if companies.contains(&candidate.team_id) {
                format!("{} (company)", team_name(candidate.team_id))
            } else {
                team_name(candidate.team_id)
            };
            ParentGroup {
                label: format!("{team} · {}", candidate.title),
                objective: (
                    ParentChoice::Objective(candidate.id).value(),
                    format!("The objective: {}", candidate.title),
                ),
                key_results: key_results
                    .remove(&candidate.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|found| {
                        (
                            ParentChoice::KeyResult(found.id).value(),
                            format!("Key result: {}", found.title),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(AlignmentChoices {
        current,
        quarter_label: quarter.label,
        read_only: quarter.archived,
        groups,
    })
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
