//! Checking what people type, before anything reaches the database. Each
//! error names the form field it is about.

use chrono::NaiveDate;
use entity::ConfidenceLevel;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::AppError;

/// The longest note a check-in may carry, in characters.
pub const NOTE_MAX_CHARS: usize = 500;
/// numeric(15,2): at most 13 digits before the point and 2 after.
const MAX_WHOLE_DIGITS: u32 = 13;
const MAX_FRACTION_DIGITS: u32 = 2;

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
pub struct CheckInInput {
    pub key_result_id: Uuid,
    pub value: Decimal,
    pub confidence: ConfidenceLevel,
    pub note: Option<String>,
    pub author_id: Uuid,
    pub date: Option<NaiveDate>,
}

fn id(field: &str, text: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::validation(field, format!("choose {what}")))
}

/// A value that fits numeric(15,2). Thousands separators, spaces and a unit
/// sign (`$`, `%`, `pp`) are allowed, as people type them.
pub fn parse_value(text: &str) -> Result<Decimal, AppError> {
    let cleaned: String = text
        .trim()
        .trim_end_matches("pp")
        .trim_end_matches('%')
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '$' | '_'))
        .collect();
    if cleaned.is_empty() {
        return Err(AppError::validation("value", "enter the current value"));
    }
    let value: Decimal = cleaned
        .parse()
        .map_err(|_| AppError::validation("value", format!("{:?} is not a number", text.trim())))?;
    let value = value.normalize();
    if value.scale() > MAX_FRACTION_DIGITS {
        return Err(AppError::validation(
            "value",
            "use at most 2 decimal places",
        ));
    }
    if value.abs() >= Decimal::from(10_i64.pow(MAX_WHOLE_DIGITS)) {
        return Err(AppError::validation(
            "value",
            "is too large: at most 13 digits before the point",
        ));
    }
    Ok(value)
}

/// An email address as people type it: trimmed, with an `@` between two
/// non-empty parts, no spaces, and at most 255 characters (`okr_user.email`).
pub fn check_email(email: &str) -> Result<String, AppError> {
    let email = email.trim();
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if email.is_empty() {
        return Err(AppError::validation("email", "enter an email address"));
    }
    if !valid {
        return Err(AppError::validation("email", "is not an email address"));
    }
    if email.chars().count() > 255 {
        return Err(AppError::validation(
            "email",
            "is longer than 255 characters",
        ));
    }
    Ok(email.to_owned())
}

/// A name or title: trimmed, not empty, at most `max` characters, no control
/// characters.
pub fn check_name(field: &str, text: &str, max: usize) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::validation(field, "must not be empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            "must not contain control characters",
        ));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(AppError::validation(
            field,
            format!("is {chars} characters; the limit is {max}"),
        ));
    }
    Ok(text.to_owned())
}

impl CheckInForm {
    /// The check-in `author_id` records: the signed-in person.
    pub fn parse(&self, author_id: Uuid) -> Result<CheckInInput, AppError> {
        let key_result_id = id("key_result_id", &self.key_result_id, "a key result")?;
        let value = parse_value(&self.value)?;
        let confidence = match self.confidence.trim() {
            "" => {
                return Err(AppError::validation(
                    "confidence",
                    "choose Red, Amber or Green",
                ));
            }
            text => text.parse::<ConfidenceLevel>()?,
        };
        let note = self.note.trim();
        let note_chars = note.chars().count();
        if note_chars > NOTE_MAX_CHARS {
            return Err(AppError::validation(
                "note",
                format!("is {note_chars} characters; the limit is {NOTE_MAX_CHARS}"),
            ));
        }
        let date = match self.date.trim() {
            "" => None,
            text => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                AppError::validation("date", format!("{text:?} is not a date (YYYY-MM-DD)"))
            })?),
        };
        Ok(CheckInInput {
            key_result_id,
            value,
            confidence,
            note: (!note.is_empty()).then(|| note.to_owned()),
            author_id,
            date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_names_are_checked_with_their_field() {
        assert_eq!(check_email(" a.b@airline.com ").unwrap(), "a.b@airline.com");
        for bad in ["", "no-at-sign", "@airline.com", "a@b", "a b@airline.com"] {
            assert_eq!(
                check_email(bad).unwrap_err().field(),
                Some("email"),
                "{bad:?}"
            );
        }
        assert_eq!(check_name("name", "  Ana  ", 120).unwrap(), "Ana");
        assert_eq!(
            check_name("name", " ", 120).unwrap_err().field(),
            Some("name")
        );
        assert_eq!(
            check_name("team", "a\u{0}b", 120).unwrap_err().field(),
            Some("team")
        );
        assert_eq!(
            check_name("name", &"x".repeat(121), 120)
                .unwrap_err()
                .field(),
            Some("name")
        );
    }

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
    fn values_may_be_typed_with_separators_and_unit_signs() {
        assert_eq!(
            parse_value("$13,400,000").unwrap(),
            Decimal::from(13_400_000)
        );
        assert_eq!(parse_value("3.1%").unwrap(), Decimal::new(31, 1));
        assert_eq!(parse_value(" 14.8 pp ").unwrap(), Decimal::new(148, 1));
        assert_eq!(parse_value("-2.50").unwrap(), Decimal::new(-25, 1));
    }

    #[test]
    fn values_that_do_not_fit_numeric_15_2_are_refused() {
        assert_eq!(parse_value("1.234").unwrap_err().field(), Some("value"));
        assert_eq!(
            parse_value("10000000000000").unwrap_err().field(),
            Some("value")
        );
        assert!(parse_value("9999999999999.99").is_ok());
        assert_eq!(parse_value("abc").unwrap_err().field(), Some("value"));
        assert_eq!(parse_value("").unwrap_err().field(), Some("value"));
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
}
