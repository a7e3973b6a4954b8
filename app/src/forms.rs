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

/// Echoed input is cut to this many characters in messages.
const ECHO_MAX_CHARS: usize = 40;

/// `text` as a message may quote it: at most [`ECHO_MAX_CHARS`] characters.
pub fn echo(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > ECHO_MAX_CHARS {
        let cut: String = text.chars().take(ECHO_MAX_CHARS).collect();
        format!("{cut:?}…")
    } else {
        format!("{text:?}")
    }
}

/// Reads the commas of a typed number: a decimal comma when that is the only
/// sensible reading (`3,5`, `2,84`), thousands separators when every group
/// after the first has three digits (`9,100,000`, `1,234.50`). `None` when the
/// commas could mean either or neither (`1,2,3`, `1.234,5`, `12,3456`).
fn read_commas(number: &str) -> Option<String> {
    if !number.contains(',') {
        return Some(number.to_owned());
    }
    let (integer, fraction) = match number.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (number, None),
    };
    if fraction.is_some_and(|fraction| fraction.contains([',', '.'])) {
        return None;
    }
    let unsigned = integer.trim_start_matches(['-', '+']);
    let groups: Vec<&str> = unsigned.split(',').collect();
    let thousands = groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|group| group.len() == 3);
    let all_digits = groups
        .iter()
        .all(|group| group.chars().all(|c| c.is_ascii_digit()));
    if !all_digits {
        return None;
    }
    if thousands {
        // `1,234` is a thousand and more: a decimal comma would give it three
        // decimals, which a value cannot have.
        return Some(number.replace(',', ""));
    }
    // One comma followed by one or two digits, and no point: a decimal comma.
    if fraction.is_none() && groups.len() == 2 && (1..=2).contains(&groups[1].len()) {
        return Some(number.replacen(',', ".", 1));
    }
    None
}

/// A value that fits numeric(15,2). People type thousands separators, spaces,
/// a unit sign (`$`, `%`, `pp`) and, in much of Europe, a decimal comma.
pub fn parse_value(text: &str) -> Result<Decimal, AppError> {
    let trimmed = text.trim();
    let number: String = trimmed
        .trim_end_matches("pp")
        .trim_end_matches('%')
        .chars()
        .filter(|c| !matches!(c, ' ' | '$' | '_' | '\u{a0}'))
        .collect();
    if number.is_empty() {
        return Err(AppError::validation("value", "enter the current value"));
    }
    let not_a_number =
        || AppError::validation("value", format!("{} is not a number", echo(trimmed)));
    // Only ASCII digits, signs, points and commas: no exponents, NaN,
    // infinities or full-width digits.
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ','))
    {
        return Err(not_a_number());
    }
    let Some(number) = read_commas(&number) else {
        return Err(AppError::validation(
            "value",
            format!(
                "{} is ambiguous: use a point for decimals (3.5) and commas only between thousands (9,100,000)",
                echo(trimmed)
            ),
        ));
    };
    let value: Decimal = number.parse().map_err(|_| not_a_number())?;
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
    // `-0` is zero.
    Ok(if value.is_zero() {
        Decimal::ZERO
    } else {
        value
    })
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

/// Refuses control characters other than newline and tab: a NUL byte cannot
/// be stored by PostgreSQL, and none of them belongs in what people type.
pub fn check_no_control_characters(field: &str, text: &str) -> Result<(), AppError> {
    if let Some(bad) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(AppError::validation(
            field,
            format!(
                "must not contain control characters (found U+{:04X})",
                bad as u32
            ),
        ));
    }
    Ok(())
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
        check_no_control_characters("note", note)?;
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
                AppError::validation("date", format!("{} is not a date (YYYY-MM-DD)", echo(text)))
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
    fn a_decimal_comma_is_read_when_it_is_the_only_reading() {
        assert_eq!(parse_value("3,5").unwrap(), Decimal::new(35, 1));
        assert_eq!(parse_value("2,84").unwrap(), Decimal::new(284, 2));
        assert_eq!(parse_value("-0,5 pp").unwrap(), Decimal::new(-5, 1));
        assert_eq!(parse_value("9,100,000").unwrap(), Decimal::from(9_100_000));
        assert_eq!(parse_value("1,234").unwrap(), Decimal::from(1234));
        assert_eq!(parse_value("1,234.50").unwrap(), Decimal::new(12345, 1));
        for ambiguous in ["1,2,3", "1.234,5", "12,3456", "1,", "1,23,456"] {
            assert_eq!(
                parse_value(ambiguous).unwrap_err().field(),
                Some("value"),
                "{ambiguous:?}"
            );
        }
    }

    #[test]
    fn only_plain_numbers_are_values() {
        for bad in ["1e999", "NaN", "inf", "１２", "0x10", "1e3", "--1", "1.2.3"] {
            assert_eq!(
                parse_value(bad).unwrap_err().field(),
                Some("value"),
                "{bad:?}"
            );
        }
        assert_eq!(parse_value("-0").unwrap(), Decimal::ZERO);
        assert!(!parse_value("-0").unwrap().is_sign_negative());
    }

    #[test]
    fn echoed_input_is_cut_short() {
        let long = "x".repeat(5_000);
        let message = parse_value(&long).unwrap_err().to_string();
        assert!(message.len() < 120, "{message}");
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
