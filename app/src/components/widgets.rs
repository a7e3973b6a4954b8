//! Widgets the pages share: the error panels, the progress bar, the
//! confidence badge, and the vertical scale of the charts.

use domain::ConfidenceLevel;
use leptos::prelude::*;

use crate::error::AppError;
use domain::rules;

/// A page that could not be shown: what went wrong, in words, and the way
/// back.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let heading = match &error {
        AppError::NotFound(_) => "Not found",
        AppError::Unauthorized(_) => "Sign in to continue",
        AppError::Forbidden(_) => "Not allowed",
        AppError::Unavailable => "Database unavailable",
        _ => "Something went wrong",
    };
    view! {
        <section class="error-panel" role="alert">
            <h2>{heading}</h2>
            <p>{error.to_string()}</p>
            <p>
                <a href="/">"Back to the current quarter"</a>
            </p>
        </section>
    }
}

/// "Not allowed", with what the page needs (`what`).
pub fn forbidden_panel(what: &'static str) -> AnyView {
    view! {
        <section class="error-panel" role="alert" data-testid="forbidden">
            <h2>"Not allowed"</h2>
            <p>{what}</p>
            <p>
                <a href="/">"Back to the dashboard"</a>
            </p>
        </section>
    }
    .into_any()
}

/// What a page shows in place of its content when loading it failed: the
/// "Not allowed" panel for a forbidden error, the error panel for any other.
pub fn page_error(error: AppError, forbidden: &'static str) -> AnyView {
    match error {
        AppError::Forbidden(_) => forbidden_panel(forbidden),
        error => view! { <ErrorPanel error /> }.into_any(),
    }
}

/// A native progress bar (a share of 1, clamped to 0–1); the figure beside
/// it tells the true value.
#[component]
pub fn ProgressBar(progress: Option<f64>, label: &'static str) -> impl IntoView {
    let share = bar_share(progress);
    view! { <progress value=format!("{share:.2}") aria-label=label></progress> }
}

/// How full a progress bar is drawn: the progress clamped to 0–1 (a
/// regression is an empty bar, an overachievement a full one), and empty
/// when there is no progress to measure.
pub fn bar_share(progress: Option<f64>) -> f64 {
    progress.map(rules::clamped).unwrap_or(0.0)
}

/// The confidence in words; the CSS prefixes "Confidence: " for screen
/// readers only.
#[component]
pub fn ConfidenceBadge(
    level: Option<ConfidenceLevel>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let (class, text) = badge_class_and_words(level);
    view! {
        <span class=class data-testid=testid>
            {text}
        </span>
    }
}

/// A confidence badge's class and words.
pub fn badge_class_and_words(level: Option<ConfidenceLevel>) -> (&'static str, &'static str) {
    match level {
        Some(ConfidenceLevel::Green) => ("badge green", "Green"),
        Some(ConfidenceLevel::Amber) => ("badge amber", "Amber"),
        Some(ConfidenceLevel::Red) => ("badge red", "Red"),
        None => ("badge none", "No check-in"),
    }
}

/// A chart's vertical scale: values from `low` to `high` drawn between the
/// pixel rows `top` and `bottom`, the highest value at the top. The
/// dashboard's sparklines and the key result page's chart both place their
/// values with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub low: f64,
    pub high: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Scale {
    /// The scale that spans `values`, widened by `margin` (a share of their
    /// span) above and below. No values span 0 to 0.
    pub fn spanning(
        values: impl IntoIterator<Item = f64>,
        margin: f64,
        top: f64,
        bottom: f64,
    ) -> Scale {
        let (low, high) = values
            .into_iter()
            .filter(|value| value.is_finite())
            .fold(None, |range: Option<(f64, f64)>, value| {
                Some(range.map_or((value, value), |(low, high)| {
                    (low.min(value), high.max(value))
                }))
            })
            .unwrap_or((0.0, 0.0));
        let widen = (high - low) * margin;
        Scale {
            low: low - widen,
            high: high + widen,
            top,
            bottom,
        }
    }

    /// The pixel row of `value`; the middle when every value is the same.
    pub fn y(&self, value: f64) -> f64 {
        let span = self.high - self.low;
        if span > 0.0 {
            self.top + (self.high - value) / span * (self.bottom - self.top)
        } else {
            (self.top + self.bottom) / 2.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_is_clamped_and_the_figure_is_not() {
        assert_eq!(bar_share(Some(-0.2)), 0.0);
        assert_eq!(rules::format_percent(-0.2), "-20%");
        assert_eq!(bar_share(Some(0.45)), 0.45);
        assert_eq!(bar_share(Some(1.7)), 1.0);
        assert_eq!(rules::format_percent(1.7), "170%");
        assert_eq!(bar_share(None), 0.0);
    }

    #[test]
    fn the_scale_puts_the_highest_value_at_the_top_and_the_lowest_at_the_bottom() {
        let scale = Scale::spanning([2.0, 3.0, 4.0], 0.0, 5.0, 45.0);
        assert_eq!((scale.low, scale.high), (2.0, 4.0));
        assert_eq!(scale.y(4.0), 5.0);
        assert_eq!(scale.y(2.0), 45.0);
        assert_eq!(scale.y(3.0), 25.0);
        // Values outside the span fall outside the band, in proportion.
        assert_eq!(scale.y(5.0), -15.0);
    }

    #[test]
    fn a_margin_widens_the_scale_on_both_sides() {
        let scale = Scale::spanning([0.0, 100.0], 0.1, 0.0, 120.0);
        assert_eq!((scale.low, scale.high), (-10.0, 110.0));
        assert_eq!(scale.y(110.0), 0.0);
        assert_eq!(scale.y(100.0), 10.0);
        assert_eq!(scale.y(0.0), 110.0);
    }

    #[test]
    fn one_value_or_none_sits_in_the_middle() {
        let scale = Scale::spanning([7.0, 7.0], 0.08, 16.0, 228.0);
        assert_eq!((scale.low, scale.high), (7.0, 7.0));
        assert_eq!(scale.y(7.0), 122.0);
        let empty = Scale::spanning([], 0.08, 0.0, 50.0);
        assert_eq!((empty.low, empty.high), (0.0, 0.0));
        assert_eq!(empty.y(3.0), 25.0);
        // A value that is not a number is left out of the span.
        let scale = Scale::spanning([1.0, f64::NAN, 3.0], 0.0, 0.0, 20.0);
        assert_eq!((scale.low, scale.high), (1.0, 3.0));
    }
}
