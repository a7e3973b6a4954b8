//! The dashboard's teams, objectives and key result rows, written straight
//! into one string.
//!
//! They are the bulk of the page (a large quarter has hundreds of rows) and
//! static: nothing in them hydrates, the check-in dialog finds its links by
//! class. Built as a Leptos view, each row cost a tree of a few dozen views
//! to build, render and drop; written here, it is a few appends to a buffer.
//! Every text goes through [`text`]; attribute values are ids, numbers and
//! fixed words.

use std::fmt::Write as _;

use domain::ConfidenceLevel;

use super::sparkline::write_sparkline;
use crate::dashboard_query::DashboardQuery;
use crate::model::{Alignment, KeyResultView, ObjectiveView, QuarterView, TeamView};
use domain::access::Viewer;
use domain::rules;

/// Past this many key results (after the filters), the dashboard shows the
/// viewer's team in full and folds the others ([`Rows::teams_folded`]): a
/// division's quarter of 2,000 key results would be megabytes of HTML for a
/// phone to parse and lay out. Demo and team-sized quarters stay whole.
pub const FOLD_ABOVE_KEY_RESULTS: usize = 250;

/// What every row needs to know besides its own data.
pub struct Rows<'a> {
    pub viewer: Option<&'a Viewer>,
    pub quarter: &'a QuarterView,
    pub as_of: chrono::NaiveDate,
    /// The server's date: once the quarter is over, rows say reached or
    /// missed instead of at risk and stale.
    pub today: chrono::NaiveDate,
    /// What supports what, and the aligned figures.
    pub alignment: &'a Alignment,
}

impl Rows<'_> {
    /// The teams' sections, in order.
    pub fn teams(&self, teams: &[TeamView]) -> String {
        let rows: usize = teams
            .iter()
            .flat_map(|team| &team.objectives)
            .map(|objective| objective.key_results.len())
            .sum();
        // About 900 bytes a row, so the buffer rarely grows.
        let mut out = String::with_capacity(1024 + rows * 1024);
        for (index, team) in teams.iter().enumerate() {
            self.team(&mut out, team, index);
        }
        out
    }

    /// A quarter too large for one page ([`FOLD_ABOVE_KEY_RESULTS`]): the
    /// teams `open` says in full, and the others as their header with their
    /// figures and a folded part. Without JavaScript it holds a link to the
    /// dashboard of that team alone, under the same filters; with it,
    /// `public/dashboard.js` puts that team's rows in place on opening, as
    /// the server renders them at `/dashboard/team` ([`Rows::team_rows`]).
    pub fn teams_folded(
        &self,
        teams: &[TeamView],
        open: impl Fn(&TeamView) -> bool,
        query: &DashboardQuery,
    ) -> String {
        let mut out = String::with_capacity(64 * 1024);
        for (index, team) in teams.iter().enumerate() {
            if open(team) {
                self.team(&mut out, team, index);
            } else {
                self.folded_team(&mut out, team, index, query);
            }
        }
        out
    }

    /// One team's objectives and key results, without its header: what a
    /// folded team shows when opened.
    pub fn team_rows(&self, team: &TeamView) -> String {
        let mut out = String::with_capacity(1024 + team.objectives.len() * 4096);
        for objective in &team.objectives {
            self.objective(&mut out, objective, team.id);
        }
        out
    }

    fn folded_team(&self, out: &mut String, team: &TeamView, index: usize, query: &DashboardQuery) {
        self.team_header(out, team, index, "team team-folded");
        let this_team = DashboardQuery {
            team: Some(team.id.to_string()),
            ..query.clone()
        };
        let objectives = team.objectives.len();
        let key_results: usize = team
            .objectives
            .iter()
            .map(|objective| objective.key_results.len())
            .sum();
        out.push_str(r#"<details class="team-rows" data-rows="/dashboard/team?"#);
        attribute(out, &this_team.query_string());
        let _ = write!(
            out,
            r#""><summary>{objectives} objective{} · {key_results} key result{}</summary><div class="team-rows-body"><p><a href=""#,
            if objectives == 1 { "" } else { "s" },
            if key_results == 1 { "" } else { "s" },
        );
        attribute(out, &this_team.href());
        out.push_str(r#"">Show "#);
        text(out, &team.name);
        out.push_str("&#x27;s objectives</a></p></div></details></section>");
    }

    fn team(&self, out: &mut String, team: &TeamView, index: usize) {
        self.team_header(out, team, index, "team");
        for objective in &team.objectives {
            self.objective(out, objective, team.id);
        }
        out.push_str("</section>");
    }

    /// Opens the team's section and writes its header.
    fn team_header(&self, out: &mut String, team: &TeamView, index: usize, class: &str) {
        // By place on the page, not by the team's id: shorter, and as unique.
        let _ = write!(
            out,
            r#"<section class="{class}" aria-labelledby="team-{index}"><header class="team-header"><h2 id="team-{index}" class="team-name">"#
        );
        text(out, &team.name);
        out.push_str("</h2>");
        if self.alignment.is_company(team.id) {
            out.push_str(r#"<span class="company-tag">Company level</span>"#);
        }
        out.push_str(r#"<div class="team-rollup"><span class="figure">"#);
        percent(out, team.progress());
        out.push_str("</span>");
        badge(out, team.confidence());
        out.push_str("</div></header>");
    }

    fn objective(&self, out: &mut String, objective: &ObjectiveView, team_id: uuid::Uuid) {
        let may_plan =
            !self.quarter.archived && self.viewer.is_some_and(|viewer| viewer.may_plan(team_id));
        let count = objective.key_results.len();
        let _ = write!(
            out,
            r#"<article class="objective" id="objective-{}"><header class="objective-header"><h3 class="objective-title">"#,
            objective.id
        );
        text(out, &objective.title);
        out.push_str(r#"</h3><p class="objective-meta">Owner "#);
        text(out, &objective.owner);
        if may_plan {
            let id = objective.id;
            let _ = write!(
                out,
                r#" · <a href="/objectives/{id}/edit">Edit</a> · <a href="/objectives/{id}/key-results/new">Add key result</a>"#
            );
        }
        out.push_str("</p>");
        self.alignment_line(out, objective);
        out.push_str(r#"<div class="objective-rollup">"#);
        let progress = objective.progress();
        progress_bar(out, progress, "Objective progress");
        out.push_str(r#"<span class="figure">"#);
        percent(out, progress);
        out.push_str("</span>");
        badge(out, objective.confidence());
        if let Some(aligned) = self.alignment.differs(objective) {
            out.push_str(r#"<span class="aligned-figure">With supporting objectives "#);
            percent(out, Some(aligned));
            out.push_str("</span>");
        }
        if count == 0 {
            out.push_str(r#"</div></header><p class="objective-empty">No key results of its own.</p></article>"#);
            return;
        }
        // A native disclosure: folds with and without JavaScript.
        let _ = write!(
            out,
            r#"</div></header><details class="objective-krs" open><summary>{count} key result{}</summary><ul class="key-results">"#,
            if count == 1 { "" } else { "s" }
        );
        for key_result in &objective.key_results {
            self.key_result(out, key_result, team_id);
        }
        out.push_str("</ul></details></article>");
    }

    /// "Supports: <team · title>" (to the tree) and "N supporting
    /// objectives" (the dashboard filtered to them), when there are.
    fn alignment_line(&self, out: &mut String, objective: &ObjectiveView) {
        let parent = self.alignment.supports(objective.id);
        let supporters = self.alignment.supporters(objective);
        if parent.is_none() && supporters == 0 {
            return;
        }
        let label: String =
            form_urlencoded::byte_serialize(self.quarter.label.as_bytes()).collect();
        out.push_str(r#"<p class="objective-alignment">"#);
        if let Some(link) = parent {
            let _ = write!(
                out,
                r#"Supports: <a href="/quarters/{label}/alignment#objective-{}">"#,
                link.parent.objective_id
            );
            text(out, &link.team);
            out.push_str(" · ");
            text(out, &link.title);
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

    /// Only the title and the check-in link have classes (the dialog finds
    /// them); the other parts are placed and styled by their position in the
    /// row (style/main.css, "Key results"): a class costs its bytes in
    /// every row.
    fn key_result(&self, out: &mut String, key_result: &KeyResultView, team_id: uuid::Uuid) {
        let may_check_in = !self.quarter.archived
            && self
                .viewer
                .is_some_and(|viewer| viewer.may_check_in(key_result.owner_id, team_id));
        let id = key_result.id;
        let _ = write!(
            out,
            r#"<li class="key-result"><div><a class="kr-title" href="/kr/{id}">"#
        );
        text(out, &key_result.title);
        out.push_str("</a><p>");
        text(out, &key_result.owner);
        out.push_str("</p></div><div><b>");
        text(out, &key_result.format(key_result.current_value));
        out.push_str("</b><small>");
        text(out, &key_result.format(key_result.start_value));
        out.push_str(" → ");
        text(out, &key_result.format(key_result.target_value));
        out.push_str("</small></div><div>");
        let progress = key_result.progress();
        progress_bar(out, progress, "Progress");
        out.push_str("<span>");
        percent(out, progress);
        out.push_str("</span></div><div>");
        badge(out, key_result.confidence());
        out.push_str("<span>");
        match key_result.latest() {
            Some(point) => out.push_str(&super::format_date(point.created_at)),
            None => out.push_str("No check-ins yet"),
        }
        out.push_str("</span>");
        for flag in key_result.flags(self.quarter, self.as_of, self.today) {
            let _ = write!(
                out,
                r#"<span class="{}">{}</span>"#,
                flag.class(),
                flag.words()
            );
        }
        out.push_str("</div>");
        write_sparkline(out, key_result);
        if may_check_in {
            // The key result page's form without JavaScript; the page's
            // check-in dialog once hydrated (it reads the key result from
            // the href, its title from the row).
            let _ = write!(
                out,
                r#"<a class="check-in-link" href="/kr/{id}#check-in" data-unit="{}">Record check-in</a>"#,
                key_result.unit.as_str()
            );
        }
        out.push_str("</li>");
    }
}

/// A native progress bar (a share of 1, clamped to 0–1); the figure beside
/// it tells the true value.
pub(super) fn progress_bar(out: &mut String, progress: Option<f64>, label: &str) {
    let share = super::widgets::bar_share(progress);
    let _ = write!(
        out,
        r#"<progress value="{share:.2}" aria-label="{label}"></progress>"#
    );
}

pub(super) fn percent(out: &mut String, progress: Option<f64>) {
    match progress {
        Some(progress) => out.push_str(&rules::format_percent(progress)),
        None => out.push('—'),
    }
}

/// The confidence in words, as [`super::widgets::ConfidenceBadge`] shows it.
pub(super) fn badge(out: &mut String, level: Option<ConfidenceLevel>) {
    let (class, words) = super::widgets::badge_class_and_words(level);
    let _ = write!(out, r#"<span class="{class}">{words}</span>"#);
}

/// Text content, escaped.
pub fn text(out: &mut String, value: &str) {
    html_escape::encode_text_to_string(value, out);
}

/// A value inside a double-quoted attribute (a link's query string).
fn attribute(out: &mut String, value: &str) {
    html_escape::encode_double_quoted_attribute_to_string(value, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let mut out = String::new();
        text(&mut out, r#"<script>"R&D"</script>"#);
        assert_eq!(out, r#"&lt;script&gt;"R&amp;D"&lt;/script&gt;"#);
    }

    #[test]
    fn a_missing_progress_is_a_dash_and_the_bar_is_clamped() {
        let mut out = String::new();
        percent(&mut out, None);
        assert_eq!(out, "—");
        let mut out = String::new();
        progress_bar(&mut out, Some(1.7), "Progress");
        assert_eq!(
            out,
            r#"<progress value="1.00" aria-label="Progress"></progress>"#
        );
    }

    #[test]
    fn a_regression_shows_its_true_figure_beside_an_empty_bar() {
        let mut out = String::new();
        progress_bar(&mut out, Some(-0.2), "Progress");
        percent(&mut out, Some(-0.2));
        assert_eq!(
            out,
            r#"<progress value="0.00" aria-label="Progress"></progress>-20%"#
        );
    }
}
