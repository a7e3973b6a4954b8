//! Teams: creating, renaming, archiving and restoring (admins only).

use chrono::NaiveDateTime;
use entity::team;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use super::*;
use crate::error::AppError;
use domain::access::Member;

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
    let _turn = crate::server::db::write_turn(db).await;
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

/// Renames a team, archives or restores it, or marks it as the company's
/// (its objectives are company objectives) or a team again: an archived
/// team leaves the pickers but keeps its objectives and people.
pub async fn update_team(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    name: Option<&str>,
    archived: Option<bool>,
    company: Option<bool>,
    now: NaiveDateTime,
) -> Result<team::Model, AppError> {
    admins_only(actor)?;
    let name = name
        .map(|name| domain::text::check_name("name", name, 100))
        .transpose()?;
    let _turn = crate::server::db::write_turn(db).await;
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
    if let Some(company) = company {
        alignment::set_company(&txn, id, company, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}
