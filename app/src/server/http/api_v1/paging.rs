//! Paging through check-ins: the opaque cursor and the `cursor`/`limit`
//! query, which refuses every other parameter by name.

use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::error::AppError;
use crate::model;

/// Check-ins per page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A cursor: the moment and id of the last check-in of a page, opaque to
/// callers (`<microseconds since 1970>_<id>`).
pub(super) fn cursor_of(check_in: &model::CheckInEntry) -> String {
    format!(
        "{}_{}",
        check_in.created_at.and_utc().timestamp_micros(),
        check_in.id.simple()
    )
}

fn parse_cursor(text: &str) -> Result<(NaiveDateTime, Uuid), AppError> {
    let bad = || AppError::validation("cursor", "is not a cursor this API gave out");
    let (micros, id) = text.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(bad)?
        .naive_utc();
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((at, id))
}

/// The query string's `cursor` and `limit`; anything else is refused.
pub(super) fn page_query(
    query: Option<&str>,
) -> Result<(Option<(NaiveDateTime, Uuid)>, u64), AppError> {
    let mut cursor = None;
    let mut limit = DEFAULT_PAGE_SIZE;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            // Trimmed, as `limit` is: a trailing newline is one more thing
            // some regex engines let the documented pattern match.
            "cursor" if !value.trim().is_empty() => cursor = Some(parse_cursor(value.trim())?),
            "cursor" => {}
            "limit" => {
                limit = Some(value.trim())
                    .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|text| text.parse::<u64>().ok())
                    .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
                    .ok_or_else(|| {
                        AppError::validation(
                            "limit",
                            format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                        )
                    })?;
            }
            other => {
                return Err(AppError::validation(
                    &domain::text::echo(other).replace('"', ""),
                    "is not a parameter of this endpoint (cursor, limit)",
                ));
            }
        }
    }
    Ok((cursor, limit))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use domain::ConfidenceLevel;
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let entry = model::CheckInEntry {
            id: Uuid::new_v4(),
            value: Decimal::new(35, 1),
            confidence: ConfidenceLevel::Green,
            note: None,
            author: "Mike".into(),
            created_at: NaiveDate::from_ymd_opt(2025, 2, 3)
                .unwrap()
                .and_hms_micro_opt(10, 4, 5, 123_456)
                .unwrap(),
        };
        let (at, id) = parse_cursor(&cursor_of(&entry)).unwrap();
        assert_eq!((at, id), (entry.created_at, entry.id));
        for bad in ["", "abc", "12_nope", "x_0b5c9e0e9a3c4f5e8d7c6b5a49382716"] {
            assert_eq!(parse_cursor(bad).unwrap_err().field(), Some("cursor"));
        }
    }

    #[test]
    fn the_page_query_names_what_it_refuses() {
        assert_eq!(page_query(None).unwrap(), (None, DEFAULT_PAGE_SIZE));
        assert_eq!(page_query(Some("limit=5")).unwrap().1, 5);
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("cursor=zzz", "cursor"),
            ("page=2", "page"),
        ] {
            assert_eq!(page_query(Some(query)).unwrap_err().field(), Some(field));
        }
    }
}
