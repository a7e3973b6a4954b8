//! What a file would do, checked against one read of the database: every
//! row is parsed into the commands the form would send (`domain::commands`)
//! and checked by the writers' own rules (`server::commands`), so a row is
//! refused exactly as the form or the API would refuse it, named by line
//! and column. Nothing here writes.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{key_result, okr_user, quarter, team};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::table::Table;
use super::{Lookup, existing_check_ins};
use crate::error::AppError;
use crate::model::{ImportKind, ImportProblem, ImportSummary};
use crate::server::commands::check_ins::Facts;
use crate::server::commands::key_results::check_current;
use crate::server::commands::{check_open, check_owner, check_team, quarters};
use domain::access::Member;
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
}

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
        ImportKind::Okrs => Ok(plan_okrs(&lookup, actor, table)),
        ImportKind::CheckIns => plan_check_ins(db, &lookup, actor, table, today).await,
    }
}

fn plan_okrs(lookup: &Lookup, actor: &Member, table: &Table) -> Plan {
    let mut problems = Vec::new();
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
                Some(_) => summary.objectives.unchanged += 1,
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
        });
    }
    summary.quarters_created = quarters_created;
    Plan {
        summary,
        problems,
        okrs,
        check_ins: vec![],
        kind: ImportKind::Okrs,
    }
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
