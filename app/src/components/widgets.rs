//! Widgets the pages share: the error panels, the progress bar and the
//! confidence badge.

use entity::ConfidenceLevel;
use leptos::prelude::*;

use crate::error::AppError;
use crate::rules;

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
    let share = progress.map(rules::clamped).unwrap_or(0.0);
    view! { <progress value=format!("{share:.2}") aria-label=label></progress> }
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
