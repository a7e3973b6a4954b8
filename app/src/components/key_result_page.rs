//! `/kr/:id`: one key result in depth: its trend against the target, the
//! expected pace and the forecast, its check-in history, and a form to add
//! the next check-in.

use chrono::{NaiveDate, NaiveTime};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use rust_decimal::prelude::ToPrimitive;

use super::check_in_form::{CheckInPanel, CheckInPostError};
use super::format_date;
use super::widgets::{ConfidenceBadge, ErrorPanel, ProgressBar, Scale};
use crate::dashboard_query::DashboardQuery;
use crate::model::KeyResultDetail;
use crate::server_fns::auth::get_viewer;
use crate::server_fns::get_key_result;
use domain::access::Viewer;
use domain::rules;

#[component]
pub fn KeyResultPage() -> impl IntoView {
    let params = use_params_map();
    let query = leptos_router::hooks::use_query_map();
    let detail = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("page"),
            )
        },
        |(id, page)| get_key_result(id, page),
    );
    let viewer = Resource::new(|| (), |_| get_viewer());

    view! {
        <CheckInPostError />
        <Suspense fallback=|| view! { <p class="loading">"Loading key result…"</p> }>
            {move || Suspend::new(async move {
                match (detail.await, viewer.await) {
                    (Ok(detail), Ok(viewer)) => view! { <Detail detail viewer /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Detail(detail: KeyResultDetail, viewer: Option<Viewer>) -> impl IntoView {
    let pages = detail.pages();
    let KeyResultDetail {
        key_result,
        objective,
        team,
        team_id,
        quarter,
        history,
        as_of,
        today,
        page,
        total_check_ins,
        ..
    } = detail;
    let progress = key_result.progress();
    let expected = rules::expected_progress(quarter.start_at, quarter.end_at, as_of);
    let points: Vec<_> = key_result
        .check_ins
        .iter()
        .map(|point| (point.created_at, point.value))
        .collect();
    let forecast = key_result.forecast(&quarter);
    let pace_sentence = rules::pace_sentence(progress, expected);
    let stale = key_result.stale(as_of);
    let forecast_sentence = rules::forecast_sentence(
        forecast,
        key_result.unit,
        key_result.target_value,
        quarter.end_at,
    );
    let max_date = today.min(quarter.end_at).max(quarter.start_at);

    view! {
        <Title text=format!("{} · RunwayOKR", key_result.title) />
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=DashboardQuery::for_quarter(&quarter.label).href()>{quarter.label.clone()}</a>
            " › "
            {team}
            " › "
            {objective}
        </nav>
        <article class="kr-detail" data-testid="kr-detail">
            // The figures and the history are swapped for fresh copies after a
            // check-in saved in place.
            <div id="kr-figures" data-refresh="">
            <header class="kr-detail-header">
                <h2 data-testid="kr-detail-title">{key_result.title.clone()}</h2>
                <p class="kr-detail-owner">{format!("Owner {}", key_result.owner)}</p>
                {(!quarter.archived && viewer.as_ref().is_some_and(|viewer| viewer.may_plan(team_id)))
                    .then(|| {
                        view! {
                            <p class="planner-links">
                                <a href=format!("/kr/{}/edit", key_result.id) data-testid="edit-key-result">
                                    "Edit or delete this key result"
                                </a>
                            </p>
                        }
                    })}
            </header>
            <dl class="kr-facts">
                <div>
                    <dt>"Current"</dt>
                    <dd data-testid="kr-current">{key_result.format(key_result.current_value)}</dd>
                </div>
                <div>
                    <dt>"Start → target"</dt>
                    <dd>
                        {format!(
                            "{} → {}",
                            key_result.format(key_result.start_value),
                            key_result.format(key_result.target_value),
                        )}
                    </dd>
                </div>
                <div>
                    <dt>"Progress"</dt>
                    <dd class="with-bar">
                        <ProgressBar progress label="Key result progress" />
                        <span data-testid="kr-progress">
                            {progress.map(rules::format_percent).unwrap_or_else(|| "—".into())}
                        </span>
                    </dd>
                </div>
                <div>
                    <dt>"Confidence"</dt>
                    <dd>
                        <ConfidenceBadge level=key_result.confidence() testid="confidence-badge" />
                    </dd>
                </div>
            </dl>
            <ul class="kr-sentences">
                <li data-testid="pace-sentence">{pace_sentence}</li>
                <li data-testid="forecast-sentence">{forecast_sentence}</li>
                {stale
                    .then(|| {
                        view! {
                            <li class="stale" data-testid="stale-sentence">
                                {format!(
                                    "Stale: no check-in for {} days or more",
                                    rules::STALE_AFTER_DAYS,
                                )}
                            </li>
                        }
                    })}
            </ul>
            <TrendChart detail_points=points.clone() key_result=key_result.clone() quarter=quarter.clone() forecast=forecast.ok() />
            </div>
            // Outside the swapped region, so it stays hydrated.
            <ChartReadout />
            <section class="kr-check-in" aria-labelledby="record-heading">
                <h3 id="record-heading">"Record a check-in"</h3>
                {if quarter.archived {
                    view! {
                        <p class="muted" data-testid="check-in-not-allowed">
                            {format!("Quarter {} is archived and read-only: it takes no more check-ins.", quarter.label)}
                        </p>
                    }
                        .into_any()
                } else if viewer.as_ref().is_some_and(|viewer| viewer.may_check_in(key_result.owner_id, team_id)) {
                    view! {
                        <CheckInPanel
                            key_result_id=key_result.id.to_string()
                            unit=key_result.unit.as_str().to_owned()
                            min_date=quarter.start_at.to_string()
                            max_date=max_date.to_string()
                        />
                    }
                        .into_any()
                } else {
                    view! {
                        <p class="muted" data-testid="check-in-not-allowed">
                            "Only the owner, their team and admins record check-ins here."
                        </p>
                    }
                        .into_any()
                }}
            </section>
            <section class="history" id="kr-history" data-refresh="" aria-labelledby="history-heading">
                <h3 id="history-heading">"Check-ins"</h3>
                {if history.is_empty() {
                    view! { <p class="empty">"No check-ins yet."</p> }.into_any()
                } else {
                    view! {
                        <table class="history-table" data-testid="history">
                            <thead>
                                <tr>
                                    <th scope="col">"Date"</th>
                                    <th scope="col">"Value"</th>
                                    <th scope="col">"Confidence"</th>
                                    <th scope="col">"Note"</th>
                                    <th scope="col">"By"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {history
                                    .into_iter()
                                    .map(|entry| {
                                        view! {
                                            <tr data-testid="history-row">
                                                <td>{format_date(entry.created_at)}</td>
                                                <td class="number">{key_result.format(entry.value)}</td>
                                                <td>
                                                    <ConfidenceBadge level=Some(entry.confidence) testid="history-confidence" />
                                                </td>
                                                <td>{entry.note.unwrap_or_default()}</td>
                                                <td>{entry.author}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }}
                {(pages > 1)
                    .then(|| {
                        let here = format!("/kr/{}", key_result.id);
                        let newer = (page > 1).then(|| format!("{here}?page={}", page - 1));
                        let older = (page < pages).then(|| format!("{here}?page={}", page + 1));
                        view! {
                            <nav class="pager" aria-label="Check-in pages" data-testid="history-pager">
                                {newer.map(|href| view! { <a href=href rel="prev">"← Newer"</a> })}
                                <span>{format!("Page {page} of {pages} · {total_check_ins} check-ins")}</span>
                                {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
                            </nav>
                        }
                    })}
            </section>
        </article>
    }
}

const CHART_WIDTH: f64 = 720.0;
const CHART_HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 32.0;

/// The larger chart: check-ins over the quarter's dates, with the target, the
/// expected pace from start to target, and the forecast line.
#[component]
fn TrendChart(
    detail_points: Vec<(chrono::NaiveDateTime, rust_decimal::Decimal)>,
    key_result: crate::model::KeyResultView,
    quarter: crate::model::QuarterView,
    forecast: Option<rules::Forecast>,
) -> impl IntoView {
    let days = (quarter.end_at - quarter.start_at).num_days().max(1) as f64;
    let origin = quarter.start_at.and_time(NaiveTime::MIN);
    let day_of = |at: chrono::NaiveDateTime| {
        ((at - origin).num_seconds() as f64 / 86_400.0).clamp(0.0, days)
    };
    let start = key_result.start_value.to_f64().unwrap_or_default();
    let target = key_result.target_value.to_f64().unwrap_or_default();
    let values: Vec<(f64, f64)> = detail_points
        .iter()
        .map(|(at, value)| (day_of(*at), value.to_f64().unwrap_or_default()))
        .collect();
    let forecast_line = forecast.map(|f| {
        let from = values.first().map(|(x, _)| *x).unwrap_or(0.0);
        (
            (from, f.intercept + f.slope_per_day * from),
            (days, f.intercept + f.slope_per_day * days),
        )
    });
    // The start, the target, the check-ins and the forecast line, with 8%
    // to spare above and below.
    let scale = Scale::spanning(
        [start, target]
            .into_iter()
            .chain(values.iter().map(|(_, y)| *y))
            .chain(forecast_line.iter().flat_map(|(a, b)| [a.1, b.1])),
        0.08,
        TOP,
        CHART_HEIGHT - BOTTOM,
    );
    let (low, high) = (scale.low, scale.high);
    let x = move |day: f64| LEFT + day / days * (CHART_WIDTH - LEFT - RIGHT);
    let y = move |value: f64| scale.y(value);
    let polyline = values
        .iter()
        .map(|(d, v)| format!("{:.1},{:.1}", x(*d), y(*v)))
        .collect::<Vec<_>>()
        .join(" ");
    let unit = key_result.unit;
    let label = |value: f64| {
        rules::format_value(
            unit,
            rust_decimal::Decimal::from_f64_retain(value)
                .unwrap_or_default()
                .round_dp(2),
        )
    };
    let end_label = quarter.end_at.format("%b %-d").to_string();
    let start_label = quarter.start_at.format("%b %-d").to_string();
    let title = format!(
        "{} over {}: {} check-ins against a target of {}",
        key_result.title,
        quarter.label,
        values.len(),
        key_result.format(key_result.target_value)
    );
    // Each point's date and value, for its tooltip and the readout.
    let readouts: Vec<((f64, f64), String)> = values
        .iter()
        .copied()
        .zip(&detail_points)
        .map(|(xy, (at, value))| {
            (
                xy,
                format!("{}: {}", format_date(*at), key_result.format(*value)),
            )
        })
        .collect();
    let mid_date: NaiveDate = quarter.start_at + chrono::Duration::days((days / 2.0) as i64);

    view! {
        <figure class="trend">
            <svg
                class="trend-chart"
                data-testid="trend-chart"
                role="img"
                aria-labelledby="trend-title"
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                preserveAspectRatio="xMidYMid meet"
            >
                <title id="trend-title">{title}</title>
                <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=CHART_HEIGHT - BOTTOM />
                <line class="axis" x1=LEFT x2=CHART_WIDTH - RIGHT y1=CHART_HEIGHT - BOTTOM y2=CHART_HEIGHT - BOTTOM />
                <text class="tick" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{label(high)}</text>
                <text class="tick" x=LEFT - 6.0 y=CHART_HEIGHT - BOTTOM text-anchor="end">{label(low)}</text>
                <text class="tick" x=LEFT y=CHART_HEIGHT - 10.0>{start_label}</text>
                <text class="tick" x=x(days / 2.0) y=CHART_HEIGHT - 10.0 text-anchor="middle">{mid_date.format("%b %-d").to_string()}</text>
                <text class="tick" x=CHART_WIDTH - RIGHT y=CHART_HEIGHT - 10.0 text-anchor="end">{end_label}</text>
                <line
                    class="trend-target"
                    data-testid="trend-target"
                    x1=LEFT
                    x2=CHART_WIDTH - RIGHT
                    y1=y(target)
                    y2=y(target)
                />
                <line
                    class="trend-pace"
                    data-testid="trend-pace"
                    x1=x(0.0)
                    y1=y(start)
                    x2=x(days)
                    y2=y(target)
                />
                {forecast_line
                    .map(|((x1, y1), (x2, y2))| {
                        view! {
                            <line
                                class="trend-forecast"
                                data-testid="trend-forecast"
                                x1=x(x1)
                                y1=y(y1)
                                x2=x(x2)
                                y2=y(y2)
                            />
                        }
                    })}
                <polyline class="trend-line" points=polyline />
                {readouts
                    .into_iter()
                    .map(|((d, v), readout)| {
                        let tooltip = readout.clone();
                        view! {
                            <circle
                                class="trend-point"
                                data-testid="trend-point"
                                data-readout=readout.clone()
                                tabindex="0"
                                cx=x(d)
                                cy=y(v)
                                r="4"
                            >
                                <title>{tooltip}</title>
                            </circle>
                        }
                    })
                    .collect_view()}
            </svg>
            <figcaption class="legend">
                <span class="key key-actual">"Check-ins"</span>
                <span class="key key-target">"Target"</span>
                <span class="key key-pace">"Expected pace"</span>
                <span class="key key-forecast">"Forecast"</span>
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Where the chart reads out the point in focus. Without JavaScript each
/// point has its tooltip instead.
#[component]
fn ChartReadout() -> impl IntoView {
    view! {
        <p class="chart-readout" id="chart-readout" data-testid="chart-readout" aria-live="polite"></p>
        <ChartReadoutBehaviour />
    }
}

/// Once hydrated: focusing (Tab) or hovering a point of the chart reads out
/// its date and value in the readout.
#[island]
fn ChartReadoutBehaviour() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        let Some(readout) = document().get_element_by_id("chart-readout") else {
            return;
        };
        let show = move |event: web_sys::Event| {
            let text = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .and_then(|element| element.closest("[data-readout]").ok().flatten())
                .and_then(|point| point.get_attribute("data-readout"));
            if let Some(text) = text {
                readout.set_text_content(Some(&text));
            }
        };
        let show = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(show);
        for kind in ["focusin", "mouseover"] {
            let _ = window().add_event_listener_with_callback(kind, show.as_ref().unchecked_ref());
        }
        // The page's lifetime.
        show.forget();
    });
}
