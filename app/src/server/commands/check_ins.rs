//! Recording check-ins: the one writer behind the check-in form, `/api/v1`
//! and CSV import. Its rules ([`Facts::check`]) are also what an import's
//! preview checks, against one read of the database.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use entity::{check_in, key_result, objective, okr_user, person_role, quarter};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{BATCH, Progress, Refusal};
use crate::error::AppError;
use domain::access::Member;
use domain::calendar::{self, Window};
use domain::commands::NewCheckIn;
use domain::{Role, rules};

/// A key result as the check-in rules see it.
struct Target {
    key_result: key_result::Model,
    team_id: Uuid,
    quarter: quarter::Model,
}

/// What the check-in rules need from the database, read once for a batch:
/// the acting person's membership as it stands now, the key results the
/// commands name with their team and quarter, and their authors.
pub struct Facts {
    acting: Option<Member>,
    targets: HashMap<Uuid, Target>,
    people: HashMap<Uuid, okr_user::Model>,
}

impl Facts {
    pub async fn load(
        db: &impl ConnectionTrait,
        acting: Uuid,
        commands: &[NewCheckIn],
    ) -> Result<Facts, DbErr> {
        let acting = okr_user::Entity::find_by_id(acting)
            .find_also_related(person_role::Entity)
            .one(db)
            .await?
            .filter(|(person, _)| person.active)
            .map(|(person, role)| Member {
                person_id: person.id,
                team_id: person.team_id,
                role: role.map_or(Role::Member, |role| role.role),
            });
        let ids = distinct(commands.iter().map(|command| command.key_result_id));
        let mut found = Vec::new();
        for chunk in ids.chunks(BATCH) {
            found.extend(
                key_result::Entity::find()
                    .filter(key_result::Column::Id.is_in(chunk.to_vec()))
                    .find_also_related(objective::Entity)
                    .all(db)
                    .await?,
            );
        }
        let quarter_ids = distinct(
            found
                .iter()
                .filter_map(|(_, objective)| objective.as_ref().map(|found| found.quarter_id)),
        );
        let quarters: HashMap<Uuid, quarter::Model> = quarter::Entity::find()
            .filter(quarter::Column::Id.is_in(quarter_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.id, found))
            .collect();
        let targets = found
            .into_iter()
            .filter_map(|(key_result, objective)| {
                let objective = objective?;
                let quarter = quarters.get(&objective.quarter_id)?.clone();
                Some((
                    key_result.id,
                    Target {
                        key_result,
                        team_id: objective.team_id,
                        quarter,
                    },
                ))
            })
            .collect();
        let author_ids = distinct(commands.iter().map(|command| command.author_id));
        let mut people = HashMap::new();
        for chunk in author_ids.chunks(BATCH) {
            for person in okr_user::Entity::find()
                .filter(okr_user::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
            {
                people.insert(person.id, person);
            }
        }
        Ok(Facts {
            acting,
            targets,
            people,
        })
    }

    /// The rules a check-in must meet, in one place: the key result exists
    /// and its quarter is open; the acting person is an active member who
    /// may check in on it; the author is the acting person (only an admin
    /// records check-ins for someone else, as an import's data migration),
    /// and active; the date lies in the quarter and not after `today`; and
    /// the value's sign suits the key result. Gives the day it is dated.
    pub fn check(&self, command: &NewCheckIn, today: NaiveDate) -> Result<NaiveDate, AppError> {
        let Some(target) = self.targets.get(&command.key_result_id) else {
            return Err(AppError::validation(
                "key_result_id",
                "this key result does not exist",
            ));
        };
        let quarter = &target.quarter;
        if quarter.archived {
            return Err(AppError::validation(
                "key_result_id",
                format!(
                    "quarter {} is archived; it takes no more check-ins",
                    quarter.label
                ),
            ));
        }
        let Some(acting) = self.acting else {
            return Err(AppError::forbidden(
                "you are not an active member of any team",
            ));
        };
        if command.author_id != acting.person_id {
            if !acting.is_admin() {
                return Err(AppError::validation(
                    "author_id",
                    "you record check-ins as yourself; only an admin records them for someone else",
                ));
            }
            match self.people.get(&command.author_id) {
                Some(author) if !author.active => {
                    return Err(AppError::validation(
                        "author_id",
                        format!("{} is no longer active", author.name),
                    ));
                }
                Some(_) => {}
                None => {
                    return Err(AppError::validation("author_id", "no such person"));
                }
            }
        }
        let key_result = &target.key_result;
        if !acting.may_check_in(key_result.owner_id, target.team_id) {
            return Err(AppError::forbidden(
                "you can check in only on key results of your team or that you own",
            ));
        }
        let window = Window {
            label: &quarter.label,
            start: quarter.start_at,
            end: quarter.end_at,
        };
        let day = calendar::check_in_day(command.date, today, window)?;
        rules::check_sign(
            "value",
            key_result.unit,
            key_result.start_value,
            key_result.target_value,
            command.value,
        )?;
        Ok(day)
    }
}

fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}

/// Records a person's own check-in and brings its key result's
/// `current_value` up to the latest check-in, in one transaction: the two
/// never disagree.
pub async fn record(
    db: &DatabaseConnection,
    command: NewCheckIn,
    now: NaiveDateTime,
) -> Result<check_in::Model, AppError> {
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    let saved = record_in(&txn, command, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// [`record`] inside the caller's transaction, which must hold the write
/// turn: for callers that store more in the same transaction (the API's
/// idempotency keys). The author is the one recording.
pub async fn record_in(
    txn: &DatabaseTransaction,
    command: NewCheckIn,
    now: NaiveDateTime,
) -> Result<check_in::Model, AppError> {
    let acting = command.author_id;
    let mut saved = record_all(txn, acting, vec![command], now, &()).await?;
    saved.pop().ok_or(AppError::Internal)
}

/// Records `commands` in order, as `acting`, inside the caller's
/// transaction (which must hold the write turn): every one meets
/// [`Facts::check`] or nothing is written, and the first that does not is
/// refused by its index. Each key result's `current_value` becomes its
/// latest check-in's value.
///
/// A check-in takes the clock time of recording on its day. Dated another
/// day, it goes just after any check-in already stored for that key result
/// and day, so the later recording is the later check-in; within a batch,
/// rows keep their order (a file's rows, the file's order).
pub async fn record_all(
    txn: &DatabaseTransaction,
    acting: Uuid,
    commands: Vec<NewCheckIn>,
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<Vec<check_in::Model>, Refusal> {
    // Touching the key results first takes their row locks (a write lock on
    // SQLite), so concurrent check-ins on one key result run one after the
    // other and each sees the ones committed before it.
    let ids = distinct(commands.iter().map(|command| command.key_result_id));
    for chunk in ids.chunks(BATCH) {
        key_result::Entity::update_many()
            .col_expr(key_result::Column::UpdatedAt, Expr::value(now))
            .filter(key_result::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    let facts = Facts::load(txn, acting, &commands).await?;
    let mut days = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        days.push(
            facts
                .check(command, now.date())
                .map_err(|error| Refusal::of(index, error))?,
        );
    }

    let earliest = days.iter().min().copied().unwrap_or(now.date());
    let mut last_on_day = last_check_in_per_day(txn, &ids, earliest).await?;
    let mut in_this_batch: HashMap<(Uuid, NaiveDate), NaiveDateTime> = HashMap::new();
    let mut saved = Vec::with_capacity(commands.len());
    for (command, day) in commands.into_iter().zip(days) {
        let key = (command.key_result_id, day);
        let mut at = day.and_time(now.time());
        // Today's check-in is recorded now, even when a clock ahead of ours
        // stored a later one: that one stays the latest.
        let after = if day == now.date() {
            in_this_batch.get(&key)
        } else {
            last_on_day.get(&key)
        };
        if let Some(last) = after
            && *last >= at
        {
            at = *last + Duration::microseconds(1);
        }
        last_on_day.insert(key, at);
        in_this_batch.insert(key, at);
        saved.push(check_in::Model {
            id: Uuid::new_v4(),
            kr_id: command.key_result_id,
            value: command.value,
            confidence: command.confidence,
            note: command.note,
            created_by: command.author_id,
            created_at: at,
        });
    }
    let total = saved.len() as u64;
    let mut done = 0;
    for chunk in saved.chunks(BATCH) {
        let models: Vec<check_in::ActiveModel> = chunk
            .iter()
            .cloned()
            .map(|model| check_in::ActiveModel {
                id: Set(model.id),
                kr_id: Set(model.kr_id),
                value: Set(model.value),
                confidence: Set(model.confidence),
                note: Set(model.note),
                created_by: Set(model.created_by),
                created_at: Set(model.created_at),
            })
            .collect();
        check_in::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
        done += chunk.len() as u64;
        progress.advance(done, total);
    }

    // A back-dated check-in is not the latest one: take the value of
    // whichever is, for a batch of key results at a time (each has a
    // check-in now: this batch's). The index on (kr_id, created_at, id)
    // finds each one's latest.
    for chunk in ids.chunks(BATCH) {
        key_result::Entity::update_many()
            .col_expr(
                key_result::Column::CurrentValue,
                Expr::cust(
                    r#"(SELECT "check_in"."value" FROM "check_in" WHERE "check_in"."kr_id" = "key_result"."id" ORDER BY "check_in"."created_at" DESC, "check_in"."id" DESC LIMIT 1)"#,
                ),
            )
            .filter(key_result::Column::Id.is_in(chunk.to_vec()))
            .exec(txn)
            .await?;
    }
    Ok(saved)
}

/// The latest stored check-in of each of `key_results` per day, from
/// `since` on.
async fn last_check_in_per_day(
    db: &impl ConnectionTrait,
    key_results: &[Uuid],
    since: NaiveDate,
) -> Result<HashMap<(Uuid, NaiveDate), NaiveDateTime>, DbErr> {
    let mut last: HashMap<(Uuid, NaiveDate), NaiveDateTime> = HashMap::new();
    for chunk in key_results.chunks(BATCH) {
        let found: Vec<(Uuid, NaiveDateTime)> = check_in::Entity::find()
            .select_only()
            .column(check_in::Column::KrId)
            .column(check_in::Column::CreatedAt)
            .filter(check_in::Column::KrId.is_in(chunk.to_vec()))
            .filter(check_in::Column::CreatedAt.gte(since.and_time(chrono::NaiveTime::MIN)))
            .into_tuple()
            .all(db)
            .await?;
        for (key_result, at) in found {
            let entry = last.entry((key_result, at.date())).or_insert(at);
            *entry = (*entry).max(at);
        }
    }
    Ok(last)
}
