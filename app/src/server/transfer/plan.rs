//! What a file would do, checked against one read of the database: every
//! row is parsed into the commands the form would send (`domain::commands`)
//! and checked by the writers' own rules (`server::commands`), so a row is
//! refused exactly as the form or the API would refuse it, named by line
//! and column. Nothing here writes.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{key_result, objective_alignment, okr_user, quarter, team};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::table::Table;
use super::{Lookup, existing_check_ins};
use crate::error::AppError;
use crate::model::{ImportKind, ImportProblem, ImportSummary};
use crate::server::commands::check_ins::Facts;
use crate::server::commands::key_results::check_current;
use crate::server::commands::{check_open, check_owner, check_team, quarters};
use domain::access::Member;
use domain::alignment::{Placement, check_parent};
use domain::calendar;
use domain::commands::{
    CheckInForm, KeyResultForm, NewCheckIn, NewKeyResult, NewQuarter, OBJECTIVE_TITLE_MAX_CHARS,
};
use domain::text::{check_name, echo};

/// The quarter a row names: one that exists, or a calendar label an admin's
/// import creates.
#[derive(Debug, Clone)]
pub(super) enum QuarterRef {
    Existing(quarter::Model),
    New(NewQuarter),
}

impl QuarterRef {
    pub(super) fn label(&self) -> &str {
        match self {
            QuarterRef::Existing(found) => &found.label,
            QuarterRef::New(new) => &new.label,
        }
    }

    fn id(&self) -> Option<Uuid> {
        match self {
            QuarterRef::Existing(found) => Some(found.id),
            QuarterRef::New(..) => None,
        }
    }
}

/// One valid row of an OKR file: its objective and the key result command.
#[derive(Debug, Clone)]
pub(super) struct OkrRow {
    pub line: u64,
    pub quarter: QuarterRef,
    pub team: Uuid,
    pub objective: String,
    pub objective_owner: Uuid,
    /// Its `objective_id` is filled in when the objective exists.
    pub key_result: NewKeyResult,
    /// What the objective supports, when its rows name it; `None` leaves
    /// its alignment as it is.
    pub parent: Option<ParentName>,
}

/// What an objective supports, as the parent columns name it: an objective
/// of the same quarter by team and title, or one of its key results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ParentName {
    pub team: Uuid,
    pub objective: String,
    pub key_result: Option<String>,
}

/// The parent columns of an OKR file, in the order exports write them.
pub(super) const PARENT_COLUMNS: [&str; 3] =
    ["parent_team", "parent_objective", "parent_key_result"];

/// One valid row of a check-in file, as the command it records.
#[derive(Debug, Clone)]
pub(super) struct CheckInRow {
    pub line: u64,
    pub command: NewCheckIn,
    pub day: NaiveDate,
}

/// What a file would do: its summary, its problems, and the rows to write.
pub struct Plan {
    pub summary: ImportSummary,
    pub problems: Vec<ImportProblem>,
    pub(super) okrs: Vec<OkrRow>,
    /// Only what changes: check-ins already stored are left out.
    pub(super) check_ins: Vec<CheckInRow>,
    pub(super) kind: ImportKind,
}

impl Plan {
    /// A file refused as a whole (not UTF-8, a missing column, …).
    pub fn refused(problems: Vec<ImportProblem>) -> Plan {
        Plan {
            summary: ImportSummary::default(),
            problems,
            okrs: vec![],
            check_ins: vec![],
            kind: ImportKind::Okrs,
        }
    }
}

/// The column of an OKR file that a command's field comes from.
pub(super) fn okr_column(field: Option<&str>, of_objective: bool) -> &'static str {
    match field {
        Some("title") if of_objective => "objective",
        Some("owner_id") if of_objective => "objective_owner_email",
        Some("title") => "key_result",
        Some("owner_id") => "owner_email",
        Some("objective_id") => "objective",
        Some("team_id") => "team",
        Some("quarter_id" | "label" | "start_at" | "end_at") => "quarter",
        Some("unit") => "unit",
        Some("start_value") => "start",
        Some("target_value") => "target",
        Some("current_value") => "current",
        Some("parent") => "parent_objective",
        _ => "team",
    }
}

/// The column of a check-in file that a command's field comes from.
pub(super) fn check_in_column(field: Option<&str>) -> &'static str {
    match field {
        Some("author_id") => "author_email",
        Some("value") => "value",
        Some("confidence") => "confidence",
        Some("note") => "note",
        Some("date") => "date",
        _ => "key_result",
    }
}

/// An error's message as a problem shows it, beside its column.
fn message_of(error: AppError) -> String {
    match error {
        AppError::Validation { message, .. } => message,
        other => other.to_string(),
    }
}

/// Collects a row's problems; each check returns its value or `None`.
struct Row<'a> {
    line: u64,
    table: &'a Table,
    values: &'a [String],
    problems: &'a mut Vec<ImportProblem>,
}

impl Row<'_> {
    fn text(&self, column: &str) -> String {
        self.table.get(self.values, column).to_owned()
    }

    fn fail<T>(&mut self, column: &str, message: impl Into<String>) -> Option<T> {
        self.problems.push(ImportProblem {
            line: self.line,
            column: column.to_owned(),
            message: message.into(),
        });
        None
    }

    fn refuse<T>(&mut self, column: &str, error: impl Into<AppError>) -> Option<T> {
        self.fail(column, message_of(error.into()))
    }

    /// The person an email column names, found by email; whether they may
    /// be named is the command's rule.
    fn person(&mut self, lookup: &Lookup, column: &str) -> Option<okr_user::Model> {
        let email = self.text(column).to_lowercase();
        match lookup.people.get(&email) {
            Some(person) => Some(person.clone()),
            None if email.is_empty() => self.fail(column, "is empty"),
            None => self.fail(column, format!("no person has the email {}", echo(&email))),
        }
    }

    /// A person the OKR commands may name as an owner.
    fn owner(&mut self, lookup: &Lookup, column: &str) -> Option<okr_user::Model> {
        let person = self.person(lookup, column)?;
        match check_owner(column, Some(&person)) {
            Ok(()) => Some(person),
            Err(error) => self.refuse(column, error),
        }
    }

    /// The quarter, existing and open or (for an admin, a calendar label
    /// such as 2025-Q3) to create with the quarter form's rules.
    fn quarter(&mut self, lookup: &Lookup, actor: &Member) -> Option<QuarterRef> {
        let label = self.text("quarter");
        if let Some(found) = lookup.quarters.get(&label) {
            return match check_open(Some(found)) {
                Ok(()) => Some(QuarterRef::Existing(found.clone())),
                Err(error) => self.refuse("quarter", error),
            };
        }
        let Some((start, end)) = calendar::calendar_label(&label) else {
            return self.fail(
                "quarter",
                format!(
                    "there is no quarter {}; new quarters need a label like 2025-Q3",
                    echo(&label)
                ),
            );
        };
        if !actor.is_admin() {
            return self.fail(
                "quarter",
                format!("there is no quarter {label}; an admin creates it first"),
            );
        }
        let new = match NewQuarter::new(&label, start, end) {
            Ok(new) => new,
            Err(error) => return self.refuse("quarter", error),
        };
        match quarters::fits(&new, lookup.quarters.values()) {
            Ok(()) => Some(QuarterRef::New(new)),
            Err(error) => self.refuse("quarter", error),
        }
    }

    /// What the parent columns name: `Some(None)` when all three are blank
    /// (the objective's alignment stays as it is), `None` after a problem.
    /// The team is found by name in any case, as `team` is; the objective
    /// and key result are found later, once every row is read.
    fn parent(&mut self, lookup: &Lookup) -> Option<Option<ParentName>> {
        let [team, objective, key_result] = PARENT_COLUMNS.map(|column| self.text(column));
        if team.is_empty() && objective.is_empty() && key_result.is_empty() {
            return Some(None);
        }
        let mut named = true;
        for (column, value) in [("parent_team", &team), ("parent_objective", &objective)] {
            if value.is_empty() {
                named = false;
                self.fail::<()>(
                    column,
                    "is empty; a parent is named by parent_team and parent_objective together",
                );
            }
        }
        if !named {
            return None;
        }
        let Some(found) = lookup.teams.get(&team.to_lowercase()) else {
            return self.fail("parent_team", format!("there is no team {}", echo(&team)));
        };
        Some(Some(ParentName {
            team: found.id,
            objective,
            key_result: (!key_result.is_empty()).then_some(key_result),
        }))
    }

    /// The team, found by name, whose OKRs `actor` may plan.
    fn team(&mut self, lookup: &Lookup, actor: &Member) -> Option<team::Model> {
        let name = self.text("team");
        let Some(found) = lookup.teams.get(&name.to_lowercase()) else {
            return self.fail("team", format!("there is no team {}", echo(&name)));
        };
        match check_team(actor, found.id, Some(found)) {
            Ok(()) => Some(found.clone()),
            Err(error) => self.refuse("team", error),
        }
    }
}

/// Checks every row of `table` against the database as `actor`.
pub async fn plan(
    db: &impl ConnectionTrait,
    actor: &Member,
    kind: ImportKind,
    table: &Table,
    today: NaiveDate,
) -> Result<Plan, AppError> {
    if !actor.is_planner() {
        return Err(AppError::forbidden(
            "only admins and team leads import OKRs",
        ));
    }
    let lookup = Lookup::load(db).await?;
    match kind {
        ImportKind::Okrs => {
            // Read only for a file that can name parents.
            let alignments = if PARENT_COLUMNS
                .iter()
                .any(|column| table.mapping.contains_key(*column))
            {
                objective_alignment::Entity::find()
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|found| (found.objective_id, found))
                    .collect()
            } else {
                HashMap::new()
            };
            Ok(plan_okrs(&lookup, &alignments, actor, table))
        }
        ImportKind::CheckIns => plan_check_ins(db, &lookup, actor, table, today).await,
    }
}

/// An objective the file names, with what its rows say of its parent.
struct NamedObjective {
    /// Its id, or a stand-in for one the file creates.
    id: Uuid,
    /// Whether it is in the database already.
    existing: bool,
    title: String,
    team: team::Model,
    quarter_label: String,
    /// The quarter's id, or a stand-in for one the file creates.
    quarter_id: Uuid,
    archived: bool,
    /// The titles of its key results in the file.
    key_results: HashSet<String>,
    /// The parent its rows name, and the first line naming it.
    parent: Option<(u64, ParentName)>,
    /// Counted as unchanged: a new alignment makes it updated.
    unchanged: bool,
}

/// (quarter label, team, title): an objective of the file.
type ObjectiveKey = (String, Uuid, String);

fn plan_okrs(
    lookup: &Lookup,
    alignments: &HashMap<Uuid, objective_alignment::Model>,
    actor: &Member,
    table: &Table,
) -> Plan {
    let mut problems = Vec::new();
    let mut named: Vec<NamedObjective> = Vec::new();
    let mut named_at: HashMap<ObjectiveKey, usize> = HashMap::new();
    let mut stand_in_quarters: HashMap<String, Uuid> = HashMap::new();
    let mut quarters_created = Vec::new();
    let mut seen: HashMap<(String, Uuid, String, String), u64> = HashMap::new();
    let mut objectives_seen: HashMap<(String, Uuid, String), Uuid> = HashMap::new();
    let mut summary = ImportSummary {
        rows: table.rows.len() as u64,
        ..ImportSummary::default()
    };
    let mut okrs = Vec::new();
    for (line, values) in &table.rows {
        let mut row = Row {
            line: *line,
            table,
            values,
            problems: &mut problems,
        };
        let quarter = row.quarter(lookup, actor);
        let team = row.team(lookup, actor);
        let objective = match check_name("title", &row.text("objective"), OBJECTIVE_TITLE_MAX_CHARS)
        {
            Ok(title) => Some(title),
            Err(error) => row.refuse("objective", error),
        };
        let parent = row.parent(lookup);
        // Every objective the file names, even on a row with other
        // problems: a parent named by other rows is found, and only the
        // row's own problems are listed.
        let named_index = match (&quarter, &team, &objective) {
            (Some(quarter), Some(team), Some(title)) => {
                let key = (quarter.label().to_owned(), team.id, title.clone());
                let at = *named_at.entry(key).or_insert_with(|| {
                    let quarter_id = quarter.id().unwrap_or_else(|| {
                        *stand_in_quarters
                            .entry(quarter.label().to_owned())
                            .or_insert_with(Uuid::new_v4)
                    });
                    let existing = lookup
                        .objectives
                        .get(&(quarter_id, team.id, title.clone()))
                        .map(|found| found.id);
                    named.push(NamedObjective {
                        id: existing.unwrap_or_else(Uuid::new_v4),
                        existing: existing.is_some(),
                        title: title.clone(),
                        team: team.clone(),
                        quarter_label: quarter.label().to_owned(),
                        quarter_id,
                        archived: matches!(quarter, QuarterRef::Existing(found) if found.archived),
                        key_results: HashSet::new(),
                        parent: None,
                        unchanged: false,
                    });
                    named.len() - 1
                });
                let entry = &mut named[at];
                entry.key_results.insert(row.text("key_result"));
                if let Some(Some(parent)) = parent {
                    match &entry.parent {
                        None => entry.parent = Some((*line, parent)),
                        Some((first, earlier)) if *earlier != parent => {
                            let column = if earlier.team != parent.team {
                                "parent_team"
                            } else if earlier.objective != parent.objective {
                                "parent_objective"
                            } else {
                                "parent_key_result"
                            };
                            row.fail::<()>(
                                column,
                                format!(
                                    "differs from line {first}, an earlier row of the same objective"
                                ),
                            );
                        }
                        Some(_) => {}
                    }
                }
                Some(at)
            }
            _ => None,
        };
        let objective_owner = row.owner(lookup, "objective_owner_email");
        let owner = row.owner(lookup, "owner_email");
        // The key result as the form would send it; its objective is found
        // (or created) by title, so it has none yet.
        let form = KeyResultForm {
            objective_id: Uuid::nil().to_string(),
            title: row.text("key_result"),
            owner_id: owner
                .as_ref()
                .map_or(Uuid::nil(), |owner| owner.id)
                .to_string(),
            unit: row.text("unit"),
            start_value: row.text("start"),
            target_value: row.text("target"),
            current_value: row.text("current"),
        };
        let key_result = match form.parse() {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                let column = okr_column(error.field(), false);
                row.refuse(column, error)
            }
        };
        let (
            Some(quarter),
            Some(team),
            Some(objective),
            Some(objective_owner),
            Some(_),
            Some(key_result),
        ) = (quarter, team, objective, objective_owner, owner, key_result)
        else {
            continue;
        };
        let natural = (
            quarter.label().to_owned(),
            team.id,
            objective.clone(),
            key_result.title.clone(),
        );
        if let Some(first) = seen.insert(natural, *line) {
            row.fail::<()>(
                "key_result",
                format!("repeats the key result of line {first} (same quarter, team, objective and title)"),
            );
            continue;
        }
        // The objective: new, changed (its owner) or as it is; counted once.
        let existing_objective = quarter
            .id()
            .and_then(|id| lookup.objectives.get(&(id, team.id, objective.clone())));
        let objective_key = (quarter.label().to_owned(), team.id, objective.clone());
        if let Some(first_owner) = objectives_seen.get(&objective_key) {
            if *first_owner != objective_owner.id {
                row.fail::<()>(
                    "objective_owner_email",
                    "differs from an earlier row of the same objective",
                );
                continue;
            }
        } else {
            objectives_seen.insert(objective_key, objective_owner.id);
            match existing_objective {
                None => summary.objectives.created += 1,
                Some(found) if found.owner_id != objective_owner.id => {
                    summary.objectives.updated += 1
                }
                Some(_) => {
                    summary.objectives.unchanged += 1;
                    if let Some(at) = named_index {
                        named[at].unchanged = true;
                    }
                }
            }
        }
        let existing = existing_objective.and_then(|found| {
            lookup
                .key_results
                .get(&(found.id, key_result.title.clone()))
        });
        match existing {
            None => summary.records.created += 1,
            Some(found) => {
                let has_check_ins = lookup.checked_in.contains(&found.id);
                if let Err(error) = check_current(found, has_check_ins, key_result.current_value) {
                    row.refuse::<()>("current", error);
                    continue;
                }
                if unchanged(found, &key_result) {
                    summary.records.unchanged += 1;
                } else {
                    summary.records.updated += 1;
                }
            }
        }
        if let QuarterRef::New(new) = &quarter
            && !quarters_created.contains(&new.label)
        {
            quarters_created.push(new.label.clone());
        }
        okrs.push(OkrRow {
            line: *line,
            quarter,
            team: team.id,
            objective,
            objective_owner: objective_owner.id,
            key_result,
            parent: None,
        });
    }
    let parents = plan_parents(lookup, alignments, &named, &named_at, &mut problems);
    for (at, objective) in named.iter().enumerate() {
        if objective.unchanged && parents.get(&at).is_some_and(|parent| parent.changes) {
            summary.objectives.unchanged -= 1;
            summary.objectives.updated += 1;
        }
    }
    for row in &mut okrs {
        let key = (
            row.quarter.label().to_owned(),
            row.team,
            row.objective.clone(),
        );
        row.parent = named_at
            .get(&key)
            .and_then(|at| parents.get(at))
            .map(|parent| parent.name.clone());
    }
    // Rows' problems come in line order; those of parents, found once every
    // row was read, go in among them.
    problems.sort_by_key(|problem| problem.line);
    summary.quarters_created = quarters_created;
    Plan {
        summary,
        problems,
        okrs,
        check_ins: vec![],
        kind: ImportKind::Okrs,
    }
}

/// A parent found and allowed.
struct PlannedParent {
    name: ParentName,
    /// Whether the objective's alignment changes (a new objective's always
    /// does).
    changes: bool,
}

/// Finds the parent the rows of each objective name, among the objectives of
/// its quarter in the database and in the file, and checks it by
/// `domain::alignment`'s rules against the alignments as the file would
/// leave them, so a cycle the file makes (alone or with the database's
/// alignments) is found before anything is written. The allowed parents, by
/// index in `named`; each refusal is a problem at the first row naming it.
fn plan_parents(
    lookup: &Lookup,
    alignments: &HashMap<Uuid, objective_alignment::Model>,
    named: &[NamedObjective],
    named_at: &HashMap<ObjectiveKey, usize>,
    problems: &mut Vec<ImportProblem>,
) -> HashMap<usize, PlannedParent> {
    let mut fail = |line: u64, column: &str, message: String| {
        problems.push(ImportProblem {
            line,
            column: column.to_owned(),
            message,
        })
    };
    let teams: HashMap<Uuid, &team::Model> = lookup
        .teams
        .values()
        .map(|found| (found.id, found))
        .collect();
    // Each objective with its parent found: (its index, the line, the
    // parent's id, team and title, whether that alignment is new).
    let mut found = Vec::new();
    let mut asked: Vec<(usize, u64, &ParentName)> = named
        .iter()
        .enumerate()
        .filter_map(|(at, child)| child.parent.as_ref().map(|(line, name)| (at, *line, name)))
        .collect();
    asked.sort_by_key(|(_, line, _)| *line);
    for (at, line, name) in asked {
        let child = &named[at];
        let team_name = teams.get(&name.team).map_or("", |team| team.name.as_str());
        let in_file = named_at
            .get(&(
                child.quarter_label.clone(),
                name.team,
                name.objective.clone(),
            ))
            .map(|&parent| &named[parent]);
        let in_database =
            lookup
                .objectives
                .get(&(child.quarter_id, name.team, name.objective.clone()));
        let (id, title, existing) = match (in_file, in_database) {
            (Some(parent), _) => (parent.id, parent.title.as_str(), parent.existing),
            (None, Some(parent)) => (parent.id, parent.title.as_str(), true),
            (None, None) => {
                fail(
                    line,
                    "parent_objective",
                    format!(
                        "{team_name} has no objective {} in {}",
                        echo(&name.objective),
                        child.quarter_label
                    ),
                );
                continue;
            }
        };
        // The key result: one of the objective's, stored or in the file.
        let key_result_id = match &name.key_result {
            None => None,
            Some(key_result) => {
                let stored = existing
                    .then(|| lookup.key_results.get(&(id, key_result.clone())))
                    .flatten();
                let filed = in_file.is_some_and(|parent| parent.key_results.contains(key_result));
                if stored.is_none() && !filed {
                    fail(
                        line,
                        "parent_key_result",
                        format!("“{title}” has no key result {}", echo(key_result)),
                    );
                    continue;
                }
                Some(stored.map(|stored| stored.id))
            }
        };
        let same = child.existing
            && existing
            && alignments.get(&child.id).is_some_and(|stored| {
                stored.parent_objective_id == id
                    && match key_result_id {
                        None => stored.parent_key_result_id.is_none(),
                        Some(key_result) => {
                            key_result.is_some() && stored.parent_key_result_id == key_result
                        }
                    }
            });
        found.push((at, line, id, name, team_name, title, !same));
    }

    // The quarter's alignments as the file would leave them: those stored,
    // with each objective the file aligns moved to its new parent.
    let mut parents: HashMap<Uuid, Uuid> = alignments
        .values()
        .map(|stored| (stored.objective_id, stored.parent_objective_id))
        .collect();
    for (at, _, parent, ..) in &found {
        parents.insert(named[*at].id, *parent);
    }
    let mut titles: HashMap<Uuid, &str> = lookup
        .objectives
        .values()
        .map(|found| (found.id, found.title.as_str()))
        .collect();
    titles.extend(named.iter().map(|found| (found.id, found.title.as_str())));
    let mut allowed = HashMap::new();
    for (at, line, parent, name, team_name, title, changes) in found {
        let child = &named[at];
        let placed = |id, title, team_id, team| Placement {
            id,
            title,
            team_id,
            team,
            quarter_id: child.quarter_id,
            quarter: &child.quarter_label,
            archived: child.archived,
        };
        let checked = check_parent(
            &placed(child.id, &child.title, child.team.id, &child.team.name),
            &placed(parent, title, name.team, team_name),
            &parents,
            |id| titles.get(&id).copied().unwrap_or_default().to_owned(),
        );
        match checked {
            Ok(()) => {
                allowed.insert(
                    at,
                    PlannedParent {
                        name: name.clone(),
                        changes,
                    },
                );
            }
            Err(error) => {
                fail(line, okr_column(error.field(), true), error.message);
                // Refused: one cycle is named once, not at each of its rows.
                parents.remove(&child.id);
            }
        }
    }
    allowed
}

/// Whether a key result already is as `command` would make it.
pub(super) fn unchanged(found: &key_result::Model, command: &NewKeyResult) -> bool {
    found.owner_id == command.owner_id
        && found.unit == command.unit
        && found.start_value == command.start_value
        && found.target_value == command.target_value
        && command
            .current_value
            .is_none_or(|current| current == found.current_value)
}

async fn plan_check_ins(
    db: &impl ConnectionTrait,
    lookup: &Lookup,
    actor: &Member,
    table: &Table,
    today: NaiveDate,
) -> Result<Plan, AppError> {
    let mut problems = Vec::new();
    let mut summary = ImportSummary {
        rows: table.rows.len() as u64,
        ..ImportSummary::default()
    };
    let mut parsed: Vec<(u64, NewCheckIn)> = Vec::new();
    for (line, values) in &table.rows {
        let mut row = Row {
            line: *line,
            table,
            values,
            problems: &mut problems,
        };
        let label = row.text("quarter");
        let quarter = match lookup.quarters.get(&label) {
            Some(found) => Some(found.clone()),
            None => row.fail("quarter", format!("there is no quarter {}", echo(&label))),
        };
        let team = row.team(lookup, actor);
        let objective_title = row.text("objective");
        let key_result_title = row.text("key_result");
        let key_result = match (&quarter, &team) {
            (Some(quarter), Some(team)) => {
                match lookup
                    .objectives
                    .get(&(quarter.id, team.id, objective_title.clone()))
                {
                    None => row.fail(
                        "objective",
                        format!("{} has no objective {}", team.name, echo(&objective_title)),
                    ),
                    Some(found) => match lookup
                        .key_results
                        .get(&(found.id, key_result_title.clone()))
                    {
                        None => row.fail(
                            "key_result",
                            format!(
                                "the objective has no key result {}",
                                echo(&key_result_title)
                            ),
                        ),
                        Some(found) => Some(found.clone()),
                    },
                }
            }
            _ => None,
        };
        let author = row.person(lookup, "author_email");
        // The check-in as the form would send it, by the author the file names.
        let form = CheckInForm {
            key_result_id: key_result
                .as_ref()
                .map_or(Uuid::nil(), |found| found.id)
                .to_string(),
            value: row.text("value"),
            confidence: row.text("confidence"),
            note: row.text("note"),
            date: row.text("date"),
        };
        let command = match form.parse(author.as_ref().map_or(Uuid::nil(), |author| author.id)) {
            Ok(command) => Some(command),
            Err(error) => {
                let column = check_in_column(error.field());
                row.refuse(column, error)
            }
        };
        if let (Some(_), Some(_), Some(command)) = (key_result, author, command) {
            parsed.push((*line, command));
        }
    }

    // The writer's rules, against one read of what they need.
    let commands: Vec<NewCheckIn> = parsed.iter().map(|(_, command)| command.clone()).collect();
    let facts = Facts::load(db, actor.person_id, &commands).await?;
    let mut seen: HashMap<(Uuid, NaiveDate, Decimal, Uuid), u64> = HashMap::new();
    let mut resolved = Vec::new();
    for (line, command) in parsed {
        let mut fail = |column: &str, message: String| {
            problems.push(ImportProblem {
                line,
                column: column.to_owned(),
                message,
            })
        };
        let day = match facts.check(&command, today) {
            Ok(day) => day,
            Err(error) => {
                fail(check_in_column(error.field()), message_of(error));
                continue;
            }
        };
        let key = (command.key_result_id, day, command.value, command.author_id);
        if let Some(first) = seen.insert(key, line) {
            fail(
                "value",
                format!(
                    "repeats the check-in of line {first} (same key result, day, value and author)"
                ),
            );
            continue;
        }
        resolved.push(CheckInRow { line, command, day });
    }
    // Which are there already: the same key result, day, value and author.
    let existing = existing_check_ins(db, &resolved).await?;
    let mut rows = Vec::new();
    for row in resolved {
        if existing.contains(&row.natural_key()) {
            summary.records.unchanged += 1;
        } else {
            summary.records.created += 1;
            rows.push(row);
        }
    }
    Ok(Plan {
        summary,
        problems,
        okrs: vec![],
        check_ins: rows,
        kind: ImportKind::CheckIns,
    })
}

impl CheckInRow {
    /// What makes two check-ins the same for an import: key result, day,
    /// value and author.
    pub(super) fn natural_key(&self) -> (Uuid, NaiveDate, Decimal, Uuid) {
        (
            self.command.key_result_id,
            self.day,
            self.command.value,
            self.command.author_id,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::transfer::table;
    use domain::{Direction, Role, Unit};
    use entity::objective;

    const HEADER: &str = "quarter,team,objective,objective_owner_email,key_result,owner_email,unit,start,target,parent_team,parent_objective,parent_key_result";

    /// Company, Sales and Ops in an open 2025-Q1; the company's stored
    /// objective "Stored goal" (key result "Stored result") supports Ops'
    /// stored "Ops goal".
    struct Fixture {
        lookup: Lookup,
        alignments: HashMap<Uuid, objective_alignment::Model>,
        admin: Member,
    }

    fn fixture() -> Fixture {
        let now = chrono::NaiveDate::from_ymd_opt(2025, 1, 2)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .unwrap();
        let team = |name: &str| team::Model {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            organization_id: None,
            archived: false,
            created_at: now,
            updated_at: now,
        };
        let (company, sales, ops) = (team("Company"), team("Sales"), team("Ops"));
        let quarter = quarter::Model {
            id: Uuid::new_v4(),
            label: "2025-Q1".to_owned(),
            start_at: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            end_at: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
            organization_id: None,
            archived: false,
            notes: None,
            created_at: now,
            updated_at: now,
        };
        let person = okr_user::Model {
            id: Uuid::new_v4(),
            email: "a@x.com".to_owned(),
            name: "A".to_owned(),
            team_id: company.id,
            organization_id: None,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let objective = |title: &str, team: &team::Model| objective::Model {
            id: Uuid::new_v4(),
            title: title.to_owned(),
            team_id: team.id,
            quarter_id: quarter.id,
            owner_id: person.id,
            organization_id: None,
            created_at: now,
            updated_at: now,
        };
        let (stored_goal, ops_goal) = (
            objective("Stored goal", &company),
            objective("Ops goal", &ops),
        );
        let stored_result = key_result::Model {
            id: Uuid::new_v4(),
            title: "Stored result".to_owned(),
            objective_id: stored_goal.id,
            owner_id: person.id,
            unit: Unit::Count,
            direction: Direction::Up,
            start_value: Decimal::ZERO,
            target_value: Decimal::ONE,
            current_value: Decimal::ZERO,
            created_at: now,
            updated_at: now,
        };
        let alignment = objective_alignment::Model {
            objective_id: stored_goal.id,
            parent_objective_id: ops_goal.id,
            parent_key_result_id: None,
            created_at: now,
        };
        let admin = Member {
            person_id: person.id,
            team_id: company.id,
            role: Role::Admin,
        };
        Fixture {
            admin,
            alignments: HashMap::from([(alignment.objective_id, alignment)]),
            lookup: Lookup {
                quarters: HashMap::from([(quarter.label.clone(), quarter.clone())]),
                teams: [company, sales, ops]
                    .into_iter()
                    .map(|team| (team.name.to_lowercase(), team))
                    .collect(),
                people: HashMap::from([(person.email.clone(), person)]),
                objectives: [stored_goal, ops_goal]
                    .into_iter()
                    .map(|found| {
                        (
                            (found.quarter_id, found.team_id, found.title.clone()),
                            found,
                        )
                    })
                    .collect(),
                key_results: HashMap::from([(
                    (stored_result.objective_id, stored_result.title.clone()),
                    stored_result,
                )]),
                checked_in: HashSet::new(),
            },
        }
    }

    /// A row of 2025-Q1: team, objective, key result, then the parent's
    /// team, objective and key result.
    fn row(cells: [&str; 6]) -> String {
        let [
            team,
            objective,
            key_result,
            parent_team,
            parent_objective,
            parent_key_result,
        ] = cells;
        format!(
            "2025-Q1,{team},{objective},a@x.com,{key_result},a@x.com,#,0,5,{parent_team},{parent_objective},{parent_key_result}\n"
        )
    }

    fn planned(fixture: &Fixture, rows: &[[&str; 6]]) -> Plan {
        let mut file = format!("{HEADER}\n");
        for cells in rows {
            file.push_str(&row(*cells));
        }
        let table = table::read(file.as_bytes(), ImportKind::Okrs).expect("a table");
        plan_okrs(&fixture.lookup, &fixture.alignments, &fixture.admin, &table)
    }

    fn parent_of<'a>(plan: &'a Plan, objective: &str) -> Option<&'a ParentName> {
        plan.okrs
            .iter()
            .find(|row| row.objective == objective)
            .and_then(|row| row.parent.as_ref())
    }

    #[test]
    fn parents_are_found_in_the_file_in_any_order_and_in_the_database() {
        let fixture = fixture();
        let plan = planned(
            &fixture,
            &[
                ["Sales", "Sell more", "Close 5", "company", "Be great", ""],
                ["Ops", "Run well", "Ship 3", "Company", "Be great", "Grow"],
                ["Ops", "Run well", "Ship 4", "", "", ""],
                ["Company", "Be great", "Grow", "", "", ""],
                [
                    "Sales",
                    "Sell stored",
                    "Close 6",
                    "Company",
                    "Stored goal",
                    "Stored result",
                ],
            ],
        );
        assert!(plan.problems.is_empty(), "{:#?}", plan.problems);
        let company = fixture.lookup.teams["company"].id;
        assert_eq!(
            parent_of(&plan, "Sell more"),
            Some(&ParentName {
                team: company,
                objective: "Be great".into(),
                key_result: None
            })
        );
        let run_well: Vec<_> = plan
            .okrs
            .iter()
            .filter(|row| row.objective == "Run well")
            .map(|row| row.parent.clone())
            .collect();
        assert_eq!(run_well.len(), 2);
        assert!(
            run_well.iter().all(
                |parent| parent.as_ref().and_then(|p| p.key_result.as_deref()) == Some("Grow")
            ),
            "a blank row of an aligned objective is its parent's too: {run_well:?}"
        );
        assert_eq!(parent_of(&plan, "Be great"), None);
        assert_eq!(
            parent_of(&plan, "Sell stored").and_then(|p| p.key_result.as_deref()),
            Some("Stored result")
        );
        assert_eq!(plan.summary.objectives.created, 4);
    }

    #[test]
    fn an_existing_objective_aligned_anew_counts_as_updated_and_as_it_was_unchanged() {
        let fixture = fixture();
        let plan = planned(
            &fixture,
            &[
                [
                    "Company",
                    "Stored goal",
                    "Stored result",
                    "Sales",
                    "Sell",
                    "",
                ],
                ["Sales", "Sell", "K", "", "", ""],
            ],
        );
        assert!(plan.problems.is_empty(), "{:#?}", plan.problems);
        assert_eq!(plan.summary.objectives.updated, 1, "{:?}", plan.summary);
        assert_eq!(plan.summary.objectives.unchanged, 0, "{:?}", plan.summary);
        let plan = planned(
            &fixture,
            &[[
                "Company",
                "Stored goal",
                "Stored result",
                "Ops",
                "Ops goal",
                "",
            ]],
        );
        assert!(plan.problems.is_empty(), "{:#?}", plan.problems);
        assert_eq!(plan.summary.objectives.unchanged, 1, "{:?}", plan.summary);
        let plan = planned(
            &fixture,
            &[["Company", "Stored goal", "Stored result", "", "", ""]],
        );
        assert!(plan.problems.is_empty(), "{:#?}", plan.problems);
        assert_eq!(
            parent_of(&plan, "Stored goal"),
            None,
            "blank leaves it as it is"
        );
        assert_eq!(plan.summary.objectives.unchanged, 1, "{:?}", plan.summary);
    }

    #[test]
    fn each_parent_problem_is_named_by_line_and_column() {
        let fixture = fixture();
        let company = ["Company", "Be great", "Grow", "", "", ""];
        for (what, rows, line, column, says) in [
            (
                "an objective without its team",
                vec![["Sales", "Sell", "K", "", "Be great", ""], company],
                2,
                "parent_team",
                "is empty",
            ),
            (
                "a team without an objective",
                vec![["Sales", "Sell", "K", "Company", "", "Grow"], company],
                2,
                "parent_objective",
                "is empty",
            ),
            (
                "a team that does not exist",
                vec![company, ["Sales", "Sell", "K", "Board", "Be great", ""]],
                3,
                "parent_team",
                "there is no team \"Board\"",
            ),
            (
                "an objective that does not exist",
                vec![company, ["Sales", "Sell", "K", "Company", "Be greater", ""]],
                3,
                "parent_objective",
                "Company has no objective \"Be greater\" in 2025-Q1",
            ),
            (
                "an objective of another case",
                vec![company, ["Sales", "Sell", "K", "Company", "be great", ""]],
                3,
                "parent_objective",
                "has no objective",
            ),
            (
                "a key result not of that objective",
                vec![
                    company,
                    ["Sales", "Sell", "K", "Company", "Be great", "Stored result"],
                ],
                3,
                "parent_key_result",
                "“Be great” has no key result \"Stored result\"",
            ),
            (
                "rows of one objective naming different parents",
                vec![
                    company,
                    ["Sales", "Sell", "K", "Company", "Be great", ""],
                    ["Sales", "Sell", "L", "Company", "Stored goal", ""],
                ],
                4,
                "parent_objective",
                "differs from line 3",
            ),
            (
                "a parent of the same team",
                vec![["Company", "Be great", "Grow", "Company", "Stored goal", ""]],
                2,
                "parent_objective",
                "is Company's own",
            ),
            (
                "itself",
                vec![["Sales", "Sell", "K", "Sales", "Sell", "K"]],
                2,
                "parent_objective",
                "cannot support itself",
            ),
            (
                "a cycle of the file's rows",
                vec![
                    ["Sales", "Sell", "K", "Ops", "Run", ""],
                    ["Ops", "Run", "L", "Company", "Be great", ""],
                    ["Company", "Be great", "Grow", "Sales", "Sell", "K"],
                ],
                2,
                "parent_objective",
                "this would make a cycle: “Sell” supports “Run” supports “Be great” supports “Sell”",
            ),
            (
                "a cycle of a row and a stored alignment",
                vec![["Ops", "Ops goal", "K", "Company", "Stored goal", ""]],
                2,
                "parent_objective",
                "this would make a cycle: “Ops goal” supports “Stored goal” supports “Ops goal”",
            ),
        ] {
            let plan = planned(&fixture, &rows);
            assert_eq!(plan.problems.len(), 1, "{what}: {:#?}", plan.problems);
            let problem = &plan.problems[0];
            assert_eq!(
                (problem.line, problem.column.as_str()),
                (line, column),
                "{what}: {problem:?}"
            );
            assert!(
                problem.message.contains(says),
                "{what}: {:?} does not say {says:?}",
                problem.message
            );
        }
    }

    #[test]
    fn a_cycle_the_file_breaks_is_no_cycle() {
        // Stored: "Stored goal" supports "Ops goal". The file moves it under
        // Sales and puts "Ops goal" under it.
        let fixture = fixture();
        let plan = planned(
            &fixture,
            &[
                ["Ops", "Ops goal", "K", "Company", "Stored goal", ""],
                [
                    "Company",
                    "Stored goal",
                    "Stored result",
                    "Sales",
                    "Sell",
                    "",
                ],
                ["Sales", "Sell", "L", "", "", ""],
            ],
        );
        assert!(plan.problems.is_empty(), "{:#?}", plan.problems);
        assert_eq!(
            parent_of(&plan, "Ops goal").map(|parent| parent.objective.as_str()),
            Some("Stored goal")
        );
        assert_eq!(
            parent_of(&plan, "Stored goal").map(|parent| parent.objective.as_str()),
            Some("Sell")
        );
    }
}
