//! The OKR tree as the dashboard, the key result page and the health check
//! show it, with the flags and outcomes its rows carry.

use chrono::{NaiveDate, NaiveDateTime};
use domain::{ConfidenceLevel, Direction, Unit};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use domain::rules::{self, Outcome};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterView {
    pub id: Uuid,
    pub label: String,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
    pub archived: bool,
}

impl QuarterView {
    /// Past its last day on `today`, or archived.
    pub fn is_over(&self, today: NaiveDate) -> bool {
        rules::quarter_over(self.end_at, self.archived, today)
    }
}

/// One quarter's OKRs, grouped by team, then objective, then key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Every quarter, newest first, for the quarter switcher.
    pub quarters: Vec<QuarterView>,
    /// The quarter shown; `None` only when there are no quarters at all.
    pub quarter: Option<QuarterView>,
    pub teams: Vec<TeamView>,
    /// The teams and key result owners of the quarter, for the filters.
    pub team_options: Vec<FilterOption>,
    pub owner_options: Vec<FilterOption>,
    /// The day pace and staleness are judged on: today, or the quarter's
    /// last day once it is over.
    pub as_of: NaiveDate,
    /// The server's date, so the browser never needs its own clock.
    pub today: NaiveDate,
    /// What supports what, and the aligned figures, of the whole quarter
    /// (filtering leaves it whole).
    pub alignment: super::Alignment,
}

impl Dashboard {
    /// Keeps only the key results the filters let through, and drops the
    /// objectives and teams left empty.
    pub fn filter(&mut self, filters: &Filters) {
        let Some(quarter) = self.quarter.clone() else {
            return;
        };
        if !filters.is_active() {
            return;
        }
        let as_of = self.as_of;
        let alignment = &self.alignment;
        // Only the company objective filter: it keeps whole objectives,
        // those without key results too.
        let whole_objectives = Filters {
            supports: None,
            ..filters.clone()
        } == Filters::default();
        for team in &mut self.teams {
            let snapshot = TeamView {
                objectives: vec![],
                ..team.clone()
            };
            if let Some(root) = filters.supports {
                team.objectives
                    .retain(|objective| alignment.is_under(objective.id, root));
            }
            if whole_objectives {
                continue;
            }
            for objective in &mut team.objectives {
                objective
                    .key_results
                    .retain(|key_result| filters.keeps(&snapshot, key_result, &quarter, as_of));
            }
            team.objectives
                .retain(|objective| !objective.key_results.is_empty());
        }
        self.teams.retain(|team| !team.objectives.is_empty());
    }

    pub fn key_results(&self) -> impl Iterator<Item = &KeyResultView> {
        self.teams
            .iter()
            .flat_map(|team| &team.objectives)
            .flat_map(|objective| &objective.key_results)
    }

    /// The quarter's progress: the mean of its teams' rollups.
    pub fn progress(&self) -> Option<f64> {
        rules::rollup(self.teams.iter().filter_map(TeamView::progress))
    }

    /// The Net Confidence Score of its key results' latest confidence.
    pub fn net_confidence_score(&self) -> Option<f64> {
        rules::net_confidence_score(self.key_results().filter_map(KeyResultView::confidence))
    }

    /// The same OKRs as they stood just before `cutoff`: each key result
    /// without the check-ins made since, at the value of its last earlier
    /// one (its start value if every check-in it has came since). A key
    /// result with no check-ins at all keeps its value.
    pub fn rewound(&self, cutoff: NaiveDateTime) -> Dashboard {
        let mut before = self.clone();
        for key_result in before
            .teams
            .iter_mut()
            .flat_map(|team| &mut team.objectives)
            .flat_map(|objective| &mut objective.key_results)
        {
            if key_result.check_ins.is_empty() {
                continue;
            }
            key_result
                .check_ins
                .retain(|point| point.created_at < cutoff);
            key_result.current_value = key_result
                .latest()
                .map_or(key_result.start_value, |point| point.value);
        }
        before
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub objectives: Vec<ObjectiveView>,
}

impl TeamView {
    /// The mean of its objectives' rollups.
    pub fn progress(&self) -> Option<f64> {
        rules::rollup(self.objectives.iter().filter_map(ObjectiveView::progress))
    }

    pub fn confidence(&self) -> Option<ConfidenceLevel> {
        rules::worst_confidence(self.objectives.iter().filter_map(ObjectiveView::confidence))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveView {
    pub id: Uuid,
    pub title: String,
    pub owner: String,
    pub key_results: Vec<KeyResultView>,
}

impl ObjectiveView {
    /// The mean of its key results' clamped progress.
    pub fn progress(&self) -> Option<f64> {
        rules::rollup(self.key_results.iter().filter_map(KeyResultView::progress))
    }

    /// The worst latest confidence among its key results.
    pub fn confidence(&self) -> Option<ConfidenceLevel> {
        rules::worst_confidence(
            self.key_results
                .iter()
                .filter_map(KeyResultView::confidence),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResultView {
    pub id: Uuid,
    pub title: String,
    pub owner: String,
    pub owner_id: Uuid,
    pub unit: Unit,
    pub direction: Direction,
    pub start_value: Decimal,
    pub target_value: Decimal,
    pub current_value: Decimal,
    /// Its check-ins in the quarter, oldest first (at most the latest 26).
    pub check_ins: Vec<CheckInPoint>,
}

impl KeyResultView {
    pub fn progress(&self) -> Option<f64> {
        rules::progress(self.start_value, self.target_value, self.current_value)
    }

    pub fn latest(&self) -> Option<&CheckInPoint> {
        self.check_ins.last()
    }

    pub fn confidence(&self) -> Option<ConfidenceLevel> {
        self.latest().map(|point| point.confidence)
    }

    pub fn format(&self, value: Decimal) -> String {
        rules::format_value(self.unit, value)
    }

    pub fn last_check_in_date(&self) -> Option<NaiveDate> {
        self.latest().map(|point| point.created_at.date())
    }

    /// Red, or more than 15 points behind the calendar.
    pub fn at_risk(&self, quarter: &QuarterView, as_of: NaiveDate) -> bool {
        let behind = self.progress().is_some_and(|progress| {
            rules::is_behind_pace(
                progress,
                rules::expected_progress(quarter.start_at, quarter.end_at, as_of),
            )
        });
        behind || self.confidence() == Some(ConfidenceLevel::Red)
    }

    pub fn stale(&self, as_of: NaiveDate) -> bool {
        rules::is_stale(self.last_check_in_date(), as_of)
    }

    /// Reached, missed, or not reached yet while `quarter` runs.
    pub fn outcome(&self, quarter: &QuarterView, today: NaiveDate) -> Outcome {
        Outcome::of(
            self.direction,
            self.current_value,
            self.target_value,
            quarter.is_over(today),
        )
    }

    /// The flags its dashboard row carries: while the quarter runs, "At
    /// risk" and "Stale" where they apply; once it is over, pace and
    /// staleness no longer matter, only whether it was reached or missed.
    pub fn flags(
        &self,
        quarter: &QuarterView,
        as_of: NaiveDate,
        today: NaiveDate,
    ) -> impl Iterator<Item = Flag> {
        let flags = if quarter.is_over(today) {
            [Some(Flag::Outcome(self.outcome(quarter, today))), None]
        } else {
            [
                self.at_risk(quarter, as_of).then_some(Flag::AtRisk),
                self.stale(as_of).then_some(Flag::Stale),
            ]
        };
        flags.into_iter().flatten()
    }

    /// Where its check-ins point by the quarter's end.
    pub fn forecast(&self, quarter: &QuarterView) -> Result<rules::Forecast, rules::NoForecast> {
        let points: Vec<_> = self
            .check_ins
            .iter()
            .map(|point| (point.created_at, point.value))
            .collect();
        rules::forecast(
            &points,
            quarter.start_at,
            quarter.end_at,
            self.start_value,
            self.target_value,
        )
    }
}

/// A flag on a key result's dashboard row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    AtRisk,
    Stale,
    Outcome(Outcome),
}

impl Flag {
    pub fn words(self) -> &'static str {
        match self {
            Flag::AtRisk => "At risk",
            Flag::Stale => "Stale",
            Flag::Outcome(outcome) => outcome.words(),
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Flag::AtRisk => "flag flag-risk",
            Flag::Stale => "flag flag-stale",
            Flag::Outcome(outcome) => outcome.class(),
        }
    }
}

/// Which key results the dashboard shows; all of them by default. Lives in
/// the URL query, so a filtered view is a link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    pub team: Option<Uuid>,
    pub owner: Option<Uuid>,
    pub at_risk: bool,
    pub stale: bool,
    /// A company objective: only it and the objectives under it.
    pub supports: Option<Uuid>,
}

impl Filters {
    pub fn is_active(&self) -> bool {
        *self != Filters::default()
    }

    fn keeps(
        &self,
        team: &TeamView,
        key_result: &KeyResultView,
        quarter: &QuarterView,
        as_of: NaiveDate,
    ) -> bool {
        self.team.is_none_or(|id| id == team.id)
            && self.owner.is_none_or(|id| id == key_result.owner_id)
            && (!self.at_risk || key_result.at_risk(quarter, as_of))
            && (!self.stale || key_result.stale(as_of))
    }
}

/// A team or person to filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOption {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInPoint {
    pub value: Decimal,
    pub confidence: ConfidenceLevel,
    pub created_at: NaiveDateTime,
}

/// What `/api/health` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: String,
    pub timestamp: String,
    pub database: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// One check-in in a key result's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInEntry {
    pub id: Uuid,
    pub value: Decimal,
    pub confidence: ConfidenceLevel,
    pub note: Option<String>,
    pub author: String,
    pub created_at: NaiveDateTime,
}

/// Everything the key result page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResultDetail {
    pub key_result: KeyResultView,
    pub objective: String,
    pub team: String,
    pub team_id: Uuid,
    pub quarter: QuarterView,
    /// One page of the history, newest first.
    pub history: Vec<CheckInEntry>,
    /// Which page (1 is the newest), its size, and how many check-ins there are.
    pub page: u64,
    pub page_size: u64,
    pub total_check_ins: u64,
    pub as_of: NaiveDate,
    pub today: NaiveDate,
}

impl KeyResultDetail {
    /// How many pages the history has (at least 1).
    pub fn pages(&self) -> u64 {
        self.total_check_ins.div_ceil(self.page_size.max(1)).max(1)
    }
}

/// The day to judge pace on: today, but no later than the quarter's end.
pub fn as_of(quarter: &QuarterView, today: NaiveDate) -> NaiveDate {
    today.min(quarter.end_at)
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    fn day(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, month, day).expect("a date")
    }

    fn quarter() -> QuarterView {
        QuarterView {
            id: Uuid::nil(),
            label: "2025-Q1".into(),
            start_at: day(1, 1),
            end_at: day(3, 31),
            archived: false,
        }
    }

    /// 0 → 100, with one Red check-in of `value` on Jan 6.
    fn key_result(value: i64) -> KeyResultView {
        KeyResultView {
            id: Uuid::nil(),
            title: "Signed accounts".into(),
            owner: "Lisa Wang".into(),
            owner_id: Uuid::nil(),
            unit: domain::Unit::Count,
            direction: Direction::Up,
            start_value: Decimal::ZERO,
            target_value: Decimal::from(100),
            current_value: Decimal::from(value),
            check_ins: vec![CheckInPoint {
                value: Decimal::from(value),
                confidence: ConfidenceLevel::Red,
                created_at: day(1, 6).and_hms_opt(9, 0, 0).expect("a time"),
            }],
        }
    }

    fn flags(key_result: &KeyResultView, quarter: &QuarterView, today: NaiveDate) -> Vec<Flag> {
        key_result
            .flags(quarter, as_of(quarter, today), today)
            .collect()
    }

    #[test]
    fn a_running_quarter_flags_risk_and_staleness() {
        assert_eq!(
            flags(&key_result(10), &quarter(), day(3, 1)),
            vec![Flag::AtRisk, Flag::Stale]
        );
        // Its last day still runs.
        assert_eq!(
            flags(&key_result(10), &quarter(), day(3, 31)),
            vec![Flag::AtRisk, Flag::Stale]
        );
    }

    #[test]
    fn an_ended_quarter_says_reached_or_missed_and_nothing_else() {
        let after = day(4, 1);
        assert_eq!(
            flags(&key_result(10), &quarter(), after),
            vec![Flag::Outcome(Outcome::Missed)]
        );
        assert_eq!(
            flags(&key_result(100), &quarter(), after),
            vec![Flag::Outcome(Outcome::Reached)]
        );
        let archived = QuarterView {
            archived: true,
            ..quarter()
        };
        assert_eq!(
            flags(&key_result(10), &archived, day(3, 1)),
            vec![Flag::Outcome(Outcome::Missed)]
        );
        assert_eq!(Flag::Outcome(Outcome::Missed).words(), "Missed");
        assert_eq!(Flag::AtRisk.class(), "flag flag-risk");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(value: i64) -> Decimal {
        Decimal::from(value)
    }

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn key_result(points: &[(u32, Decimal, ConfidenceLevel)], current: Decimal) -> KeyResultView {
        KeyResultView {
            id: Uuid::new_v4(),
            title: "Direct share".into(),
            owner: "Ana".into(),
            owner_id: Uuid::nil(),
            unit: Unit::Percent,
            direction: Direction::Up,
            start_value: dec(0),
            target_value: dec(100),
            current_value: current,
            check_ins: points
                .iter()
                .map(|(day, value, confidence)| CheckInPoint {
                    value: *value,
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
            quarter: None,
            teams: vec![TeamView {
                id: Uuid::nil(),
                name: "Sales".into(),
                objectives: vec![ObjectiveView {
                    id: Uuid::nil(),
                    title: "Grow".into(),
                    owner: "Ana".into(),
                    key_results,
                }],
            }],
            team_options: vec![],
            owner_options: vec![],
            as_of: at(10).date(),
            today: at(10).date(),
        }
    }

    #[test]
    fn rewinding_drops_later_check_ins_and_takes_the_last_earlier_value() {
        use ConfidenceLevel::{Green, Red};
        let now = dashboard(vec![
            key_result(&[(1, dec(20), Green), (8, dec(60), Red)], dec(60)),
            key_result(&[(9, dec(40), Green)], dec(40)),
            key_result(&[], dec(10)),
        ]);
        assert_eq!(now.progress(), Some((0.6 + 0.4 + 0.1) / 3.0));
        assert_eq!(now.net_confidence_score(), Some(0.0));
        let before = now.rewound(at(7));
        let values: Vec<Decimal> = before.key_results().map(|kr| kr.current_value).collect();
        assert_eq!(values, vec![dec(20), dec(0), dec(10)]);
        assert_eq!(before.progress(), Some((0.2 + 0.0 + 0.1) / 3.0));
        assert_eq!(before.net_confidence_score(), Some(100.0));
        // Rewinding to after every check-in changes nothing.
        assert_eq!(now.rewound(at(11)), now);
    }
}
