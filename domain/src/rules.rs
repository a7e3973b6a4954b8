//! The OKR rules: progress, rollups and how values read. Plain functions,
//! shared by the server and the browser.

use crate::enums::{ConfidenceLevel, Direction, Unit};
use crate::invalid::Invalid;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

/// A key result is behind pace when its progress trails the share of the
/// quarter elapsed by more than this.
pub const BEHIND_PACE_MARGIN: f64 = 0.15;
/// A key result is stale after this many days without a check-in.
pub const STALE_AFTER_DAYS: i64 = 7;

/// How far a key result has come from its start towards its target:
/// `(current − start) / (target − start)`. The same formula serves both
/// directions, since a falling key result has its target below its start.
/// `None` when start equals target, which has no meaningful progress.
pub fn progress(start: Decimal, target: Decimal, current: Decimal) -> Option<f64> {
    let span = target - start;
    if span.is_zero() {
        return None;
    }
    ((current - start) / span).to_f64()
}

/// Progress bounded to [0, 1], as rollups and bars use it.
pub fn clamped(progress: f64) -> f64 {
    progress.clamp(0.0, 1.0)
}

/// The mean of clamped progress: an objective's rollup of its key results.
pub fn rollup(progresses: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, count) = progresses
        .into_iter()
        .fold((0.0, 0usize), |(sum, count), p| {
            (sum + clamped(p), count + 1)
        });
    (count > 0).then(|| sum / count as f64)
}

/// The worst of several confidences, which is what an objective reports.
pub fn worst_confidence(
    levels: impl IntoIterator<Item = ConfidenceLevel>,
) -> Option<ConfidenceLevel> {
    levels.into_iter().min()
}

/// The Net Confidence Score of a set of latest confidences: the percentage
/// that are Green minus the percentage that are Red, from −100 to 100.
pub fn net_confidence_score(levels: impl IntoIterator<Item = ConfidenceLevel>) -> Option<f64> {
    let (green, red, total) = levels
        .into_iter()
        .fold((0, 0, 0), |(g, r, t), level| match level {
            ConfidenceLevel::Green => (g + 1, r, t + 1),
            ConfidenceLevel::Red => (g, r + 1, t + 1),
            ConfidenceLevel::Amber => (g, r, t + 1),
        });
    (total > 0).then(|| (green as f64 - red as f64) * 100.0 / total as f64)
}

/// The expected progress on `as_of`: the fraction of the quarter elapsed,
/// from 0 on its first day to 1 on its last.
pub fn expected_progress(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> f64 {
    let length = (end - start).num_days();
    if length <= 0 {
        return if as_of >= end { 1.0 } else { 0.0 };
    }
    ((as_of - start).num_days() as f64 / length as f64).clamp(0.0, 1.0)
}

/// Progress more than `BEHIND_PACE_MARGIN` short of what the calendar expects.
pub fn is_behind_pace(progress: f64, expected: f64) -> bool {
    progress < expected - BEHIND_PACE_MARGIN
}

/// The confidence pace alone suggests: Green at or ahead of the calendar,
/// Amber behind it by at most [`BEHIND_PACE_MARGIN`], Red behind pace. The
/// demo's check-ins are as confident as this.
pub fn confidence_from_pace(progress: f64, expected: f64) -> ConfidenceLevel {
    if progress >= expected {
        ConfidenceLevel::Green
    } else if is_behind_pace(progress, expected) {
        ConfidenceLevel::Red
    } else {
        ConfidenceLevel::Amber
    }
}

/// Progress against the calendar in words: "Behind pace: 20% done, 60% of
/// the quarter gone".
pub fn pace_sentence(progress: Option<f64>, expected: f64) -> String {
    let Some(progress) = progress else {
        return "No progress can be measured: start and target are equal".to_owned();
    };
    let verdict = if is_behind_pace(progress, expected) {
        "Behind pace"
    } else {
        "Keeping pace"
    };
    format!(
        "{verdict}: {} done, {} of the quarter gone",
        format_percent(progress),
        format_percent(expected)
    )
}

/// No check-in for `STALE_AFTER_DAYS` days or more (or none at all).
pub fn is_stale(last_check_in: Option<NaiveDate>, as_of: NaiveDate) -> bool {
    last_check_in.is_none_or(|last| (as_of - last).num_days() >= STALE_AFTER_DAYS)
}

/// Where a key result's check-ins point by the quarter's end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// The least-squares line's value on the quarter's last day.
    pub value: Decimal,
    /// The progress that value would mean.
    pub progress: f64,
    /// The line does not reach the target by the end of the quarter.
    pub off_pace: bool,
    /// The fitted line: value at the quarter's start, and change per day.
    pub intercept: f64,
    pub slope_per_day: f64,
}

/// Why there is no forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoForecast {
    /// Fewer than two check-ins: a line needs two points.
    TooFewCheckIns,
    /// All check-ins at the same moment: no trend to extend.
    NoTimeSpread,
}

/// Fits a least-squares line through the check-ins (time in days from the
/// quarter's start, value) and reads it on the quarter's last day.
pub fn forecast(
    check_ins: &[(NaiveDateTime, Decimal)],
    quarter_start: NaiveDate,
    quarter_end: NaiveDate,
    start_value: Decimal,
    target_value: Decimal,
) -> Result<Forecast, NoForecast> {
    if check_ins.len() < 2 {
        return Err(NoForecast::TooFewCheckIns);
    }
    let origin = quarter_start.and_time(chrono::NaiveTime::MIN);
    let points: Vec<(f64, f64)> = check_ins
        .iter()
        .map(|(at, value)| {
            let days = (*at - origin).num_seconds() as f64 / 86_400.0;
            (days, value.to_f64().unwrap_or_default())
        })
        .collect();
    let n = points.len() as f64;
    let mean_x = points.iter().map(|(x, _)| x).sum::<f64>() / n;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / n;
    let spread: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    if spread < 1e-9 {
        return Err(NoForecast::NoTimeSpread);
    }
    let slope = points
        .iter()
        .map(|(x, y)| (x - mean_x) * (y - mean_y))
        .sum::<f64>()
        / spread;
    let intercept = mean_y - slope * mean_x;
    let end_x = (quarter_end - quarter_start).num_days() as f64;
    let projected = intercept + slope * end_x;
    let value = Decimal::from_f64(projected)
        .unwrap_or_default()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let progress = progress(start_value, target_value, value).unwrap_or_default();
    Ok(Forecast {
        value,
        progress,
        off_pace: progress < 1.0,
        intercept,
        slope_per_day: slope,
    })
}

/// The forecast in words: "on pace to reach 3.5% of 3.5% by Mar 31".
pub fn forecast_sentence(
    outcome: Result<Forecast, NoForecast>,
    unit: Unit,
    target_value: Decimal,
    quarter_end: NaiveDate,
) -> String {
    let by = quarter_end.format("%b %-d");
    match outcome {
        Ok(forecast) if !forecast.off_pace => format!(
            "On pace to reach {} of {} by {by}",
            format_value(unit, forecast.value),
            format_value(unit, target_value)
        ),
        Ok(forecast) => format!(
            "Off pace: heading for {} of {} by {by}",
            format_value(unit, forecast.value),
            format_value(unit, target_value)
        ),
        Err(NoForecast::TooFewCheckIns) => {
            "Not enough check-ins to forecast yet: it takes at least 2".to_owned()
        }
        Err(NoForecast::NoTimeSpread) => {
            "No forecast: all check-ins are from the same moment".to_owned()
        }
    }
}

/// A progress figure as a whole percentage: `30%`, `125%`, `-10%`.
pub fn format_percent(progress: f64) -> String {
    format!("{:.0}%", progress * 100.0)
}

/// A value as people read it in its unit: `$12.4M`, `3.1%`, `13.5 pp`,
/// `5,000`. Counts are whole things: 23.7 accounts read `24`.
pub fn format_value(unit: Unit, value: Decimal) -> String {
    let value = shown(unit, value);
    match unit {
        Unit::Percent => format!("{}%", plain(value)),
        Unit::PercentagePoints => format!("{} pp", plain(value)),
        Unit::Count => grouped(value),
        Unit::Dollars => dollars(value),
    }
}

/// The value [`format_value`] shows: counts rounded to whole numbers (half
/// away from zero), anything else as it is.
pub fn shown(unit: Unit, value: Decimal) -> Decimal {
    match unit {
        Unit::Count => {
            let mut whole = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            // -0.4 rounds to a negative zero, which would print as "-0".
            if whole.is_zero() {
                whole.set_sign_positive(true);
            }
            whole
        }
        _ => value,
    }
}

/// A difference between two values of `unit`: the gap between two
/// percentages is in percentage points (16.42% − 0.5% is `15.92 pp`, not
/// `15.92%`).
pub fn format_difference(unit: Unit, difference: Decimal) -> String {
    match unit {
        Unit::Percent => format_value(Unit::PercentagePoints, difference),
        unit => format_value(unit, difference),
    }
}

/// The forecast for the quarter's end, against the final value as shown:
/// `88.92% (final 16.42 pp below)`, `24 (as forecast)`.
pub fn forecast_against_final(unit: Unit, forecast: Decimal, final_value: Decimal) -> String {
    // Compared as shown, so a count forecast of 23.7 that ends at 24 reads
    // "as forecast", not "final 0 above".
    let gap = shown(unit, final_value) - shown(unit, forecast);
    let versus = if gap.is_zero() {
        "as forecast".to_owned()
    } else {
        let side = if gap.is_sign_positive() {
            "above"
        } else {
            "below"
        };
        format!("final {} {side}", format_difference(unit, gap.abs()))
    };
    format!("{} ({versus})", format_value(unit, forecast))
}

/// Decimal digits without trailing zeros: 3.10 → `3.1`, 5000.00 → `5000`.
fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Thousands separated, trailing zeros dropped: `5,000`, `-1,234.5`.
fn grouped(value: Decimal) -> String {
    let text = plain(value);
    let (sign, unsigned) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, fraction) = unsigned
        .split_once('.')
        .map_or((unsigned, None), |(w, f)| (w, Some(f)));
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{out}.{fraction}"),
        None => format!("{sign}{out}"),
    }
}

fn dollars(value: Decimal) -> String {
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let magnitude = value.abs();
    let scaled = |divisor: i64, suffix: &str| {
        let short = (magnitude / Decimal::from(divisor))
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
        format!("{sign}${}{suffix}", plain(short))
    };
    if magnitude >= Decimal::from(1_000_000_000) {
        scaled(1_000_000_000, "B")
    } else if magnitude >= Decimal::from(1_000_000) {
        scaled(1_000_000, "M")
    } else if magnitude >= Decimal::from(10_000) {
        scaled(1_000, "K")
    } else {
        format!("{sign}${}", grouped(magnitude))
    }
}

/// Which way a key result moves, from its start and target: up when the
/// target is above the start, down when below. Equal values have no
/// direction and are refused, naming both fields.
pub fn direction_of(start: Decimal, target: Decimal) -> Result<Direction, Invalid> {
    if target > start {
        Ok(Direction::Up)
    } else if target < start {
        Ok(Direction::Down)
    } else {
        Err(Invalid::new(
            "target_value",
            format!(
                "must differ from the start value: start and target are both {}",
                start.normalize()
            ),
        ))
    }
}

/// Whether `value` may be a value of a key result measured in `unit` that
/// moves from `start` to `target`. Counts (`#`) and dollars (`$`) do not go
/// below zero, unless the key result itself starts or aims below zero (a
/// loss to shrink, say); percentages and points may be negative. `field`
/// names where the value came from.
pub fn check_sign(
    field: &str,
    unit: Unit,
    start: Decimal,
    target: Decimal,
    value: Decimal,
) -> Result<(), Invalid> {
    let never_negative = matches!(unit, Unit::Count | Unit::Dollars);
    if never_negative && value < Decimal::ZERO && start >= Decimal::ZERO && target >= Decimal::ZERO
    {
        let what = if unit == Unit::Count {
            "a count"
        } else {
            "an amount in dollars"
        };
        return Err(Invalid::new(
            field,
            format!(
                "{} is below zero, and this key result is {what} from {} to {}",
                value.normalize(),
                format_value(unit, start),
                format_value(unit, target)
            ),
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn progress_is_the_share_of_the_way_from_start_to_target() {
        assert_eq!(progress(d("2.8"), d("3.5"), d("3.15")), Some(0.5));
        assert_eq!(progress(d("0"), d("25"), d("25")), Some(1.0));
    }

    #[test]
    fn progress_works_for_key_results_that_should_go_down() {
        // 15% → 12%: reaching 14.4 is a fifth of the way.
        assert_eq!(progress(d("15"), d("12"), d("14.4")), Some(0.2));
        // Rising instead of falling is negative progress.
        assert_eq!(progress(d("90"), d("60"), d("93")), Some(-0.1));
    }

    #[test]
    fn progress_keeps_overachievement_and_regression_visible() {
        assert_eq!(progress(d("0"), d("20"), d("25")), Some(1.25));
        assert_eq!(progress(d("10"), d("20"), d("9")), Some(-0.1));
        assert_eq!(format_percent(1.25), "125%");
        assert_eq!(format_percent(-0.1), "-10%");
    }

    #[test]
    fn progress_is_undefined_when_start_equals_target() {
        assert_eq!(progress(d("5"), d("5"), d("6")), None);
    }

    #[test]
    fn rollups_average_clamped_progress() {
        assert_eq!(rollup([1.5, 0.5, -0.5]), Some(0.5));
        assert_eq!(rollup([]), None);
    }

    #[test]
    fn the_worst_confidence_wins() {
        use ConfidenceLevel::*;
        assert_eq!(worst_confidence([Green, Amber, Green]), Some(Amber));
        assert_eq!(worst_confidence([Green, Red, Amber]), Some(Red));
        assert_eq!(worst_confidence([]), None);
    }

    #[test]
    fn values_read_naturally_in_their_unit() {
        assert_eq!(format_value(Unit::Dollars, d("12400000")), "$12.4M");
        assert_eq!(format_value(Unit::Dollars, d("12000000.00")), "$12M");
        assert_eq!(format_value(Unit::Dollars, d("13450000")), "$13.5M");
        assert_eq!(format_value(Unit::Dollars, d("2500000000")), "$2.5B");
        assert_eq!(format_value(Unit::Dollars, d("45000")), "$45K");
        assert_eq!(format_value(Unit::Dollars, d("9500.5")), "$9,500.5");
        assert_eq!(format_value(Unit::Percent, d("3.10")), "3.1%");
        assert_eq!(format_value(Unit::PercentagePoints, d("13.5")), "13.5 pp");
        assert_eq!(format_value(Unit::Count, d("5000.00")), "5,000");
        assert_eq!(format_value(Unit::Count, d("-1234")), "-1,234");
        assert_eq!(format_value(Unit::Count, d("999")), "999");
    }

    #[test]
    fn counts_read_as_whole_numbers() {
        assert_eq!(format_value(Unit::Count, d("23.7")), "24");
        assert_eq!(format_value(Unit::Count, d("23.70")), "24");
        assert_eq!(format_value(Unit::Count, d("1234567.5")), "1,234,568");
        assert_eq!(format_value(Unit::Count, d("2.5")), "3");
        assert_eq!(format_value(Unit::Count, d("-2.5")), "-3");
        assert_eq!(format_value(Unit::Count, d("-0.4")), "0");
        // Other units keep their decimals.
        assert_eq!(format_value(Unit::Percent, d("23.7")), "23.7%");
        assert_eq!(format_value(Unit::Dollars, d("23.7")), "$23.7");
    }

    #[test]
    fn a_difference_of_percentages_is_in_percentage_points() {
        assert_eq!(format_difference(Unit::Percent, d("16.42")), "16.42 pp");
        assert_eq!(
            format_difference(Unit::PercentagePoints, d("1.5")),
            "1.5 pp"
        );
        assert_eq!(format_difference(Unit::Count, d("3.2")), "3");
        assert_eq!(format_difference(Unit::Dollars, d("45000")), "$45K");
    }

    #[test]
    fn the_forecast_against_the_final_value() {
        assert_eq!(
            forecast_against_final(Unit::Percent, d("88.92"), d("72.5")),
            "88.92% (final 16.42 pp below)"
        );
        assert_eq!(
            forecast_against_final(Unit::Percent, d("3.1"), d("3.5")),
            "3.1% (final 0.4 pp above)"
        );
        assert_eq!(
            forecast_against_final(Unit::Count, d("23.7"), d("20")),
            "24 (final 4 below)"
        );
        // Counts compare as shown: 23.7 is 24.
        assert_eq!(
            forecast_against_final(Unit::Count, d("23.7"), d("24")),
            "24 (as forecast)"
        );
        assert_eq!(
            forecast_against_final(Unit::Dollars, d("9000000"), d("9500000")),
            "$9M (final $500K above)"
        );
    }

    #[test]
    fn a_count_forecast_reads_in_whole_numbers() {
        let check_ins = [(at(1, 1), d("10")), (at(1, 15), d("12.1"))];
        let outcome = forecast(&check_ins, day(1, 1), day(3, 31), d("10"), d("40"));
        let sentence = forecast_sentence(outcome, Unit::Count, d("40"), day(3, 31));
        assert!(
            sentence.starts_with("Off pace: heading for 23 of 40"),
            "{sentence}"
        );
    }

    fn day(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, month, day).unwrap()
    }

    fn at(month: u32, d: u32) -> NaiveDateTime {
        day(month, d).and_hms_opt(9, 0, 0).unwrap()
    }

    #[test]
    fn expected_progress_is_the_share_of_the_quarter_elapsed() {
        let (start, end) = (day(1, 1), day(3, 31));
        assert_eq!(expected_progress(start, end, start), 0.0);
        assert_eq!(expected_progress(start, end, end), 1.0);
        assert!((expected_progress(start, end, day(2, 14)) - 44.0 / 89.0).abs() < 1e-12);
        // Before and after the quarter it stays within 0..=1.
        assert_eq!(
            expected_progress(start, end, day(1, 1).pred_opt().unwrap()),
            0.0
        );
        assert_eq!(
            expected_progress(start, end, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            1.0
        );
    }

    #[test]
    fn behind_pace_means_more_than_15_points_behind_the_calendar() {
        assert!(!is_behind_pace(0.40, 0.50));
        assert!(!is_behind_pace(0.35, 0.50));
        assert!(is_behind_pace(0.34, 0.50));
        // Direction down works through progress: 15 → 12 at 14.7 is 10%.
        let p = progress(d("15"), d("12"), d("14.7")).unwrap();
        assert!(is_behind_pace(p, 0.5));
    }

    #[test]
    fn pace_in_words() {
        assert_eq!(
            pace_sentence(Some(0.2), 0.6),
            "Behind pace: 20% done, 60% of the quarter gone"
        );
        assert_eq!(
            pace_sentence(Some(0.5), 0.6),
            "Keeping pace: 50% done, 60% of the quarter gone"
        );
        assert!(pace_sentence(None, 0.6).starts_with("No progress"));
    }

    #[test]
    fn stale_after_seven_days_without_a_check_in() {
        assert!(!is_stale(Some(day(1, 20)), day(1, 26)));
        assert!(is_stale(Some(day(1, 20)), day(1, 27)));
        assert!(is_stale(None, day(1, 2)));
    }

    #[test]
    fn net_confidence_score_is_percent_green_minus_percent_red() {
        use ConfidenceLevel::*;
        assert_eq!(net_confidence_score([Green, Green, Amber, Red]), Some(25.0));
        assert_eq!(net_confidence_score([Red]), Some(-100.0));
        assert_eq!(net_confidence_score([]), None);
    }

    #[test]
    fn forecast_extends_a_straight_line_to_the_quarter_end() {
        // +0.1 a week from 2.8 on Jan 1: by Mar 31 (day 89) about 4.07.
        let check_ins = [
            (at(1, 1), d("2.8")),
            (at(1, 8), d("2.9")),
            (at(1, 15), d("3.0")),
        ];
        let forecast = forecast(&check_ins, day(1, 1), day(3, 31), d("2.8"), d("3.5")).unwrap();
        assert!((forecast.slope_per_day - 0.1 / 7.0).abs() < 1e-9);
        assert_eq!(forecast.value, d("4.07"));
        assert!(!forecast.off_pace);
        assert!(forecast.progress > 1.0);
        assert_eq!(
            forecast_sentence(Ok(forecast), Unit::Percent, d("3.5"), day(3, 31)),
            "On pace to reach 4.07% of 3.5% by Mar 31"
        );
    }

    #[test]
    fn forecast_of_a_falling_key_result_that_stalls_is_off_pace() {
        let check_ins = [
            (at(1, 6), d("90")),
            (at(1, 13), d("89.5")),
            (at(1, 20), d("89")),
        ];
        let forecast = forecast(&check_ins, day(1, 1), day(3, 31), d("90"), d("60")).unwrap();
        assert!(forecast.off_pace);
        assert!(forecast.value < d("90") && forecast.value > d("60"));
        assert!(
            forecast_sentence(Ok(forecast), Unit::Count, d("60"), day(3, 31))
                .starts_with("Off pace")
        );
    }

    #[test]
    fn forecast_needs_two_check_ins_at_different_times() {
        let one = [(at(1, 6), d("90"))];
        assert_eq!(
            forecast(&one, day(1, 1), day(3, 31), d("90"), d("60")),
            Err(NoForecast::TooFewCheckIns)
        );
        let same_time = [(at(1, 6), d("90")), (at(1, 6), d("91"))];
        assert_eq!(
            forecast(&same_time, day(1, 1), day(3, 31), d("90"), d("60")),
            Err(NoForecast::NoTimeSpread)
        );
        assert!(
            forecast_sentence(
                Err(NoForecast::TooFewCheckIns),
                Unit::Count,
                d("60"),
                day(3, 31)
            )
            .contains("at least 2")
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn amount() -> impl Strategy<Value = Decimal> {
            (-1_000_000_000_i64..1_000_000_000).prop_map(|cents| Decimal::new(cents, 2))
        }

        proptest! {
            #[test]
            fn progress_is_zero_at_start_and_one_at_target(start in amount(), target in amount()) {
                prop_assume!(start != target);
                prop_assert_eq!(progress(start, target, start), Some(0.0));
                prop_assert_eq!(progress(start, target, target), Some(1.0));
            }

            #[test]
            fn moving_towards_the_target_never_lowers_progress(
                start in amount(), target in amount(), a in amount(), b in amount()
            ) {
                prop_assume!(start != target);
                // Order a and b so that b is at least as close to the target's side.
                let (near, far) = if (target > start) == (b >= a) { (b, a) } else { (a, b) };
                prop_assert!(progress(start, target, near).unwrap() >= progress(start, target, far).unwrap());
            }

            #[test]
            fn rollups_stay_within_zero_and_one(values in proptest::collection::vec(-5.0f64..5.0, 1..20)) {
                let r = rollup(values.iter().copied()).unwrap();
                prop_assert!((0.0..=1.0).contains(&r));
            }

            #[test]
            fn the_worst_confidence_is_one_of_them_and_no_better_than_any(
                levels in proptest::collection::vec(0i32..3, 1..10)
            ) {
                let levels: Vec<ConfidenceLevel> =
                    levels.into_iter().map(|l| ConfidenceLevel::try_from(l).unwrap()).collect();
                let worst = worst_confidence(levels.iter().copied()).unwrap();
                prop_assert!(levels.contains(&worst));
                prop_assert!(levels.iter().all(|level| worst <= *level));
            }

            #[test]
            fn net_confidence_score_stays_within_plus_minus_100(
                levels in proptest::collection::vec(0i32..3, 1..30)
            ) {
                let score = net_confidence_score(
                    levels.into_iter().map(|l| ConfidenceLevel::try_from(l).unwrap()),
                ).unwrap();
                prop_assert!((-100.0..=100.0).contains(&score));
            }

            #[test]
            fn a_forecast_through_points_on_a_line_recovers_the_line(
                start in -1000i64..1000, per_week in -50i64..50
            ) {
                let check_ins: Vec<(NaiveDateTime, Decimal)> = (0..4)
                    .map(|week| (at(1, 1) + chrono::Duration::weeks(week), Decimal::from(start + per_week * week)))
                    .collect();
                let f = forecast(&check_ins, day(1, 1), day(3, 31), Decimal::from(start), Decimal::from(start + 1)).unwrap();
                // The check-ins are at 09:00, so day 89 is 88.625 days after the first.
                let expected = start as f64 + per_week as f64 * 88.625 / 7.0;
                prop_assert!((f.value.to_f64().unwrap() - expected).abs() < 0.01);
            }

            #[test]
            fn formatted_counts_read_back_as_the_nearest_whole_number(cents in -100_000_000_000i64..100_000_000_000) {
                let value = Decimal::new(cents, 2);
                let text = format_value(Unit::Count, value);
                let read: Decimal = text.replace(',', "").parse().unwrap();
                prop_assert!(read.fract().is_zero());
                prop_assert!((read - value).abs() <= Decimal::new(5, 1));
            }
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
    fn reaching_depends_on_the_direction() {
        let d = |n: i64| Decimal::from(n);
        assert!(reached(Direction::Up, d(15), d(15)));
        assert!(!reached(Direction::Up, d(14), d(15)));
        assert!(reached(Direction::Down, d(11), d(12)));
        assert!(!reached(Direction::Down, d(13), d(12)));
    }

    #[test]
    fn counts_and_dollars_stay_at_or_above_zero_unless_the_key_result_does_not() {
        let d = |n: i64| Decimal::from(n);
        let refused = check_sign("value", Unit::Count, d(0), d(25), d(-5)).unwrap_err();
        assert_eq!(refused.field, "value");
        assert!(refused.message.contains("below zero"), "{refused}");
        assert!(check_sign("value", Unit::Dollars, d(10), d(20), d(-1)).is_err());
        assert!(check_sign("value", Unit::Count, d(0), d(25), d(0)).is_ok());
        // A loss to shrink: its values are below zero by design.
        assert!(check_sign("value", Unit::Dollars, d(-500), d(0), d(-300)).is_ok());
        assert!(check_sign("value", Unit::Count, d(5), d(-2), d(-1)).is_ok());
        // Rates and points move both ways.
        assert!(check_sign("value", Unit::Percent, d(2), d(5), d(-1)).is_ok());
        assert!(check_sign("value", Unit::PercentagePoints, d(0), d(3), d(-2)).is_ok());
    }

    #[test]
    fn confidence_from_pace_is_green_ahead_amber_close_behind_red_behind_pace() {
        assert_eq!(confidence_from_pace(0.30, 0.21), ConfidenceLevel::Green);
        assert_eq!(confidence_from_pace(0.21, 0.21), ConfidenceLevel::Green);
        assert_eq!(confidence_from_pace(0.10, 0.21), ConfidenceLevel::Amber);
        assert_eq!(confidence_from_pace(0.03, 0.21), ConfidenceLevel::Red);
    }

    #[test]
    fn a_quarter_is_over_after_its_last_day_or_once_archived() {
        let end = day_of(2025, 3, 31);
        assert!(!quarter_over(end, false, day_of(2025, 3, 30)));
        assert!(!quarter_over(end, false, end));
        assert!(quarter_over(end, false, day_of(2025, 4, 1)));
        assert!(quarter_over(end, true, day_of(2025, 2, 1)));
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

    fn day_of(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
}
