//! The objective and key result forms (admins, and leads for their team),
//! with their delete confirmations. Every form is a plain POST without
//! JavaScript and saves in place once hydrated.

use domain::Unit;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::form::{FieldError, FormError, Submit, choices, error_for, follow};
use super::widgets::page_error;
use crate::dashboard_query::DashboardQuery;
use crate::model::{AlignmentChoices, KeyResultEditor, ObjectiveEditor};
use crate::server_fns::planning::{
    AlignObjective, DeleteKeyResult, DeleteObjective, SaveKeyResult, SaveObjective,
    get_key_result_editor, get_objective_editor,
};

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
    let ObjectiveEditor {
        draft,
        options,
        alignment,
    } = editor;
    let is_new = draft.id.is_none();
    let back = options
        .quarters
        .iter()
        .find(|quarter| quarter.id == draft.quarter_id)
        .map_or_else(
            || "/".to_owned(),
            |quarter| DashboardQuery::for_quarter(&quarter.label).href(),
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
                    {alignment.clone().map(|choices| view! { <SupportsForm id choices /> })}
                    <DeleteObjectiveForm
                        id
                        key_results=draft.key_results
                        check_ins=draft.check_ins
                        supporters=draft.supporters
                    />
                }
            })}
    }
}

#[component]
fn DeleteObjectiveForm(
    id: uuid::Uuid,
    key_results: u64,
    check_ins: u64,
    supporters: u64,
) -> impl IntoView {
    let delete = ServerAction::<DeleteObjective>::new();
    follow(delete);
    let unaligned = match supporters {
        0 => String::new(),
        1 => " The 1 objective that supports it stays, and supports nothing.".to_owned(),
        n => format!(" The {n} objectives that support it stay, and support nothing."),
    };
    view! {
        <section class="panel danger-zone" aria-labelledby="delete-objective-heading">
            <h2 id="delete-objective-heading">"Delete this objective"</h2>
            <p data-testid="delete-consequence">
                {format!(
                    "Its {key_results} key results and their {check_ins} check-ins are deleted with it.{unaligned} This cannot be undone."
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

/// "Supports": the company or other team objective (or key result) this
/// objective moves, in a plain form: a native select with a group per
/// objective, posted without JavaScript.
#[component]
fn SupportsForm(id: uuid::Uuid, choices: AlignmentChoices) -> impl IntoView {
    let align = ServerAction::<AlignObjective>::new();
    follow(align);
    let AlignmentChoices {
        current,
        quarter_label,
        read_only,
        groups,
    } = choices;
    let label: String = form_urlencoded::byte_serialize(quarter_label.as_bytes()).collect();
    let tree = format!("/quarters/{label}/alignment");
    let option = move |(value, words): (String, String), current: &str| {
        let selected = value == current;
        view! { <option value=value selected=selected>{words}</option> }
    };
    let empty = groups.is_empty();
    view! {
        <section class="panel" aria-labelledby="supports-heading">
            <h2 id="supports-heading">"Supports"</h2>
            <p class="muted">
                "The company or other team objective this one moves, or one of its key results. "
                <a href=tree>{format!("See {quarter_label}'s alignment")}</a>
            </p>
            {if read_only {
                view! { <p>"This quarter is archived: its alignment is read-only."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=align attr:class="planning-form" attr:data-testid="supports-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <div class="field">
                            <label for="objective-parent">"Supports"</label>
                            <select id="objective-parent" name="parent">
                                <option value="" selected=current.is_empty()>"Nothing (not aligned)"</option>
                                {groups
                                    .into_iter()
                                    .map(|group| {
                                        let current = current.clone();
                                        view! {
                                            <optgroup label=group.label>
                                                {option(group.objective, &current)}
                                                {group
                                                    .key_results
                                                    .into_iter()
                                                    .map(|choice| option(choice, &current))
                                                    .collect_view()}
                                            </optgroup>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {empty
                                .then(|| {
                                    view! {
                                        <p class="muted">"No other team has an objective in this quarter yet."</p>
                                    }
                                })}
                            <FieldError message=Signal::derive(error_for(align, "parent")) />
                        </div>
                        <FormError action=align fields=&["parent"] />
                        <div class="form-actions">
                            <Submit
                                pending=align.pending()
                                label="Save alignment"
                                busy="Saving…"
                                testid="save-alignment"
                            />
                        </div>
                    </ActionForm>
                }
                    .into_any()
            }}
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
            <a href=DashboardQuery::for_quarter(&quarter_label).href()>{quarter_label.clone()}</a>
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
