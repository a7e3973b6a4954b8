//! `/`: a quarter's OKRs at a glance, by team, objective and key result.

use leptos::prelude::*;
use leptos::tachys::html::InertElement;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::check_in_form::{CheckInDialog, CheckInPostError};
use super::dashboard_rows::{FOLD_ABOVE_KEY_RESULTS, Rows};
use super::widgets::ErrorPanel;
use crate::dashboard_query::DashboardQuery;
use crate::model::{Dashboard, FilterOption, QuarterView};
use crate::server_fns::auth::get_viewer;
use crate::server_fns::dashboard_for;
use domain::access::Viewer;
use domain::rules;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let dashboard = Resource::new(
        move || DashboardQuery::read(|name| query.read().get(name)),
        dashboard_for,
    );
    let viewer = Resource::new(|| (), |_| get_viewer());

    view! {
        <CheckInPostError />
        <Suspense fallback=|| view! { <p class="loading">"Loading OKRs…"</p> }>
            {move || Suspend::new(async move {
                match (dashboard.await, viewer.await) {
                    (Ok(dashboard), Ok(viewer)) => view! { <DashboardView dashboard viewer /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard, viewer: Option<Viewer>) -> impl IntoView {
    let query = use_query_map();
    let query = DashboardQuery::read(|name| query.read_untracked().get(name));
    let overall = dashboard.progress();
    let ncs = dashboard.net_confidence_score();
    let Dashboard {
        quarters,
        quarter,
        teams,
        team_options,
        owner_options,
        as_of,
        today,
        alignment,
    } = dashboard;
    let Some(quarter) = quarter else {
        let is_admin = viewer.as_ref().is_some_and(Viewer::is_admin);
        return view! {
            <section class="empty">
                <h2>"No quarters yet"</h2>
                {if is_admin {
                    view! {
                        <p>
                            <a href="/admin/quarters">"Create the first quarter"</a>
                            ", then its teams' objectives and key results."
                        </p>
                    }
                        .into_any()
                } else {
                    view! { <p>"An admin has not planned a quarter yet."</p> }.into_any()
                }}
            </section>
        }
        .into_any();
    };
    let is_planner = viewer.as_ref().is_some_and(Viewer::is_planner);
    let max_date = today.min(quarter.end_at).max(quarter.start_at);
    // The one check-in dialog, when this person may check in on any row.
    let dialog = (!quarter.archived
        && teams.iter().any(|team| {
            team.objectives
                .iter()
                .flat_map(|objective| &objective.key_results)
                .any(|kr| {
                    viewer
                        .as_ref()
                        .is_some_and(|viewer| viewer.may_check_in(kr.owner_id, team.id))
                })
        }))
    .then(|| {
        view! { <CheckInDialog min_date=quarter.start_at.to_string() max_date=max_date.to_string() /> }
    });
    let count: usize = teams
        .iter()
        .flat_map(|team| &team.objectives)
        .map(|objective| objective.key_results.len())
        .sum();
    let expected = rules::expected_progress(quarter.start_at, quarter.end_at, as_of);

    view! {
        <Title text=format!("{} · RunwayOKR", quarter.label) />
        // Swapped for a fresh copy after a check-in saved in place.
        <div id="dashboard" data-refresh="">
        <section class="quarter-bar" aria-label="Quarter">
            <div class="quarter-heading">
                <h2>{quarter.label.clone()}</h2>
                <p class="quarter-dates">
                    {format!(
                        "{} – {}",
                        quarter.start_at.format("%b %-d"),
                        quarter.end_at.format("%b %-d, %Y"),
                    )}
                    {quarter.archived.then_some(" · archived")}
                </p>
            </div>
            <dl class="quarter-stats">
                <div>
                    <dt>"Key results"</dt>
                    <dd>{count}</dd>
                </div>
                <div>
                    <dt>"Progress"</dt>
                    <dd>
                        {overall.map(rules::format_percent).unwrap_or_else(|| "—".into())}
                    </dd>
                </div>
                <div>
                    <dt>"Expected by now"</dt>
                    <dd>{rules::format_percent(expected)}</dd>
                </div>
                <div>
                    <dt>
                        <abbr title="Net Confidence Score: % Green minus % Red">"NCS"</abbr>
                    </dt>
                    <dd>
                        {ncs.map(|score| format!("{score:+.0}")).unwrap_or_else(|| "—".into())}
                    </dd>
                </div>
            </dl>
            <QuarterSwitcher quarters current=quarter.label.clone() />
        </section>
        <QuarterActions quarter=quarter.clone() is_planner />
        <FilterBar
            quarter=quarter.label.clone()
            query=query.clone()
            team_options
            owner_options
            company_options=alignment.company_objectives.clone()
        />
        {if teams.is_empty() {
            let message = if query.is_filtered() {
                "No key results match these filters."
            } else {
                "No objectives in this quarter yet."
            };
            view! { <p class="empty">{message}</p> }.into_any()
        } else {
            // The rows, written as one string (see dashboard_rows).
            let rows = Rows {
                viewer: viewer.as_ref(),
                quarter: &quarter,
                as_of,
                today,
                alignment: &alignment,
            };
            if count > FOLD_ABOVE_KEY_RESULTS && query.team.is_none() {
                // The viewer's own team first and in full, the others folded.
                let own = viewer.as_ref().and_then(|viewer| viewer.member).map(|member| member.team_id);
                let mut teams = teams;
                teams.sort_by_key(|team| Some(team.id) != own);
                let html = rows.teams_folded(&teams, |team| Some(team.id) == own, &query);
                view! {
                    <p class="fold-note">
                        {format!(
                            "{count} key results in {} teams: your team's are shown; open another team to see its own.",
                            teams.len(),
                        )}
                    </p>
                    {InertElement::new(html)}
                    <script type="module" src="/dashboard.js"></script>
                }
                    .into_any()
            } else {
                InertElement::new(rows.teams(&teams)).into_any()
            }
        }}
        </div>
        {dialog}
    }
    .into_any()
}

/// The quarter's review, and for admins and leads its planning.
#[component]
fn QuarterActions(quarter: QuarterView, is_planner: bool) -> impl IntoView {
    let label: String = form_urlencoded::byte_serialize(quarter.label.as_bytes()).collect();
    let open = !quarter.archived;
    view! {
        <nav class="quarter-actions" aria-label="Quarter actions">
            <a href=format!("/quarters/{label}/review")>"Quarterly review"</a>
            <a href=format!("/quarters/{label}/alignment")>"Alignment"</a>
            {(is_planner && open)
                .then(|| {
                    view! {
                        <a href=format!("/objectives/new?quarter={label}")>
                            "New objective"
                        </a>
                    }
                })}
            {is_planner
                .then(|| {
                    view! {
                        <a href=format!("/quarters/{label}/roll-over")>
                            "Start the next quarter from this one"
                        </a>
                    }
                })}
            <a href=format!("/quarters/{label}/export/okrs") download>
                "Export OKRs (CSV)"
            </a>
            <a href=format!("/quarters/{label}/export/check-ins") download>
                "Export check-ins (CSV)"
            </a>
            {is_planner.then(|| view! { <a href="/import">"Import CSV"</a> })}
            {quarter.archived.then(|| view! { <span class="muted">"Archived: read-only"</span> })}
        </nav>
    }
}

/// Team, owner, at-risk and stale filters, as a GET form: the URL holds the
/// state, so a filtered view can be shared and works without JavaScript.
#[component]
fn FilterBar(
    quarter: String,
    query: DashboardQuery,
    team_options: Vec<FilterOption>,
    owner_options: Vec<FilterOption>,
    company_options: Vec<FilterOption>,
) -> impl IntoView {
    let options = move |choices: Vec<FilterOption>, selected: Option<String>| {
        let selected = selected.unwrap_or_default();
        choices
            .into_iter()
            .map(|choice| {
                let is_selected = choice.id.to_string() == selected.trim();
                view! { <option value=choice.id.to_string() selected=is_selected>{choice.name}</option> }
            })
            .collect_view()
    };
    let clear = DashboardQuery::for_quarter(&quarter).href();
    view! {
        <form class="filters" method="get" action="/" aria-label="Filters">
            <input type="hidden" name="quarter" value=quarter />
            <div class="field">
                <label for="filter-team">"Team"</label>
                <select id="filter-team" name="team">
                    <option value="">"All teams"</option>
                    {options(team_options, query.team.clone())}
                </select>
            </div>
            <div class="field">
                <label for="filter-owner">"Owner"</label>
                <select id="filter-owner" name="owner">
                    <option value="">"Everyone"</option>
                    {options(owner_options, query.owner.clone())}
                </select>
            </div>
            {(!company_options.is_empty())
                .then(|| {
                    view! {
                        <div class="field">
                            <label for="filter-supports">"Company objective"</label>
                            <select id="filter-supports" name="supports">
                                <option value="">"Any"</option>
                                {options(company_options, query.supports.clone())}
                            </select>
                        </div>
                    }
                })}
            <label class="check">
                <input type="checkbox" name="at_risk" value="1" checked=query.at_risk />
                "At risk (Red or behind pace)"
            </label>
            <label class="check">
                <input type="checkbox" name="stale" value="1" checked=query.stale />
                {format!("Stale (no check-in for {} days)", rules::STALE_AFTER_DAYS)}
            </label>
            <div class="filter-actions">
                <button type="submit">"Apply"</button>
                <a href=clear>"Clear"</a>
            </div>
        </form>
    }
}

/// A plain GET form, so switching quarters works without JavaScript too.
#[component]
fn QuarterSwitcher(quarters: Vec<QuarterView>, current: String) -> impl IntoView {
    view! {
        <form class="quarter-switcher" method="get" action="/">
            <label for="quarter-select">"Quarter"</label>
            <select id="quarter-select" name="quarter">
                {quarters
                    .into_iter()
                    .map(|quarter| {
                        let selected = quarter.label == current;
                        view! {
                            <option value=quarter.label.clone() selected=selected>
                                {quarter.label.clone()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <button type="submit">"Show"</button>
        </form>
    }
}
