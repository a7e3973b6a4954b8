//! What each message says: a reminder's key results, a digest's figures,
//! and their words as plain text, accessible HTML and a chat post. Pure:
//! the callers bring the dashboard and the time.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use domain::rules;
use domain::{ConfidenceLevel, reminders::Nudge};
use serde_json::json;

use crate::model::{Dashboard, KeyResultView, QuarterView};

/// One key result a reminder asks about.
#[derive(Debug, Clone, PartialEq)]
pub struct DueKeyResult {
    pub title: String,
    pub objective: String,
    /// The link to its check-in form.
    pub link: String,
    /// Its last check-in's value, confidence and date; `None` without one.
    pub last: Option<(String, ConfidenceLevel, NaiveDate)>,
    pub nudge: Nudge,
}

/// The key results of `dashboard` owned by `person` that are due a
/// nudge at `now`: not reached, and without a check-in for a week (since
/// the quarter's start, for one that has none).
pub fn due_key_results(
    dashboard: &Dashboard,
    person: uuid::Uuid,
    now: NaiveDateTime,
    base_url: &str,
) -> Vec<DueKeyResult> {
    let Some(quarter) = &dashboard.quarter else {
        return vec![];
    };
    let quarter_start = quarter.start_at.and_time(chrono::NaiveTime::MIN);
    dashboard
        .teams
        .iter()
        .flat_map(|team| &team.objectives)
        .flat_map(|objective| {
            objective
                .key_results
                .iter()
                .map(move |key_result| (objective, key_result))
        })
        .filter(|(_, key_result)| key_result.owner_id == person)
        .filter(|(_, key_result)| {
            !rules::reached(
                key_result.direction,
                key_result.current_value,
                key_result.target_value,
            )
        })
        .filter_map(|(objective, key_result)| {
            let latest = key_result.latest();
            let last = latest.map_or(quarter_start, |point| point.created_at);
            let nudge = domain::reminders::nudge(last, now)?;
            Some(DueKeyResult {
                title: key_result.title.clone(),
                objective: objective.title.clone(),
                link: format!("{base_url}/kr/{}#check-in", key_result.id),
                last: latest.map(|point| {
                    (
                        key_result.format(point.value),
                        point.confidence,
                        point.created_at.date(),
                    )
                }),
                nudge,
            })
        })
        .collect()
}

/// An email's subject and its two parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

fn attribute(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

fn html_page(title: &str, body: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n\
         <body style=\"font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 40rem;\">\n\
         {body}\n<hr>\n<footer style=\"font-size: 0.875rem; color: #444;\">{footer}</footer>\n</body>\n</html>\n",
        escape(title)
    )
}

fn last_words(last: &Option<(String, ConfidenceLevel, NaiveDate)>) -> String {
    match last {
        Some((value, confidence, date)) => format!(
            "last check-in {value}, {} confidence, on {}",
            confidence.label(),
            date.format("%a %b %-d")
        ),
        None => "no check-in yet this quarter".to_owned(),
    }
}

/// A person's reminder (or follow-up, if a key result has gone two weeks
/// without a check-in).
pub fn reminder(
    name: &str,
    quarter: &str,
    due: &[DueKeyResult],
    settings_link: &str,
    unsubscribe_link: &str,
) -> Email {
    let follow_up = due.iter().any(|item| item.nudge == Nudge::FollowUp);
    let count = due.len();
    let plural = if count == 1 {
        "key result"
    } else {
        "key results"
    };
    let subject = if follow_up {
        format!("Second week without a check-in: {count} {plural} in {quarter}")
    } else {
        format!("Time to check in: {count} {plural} in {quarter}")
    };
    let lead = if follow_up {
        format!(
            "Hi {name}, some of your key results in {quarter} have gone two weeks without a check-in."
        )
    } else {
        format!(
            "Hi {name}, it is check-in day. These key results in {quarter} have had no check-in this past week."
        )
    };
    let mut text = format!("{lead}\n\n");
    let mut items = String::new();
    for item in due {
        let second = if item.nudge == Nudge::FollowUp {
            " (second week)"
        } else {
            ""
        };
        text.push_str(&format!(
            "- {}{second}\n  {} · {}\n  Check in: {}\n\n",
            item.title,
            item.objective,
            last_words(&item.last),
            item.link
        ));
        items.push_str(&format!(
            "<li><p><strong>{}</strong>{}<br>{} · {}<br><a href=\"{}\">Check in on {}</a></p></li>\n",
            escape(&item.title),
            escape(second),
            escape(&item.objective),
            escape(&last_words(&item.last)),
            attribute(&item.link),
            escape(&item.title)
        ));
    }
    text.push_str(&footer_text(settings_link, unsubscribe_link, "reminders"));
    let html = html_page(
        &subject,
        &format!(
            "<h1 style=\"font-size: 1.25rem;\">{}</h1>\n<p>{}</p>\n<ul>\n{items}</ul>",
            escape(&subject),
            escape(&lead)
        ),
        &footer_html(settings_link, unsubscribe_link, "reminders"),
    );
    Email {
        subject,
        text,
        html,
    }
}

fn footer_text(settings_link: &str, unsubscribe_link: &str, what: &str) -> String {
    format!(
        "--\nYou get these {what} from RunwayOKR. Choose when, or turn them off: {settings_link}\nUnsubscribe from {what} in one click: {unsubscribe_link}\n"
    )
}

fn footer_html(settings_link: &str, unsubscribe_link: &str, what: &str) -> String {
    format!(
        "<p>You get these {what} from RunwayOKR. <a href=\"{}\">Choose when, or turn them off</a>. \
         <a href=\"{}\">Unsubscribe from {what}</a>.</p>",
        attribute(settings_link),
        attribute(unsubscribe_link)
    )
}

/// A line of a digest's list: a key result and what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestLine {
    pub key_result: String,
    pub team: String,
    pub detail: String,
    pub link: String,
}

/// A week of OKRs: what the digest of a team (or of every team) says.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// "Sales", or "All teams".
    pub scope: String,
    pub quarter: String,
    /// The week: from `since` (inclusive) to `until`.
    pub since: NaiveDateTime,
    pub until: NaiveDateTime,
    pub progress: Option<f64>,
    pub progress_week_ago: Option<f64>,
    pub ncs: Option<f64>,
    pub ncs_week_ago: Option<f64>,
    pub check_ins: Vec<DigestLine>,
    pub confidence_dropped: Vec<DigestLine>,
    pub off_pace: Vec<DigestLine>,
    pub stale: Vec<DigestLine>,
}

/// The week before `now` of `dashboard` (already narrowed to the teams the
/// digest covers). Its progress and NCS are the dashboard's own figures,
/// now and as they stood a week ago.
pub fn digest(
    dashboard: &Dashboard,
    scope: &str,
    now: NaiveDateTime,
    base_url: &str,
) -> Option<Digest> {
    let quarter: &QuarterView = dashboard.quarter.as_ref()?;
    let since = now - TimeDelta::days(7);
    let week_ago = dashboard.rewound(since);
    let before: std::collections::HashMap<uuid::Uuid, &KeyResultView> =
        week_ago.key_results().map(|kr| (kr.id, kr)).collect();
    let mut digest = Digest {
        scope: scope.to_owned(),
        quarter: quarter.label.clone(),
        since,
        until: now,
        progress: dashboard.progress(),
        progress_week_ago: week_ago.progress(),
        ncs: dashboard.net_confidence_score(),
        ncs_week_ago: week_ago.net_confidence_score(),
        check_ins: vec![],
        confidence_dropped: vec![],
        off_pace: vec![],
        stale: vec![],
    };
    for team in &dashboard.teams {
        for key_result in team.objectives.iter().flat_map(|o| &o.key_results) {
            let line = |detail: String| DigestLine {
                key_result: key_result.title.clone(),
                team: team.name.clone(),
                detail,
                link: format!("{base_url}/kr/{}", key_result.id),
            };
            for point in key_result
                .check_ins
                .iter()
                .filter(|point| point.created_at >= since && point.created_at <= now)
            {
                digest.check_ins.push(line(format!(
                    "{} by {}, {} confidence, {}",
                    key_result.format(point.value),
                    key_result.owner,
                    point.confidence.label(),
                    point.created_at.format("%a %b %-d")
                )));
            }
            let was = before.get(&key_result.id).and_then(|kr| kr.confidence());
            if let (Some(was), Some(is)) = (was, key_result.confidence())
                && is < was
            {
                digest
                    .confidence_dropped
                    .push(line(format!("{} → {}", was.label(), is.label())));
            }
            let reached = rules::reached(
                key_result.direction,
                key_result.current_value,
                key_result.target_value,
            );
            if let Ok(forecast) = key_result.forecast(quarter)
                && forecast.off_pace
                && !reached
            {
                digest.off_pace.push(line(rules::forecast_sentence(
                    Ok(forecast),
                    key_result.unit,
                    key_result.target_value,
                    quarter.end_at,
                )));
            }
            if key_result.stale(dashboard.as_of) {
                digest
                    .stale
                    .push(line(match key_result.last_check_in_date() {
                        Some(date) => format!("last check-in {}", date.format("%b %-d")),
                        None => "no check-in yet".to_owned(),
                    }));
            }
        }
    }
    Some(digest)
}

fn percent(progress: Option<f64>) -> String {
    progress.map_or_else(|| "—".to_owned(), rules::format_percent)
}

fn score(ncs: Option<f64>) -> String {
    ncs.map_or_else(|| "—".to_owned(), |score| format!("{score:+.0}"))
}

impl Digest {
    pub fn subject(&self) -> String {
        format!(
            "Weekly OKR digest: {}, {} · progress {}, NCS {}",
            self.scope,
            self.quarter,
            percent(self.progress),
            score(self.ncs)
        )
    }

    /// "Progress 42% (a week ago 38%)".
    pub fn progress_line(&self) -> String {
        format!(
            "Progress {} (a week ago {})",
            percent(self.progress),
            percent(self.progress_week_ago)
        )
    }

    pub fn ncs_line(&self) -> String {
        format!(
            "NCS {} (a week ago {})",
            score(self.ncs),
            score(self.ncs_week_ago)
        )
    }

    fn sections(&self) -> [(&'static str, &Vec<DigestLine>, &'static str); 4] {
        [
            (
                "Check-ins this week",
                &self.check_ins,
                "No check-ins this week.",
            ),
            (
                "Confidence that dropped",
                &self.confidence_dropped,
                "No confidence dropped.",
            ),
            (
                "Off pace by the forecast",
                &self.off_pace,
                "Every forecast reaches its target.",
            ),
            ("Still stale", &self.stale, "Nothing is stale."),
        ]
    }

    pub fn email(
        &self,
        settings_link: &str,
        unsubscribe_link: &str,
        dashboard_link: &str,
    ) -> Email {
        let subject = self.subject();
        let period = format!(
            "{} – {}",
            self.since.format("%b %-d"),
            self.until.format("%b %-d")
        );
        let mut text = format!(
            "{}, {} · week of {period}\n\n{}\n{}\n\n",
            self.scope,
            self.quarter,
            self.progress_line(),
            self.ncs_line()
        );
        let mut html = format!(
            "<h1 style=\"font-size: 1.25rem;\">Weekly OKR digest: {}, {}</h1>\n<p>Week of {}</p>\n<ul>\n<li>{}</li>\n<li>{}</li>\n</ul>\n",
            escape(&self.scope),
            escape(&self.quarter),
            escape(&period),
            escape(&self.progress_line()),
            escape(&self.ncs_line())
        );
        for (heading, lines, none) in self.sections() {
            text.push_str(&format!("{heading} ({})\n", lines.len()));
            html.push_str(&format!(
                "<h2 style=\"font-size: 1.05rem;\">{heading} ({})</h2>\n",
                lines.len()
            ));
            if lines.is_empty() {
                text.push_str(&format!("  {none}\n"));
                html.push_str(&format!("<p>{none}</p>\n"));
            } else {
                html.push_str("<ul>\n");
                for line in lines {
                    text.push_str(&format!(
                        "- {} ({}): {}\n  {}\n",
                        line.key_result, line.team, line.detail, line.link
                    ));
                    html.push_str(&format!(
                        "<li><a href=\"{}\">{}</a> ({}): {}</li>\n",
                        attribute(&line.link),
                        escape(&line.key_result),
                        escape(&line.team),
                        escape(&line.detail)
                    ));
                }
                html.push_str("</ul>\n");
            }
            text.push('\n');
        }
        text.push_str(&format!("The dashboard: {dashboard_link}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">Open the dashboard</a></p>",
            attribute(dashboard_link)
        ));
        text.push_str(&footer_text(settings_link, unsubscribe_link, "digests"));
        Email {
            html: html_page(
                &subject,
                &html,
                &footer_html(settings_link, unsubscribe_link, "digests"),
            ),
            subject,
            text,
        }
    }

    /// A Slack-compatible incoming-webhook body (Microsoft Teams workflows
    /// take the same): `text` for notifications and clients without
    /// blocks, and `blocks` with the sections.
    pub fn chat_post(&self, dashboard_link: &str) -> serde_json::Value {
        let mut text = format!(
            "*{}*\n{} · {}",
            self.subject(),
            self.progress_line(),
            self.ncs_line()
        );
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text", "text": format!("Weekly OKR digest: {}, {}", self.scope, self.quarter)}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{}\n{}", self.progress_line(), self.ncs_line())}}),
        ];
        for (heading, lines, none) in self.sections() {
            let body = if lines.is_empty() {
                none.to_owned()
            } else {
                lines
                    .iter()
                    .take(20)
                    .map(|line| {
                        format!(
                            "• <{}|{}> ({}): {}",
                            line.link,
                            chat_escape(&line.key_result),
                            chat_escape(&line.team),
                            chat_escape(&line.detail)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            text.push_str(&format!("\n{heading}: {}", lines.len()));
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{heading} ({})*\n{body}", lines.len())}}));
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("<{dashboard_link}|Open the dashboard>")}}));
        json!({"text": text, "blocks": blocks})
    }
}

/// Slack's three escaped characters.
fn chat_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckInPoint, ObjectiveView, TeamView};
    use domain::{Direction, Unit};
    use rust_decimal::Decimal;
    use uuid::Uuid;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn key_result(
        owner: Uuid,
        title: &str,
        points: &[(u32, i64, ConfidenceLevel)],
    ) -> KeyResultView {
        KeyResultView {
            id: Uuid::new_v4(),
            title: title.into(),
            owner: "Ana".into(),
            owner_id: owner,
            unit: Unit::Count,
            direction: Direction::Up,
            start_value: Decimal::ZERO,
            target_value: Decimal::from(100),
            current_value: points.last().map_or(Decimal::ZERO, |p| Decimal::from(p.1)),
            check_ins: points
                .iter()
                .map(|(day, value, confidence)| CheckInPoint {
                    value: Decimal::from(*value),
                    confidence: *confidence,
                    created_at: at(*day),
                })
                .collect(),
        }
    }

    fn dashboard(key_results: Vec<KeyResultView>) -> Dashboard {
        Dashboard {
            alignment: Default::default(),
            quarters: vec![],
            quarter: Some(QuarterView {
                id: Uuid::nil(),
                label: "2025-Q1".into(),
                start_at: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                end_at: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
                archived: false,
            }),
            teams: vec![TeamView {
                id: Uuid::nil(),
                name: "Sales <EU>".into(),
                objectives: vec![ObjectiveView {
                    id: Uuid::nil(),
                    title: "Grow & win".into(),
                    owner: "Ana".into(),
                    key_results,
                }],
            }],
            team_options: vec![],
            owner_options: vec![],
            as_of: at(17).date(),
            today: at(17).date(),
        }
    }

    #[test]
    fn a_reminder_lists_only_the_owners_quiet_unreached_key_results() {
        use ConfidenceLevel::*;
        let ana = Uuid::new_v4();
        let other = Uuid::new_v4();
        let board = dashboard(vec![
            key_result(ana, "Quiet", &[(9, 10, Green)]),
            key_result(ana, "Very quiet", &[(2, 10, Amber)]),
            key_result(ana, "Fresh", &[(15, 20, Green)]),
            key_result(ana, "Reached", &[(1, 100, Green)]),
            key_result(other, "Someone else's", &[(1, 10, Red)]),
        ]);
        let due = due_key_results(&board, ana, at(17), "https://okr.example");
        let titles: Vec<&str> = due.iter().map(|item| item.title.as_str()).collect();
        assert_eq!(titles, ["Quiet", "Very quiet"]);
        assert_eq!(due[0].nudge, Nudge::Reminder);
        assert_eq!(due[1].nudge, Nudge::FollowUp);
        assert!(due[0].link.starts_with("https://okr.example/kr/"));
        assert!(due[0].link.ends_with("#check-in"));
        let email = reminder("Ana", "2025-Q1", &due, "https://s", "https://u");
        assert!(
            email
                .subject
                .starts_with("Second week without a check-in: 2 key results")
        );
        assert!(
            email
                .text
                .contains("last check-in 10, Green confidence, on Sun Mar 9")
        );
        assert!(email.html.contains("<html lang=\"en\">"));
        // Titles are escaped in HTML.
        assert!(email.html.contains("Grow &amp; win"));
        assert!(email.text.contains("https://u"));
    }

    #[test]
    fn a_digest_has_the_weeks_check_ins_drops_and_the_figures_of_a_week_ago() {
        use ConfidenceLevel::*;
        let ana = Uuid::new_v4();
        let board = dashboard(vec![
            key_result(ana, "Dropped", &[(3, 10, Green), (12, 30, Amber)]),
            key_result(ana, "Stale", &[(2, 10, Green)]),
        ]);
        let digest = digest(&board, "Sales <EU>", at(17), "https://okr.example").unwrap();
        assert_eq!(digest.check_ins.len(), 1);
        assert_eq!(digest.confidence_dropped.len(), 1);
        assert_eq!(digest.confidence_dropped[0].detail, "Green → Amber");
        assert_eq!(digest.stale.len(), 1);
        assert_eq!(digest.stale[0].key_result, "Stale");
        assert_eq!(digest.progress, board.progress());
        assert_eq!(digest.progress_week_ago, Some((0.10 + 0.10) / 2.0));
        assert_eq!(digest.ncs, board.net_confidence_score());
        let email = digest.email("https://s", "https://u", "https://d");
        assert!(email.text.contains("Progress 20% (a week ago 10%)"));
        assert!(email.html.contains("Sales &lt;EU&gt;"));
        let post = digest.chat_post("https://d");
        assert!(post["text"].as_str().unwrap().contains("Weekly OKR digest"));
        assert!(post["blocks"].as_array().unwrap().len() >= 6);
        assert!(post.to_string().contains("Sales &lt;EU&gt;"));
    }
}
