//! When check-in reminders and digests are due, and the settings that
//! decide it: a team's check-in day, a person's hour and time zone, a
//! chat webhook's address, and how a failed delivery is tried again.
//!
//! Time zones are any [`TimeZone`]: the server passes IANA zones
//! (`chrono-tz`), so this crate carries no zone database.

use std::time::Duration;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc, Weekday,
};

use crate::Invalid;

/// A key result is due a reminder after this long without a check-in.
pub const REMINDER_AFTER_DAYS: i64 = 7;
/// And a follow-up after twice as long.
pub const FOLLOW_UP_AFTER_DAYS: i64 = 14;
/// The hour messages go out at unless a person chooses another.
pub const DEFAULT_HOUR: u8 = 9;
/// The check-in day unless an admin chooses another.
pub const DEFAULT_CHECK_IN_DAY: Weekday = Weekday::Mon;

/// What a key result owner is sent about one key result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nudge {
    /// No check-in for a week.
    Reminder,
    /// No check-in for a second week.
    FollowUp,
}

/// Whether a key result last checked in on (or, without check-ins, made
/// at) `last` is due a nudge at `now`.
pub fn nudge(last: NaiveDateTime, now: NaiveDateTime) -> Option<Nudge> {
    let quiet = now - last;
    if quiet >= TimeDelta::days(FOLLOW_UP_AFTER_DAYS) {
        Some(Nudge::FollowUp)
    } else if quiet >= TimeDelta::days(REMINDER_AFTER_DAYS) {
        Some(Nudge::Reminder)
    } else {
        None
    }
}

/// The local date in `zone` if, at `now`, it is `day` there and `hour` has
/// come: the period a message of that day belongs to. Later that day it
/// is still the same period, so a server that was down at the hour sends
/// when it is back, and one that already sent finds the period taken.
pub fn local_day<Tz: TimeZone>(
    now: DateTime<Utc>,
    zone: &Tz,
    day: Weekday,
    hour: u8,
) -> Option<NaiveDate> {
    let local = now.with_timezone(zone);
    (local.weekday() == day && local.hour() >= u32::from(hour)).then(|| local.date_naive())
}

/// The day after the check-in day: the weekly digest's.
pub fn digest_day(check_in_day: Weekday) -> Weekday {
    check_in_day.succ()
}

/// An ISO weekday number (1 Monday … 7 Sunday), as stored.
pub fn weekday_from_number(number: i16) -> Weekday {
    match number {
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        6 => Weekday::Sat,
        7 => Weekday::Sun,
        _ => Weekday::Mon,
    }
}

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A check-in day as a form sends it: its ISO number.
pub fn check_weekday(text: &str) -> Result<Weekday, Invalid> {
    match text.trim().parse::<i16>() {
        Ok(number @ 1..=7) => Ok(weekday_from_number(number)),
        _ => Err(Invalid::new(
            "check_in_day",
            "choose a day of the week (1 Monday to 7 Sunday)",
        )),
    }
}

/// An hour of the day, 0 to 23.
pub fn check_hour(text: &str) -> Result<u8, Invalid> {
    match text.trim().parse::<u8>() {
        Ok(hour @ 0..=23) => Ok(hour),
        _ => Err(Invalid::new("hour", "enter an hour from 0 to 23")),
    }
}

/// A chat webhook's address: empty for none, else https, or http to this
/// machine only (a local receiver while trying it out). Anything else
/// would send the team's figures in clear, or let an admin point the
/// server at its own network.
pub fn check_webhook_url(text: &str) -> Result<Option<String>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let invalid = |message: &str| Invalid::new("webhook_url", message);
    if text.len() > 2000 {
        return Err(invalid("is longer than 2000 characters"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("must not contain spaces"));
    }
    let lower = text.to_ascii_lowercase();
    let (secure, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(invalid("must be an https:// address"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("must not contain a user name or password"));
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err(invalid("must name a host"));
    }
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback());
    if !secure && !loopback {
        return Err(invalid(
            "must be an https:// address (http:// only to this machine, for testing)",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// How long to wait before try number `tries + 1`, after `tries` failed
/// ones: `base`, doubled each time, at most an hour.
pub fn retry_after(tries: u32, base: Duration) -> Duration {
    let factor = 1u32 << tries.saturating_sub(1).min(16);
    base.saturating_mul(factor).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, NaiveDate};

    fn at(date: &str, time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_key_result_is_nudged_after_one_quiet_week_and_followed_up_after_two() {
        let now = at("2025-03-10", "09:00");
        assert_eq!(nudge(at("2025-03-04", "09:00"), now), None);
        assert_eq!(nudge(at("2025-03-03", "09:00"), now), Some(Nudge::Reminder));
        assert_eq!(nudge(at("2025-02-25", "09:00"), now), Some(Nudge::Reminder));
        assert_eq!(nudge(at("2025-02-24", "09:00"), now), Some(Nudge::FollowUp));
    }

    #[test]
    fn the_day_comes_at_the_local_hour_in_each_time_zone() {
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        let sao_paulo = FixedOffset::west_opt(3 * 3600).unwrap();
        // Monday 09:00 in Tokyo is Monday 00:00 UTC; in São Paulo it is
        // still Sunday evening.
        let tokyo_nine = Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap();
        let monday = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        assert_eq!(local_day(tokyo_nine, &tokyo, Weekday::Mon, 9), Some(monday));
        assert_eq!(local_day(tokyo_nine, &sao_paulo, Weekday::Mon, 9), None);
        let before = Utc.with_ymd_and_hms(2025, 3, 9, 23, 59, 0).unwrap();
        assert_eq!(local_day(before, &tokyo, Weekday::Mon, 9), None);
        // Monday 09:00 in São Paulo is 12:00 UTC; Tokyo is still in its
        // Monday, the same period as before.
        let sao_paulo_nine = Utc.with_ymd_and_hms(2025, 3, 10, 12, 0, 0).unwrap();
        assert_eq!(
            local_day(sao_paulo_nine, &sao_paulo, Weekday::Mon, 9),
            Some(monday)
        );
        assert_eq!(
            local_day(sao_paulo_nine, &tokyo, Weekday::Mon, 9),
            Some(monday)
        );
        // Tokyo's Tuesday starts at 15:00 UTC: no Monday message any more.
        let tokyo_tuesday = Utc.with_ymd_and_hms(2025, 3, 10, 15, 0, 0).unwrap();
        assert_eq!(local_day(tokyo_tuesday, &tokyo, Weekday::Mon, 9), None);
    }

    #[test]
    fn the_digest_is_the_day_after_the_check_in_day() {
        assert_eq!(digest_day(Weekday::Mon), Weekday::Tue);
        assert_eq!(digest_day(Weekday::Sun), Weekday::Mon);
    }

    #[test]
    fn weekdays_and_hours_are_checked_naming_their_field() {
        assert_eq!(check_weekday("5"), Ok(Weekday::Fri));
        assert_eq!(check_weekday("8").unwrap_err().field, "check_in_day");
        assert_eq!(check_weekday("Monday").unwrap_err().field, "check_in_day");
        assert_eq!(check_hour("0"), Ok(0));
        assert_eq!(check_hour(" 23 "), Ok(23));
        assert_eq!(check_hour("24").unwrap_err().field, "hour");
        assert_eq!(check_hour("-1").unwrap_err().field, "hour");
        for number in 1..=7 {
            let day = weekday_from_number(number);
            assert_eq!(day.number_from_monday(), number as u32);
            assert!(!weekday_name(day).is_empty());
        }
    }

    #[test]
    fn webhooks_must_be_https_or_local_http() {
        assert_eq!(check_webhook_url(" "), Ok(None));
        assert_eq!(
            check_webhook_url("https://hooks.slack.com/services/T0/B0/x"),
            Ok(Some("https://hooks.slack.com/services/T0/B0/x".to_owned()))
        );
        assert!(check_webhook_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_webhook_url("http://localhost/hook").is_ok());
        assert!(check_webhook_url("http://[::1]:9/hook").is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "ftp://example.com",
            "hooks.slack.com/x",
            "https://",
            "https://user:pw@example.com/",
            "http://127.0.0.1.evil.example@10.0.0.1/",
            "http://127.0.0.1.evil.example/",
            "https://exa mple.com",
        ] {
            assert_eq!(
                check_webhook_url(bad).unwrap_err().field,
                "webhook_url",
                "{bad}"
            );
        }
    }

    #[test]
    fn retries_back_off_doubling_up_to_an_hour() {
        let base = Duration::from_secs(60);
        assert_eq!(retry_after(1, base), Duration::from_secs(60));
        assert_eq!(retry_after(2, base), Duration::from_secs(120));
        assert_eq!(retry_after(3, base), Duration::from_secs(240));
        assert_eq!(retry_after(40, base), Duration::from_secs(3600));
    }
}
