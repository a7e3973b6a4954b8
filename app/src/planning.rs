//! The rules of planning a quarter, pure, shared by the server and the pages:
//! calendar quarters and their labels, which way a key result moves, and
//! what a quarter review reports.

use chrono::{Datelike, NaiveDate};
use entity::{Direction, Unit};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::AppError;
use crate::forms::{check_name, check_no_control_characters, parse_value};

/// The longest quarter label, in characters.
pub const LABEL_MAX_CHARS: usize = 20;

/// The calendar quarter holding `date`: its label (`2025-Q2`), first and
/// last day.
pub fn calendar_quarter(date: NaiveDate) -> (String, NaiveDate, NaiveDate) {
    let index = (date.month0() / 3) as i32;
    let start = first_of(date.year(), index);
    let end = first_of(date.year(), index + 1).pred_opt().unwrap_or(start);
    (format!("{}-Q{}", date.year(), index + 1), start, end)
}

/// The first day of quarter `index` (0-based, may be 4 for next year's Q1).
fn first_of(year: i32, index: i32) -> NaiveDate {
    let (year, index) = (year + index.div_euclid(4), index.rem_euclid(4));
    NaiveDate::from_ymd_opt(year, (index * 3 + 1) as u32, 1).unwrap_or(NaiveDate::MIN)
}

/// The calendar quarter that follows the one ending on `end`: what a new
/// quarter is suggested as, and what a roll-over creates.
pub fn following_quarter(end: NaiveDate) -> (String, NaiveDate, NaiveDate) {
    calendar_quarter(end.succ_opt().unwrap_or(end))
}

/// The quarter the create form suggests: the calendar quarter after the
/// latest existing one, or the current one when there are none.
pub fn suggested_quarter(
    latest_end: Option<NaiveDate>,
    today: NaiveDate,
) -> (String, NaiveDate, NaiveDate) {
    match latest_end {
        Some(end) => following_quarter(end),
        None => calendar_quarter(today),
    }
}

/// Two date ranges (inclusive) share a day.
pub fn overlaps(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// A quarter label as typed: trimmed, 1 to 20 letters, digits, `-`, `_`,
/// `.` or spaces (labels go into URLs and file names).
pub fn check_label(label: &str) -> Result<String, AppError> {
    let label = label.trim();
    if label.is_empty() {
        return Err(AppError::validation(
            "label",
            "enter a label, such as 2025-Q2",
        ));
    }
    if label.chars().count() > LABEL_MAX_CHARS {
        return Err(AppError::validation(
            "label",
            format!("use at most {LABEL_MAX_CHARS} characters"),
        ));
    }
    if !label
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
    {
        return Err(AppError::validation(
            "label",
            "use letters, digits, spaces and - _ . only",
        ));
    }
    Ok(label.to_owned())
}

/// A quarter's dates: the end after the start, and at most a year apart.
pub fn check_dates(start: NaiveDate, end: NaiveDate) -> Result<(), AppError> {
    if end <= start {
        return Err(AppError::validation(
            "end_at",
            "must be after the start date",
        ));
    }
    if (end - start).num_days() > 366 {
        return Err(AppError::validation(
            "end_at",
            "a quarter may last at most a year",
        ));
    }
    Ok(())
}

/// Which way a key result moves, from its start and target: up when the
/// target is above the start, down when below. Equal values have no
/// direction and are refused, naming both fields.
pub fn direction_of(start: Decimal, target: Decimal) -> Result<Direction, AppError> {
    if target > start {
        Ok(Direction::Up)
    } else if target < start {
        Ok(Direction::Down)
    } else {
        Err(AppError::validation(
            "target_value",
            format!(
                "must differ from the start value: start and target are both {}",
                start.normalize()
            ),
        ))
    }
}

/// Whether a key result's value has reached its target, in its direction.
pub fn reached(direction: Direction, current: Decimal, target: Decimal) -> bool {
    match direction {
        Direction::Up => current >= target,
        Direction::Down => current <= target,
    }
}

/// Whether a quarter is over: past its last day, or archived (closed
/// early). From then on its key results have an outcome rather than a pace.
pub fn quarter_over(end_at: NaiveDate, archived: bool, today: NaiveDate) -> bool {
    archived || today > end_at
}

/// What became of a key result: reached, or, once its quarter is over,
/// missed. The quarterly review and an ended quarter's dashboard say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reached,
    Missed,
    NotReachedYet,
}

impl Outcome {
    pub fn of(direction: Direction, current: Decimal, target: Decimal, over: bool) -> Outcome {
        if reached(direction, current, target) {
            Outcome::Reached
        } else if over {
            Outcome::Missed
        } else {
            Outcome::NotReachedYet
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Outcome::Reached => "Reached",
            Outcome::Missed => "Missed",
            Outcome::NotReachedYet => "Not reached yet",
        }
    }

    /// Its flag's class: a missed key result reads as a risk that came true.
    pub fn class(self) -> &'static str {
        match self {
            Outcome::Reached => "flag flag-reached",
            Outcome::Missed => "flag flag-risk",
            Outcome::NotReachedYet => "flag flag-stale",
        }
    }
}

/// The longest objective title, in characters.
pub const OBJECTIVE_TITLE_MAX_CHARS: usize = 255;
/// The longest key result title, in characters.
pub const KEY_RESULT_TITLE_MAX_CHARS: usize = 500;
/// The longest review notes, in characters. Small enough that notes at the
/// limit, form-encoded (up to 3 bytes an ASCII character), still fit in the
/// server's default 16 KiB request body (`MAX_BODY_BYTES`): a longer limit
/// could never be reached, longer notes being refused as a 413 first.
pub const NOTES_MAX_CHARS: usize = 5_000;

fn id(field: &str, text: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::validation(field, format!("choose {what}")))
}

fn date(field: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::validation(field, "enter a date as YYYY-MM-DD"))
}

/// A quarter whose fields all parse and fit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterInput {
    pub label: String,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
}

impl QuarterInput {
    pub fn parse(label: &str, start_at: &str, end_at: &str) -> Result<QuarterInput, AppError> {
        let label = check_label(label)?;
        let start_at = date("start_at", start_at)?;
        let end_at = date("end_at", end_at)?;
        check_dates(start_at, end_at)?;
        Ok(QuarterInput {
            label,
            start_at,
            end_at,
        })
    }
}

/// An objective whose fields all parse; the server checks that the ids
/// exist and may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectiveInput {
    pub title: String,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub quarter_id: Uuid,
}

impl ObjectiveInput {
    pub fn parse(
        title: &str,
        team_id: &str,
        owner_id: &str,
        quarter_id: &str,
    ) -> Result<ObjectiveInput, AppError> {
        Ok(ObjectiveInput {
            title: check_name("title", title, OBJECTIVE_TITLE_MAX_CHARS)?,
            team_id: id("team_id", team_id, "a team from the list")?,
            owner_id: id("owner_id", owner_id, "an owner from the list")?,
            quarter_id: id("quarter_id", quarter_id, "a quarter from the list")?,
        })
    }
}

/// A key result as typed, every field a string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyResultForm {
    pub objective_id: String,
    pub title: String,
    pub owner_id: String,
    pub unit: String,
    pub start_value: String,
    pub target_value: String,
    pub current_value: String,
}

/// A key result whose fields all parse; direction follows from start and
/// target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyResultInput {
    pub objective_id: Uuid,
    pub title: String,
    pub owner_id: Uuid,
    pub unit: Unit,
    pub start_value: Decimal,
    pub target_value: Decimal,
    /// `None`: the start value.
    pub current_value: Option<Decimal>,
}

/// A number of a key result field, through the check-ins' value parser,
/// with the error renamed to the field.
fn value(field: &str, text: &str) -> Result<Decimal, AppError> {
    parse_value(text).map_err(|error| match error {
        AppError::Validation { message, .. } => AppError::validation(field, message),
        other => other,
    })
}

impl KeyResultForm {
    pub fn parse(&self) -> Result<KeyResultInput, AppError> {
        let objective_id = id("objective_id", &self.objective_id, "an objective")?;
        let title = check_name("title", &self.title, KEY_RESULT_TITLE_MAX_CHARS)?;
        let owner_id = id("owner_id", &self.owner_id, "an owner from the list")?;
        let unit: Unit = self.unit.parse()?;
        let start_value = value("start_value", &self.start_value)?;
        let target_value = value("target_value", &self.target_value)?;
        direction_of(start_value, target_value)?;
        let current_value = match self.current_value.trim() {
            "" => None,
            text => Some(value("current_value", text)?),
        };
        Ok(KeyResultInput {
            objective_id,
            title,
            owner_id,
            unit,
            start_value,
            target_value,
            current_value,
        })
    }
}

/// Review notes: plain text with line breaks, at most [`NOTES_MAX_CHARS`];
/// blank is none.
pub fn check_notes(notes: &str) -> Result<Option<String>, AppError> {
    let notes = notes.replace("\r\n", "\n");
    let notes = notes.trim();
    check_no_control_characters("notes", notes)?;
    let chars = notes.chars().count();
    if chars > NOTES_MAX_CHARS {
        return Err(AppError::validation(
            "notes",
            format!("is {chars} characters; the limit is {NOTES_MAX_CHARS}"),
        ));
    }
    Ok((!notes.is_empty()).then(|| notes.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_quarter_is_over_after_its_last_day_or_once_archived() {
        let end = day(2025, 3, 31);
        assert!(!quarter_over(end, false, day(2025, 3, 30)));
        assert!(!quarter_over(end, false, end));
        assert!(quarter_over(end, false, day(2025, 4, 1)));
        assert!(quarter_over(end, true, day(2025, 2, 1)));
    }

    #[test]
    fn an_outcome_is_missed_only_once_the_quarter_is_over() {
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        use Outcome::*;
        assert_eq!(Outcome::of(Direction::Up, d("25"), d("25"), false), Reached);
        assert_eq!(Outcome::of(Direction::Up, d("26"), d("25"), true), Reached);
        assert_eq!(
            Outcome::of(Direction::Up, d("24"), d("25"), false),
            NotReachedYet
        );
        assert_eq!(Outcome::of(Direction::Up, d("24"), d("25"), true), Missed);
        // Down: at or below the target is reached.
        assert_eq!(
            Outcome::of(Direction::Down, d("12"), d("12"), true),
            Reached
        );
        assert_eq!(
            Outcome::of(Direction::Down, d("12.5"), d("12"), true),
            Missed
        );
        assert_eq!(Missed.words(), "Missed");
        assert_eq!(Reached.class(), "flag flag-reached");
    }

    #[test]
    fn calendar_quarters_have_their_labels_and_dates() {
        assert_eq!(
            calendar_quarter(day(2025, 2, 14)),
            ("2025-Q1".into(), day(2025, 1, 1), day(2025, 3, 31))
        );
        assert_eq!(
            calendar_quarter(day(2025, 12, 31)),
            ("2025-Q4".into(), day(2025, 10, 1), day(2025, 12, 31))
        );
        assert_eq!(
            following_quarter(day(2025, 12, 31)),
            ("2026-Q1".into(), day(2026, 1, 1), day(2026, 3, 31))
        );
        assert_eq!(
            following_quarter(day(2025, 3, 31)),
            ("2025-Q2".into(), day(2025, 4, 1), day(2025, 6, 30))
        );
    }

    #[test]
    fn the_suggestion_follows_the_latest_quarter_else_today() {
        let today = day(2026, 11, 26);
        assert_eq!(suggested_quarter(None, today).0, "2026-Q4");
        assert_eq!(
            suggested_quarter(Some(day(2025, 3, 31)), today).0,
            "2025-Q2"
        );
    }

    #[test]
    fn ranges_overlap_when_they_share_a_day() {
        let q1 = (day(2025, 1, 1), day(2025, 3, 31));
        assert!(overlaps(q1, (day(2025, 3, 31), day(2025, 6, 30))));
        assert!(!overlaps(q1, (day(2025, 4, 1), day(2025, 6, 30))));
        assert!(overlaps(q1, (day(2024, 12, 1), day(2025, 1, 1))));
    }

    #[test]
    fn labels_and_dates_are_checked_naming_the_field() {
        assert_eq!(check_label(" 2025-Q2 ").unwrap(), "2025-Q2");
        assert_eq!(check_label("FY26 Q1").unwrap(), "FY26 Q1");
        for bad in ["", "   ", "2025/Q2", "a\u{7}b", &"Q".repeat(21)] {
            assert_eq!(
                check_label(bad).unwrap_err().field(),
                Some("label"),
                "{bad:?}"
            );
        }
        assert!(check_dates(day(2025, 1, 1), day(2025, 3, 31)).is_ok());
        for (start, end) in [
            (day(2025, 3, 31), day(2025, 1, 1)),
            (day(2025, 1, 1), day(2025, 1, 1)),
            (day(2025, 1, 1), day(2026, 6, 1)),
        ] {
            assert_eq!(check_dates(start, end).unwrap_err().field(), Some("end_at"));
        }
    }

    #[test]
    fn direction_follows_from_start_and_target() {
        let d = |n: i64| Decimal::from(n);
        assert_eq!(direction_of(d(8), d(15)).unwrap(), Direction::Up);
        assert_eq!(direction_of(d(15), d(12)).unwrap(), Direction::Down);
        let error = direction_of(d(5), d(5)).unwrap_err();
        assert_eq!(error.field(), Some("target_value"));
        assert!(error.to_string().contains("both 5"), "{error}");
    }

    #[test]
    fn a_key_result_form_names_each_bad_field() {
        let good = KeyResultForm {
            objective_id: Uuid::new_v4().to_string(),
            title: "Grow mobile bookings".into(),
            owner_id: Uuid::new_v4().to_string(),
            unit: "$".into(),
            start_value: "12,000,000".into(),
            target_value: "18000000".into(),
            current_value: String::new(),
        };
        let parsed = good.parse().unwrap();
        assert_eq!(parsed.start_value, Decimal::from(12_000_000));
        assert_eq!(parsed.current_value, None);
        type Breaks = fn(&mut KeyResultForm);
        let cases: [(&str, Breaks); 8] = [
            ("objective_id", |f| f.objective_id = "x".into()),
            ("title", |f| f.title = " ".into()),
            ("title", |f| f.title = "t".repeat(501)),
            ("owner_id", |f| f.owner_id = String::new()),
            ("unit", |f| f.unit = "EUR".into()),
            ("start_value", |f| f.start_value = "12e6".into()),
            ("target_value", |f| f.target_value = "12000000".into()),
            ("current_value", |f| {
                f.current_value = "99999999999999".into()
            }),
        ];
        for (field, break_it) in cases {
            let mut form = good.clone();
            break_it(&mut form);
            assert_eq!(form.parse().unwrap_err().field(), Some(field), "{form:?}");
        }
    }

    #[test]
    fn notes_keep_their_line_breaks_and_refuse_control_characters() {
        assert_eq!(
            check_notes(" Won:\r\n- APAC\n").unwrap().as_deref(),
            Some("Won:\n- APAC")
        );
        assert_eq!(check_notes("  ").unwrap(), None);
        assert_eq!(check_notes("a\u{0}b").unwrap_err().field(), Some("notes"));
    }

    #[test]
    fn notes_at_the_limit_fit_in_the_default_request_body() {
        // Every ASCII character form-encodes to at most 3 bytes, as `&` does.
        let notes = "&".repeat(NOTES_MAX_CHARS);
        assert!(check_notes(&notes).is_ok());
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("quarter_id", &Uuid::nil().to_string())
            .append_pair("notes", &notes)
            .finish();
        assert!(body.len() <= 16 * 1024, "{} bytes", body.len());
    }

    #[test]
    fn reaching_depends_on_the_direction() {
        let d = |n: i64| Decimal::from(n);
        assert!(reached(Direction::Up, d(15), d(15)));
        assert!(!reached(Direction::Up, d(14), d(15)));
        assert!(reached(Direction::Down, d(11), d(12)));
        assert!(!reached(Direction::Down, d(13), d(12)));
    }
}
