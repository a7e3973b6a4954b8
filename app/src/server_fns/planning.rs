//! Server functions of planning: quarters and teams (admins), objectives
//! and key results (admins, and leads for their own team), the roll-over
//! and the quarterly review. Each works as a plain form post without
//! JavaScript (then redirects) and as a fetch once hydrated.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::dashboard_query::DashboardQuery;
use crate::error::AppError;
use crate::model::{
    KeyResultEditor, ObjectiveEditor, QuarterReview, QuartersAdmin, RollOverPlan, RollOverReport,
    TeamAdminRow,
};

#[cfg(feature = "ssr")]
use super::{go_to, respond};

/// What a save reports back: the id, and the page to look at next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub id: Uuid,
    pub next: String,
}

#[cfg(feature = "ssr")]
fn parse_id(field: &str, text: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::validation(field, format!("choose {what}")))
}

/// An optional id: absent or blank is `None` (a new record).
#[cfg(feature = "ssr")]
fn optional_id(field: &str, text: Option<&str>, what: &str) -> Result<Option<Uuid>, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_id(field, text, what).map(Some),
    }
}

#[cfg(feature = "ssr")]
fn now() -> chrono::NaiveDateTime {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6)
}

#[cfg(feature = "ssr")]
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[cfg(feature = "ssr")]
fn member() -> Result<domain::access::Member, AppError> {
    crate::server::http::middleware::current_member().map(|(_, member)| member)
}

#[cfg(feature = "ssr")]
fn flag(text: Option<&str>) -> bool {
    matches!(text.map(str::trim), Some("1" | "true" | "on" | "yes"))
}

/// A yes-or-no field that must say which: `true` or `false`.
#[cfg(feature = "ssr")]
pub(crate) fn yes_or_no(field: &str, text: &str) -> Result<bool, AppError> {
    match text.trim() {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "off" | "no" => Ok(false),
        _ => Err(AppError::validation(field, "must be true or false")),
    }
}

#[cfg(feature = "ssr")]
fn saved(id: Uuid, next: String) -> Saved {
    go_to(&next);
    Saved { id, next }
}

/// The dashboard of a quarter, by id.
#[cfg(feature = "ssr")]
async fn dashboard_of(
    db: &sea_orm::DatabaseConnection,
    quarter_id: Uuid,
) -> Result<String, AppError> {
    let label = crate::server::queries::planning::quarter_label(db, quarter_id)
        .await?
        .unwrap_or_default();
    Ok(DashboardQuery::for_quarter(&label).href())
}

/// Adds the current owner to the picker when they are no longer active, marked so.
#[cfg(feature = "ssr")]
async fn keep_current_person(
    db: &sea_orm::DatabaseConnection,
    people: &mut Vec<crate::model::PersonOption>,
    id: Uuid,
) -> Result<(), AppError> {
    if people.iter().any(|person| person.id == id) {
        return Ok(());
    }
    if let Some(person) = crate::server::queries::planning::person(db, id).await? {
        people.push(crate::model::PersonOption {
            id: person.id,
            name: format!("{} (inactive)", person.name),
            team_id: person.team_id,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Quarters

#[server(prefix = "/api", endpoint = "quarters_admin", input = GetUrl)]
pub async fn get_quarters_admin() -> Result<QuartersAdmin, AppError> {
    use crate::server;
    respond(async {
        if !member()?.is_admin() {
            return Err(AppError::forbidden("admins only"));
        }
        let (quarters, suggestion) =
            server::queries::planning::quarters_admin(&server::db()?, today()).await?;
        Ok(QuartersAdmin {
            quarters,
            suggestion,
        })
    })
    .await
}

/// Creates a quarter, or edits the one `id` names (admins only).
#[server(prefix = "/api", endpoint = "save_quarter")]
pub async fn save_quarter(
    #[server(default)] id: Option<String>,
    label: String,
    start_at: String,
    end_at: String,
) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    use domain::commands::NewQuarter;
    respond(async {
        let actor = member()?;
        let id = optional_id("quarter_id", id.as_deref(), "a quarter from the list")?;
        let input = NewQuarter::parse(&label, &start_at, &end_at)?;
        let db = server::db()?;
        let quarter = match id {
            None => commands::quarters::create_quarter(&db, &actor, input, now()).await?,
            Some(id) => commands::quarters::update_quarter(&db, &actor, id, input, now()).await?,
        };
        Ok(saved(quarter.id, "/admin/quarters".into()))
    })
    .await
}

/// Archives a quarter (`archived` = `true`) or reopens it (admins only).
#[server(prefix = "/api", endpoint = "archive_quarter")]
pub async fn archive_quarter(id: String, archived: String) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        let id = parse_id("quarter_id", &id, "a quarter from the list")?;
        let quarter = commands::quarters::set_quarter_archived(
            &server::db()?,
            &actor,
            id,
            yes_or_no("archived", &archived)?,
            now(),
        )
        .await?;
        Ok(saved(quarter.id, "/admin/quarters".into()))
    })
    .await
}

// ---------------------------------------------------------------------------
// Teams

#[server(prefix = "/api", endpoint = "teams_admin", input = GetUrl)]
pub async fn get_teams_admin() -> Result<Vec<TeamAdminRow>, AppError> {
    use crate::server;
    respond(async {
        if !member()?.is_admin() {
            return Err(AppError::forbidden("admins only"));
        }
        Ok(server::queries::planning::teams_admin(&server::db()?).await?)
    })
    .await
}

/// Creates a team (admins only).
#[server(prefix = "/api", endpoint = "create_team")]
pub async fn create_team(name: String) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        let team = commands::teams::create_team(&server::db()?, &actor, &name, now()).await?;
        Ok(saved(team.id, "/admin/teams".into()))
    })
    .await
}

/// Renames a team, archives or restores it, or marks it as the company's
/// or a team again (admins only).
#[server(prefix = "/api", endpoint = "update_team")]
pub async fn update_team(
    id: String,
    #[server(default)] name: Option<String>,
    #[server(default)] archived: Option<String>,
    #[server(default)] company: Option<String>,
) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        let id = parse_id("team_id", &id, "a team from the list")?;
        let archived = archived
            .as_deref()
            .map(|text| yes_or_no("archived", text))
            .transpose()?;
        let company = company
            .as_deref()
            .map(|text| yes_or_no("company", text))
            .transpose()?;
        if name.is_none() && archived.is_none() && company.is_none() {
            return Err(AppError::validation("name", "enter the team's new name"));
        }
        let team = commands::teams::update_team(
            &server::db()?,
            &actor,
            id,
            name.as_deref(),
            archived,
            company,
            now(),
        )
        .await?;
        Ok(saved(team.id, "/admin/teams".into()))
    })
    .await
}

// ---------------------------------------------------------------------------
// Objectives

/// The objective form: an existing objective by `id`, or a new one in
/// `quarter` (a label) for the viewer's team.
#[server(prefix = "/api", endpoint = "objective_editor", input = GetUrl)]
pub async fn get_objective_editor(
    #[server(default)] id: Option<String>,
    #[server(default)] quarter: Option<String>,
) -> Result<ObjectiveEditor, AppError> {
    use crate::model::ObjectiveDraft;
    use crate::server::{self, queries};
    respond(async {
        let actor = member()?;
        let db = server::db()?;
        let options = queries::planning::options(&db, &actor).await?;
        let draft = match optional_id("id", id.as_deref(), "an objective")? {
            Some(id) => {
                let draft = queries::planning::objective_draft(&db, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("objective".into()))?;
                if !actor.may_plan(draft.team_id) {
                    return Err(AppError::forbidden(
                        "only admins and the team's lead edit its objectives",
                    ));
                }
                draft
            }
            None => {
                if options.teams.is_empty() {
                    return Err(AppError::forbidden(
                        "only admins and team leads plan objectives",
                    ));
                }
                let quarter_id = options
                    .quarters
                    .iter()
                    .find(|found| Some(&found.label) == quarter.as_ref())
                    .or_else(|| options.quarters.first())
                    .map(|found| found.id)
                    .ok_or_else(|| {
                        AppError::validation(
                            "quarter_id",
                            "there is no open quarter; an admin creates one first",
                        )
                    })?;
                let team_id = if options.teams.iter().any(|team| team.id == actor.team_id) {
                    actor.team_id
                } else {
                    options.teams[0].id
                };
                ObjectiveDraft {
                    id: None,
                    title: String::new(),
                    team_id,
                    owner_id: actor.person_id,
                    quarter_id,
                    key_results: 0,
                    check_ins: 0,
                    supporters: 0,
                }
            }
        };
        let alignment = match draft.id {
            Some(id) => Some(
                queries::planning::alignment_choices(&db, id, draft.team_id, draft.quarter_id)
                    .await?,
            ),
            None => None,
        };
        let mut options = options;
        // A team archived or an owner deactivated since stays shown as it is,
        // so a save never changes it silently (it asks for an active one).
        if !options.teams.iter().any(|team| team.id == draft.team_id)
            && let Some(team) = queries::planning::team(&db, draft.team_id).await?
        {
            options.teams.push(crate::model::FilterOption {
                id: team.id,
                name: format!("{} (archived)", team.name),
            });
        }
        keep_current_person(&db, &mut options.people, draft.owner_id).await?;
        Ok(ObjectiveEditor {
            draft,
            options,
            alignment,
        })
    })
    .await
}

/// Creates an objective, or edits the one `id` names; then the dashboard
/// of its quarter.
#[server(prefix = "/api", endpoint = "save_objective")]
pub async fn save_objective(
    #[server(default)] id: Option<String>,
    title: String,
    team_id: String,
    owner_id: String,
    quarter_id: String,
) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    use domain::commands::NewObjective;
    respond(async {
        let actor = member()?;
        let id = optional_id("id", id.as_deref(), "an objective")?;
        let input = NewObjective::parse(&title, &team_id, &owner_id, &quarter_id)?;
        let db = server::db()?;
        let objective = commands::objectives::save_objective(&db, &actor, id, input, now()).await?;
        let next = dashboard_of(&db, objective.quarter_id).await?;
        Ok(saved(objective.id, next))
    })
    .await
}

/// Makes objective `id` support `parent` (`objective:<id>` or
/// `key_result:<id>`), or nothing (empty); then the quarter's alignment
/// tree, at the objective.
#[server(prefix = "/api", endpoint = "align_objective")]
pub async fn align_objective(
    id: String,
    #[server(default)] parent: Option<String>,
) -> Result<Saved, AppError> {
    use crate::server::commands::alignment::{self, ParentChoice};
    use crate::server::{self};
    respond(async {
        let actor = member()?;
        let id = parse_id("id", &id, "an objective")?;
        let parent = ParentChoice::parse("parent", parent.as_deref().unwrap_or(""))?;
        let db = server::db()?;
        let objective = alignment::align(&db, &actor, id, parent, now()).await?;
        let label = server::queries::planning::quarter_label(&db, objective.quarter_id)
            .await?
            .unwrap_or_default();
        let label: String = form_urlencoded::byte_serialize(label.as_bytes()).collect();
        Ok(saved(
            objective.id,
            format!("/quarters/{label}/alignment#objective-{}", objective.id),
        ))
    })
    .await
}

/// Deletes an objective with its key results and check-ins; `check_ins`
/// is the count the person confirmed.
#[server(prefix = "/api", endpoint = "delete_objective")]
pub async fn delete_objective(id: String, check_ins: String) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        let id = parse_id("id", &id, "an objective")?;
        let confirmed = check_ins
            .trim()
            .parse()
            .map_err(|_| AppError::validation("check_ins", "confirm how many check-ins go"))?;
        let db = server::db()?;
        let deleted = commands::objectives::delete_objective(&db, &actor, id, confirmed).await?;
        let next = dashboard_of(&db, deleted.quarter_id).await?;
        Ok(saved(deleted.id, next))
    })
    .await
}

// ---------------------------------------------------------------------------
// Key results

/// The key result form: an existing key result by `id`, or a new one in
/// `objective`.
#[server(prefix = "/api", endpoint = "key_result_editor", input = GetUrl)]
pub async fn get_key_result_editor(
    #[server(default)] id: Option<String>,
    #[server(default)] objective: Option<String>,
) -> Result<KeyResultEditor, AppError> {
    use crate::model::KeyResultDraft;
    use crate::server::{self, queries};
    respond(async {
        let actor = member()?;
        let db = server::db()?;
        let draft = match optional_id("id", id.as_deref(), "a key result")? {
            Some(id) => queries::planning::key_result_draft(&db, id)
                .await?
                .ok_or_else(|| AppError::NotFound("key result".into()))?,
            None => {
                let objective_id = parse_id(
                    "objective_id",
                    objective.as_deref().unwrap_or(""),
                    "an objective",
                )?;
                KeyResultDraft {
                    id: None,
                    objective_id,
                    title: String::new(),
                    owner_id: actor.person_id,
                    unit: domain::Unit::Percent,
                    start_value: rust_decimal::Decimal::ZERO,
                    target_value: rust_decimal::Decimal::ZERO,
                    current_value: rust_decimal::Decimal::ZERO,
                    check_ins: 0,
                }
            }
        };
        let (parent, quarter) = queries::planning::objective_with_quarter(&db, draft.objective_id)
            .await?
            .ok_or_else(|| AppError::NotFound("objective".into()))?;
        if !actor.may_plan(parent.team_id) {
            return Err(AppError::forbidden(
                "only admins and the team's lead plan its key results",
            ));
        }
        let mut people = queries::planning::options(&db, &actor).await?.people;
        keep_current_person(&db, &mut people, draft.owner_id).await?;
        Ok(KeyResultEditor {
            draft,
            objective_title: parent.title,
            quarter_label: quarter.label,
            people,
        })
    })
    .await
}

/// Creates a key result, or edits the one `id` names; then its page.
/// Changing the unit or start of one with check-ins needs `confirm`.
#[server(prefix = "/api", endpoint = "save_key_result")]
#[allow(clippy::too_many_arguments)]
pub async fn save_key_result(
    #[server(default)] id: Option<String>,
    objective_id: String,
    title: String,
    owner_id: String,
    unit: String,
    start_value: String,
    target_value: String,
    #[server(default)] current_value: Option<String>,
    #[server(default)] confirm: Option<String>,
) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    use domain::commands::KeyResultForm;
    respond(async {
        let actor = member()?;
        let id = optional_id("id", id.as_deref(), "a key result")?;
        let input = KeyResultForm {
            objective_id,
            title,
            owner_id,
            unit,
            start_value,
            target_value,
            current_value: current_value.unwrap_or_default(),
        }
        .parse()?;
        let key_result = commands::key_results::save_key_result(
            &server::db()?,
            &actor,
            id,
            input,
            flag(confirm.as_deref()),
            now(),
        )
        .await?;
        Ok(saved(key_result.id, format!("/kr/{}", key_result.id)))
    })
    .await
}

/// Deletes a key result with its check-ins; `check_ins` is the count the
/// person confirmed.
#[server(prefix = "/api", endpoint = "delete_key_result")]
pub async fn delete_key_result(id: String, check_ins: String) -> Result<Saved, AppError> {
    use crate::server::queries;
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        let id = parse_id("id", &id, "a key result")?;
        let confirmed = check_ins
            .trim()
            .parse()
            .map_err(|_| AppError::validation("check_ins", "confirm how many check-ins go"))?;
        let db = server::db()?;
        let deleted = commands::key_results::delete_key_result(&db, &actor, id, confirmed).await?;
        let quarter_id = queries::planning::objective_with_quarter(&db, deleted.objective_id)
            .await?
            .map(|(_, quarter)| quarter.id)
            .unwrap_or_default();
        let next = dashboard_of(&db, quarter_id).await?;
        Ok(saved(deleted.id, next))
    })
    .await
}

// ---------------------------------------------------------------------------
// Roll-over and review

#[server(prefix = "/api", endpoint = "roll_over_plan", input = GetUrl)]
pub async fn get_roll_over_plan(label: String) -> Result<RollOverPlan, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        domain::text::check_no_control_characters("label", &label)?;
        commands::roll_over::roll_over_plan(&server::db()?, &actor, &label)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("quarter {}", domain::text::echo(&label))))
    })
    .await
}

/// Copies the chosen objectives of quarter `label` into the next quarter.
#[server(prefix = "/api", endpoint = "roll_over")]
pub async fn roll_over(
    label: String,
    #[server(default)] objective_ids: Vec<String>,
    #[server(default)] skip_reached: Option<String>,
) -> Result<RollOverReport, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        domain::text::check_no_control_characters("label", &label)?;
        let chosen = objective_ids
            .iter()
            .map(|id| parse_id("objective_ids", id, "objectives from the list"))
            .collect::<Result<Vec<_>, _>>()?;
        let report = commands::roll_over::roll_over(
            &server::db()?,
            &actor,
            &label,
            &chosen,
            flag(skip_reached.as_deref()),
            now(),
        )
        .await?;
        go_to(&DashboardQuery::for_quarter(&report.to_label).href());
        Ok(report)
    })
    .await
}

#[server(prefix = "/api", endpoint = "review", input = GetUrl)]
pub async fn get_review(label: String) -> Result<QuarterReview, AppError> {
    use crate::server;
    respond(async {
        let actor = member()?;
        domain::text::check_no_control_characters("label", &label)?;
        let db = server::db()?;
        let not_found = || AppError::NotFound(format!("quarter {}", domain::text::echo(&label)));
        let dashboard = server::queries::dashboard::dashboard(&db, Some(&label), today())
            .await?
            .ok_or_else(not_found)?;
        let quarter = dashboard.quarter.clone().ok_or_else(not_found)?;
        let notes = server::queries::planning::quarter_notes(&db, quarter.id).await?;
        Ok(QuarterReview {
            may_edit_notes: !quarter.archived && actor.is_planner(),
            dashboard,
            notes: notes.unwrap_or_default(),
        })
    })
    .await
}

/// Saves the review's notes (admins and leads); then the review.
#[server(prefix = "/api", endpoint = "save_review_notes")]
pub async fn save_review_notes(quarter_id: String, notes: String) -> Result<Saved, AppError> {
    use crate::server::{self, commands};
    respond(async {
        let actor = member()?;
        let id = parse_id("quarter_id", &quarter_id, "a quarter")?;
        let notes = domain::text::check_notes(&notes)?;
        let quarter =
            commands::quarters::set_quarter_notes(&server::db()?, &actor, id, notes, now()).await?;
        let label: String = form_urlencoded::byte_serialize(quarter.label.as_bytes()).collect();
        Ok(saved(quarter.id, format!("/quarters/{label}/review")))
    })
    .await
}
