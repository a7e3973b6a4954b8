//! `/`: a quarter's OKRs at a glance, by team, objective and key result.

use entity::ConfidenceLevel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::format_date;
use super::sparkline::Sparkline;
use crate::api::get_dashboard;
use crate::error::AppError;
use crate::model::{Dashboard, KeyResultView, ObjectiveView, QuarterView, TeamView};
use crate::rules;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let dashboard = Resource::new(
        move || {
            query
                .read()
                .get("quarter")
                .filter(|label| !label.is_empty())
        },
        get_dashboard,
    );

    view! {
        <div class="page">
            <header class="masthead">
                <h1>
                    <a href="/" class="brand">"RunwayOKR"</a>
                </h1>
                <p class="tagline">"Quarterly objectives and key results"</p>
            </header>
            <main>
                <Suspense fallback=|| view! { <p class="loading">"Loading OKRs…"</p> }>
                    {move || Suspend::new(async move {
                        match dashboard.await {
                            Ok(dashboard) => view! { <DashboardView dashboard /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let heading = match &error {
        AppError::NotFound(_) => "Not found",
        AppError::Unavailable => "Database unavailable",
        _ => "Something went wrong",
    };
    view! {
        <section class="error-panel" role="alert">
            <h2>{heading}</h2>
            <p>{error.to_string()}</p>
            <p>
                <a href="/">"Back to the current quarter"</a>
            </p>
        </section>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard) -> impl IntoView {
    let Dashboard {
        quarters,
        quarter,
        teams,
    } = dashboard;
    let Some(quarter) = quarter else {
        return view! {
            <section class="empty">
                <h2>"No quarters yet"</h2>
                <p>"Run " <code>"cargo run -p migration -- seed"</code> " to load the demo data."</p>
            </section>
        }
        .into_any();
    };
    let key_results: Vec<&KeyResultView> = teams
        .iter()
        .flat_map(|team| &team.objectives)
        .flat_map(|objective| &objective.key_results)
        .collect();
    let overall = rules::rollup(key_results.iter().filter_map(|kr| kr.progress()));
    let count = key_results.len();

    view! {
        <Title text=format!("{} · RunwayOKR", quarter.label) />
        <section class="quarter-bar" aria-label="Quarter">
            <div class="quarter-heading">
                <h2 data-testid="quarter-label">{quarter.label.clone()}</h2>
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
                    <dt>"Overall progress"</dt>
                    <dd>{overall.map(rules::format_percent).unwrap_or_else(|| "—".into())}</dd>
                </div>
            </dl>
            <QuarterSwitcher quarters current=quarter.label.clone() />
        </section>
        {if teams.is_empty() {
            view! { <p class="empty">"No objectives in this quarter yet."</p> }.into_any()
        } else {
            teams.into_iter().map(|team| view! { <TeamSection team /> }).collect_view().into_any()
        }}
    }
    .into_any()
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

#[component]
fn TeamSection(team: TeamView) -> impl IntoView {
    let heading_id = format!("team-{}", team.id);
    let labelled_by = heading_id.clone();
    view! {
        <section class="team" data-testid="team" aria-labelledby=labelled_by>
            <h2 id=heading_id class="team-name">{team.name}</h2>
            {team
                .objectives
                .into_iter()
                .map(|objective| view! { <ObjectiveCard objective /> })
                .collect_view()}
        </section>
    }
}

#[component]
fn ObjectiveCard(objective: ObjectiveView) -> impl IntoView {
    let progress = objective.progress();
    let confidence = objective.confidence();
    let expanded = RwSignal::new(true);
    let list_id = format!("objective-{}-krs", objective.id);
    let controls = list_id.clone();
    let count = objective.key_results.len();

    view! {
        <article class="objective" data-testid="objective">
            <header class="objective-header">
                <h3 class="objective-title" data-testid="objective-title">
                    <button
                        type="button"
                        class="objective-toggle"
                        data-testid="objective-toggle"
                        aria-expanded=move || expanded.get().to_string()
                        aria-controls=controls
                        on:click=move |_| expanded.update(|open| *open = !*open)
                    >
                        <span class="chevron" aria-hidden="true"></span>
                        {objective.title.clone()}
                    </button>
                </h3>
                <p class="objective-meta">
                    {format!("Owner {} · {} key results", objective.owner, count)}
                </p>
                <div class="objective-rollup">
                    <ProgressBar progress label="Objective progress" />
                    <span class="figure" data-testid="objective-progress">
                        {progress.map(rules::format_percent).unwrap_or_else(|| "—".into())}
                    </span>
                    <ConfidenceBadge level=confidence testid="objective-confidence" />
                </div>
            </header>
            <ul
                class="key-results"
                data-testid="kr-list"
                id=list_id
                hidden=move || !expanded.get()
            >
                {objective
                    .key_results
                    .into_iter()
                    .map(|key_result| view! { <KeyResultRow key_result /> })
                    .collect_view()}
            </ul>
        </article>
    }
}

#[component]
fn KeyResultRow(key_result: KeyResultView) -> impl IntoView {
    let progress = key_result.progress();
    let confidence = key_result.confidence();
    let last_check_in = key_result
        .latest()
        .map(|point| format_date(point.created_at))
        .unwrap_or_else(|| "No check-ins yet".into());
    let current = key_result.format(key_result.current_value);
    let range = format!(
        "{} → {}",
        key_result.format(key_result.start_value),
        key_result.format(key_result.target_value)
    );
    let direction = match key_result.direction {
        entity::Direction::Up => "increase",
        entity::Direction::Down => "decrease",
    };

    view! {
        <li class="key-result" data-testid="key-result">
            <div class="kr-identity">
                <p class="kr-title" data-testid="kr-title">{key_result.title.clone()}</p>
                <p class="kr-owner">
                    <span class="visually-hidden">"Owner: "</span>
                    <span data-testid="kr-owner">{key_result.owner.clone()}</span>
                </p>
            </div>
            <div class="kr-value">
                <span class="kr-current" data-testid="kr-current">{current}</span>
                <span class="kr-range" title=format!("Target: {direction}")>{range}</span>
            </div>
            <div class="kr-progress">
                <ProgressBar progress label="Key result progress" />
                <span class="figure" data-testid="kr-progress">
                    {progress.map(rules::format_percent).unwrap_or_else(|| "—".into())}
                </span>
            </div>
            <div class="kr-status">
                <ConfidenceBadge level=confidence testid="confidence-badge" />
                <span class="kr-last" data-testid="kr-last-check-in">{last_check_in}</span>
            </div>
            <Sparkline key_result />
        </li>
    }
}

/// A bar clamped to 0–100%; the figure beside it tells the true value.
#[component]
fn ProgressBar(progress: Option<f64>, label: &'static str) -> impl IntoView {
    let clamped = progress.map(rules::clamped).unwrap_or(0.0);
    let percent = (clamped * 100.0).round();
    view! {
        <div
            class="bar"
            role="progressbar"
            aria-label=label
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=percent.to_string()
        >
            <span class="bar-fill" style=format!("width: {percent}%")></span>
        </div>
    }
}

#[component]
fn ConfidenceBadge(level: Option<ConfidenceLevel>, testid: &'static str) -> impl IntoView {
    let (class, text) = match level {
        Some(ConfidenceLevel::Green) => ("badge badge-green", "Green"),
        Some(ConfidenceLevel::Amber) => ("badge badge-amber", "Amber"),
        Some(ConfidenceLevel::Red) => ("badge badge-red", "Red"),
        None => ("badge badge-none", "No check-in"),
    };
    view! {
        <span class="visually-hidden">"Confidence: "</span>
        <span class=class data-testid=testid>
            {text}
        </span>
    }
}
