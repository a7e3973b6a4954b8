//! Reading what people type: numbers (with their decimal commas and
//! thousands separators), emails, names and notes. Each error names the
//! field it is about, and quotes the input only briefly.

use rust_decimal::Decimal;

use crate::invalid::Invalid;

/// The longest review notes, in characters. Small enough that notes at the
/// limit, form-encoded (up to 3 bytes an ASCII character), still fit in the
/// server's default 16 KiB request body (`MAX_BODY_BYTES`): a longer limit
/// could never be reached, longer notes being refused as a 413 first.
pub const NOTES_MAX_CHARS: usize = 5_000;
/// numeric(15,2): at most 13 digits before the point and 2 after.
const MAX_WHOLE_DIGITS: u32 = 13;
const MAX_FRACTION_DIGITS: u32 = 2;

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
pub fn parse_value(text: &str) -> Result<Decimal, Invalid> {
    let trimmed = text.trim();
    let number: String = trimmed
        .trim_end_matches("pp")
        .trim_end_matches('%')
        .chars()
        .filter(|c| !matches!(c, ' ' | '$' | '_' | '\u{a0}'))
        .collect();
    if number.is_empty() {
        return Err(Invalid::new("value", "enter the current value"));
    }
    let not_a_number = || Invalid::new("value", format!("{} is not a number", echo(trimmed)));
    // Only ASCII digits, signs, points and commas: no exponents, NaN,
    // infinities or full-width digits.
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ','))
    {
        return Err(not_a_number());
    }
    let Some(number) = read_commas(&number) else {
        return Err(Invalid::new(
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
        return Err(Invalid::new("value", "use at most 2 decimal places"));
    }
    if value.abs() >= Decimal::from(10_i64.pow(MAX_WHOLE_DIGITS)) {
        return Err(Invalid::new(
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
pub fn check_email(email: &str) -> Result<String, Invalid> {
    let email = email.trim();
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if email.is_empty() {
        return Err(Invalid::new("email", "enter an email address"));
    }
    if !valid {
        return Err(Invalid::new("email", "is not an email address"));
    }
    if email.chars().count() > 255 {
        return Err(Invalid::new("email", "is longer than 255 characters"));
    }
    Ok(email.to_owned())
}

/// Refuses control characters other than newline and tab: a NUL byte cannot
/// be stored by PostgreSQL, and none of them belongs in what people type.
pub fn check_no_control_characters(field: &str, text: &str) -> Result<(), Invalid> {
    if let Some(bad) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(Invalid::new(
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
pub fn check_name(field: &str, text: &str, max: usize) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(Invalid::new(
            field,
            format!("is {chars} characters; the limit is {max}"),
        ));
    }
    Ok(text.to_owned())
}

/// Review notes: plain text with line breaks, at most [`NOTES_MAX_CHARS`];
/// blank is none.
pub fn check_notes(notes: &str) -> Result<Option<String>, Invalid> {
    let notes = notes.replace("\r\n", "\n");
    let notes = notes.trim();
    check_no_control_characters("notes", notes)?;
    let chars = notes.chars().count();
    if chars > NOTES_MAX_CHARS {
        return Err(Invalid::new(
            "notes",
            format!("is {chars} characters; the limit is {NOTES_MAX_CHARS}"),
        ));
    }
    Ok((!notes.is_empty()).then(|| notes.to_owned()))
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
            .append_pair("quarter_id", &uuid::Uuid::nil().to_string())
            .append_pair("notes", &notes)
            .finish();
        assert!(body.len() <= 16 * 1024, "{} bytes", body.len());
    }
}
