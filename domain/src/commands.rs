//! The commands: what each way in (forms, `/api/v1`, CSV import, roll-over,
//! the seed) turns its input into before anything is written. Each has one
//! `parse` from text that names the failing field; the rules that need the
//! database (does the key result exist, may this person write it, is the
//! quarter open) are checked by the server's writer for that command.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::calendar::{check_dates, check_label};
use crate::enums::{ConfidenceLevel, Unit};
use crate::invalid::Invalid;
use crate::rules::{check_sign, direction_of};
use crate::text::{check_name, check_no_control_characters, echo, parse_value};

/// The longest note a check-in may carry, in characters.
pub const NOTE_MAX_CHARS: usize = 500;
/// The longest objective title, in characters.
pub const OBJECTIVE_TITLE_MAX_CHARS: usize = 255;
/// The longest key result title, in characters.
pub const KEY_RESULT_TITLE_MAX_CHARS: usize = 500;

fn id(field: &str, text: &str, what: &str) -> Result<Uuid, Invalid> {
    Uuid::parse_str(text.trim()).map_err(|_| Invalid::new(field, format!("choose {what}")))
}

fn date(field: &str, text: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Invalid::new(field, "enter a date as YYYY-MM-DD"))
}

/// A check-in as submitted, every field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckInForm {
    pub key_result_id: String,
    pub value: String,
    pub confidence: String,
    pub note: String,
    pub date: String,
}

/// A check-in whose fields all parse; existence and dates are checked against
/// the database when it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckIn {
    pub key_result_id: Uuid,
    pub value: Decimal,
    pub confidence: ConfidenceLevel,
    pub note: Option<String>,
    pub author_id: Uuid,
    pub date: Option<NaiveDate>,
}

impl CheckInForm {
    /// The check-in `author_id` records: the signed-in person.
    pub fn parse(&self, author_id: Uuid) -> Result<NewCheckIn, Invalid> {
        let key_result_id = id("key_result_id", &self.key_result_id, "a key result")?;
        let value = parse_value(&self.value)?;
        let confidence = match self.confidence.trim() {
            "" => {
                return Err(Invalid::new("confidence", "choose Red, Amber or Green"));
            }
            text => text.parse::<ConfidenceLevel>()?,
        };
        let note = self.note.replace("\r\n", "\n");
        let note = note.trim();
        check_no_control_characters("note", note)?;
        let note_chars = note.chars().count();
        if note_chars > NOTE_MAX_CHARS {
            return Err(Invalid::new(
                "note",
                format!("is {note_chars} characters; the limit is {NOTE_MAX_CHARS}"),
            ));
        }
        let date = match self.date.trim() {
            "" => None,
            text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                Invalid::new("date", format!("{} is not a date (YYYY-MM-DD)", echo(text)))
            })?),
        };
        Ok(NewCheckIn {
            key_result_id,
            value,
            confidence,
            note: (!note.is_empty()).then(|| note.to_owned()),
            author_id,
            date,
        })
    }
}

/// A quarter whose fields all parse and fit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarter {
    pub label: String,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
}

impl NewQuarter {
    pub fn parse(label: &str, start_at: &str, end_at: &str) -> Result<NewQuarter, Invalid> {
        let label = check_label(label)?;
        let start_at = date("start_at", start_at)?;
        let end_at = date("end_at", end_at)?;
        NewQuarter::new(&label, start_at, end_at)
    }

    /// A quarter from a label and dates that are already dates (a
    /// roll-over's next quarter, an import's calendar label): the same
    /// label and date rules as the form.
    pub fn new(label: &str, start_at: NaiveDate, end_at: NaiveDate) -> Result<NewQuarter, Invalid> {
        let label = check_label(label)?;
        check_dates(start_at, end_at)?;
        Ok(NewQuarter {
            label,
            start_at,
            end_at,
        })
    }
}

/// An objective whose fields all parse; the server checks that the ids
/// exist and may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObjective {
    pub title: String,
    pub team_id: Uuid,
    pub owner_id: Uuid,
    pub quarter_id: Uuid,
}

impl NewObjective {
    pub fn parse(
        title: &str,
        team_id: &str,
        owner_id: &str,
        quarter_id: &str,
    ) -> Result<NewObjective, Invalid> {
        Ok(NewObjective {
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
pub struct NewKeyResult {
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
fn value(field: &str, text: &str) -> Result<Decimal, Invalid> {
    parse_value(text).map_err(|error| error.for_field(field))
}

impl KeyResultForm {
    pub fn parse(&self) -> Result<NewKeyResult, Invalid> {
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
        if let Some(current) = current_value {
            check_sign("current_value", unit, start_value, target_value, current)?;
        }
        Ok(NewKeyResult {
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
#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CheckInForm {
        CheckInForm {
            key_result_id: Uuid::new_v4().to_string(),
            value: "3.25".into(),
            confidence: "2".into(),
            note: "Checkout flow live".into(),
            date: String::new(),
        }
    }

    fn field_of(form: CheckInForm) -> String {
        form.parse(Uuid::new_v4())
            .unwrap_err()
            .field()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn a_complete_form_parses() {
        let input = form().parse(Uuid::new_v4()).unwrap();
        assert_eq!(input.value, Decimal::new(325, 2));
        assert_eq!(input.confidence, ConfidenceLevel::Green);
        assert_eq!(input.note.as_deref(), Some("Checkout flow live"));
        assert_eq!(input.date, None);
    }

    #[test]
    fn control_characters_in_a_note_are_refused_but_newlines_are_kept() {
        let with_nul = CheckInForm {
            note: "a\u{0}b".into(),
            ..form()
        };
        assert_eq!(field_of(with_nul), "note");
        let multiline = CheckInForm {
            note: "line one\nline two\tend".into(),
            ..form()
        };
        assert!(multiline.parse(Uuid::new_v4()).is_ok());
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            field_of(CheckInForm {
                key_result_id: "nope".into(),
                ..form()
            }),
            "key_result_id"
        );
        assert_eq!(
            field_of(CheckInForm {
                confidence: "3".into(),
                ..form()
            }),
            "confidence"
        );
        assert_eq!(
            field_of(CheckInForm {
                confidence: "".into(),
                ..form()
            }),
            "confidence"
        );
        assert_eq!(
            field_of(CheckInForm {
                note: "x".repeat(501),
                ..form()
            }),
            "note"
        );
        assert_eq!(
            field_of(CheckInForm {
                date: "31/01/2025".into(),
                ..form()
            }),
            "date"
        );
    }

    #[test]
    fn a_note_of_exactly_500_characters_is_fine_even_when_multibyte() {
        let note = "é".repeat(500);
        assert_eq!(
            CheckInForm {
                note: note.clone(),
                ..form()
            }
            .parse(Uuid::new_v4())
            .unwrap()
            .note,
            Some(note)
        );
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
        let cases: [(&str, Breaks); 9] = [
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
            ("current_value", |f| f.current_value = "-1".into()),
        ];
        for (field, break_it) in cases {
            let mut form = good.clone();
            break_it(&mut form);
            assert_eq!(form.parse().unwrap_err().field(), Some(field), "{form:?}");
        }
    }
}
