//! CSV import: the upload form (`/import`), the preview and commit of an
//! upload with its progress (`/import/:id`), and the history (`/imports`).
//! The upload is a plain multipart form; the preview refreshes itself while
//! a commit runs, with or without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::form::FormError;
use super::widgets::{ErrorPanel, ProgressBar};
use crate::model::{ImportCounts, ImportHistoryRow, ImportKind, ImportPreview, ImportState};
use crate::server_fns::transfer::{CommitImport, get_import_history, get_import_preview};

#[component]
pub fn ImportPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.read().get("error").filter(|error| !error.is_empty());
    view! {
        <Title text="Import · RunwayOKR" />
        <section class="panel" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import from a spreadsheet"</h2>
            <p>
                "Save your sheet as CSV (comma or semicolon, UTF-8). You see what the file would change, and every problem by line and column, before anything is written; then it is imported in one go, or not at all. Importing the same file again changes nothing."
            </p>
            <Show when=move || error().is_some()>
                <p class="banner banner-error" role="alert" data-testid="upload-error">{error}</p>
            </Show>
            <form
                method="post"
                action="/import/upload"
                enctype="multipart/form-data"
                class="planning-form"
                data-testid="upload-form"
            >
                <div class="field">
                    <label for="import-kind">"The file holds"</label>
                    <select id="import-kind" name="kind">
                        <option value="okrs">"Objectives and key results"</option>
                        <option value="check_ins">"Check-in history"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="import-file">"CSV file (up to 10 MB, 50,000 rows)"</label>
                    <input id="import-file" type="file" name="file" accept=".csv,text/csv" required />
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary" data-testid="upload-submit">"Check the file"</button>
                    <a href="/imports">"Import history"</a>
                </div>
            </form>
        </section>
        <section class="panel" aria-labelledby="formats-heading">
            <h2 id="formats-heading">"The two formats"</h2>
            <p>"One row per key result, with a header row; columns in any order, header names in any case; " <code>"current"</code> " may be left out:"</p>
            <pre class="code-block">
                "quarter,team,objective,objective_owner_email,key_result,owner_email,unit,start,target,current\n2025-Q2,Direct Channel Sales,Grow Direct Channel Revenue,sarah.chen@airline.com,Grow mobile app bookings from $12M to $18M,mike.johnson@airline.com,$,12000000,18000000,\n"
            </pre>
            <p>
                "Optional " <code>"parent_team"</code> ", " <code>"parent_objective"</code> " and "
                <code>"parent_key_result"</code>
                " name what the row's objective supports (another team's or the company's objective in the same quarter, or one of its key results); left blank, the objective's alignment stays as it is."
            </p>
            <p>"One row per check-in, the key result named by its quarter, team, objective and title; " <code>"note"</code> " may be left out:"</p>
            <pre class="code-block">
                "quarter,team,objective,key_result,date,value,confidence,note,author_email\n2025-Q2,Direct Channel Sales,Grow Direct Channel Revenue,Grow mobile app bookings from $12M to $18M,2025-04-07,12400000,green,Spring sale,mike.johnson@airline.com\n"
            </pre>
            <p class="muted">
                "Units are %, pp, $ or #. Confidence is red, amber or green (or 0, 1, 2). A quarter labelled like 2025-Q3 that does not exist yet is created (admins). Every dashboard and review page exports its quarter in exactly these formats."
            </p>
        </section>
    }
}

fn counts(counts: ImportCounts, noun: &str) -> String {
    format!(
        "{} {noun} to create, {} to update, {} as they are",
        counts.created, counts.updated, counts.unchanged
    )
}

#[component]
pub fn ImportPreviewPage() -> impl IntoView {
    let params = use_params_map();
    let commit = ServerAction::<CommitImport>::new();
    let tick = RwSignal::new(0u32);
    let preview = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                commit.version().get(),
                tick.get(),
            )
        },
        |(id, _, _)| get_import_preview(id),
    );
    view! {
        <Title text="Import preview · RunwayOKR" />
        <Transition fallback=|| view! { <p class="loading">"Checking the file…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(preview) => view! { <Preview preview commit tick /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Preview(
    preview: ImportPreview,
    commit: ServerAction<CommitImport>,
    tick: RwSignal<u32>,
) -> impl IntoView {
    let ImportPreview {
        id,
        filename,
        kind,
        summary,
        problems,
        problem_count,
        identical_to,
        state,
    } = preview;
    let running = matches!(state, ImportState::Running { .. });
    if running {
        // Once hydrated, look again in a moment (without JavaScript, the
        // refresh header below does it).
        Effect::new(move |_| {
            set_timeout(
                move || tick.update(|count| *count += 1),
                std::time::Duration::from_millis(500),
            );
        });
    }
    let noun = match kind {
        ImportKind::Okrs => "key results",
        ImportKind::CheckIns => "check-ins",
    };
    let body = match state {
        ImportState::Running { done, total } => {
            let share = (total > 0).then(|| done as f64 / total as f64);
            view! {
                <Meta http_equiv="refresh" content="1" />
                <p data-testid="import-progress" role="status">
                    {format!("Importing {filename}: {done} of {total} rows written…")}
                </p>
                <ProgressBar progress=share label="Import progress" />
            }
            .into_any()
        }
        ImportState::Committed { .. } => view! {
            <p class="banner banner-ok" role="status" data-testid="import-done">
                "Imported. "
                <a href="/">"See the dashboard"</a>
                " or the "
                <a href="/imports">"import history"</a>
                "."
            </p>
        }
        .into_any(),
        ImportState::Failed { message } => view! {
            <p class="banner banner-error" role="alert" data-testid="import-failed">
                {message}
            </p>
        }
        .into_any(),
        ImportState::Preview => {
            let ready = problem_count == 0;
            let nothing_changes = summary.records.created == 0
                && summary.records.updated == 0
                && summary.objectives.created == 0
                && summary.objectives.updated == 0;
            view! {
                <p>{format!("{} data rows.", summary.rows)}</p>
                <ul data-testid="import-summary">
                    {(kind == ImportKind::Okrs)
                        .then(|| view! { <li>{counts(summary.objectives, "objectives")}</li> })}
                    <li>{counts(summary.records, noun)}</li>
                    {(!summary.quarters_created.is_empty())
                        .then(|| view! { <li>{format!("quarters to create: {}", summary.quarters_created.join(", "))}</li> })}
                </ul>
                {identical_to
                    .map(|earlier| {
                        view! {
                            <p class="banner" role="status" data-testid="identical-import">
                                {format!("This file is identical to {earlier}.")}
                            </p>
                        }
                    })}
                {if ready {
                    view! {
                        {nothing_changes
                            .then(|| {
                                view! {
                                    <p data-testid="nothing-changes">
                                        "Everything in this file is already here: importing it changes nothing."
                                    </p>
                                }
                            })}
                        <ActionForm action=commit attr:class="inline-form">
                            <input type="hidden" name="id" value=id.to_string() />
                            <button type="submit" class="primary" disabled=commit.pending() data-testid="commit-import">
                                {move || if commit.pending().get() { "Starting…" } else { "Import" }}
                            </button>
                        </ActionForm>
                        <FormError action=commit fields=&[] />
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="banner banner-error" role="alert" data-testid="import-problems-count">
                            {format!(
                                "{}: nothing will be imported until they are fixed. Fix the file and upload it again.",
                                crate::model::problems_in_words(problem_count),
                            )}
                        </p>
                        <ol class="problems" data-testid="import-problems">
                            {problems
                                .iter()
                                .map(|problem| view! { <li data-testid="import-problem">{problem.to_string()}</li> })
                                .collect_view()}
                        </ol>
                        {(problem_count > problems.len() as u64)
                            .then(|| view! { <p>{format!("…and {} more.", problem_count - problems.len() as u64)}</p> })}
                        <p>
                            <a href="/import">"Upload a corrected file"</a>
                        </p>
                    }
                        .into_any()
                }}
            }
                .into_any()
        }
    };
    view! {
        <section class="panel" aria-labelledby="preview-heading" data-testid="import-preview">
            <h2 id="preview-heading">{format!("Import of {}", kind.label())}</h2>
            {body}
        </section>
    }
}

#[component]
pub fn ImportHistoryPage() -> impl IntoView {
    let history = Resource::new(|| (), |_| get_import_history());
    view! {
        <Title text="Import history · RunwayOKR" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(rows) => view! { <History rows /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn History(rows: Vec<ImportHistoryRow>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="history-heading">
            <h2 id="history-heading">"Import history"</h2>
            <p>
                <a href="/import">"Import a file"</a>
            </p>
            {if rows.is_empty() {
                view! { <p data-testid="no-imports">"Nothing has been imported yet."</p> }.into_any()
            } else {
                view! {
                    <table class="people-table" data-testid="import-history">
                        <thead>
                            <tr>
                                <th scope="col">"When (UTC)"</th>
                                <th scope="col">"File"</th>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"Rows"</th>
                                <th scope="col">"By"</th>
                                <th scope="col">"Result"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <tr data-testid="import-row">
                                            <td>{row.at.format("%b %-d, %Y %H:%M").to_string()}</td>
                                            <td>{row.filename}</td>
                                            <td>{row.kind}</td>
                                            <td>{row.rows}</td>
                                            <td>{row.by}</td>
                                            <td>{row.summary}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}
