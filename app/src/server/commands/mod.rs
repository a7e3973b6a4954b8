//! One writer per action. Every way in (the pages' server functions,
//! `/api/v1`, CSV import, roll-over) parses its input into a `domain`
//! command and calls the writer here, which takes a transaction holding the
//! write turn, the acting person and the command; checks access inside that
//! transaction, against what the database says now; and writes the rows.
//! A rule that needs the database therefore has one home, next to its write.

pub mod alignment;
pub mod check_ins;
pub mod key_results;
pub mod objectives;
pub mod quarters;
pub mod roll_over;
pub mod teams;

use chrono::NaiveDate;
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::error::AppError;
use domain::access::Member;

/// Reports how far a long write has come (an import's rows).
pub trait Progress: Send + Sync {
    fn advance(&self, done: u64, total: u64);
}

impl Progress for () {
    fn advance(&self, _: u64, _: u64) {}
}

/// Why a batch was not written: the command (by its index in the batch)
/// that broke a rule, or `None` for a failure of the database.
#[derive(Debug)]
pub struct Refusal {
    pub index: Option<usize>,
    pub error: AppError,
}

impl Refusal {
    pub fn of(index: usize, error: impl Into<AppError>) -> Refusal {
        Refusal {
            index: Some(index),
            error: error.into(),
        }
    }
}

impl From<DbErr> for Refusal {
    fn from(error: DbErr) -> Refusal {
        Refusal {
            index: None,
            error: error.into(),
        }
    }
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Refusal {
        Refusal { index: None, error }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        refusal.error
    }
}

/// Admins only: people, quarters, teams.
pub fn admins_only(actor: &Member) -> Result<(), AppError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("admins only"))
    }
}

/// The key of the PostgreSQL advisory lock that quarter writes take.
const QUARTERS_LOCK: i64 = 0x5255_4e57_4159_5131; // "RUNWAYQ1"

/// Takes the quarters' turn for the rest of the transaction `txn`: every
/// write that checks the quarters and then writes (creating, editing or
/// archiving a quarter, rolling one over, an import that creates one) takes
/// it first, so two at once cannot both find no 2025-Q2 and both create it.
/// On PostgreSQL an advisory lock released at commit or rollback; on SQLite
/// the write turn already runs writes one at a time.
pub async fn quarters_turn(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({QUARTERS_LOCK})"))
            .await?;
    }
    Ok(())
}

pub(crate) fn may_plan(actor: &Member, team: Uuid) -> Result<(), AppError> {
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

pub(crate) fn read_only(quarter: &quarter::Model) -> AppError {
    AppError::validation(
        "quarter_id",
        format!(
            "quarter {} is archived and read-only; an admin can reopen it",
            quarter.label
        ),
    )
}

pub(crate) fn lower_eq(column: impl ColumnTrait, text: &str) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::ExprTrait::eq(
        Expr::expr(Func::lower(Expr::col(column))),
        text.to_lowercase(),
    )
}

/// An owner a command names: an active person. `field` names where.
pub fn check_owner(field: &str, person: Option<&okr_user::Model>) -> Result<(), AppError> {
    match person {
        Some(person) if person.active => Ok(()),
        Some(person) => Err(AppError::validation(
            field,
            format!("{} is no longer active", person.name),
        )),
        None => Err(AppError::validation(
            field,
            "choose an active person from the list",
        )),
    }
}

/// A team whose objectives `actor` may plan: it exists, it is theirs to
/// plan, and it is not archived.
pub fn check_team(actor: &Member, id: Uuid, team: Option<&team::Model>) -> Result<(), AppError> {
    may_plan(actor, id)?;
    match team {
        Some(team) if team.archived => Err(AppError::validation(
            "team_id",
            format!("team {} is archived", team.name),
        )),
        Some(_) => Ok(()),
        None => Err(AppError::validation(
            "team_id",
            "choose an active team from the list",
        )),
    }
}

/// A quarter open for planning: it exists and is not archived.
pub fn check_open(quarter: Option<&quarter::Model>) -> Result<(), AppError> {
    match quarter {
        Some(quarter) if quarter.archived => Err(read_only(quarter)),
        Some(_) => Ok(()),
        None => Err(AppError::validation(
            "quarter_id",
            "choose a quarter from the list",
        )),
    }
}

pub(crate) async fn active_person(
    db: &impl ConnectionTrait,
    field: &str,
    id: Uuid,
) -> Result<okr_user::Model, AppError> {
    let found = okr_user::Entity::find_by_id(id).one(db).await?;
    check_owner(field, found.as_ref())?;
    found.ok_or(AppError::Internal)
}

pub(crate) async fn open_quarter(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<quarter::Model, AppError> {
    let found = quarter::Entity::find_by_id(id).one(db).await?;
    check_open(found.as_ref())?;
    found.ok_or(AppError::Internal)
}

/// The rows of `entity` whose primary key is among `ids`, by id, read
/// [`BATCH`] ids a statement.
pub(crate) async fn by_ids<E, C>(
    db: &impl ConnectionTrait,
    column: C,
    ids: impl IntoIterator<Item = Uuid>,
    id_of: impl Fn(&E::Model) -> Uuid,
) -> Result<std::collections::HashMap<Uuid, E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let ids: Vec<Uuid> = ids
        .into_iter()
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    let mut found = std::collections::HashMap::new();
    for chunk in ids.chunks(BATCH) {
        for model in E::find()
            .filter(column.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(id_of(&model), model);
        }
    }
    Ok(found)
}

/// Rows written, or ids read, per statement.
pub const BATCH: usize = 500;

/// How many check-ins of the key results that `scope` picks (a condition
/// on the check-in, its key result or their objective) fall outside the
/// days `start` to `end`: a quarter's check-ins stay inside its dates.
pub(crate) async fn check_ins_outside(
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
pub(crate) fn outside_error(
    field: &str,
    what: &str,
    outside: u64,
    quarter: &quarter::Model,
) -> AppError {
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

/// A delete goes ahead only if the check-ins it takes along are those the
/// person confirmed: someone may have checked in since.
pub(crate) fn confirm_count(actual: u64, confirmed: u64) -> Result<(), AppError> {
    if actual != confirmed {
        return Err(AppError::validation(
            "check_ins",
            format!("it now has {actual} check-ins, not {confirmed}: look again and confirm"),
        ));
    }
    Ok(())
}
