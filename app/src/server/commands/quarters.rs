//! Quarters: creating one (from the form, an import or a roll-over, all
//! through [`create_in`]), editing its label and dates, archiving it, and
//! the review's notes. Every quarter write takes the quarters' turn.

use chrono::NaiveDateTime;
use entity::{objective, quarter};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, Set, TransactionTrait,
};
use uuid::Uuid;

use super::*;
use crate::error::AppError;
use domain::access::Member;
use domain::calendar;
use domain::commands::NewQuarter;

/// Refuses a label another quarter has, or dates that overlap another
/// quarter's; `except` is the quarter being edited.
async fn check_quarter_fits(
    db: &impl ConnectionTrait,
    input: &NewQuarter,
    except: Option<Uuid>,
) -> Result<(), AppError> {
    let others = quarter::Entity::find().all(db).await?;
    fits(
        input,
        others.iter().filter(|other| Some(other.id) != except),
    )
}

/// Whether quarter `input` fits among `others`: no other has its label
/// (in any case) or shares a day with it.
pub fn fits<'a>(
    input: &NewQuarter,
    mut others: impl Iterator<Item = &'a quarter::Model> + Clone,
) -> Result<(), AppError> {
    if let Some(same) = others
        .clone()
        .find(|other| other.label.eq_ignore_ascii_case(&input.label))
    {
        return Err(AppError::validation(
            "label",
            format!("{} is already a quarter's label", same.label),
        ));
    }
    if let Some(overlapping) = others.find(|other| {
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

/// Creates a quarter from the form (admins only).
pub async fn create_quarter(
    db: &DatabaseConnection,
    actor: &Member,
    input: NewQuarter,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    admins_only(actor)?;
    let _turn = crate::server::db::write_turn(db).await;
    let txn = db.begin().await?;
    let created = create_in(&txn, input, now).await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates quarter `input` inside `txn` (which holds the write turn): takes
/// the quarters' turn, then refuses a label another quarter has or days it
/// shares. The one way a quarter is created, whether from the form, an
/// import or a roll-over; each caller checks who may create one.
pub async fn create_in(
    txn: &DatabaseTransaction,
    input: NewQuarter,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    quarters_turn(txn).await?;
    check_quarter_fits(txn, &input, None).await?;
    Ok(quarter::ActiveModel {
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
    .insert(txn)
    .await?)
}

pub async fn update_quarter(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    input: NewQuarter,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    admins_only(actor)?;
    let _turn = crate::server::db::write_turn(db).await;
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

/// Archives a quarter (read-only from then on) or reopens it.
pub async fn set_quarter_archived(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    archived: bool,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    admins_only(actor)?;
    let _turn = crate::server::db::write_turn(db).await;
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

/// Saves the review's notes (admins, and leads), unless the quarter is archived.
pub async fn set_quarter_notes(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    notes: Option<String>,
    now: NaiveDateTime,
) -> Result<quarter::Model, AppError> {
    if !actor.is_planner() {
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
