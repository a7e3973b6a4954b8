//! The dashboard's HTML, written into one `String`: the app's shell,
//! masthead, quarter bar, filters and rows, with the same structure and
//! classes (`app/src/components/dashboard.rs`, `dashboard_rows.rs`,
//! `sparkline.rs`). Every text is escaped with `html-escape`; attribute
//! values are ids, numbers and fixed words, and the quarter's label in a
//! URL is form-encoded and then escaped.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use domain::{ConfidenceLevel, rules};
use rust_decimal::prelude::ToPrimitive;

use crate::store::{Dashboard, Error, KeyResult, Objective, Quarter, Team, bad_trend, point_value};

const SPARKLINE_WIDTH: f64 = 168.0;
const SPARKLINE_HEIGHT: f64 = 44.0;
const SPARKLINE_PAD: f64 = 5.0;

pub fn write(dashboard: &Dashboard<'_>) -> Result<String, Error> {
    let key_results: usize = dashboard
        .teams
        .iter()
        .flat_map(|team| &team.objectives)
        .map(|objective| objective.key_results.len())
        .sum();
    // About a kilobyte a row, and a few for the rest.
    let mut out = String::with_capacity(6 * 1024 + key_results * 1024);
    let title = dashboard
        .quarter
        .as_ref()
        .map_or("", |quarter| quarter.label);
    head(&mut out, title);
    masthead(&mut out, dashboard);
    match &dashboard.quarter {
        Some(quarter) => Page {
            dashboard,
            quarter,
            as_of: dashboard.today.min(quarter.end_at),
            label: form_urlencoded::byte_serialize(quarter.label.as_bytes()).collect(),
            points: Vec::new(),
        }
        .write(&mut out, key_results)?,
        None => out.push_str(
            r#"<section class="empty"><h2>No quarters yet</h2><p>An admin has not planned a quarter yet.</p></section>"#,
        ),
    }
    out.push_str("</main></div></body></html>");
    Ok(out)
}

fn head(out: &mut String, quarter: &str) {
    out.push_str(concat!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">"#,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
        r#"<meta name="color-scheme" content="light dark">"#,
        r#"<link rel="icon" href="/favicon.svg" type="image/svg+xml">"#,
        r#"<link rel="modulepreload" href="/pkg/runway-okr.js">"#,
        r#"<link rel="preload" href="/pkg/runway-okr.wasm" as="fetch" type="application/wasm" crossorigin="">"#,
        r#"<script type="module" src="/islands.js" data-js="/pkg/runway-okr.js" data-wasm="/pkg/runway-okr.wasm"></script>"#,
        r#"<link rel="stylesheet" id="leptos" href="/pkg/runway-okr.css"><title>"#,
    ));
    text(out, quarter);
    out.push_str(" · RunwayOKR</title></head><body>");
}

fn masthead(out: &mut String, dashboard: &Dashboard<'_>) {
    out.push_str(concat!(
        r#"<div class="page"><header class="masthead"><h1 class="brand-line"><a href="/" class="brand">RunwayOKR</a></h1>"#,
        r#"<p class="tagline">Quarterly objectives and key results</p>"#,
        r#"<nav class="user-menu" aria-label="Account"><span class="signed-in-as">"#,
    ));
    let viewer = dashboard.viewer;
    text(out, &viewer.name);
    let _ = write!(out, " · {}</span>", viewer.member.role);
    if viewer.member.is_admin() {
        out.push_str(concat!(
            r#"<a href="/admin/quarters">Quarters</a><a href="/admin/teams">Teams</a>"#,
            r#"<a href="/admin/people">People</a><a href="/admin/messages">Messages</a>"#,
        ));
    }
    out.push_str(concat!(
        r#"<a href="/settings/notifications">Notifications</a><a href="/settings/tokens">Access tokens</a>"#,
        r#"<form method="post" action="/api/sign_out" class="inline-form"><button type="submit" class="secondary">Sign out</button></form>"#,
        r#"<form method="post" action="/api/sign_out_everywhere" class="inline-form"><button type="submit" class="link-button">Sign out everywhere</button></form>"#,
        "</nav></header><main>",
    ));
}

/// One quarter's page.
struct Page<'a, 'r> {
    dashboard: &'a Dashboard<'r>,
    quarter: &'a Quarter<'r>,
    /// The day pace and staleness are judged on.
    as_of: NaiveDate,
    /// The quarter's label, form-encoded, for links.
    label: String,
    /// A sparkline's values, reused from row to row.
    points: Vec<f64>,
}

impl Page<'_, '_> {
    fn write(mut self, out: &mut String, key_results: usize) -> Result<(), Error> {
        let dashboard = self.dashboard;
        let quarter = self.quarter;
        let member = dashboard.viewer.member;
        out.push_str(
            r#"<div id="dashboard" data-refresh=""><section class="quarter-bar" aria-label="Quarter"><div class="quarter-heading"><h2>"#,
        );
        text(out, quarter.label);
        out.push_str(r#"</h2><p class="quarter-dates">"#);
        write_day(out, quarter.start_at, false);
        out.push_str(" – ");
        write_day(out, quarter.end_at, true);
        if quarter.archived {
            out.push_str(" · archived");
        }
        let _ = write!(
            out,
            r#"</p></div><dl class="quarter-stats"><div><dt>Key results</dt><dd>{key_results}</dd></div><div><dt>Progress</dt><dd>"#
        );
        percent(
            out,
            rules::rollup(dashboard.teams.iter().filter_map(|team| team.progress)),
        );
        out.push_str("</dd></div><div><dt>Expected by now</dt><dd>");
        let expected = rules::expected_progress(quarter.start_at, quarter.end_at, self.as_of);
        percent(out, Some(expected));
        out.push_str(r#"</dd></div><div><dt><abbr title="Net Confidence Score: % Green minus % Red">NCS</abbr></dt><dd>"#);
        let confidences = dashboard
            .teams
            .iter()
            .flat_map(|team| &team.objectives)
            .flat_map(|objective| &objective.key_results)
            .filter_map(|key_result| key_result.latest.map(|(_, confidence)| confidence));
        match rules::net_confidence_score(confidences) {
            Some(score) => {
                let _ = write!(out, "{score:+.0}");
            }
            None => out.push('—'),
        }
        out.push_str(r#"</dd></div></dl><form class="quarter-switcher" method="get" action="/"><label for="quarter-select">Quarter</label><select id="quarter-select" name="quarter">"#);
        for label in &dashboard.quarters {
            out.push_str(r#"<option value=""#);
            attribute(out, label);
            out.push('"');
            if *label == quarter.label {
                out.push_str(r#" selected"#);
            }
            out.push('>');
            text(out, label);
            out.push_str("</option>");
        }
        out.push_str(r#"</select><button type="submit">Show</button></form></section>"#);
        self.actions(out);
        self.filters(out);
        if dashboard.teams.is_empty() {
            out.push_str(r#"<p class="empty">No objectives in this quarter yet.</p>"#);
        }
        for (index, team) in dashboard.teams.iter().enumerate() {
            self.team(out, team, index)?;
        }
        out.push_str("</div>");
        let may_check_in_somewhere = !quarter.archived
            && dashboard.teams.iter().any(|team| {
                team.objectives
                    .iter()
                    .flat_map(|objective| &objective.key_results)
                    .any(|key_result| member.may_check_in(key_result.owner_id, team.id))
            });
        if may_check_in_somewhere {
            // The check-in dialog's markup is made in the browser.
            out.push_str(r#"<p class="visually-hidden" role="status"></p>"#);
        }
        Ok(())
    }

    fn actions(&self, out: &mut String) {
        let label = &self.label;
        let is_planner = self.dashboard.viewer.member.is_planner();
        let _ = write!(
            out,
            r#"<nav class="quarter-actions" aria-label="Quarter actions"><a href="/quarters/{label}/review">Quarterly review</a><a href="/quarters/{label}/alignment">Alignment</a>"#
        );
        if is_planner && !self.quarter.archived {
            let _ = write!(
                out,
                r#"<a href="/objectives/new?quarter={label}">New objective</a>"#
            );
        }
        if is_planner {
            let _ = write!(
                out,
                r#"<a href="/quarters/{label}/roll-over">Start the next quarter from this one</a>"#
            );
        }
        let _ = write!(
            out,
            r#"<a href="/quarters/{label}/export/okrs" download>Export OKRs (CSV)</a><a href="/quarters/{label}/export/check-ins" download>Export check-ins (CSV)</a>"#
        );
        if is_planner {
            out.push_str(r#"<a href="/import">Import CSV</a>"#);
        }
        if self.quarter.archived {
            out.push_str(r#"<span class="muted">Archived: read-only</span>"#);
        }
        out.push_str("</nav>");
    }

    /// The filters as a GET form, none chosen.
    fn filters(&self, out: &mut String) {
        let dashboard = self.dashboard;
        out.push_str(r#"<form class="filters" method="get" action="/" aria-label="Filters"><input type="hidden" name="quarter" value=""#);
        attribute(out, self.quarter.label);
        out.push_str(r#""><div class="field"><label for="filter-team">Team</label><select id="filter-team" name="team"><option value="">All teams</option>"#);
        for team in &dashboard.teams {
            option(out, team.id, team.name);
        }
        out.push_str(r#"</select></div><div class="field"><label for="filter-owner">Owner</label><select id="filter-owner" name="owner"><option value="">Everyone</option>"#);
        let mut owners: Vec<(&str, uuid::Uuid)> = dashboard
            .teams
            .iter()
            .flat_map(|team| &team.objectives)
            .flat_map(|objective| &objective.key_results)
            .map(|key_result| (key_result.owner, key_result.owner_id))
            .collect();
        owners.sort_unstable();
        owners.dedup_by_key(|(_, id)| *id);
        for (name, id) in owners {
            option(out, id, name);
        }
        out.push_str("</select></div>");
        let mut company = dashboard
            .teams
            .iter()
            .filter(|team| team.company)
            .flat_map(|team| &team.objectives)
            .peekable();
        if company.peek().is_some() {
            out.push_str(r#"<div class="field"><label for="filter-supports">Company objective</label><select id="filter-supports" name="supports"><option value="">Any</option>"#);
            for objective in company {
                option(out, objective.id, objective.title);
            }
            out.push_str("</select></div>");
        }
        let _ = write!(
            out,
            r#"<label class="check"><input type="checkbox" name="at_risk" value="1">At risk (Red or behind pace)</label><label class="check"><input type="checkbox" name="stale" value="1">Stale (no check-in for {} days)</label><div class="filter-actions"><button type="submit">Apply</button><a href="/?quarter={}">Clear</a></div></form>"#,
            rules::STALE_AFTER_DAYS,
            self.label
        );
    }

    fn team(&mut self, out: &mut String, team: &Team<'_>, index: usize) -> Result<(), Error> {
        let _ = write!(
            out,
            r#"<section class="team" aria-labelledby="team-{index}"><header class="team-header"><h2 id="team-{index}" class="team-name">"#
        );
        text(out, team.name);
        out.push_str("</h2>");
        if team.company {
            out.push_str(r#"<span class="company-tag">Company level</span>"#);
        }
        out.push_str(r#"<div class="team-rollup"><span class="figure">"#);
        percent(out, team.progress);
        out.push_str("</span>");
        badge(out, team.confidence);
        out.push_str("</div></header>");
        for objective in &team.objectives {
            self.objective(out, objective, team.id)?;
        }
        out.push_str("</section>");
        Ok(())
    }

    fn objective(
        &mut self,
        out: &mut String,
        objective: &Objective<'_>,
        team_id: uuid::Uuid,
    ) -> Result<(), Error> {
        let member = self.dashboard.viewer.member;
        let id = objective.id;
        let _ = write!(
            out,
            r#"<article class="objective" id="objective-{id}"><header class="objective-header"><h3 class="objective-title">"#
        );
        text(out, objective.title);
        out.push_str(r#"</h3><p class="objective-meta">Owner "#);
        text(out, objective.owner);
        if !self.quarter.archived && member.may_plan(team_id) {
            let _ = write!(
                out,
                r#" · <a href="/objectives/{id}/edit">Edit</a> · <a href="/objectives/{id}/key-results/new">Add key result</a>"#
            );
        }
        out.push_str("</p>");
        self.alignment_line(out, objective);
        out.push_str(r#"<div class="objective-rollup">"#);
        progress_bar(out, objective.progress, "Objective progress");
        out.push_str(r#"<span class="figure">"#);
        percent(out, objective.progress);
        out.push_str("</span>");
        badge(out, objective.confidence);
        if let Some(aligned) = self.dashboard.alignment.differs(objective) {
            out.push_str(r#"<span class="aligned-figure">With supporting objectives "#);
            percent(out, Some(aligned));
            out.push_str("</span>");
        }
        let count = objective.key_results.len();
        if count == 0 {
            out.push_str(r#"</div></header><p class="objective-empty">No key results of its own.</p></article>"#);
            return Ok(());
        }
        let _ = write!(
            out,
            r#"</div></header><details class="objective-krs" open><summary>{count} key result{}</summary><ul class="key-results">"#,
            if count == 1 { "" } else { "s" }
        );
        for key_result in &objective.key_results {
            self.key_result(out, key_result, team_id)?;
        }
        out.push_str("</ul></details></article>");
        Ok(())
    }

    fn alignment_line(&self, out: &mut String, objective: &Objective<'_>) {
        let alignment = &self.dashboard.alignment;
        let parent = alignment.supports(objective.id);
        let supporters = alignment.supporters(objective);
        if parent.is_none() && supporters == 0 {
            return;
        }
        let label = &self.label;
        out.push_str(r#"<p class="objective-alignment">"#);
        if let Some((parent, team, title)) = parent {
            let _ = write!(
                out,
                r#"Supports: <a href="/quarters/{label}/alignment#objective-{}">"#,
                parent.objective_id
            );
            text(out, team);
            out.push_str(" · ");
            text(out, title);
            out.push_str("</a>");
        }
        if supporters > 0 {
            if parent.is_some() {
                out.push_str(" · ");
            }
            let _ = write!(
                out,
                r#"<a href="/?quarter={label}&amp;supports={}">{supporters} supporting objective{}</a>"#,
                objective.id,
                if supporters == 1 { "" } else { "s" }
            );
        }
        out.push_str("</p>");
    }

    fn key_result(
        &mut self,
        out: &mut String,
        key_result: &KeyResult<'_>,
        team_id: uuid::Uuid,
    ) -> Result<(), Error> {
        let id = key_result.id;
        let unit = key_result.unit;
        let _ = write!(
            out,
            r#"<li class="key-result"><div><a class="kr-title" href="/kr/{id}">"#
        );
        text(out, key_result.title);
        out.push_str("</a><p>");
        text(out, key_result.owner);
        out.push_str("</p></div><div><b>");
        text(out, &rules::format_value(unit, key_result.current_value));
        out.push_str("</b><small>");
        text(out, &rules::format_value(unit, key_result.start_value));
        out.push_str(" → ");
        text(out, &rules::format_value(unit, key_result.target_value));
        out.push_str("</small></div><div>");
        progress_bar(out, key_result.progress, "Progress");
        out.push_str("<span>");
        percent(out, key_result.progress);
        out.push_str("</span></div><div>");
        let confidence = key_result.latest.map(|(_, confidence)| confidence);
        badge(out, confidence);
        out.push_str("<span>");
        match key_result.latest {
            Some((day, _)) => write_day(out, day, true),
            None => out.push_str("No check-ins yet"),
        }
        out.push_str("</span>");
        self.flags(out, key_result, confidence);
        out.push_str("</div>");
        self.sparkline(out, key_result)?;
        let member = self.dashboard.viewer.member;
        if !self.quarter.archived && member.may_check_in(key_result.owner_id, team_id) {
            let _ = write!(
                out,
                r#"<a class="check-in-link" href="/kr/{id}#check-in" data-unit="{}">Record check-in</a>"#,
                unit.as_str()
            );
        }
        out.push_str("</li>");
        Ok(())
    }

    /// While the quarter runs, "At risk" and "Stale" where they apply; once
    /// it is over, reached or missed.
    fn flags(
        &self,
        out: &mut String,
        key_result: &KeyResult<'_>,
        confidence: Option<ConfidenceLevel>,
    ) {
        let quarter = self.quarter;
        let today = self.dashboard.today;
        let mut flag = |class: &str, words: &str| {
            let _ = write!(out, r#"<span class="{class}">{words}</span>"#);
        };
        if rules::quarter_over(quarter.end_at, quarter.archived, today) {
            let outcome = rules::Outcome::of(
                key_result.direction,
                key_result.current_value,
                key_result.target_value,
                true,
            );
            flag(outcome.class(), outcome.words());
            return;
        }
        let expected = rules::expected_progress(quarter.start_at, quarter.end_at, self.as_of);
        let behind = key_result
            .progress
            .is_some_and(|progress| rules::is_behind_pace(progress, expected));
        if behind || confidence == Some(ConfidenceLevel::Red) {
            flag("flag flag-risk", "At risk");
        }
        if rules::is_stale(key_result.latest.map(|(day, _)| day), self.as_of) {
            flag("flag flag-stale", "Stale");
        }
    }

    /// One polyline of the check-ins, the target as a path, the newest
    /// point as a dot in its confidence's colour, and a summary in words.
    fn sparkline(&mut self, out: &mut String, key_result: &KeyResult<'_>) -> Result<(), Error> {
        let sqlite = self.dashboard.sqlite;
        let unit = key_result.unit;
        let points = &mut self.points;
        points.clear();
        let (mut first, mut last) = (None, None);
        if let Some(trend) = key_result.trend {
            for point in trend.split(';') {
                let value = point
                    .split('|')
                    .nth(1)
                    .and_then(|value| Some((value, value.parse::<f64>().ok()?)))
                    .ok_or_else(|| bad_trend(key_result.id, trend))?;
                points.push(value.1);
                first = first.or(Some(value.0));
                last = Some(value.0);
            }
        }
        let start = key_result.start_value.to_f64().unwrap_or_default();
        let target = key_result.target_value.to_f64().unwrap_or_default();
        let (low, high) = points
            .iter()
            .copied()
            .chain([start, target])
            .filter(|value| value.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
                (low.min(value), high.max(value))
            });
        let y = |value: f64| {
            let span = high - low;
            if span > 0.0 {
                SPARKLINE_PAD + (high - value) / span * (SPARKLINE_HEIGHT - 2.0 * SPARKLINE_PAD)
            } else {
                SPARKLINE_HEIGHT / 2.0
            }
        };
        let x = |index: usize| match points.len() {
            0 | 1 => SPARKLINE_WIDTH / 2.0,
            n => {
                SPARKLINE_PAD
                    + index as f64 / (n - 1) as f64 * (SPARKLINE_WIDTH - 2.0 * SPARKLINE_PAD)
            }
        };
        let _ = write!(
            out,
            r#"<svg class="sparkline" role="img" viewBox="0 0 {SPARKLINE_WIDTH} {SPARKLINE_HEIGHT}"><title>"#
        );
        let value = |text: Option<&str>| {
            text.and_then(|text| point_value(text, sqlite))
                .map(|value| rules::format_value(unit, value))
                .unwrap_or_default()
        };
        let target_text = rules::format_value(unit, key_result.target_value);
        match points.len() {
            0 => {
                out.push_str("No check-ins yet; target ");
                text(out, &target_text);
            }
            1 => {
                out.push_str("1 check-in, ");
                text(out, &value(last));
                out.push_str("; target ");
                text(out, &target_text);
            }
            count => {
                let _ = write!(out, "{count} check-ins, ");
                text(out, &value(first));
                out.push_str(" to ");
                text(out, &value(last));
                out.push_str("; target ");
                text(out, &target_text);
            }
        }
        let mut number = itoa::Buffer::new();
        out.push_str(r#"</title><path d="M0 "#);
        out.push_str(number.format(whole(y(target))));
        let _ = write!(out, r#"H{SPARKLINE_WIDTH}"></path><polyline points=""#);
        for (index, value) in points.iter().enumerate() {
            if index > 0 {
                out.push(' ');
            }
            out.push_str(number.format(whole(x(index))));
            out.push(',');
            out.push_str(number.format(whole(y(*value))));
        }
        out.push_str(r#""></polyline>"#);
        if let (Some(value), Some((_, confidence))) = (points.last(), key_result.latest) {
            let class = match confidence {
                ConfidenceLevel::Red => "red",
                ConfidenceLevel::Amber => "amber",
                ConfidenceLevel::Green => "green",
            };
            let _ = write!(
                out,
                r#"<circle class="confidence-{class}" cx="{}" cy="{}" r="3"></circle>"#,
                whole(x(points.len() - 1)),
                whole(y(*value))
            );
        }
        out.push_str("</svg>");
        Ok(())
    }
}

/// A coordinate to the whole pixel, ties to even (as `{:.0}` prints).
fn whole(coordinate: f64) -> i64 {
    coordinate.round_ties_even() as i64
}

fn option(out: &mut String, id: uuid::Uuid, name: &str) {
    let _ = write!(out, r#"<option value="{id}">"#);
    text(out, name);
    out.push_str("</option>");
}

/// "Jan 6" or, with the year, "Jan 6, 2025".
fn write_day(out: &mut String, day: NaiveDate, with_year: bool) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    out.push_str(MONTHS[day.month0() as usize]);
    let _ = write!(out, " {}", day.day());
    if with_year {
        let _ = write!(out, ", {}", day.year());
    }
}

/// A native progress bar of the clamped share; the figure beside it tells
/// the true value.
fn progress_bar(out: &mut String, progress: Option<f64>, label: &str) {
    let share = progress.map_or(0.0, rules::clamped);
    let _ = write!(
        out,
        r#"<progress value="{share:.2}" aria-label="{label}"></progress>"#
    );
}

/// A whole percentage (`rules::format_percent`), or a dash.
fn percent(out: &mut String, progress: Option<f64>) {
    match progress {
        Some(progress) => {
            let _ = write!(out, "{:.0}%", progress * 100.0);
        }
        None => out.push('—'),
    }
}

fn badge(out: &mut String, level: Option<ConfidenceLevel>) {
    let (class, words) = match level {
        Some(ConfidenceLevel::Green) => ("badge green", "Green"),
        Some(ConfidenceLevel::Amber) => ("badge amber", "Amber"),
        Some(ConfidenceLevel::Red) => ("badge red", "Red"),
        None => ("badge none", "No check-in"),
    };
    let _ = write!(out, r#"<span class="{class}">{words}</span>"#);
}

fn text(out: &mut String, value: &str) {
    html_escape::encode_text_to_string(value, out);
}

fn attribute(out: &mut String, value: &str) {
    html_escape::encode_double_quoted_attribute_to_string(value, out);
}
