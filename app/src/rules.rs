//! The OKR rules: progress, rollups and how values read. Plain functions,
//! shared by the server and the browser.

use entity::{ConfidenceLevel, Unit};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

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

/// A progress figure as a whole percentage: `30%`, `125%`, `-10%`.
pub fn format_percent(progress: f64) -> String {
    format!("{:.0}%", progress * 100.0)
}

/// A value as people read it in its unit: `$12.4M`, `3.1%`, `13.5 pp`, `5,000`.
pub fn format_value(unit: Unit, value: Decimal) -> String {
    match unit {
        Unit::Percent => format!("{}%", plain(value)),
        Unit::PercentagePoints => format!("{} pp", plain(value)),
        Unit::Count => grouped(value),
        Unit::Dollars => dollars(value),
    }
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
        assert_eq!(format_value(Unit::Count, d("1234567.5")), "1,234,567.5");
        assert_eq!(format_value(Unit::Count, d("-1234")), "-1,234");
        assert_eq!(format_value(Unit::Count, d("999")), "999");
    }
}
