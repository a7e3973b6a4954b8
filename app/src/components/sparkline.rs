//! An inline SVG sparkline of a key result's check-ins, with its target.
//! Server-rendered as a complete picture; once hydrated, hovering or focusing
//! (Tab) a point reads out its date and value.

use leptos::prelude::*;
use rust_decimal::prelude::ToPrimitive;

use super::format_date;
use crate::model::KeyResultView;

const WIDTH: f64 = 168.0;
const HEIGHT: f64 = 44.0;
const PAD: f64 = 5.0;

/// Where things go in a `width` × `height` box: one (x, y) per value, evenly
/// spaced, and the height of the target line. The vertical scale spans the
/// values, the start and the target, so the gap to the target shows.
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
    let (low, high) = values
        .iter()
        .chain([start, target].iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| {
            (low.min(*v), high.max(*v))
        });
    let span = high - low;
    let y = |value: f64| {
        if span > 0.0 {
            pad + (high - value) / span * (height - 2.0 * pad)
        } else {
            height / 2.0
        }
    };
    let x = |index: usize| match values.len() {
        0 | 1 => width / 2.0,
        n => pad + index as f64 / (n - 1) as f64 * (width - 2.0 * pad),
    };
    Geometry {
        points: values
            .iter()
            .enumerate()
            .map(|(i, v)| (x(i), y(*v)))
            .collect(),
        target_y: y(target),
    }
}

#[component]
pub fn Sparkline(key_result: KeyResultView) -> impl IntoView {
    let values: Vec<f64> = key_result
        .check_ins
        .iter()
        .map(|point| point.value.to_f64().unwrap_or_default())
        .collect();
    let shape = geometry(
        &values,
        key_result.start_value.to_f64().unwrap_or_default(),
        key_result.target_value.to_f64().unwrap_or_default(),
        WIDTH,
        HEIGHT,
        PAD,
    );
    let labels: Vec<String> = key_result
        .check_ins
        .iter()
        .map(|point| {
            format!(
                "{}: {}",
                format_date(point.created_at),
                key_result.format(point.value)
            )
        })
        .collect();
    let title = match (key_result.check_ins.first(), key_result.check_ins.last()) {
        (Some(first), Some(last)) => format!(
            "Trend of {} check-ins, from {} to {}; target {}",
            key_result.check_ins.len(),
            key_result.format(first.value),
            key_result.format(last.value),
            key_result.format(key_result.target_value),
        ),
        _ => format!(
            "No check-ins yet; target {}",
            key_result.format(key_result.target_value)
        ),
    };
    let title_id = format!("spark-title-{}", key_result.id);
    let labelled_by = title_id.clone();
    let line: String = shape
        .points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");

    let selected = RwSignal::new(None::<usize>);
    let readout_labels = labels.clone();
    let readout = move || {
        selected
            .get()
            .and_then(|index| readout_labels.get(index).cloned())
    };

    let circles = key_result
        .check_ins
        .iter()
        .zip(shape.points.iter())
        .enumerate()
        .map(|(index, (point, (x, y)))| {
            let base = format!("spark-point confidence-{}", point_class(point.confidence));
            let class = move || {
                if selected.get() == Some(index) {
                    format!("{base} selected")
                } else {
                    base.clone()
                }
            };
            view! {
                <circle
                    data-testid="spark-point"
                    data-date=point.created_at.format("%Y-%m-%d").to_string()
                    data-value=point.value.normalize().to_string()
                    class=class
                    cx=format!("{x:.1}")
                    cy=format!("{y:.1}")
                    r="3.2"
                    tabindex="0"
                    on:mouseenter=move |_| selected.set(Some(index))
                    on:focus=move |_| selected.set(Some(index))
                    on:blur=move |_| selected.set(None)
                >
                    <title>{labels[index].clone()}</title>
                </circle>
            }
        })
        .collect_view();

    view! {
        <div class="spark">
            <svg
                data-testid="sparkline"
                class="sparkline"
                role="img"
                aria-labelledby=labelled_by
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                width=WIDTH.to_string()
                height=HEIGHT.to_string()
                on:mouseleave=move |_| selected.set(None)
            >
                <title id=title_id>{title}</title>
                <line
                    data-testid="sparkline-target"
                    class="spark-target"
                    x1="0"
                    x2=WIDTH.to_string()
                    y1=format!("{:.1}", shape.target_y)
                    y2=format!("{:.1}", shape.target_y)
                />
                <polyline class="spark-line" points=line />
                {circles}
            </svg>
            <p class="spark-readout" data-testid="spark-readout" aria-live="polite">
                {readout}
            </p>
        </div>
    }
}

fn point_class(level: entity::ConfidenceLevel) -> &'static str {
    match level {
        entity::ConfidenceLevel::Red => "red",
        entity::ConfidenceLevel::Amber => "amber",
        entity::ConfidenceLevel::Green => "green",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
