//! Planning a quarter: quarters and teams (admins), and the roll-over into
//! the next quarter. Every form is a plain POST without JavaScript and saves
//! in place once hydrated.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::form::{FieldError, FormError, Submit, error_for, refresh_after};
use super::widgets::page_error;
use crate::dashboard_query::DashboardQuery;
use crate::model::{QuarterAdminRow, QuarterDraft, QuartersAdmin, RollOverPlan, TeamAdminRow};
use crate::server_fns::planning::{
    ArchiveQuarter, CreateTeam, RollOver, SaveQuarter, UpdateTeam, get_quarters_admin,
    get_roll_over_plan, get_teams_admin,
};

// ---------------------------------------------------------------------------
// Helpers

fn quarter_dates(start: chrono::NaiveDate, end: chrono::NaiveDate) -> String {
    format!("{} – {}", start.format("%b %-d"), end.format("%b %-d, %Y"))
}

fn escape_label(label: &str) -> String {
    form_urlencoded::byte_serialize(label.as_bytes()).collect()
}

// ---------------------------------------------------------------------------
// Quarters

#[component]
pub fn QuartersPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let page = Resource::new(move || refresh.get(), |_| get_quarters_admin());
    view! {
        <Title text="Quarters · RunwayOKR" />
        <Transition fallback=|| view! { <p class="loading">"Loading quarters…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Quarters page refresh /> }.into_any(),
                    Err(error) => page_error(error, "Only admins manage quarters."),
                }
            })}
        </Transition>
    }
}

const QUARTER_FIELDS: &[&str] = &["label", "start_at", "end_at"];

#[component]
fn QuarterForm(draft: QuarterDraft, refresh: RwSignal<u32>, testid: &'static str) -> impl IntoView {
    let save = ServerAction::<SaveQuarter>::new();
    refresh_after(save, refresh);
    let is_new = draft.id.is_none();
    let prefix = draft
        .id
        .map_or_else(|| "new-quarter".to_owned(), |id| format!("quarter-{id}"));
    let (label_id, start_id, end_id) = (
        format!("{prefix}-label"),
        format!("{prefix}-start"),
        format!("{prefix}-end"),
    );
    view! {
        <ActionForm action=save attr:class="planning-form" attr:data-testid=testid>
            {draft.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
            <div class="field">
                <label for=label_id.clone()>"Label"</label>
                <input id=label_id name="label" value=draft.label maxlength="20" required />
                <FieldError message=Signal::derive(error_for(save, "label")) />
            </div>
            <div class="field">
                <label for=start_id.clone()>"First day"</label>
                <input id=start_id type="date" name="start_at" value=draft.start_at.to_string() required />
                <FieldError message=Signal::derive(error_for(save, "start_at")) />
            </div>
            <div class="field">
                <label for=end_id.clone()>"Last day"</label>
                <input id=end_id type="date" name="end_at" value=draft.end_at.to_string() required />
                <FieldError message=Signal::derive(error_for(save, "end_at")) />
            </div>
            <FormError action=save fields=QUARTER_FIELDS />
            <div class="form-actions">
                <Submit
                    pending=save.pending()
                    label=if is_new { "Create quarter" } else { "Save" }
                    busy="Saving…"
                    testid=if is_new { "create-quarter" } else { "save-quarter" }
                />
            </div>
        </ActionForm>
    }
}

#[component]
fn Quarters(page: QuartersAdmin, refresh: RwSignal<u32>) -> impl IntoView {
    let QuartersAdmin {
        quarters,
        suggestion,
    } = page;
    view! {
        <section class="panel" aria-labelledby="quarters-heading">
            <h2 id="quarters-heading">"Quarters"</h2>
            {if quarters.is_empty() {
                view! { <p data-testid="no-quarters">"No quarters yet: create the first one below."</p> }.into_any()
            } else {
                view! {
                    <table class="people-table" data-testid="quarters-table">
                        <thead>
                            <tr>
                                <th scope="col">"Quarter"</th>
                                <th scope="col">"Dates"</th>
                                <th scope="col">"Objectives"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {quarters
                                .into_iter()
                                .map(|row| view! { <QuarterRow row refresh /> })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="new-quarter-heading">
            <h2 id="new-quarter-heading">"New quarter"</h2>
            <p class="muted">"Suggested: the calendar quarter after the latest one. Quarters may not share days."</p>
            <QuarterForm draft=suggestion refresh testid="new-quarter-form" />
        </section>
    }
}

#[component]
fn QuarterRow(row: QuarterAdminRow, refresh: RwSignal<u32>) -> impl IntoView {
    let archive = ServerAction::<ArchiveQuarter>::new();
    refresh_after(archive, refresh);
    let quarter = row.quarter;
    let label = escape_label(&quarter.label);
    let draft = QuarterDraft {
        id: Some(quarter.id),
        label: quarter.label.clone(),
        start_at: quarter.start_at,
        end_at: quarter.end_at,
    };
    view! {
        <tr data-testid="quarter-row">
            <th scope="row">
                <a href=DashboardQuery::for_quarter(&quarter.label).href()>{quarter.label.clone()}</a>
            </th>
            <td>{quarter_dates(quarter.start_at, quarter.end_at)}</td>
            <td>{row.objectives}</td>
            <td data-testid="quarter-status">{if quarter.archived { "Archived (read-only)" } else { "Open" }}</td>
            <td class="row-actions">
                <a href=format!("/quarters/{label}/review")>"Review"</a>
                {(!quarter.archived)
                    .then(|| {
                        view! {
                            <details class="row-edit">
                                <summary>{format!("Edit {}", quarter.label)}</summary>
                                <QuarterForm draft refresh testid="edit-quarter-form" />
                            </details>
                        }
                    })}
                <ActionForm action=archive attr:class="inline-form">
                    <input type="hidden" name="id" value=quarter.id.to_string() />
                    <input type="hidden" name="archived" value=(!quarter.archived).to_string() />
                    <button type="submit" class="secondary" data-testid="archive-quarter">
                        {if quarter.archived {
                            format!("Reopen {}", quarter.label)
                        } else {
                            format!("Archive {}", quarter.label)
                        }}
                    </button>
                </ActionForm>
                <FormError action=archive fields=&[] />
            </td>
        </tr>
    }
}

// ---------------------------------------------------------------------------
// Teams

#[component]
pub fn TeamsPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let teams = Resource::new(move || refresh.get(), |_| get_teams_admin());
    view! {
        <Title text="Teams · RunwayOKR" />
        <Transition fallback=|| view! { <p class="loading">"Loading teams…"</p> }>
            {move || Suspend::new(async move {
                match teams.await {
                    Ok(teams) => view! { <Teams teams refresh /> }.into_any(),
                    Err(error) => page_error(error, "Only admins manage teams."),
                }
            })}
        </Transition>
    }
}

#[component]
fn Teams(teams: Vec<TeamAdminRow>, refresh: RwSignal<u32>) -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    refresh_after(create, refresh);
    view! {
        <section class="panel" aria-labelledby="teams-heading">
            <h2 id="teams-heading">"Teams"</h2>
            <p class="muted">"An archived team leaves the pickers but keeps its objectives, key results and people. A team at the company level holds the company's objectives, which only admins plan and other teams' objectives support."</p>
            <table class="people-table" data-testid="teams-table">
                <thead>
                    <tr>
                        <th scope="col">"Team"</th>
                        <th scope="col">"People"</th>
                        <th scope="col">"Objectives"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {teams.into_iter().map(|team| view! { <TeamRow team refresh /> }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel" aria-labelledby="new-team-heading">
            <h2 id="new-team-heading">"New team"</h2>
            <ActionForm action=create attr:class="planning-form" attr:data-testid="new-team-form">
                <div class="field">
                    <label for="new-team-name">"Name"</label>
                    <input id="new-team-name" name="name" maxlength="100" required autocomplete="off" />
                    <FieldError message=Signal::derive(error_for(create, "name")) />
                </div>
                <FormError action=create fields=&["name"] />
                <div class="form-actions">
                    <Submit pending=create.pending() label="Create team" busy="Creating…" testid="create-team" />
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn TeamRow(team: TeamAdminRow, refresh: RwSignal<u32>) -> impl IntoView {
    let rename = ServerAction::<UpdateTeam>::new();
    let archive = ServerAction::<UpdateTeam>::new();
    let company = ServerAction::<UpdateTeam>::new();
    refresh_after(rename, refresh);
    refresh_after(archive, refresh);
    refresh_after(company, refresh);
    let company_label = if team.company {
        format!("Make {} a team again", team.name)
    } else {
        format!("Make {} the company level", team.name)
    };
    let name_id = format!("team-{}-name", team.id);
    let archive_label = if team.archived {
        format!("Restore {}", team.name)
    } else {
        format!("Archive {}", team.name)
    };
    view! {
        <tr data-testid="team-row">
            <th scope="row">{team.name.clone()}</th>
            <td>{team.people}</td>
            <td>{team.objectives}</td>
            <td data-testid="team-status">
                {if team.archived { "Archived" } else { "Active" }}
                {team.company.then_some(" · company level")}
            </td>
            <td class="row-actions">
                <details class="row-edit">
                    <summary>{format!("Rename {}", team.name)}</summary>
                    <ActionForm action=rename attr:class="planning-form">
                        <input type="hidden" name="id" value=team.id.to_string() />
                        <div class="field">
                            <label for=name_id.clone()>"New name"</label>
                            <input id=name_id name="name" value=team.name.clone() maxlength="100" required />
                            <FieldError message=Signal::derive(error_for(rename, "name")) />
                        </div>
                        <FormError action=rename fields=&["name"] />
                        <Submit pending=rename.pending() label="Rename" busy="Saving…" testid="rename-team" />
                    </ActionForm>
                </details>
                <ActionForm action=archive attr:class="inline-form">
                    <input type="hidden" name="id" value=team.id.to_string() />
                    <input type="hidden" name="archived" value=(!team.archived).to_string() />
                    <button type="submit" class="secondary" data-testid="archive-team">
                        {archive_label}
                    </button>
                </ActionForm>
                <FormError action=archive fields=&[] />
                <ActionForm action=company attr:class="inline-form">
                    <input type="hidden" name="id" value=team.id.to_string() />
                    <input type="hidden" name="company" value=(!team.company).to_string() />
                    <button type="submit" class="secondary" data-testid="company-team">
                        {company_label}
                    </button>
                </ActionForm>
                <FormError action=company fields=&[] />
            </td>
        </tr>
    }
}

// ---------------------------------------------------------------------------
// Roll-over

/// `/quarters/:label/roll-over`.
#[component]
pub fn RollOverPage() -> impl IntoView {
    let params = use_params_map();
    let plan = Resource::new(
        move || params.read().get("label").unwrap_or_default(),
        get_roll_over_plan,
    );
    view! {
        <Title text="Start the next quarter · RunwayOKR" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match plan.await {
                    Ok(plan) => view! { <RollOverForm plan /> }.into_any(),
                    Err(error) => page_error(error, "Only admins and team leads roll a quarter over."),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RollOverForm(plan: RollOverPlan) -> impl IntoView {
    let roll = ServerAction::<RollOver>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(report)) = roll.value().get() {
            navigate(
                &DashboardQuery::for_quarter(&report.to_label).href(),
                Default::default(),
            );
        }
    });
    let RollOverPlan {
        from,
        to,
        objectives,
    } = plan;
    let target = if to.id.is_some() {
        format!(
            "into {} ({})",
            to.label,
            quarter_dates(to.start_at, to.end_at)
        )
    } else {
        format!(
            "into {} ({}), which is created",
            to.label,
            quarter_dates(to.start_at, to.end_at)
        )
    };
    let empty = objectives.is_empty();
    view! {
        <section class="panel" aria-labelledby="roll-over-heading">
            <h2 id="roll-over-heading">{format!("Start the next quarter from {}", from.label)}</h2>
            <p data-testid="roll-over-target">
                {format!(
                    "Copies the objectives you choose and their key results {target}. Each key result starts where it ends now, with the same target, owner and unit; check-ins stay behind.",
                )}
            </p>
            {if empty {
                view! { <p data-testid="nothing-to-roll">"There are no objectives you may copy in this quarter."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=roll attr:class="planning-form" attr:data-testid="roll-over-form">
                        <input type="hidden" name="label" value=from.label.clone() />
                        <fieldset>
                            <legend>"Objectives to copy"</legend>
                            {objectives
                                .into_iter()
                                .enumerate()
                                .map(|(index, objective)| {
                                    let note = if objective.already_copied {
                                        " · already there: only missing key results are added"
                                    } else {
                                        ""
                                    };
                                    view! {
                                        <label class="check">
                                            <input
                                                type="checkbox"
                                                name=format!("objective_ids[{index}]")
                                                value=objective.id.to_string()
                                                checked=true
                                                data-testid="roll-over-objective"
                                            />
                                            {format!(
                                                "{} ({}): {} key results, {} reached{note}",
                                                objective.title,
                                                objective.team,
                                                objective.key_results,
                                                objective.reached,
                                            )}
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                        <label class="check">
                            <input type="checkbox" name="skip_reached" value="on" checked=true data-testid="skip-reached" />
                            "Leave out key results already reached"
                        </label>
                        <FormError action=roll fields=&[] />
                        <div class="form-actions">
                            <Submit pending=roll.pending() label="Start the next quarter" busy="Copying…" testid="roll-over-submit" />
                        </div>
                    </ActionForm>
                }
                    .into_any()
            }}
        </section>
    }
}
