//! Alignment: which objective, or key result, an objective supports, and
//! which teams stand for the company. Leads align their own team's
//! objectives, admins any; the checks are `domain::alignment`'s, against
//! what the database says inside the write's transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use entity::{company_team, key_result, objective, objective_alignment, quarter, team};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, RelationTrait, Set, TransactionTrait,
};
use uuid::Uuid;

use super::*;
use crate::error::AppError;
use domain::access::Member;
use domain::alignment::{Placement, check_parent};

/// What an objective is to support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentChoice {
    Objective(Uuid),
    KeyResult(Uuid),
}

impl ParentChoice {
    /// A form's value: `objective:<id>` or `key_result:<id>`; empty is
    /// none (unaligned).
    pub fn parse(field: &str, text: &str) -> Result<Option<ParentChoice>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let wrong =
            || AppError::validation(field, "choose an objective or key result from the list");
        let (kind, id) = text.split_once(':').ok_or_else(wrong)?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| wrong())?;
        match kind {
            "objective" => Ok(Some(ParentChoice::Objective(id))),
            "key_result" => Ok(Some(ParentChoice::KeyResult(id))),
            _ => Err(wrong()),
        }
    }

    /// The form's value for this choice.
    pub fn value(self) -> String {
        match self {
            ParentChoice::Objective(id) => format!("objective:{id}"),
            ParentChoice::KeyResult(id) => format!("key_result:{id}"),
        }
    }
}

/// The key of the PostgreSQL advisory lock alignment writes take.
const ALIGNMENT_LOCK: i64 = 0x5255_4e57_4159_414c; // "RUNWAYAL"

/// Takes the alignments' turn for the rest of `txn`: two writes at once
/// (A under B and B under A, on two servers) cannot each miss the other's
/// row and close a cycle. On SQLite the write turn already serializes.
pub async fn alignment_turn(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({ALIGNMENT_LOCK})"))
            .await?;
    }
    Ok(())
}

/// Aligns objective `id` to `parent`, or unaligns it (`None`).
pub async fn align(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    parent: Option<ParentChoice>,
    now: NaiveDateTime,
) -> Result<objective::Model, AppError> {
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    alignment_turn(&txn).await?;
    let child = align_in(&txn, actor, id, parent, now).await?;
    txn.commit().await?;
    Ok(child)
}

/// [`align`] inside `txn`, which holds the write and alignment turns.
pub async fn align_in(
    txn: &impl ConnectionTrait,
    actor: &Member,
    id: Uuid,
    parent: Option<ParentChoice>,
    now: NaiveDateTime,
) -> Result<objective::Model, AppError> {
    let child = objective::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("objective".into()))?;
    may_plan_team(txn, actor, child.team_id).await?;
    let child_quarter = quarter::Entity::find_by_id(child.quarter_id)
        .one(txn)
        .await?
        .ok_or(AppError::Internal)?;
    if child_quarter.archived {
        return Err(read_only(&child_quarter));
    }
    objective_alignment::Entity::delete_by_id(id)
        .exec(txn)
        .await?;
    let Some(choice) = parent else {
        return Ok(child);
    };
    let missing =
        || AppError::validation("parent", "choose an objective or key result from the list");
    let (parent, key_result_id) = match choice {
        ParentChoice::Objective(parent) => (parent, None),
        ParentChoice::KeyResult(key_result) => {
            let found = key_result::Entity::find_by_id(key_result)
                .one(txn)
                .await?
                .ok_or_else(missing)?;
            (found.objective_id, Some(found.id))
        }
    };
    let parent = objective::Entity::find_by_id(parent)
        .one(txn)
        .await?
        .ok_or_else(missing)?;
    let parent_quarter = quarter::Entity::find_by_id(parent.quarter_id)
        .one(txn)
        .await?
        .ok_or(AppError::Internal)?;
    let teams = by_ids::<team::Entity, _>(
        txn,
        team::Column::Id,
        [child.team_id, parent.team_id],
        |found| found.id,
    )
    .await?;
    let team_name = |id: Uuid| teams.get(&id).map_or("", |team| team.name.as_str());
    let titles = quarter_titles(txn, child.quarter_id).await?;
    check_parent(
        &placement(&child, team_name(child.team_id), &child_quarter),
        &placement(&parent, team_name(parent.team_id), &parent_quarter),
        &quarter_parents(txn, child.quarter_id).await?,
        |id| titles.get(&id).cloned().unwrap_or_default(),
    )?;
    objective_alignment::Entity::insert(objective_alignment::ActiveModel {
        objective_id: Set(child.id),
        parent_objective_id: Set(parent.id),
        parent_key_result_id: Set(key_result_id),
        created_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(child)
}

fn placement<'a>(
    objective: &'a objective::Model,
    team: &'a str,
    quarter: &'a quarter::Model,
) -> Placement<'a> {
    Placement {
        id: objective.id,
        title: &objective.title,
        team_id: objective.team_id,
        team,
        quarter_id: quarter.id,
        quarter: &quarter.label,
        archived: quarter.archived,
    }
}

/// Every alignment of a quarter's objectives: child → parent objective.
pub async fn quarter_parents(
    db: &impl ConnectionTrait,
    quarter_id: Uuid,
) -> Result<HashMap<Uuid, Uuid>, DbErr> {
    Ok(objective_alignment::Entity::find()
        .select_only()
        .column(objective_alignment::Column::ObjectiveId)
        .column(objective_alignment::Column::ParentObjectiveId)
        .join(
            sea_orm::JoinType::InnerJoin,
            objective_alignment::Relation::Objective.def(),
        )
        .filter(objective::Column::QuarterId.eq(quarter_id))
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

async fn quarter_titles(
    db: &impl ConnectionTrait,
    quarter_id: Uuid,
) -> Result<HashMap<Uuid, String>, DbErr> {
    Ok(objective::Entity::find()
        .select_only()
        .column(objective::Column::Id)
        .column(objective::Column::Title)
        .filter(objective::Column::QuarterId.eq(quarter_id))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The teams that stand for the company.
pub async fn company_teams(db: &impl ConnectionTrait) -> Result<HashSet<Uuid>, DbErr> {
    Ok(company_team::Entity::find()
        .select_only()
        .column(company_team::Column::TeamId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Refuses a non-admin planning a company team's objectives.
pub fn company_admins_only(
    actor: &Member,
    team: Uuid,
    companies: &HashSet<Uuid>,
) -> Result<(), AppError> {
    if !actor.is_admin() && companies.contains(&team) {
        return Err(AppError::forbidden("only admins plan company objectives"));
    }
    Ok(())
}

/// [`may_plan`], and company objectives for admins only.
pub(crate) async fn may_plan_team(
    db: &impl ConnectionTrait,
    actor: &Member,
    team: Uuid,
) -> Result<(), AppError> {
    may_plan(actor, team)?;
    if !actor.is_admin() {
        company_admins_only(actor, team, &company_teams(db).await?)?;
    }
    Ok(())
}

/// Marks team `id` as the company's, or as a team again.
pub(crate) async fn set_company(
    db: &impl ConnectionTrait,
    id: Uuid,
    company: bool,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    company_team::Entity::delete_by_id(id).exec(db).await?;
    if company {
        company_team::Entity::insert(company_team::ActiveModel {
            team_id: Set(id),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Drops the alignments an edit of objective `id` broke: moved to another
/// quarter, it supports nothing and nothing supports it; moved to another
/// team, alignments within its new team go.
pub(crate) async fn unalign_broken(
    db: &impl ConnectionTrait,
    id: Uuid,
    moved_quarter: bool,
) -> Result<(), DbErr> {
    if moved_quarter {
        objective_alignment::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(objective_alignment::Column::ObjectiveId.eq(id))
                    .add(objective_alignment::Column::ParentObjectiveId.eq(id)),
            )
            .exec(db)
            .await?;
        return Ok(());
    }
    // The rows touching `id` whose other end is now in the same team.
    let rows = objective_alignment::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(objective_alignment::Column::ObjectiveId.eq(id))
                .add(objective_alignment::Column::ParentObjectiveId.eq(id)),
        )
        .all(db)
        .await?;
    let ends: Vec<Uuid> = rows
        .iter()
        .flat_map(|row| [row.objective_id, row.parent_objective_id])
        .collect();
    let teams: HashMap<Uuid, Uuid> = objective::Entity::find()
        .select_only()
        .column(objective::Column::Id)
        .column(objective::Column::TeamId)
        .filter(objective::Column::Id.is_in(ends))
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let broken: Vec<Uuid> = rows
        .iter()
        .filter(|row| teams.get(&row.objective_id) == teams.get(&row.parent_objective_id))
        .map(|row| row.objective_id)
        .collect();
    if !broken.is_empty() {
        objective_alignment::Entity::delete_many()
            .filter(objective_alignment::Column::ObjectiveId.is_in(broken))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// How many objectives support objective `id`, directly or through its key
/// results: what its delete confirmation says.
pub async fn supporters_of(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    objective_alignment::Entity::find()
        .filter(objective_alignment::Column::ParentObjectiveId.eq(id))
        .count(db)
        .await
}

/// The demo's company objectives (`SEED_DEMO`): a team "Company" at the
/// company level with two 2025-Q1 objectives owned by the demo admin, and
/// the three demo team objectives aligned to them, through the writers, in
/// one transaction: a start killed halfway leaves none of it, and the next
/// start adds it. Does nothing when 2025-Q1 or the admin is missing, or a
/// team "Company" exists (so deleted demo objectives stay deleted).
pub async fn seed_demo_company(
    db: &DatabaseConnection,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    use domain::commands::NewObjective;
    const ADMIN: &str = "emily.davis@airline.com";
    const COMPANY: [(&str, &[&str]); 2] = [
        (
            "Grow direct revenue share to 55%",
            &[
                "Grow Direct Channel Revenue",
                "Increase Loyalty Co-brand Revenue",
            ],
        ),
        (
            "Make APAC our second home market",
            &["Expand Corporate Sales in APAC"],
        ),
    ];
    let Some(admin) = crate::server::auth::member_by_email(db, ADMIN).await? else {
        return Ok(false);
    };
    super::admins_only(&admin)?;
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    alignment_turn(&txn).await?;
    let Some(quarter) = quarter::Entity::find()
        .filter(quarter::Column::Label.eq("2025-Q1"))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    if team::Entity::find()
        .filter(lower_eq(team::Column::Name, "Company"))
        .one(&txn)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let company = team::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set("Company".to_owned()),
        organization_id: Set(None),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let company = sea_orm::ActiveModelTrait::insert(company, &txn).await?;
    set_company(&txn, company.id, true, now).await?;
    let created = super::objectives::create_all(
        &txn,
        &admin,
        COMPANY
            .iter()
            .map(|(title, _)| NewObjective {
                title: (*title).to_owned(),
                team_id: company.id,
                owner_id: admin.person_id,
                quarter_id: quarter.id,
            })
            .collect(),
        now,
    )
    .await?;
    for (parent, (_, children)) in created.iter().zip(COMPANY) {
        for title in children {
            let Some(child) = objective::Entity::find()
                .filter(objective::Column::QuarterId.eq(quarter.id))
                .filter(objective::Column::Title.eq(*title))
                .one(&txn)
                .await?
            else {
                continue;
            };
            align_in(
                &txn,
                &admin,
                child.id,
                Some(ParentChoice::Objective(parent.id)),
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}
