//! Who may change what: the role rules, pure, so the server enforces them and
//! the pages use the same answers to decide which controls to show.

use crate::enums::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signed-in person, as the pages and server functions see them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    pub email: String,
    /// `None` for a sign-in whose email matches no active person: such a
    /// user can sign in but is not a member of any team yet.
    pub member: Option<Member>,
}

/// A person of a team, with their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Member {
    pub person_id: Uuid,
    pub team_id: Uuid,
    pub role: Role,
}

impl Member {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins anywhere; leads and members on key results of their own team
    /// or that they own.
    pub fn may_check_in(&self, key_result_owner: Uuid, key_result_team: Uuid) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Lead | Role::Member => {
                key_result_team == self.team_id || key_result_owner == self.person_id
            }
        }
    }

    /// Admins and leads: they plan objectives, import, roll quarters over
    /// and write the review's notes.
    pub fn is_planner(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Lead)
    }

    /// Objectives and key results: admins for every team, leads for their own.
    pub fn may_plan(&self, team: Uuid) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Lead => team == self.team_id,
            Role::Member => false,
        }
    }
}

impl Viewer {
    /// Objectives and key results of `team`: admins, and the team's lead.
    pub fn may_plan(&self, team: Uuid) -> bool {
        self.member.is_some_and(|member| member.may_plan(team))
    }

    /// Admins and leads: they plan objectives, roll quarters over and write
    /// the review's notes.
    pub fn is_planner(&self) -> bool {
        self.member.is_some_and(|member| member.is_planner())
    }

    pub fn may_check_in(&self, key_result_owner: Uuid, key_result_team: Uuid) -> bool {
        self.member
            .is_some_and(|member| member.may_check_in(key_result_owner, key_result_team))
    }

    pub fn is_admin(&self) -> bool {
        self.member.is_some_and(|member| member.is_admin())
    }

    /// "Mike Johnson · member", for the page header.
    pub fn label(&self) -> String {
        match &self.member {
            Some(member) => format!("{} · {}", self.name, member.role),
            None => self.name.clone(),
        }
    }
}

/// A path to return to after signing in: only a path on this site, so a
/// crafted sign-in link cannot send people elsewhere.
pub fn safe_next(next: &str) -> &str {
    let next = next.trim();
    // Browsers drop tabs and newlines from URLs and read `\` as `/`, so
    // `/\t/evil.example` or `/\evil.example` would leave the site.
    let local = next.starts_with('/')
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && !next.starts_with("//");
    if local { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role) -> Member {
        Member {
            person_id: Uuid::from_u128(1),
            team_id: Uuid::from_u128(10),
            role,
        }
    }

    const OWN_TEAM: Uuid = Uuid::from_u128(10);
    const OTHER_TEAM: Uuid = Uuid::from_u128(20);
    const ME: Uuid = Uuid::from_u128(1);
    const SOMEONE: Uuid = Uuid::from_u128(2);

    #[test]
    fn members_check_in_on_their_team_or_what_they_own() {
        let member = member(Role::Member);
        assert!(member.may_check_in(SOMEONE, OWN_TEAM));
        assert!(member.may_check_in(ME, OTHER_TEAM));
        assert!(!member.may_check_in(SOMEONE, OTHER_TEAM));
    }

    #[test]
    fn leads_check_in_like_members_and_plan_their_own_team() {
        let lead = member(Role::Lead);
        assert!(lead.may_check_in(SOMEONE, OWN_TEAM));
        assert!(!lead.may_check_in(SOMEONE, OTHER_TEAM));
        assert!(lead.may_plan(OWN_TEAM));
        assert!(!lead.may_plan(OTHER_TEAM));
        assert!(!member(Role::Member).may_plan(OWN_TEAM));
    }

    #[test]
    fn admins_may_do_everything() {
        let admin = member(Role::Admin);
        assert!(admin.may_check_in(SOMEONE, OTHER_TEAM));
        assert!(admin.may_plan(OTHER_TEAM));
        assert!(admin.is_admin());
    }

    #[test]
    fn a_viewer_without_a_team_may_change_nothing() {
        let viewer = Viewer {
            name: "New".into(),
            email: "new@airline.com".into(),
            member: None,
        };
        assert!(!viewer.may_check_in(SOMEONE, OWN_TEAM));
        assert!(!viewer.is_admin());
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_next("/kr/1?x=2"), "/kr/1?x=2");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("/x\\y"), "/");
    }
}
