//! Form pieces every page's forms share: field and form errors, a busy
//! submit button, choices, and what happens after a successful save.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_navigate;

use crate::error::AppError;
use crate::server_fns::planning::Saved;

/// The message of `action`'s last error if it is about `field`.
pub fn error_for<S>(
    action: ServerAction<S>,
    field: &'static str,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error| error.field() == Some(field))
            .map(|error| error.to_string())
    }
}

/// The last error of `action` that no field of the form shows.
#[component]
pub fn FormError<S>(action: ServerAction<S>, fields: &'static [&'static str]) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let message = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error| error.field().is_none_or(|field| !fields.contains(&field)))
            .map(|error| error.to_string())
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="banner banner-error" role="alert" data-testid="form-error">
                {message}
            </p>
        </Show>
    }
}

/// A field's error line under it.
#[component]
pub fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="field-error" role="alert">{move || message.get()}</p> }
}

/// Once hydrated, a successful save goes on to the page it names, without a
/// reload (without JavaScript the server redirects there).
pub fn follow<S>(action: ServerAction<S>)
where
    S: ServerFn<Output = Saved, Error = AppError> + Clone + Send + Sync + 'static,
{
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = action.value().get() {
            navigate(&saved.next, Default::default());
        }
    });
}

/// A submit button that says it is busy while `pending`.
#[component]
pub fn Submit(
    pending: Memo<bool>,
    label: &'static str,
    busy: &'static str,
    testid: &'static str,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=class.unwrap_or("primary")
            disabled=move || pending.get()
            data-testid=testid
        >
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

pub fn choices(
    items: impl IntoIterator<Item = (String, String)>,
    selected: String,
) -> impl IntoView {
    items
        .into_iter()
        .map(|(value, label)| {
            let is_selected = value == selected;
            view! { <option value=value selected=is_selected>{label}</option> }
        })
        .collect_view()
}

/// Bumps `refresh` after each success of `action`, so the page reloads its data.
pub fn refresh_after<S>(action: ServerAction<S>, refresh: RwSignal<u32>)
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            refresh.update(|count| *count += 1);
        }
    });
}
