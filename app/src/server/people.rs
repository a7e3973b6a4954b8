//! People, as admins manage them: who is in which team, with which role,
//! and whether they have signed in yet.

use std::collections::{HashMap, HashSet};

use domain::Role;
use entity::{okr_user, person_role, team, user};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};

use crate::model::{AdminPeople, FilterOption, PersonAdminView};

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
