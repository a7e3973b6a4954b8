//! Moving OKRs in and out as CSV: checking a file against the database
//! (what it would create, update or leave, and every problem by line and
//! column), committing it in one transaction with its `import_record`, and
//! exporting a quarter in exactly the import format.
//!
//! Rows are matched by their natural key: quarter, team, objective title and
//! key result title (for check-ins, also the day, value and author), so
//! importing the same file twice changes nothing the second time.

pub mod http;
pub mod table;

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use domain::{ConfidenceLevel, Role, Unit};
use entity::{check_in, import_record, key_result, objective, okr_user, quarter, team};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{ImportCounts, ImportKind, ImportProblem, ImportSummary};
use domain::access::Member;
use domain::commands::KEY_RESULT_TITLE_MAX_CHARS;
use domain::commands::NOTE_MAX_CHARS;
use domain::commands::OBJECTIVE_TITLE_MAX_CHARS;
use domain::text::parse_value;
use domain::{calendar, rules};
use table::Table;

/// Rows written per statement when committing.
const BATCH: usize = 500;

/// The SHA-256 of a file, hex: an identical file has the same one.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Everything the checks need from the database, read once.
struct Lookup {
    quarters: HashMap<String, quarter::Model>,
    teams: HashMap<String, team::Model>,
    people: HashMap<String, okr_user::Model>,
    /// (quarter, team, title) → objective.
    objectives: HashMap<(Uuid, Uuid, String), objective::Model>,
    /// (objective, title) → key result.
    key_results: HashMap<(Uuid, String), key_result::Model>,
    /// Key results with check-ins.
    checked_in: HashSet<Uuid>,
}

impl Lookup {
    async fn load(db: &impl ConnectionTrait) -> Result<Lookup, DbErr> {
        let quarters = quarter::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.label.clone(), found))
            .collect();
        let teams = team::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.name.to_lowercase(), found))
            .collect();
        let people = okr_user::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| (found.email.to_lowercase(), found))
            .collect();
        let objectives = objective::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| {
                (
                    (found.quarter_id, found.team_id, found.title.clone()),
                    found,
                )
            })
            .collect();
        let key_results = key_result::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|found| ((found.objective_id, found.title.clone()), found))
            .collect();
        let checked_in = check_in::Entity::find()
            .select_only()
            .column(check_in::Column::KrId)
            .distinct()
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(Lookup {
            quarters,
            teams,
            people,
            objectives,
            key_results,
            checked_in,
        })
    }
}

use sea_orm::QuerySelect;

/// Collects a row's problems; each check returns its value or `None`.
struct Row<'a> {
    line: u64,
    table: &'a Table,
    values: &'a [String],
    problems: &'a mut Vec<ImportProblem>,
}

impl Row<'_> {
    fn text(&self, column: &str) -> &str {
        self.table.get(self.values, column)
    }

    fn fail<T>(&mut self, column: &str, message: impl Into<String>) -> Option<T> {
        self.problems.push(ImportProblem {
            line: self.line,
            column: column.to_owned(),
            message: message.into(),
        });
        None
    }

    fn title(&mut self, column: &str, max: usize) -> Option<String> {
        let text = self.text(column).to_owned();
        match domain::text::check_name(column, &text, max) {
            Ok(title) => Some(title),
            Err(error) => self.fail(column, error.message),
        }
    }

    fn number(&mut self, column: &str) -> Option<Decimal> {
        let text = self.text(column).to_owned();
        match parse_value(&text) {
            Ok(value) => Some(value),
            Err(error) => self.fail(column, error.message),
        }
    }

    fn person(&mut self, lookup: &Lookup, column: &str) -> Option<okr_user::Model> {
        let email = self.text(column).to_lowercase();
        match lookup.people.get(&email) {
            Some(person) if person.active => Some(person.clone()),
            Some(person) => self.fail(column, format!("{} is no longer active", person.name)),
            None if email.is_empty() => self.fail(column, "is empty"),
            None => self.fail(
                column,
                format!("no person has the email {}", domain::text::echo(&email)),
            ),
        }
    }

    /// The quarter, existing or (for an admin, a calendar label such as
    /// 2025-Q3) to create; it must not be archived.
    fn quarter(
        &mut self,
        lookup: &Lookup,
        actor: &Member,
        created: &mut Vec<String>,
    ) -> Option<QuarterRef> {
        let label = self.text("quarter").to_owned();
        if let Some(found) = lookup.quarters.get(&label) {
            if found.archived {
                return self.fail(
                    "quarter",
                    format!("quarter {label} is archived and read-only"),
                );
            }
            return Some(QuarterRef::Existing(found.clone()));
        }
        match calendar_label(&label) {
            Some(_) if !actor.is_admin() => self.fail(
                "quarter",
                format!("there is no quarter {label}; an admin creates it first"),
            ),
            Some((start, end)) => {
                if lookup
                    .quarters
                    .values()
                    .any(|other| calendar::overlaps((start, end), (other.start_at, other.end_at)))
                {
                    return self.fail(
                        "quarter",
                        format!("{label} would overlap an existing quarter"),
                    );
                }
                if !created.contains(&label) {
                    created.push(label.clone());
                }
                Some(QuarterRef::New(label, start, end))
            }
            None => self.fail(
                "quarter",
                format!(
                    "there is no quarter {}; new quarters need a label like 2025-Q3",
                    domain::text::echo(&label)
                ),
            ),
        }
    }

    fn team(&mut self, lookup: &Lookup, actor: &Member) -> Option<team::Model> {
        let name = self.text("team").to_owned();
        match lookup.teams.get(&name.to_lowercase()) {
            Some(found) if found.archived => {
                self.fail("team", format!("team {} is archived", found.name))
            }
            Some(found) if !actor.may_plan(found.id) => self.fail(
                "team",
                format!(
                    "you may import only your own team's OKRs, not {}'s",
                    found.name
                ),
            ),
            Some(found) => Some(found.clone()),
            None => self.fail(
                "team",
                format!("there is no team {}", domain::text::echo(&name)),
            ),
        }
    }
}

fn message_of(error: AppError) -> String {
    match error {
        AppError::Validation { message, .. } => message,
        other => other.to_string(),
    }
}

/// `2025-Q3` → its first and last day.
fn calendar_label(label: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, quarter) = label.split_once("-Q")?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|year| (1900..=2999).contains(year))?;
    let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
    let start = NaiveDate::from_ymd_opt(year, quarter * 3 - 2, 1)?;
    let (_, start, end) = calendar::calendar_quarter(start);
    Some((start, end))
}

#[derive(Debug, Clone)]
enum QuarterRef {
    Existing(quarter::Model),
    New(String, NaiveDate, NaiveDate),
}

impl QuarterRef {
    fn label(&self) -> &str {
        match self {
            QuarterRef::Existing(found) => &found.label,
            QuarterRef::New(label, ..) => label,
        }
    }

    fn id(&self) -> Option<Uuid> {
        match self {
            QuarterRef::Existing(found) => Some(found.id),
            QuarterRef::New(..) => None,
        }
    }
}

/// One valid row of an OKR file.
#[derive(Debug, Clone)]
struct OkrRow {
    quarter: QuarterRef,
    team: Uuid,
    objective: String,
    objective_owner: Uuid,
    key_result: String,
    owner: Uuid,
    unit: Unit,
    start: Decimal,
    target: Decimal,
    current: Option<Decimal>,
}

/// One valid row of a check-in file.
#[derive(Debug, Clone)]
struct CheckInRow {
    key_result: Uuid,
    at: NaiveDateTime,
    value: Decimal,
    confidence: ConfidenceLevel,
    note: Option<String>,
    author: Uuid,
}

/// What a file would do: its summary, its problems, and the rows to write.
pub struct Plan {
    pub summary: ImportSummary,
    pub problems: Vec<ImportProblem>,
    okrs: Vec<OkrRow>,
    check_ins: Vec<CheckInRow>,
    /// Only what changes: rows already as the file has them are left out.
    kind: ImportKind,
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

/// Every committed import, newest first, for the history page.
pub async fn history(
    db: &impl ConnectionTrait,
) -> Result<Vec<crate::model::ImportHistoryRow>, DbErr> {
    Ok(import_record::Entity::find()
        .find_also_related(okr_user::Entity)
        .order_by_desc(import_record::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|(record, person)| {
            let metadata = record.metadata.clone().unwrap_or_default();
            let count = |what: &str, key: &str| metadata[what][key].as_u64().unwrap_or(0);
            let kind = metadata["kind"].as_str().unwrap_or_default().to_owned();
            let noun = if kind == "check_ins" {
                "check-ins"
            } else {
                "key results"
            };
            crate::model::ImportHistoryRow {
                id: record.id,
                filename: record.filename,
                summary: format!(
                    "{} {noun} created, {} updated, {} unchanged",
                    count("records", "created"),
                    count("records", "updated"),
                    count("records", "unchanged"),
                ),
                kind: if kind == "check_ins" {
                    "Check-ins".to_owned()
                } else {
                    "Objectives and key results".to_owned()
                },
                rows: record.row_count,
                by: person.map(|person| person.name).unwrap_or_default(),
                at: record.created_at,
            }
        })
        .collect())
}

/// Checks every row of `table` against the database as `actor`.
pub async fn plan(
    db: &impl ConnectionTrait,
    actor: &Member,
    kind: ImportKind,
    table: &Table,
    today: NaiveDate,
) -> Result<Plan, AppError> {
    if !matches!(actor.role, Role::Admin | Role::Lead) {
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
        let quarter = row.quarter(lookup, actor, &mut quarters_created);
        let team = row.team(lookup, actor);
        let objective = row.title("objective", OBJECTIVE_TITLE_MAX_CHARS);
        let objective_owner = row.person(lookup, "objective_owner_email");
        let key_result = row.title("key_result", KEY_RESULT_TITLE_MAX_CHARS);
        let owner = row.person(lookup, "owner_email");
        let unit_text = row.text("unit").to_owned();
        let unit = match unit_text.parse::<Unit>() {
            Ok(unit) => Some(unit),
            Err(error) => row.fail("unit", message_of(error.into())),
        };
        let start = row.number("start");
        let target = row.number("target");
        let current = match row.text("current") {
            "" => Some(None),
            _ => row.number("current").map(Some),
        };
        if let (Some(start), Some(target)) = (start, target)
            && start == target
        {
            row.fail::<()>(
                "target",
                format!(
                    "equals the start ({}): a key result needs somewhere to go",
                    start.normalize()
                ),
            );
            continue;
        }
        let (
            Some(quarter),
            Some(team),
            Some(objective),
            Some(objective_owner),
            Some(key_result),
            Some(owner),
            Some(unit),
            Some(start),
            Some(target),
            Some(current),
        ) = (
            quarter,
            team,
            objective,
            objective_owner,
            key_result,
            owner,
            unit,
            start,
            target,
            current,
        )
        else {
            continue;
        };
        let natural = (
            quarter.label().to_owned(),
            team.id,
            objective.clone(),
            key_result.clone(),
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
        let existing = existing_objective
            .and_then(|found| lookup.key_results.get(&(found.id, key_result.clone())));
        match existing {
            None => summary.records.created += 1,
            Some(found) => {
                if let Some(current) = current
                    && current != found.current_value
                    && lookup.checked_in.contains(&found.id)
                {
                    row.fail::<()>(
                        "current",
                        format!(
                            "this key result has check-ins, which set its current value ({}); leave current empty",
                            found.current_value.normalize()
                        ),
                    );
                    continue;
                }
                let same = found.owner_id == owner.id
                    && found.unit == unit
                    && found.start_value == start
                    && found.target_value == target
                    && current.is_none_or(|current| current == found.current_value);
                if same {
                    summary.records.unchanged += 1;
                } else {
                    summary.records.updated += 1;
                }
            }
        }
        okrs.push(OkrRow {
            quarter,
            team: team.id,
            objective,
            objective_owner: objective_owner.id,
            key_result,
            owner: owner.id,
            unit,
            start,
            target,
            current,
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

async fn plan_check_ins(
    db: &impl ConnectionTrait,
    lookup: &Lookup,
    actor: &Member,
    table: &Table,
    today: NaiveDate,
) -> Result<Plan, AppError> {
    // Existing check-ins of the key results the file names, by natural key.
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut summary = ImportSummary {
        rows: table.rows.len() as u64,
        ..ImportSummary::default()
    };
    let mut seen: HashMap<(Uuid, NaiveDate, Decimal, Uuid), u64> = HashMap::new();
    let mut per_day: HashMap<(Uuid, NaiveDate), u32> = HashMap::new();
    let mut resolved = Vec::new();
    for (line, values) in &table.rows {
        let mut row = Row {
            line: *line,
            table,
            values,
            problems: &mut problems,
        };
        let label = row.text("quarter").to_owned();
        let quarter = match lookup.quarters.get(&label) {
            Some(found) if found.archived => row.fail(
                "quarter",
                format!("quarter {label} is archived and read-only"),
            ),
            Some(found) => Some(found.clone()),
            None => row.fail(
                "quarter",
                format!("there is no quarter {}", domain::text::echo(&label)),
            ),
        };
        let team = row.team(lookup, actor);
        let objective_title = row.text("objective").to_owned();
        let key_result_title = row.text("key_result").to_owned();
        let key_result = match (&quarter, &team) {
            (Some(quarter), Some(team)) => {
                match lookup
                    .objectives
                    .get(&(quarter.id, team.id, objective_title.clone()))
                {
                    None => row.fail(
                        "objective",
                        format!(
                            "{} has no objective {}",
                            team.name,
                            domain::text::echo(&objective_title)
                        ),
                    ),
                    Some(found) => match lookup
                        .key_results
                        .get(&(found.id, key_result_title.clone()))
                    {
                        None => row.fail(
                            "key_result",
                            format!(
                                "the objective has no key result {}",
                                domain::text::echo(&key_result_title)
                            ),
                        ),
                        Some(found) => Some(found.clone()),
                    },
                }
            }
            _ => None,
        };
        let date_text = row.text("date").to_owned();
        let date = match NaiveDate::parse_from_str(&date_text, "%Y-%m-%d") {
            Ok(date) => match &quarter {
                Some(quarter) if date < quarter.start_at || date > quarter.end_at => row.fail(
                    "date",
                    format!(
                        "{date} is outside {} ({} – {})",
                        quarter.label, quarter.start_at, quarter.end_at
                    ),
                ),
                _ if date > today => row.fail("date", "is in the future"),
                _ => Some(date),
            },
            Err(_) => row.fail("date", "must be a date such as 2025-03-14"),
        };
        let value = row.number("value");
        let confidence_text = row.text("confidence").to_owned();
        let confidence = match confidence_text.parse::<ConfidenceLevel>() {
            Ok(level) => Some(level),
            Err(_) => row.fail("confidence", "must be red, amber or green (or 0, 1, 2)"),
        };
        let note_text = row.text("note").to_owned();
        let note = if note_text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            row.fail("note", "must not contain control characters")
        } else if note_text.chars().count() > NOTE_MAX_CHARS {
            row.fail(
                "note",
                format!("is longer than {NOTE_MAX_CHARS} characters"),
            )
        } else {
            Some((!note_text.is_empty()).then(|| note_text.replace("\r\n", "\n")))
        };
        let author = row.person(lookup, "author_email");
        let (Some(key_result), Some(date), Some(value), Some(confidence), Some(note), Some(author)) =
            (key_result, date, value, confidence, note, author)
        else {
            continue;
        };
        if let Some(first) = seen.insert((key_result.id, date, value, author.id), *line) {
            row.fail::<()>(
                "value",
                format!(
                    "repeats the check-in of line {first} (same key result, day, value and author)"
                ),
            );
            continue;
        }
        // Same-day check-ins keep the file's order: noon, then a microsecond apart.
        let order = per_day.entry((key_result.id, date)).or_default();
        let at = date.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN))
            + chrono::Duration::microseconds(i64::from(*order));
        *order += 1;
        resolved.push(CheckInRow {
            key_result: key_result.id,
            at,
            value,
            confidence,
            note,
            author: author.id,
        });
    }
    // Which are there already: the same key result, day, value and author.
    let existing = existing_check_ins(db, &resolved).await?;
    for row in resolved {
        if existing.contains(&(row.key_result, row.at.date(), row.value, row.author)) {
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

/// The check-ins already stored for the key results `rows` name, by
/// natural key: key result, day, value and author.
async fn existing_check_ins(
    db: &impl ConnectionTrait,
    rows: &[CheckInRow],
) -> Result<HashSet<(Uuid, NaiveDate, Decimal, Uuid)>, DbErr> {
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|row| row.key_result)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut existing = HashSet::new();
    for chunk in ids.chunks(BATCH) {
        for found in check_in::Entity::find()
            .filter(check_in::Column::KrId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            existing.insert((
                found.kr_id,
                found.created_at.date(),
                found.value,
                found.created_by,
            ));
        }
    }
    Ok(existing)
}

/// Reports how far a commit has come.
pub trait Progress: Send + Sync {
    fn advance(&self, done: u64, total: u64);
}

impl Progress for () {
    fn advance(&self, _: u64, _: u64) {}
}

/// The file's facts `import_record` keeps.
pub struct Upload<'a> {
    pub filename: &'a str,
    pub checksum: &'a str,
    pub delimiter: char,
    /// The columns in the file's order.
    pub columns: Vec<String>,
}

/// One import commit at a time in this process. Plans are made before their
/// commit, so two files committed at once (two uploads of one check-in
/// export, say) would each add the rows the other is adding; one after the
/// other, each commit sees what the one before wrote.
static COMMITS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Writes a plan without problems in one transaction, with its
/// `import_record`: every row lands, or none does.
pub async fn commit(
    db: &DatabaseConnection,
    actor: &Member,
    plan: Plan,
    upload: Upload<'_>,
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<import_record::Model, AppError> {
    if !plan.problems.is_empty() {
        return Err(AppError::validation(
            "file",
            format!(
                "the file has {}; nothing was imported",
                crate::model::problems_in_words(plan.problems.len() as u64)
            ),
        ));
    }
    let _one_at_a_time = COMMITS.lock().await;
    let _turn = super::db::write_turn(db).await;
    let txn = db.begin().await?;
    match plan.kind {
        ImportKind::Okrs => write_okrs(&txn, &plan.okrs, now, progress).await?,
        ImportKind::CheckIns => write_check_ins(&txn, &plan.check_ins, progress).await?,
    }
    let counts = |counts: ImportCounts| {
        serde_json::json!({
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
        })
    };
    let metadata = serde_json::json!({
        "kind": plan.kind.as_str(),
        "checksum": upload.checksum,
        "delimiter": upload.delimiter.to_string(),
        "columns": upload.columns,
        "objectives": counts(plan.summary.objectives),
        "records": counts(plan.summary.records),
        "quarters_created": plan.summary.quarters_created,
    });
    let record = import_record::ActiveModel {
        id: Set(Uuid::new_v4()),
        filename: Set(upload.filename.chars().take(255).collect()),
        row_count: Set(i32::try_from(plan.summary.rows).unwrap_or(i32::MAX)),
        created_by: Set(actor.person_id),
        created_at: Set(now),
        metadata: Set(Some(metadata)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(record)
}

async fn write_okrs(
    txn: &DatabaseTransaction,
    rows: &[OkrRow],
    now: NaiveDateTime,
    progress: &dyn Progress,
) -> Result<(), AppError> {
    let lookup = Lookup::load(txn).await?;
    let mut quarters: HashMap<String, Uuid> = lookup
        .quarters
        .iter()
        .map(|(label, found)| (label.clone(), found.id))
        .collect();
    let mut objectives: HashMap<(Uuid, Uuid, String), objective::Model> = lookup.objectives;
    let mut new_objectives = Vec::new();
    let mut new_key_results = Vec::new();
    let total = rows.len() as u64;
    // Creation order is file order: created_at a microsecond apart.
    let tick = |index: usize| now + chrono::Duration::microseconds(index as i64);
    for (index, row) in rows.iter().enumerate() {
        let quarter_id = match &row.quarter {
            QuarterRef::Existing(found) => found.id,
            QuarterRef::New(label, start, end) => match quarters.get(label) {
                Some(id) => *id,
                None => {
                    let created = quarter::ActiveModel {
                        id: Set(Uuid::new_v4()),
                        label: Set(label.clone()),
                        start_at: Set(*start),
                        end_at: Set(*end),
                        organization_id: Set(None),
                        archived: Set(false),
                        notes: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                    }
                    .insert(txn)
                    .await?;
                    quarters.insert(label.clone(), created.id);
                    created.id
                }
            },
        };
        let key = (quarter_id, row.team, row.objective.clone());
        let objective_id = match objectives.get(&key) {
            Some(found) => {
                if found.owner_id != row.objective_owner {
                    objective::Entity::update_many()
                        .col_expr(objective::Column::OwnerId, Expr::value(row.objective_owner))
                        .col_expr(objective::Column::UpdatedAt, Expr::value(now))
                        .filter(objective::Column::Id.eq(found.id))
                        .exec(txn)
                        .await?;
                    let mut updated = found.clone();
                    updated.owner_id = row.objective_owner;
                    objectives.insert(key, updated.clone());
                }
                objectives[&(quarter_id, row.team, row.objective.clone())].id
            }
            None => {
                let model = objective::Model {
                    id: Uuid::new_v4(),
                    title: row.objective.clone(),
                    team_id: row.team,
                    quarter_id,
                    owner_id: row.objective_owner,
                    organization_id: None,
                    created_at: tick(index),
                    updated_at: tick(index),
                };
                objectives.insert(key, model.clone());
                let id = model.id;
                new_objectives.push(model);
                id
            }
        };
        let direction = rules::direction_of(row.start, row.target)?;
        match lookup
            .key_results
            .get(&(objective_id, row.key_result.clone()))
        {
            Some(found) => {
                let current = match row.current {
                    Some(current) if !lookup.checked_in.contains(&found.id) => current,
                    _ => found.current_value,
                };
                let same = found.owner_id == row.owner
                    && found.unit == row.unit
                    && found.start_value == row.start
                    && found.target_value == row.target
                    && found.current_value == current;
                if !same {
                    let mut model: key_result::ActiveModel = found.clone().into();
                    model.owner_id = Set(row.owner);
                    model.unit = Set(row.unit);
                    model.direction = Set(direction);
                    model.start_value = Set(row.start);
                    model.target_value = Set(row.target);
                    model.current_value = Set(current);
                    model.updated_at = Set(now);
                    model.update(txn).await?;
                }
            }
            None => new_key_results.push(key_result::ActiveModel {
                id: Set(Uuid::new_v4()),
                title: Set(row.key_result.clone()),
                objective_id: Set(objective_id),
                owner_id: Set(row.owner),
                unit: Set(row.unit),
                direction: Set(direction),
                start_value: Set(row.start),
                target_value: Set(row.target),
                current_value: Set(row.current.unwrap_or(row.start)),
                created_at: Set(tick(index)),
                updated_at: Set(tick(index)),
            }),
        }
        if new_objectives.len() >= BATCH {
            insert_objectives(txn, &mut new_objectives).await?;
        }
        if new_key_results.len() >= BATCH {
            insert_objectives(txn, &mut new_objectives).await?;
            key_result::Entity::insert_many(std::mem::take(&mut new_key_results))
                .exec_without_returning(txn)
                .await?;
            progress.advance(index as u64 + 1, total);
        }
    }
    insert_objectives(txn, &mut new_objectives).await?;
    if !new_key_results.is_empty() {
        key_result::Entity::insert_many(new_key_results)
            .exec_without_returning(txn)
            .await?;
    }
    progress.advance(total, total);
    Ok(())
}

async fn insert_objectives(
    txn: &DatabaseTransaction,
    pending: &mut Vec<objective::Model>,
) -> Result<(), DbErr> {
    if pending.is_empty() {
        return Ok(());
    }
    let models: Vec<objective::ActiveModel> = std::mem::take(pending)
        .into_iter()
        .map(Into::into)
        .collect();
    objective::Entity::insert_many(models)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

async fn write_check_ins(
    txn: &DatabaseTransaction,
    rows: &[CheckInRow],
    progress: &dyn Progress,
) -> Result<(), AppError> {
    // Check-ins another commit wrote since the plan was made are not
    // written twice.
    let existing = existing_check_ins(txn, rows).await?;
    let rows: Vec<&CheckInRow> = rows
        .iter()
        .filter(|row| !existing.contains(&(row.key_result, row.at.date(), row.value, row.author)))
        .collect();
    let total = rows.len() as u64;
    let mut done = 0;
    for chunk in rows.chunks(BATCH) {
        let models: Vec<check_in::ActiveModel> = chunk
            .iter()
            .map(|row| check_in::ActiveModel {
                id: Set(Uuid::new_v4()),
                kr_id: Set(row.key_result),
                value: Set(row.value),
                confidence: Set(row.confidence),
                note: Set(row.note.clone()),
                created_by: Set(row.author),
                created_at: Set(row.at),
            })
            .collect();
        check_in::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
        done += chunk.len() as u64;
        progress.advance(done, total);
    }
    // Each key result's current value is its latest check-in's.
    let touched: HashSet<Uuid> = rows.iter().map(|row| row.key_result).collect();
    for id in touched {
        if let Some(latest) = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(id))
            .order_by_desc(check_in::Column::CreatedAt)
            .order_by_desc(check_in::Column::Id)
            .one(txn)
            .await?
        {
            key_result::Entity::update_many()
                .col_expr(key_result::Column::CurrentValue, Expr::value(latest.value))
                .filter(key_result::Column::Id.eq(id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// An earlier import of the same bytes: when and by whom.
pub async fn identical_import(
    db: &impl ConnectionTrait,
    checksum: &str,
) -> Result<Option<String>, DbErr> {
    let found = import_record::Entity::find()
        .find_also_related(okr_user::Entity)
        .order_by_desc(import_record::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .find(|(record, _)| {
            record
                .metadata
                .as_ref()
                .and_then(|metadata| metadata.get("checksum"))
                .and_then(|value| value.as_str())
                == Some(checksum)
        });
    Ok(found.map(|(record, person)| {
        format!(
            "{} on {} UTC by {}",
            record.filename,
            record.created_at.format("%b %-d, %Y %H:%M"),
            person.map(|person| person.name).unwrap_or_default()
        )
    }))
}

// ---------------------------------------------------------------------------
// Export

/// A decimal as exports write it: two decimals, a point, no grouping.
fn exported(value: Decimal) -> String {
    format!("{value:.2}")
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, AppError> {
    writer.into_inner().map_err(|_| AppError::Internal)
}

/// A quarter's objectives and key results in the OKR import format.
pub async fn export_okrs(
    db: &impl ConnectionTrait,
    label: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    let Some(quarter) = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rows = ordered_key_results(db, &quarter).await?;
    let mut out = writer();
    let (required, optional) = table::columns(ImportKind::Okrs);
    out.write_record(required.iter().chain(optional))
        .map_err(|_| AppError::Internal)?;
    for (team, objective, objective_owner, key_result, owner) in rows {
        out.write_record([
            quarter.label.as_str(),
            team.as_str(),
            objective.title.as_str(),
            objective_owner.as_str(),
            key_result.title.as_str(),
            owner.as_str(),
            key_result.unit.as_str(),
            &exported(key_result.start_value),
            &exported(key_result.target_value),
            &exported(key_result.current_value),
        ])
        .map_err(|_| AppError::Internal)?;
    }
    finish(out).map(Some)
}

type ExportRow = (String, objective::Model, String, key_result::Model, String);

/// The quarter's key results in dashboard order: team, objective, key result.
async fn ordered_key_results(
    db: &impl ConnectionTrait,
    quarter: &quarter::Model,
) -> Result<Vec<ExportRow>, DbErr> {
    let teams: HashMap<Uuid, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.name))
        .collect();
    let emails: HashMap<Uuid, String> = okr_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.email))
        .collect();
    let mut objectives = objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(quarter.id))
        .order_by_asc(objective::Column::CreatedAt)
        .order_by_asc(objective::Column::Title)
        .all(db)
        .await?;
    objectives.sort_by(|a, b| {
        teams
            .get(&a.team_id)
            .cmp(&teams.get(&b.team_id))
            .then(a.team_id.cmp(&b.team_id))
            .then(a.created_at.cmp(&b.created_at))
            .then(a.title.cmp(&b.title))
    });
    let ids: Vec<Uuid> = objectives.iter().map(|found| found.id).collect();
    let mut key_results: HashMap<Uuid, Vec<key_result::Model>> = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        for found in key_result::Entity::find()
            .filter(key_result::Column::ObjectiveId.is_in(chunk.to_vec()))
            .order_by_asc(key_result::Column::CreatedAt)
            .order_by_asc(key_result::Column::Title)
            .all(db)
            .await?
        {
            key_results
                .entry(found.objective_id)
                .or_default()
                .push(found);
        }
    }
    let mut rows = Vec::new();
    for objective in objectives {
        let team = teams.get(&objective.team_id).cloned().unwrap_or_default();
        let objective_owner = emails.get(&objective.owner_id).cloned().unwrap_or_default();
        for key_result in key_results.remove(&objective.id).unwrap_or_default() {
            let owner = emails
                .get(&key_result.owner_id)
                .cloned()
                .unwrap_or_default();
            rows.push((
                team.clone(),
                objective.clone(),
                objective_owner.clone(),
                key_result,
                owner,
            ));
        }
    }
    Ok(rows)
}

/// A quarter's check-ins in the check-in import format, oldest first per
/// key result.
pub async fn export_check_ins(
    db: &impl ConnectionTrait,
    label: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    let Some(quarter) = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rows = ordered_key_results(db, &quarter).await?;
    let emails: HashMap<Uuid, String> = okr_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|found| (found.id, found.email))
        .collect();
    let mut out = writer();
    let (required, optional) = table::columns(ImportKind::CheckIns);
    let header: Vec<&str> = required
        .iter()
        .take(7)
        .chain(optional)
        .chain(required.iter().skip(7))
        .copied()
        .collect();
    out.write_record(&header).map_err(|_| AppError::Internal)?;
    // Every check-in of the quarter's key results, a few statements in all.
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|(_, _, _, key_result, _)| key_result.id)
        .collect();
    let mut check_ins: HashMap<Uuid, Vec<check_in::Model>> = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        for found in check_in::Entity::find()
            .filter(check_in::Column::KrId.is_in(chunk.to_vec()))
            .order_by_asc(check_in::Column::CreatedAt)
            .order_by_asc(check_in::Column::Id)
            .all(db)
            .await?
        {
            check_ins.entry(found.kr_id).or_default().push(found);
        }
    }
    for (team, objective, _, key_result, _) in rows {
        for found in check_ins.remove(&key_result.id).unwrap_or_default() {
            out.write_record([
                quarter.label.as_str(),
                team.as_str(),
                objective.title.as_str(),
                key_result.title.as_str(),
                &found.created_at.date().to_string(),
                &exported(found.value),
                &found.confidence.label().to_lowercase(),
                found.note.as_deref().unwrap_or(""),
                emails.get(&found.created_by).map_or("", String::as_str),
            ])
            .map_err(|_| AppError::Internal)?;
        }
    }
    finish(out).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_labels_give_their_dates() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            calendar_label("2025-Q3"),
            Some((day(2025, 7, 1), day(2025, 9, 30)))
        );
        assert_eq!(
            calendar_label("2025-Q4"),
            Some((day(2025, 10, 1), day(2025, 12, 31)))
        );
        for bad in ["2025-Q5", "Q3-2025", "FY25 Q1", "2025-q3", ""] {
            assert_eq!(calendar_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn exports_write_two_decimals_and_no_grouping() {
        assert_eq!(exported(Decimal::from(9_100_000)), "9100000.00");
        assert_eq!(exported(Decimal::new(35, 1)), "3.50");
        assert_eq!(exported(Decimal::new(-5, 0)), "-5.00");
    }
}
