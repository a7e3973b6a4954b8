//! People, as admins manage them: who is in which team, with which role,
//! and whether they have signed in yet; inviting, editing, deactivating and
//! adding them (`add-user`), and the demo people's sign-ins.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use domain::Role;
use entity::{okr_user, person_role, team, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{AdminPeople, FilterOption, PersonAdminView};
use domain::access::Member;

use super::auth::email_is;
use super::auth::links::{IssuedLink, LinkKind, issue_link, set_password};
use super::auth::password::{check_password, hash_password_off_thread};
use super::auth::sessions::{member_by_email, sign_out_everywhere};

pub async fn admin_people(db: &impl ConnectionTrait) -> Result<AdminPeople, DbErr> {
    let teams = team::Entity::find()
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?;
    let team_names: HashMap<_, _> = teams.iter().map(|t| (t.id, t.name.clone())).collect();
    let signed_up: HashSet<String> = user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| found.email.to_lowercase())
        .collect();
    let people = okr_user::Entity::find()
        .find_also_related(person_role::Entity)
        .order_by_asc(okr_user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|(person, role)| PersonAdminView {
            id: person.id,
            team: team_names.get(&person.team_id).cloned().unwrap_or_default(),
            team_id: person.team_id,
            role: role.map_or(Role::Member, |role| role.role),
            active: person.active,
            has_sign_in: signed_up.contains(&person.email.to_lowercase()),
            name: person.name,
            email: person.email,
        })
        .collect();
    Ok(AdminPeople {
        people,
        teams: teams
            .into_iter()
            .filter(|found| !found.archived)
            .map(|found| FilterOption {
                id: found.id,
                name: found.name,
            })
            .collect(),
        issued_link: None,
    })
}

// ---------------------------------------------------------------------------
// Inviting, editing and deactivating people

/// A new person, as an admin invites them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub name: String,
    pub email: String,
    pub team_id: Uuid,
    pub role: Role,
}

/// Adds the person to their team with their role, and issues their
/// invitation link (valid 72 hours), in one transaction.
pub async fn invite(
    db: &DatabaseConnection,
    invitation: Invitation,
    now: NaiveDateTime,
) -> Result<IssuedLink, AppError> {
    let txn = db.begin().await?;
    if team::Entity::find_by_id(invitation.team_id)
        .one(&txn)
        .await?
        .is_none_or(|found| found.archived)
    {
        return Err(AppError::validation(
            "team_id",
            "choose a team from the list",
        ));
    }
    if let Some(existing) = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &invitation.email))
        .one(&txn)
        .await?
    {
        return Err(AppError::validation(
            "email",
            format!("{} already uses this email", existing.name),
        ));
    }
    let person_id = add_person(
        &txn,
        &invitation.email,
        &invitation.name,
        invitation.team_id,
        now,
    )
    .await?;
    set_role(&txn, person_id, invitation.role, now).await?;
    let link = issue_link(&txn, LinkKind::Invitation, &invitation.email, now).await?;
    txn.commit().await?;
    Ok(link)
}

/// A person's details as an admin edits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonEdit {
    pub name: String,
    pub email: String,
    pub team_id: Uuid,
    pub role: Role,
}

/// Changes a person's name, email, team and role (admins only), in one
/// transaction; their sign-in follows a changed email. An admin cannot take
/// away their own admin role.
pub async fn update_person(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    edit: PersonEdit,
    now: NaiveDateTime,
) -> Result<okr_user::Model, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("admins only"));
    }
    if actor.person_id == id && edit.role != Role::Admin {
        return Err(AppError::validation(
            "role",
            "you cannot take away your own admin role; ask another admin",
        ));
    }
    let txn = db.begin().await?;
    let person = okr_user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("person_id", "choose a person from the list"))?;
    let team_changes = person.team_id != edit.team_id;
    if team_changes
        && team::Entity::find_by_id(edit.team_id)
            .one(&txn)
            .await?
            .is_none_or(|found| found.archived)
    {
        return Err(AppError::validation(
            "team_id",
            "choose an active team from the list",
        ));
    }
    if let Some(other) = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &edit.email))
        .filter(okr_user::Column::Id.ne(id))
        .one(&txn)
        .await?
    {
        return Err(AppError::validation(
            "email",
            format!("{} already uses this email", other.name),
        ));
    }
    if !person.email.eq_ignore_ascii_case(&edit.email) {
        if user::Entity::find()
            .filter(email_is(user::Column::Email, &edit.email))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(AppError::validation(
                "email",
                "another sign-in already uses this email",
            ));
        }
        user::Entity::update_many()
            .col_expr(user::Column::Email, Expr::value(edit.email.clone()))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(email_is(user::Column::Email, &person.email))
            .exec(&txn)
            .await?;
    }
    let mut model = person.into_active_model();
    model.name = Set(edit.name);
    model.email = Set(edit.email);
    model.team_id = Set(edit.team_id);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    set_role(&txn, id, edit.role, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deactivates a person (admins only): they leave the pickers, their
/// sessions end and their tokens are revoked for good, but their objectives, key
/// results and check-ins stay. Or reactivates them.
pub async fn set_person_active(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    active: bool,
    now: NaiveDateTime,
) -> Result<okr_user::Model, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("admins only"));
    }
    if actor.person_id == id && !active {
        return Err(AppError::validation(
            "person_id",
            "you cannot deactivate yourself; ask another admin",
        ));
    }
    let txn = db.begin().await?;
    let person = okr_user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("person_id", "choose a person from the list"))?;
    if !active
        && let Some(sign_in) = user::Entity::find()
            .filter(email_is(user::Column::Email, &person.email))
            .one(&txn)
            .await?
    {
        sign_out_everywhere(&txn, &sign_in.id).await?;
    }
    if !active {
        // Reactivating them later does not bring their old tokens back.
        crate::server::tokens::revoke_all(&txn, person.id, now).await?;
    }
    let mut model = person.into_active_model();
    model.active = Set(active);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A new active person in a team; returns their id.
async fn add_person(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    team_id: Uuid,
    now: NaiveDateTime,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    okr_user::ActiveModel {
        id: Set(id),
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        team_id: Set(team_id),
        organization_id: Set(None),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

async fn set_role(
    db: &impl ConnectionTrait,
    person_id: Uuid,
    role: Role,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    match person_role::Entity::find_by_id(person_id).one(db).await? {
        Some(existing) if existing.role == role => {}
        Some(existing) => {
            let mut existing = existing.into_active_model();
            existing.role = Set(role);
            existing.updated_at = Set(now);
            existing.update(db).await?;
        }
        None => {
            person_role::ActiveModel {
                okr_user_id: Set(person_id),
                role: Set(role),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// A way in: `add-user` and the demo sign-ins

/// The password the demo people get with `SEED_DEMO`.
pub const DEMO_PASSWORD: &str = "runway-demo";
/// The demo people's roles; the other demo people are members.
const DEMO_ROLES: [(&str, Role); 5] = [
    ("emily.davis@airline.com", Role::Admin),
    ("sarah.chen@airline.com", Role::Lead),
    ("lisa.wang@airline.com", Role::Lead),
    ("mike.johnson@airline.com", Role::Member),
    ("james.rodriguez@airline.com", Role::Member),
];

/// What `add-user` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub created_team: bool,
    pub created_person: bool,
}

/// Creates or updates a person with a password: their team (created when
/// missing), their `okr_user`, role, `user` and credential account, in one
/// transaction.
pub async fn add_user(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
    team_name: &str,
    role: Role,
    password: &str,
    now: NaiveDateTime,
) -> Result<AddedUser, AppError> {
    let email = email.trim().to_lowercase();
    domain::text::check_email(&email)?;
    let name = domain::text::check_name("name", name, 120)?;
    let team_name = domain::text::check_name("team", team_name, 120)?;
    check_password(password)?;
    let password_hash = hash_password_off_thread(password.to_owned()).await?;

    let txn = db.begin().await?;
    let (team_id, created_team) = match team::Entity::find()
        .filter(team::Column::Name.eq(team_name.clone()))
        .one(&txn)
        .await?
    {
        Some(found) => (found.id, false),
        None => {
            let id = Uuid::new_v4();
            team::ActiveModel {
                id: Set(id),
                name: Set(team_name),
                organization_id: Set(None),
                archived: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            (id, true)
        }
    };
    let existing = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &email))
        .one(&txn)
        .await?;
    let created_person = existing.is_none();
    let person_id = match existing {
        Some(person) => {
            let id = person.id;
            let mut person = person.into_active_model();
            person.name = Set(name.clone());
            person.team_id = Set(team_id);
            person.active = Set(true);
            person.updated_at = Set(now);
            person.update(&txn).await?;
            id
        }
        None => add_person(&txn, &email, &name, team_id, now).await?,
    };
    set_role(&txn, person_id, role, now).await?;
    set_password(&txn, &name, &email, password_hash, now).await?;
    txn.commit().await?;
    Ok(AddedUser {
        created_team,
        created_person,
    })
}

/// With `SEED_DEMO`: gives each demo person their role and, if they have no
/// sign-in yet, the password `runway-demo`. Changes nothing the second time.
/// Returns (name, email, role) of the demo people present.
pub async fn ensure_demo_sign_ins(
    db: &DatabaseConnection,
) -> Result<Vec<(String, String, Role)>, AppError> {
    let now = chrono::Utc::now().naive_utc();
    let mut present = Vec::new();
    let mut password_hash: Option<String> = None;
    for (email, role) in DEMO_ROLES {
        let Some(person) = okr_user::Entity::find()
            .filter(okr_user::Column::Email.eq(email))
            .one(db)
            .await?
        else {
            continue;
        };
        let txn = db.begin().await?;
        if person_role::Entity::find_by_id(person.id)
            .one(&txn)
            .await?
            .is_none()
        {
            set_role(&txn, person.id, role, now).await?;
        }
        let has_sign_in = user::Entity::find()
            .filter(email_is(user::Column::Email, email))
            .one(&txn)
            .await?
            .is_some();
        if !has_sign_in {
            let hash = match &password_hash {
                Some(hash) => hash.clone(),
                None => {
                    let hash = hash_password_off_thread(DEMO_PASSWORD.to_owned()).await?;
                    password_hash = Some(hash.clone());
                    hash
                }
            };
            set_password(&txn, &person.name, email, hash, now).await?;
        }
        txn.commit().await?;
        let role = member_by_email(db, email)
            .await?
            .map_or(role, |member| member.role);
        present.push((person.name, email.to_owned(), role));
    }
    Ok(present)
}
