//! The form that records a check-in. A plain POST form without JavaScript;
//! once hydrated it saves in the background, shows a pending state, and
//! tells the page to refresh its figures in place.

use entity::ConfidenceLevel;
use leptos::form::ActionForm;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::RecordCheckIn;
use crate::error::AppError;

/// Bumped after every saved check-in; pages refetch when it changes.
#[derive(Clone, Copy)]
pub struct CheckInsChanged(pub RwSignal<u32>);

impl CheckInsChanged {
    pub fn provide() -> Self {
        let changed = CheckInsChanged(RwSignal::new(0));
        provide_context(changed);
        changed
    }
}

#[component]
pub fn CheckInForm(
    key_result_id: Uuid,
    /// Shown in labels, e.g. "Value (%)".
    unit: &'static str,
    /// Bounds of the date picker: the quarter, and no later than today.
    min_date: String,
    max_date: String,
) -> impl IntoView {
    let action = ServerAction::<RecordCheckIn>::new();
    let pending = action.pending();
    let changed = use_context::<CheckInsChanged>();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get()
            && let Some(changed) = changed
        {
            changed.0.update(|n| *n += 1);
        }
    });
    // Errors of this form, once it has been used in this page; errors of a
    // form post without JavaScript are shown by the page itself.
    let error = move || {
        (action.version().get() > 0)
            .then(|| action.value().get().and_then(Result::err))
            .flatten()
    };
    let field_error = move |field: &'static str| {
        move || {
            error()
                .filter(|e| e.field() == Some(field))
                .map(|e| e.to_string())
        }
    };
    let other_error = move || {
        error()
            .filter(|e| !matches!(e.field(), Some("value" | "confidence" | "note" | "date")))
            .map(|e| e.to_string())
    };
    let id = key_result_id.to_string();
    let field_id = move |name: &str| format!("{name}-{key_result_id}");

    view! {
        <ActionForm action attr:class="check-in-form" attr:data-testid="check-in-form">
            <input type="hidden" name="key_result_id" value=id />
            <div class="field">
                <label for=field_id("value")>{format!("Value ({unit})")}</label>
                <input
                    id=field_id("value")
                    name="value"
                    inputmode="decimal"
                    autocomplete="off"
                    required
                    data-testid="check-in-value"
                />
                <FieldError message=field_error("value") />
            </div>
            <div class="field">
                <label for=field_id("confidence")>"Confidence"</label>
                <select
                    id=field_id("confidence")
                    name="confidence"
                    required
                    data-testid="check-in-confidence"
                >
                    <option value="">"Choose…"</option>
                    {ConfidenceLevel::ALL
                        .into_iter()
                        .rev()
                        .map(|level| {
                            view! { <option value=level.as_i32().to_string()>{level.label()}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldError message=field_error("confidence") />
            </div>
            <div class="field field-wide">
                <label for=field_id("note")>"Note (optional, up to 500 characters)"</label>
                <textarea id=field_id("note") name="note" maxlength="500" rows="2" data-testid="check-in-note"></textarea>
                <FieldError message=field_error("note") />
            </div>
            <div class="field">
                <label for=field_id("date")>"Date"</label>
                <input
                    id=field_id("date")
                    type="date"
                    name="date"
                    min=min_date
                    max=max_date.clone()
                    value=max_date
                    data-testid="check-in-date"
                />
                <FieldError message=field_error("date") />
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=pending data-testid="check-in-submit">
                    {move || if pending.get() { "Saving…" } else { "Save check-in" }}
                </button>
                <p class="form-error" role="alert" data-testid="check-in-error">
                    {other_error}
                </p>
            </div>
        </ActionForm>
    }
}

#[component]
fn FieldError(message: impl Fn() -> Option<String> + Send + Sync + 'static) -> impl IntoView {
    view! {
        <p class="field-error" role="alert" data-testid="field-error">
            {message}
        </p>
    }
}

/// The error of a check-in posted without JavaScript, which the server sends
/// back in the page's URL.
#[component]
pub fn CheckInPostError() -> impl IntoView {
    let action = ServerAction::<RecordCheckIn>::new();
    let message = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|error: AppError| error.to_string())
    };
    view! {
        <Show when=move || message().is_some()>
            <section class="banner banner-error" role="alert" data-testid="check-in-post-error">
                <strong>"Check-in not saved. "</strong>
                {message}
            </section>
        </Show>
    }
}
