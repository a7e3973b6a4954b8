//! `/quarters/:label/review`: the quarterly business review. For each team
//! and objective, the final progress and confidence, the Net Confidence
//! Score, what was reached and what was missed, the forecast against the
//! final value, and the quarter's notes. It prints on A4.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::form::{FormError, error_for};
use super::widgets::{ConfidenceBadge, ErrorPanel};
use crate::dashboard_query::DashboardQuery;
use crate::model::{Alignment, KeyResultView, ObjectiveView, QuarterReview, QuarterView, TeamView};
use crate::server_fns::planning::{SaveReviewNotes, get_review};
use domain::rules::{self, Outcome};
use domain::text;

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveReviewNotes>::new();
    let review = Resource::new(
        move || {
            (
                params.read().get("label").unwrap_or_default(),
                save.version().get(),
            )
        },
        |(label, _)| get_review(label),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the review…"</p> }>
            {move || Suspend::new(async move {
                match review.await {
                    Ok(review) => view! { <Review review save /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn score(ncs: Option<f64>) -> String {
    ncs.map(|score| format!("{score:+.0}"))
        .unwrap_or_else(|| "—".into())
}

fn percent(progress: Option<f64>) -> String {
    progress
        .map(rules::format_percent)
        .unwrap_or_else(|| "—".into())
}

fn is_reached(key_result: &KeyResultView) -> bool {
    rules::reached(
        key_result.direction,
        key_result.current_value,
        key_result.target_value,
    )
}

#[component]
fn Review(review: QuarterReview, save: ServerAction<SaveReviewNotes>) -> impl IntoView {
    let QuarterReview {
        dashboard,
        notes,
        may_edit_notes,
    } = review;
    let Some(quarter) = dashboard.quarter.clone() else {
        return view! { <p class="empty">"No quarter to review."</p> }.into_any();
    };
    let key_results: Vec<&KeyResultView> = dashboard.key_results().collect();
    let total = key_results.len();
    let reached = key_results.iter().filter(|kr| is_reached(kr)).count();
    let ncs = rules::net_confidence_score(key_results.iter().filter_map(|kr| kr.confidence()));
    let overall = rules::rollup(dashboard.teams.iter().filter_map(TeamView::progress));
    let label = quarter.label.clone();
    let escaped: String = form_urlencoded::byte_serialize(label.as_bytes()).collect();
    // Until the quarter ends, what is not reached is not missed yet.
    let ended = quarter.is_over(dashboard.today);
    let status = if quarter.archived {
        " · archived"
    } else if dashboard.today > quarter.end_at {
        " · ended"
    } else {
        " · in progress"
    };
    view! {
        <Title text=format!("{label} review · RunwayOKR") />
        <article class="review" data-testid="review">
            <header class="review-header">
                <h2 data-testid="review-title">{format!("Quarterly business review: {label}")}</h2>
                <p class="quarter-dates">
                    {format!(
                        "{} – {}{status}",
                        quarter.start_at.format("%b %-d"),
                        quarter.end_at.format("%b %-d, %Y"),
                    )}
                </p>
                <p class="no-print review-links">
                    <a href=DashboardQuery::for_quarter(&label).href()>"Dashboard"</a>
                    <a href=format!("/quarters/{escaped}/export/okrs") data-testid="export-okrs" download>
                        "Export OKRs (CSV)"
                    </a>
                    <a href=format!("/quarters/{escaped}/export/check-ins") download>"Export check-ins (CSV)"</a>
                    {may_edit_notes
                        .then(|| view! { <a href=format!("/quarters/{escaped}/roll-over")>"Start the next quarter"</a> })}
                    <span class="muted">"Print this page for an A4 handout."</span>
                </p>
            </header>
            <dl class="quarter-stats review-stats">
                <div>
                    <dt>"Progress"</dt>
                    <dd data-testid="review-progress">{percent(overall)}</dd>
                </div>
                <div>
                    <dt>
                        <abbr title="Net Confidence Score: % Green minus % Red">"NCS"</abbr>
                    </dt>
                    <dd data-testid="review-ncs">{score(ncs)}</dd>
                </div>
                <div>
                    <dt>"Reached"</dt>
                    <dd data-testid="review-reached">{format!("{reached} of {total}")}</dd>
                </div>
                <div>
                    <dt>{if ended { "Missed" } else { "Not reached yet" }}</dt>
                    <dd data-testid="review-missed">{total - reached}</dd>
                </div>
            </dl>
            <ReviewAlignment teams=dashboard.teams.clone() alignment=dashboard.alignment.clone() />
            {dashboard
                .teams
                .iter()
                .map(|team| {
                    view! {
                        <ReviewTeam
                            team=team.clone()
                            quarter=quarter.clone()
                            ended
                            alignment=dashboard.alignment.clone()
                        />
                    }
                })
                .collect_view()}
            <Notes quarter=quarter.clone() notes may_edit=may_edit_notes save />
        </article>
    }
    .into_any()
}

/// The company's objectives, each with the team objectives under it
/// (supporting it or one of its key results, directly or further down),
/// then the team objectives under none. Nothing when the quarter has no
/// company objectives.
#[component]
fn ReviewAlignment(teams: Vec<TeamView>, alignment: Alignment) -> impl IntoView {
    let all: Vec<(&TeamView, &ObjectiveView)> = teams
        .iter()
        .flat_map(|team| {
            team.objectives
                .iter()
                .map(move |objective| (team, objective))
        })
        .collect();
    let (company, rest): (Vec<_>, Vec<_>) = all
        .iter()
        .copied()
        .partition(|(team, _)| alignment.is_company(team.id));
    if company.is_empty() {
        return ().into_any();
    }
    let line = |team: &TeamView, objective: &ObjectiveView| {
        let aligned = alignment
            .differs(objective)
            .map(|aligned| format!(" · with supporting objectives {}", percent(Some(aligned))))
            .unwrap_or_default();
        view! {
            <li data-testid="review-aligned-objective">
                <span class="tree-team">{team.name.clone()}</span>
                " "
                {objective.title.clone()}
                <span class="muted">{format!(" · {}{aligned}", percent(objective.progress()))}</span>
            </li>
        }
    };
    let loose: Vec<_> = rest
        .iter()
        .filter(|(_, objective)| {
            !company
                .iter()
                .any(|(_, root)| alignment.is_under(objective.id, root.id))
        })
        .map(|(team, objective)| line(team, objective))
        .collect();
    view! {
        <section class="review-alignment" data-testid="review-alignment" aria-labelledby="review-alignment-heading">
            <h3 id="review-alignment-heading">"Company objectives and the team objectives under them"</h3>
            {company
                .iter()
                .map(|(_, root)| {
                    let aligned = alignment.objective(root.id);
                    let under: Vec<_> = rest
                        .iter()
                        .filter(|(_, objective)| alignment.is_under(objective.id, root.id))
                        .map(|(team, objective)| line(team, objective))
                        .collect();
                    view! {
                        <div class="review-objective" data-testid="review-company-objective">
                            <h4>
                                {root.title.clone()}
                                <span class="muted">
                                    {format!(
                                        " · own {} · with supporting objectives {}",
                                        percent(root.progress()),
                                        percent(aligned.progress),
                                    )}
                                </span>
                                " "
                                <ConfidenceBadge level=aligned.confidence testid="review-company-confidence" />
                            </h4>
                            {if under.is_empty() {
                                view! { <p class="muted">"No team objective supports it yet."</p> }.into_any()
                            } else {
                                view! { <ul>{under}</ul> }.into_any()
                            }}
                        </div>
                    }
                })
                .collect_view()}
            {(!loose.is_empty())
                .then(|| {
                    view! {
                        <div class="review-objective" data-testid="review-not-aligned">
                            <h4>"Not under a company objective"</h4>
                            <ul>{loose}</ul>
                        </div>
                    }
                })}
        </section>
    }
    .into_any()
}

#[component]
fn ReviewTeam(
    team: TeamView,
    quarter: QuarterView,
    ended: bool,
    alignment: Alignment,
) -> impl IntoView {
    let team_ncs = rules::net_confidence_score(
        team.objectives
            .iter()
            .flat_map(|objective| &objective.key_results)
            .filter_map(KeyResultView::confidence),
    );
    view! {
        <section class="review-team" data-testid="review-team">
            <header class="team-header">
                <h3>{team.name.clone()}</h3>
                <p class="team-rollup">
                    {format!("Progress {} · NCS {}", percent(team.progress()), score(team_ncs))}
                    " "
                    <ConfidenceBadge level=team.confidence() testid="review-team-confidence" />
                </p>
            </header>
            {team
                .objectives
                .iter()
                .map(|objective| {
                    view! {
                        <div class="review-objective" data-testid="review-objective">
                            <h4>
                                {objective.title.clone()}
                                <span class="muted">
                                    {format!(" · {} · {}", objective.owner, percent(objective.progress()))}
                                    {alignment
                                        .differs(objective)
                                        .map(|aligned| {
                                            format!(" · with supporting objectives {}", percent(Some(aligned)))
                                        })}
                                </span>
                                " "
                                <ConfidenceBadge level=objective.confidence() testid="review-objective-confidence" />
                            </h4>
                            <table class="people-table review-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Key result"</th>
                                        <th scope="col">"Owner"</th>
                                        <th scope="col">"Start → target"</th>
                                        <th scope="col">"Final"</th>
                                        <th scope="col">"Progress"</th>
                                        <th scope="col">"Confidence"</th>
                                        <th scope="col">"Outcome"</th>
                                        <th scope="col">"Forecast at the end"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {objective
                                        .key_results
                                        .iter()
                                        .map(|key_result| {
                                            view! { <ReviewRow key_result=key_result.clone() quarter=quarter.clone() ended /> }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                })
                .collect_view()}
        </section>
    }
}

#[component]
fn ReviewRow(key_result: KeyResultView, quarter: QuarterView, ended: bool) -> impl IntoView {
    let forecast = key_result.forecast(&quarter);
    let forecast_text = match forecast {
        Ok(forecast) => {
            rules::forecast_against_final(key_result.unit, forecast.value, key_result.current_value)
        }
        Err(_) => "Too few check-ins to forecast".to_owned(),
    };
    let outcome = Outcome::of(
        key_result.direction,
        key_result.current_value,
        key_result.target_value,
        ended,
    );
    view! {
        <tr data-testid="review-kr">
            <th scope="row">{key_result.title.clone()}</th>
            <td>{key_result.owner.clone()}</td>
            <td>
                {format!(
                    "{} → {}",
                    key_result.format(key_result.start_value),
                    key_result.format(key_result.target_value),
                )}
            </td>
            <td data-testid="review-final">{key_result.format(key_result.current_value)}</td>
            <td>{percent(key_result.progress())}</td>
            <td>
                <ConfidenceBadge level=key_result.confidence() testid="review-kr-confidence" />
            </td>
            <td data-testid="review-outcome">
                <span class=outcome.class()>{outcome.words()}</span>
            </td>
            <td>{forecast_text}</td>
        </tr>
    }
}

#[component]
fn Notes(
    quarter: QuarterView,
    notes: String,
    may_edit: bool,
    save: ServerAction<SaveReviewNotes>,
) -> impl IntoView {
    let shown = notes.clone();
    view! {
        <section class="review-notes" aria-labelledby="notes-heading">
            <h3 id="notes-heading">"Notes"</h3>
            {if shown.is_empty() {
                view! { <p class="muted" data-testid="review-notes">"No notes yet."</p> }.into_any()
            } else {
                view! { <p class="notes-text" data-testid="review-notes">{shown}</p> }.into_any()
            }}
            {may_edit
                .then(|| {
                    view! {
                        <ActionForm action=save attr:class="planning-form no-print" attr:data-testid="notes-form">
                            <input type="hidden" name="quarter_id" value=quarter.id.to_string() />
                            <div class="field">
                                <label for="review-notes-input">"Edit the notes (plain text; line breaks are kept)"</label>
                                <textarea
                                    id="review-notes-input"
                                    name="notes"
                                    rows="8"
                                    maxlength=text::NOTES_MAX_CHARS.to_string()
                                >
                                    {notes}
                                </textarea>
                                <p class="field-error" role="alert">{error_for(save, "notes")}</p>
                            </div>
                            <FormError action=save fields=&["notes"] />
                            <div class="form-actions">
                                <button type="submit" class="primary" disabled=save.pending() data-testid="save-notes">
                                    {move || if save.pending().get() { "Saving…" } else { "Save notes" }}
                                </button>
                            </div>
                        </ActionForm>
                    }
                })}
        </section>
    }
}
