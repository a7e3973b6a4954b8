//! The planning pages: quarters and teams to administer, objective and key
//! result drafts with their pickers, the roll-over and the review.

use chrono::NaiveDate;
use domain::Unit;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::okrs::{Dashboard, FilterOption, QuarterView};

/// A quarter as the admins' quarters page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterAdminRow {
    pub quarter: QuarterView,
    pub objectives: u64,
}

/// A quarter being created or edited; `id` is `None` for a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterDraft {
    pub id: Option<Uuid>,
    pub label: String,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
}

/// The admins' quarters page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuartersAdmin {
    pub quarters: Vec<QuarterAdminRow>,
    /// What the create form suggests: the calendar quarter after the latest.
    pub suggestion: QuarterDraft,
}

/// A team as the admins' teams page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamAdminRow {
    pub id: Uuid,
    pub name: String,
    pub archived: bool,
    /// It stands for the company: its objectives are company objectives.
    pub company: bool,
    /// Active people in the team.
    pub people: u64,
    pub objectives: u64,
}

/// A person a form may pick as an owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonOption {
    pub id: Uuid,
    pub name: String,
    pub team_id: Uuid,
}

/// What the planning forms offer: open quarters, the teams the viewer may
/// plan for, and active people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanningOptions {
    pub quarters: Vec<QuarterView>,
    pub teams: Vec<FilterOption>,
    pub people: Vec<PersonOption>,
}

/// An objective being created or edited; `id` is `None` for a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveDraft {
    pub id: Option<Uuid>,
    pub title: String,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub quarter_id: Uuid,
    /// What deleting it takes along.
    pub key_results: u64,
    pub check_ins: u64,
    /// The objectives that support it (or one of its key results), which
    /// deleting it leaves unaligned.
    pub supporters: u64,
}

/// A key result being created or edited; `id` is `None` for a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResultDraft {
    pub id: Option<Uuid>,
    pub objective_id: Uuid,
    pub title: String,
    pub owner_id: Uuid,
    pub unit: Unit,
    pub start_value: Decimal,
    pub target_value: Decimal,
    pub current_value: Decimal,
    /// What changing its unit or start, or deleting it, touches.
    pub check_ins: u64,
}

/// The objective form: the draft and the pickers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveEditor {
    pub draft: ObjectiveDraft,
    pub options: PlanningOptions,
    /// What an existing objective may support; `None` for a new one.
    pub alignment: Option<AlignmentChoices>,
}

/// The "Supports" picker of an objective: its current parent (a form value,
/// `objective:<id>` or `key_result:<id>`, empty when unaligned) and the
/// objectives of other teams in its quarter, each with its key results,
/// the company's first. Its own supporters, which would make a cycle, are
/// left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlignmentChoices {
    pub current: String,
    pub quarter_label: String,
    /// The quarter is archived: nothing changes.
    pub read_only: bool,
    pub groups: Vec<ParentGroup>,
}

/// One objective a picker offers, with its key results: (form value, words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentGroup {
    pub label: String,
    pub objective: (String, String),
    pub key_results: Vec<(String, String)>,
}

/// The key result form: the draft, its objective and the owners to pick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResultEditor {
    pub draft: KeyResultDraft,
    pub objective_title: String,
    pub quarter_label: String,
    pub people: Vec<PersonOption>,
}

/// An objective a roll-over may copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollOverObjective {
    pub id: Uuid,
    pub title: String,
    pub team: String,
    pub key_results: u64,
    /// Key results already at or past their target.
    pub reached: u64,
    /// An objective of the same team and title is in the next quarter.
    pub already_copied: bool,
}

/// The roll-over page: from which quarter into which, and what to copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollOverPlan {
    pub from: QuarterView,
    /// The next quarter: `id` is `None` when the roll-over will create it.
    pub to: QuarterDraft,
    pub objectives: Vec<RollOverObjective>,
}

/// What a roll-over did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollOverReport {
    pub to_label: String,
    pub created_quarter: bool,
    pub objectives_copied: u64,
    pub key_results_copied: u64,
    pub left_out_reached: u64,
    /// Key results already in the next quarter, not copied again.
    pub already_there: u64,
}

/// The quarterly business review: the quarter's dashboard, and its notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterReview {
    pub dashboard: Dashboard,
    pub notes: String,
    /// Whether the viewer may edit the notes (admins and leads, quarter open).
    pub may_edit_notes: bool,
}
