//! An inline SVG sparkline of a key result's check-ins, with its target:
//! written into the dashboard's markup, with no script.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::dashboard_rows::text;
use super::widgets::Scale;
use crate::model::KeyResultView;

const WIDTH: f64 = 168.0;
const HEIGHT: f64 = 44.0;
const PAD: f64 = 5.0;

/// Where things go in a `width` × `height` box: one (x, y) per value, evenly
/// spaced, and the height of the target line. The vertical [`Scale`] spans
/// the values, the start and the target, so the gap to the target shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    pub points: Vec<(f64, f64)>,
    pub target_y: f64,
}

pub fn geometry(
    values: &[f64],
    start: f64,
    target: f64,
    width: f64,
    height: f64,
    pad: f64,
) -> Geometry {
    let scale = Scale::spanning(
        values.iter().copied().chain([start, target]),
        0.0,
        pad,
        height - pad,
    );
    let x = |index: usize| match values.len() {
        0 | 1 => width / 2.0,
        n => pad + index as f64 / (n - 1) as f64 * (width - 2.0 * pad),
    };
    Geometry {
        points: values
            .iter()
            .enumerate()
            .map(|(i, v)| (x(i), scale.y(*v)))
            .collect(),
        target_y: scale.y(target),
    }
}

/// Static markup: one polyline and the target line, and a summary for
/// screen readers ("4 check-ins, $8.2M to $9.1M; target $15M"). The key
/// result page's chart has the point-by-point readout. Its size comes from
/// the CSS (.sparkline); the dashed target line is its `<path>`, the
/// check-ins its `<polyline>`, the newest one a dot in its confidence's
/// colour.
pub fn write_sparkline(out: &mut String, key_result: &KeyResultView) {
    let values: Vec<f64> = key_result
        .check_ins
        .iter()
        .map(|point| place(point.value))
        .collect();
    let shape = geometry(
        &values,
        place(key_result.start_value),
        place(key_result.target_value),
        WIDTH,
        HEIGHT,
        PAD,
    );
    let _ = write!(
        out,
        r#"<svg class="sparkline" role="img" viewBox="0 0 {WIDTH} {HEIGHT}"><title>"#
    );
    text(out, &summary(key_result));
    let _ = write!(
        out,
        r#"</title><path d="M0 {}H{WIDTH}"></path><polyline points=""#,
        whole(shape.target_y)
    );
    // One string for the whole line ("5,38 84,35 163,31"), its numbers
    // written without the formatting machinery: a long history has
    // thousands of them on a page.
    let mut number = itoa::Buffer::new();
    for (index, (x, y)) in shape.points.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(number.format(whole(*x)));
        out.push(',');
        out.push_str(number.format(whole(*y)));
    }
    out.push_str(r#""></polyline>"#);
    if let Some((point, (x, y))) = key_result.check_ins.last().zip(shape.points.last()) {
        let _ = write!(
            out,
            r#"<circle class="confidence-{}" cx="{}" cy="{}" r="3"></circle>"#,
            point_class(point.confidence),
            whole(*x),
            whole(*y)
        );
    }
    out.push_str("</svg>");
}

/// A value as a float to place it by: its digits over its scale's power
/// of ten. Close enough for whole-pixel coordinates, and a fraction of the
/// cost of `Decimal::to_f64`'s exact conversion, which a long history pays
/// for thousands of points a page.
fn place(value: Decimal) -> f64 {
    value.mantissa() as f64 / 10f64.powi(value.scale() as i32)
}

/// A coordinate as the whole number `{:.0}` prints (ties to even), without
/// formatting a float: a long history has thousands of them on a page. The
/// box keeps every coordinate between 0 and its width.
fn whole(coordinate: f64) -> i64 {
    coordinate.round_ties_even() as i64
}

/// What a sparkline shows, in words.
pub fn summary(key_result: &KeyResultView) -> String {
    let target = key_result.format(key_result.target_value);
    match (key_result.check_ins.first(), key_result.check_ins.last()) {
        (Some(only), _) if key_result.check_ins.len() == 1 => {
            format!(
                "1 check-in, {}; target {target}",
                key_result.format(only.value)
            )
        }
        (Some(first), Some(last)) => format!(
            "{} check-ins, {} to {}; target {target}",
            key_result.check_ins.len(),
            key_result.format(first.value),
            key_result.format(last.value),
        ),
        _ => format!("No check-ins yet; target {target}"),
    }
}

fn point_class(level: domain::ConfidenceLevel) -> &'static str {
    match level {
        domain::ConfidenceLevel::Red => "red",
        domain::ConfidenceLevel::Amber => "amber",
        domain::ConfidenceLevel::Green => "green",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_placed_as_their_exact_float_would_be() {
        use rust_decimal::prelude::ToPrimitive;
        for text in [
            "0",
            "1",
            "-1",
            "0.5",
            "12.5",
            "8200000.00",
            "-42.125",
            "99.99",
            "0.0000000001",
            "123456789012345678.9",
            "79228162514264337593543950335",
            "-0.0000000000000000000000000001",
        ] {
            let value: Decimal = text.parse().unwrap();
            let exact = value.to_f64().unwrap();
            let placed = place(value);
            assert!(
                (placed - exact).abs() <= exact.abs() * 1e-12,
                "{text}: {placed} against {exact}"
            );
        }
    }

    #[test]
    fn whole_coordinates_print_as_rounding_the_float_would() {
        for coordinate in [
            0.0, 0.4, 0.5, 1.5, 2.5, 37.49, 37.5, 38.5, 83.999, 163.0, 167.5,
        ] {
            assert_eq!(
                whole(coordinate).to_string(),
                format!("{coordinate:.0}"),
                "{coordinate}"
            );
        }
    }

    #[test]
    fn points_spread_evenly_and_the_scale_includes_the_target() {
        let shape = geometry(&[2.0, 3.0], 2.0, 4.0, 100.0, 50.0, 5.0);
        assert_eq!(shape.points[0].0, 5.0);
        assert_eq!(shape.points[1].0, 95.0);
        // Highest of values/start/target (the target) is at the top…
        assert_eq!(shape.target_y, 5.0);
        // …and the lowest at the bottom.
        assert_eq!(shape.points[0].1, 45.0);
        assert_eq!(shape.points[1].1, 25.0);
    }

    #[test]
    fn a_falling_key_result_has_its_target_at_the_bottom() {
        let shape = geometry(&[15.0, 14.0], 15.0, 12.0, 100.0, 50.0, 5.0);
        assert_eq!(shape.target_y, 45.0);
        assert!(shape.points[1].1 > shape.points[0].1);
    }

    #[test]
    fn a_single_point_sits_in_the_middle() {
        let shape = geometry(&[7.0], 7.0, 7.0, 100.0, 50.0, 5.0);
        assert_eq!(shape.points, vec![(50.0, 25.0)]);
        assert_eq!(shape.target_y, 25.0);
    }

    fn key_result(values: &[&str]) -> KeyResultView {
        use rust_decimal::Decimal;
        let decimal = |text: &str| text.parse::<Decimal>().expect("a decimal");
        KeyResultView {
            id: uuid::Uuid::nil(),
            title: "APAC revenue".into(),
            owner: "Lisa Wang".into(),
            owner_id: uuid::Uuid::nil(),
            unit: domain::Unit::Dollars,
            direction: domain::Direction::Up,
            start_value: decimal("8000000"),
            target_value: decimal("15000000"),
            current_value: values
                .last()
                .map(|value| decimal(value))
                .unwrap_or_default(),
            check_ins: values
                .iter()
                .enumerate()
                .map(|(day, value)| crate::model::CheckInPoint {
                    value: decimal(value),
                    confidence: domain::ConfidenceLevel::Green,
                    created_at: chrono::NaiveDate::from_ymd_opt(2025, 1, 6 + day as u32)
                        .expect("a date")
                        .and_hms_opt(9, 0, 0)
                        .expect("a time"),
                })
                .collect(),
        }
    }

    #[test]
    fn the_markup_has_one_line_the_target_and_the_newest_point() {
        let mut out = String::new();
        write_sparkline(&mut out, &key_result(&["8200000", "8600000", "9100000"]));
        assert_eq!(
            out,
            concat!(
                r#"<svg class="sparkline" role="img" viewBox="0 0 168 44">"#,
                "<title>3 check-ins, $8.2M to $9.1M; target $15M</title>",
                r#"<path d="M0 5H168"></path>"#,
                r#"<polyline points="5,38 84,36 163,34"></polyline>"#,
                r#"<circle class="confidence-green" cx="163" cy="34" r="3"></circle></svg>"#
            )
        );
        let mut empty = String::new();
        write_sparkline(&mut empty, &key_result(&[]));
        assert!(
            empty.contains(r#"<polyline points=""></polyline></svg>"#),
            "{empty}"
        );
        assert!(!empty.contains("<circle"), "{empty}");
    }

    #[test]
    fn the_summary_says_how_many_check_ins_from_where_to_where() {
        assert_eq!(
            summary(&key_result(&["8200000", "8600000", "9100000"])),
            "3 check-ins, $8.2M to $9.1M; target $15M"
        );
        assert_eq!(
            summary(&key_result(&["8300000"])),
            "1 check-in, $8.3M; target $15M"
        );
        assert_eq!(summary(&key_result(&[])), "No check-ins yet; target $15M");
    }
}
