//! Recording check-ins.

use chrono::{NaiveDate, NaiveDateTime};
use domain::Role;
use entity::{check_in, key_result, objective, okr_user, person_role, quarter};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::error::AppError;
use domain::access::Member;
use domain::commands::NewCheckIn;

/// When a check-in dated `date` (today when absent) is recorded at `now`.
/// It must fall inside its quarter and not in the future; the time of day is
/// the moment of recording, so same-day check-ins keep their order.
fn recorded_at(
    date: Option<NaiveDate>,
    now: NaiveDateTime,
    quarter: &quarter::Model,
) -> Result<NaiveDateTime, AppError> {
    let today = now.date();
    let date = date.unwrap_or_else(|| today.min(quarter.end_at));
    let window = format!(
        "must be within {} ({} – {})",
        quarter.label,
        quarter.start_at.format("%b %-d"),
        quarter.end_at.format("%b %-d, %Y")
    );
    if date < quarter.start_at || date > quarter.end_at {
        return Err(AppError::validation("date", window));
    }
    if date > today {
        return Err(AppError::validation("date", "cannot be in the future"));
    }
    Ok(date.and_time(now.time()))
}

/// A check-in dated a past day takes the time of day it was recorded at,
/// which says nothing about its order among that day's earlier recordings:
/// it goes just after the last of them, so the later recording is the later
/// check-in.
async fn after_earlier_recordings(
    db: &impl ConnectionTrait,
    key_result_id: Uuid,
    at: NaiveDateTime,
) -> Result<NaiveDateTime, AppError> {
    let day_start = at.date().and_time(chrono::NaiveTime::MIN);
    let last_that_day = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result_id))
        .filter(check_in::Column::CreatedAt.gte(day_start))
        .filter(check_in::Column::CreatedAt.lt(day_start + chrono::Duration::days(1)))
        .order_by_desc(check_in::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(match last_that_day {
        Some(last) if last.created_at >= at => last.created_at + chrono::Duration::microseconds(1),
        _ => at,
    })
}

/// Stores a check-in and brings its key result's `current_value` up to the
/// latest check-in, in one transaction: the two never disagree.
pub async fn record(
    db: &DatabaseConnection,
    input: NewCheckIn,
    now: NaiveDateTime,
) -> Result<check_in::Model, AppError> {
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    let saved = record_in(&txn, input, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// [`record`] inside the caller's transaction, which must hold the write
/// turn: for callers that store more in the same transaction (the API's
/// idempotency keys).
pub async fn record_in(
    txn: &DatabaseTransaction,
    input: NewCheckIn,
    now: NaiveDateTime,
) -> Result<check_in::Model, AppError> {
    // Touching the key result first takes its row lock (a write lock on
    // SQLite), so concurrent check-ins on one key result run one after the
    // other and each sees the ones committed before it.
    let touched = key_result::Entity::update_many()
        .col_expr(key_result::Column::UpdatedAt, Expr::value(now))
        .filter(key_result::Column::Id.eq(input.key_result_id))
        .exec(txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(AppError::validation(
            "key_result_id",
            "this key result does not exist",
        ));
    }

    let quarter = quarter::Entity::find()
        .join(
            sea_orm::JoinType::InnerJoin,
            quarter::Relation::Objective.def(),
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            objective::Relation::KeyResult.def(),
        )
        .filter(key_result::Column::Id.eq(input.key_result_id))
        .one(txn)
        .await?
        .ok_or(AppError::Internal)?;
    if quarter.archived {
        return Err(AppError::validation(
            "key_result_id",
            format!(
                "quarter {} is archived; it takes no more check-ins",
                quarter.label
            ),
        ));
    }

    // The author is the signed-in person; their role decides, as it stands
    // in this transaction, whether they may check in here.
    let Some((author, role)) = okr_user::Entity::find_by_id(input.author_id)
        .find_also_related(person_role::Entity)
        .one(txn)
        .await?
        .filter(|(person, _)| person.active)
    else {
        return Err(AppError::forbidden(
            "you are not an active member of any team",
        ));
    };
    let (key_result, objective) = key_result::Entity::find_by_id(input.key_result_id)
        .find_also_related(objective::Entity)
        .one(txn)
        .await?
        .and_then(|(key_result, objective)| Some((key_result, objective?)))
        .ok_or(AppError::Internal)?;
    let member = Member {
        person_id: author.id,
        team_id: author.team_id,
        role: role.map_or(Role::Member, |role| role.role),
    };
    if !member.may_check_in(key_result.owner_id, objective.team_id) {
        return Err(AppError::forbidden(
            "you can check in only on key results of your team or that you own",
        ));
    }

    let at = recorded_at(input.date, now, &quarter)?;
    let created_at = if at.date() == now.date() {
        at
    } else {
        after_earlier_recordings(txn, input.key_result_id, at).await?
    };
    let saved = check_in::ActiveModel {
        id: Set(Uuid::new_v4()),
        kr_id: Set(input.key_result_id),
        value: Set(input.value),
        confidence: Set(input.confidence),
        note: Set(input.note),
        created_by: Set(input.author_id),
        created_at: Set(created_at),
    }
    .insert(txn)
    .await?;

    // A back-dated check-in is not the latest one: take the value of whichever is.
    let latest = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(input.key_result_id))
        .order_by_desc(check_in::Column::CreatedAt)
        .order_by_desc(check_in::Column::Id)
        .one(txn)
        .await?
        .ok_or(AppError::Internal)?;
    key_result::Entity::update_many()
        .col_expr(key_result::Column::CurrentValue, Expr::value(latest.value))
        .filter(key_result::Column::Id.eq(input.key_result_id))
        .exec(txn)
        .await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn quarter() -> quarter::Model {
        let now = NaiveDate::from_ymd_opt(2025, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        quarter::Model {
            id: Uuid::new_v4(),
            label: "2025-Q1".into(),
            start_at: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            end_at: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
            organization_id: None,
            archived: false,
            notes: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 30, 0)
            .unwrap()
    }

    #[test]
    fn a_check_in_during_the_quarter_is_dated_now() {
        let now = at(2025, 2, 10, 14);
        assert_eq!(recorded_at(None, now, &quarter()).unwrap(), now);
    }

    #[test]
    fn after_the_quarter_it_defaults_to_its_last_day() {
        let now = at(2026, 11, 25, 8);
        assert_eq!(
            recorded_at(None, now, &quarter()).unwrap(),
            at(2025, 3, 31, 8)
        );
    }

    #[test]
    fn dates_outside_the_quarter_or_in_the_future_are_refused() {
        let now = at(2025, 2, 10, 14);
        let april = NaiveDate::from_ymd_opt(2025, 4, 1);
        assert_eq!(
            recorded_at(april, now, &quarter()).unwrap_err().field(),
            Some("date")
        );
        let tomorrow = NaiveDate::from_ymd_opt(2025, 2, 11);
        assert_eq!(
            recorded_at(tomorrow, now, &quarter()).unwrap_err().field(),
            Some("date")
        );
    }
}
