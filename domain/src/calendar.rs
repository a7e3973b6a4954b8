//! The quarter calendar: calendar quarters and their labels (`2025-Q3`),
//! which quarters overlap, the label and date rules a quarter must meet, and
//! the window a check-in's date must fall in.

use chrono::{Datelike, NaiveDate};

use crate::invalid::Invalid;

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
pub fn check_label(label: &str) -> Result<String, Invalid> {
    let label = label.trim();
    if label.is_empty() {
        return Err(Invalid::new("label", "enter a label, such as 2025-Q2"));
    }
    if label.chars().count() > LABEL_MAX_CHARS {
        return Err(Invalid::new(
            "label",
            format!("use at most {LABEL_MAX_CHARS} characters"),
        ));
    }
    if !label
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
    {
        return Err(Invalid::new(
            "label",
            "use letters, digits, spaces and - _ . only",
        ));
    }
    Ok(label.to_owned())
}

/// A quarter's dates: the end after the start, and at most a year apart.
pub fn check_dates(start: NaiveDate, end: NaiveDate) -> Result<(), Invalid> {
    if end <= start {
        return Err(Invalid::new("end_at", "must be after the start date"));
    }
    if (end - start).num_days() > 366 {
        return Err(Invalid::new("end_at", "a quarter may last at most a year"));
    }
    Ok(())
}

/// A calendar label such as `2025-Q3` → its first and last day. `None` for
/// any other label (which may still name an existing quarter).
pub fn calendar_label(label: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (year, quarter) = label.split_once("-Q")?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|year| (1900..=2999).contains(year))?;
    let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
    let start = NaiveDate::from_ymd_opt(year, quarter * 3 - 2, 1)?;
    let (_, start, end) = calendar_quarter(start);
    Some((start, end))
}

/// A quarter as the check-in rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub label: &'a str,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The day a check-in is dated: the one given, or today (the quarter's last
/// day once it is over). It must fall inside its quarter and not after
/// `today`.
pub fn check_in_day(
    date: Option<NaiveDate>,
    today: NaiveDate,
    quarter: Window<'_>,
) -> Result<NaiveDate, Invalid> {
    let date = date.unwrap_or_else(|| today.min(quarter.end));
    if date < quarter.start || date > quarter.end {
        return Err(Invalid::new(
            "date",
            format!(
                "must be within {} ({} – {})",
                quarter.label,
                quarter.start.format("%b %-d"),
                quarter.end.format("%b %-d, %Y")
            ),
        ));
    }
    if date > today {
        return Err(Invalid::new("date", "cannot be in the future"));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
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
    fn calendar_labels_give_their_dates() {
        assert_eq!(
            calendar_label("2025-Q3"),
            Some((day(2025, 7, 1), day(2025, 9, 30)))
        );
        assert_eq!(
            calendar_label("2026-Q1"),
            Some((day(2026, 1, 1), day(2026, 3, 31)))
        );
        for other in ["2025-Q5", "2025-Q0", "FY26 Q1", "25-Q1", "2025-q1", ""] {
            assert_eq!(calendar_label(other), None, "{other:?}");
        }
    }

    fn q1() -> Window<'static> {
        Window {
            label: "2025-Q1",
            start: day(2025, 1, 1),
            end: day(2025, 3, 31),
        }
    }

    #[test]
    fn a_check_in_is_dated_today_or_the_last_day_of_an_ended_quarter() {
        assert_eq!(
            check_in_day(None, day(2025, 2, 10), q1()),
            Ok(day(2025, 2, 10))
        );
        assert_eq!(
            check_in_day(None, day(2026, 11, 25), q1()),
            Ok(day(2025, 3, 31))
        );
    }

    #[test]
    fn dates_outside_the_quarter_or_in_the_future_are_refused() {
        let today = day(2025, 2, 10);
        let outside = check_in_day(Some(day(2025, 4, 1)), today, q1()).unwrap_err();
        assert_eq!(outside.field, "date");
        assert!(outside.message.contains("2025-Q1"), "{outside}");
        let future = check_in_day(Some(day(2025, 2, 11)), today, q1()).unwrap_err();
        assert_eq!(future.message, "cannot be in the future");
    }
}
