//! Planning pages: quarters and teams (admins), the objective and key result
//! forms (admins, and leads for their team) with their delete
//! confirmations, and the roll-over into the next quarter. Every form is a
//! plain POST without JavaScript and saves in place once hydrated.

use domain::Unit;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::planning::{
    ArchiveQuarter, CreateTeam, DeleteKeyResult, DeleteObjective, RollOver, SaveKeyResult,
    SaveObjective, SaveQuarter, Saved, UpdateTeam, get_key_result_editor, get_objective_editor,
    get_quarters_admin, get_roll_over_plan, get_teams_admin,
};
use crate::error::AppError;
use crate::model::{
    KeyResultEditor, ObjectiveEditor, QuarterAdminRow, QuarterDraft, QuartersAdmin, RollOverPlan,
    TeamAdminRow,
};

use super::dashboard::ErrorPanel;

// ---------------------------------------------------------------------------
// Shared form pieces

/// The message of `action`'s last error if it is about `field`.
pub fn error_for<S>(
    action: ServerAction<S>,
    field: &'static str,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error| error.field() == Some(field))
            .map(|error| error.to_string())
    }
}

/// The last error of `action` that no field of the form shows.
#[component]
pub fn FormError<S>(action: ServerAction<S>, fields: &'static [&'static str]) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let message = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error| error.field().is_none_or(|field| !fields.contains(&field)))
            .map(|error| error.to_string())
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="banner banner-error" role="alert" data-testid="form-error">
                {message}
            </p>
        </Show>
    }
}

/// A field's error line under it.
#[component]
fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="field-error" role="alert">{move || message.get()}</p> }
}

/// Once hydrated, a successful save goes on to the page it names, without a
/// reload (without JavaScript the server redirects there).
fn follow<S>(action: ServerAction<S>)
where
    S: ServerFn<Output = Saved, Error = AppError> + Clone + Send + Sync + 'static,
{
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = action.value().get() {
            navigate(&saved.next, Default::default());
        }
    });
}

/// A submit button that says it is busy while `pending`.
#[component]
fn Submit(
    pending: Memo<bool>,
    label: &'static str,
    busy: &'static str,
    testid: &'static str,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=class.unwrap_or("primary")
            disabled=move || pending.get()
            data-testid=testid
        >
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

fn choices(items: impl IntoIterator<Item = (String, String)>, selected: String) -> impl IntoView {
    items
        .into_iter()
        .map(|(value, label)| {
            let is_selected = value == selected;
            view! { <option value=value selected=is_selected>{label}</option> }
        })
        .collect_view()
}

fn forbidden_panel(what: &'static str) -> AnyView {
    view! {
        <section class="error-panel" role="alert" data-testid="forbidden">
            <h2>"Not allowed"</h2>
            <p>{what}</p>
            <p>
                <a href="/">"Back to the dashboard"</a>
            </p>
        </section>
    }
    .into_any()
}

fn page_error(error: AppError, forbidden: &'static str) -> AnyView {
    match error {
        AppError::Forbidden(_) => forbidden_panel(forbidden),
        error => view! { <ErrorPanel error /> }.into_any(),
    }
}

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

/// Bumps `refresh` after each success of `action`, so the page reloads its data.
pub fn refresh_after<S>(action: ServerAction<S>, refresh: RwSignal<u32>)
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            refresh.update(|count| *count += 1);
        }
    });
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
                <a href=format!("/?quarter={label}")>{quarter.label.clone()}</a>
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
            <p class="muted">"An archived team leaves the pickers but keeps its objectives, key results and people."</p>
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
    refresh_after(rename, refresh);
    refresh_after(archive, refresh);
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
            <td data-testid="team-status">{if team.archived { "Archived" } else { "Active" }}</td>
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
            </td>
        </tr>
    }
}

// ---------------------------------------------------------------------------
// Objectives

/// `/objectives/new?quarter=…` and `/objectives/:id/edit`.
#[component]
pub fn ObjectiveFormPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let editor = Resource::new(
        move || (params.read().get("id"), query.read().get("quarter")),
        |(id, quarter)| get_objective_editor(id, quarter),
    );
    view! {
        <Title text="Objective · RunwayOKR" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! { <ObjectiveForm editor /> }.into_any(),
                    Err(error) => page_error(error, "Only admins and team leads plan objectives, leads for their own team."),
                }
            })}
        </Suspense>
    }
}

const OBJECTIVE_FIELDS: &[&str] = &["title", "team_id", "owner_id", "quarter_id"];

#[component]
fn ObjectiveForm(editor: ObjectiveEditor) -> impl IntoView {
    let save = ServerAction::<SaveObjective>::new();
    follow(save);
    let ObjectiveEditor { draft, options } = editor;
    let is_new = draft.id.is_none();
    let back = options
        .quarters
        .iter()
        .find(|quarter| quarter.id == draft.quarter_id)
        .map_or_else(
            || "/".to_owned(),
            |quarter| format!("/?quarter={}", escape_label(&quarter.label)),
        );
    let quarters: Vec<_> = options
        .quarters
        .iter()
        .map(|quarter| (quarter.id.to_string(), quarter.label.clone()))
        .collect();
    let teams: Vec<_> = options
        .teams
        .iter()
        .map(|team| (team.id.to_string(), team.name.clone()))
        .collect();
    let people: Vec<_> = options
        .people
        .iter()
        .map(|person| (person.id.to_string(), person.name.clone()))
        .collect();
    view! {
        <section class="panel" aria-labelledby="objective-heading">
            <h2 id="objective-heading">{if is_new { "New objective" } else { "Edit objective" }}</h2>
            <ActionForm action=save attr:class="planning-form" attr:data-testid="objective-form">
                {draft.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
                <div class="field">
                    <label for="objective-title">"Title"</label>
                    <input id="objective-title" name="title" value=draft.title.clone() maxlength="255" required />
                    <FieldError message=Signal::derive(error_for(save, "title")) />
                </div>
                <div class="field">
                    <label for="objective-quarter">"Quarter"</label>
                    <select id="objective-quarter" name="quarter_id">
                        {choices(quarters, draft.quarter_id.to_string())}
                    </select>
                    <FieldError message=Signal::derive(error_for(save, "quarter_id")) />
                </div>
                <div class="field">
                    <label for="objective-team">"Team"</label>
                    <select id="objective-team" name="team_id">{choices(teams, draft.team_id.to_string())}</select>
                    <FieldError message=Signal::derive(error_for(save, "team_id")) />
                </div>
                <div class="field">
                    <label for="objective-owner">"Owner"</label>
                    <select id="objective-owner" name="owner_id">{choices(people, draft.owner_id.to_string())}</select>
                    <FieldError message=Signal::derive(error_for(save, "owner_id")) />
                </div>
                <FormError action=save fields=OBJECTIVE_FIELDS />
                <div class="form-actions">
                    <Submit
                        pending=save.pending()
                        label=if is_new { "Create objective" } else { "Save objective" }
                        busy="Saving…"
                        testid="save-objective"
                    />
                    <a href=back>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
        {draft
            .id
            .map(|id| {
                view! {
                    <section class="panel" aria-labelledby="objective-more-heading">
                        <h2 id="objective-more-heading">"Key results"</h2>
                        <p>
                            <a href=format!("/objectives/{id}/key-results/new") data-testid="add-key-result">
                                "Add a key result"
                            </a>
                        </p>
                    </section>
                    <DeleteObjectiveForm id key_results=draft.key_results check_ins=draft.check_ins />
                }
            })}
    }
}

#[component]
fn DeleteObjectiveForm(id: uuid::Uuid, key_results: u64, check_ins: u64) -> impl IntoView {
    let delete = ServerAction::<DeleteObjective>::new();
    follow(delete);
    view! {
        <section class="panel danger-zone" aria-labelledby="delete-objective-heading">
            <h2 id="delete-objective-heading">"Delete this objective"</h2>
            <p data-testid="delete-consequence">
                {format!(
                    "Its {key_results} key results and their {check_ins} check-ins are deleted with it. This cannot be undone."
                )}
            </p>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="check_ins" value=check_ins.to_string() />
                <Submit
                    pending=delete.pending()
                    label="Delete objective"
                    busy="Deleting…"
                    testid="delete-objective"
                    class="danger"
                />
            </ActionForm>
            <FormError action=delete fields=&[] />
        </section>
    }
}

// ---------------------------------------------------------------------------
// Key results

/// `/objectives/:id/key-results/new` and `/kr/:id/edit`.
#[component]
pub fn KeyResultFormPage() -> impl IntoView {
    let params = use_params_map();
    let editor = Resource::new(
        move || (params.read().get("kr"), params.read().get("objective")),
        |(id, objective)| get_key_result_editor(id, objective),
    );
    view! {
        <Title text="Key result · RunwayOKR" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! { <KeyResultForm editor /> }.into_any(),
                    Err(error) => page_error(error, "Only admins and team leads plan key results, leads for their own team."),
                }
            })}
        </Suspense>
    }
}

const KEY_RESULT_FIELDS: &[&str] = &[
    "title",
    "owner_id",
    "unit",
    "start_value",
    "target_value",
    "current_value",
    "confirm",
];

#[component]
fn KeyResultForm(editor: KeyResultEditor) -> impl IntoView {
    let save = ServerAction::<SaveKeyResult>::new();
    follow(save);
    let KeyResultEditor {
        draft,
        objective_title,
        quarter_label,
        people,
    } = editor;
    let is_new = draft.id.is_none();
    let number = move |value: rust_decimal::Decimal| {
        if is_new {
            String::new()
        } else {
            value.normalize().to_string()
        }
    };
    let people: Vec<_> = people
        .iter()
        .map(|person| (person.id.to_string(), person.name.clone()))
        .collect();
    let units: Vec<_> = Unit::ALL
        .into_iter()
        .map(|unit| {
            let label = match unit {
                Unit::Percent => "% (a rate)",
                Unit::PercentagePoints => "pp (percentage points)",
                Unit::Dollars => "$ (dollars)",
                Unit::Count => "# (a count)",
            };
            (unit.as_str().to_owned(), label.to_owned())
        })
        .collect();
    let confirm_needed = error_for(save, "confirm");
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=format!("/?quarter={}", escape_label(&quarter_label))>{quarter_label.clone()}</a>
            " › "
            <a href=format!("/objectives/{}/edit", draft.objective_id)>{objective_title}</a>
        </nav>
        <section class="panel" aria-labelledby="kr-form-heading">
            <h2 id="kr-form-heading">{if is_new { "New key result" } else { "Edit key result" }}</h2>
            <ActionForm action=save attr:class="planning-form" attr:data-testid="key-result-form">
                {draft.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
                <input type="hidden" name="objective_id" value=draft.objective_id.to_string() />
                <div class="field">
                    <label for="kr-title">"Title"</label>
                    <input id="kr-title" name="title" value=draft.title.clone() maxlength="500" required />
                    <FieldError message=Signal::derive(error_for(save, "title")) />
                </div>
                <div class="field">
                    <label for="kr-owner">"Owner"</label>
                    <select id="kr-owner" name="owner_id">{choices(people, draft.owner_id.to_string())}</select>
                    <FieldError message=Signal::derive(error_for(save, "owner_id")) />
                </div>
                <div class="field">
                    <label for="kr-unit">"Unit"</label>
                    <select id="kr-unit" name="unit">{choices(units, draft.unit.as_str().to_owned())}</select>
                    <FieldError message=Signal::derive(error_for(save, "unit")) />
                </div>
                <div class="field">
                    <label for="kr-start">"Start value"</label>
                    <input id="kr-start" name="start_value" inputmode="decimal" value=number(draft.start_value) required />
                    <FieldError message=Signal::derive(error_for(save, "start_value")) />
                </div>
                <div class="field">
                    <label for="kr-target">"Target value"</label>
                    <input id="kr-target" name="target_value" inputmode="decimal" value=number(draft.target_value) required />
                    <p class="hint">"Above the start, it should rise; below it, fall."</p>
                    <FieldError message=Signal::derive(error_for(save, "target_value")) />
                </div>
                {(draft.check_ins == 0)
                    .then(|| {
                        view! {
                            <div class="field">
                                <label for="kr-current">"Current value (optional)"</label>
                                <input
                                    id="kr-current"
                                    name="current_value"
                                    inputmode="decimal"
                                    value=if is_new { String::new() } else { draft.current_value.normalize().to_string() }
                                />
                                <p class="hint">"Left empty, it is the start value. Check-ins update it."</p>
                                <FieldError message=Signal::derive(error_for(save, "current_value")) />
                            </div>
                        }
                    })}
                <Show when=move || confirm_needed().is_some()>
                    <div class="field confirm-field">
                        <p class="banner banner-error" role="alert">{confirm_needed}</p>
                        <label class="check">
                            <input type="checkbox" name="confirm" value="on" data-testid="confirm-change" />
                            "I understand: change it"
                        </label>
                    </div>
                </Show>
                <FormError action=save fields=KEY_RESULT_FIELDS />
                <div class="form-actions">
                    <Submit
                        pending=save.pending()
                        label=if is_new { "Create key result" } else { "Save key result" }
                        busy="Saving…"
                        testid="save-key-result"
                    />
                </div>
            </ActionForm>
        </section>
        {draft.id.map(|id| view! { <DeleteKeyResultForm id check_ins=draft.check_ins /> })}
    }
}

#[component]
fn DeleteKeyResultForm(id: uuid::Uuid, check_ins: u64) -> impl IntoView {
    let delete = ServerAction::<DeleteKeyResult>::new();
    follow(delete);
    view! {
        <section class="panel danger-zone" aria-labelledby="delete-kr-heading">
            <h2 id="delete-kr-heading">"Delete this key result"</h2>
            <p data-testid="delete-consequence">
                {format!("Its {check_ins} check-ins are deleted with it. This cannot be undone.")}
            </p>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="check_ins" value=check_ins.to_string() />
                <Submit
                    pending=delete.pending()
                    label="Delete key result"
                    busy="Deleting…"
                    testid="delete-key-result"
                    class="danger"
                />
            </ActionForm>
            <FormError action=delete fields=&[] />
        </section>
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
                &format!("/?quarter={}", escape_label(&report.to_label)),
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
