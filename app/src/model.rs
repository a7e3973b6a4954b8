//! What the server sends the pages: plain, serializable views of the data.

use chrono::{NaiveDate, NaiveDateTime};
use entity::{ConfidenceLevel, Direction, Unit};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterView {
    pub id: Uuid,
    pub label: String,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
    pub archived: bool,
}

/// One quarter's OKRs, grouped by team, then objective, then key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Every quarter, newest first, for the quarter switcher.
    pub quarters: Vec<QuarterView>,
    /// The quarter shown; `None` only when there are no quarters at all.
    pub quarter: Option<QuarterView>,
    pub teams: Vec<TeamView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub objectives: Vec<ObjectiveView>,
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
