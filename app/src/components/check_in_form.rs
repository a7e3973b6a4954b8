//! Recording a check-in. Two islands share one form:
//!
//! - `CheckInDialog`: the dashboard's single form. Each key result row has a
//!   "Record check-in" link to its key result page's form (which is what a
//!   browser without JavaScript follows); once hydrated, the link opens this
//!   dialog instead, filled in for that key result. The dialog is made in the
//!   browser: the server sends none of its markup.
//! - `CheckInPanel`: the form on the key result page.
//!
//! Without JavaScript the form is a plain POST that the server redirects
//! back. Once hydrated it saves in the background, shows a pending state,
//! and then refreshes the page's figures in place: it fetches the page again
//! and swaps in its `data-refresh` regions, which are server-rendered HTML
//! with no islands in them.

use domain::ConfidenceLevel;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::server_fns::RecordCheckIn;

/// The attribute that marks a page's server-rendered regions a saved
/// check-in changes; each also has an `id`.
pub const REFRESH_ATTRIBUTE: &str = "data-refresh";

/// The key result a form is for, as the browser holds it.
#[derive(Clone, Default)]
struct Target {
    id: String,
    unit: String,
    title: String,
}

/// The dashboard's one check-in form, in a dialog, for the key result of
/// the row whose "Record check-in" link was clicked.
#[island]
pub fn CheckInDialog(
    /// Bounds of the date picker: the quarter, and no later than today.
    min_date: String,
    max_date: String,
) -> impl IntoView {
    let target = RwSignal::new(Target::default());
    // The dialog's markup is made in the browser when first opened: without
    // JavaScript it could not be used, so the server sends none of it.
    let opened = RwSignal::new(false);
    let dialog = NodeRef::<html::Dialog>::new();
    let form = NodeRef::<html::Form>::new();
    let status = RwSignal::new(String::new());

    // A link of a row opens the dialog for its key result.
    Effect::new(move |_| {
        let handle = window_event_listener(leptos::ev::click, move |event| {
            let Some(link) = check_in_link(&event) else {
                return;
            };
            let Some(chosen) = target_of(&link) else {
                return;
            };
            event.prevent_default();
            target.set(chosen);
            opened.set(true);
            // Rendered now if this is the first time; shown once in the DOM.
            request_animation_frame(move || {
                if let Some(form) = form.get_untracked() {
                    form.reset();
                }
                if let Some(dialog) = dialog.get_untracked() {
                    let _ = dialog.show_modal();
                }
            });
        });
        on_cleanup(move || handle.remove());
    });

    let on_saved = Callback::new(move |()| {
        let saved = target.get_untracked();
        status.set(format!("Check-in saved: {}", saved.title));
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
        refresh_regions(Some(saved.id));
    });
    let close = move |_| {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
    };

    view! {
        <Show when=move || opened.get()>
            <dialog
                node_ref=dialog
                class="check-in-dialog"
                data-testid="check-in-dialog"
                aria-labelledby="check-in-dialog-title"
            >
                <header class="dialog-header">
                    <h2 id="check-in-dialog-title" data-testid="check-in-dialog-title">
                        {move || target.with(|target| target.title.clone())}
                    </h2>
                    <button type="button" class="link-button" on:click=close data-testid="check-in-close">
                        "Close"
                    </button>
                </header>
                <CheckInForm
                    key_result_id=Signal::derive(move || target.with(|target| target.id.clone()))
                    unit=Signal::derive(move || target.with(|target| target.unit.clone()))
                    min_date=min_date.clone()
                    max_date=max_date.clone()
                    form
                    on_saved
                />
            </dialog>
        </Show>
        <p class="visually-hidden" role="status" data-testid="check-in-status">
            {move || status.get()}
        </p>
    }
}

/// What a row's "Record check-in" link is for: the key result of its href
/// (`/kr/<id>#check-in`), its unit, and the title of its row.
fn target_of(link: &web_sys::Element) -> Option<Target> {
    let href = link.get_attribute("href")?;
    let id = href
        .strip_prefix("/kr/")?
        .strip_suffix("#check-in")?
        .to_owned();
    let title = link
        .closest("li.key-result")
        .ok()
        .flatten()
        .and_then(|row| row.query_selector(".kr-title").ok().flatten())
        .and_then(|title| title.text_content())
        .unwrap_or_default();
    Some(Target {
        id,
        unit: link.get_attribute("data-unit").unwrap_or_default(),
        title: title.trim().to_owned(),
    })
}

/// The key result page's check-in form.
#[island]
pub fn CheckInPanel(
    key_result_id: Uuid,
    unit: String,
    min_date: String,
    max_date: String,
) -> impl IntoView {
    let form = NodeRef::<html::Form>::new();
    let on_saved = Callback::new(move |()| {
        if let Some(form) = form.get_untracked() {
            form.reset();
        }
        refresh_regions(None);
    });
    view! {
        <CheckInForm
            key_result_id=Signal::stored(key_result_id.to_string())
            unit=Signal::stored(unit)
            min_date
            max_date
            form
            on_saved
        />
    }
}

/// The `a.check-in-link` a click landed on, if any (a plain left click:
/// modified clicks keep opening the key result page, in a new tab say).
fn check_in_link(event: &leptos::ev::MouseEvent) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    if event.button() != 0
        || event.ctrl_key()
        || event.meta_key()
        || event.shift_key()
        || event.alt_key()
    {
        return None;
    }
    event
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("a.check-in-link")
        .ok()
        .flatten()
}

/// Fetches the page again and swaps in its regions marked `data-refresh`;
/// then gives the focus back to the row's link of `focus_key_result`.
fn refresh_regions(focus_key_result: Option<String>) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        if let Err(error) = swap_regions(focus_key_result).await {
            // The check-in is saved; a full load shows it.
            leptos::logging::warn!("refreshing the page in place failed: {error:?}");
            let _ = window().location().reload();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = focus_key_result;
}

#[cfg(feature = "hydrate")]
async fn swap_regions(focus_key_result: Option<String>) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let href = window().location().href()?;
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str(&href))
        .await?
        .dyn_into()?;
    if !response.ok() {
        return Err(format!("GET {href}: {}", response.status()).into());
    }
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let fresh =
        web_sys::DomParser::new()?.parse_from_string(&text, web_sys::SupportedType::TextHtml)?;
    let regions = document().query_selector_all(&format!("[{REFRESH_ATTRIBUTE}]"))?;
    for index in 0..regions.length() {
        let Some(region) = regions
            .item(index)
            .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let Some(replacement) = fresh.get_element_by_id(&region.id()) else {
            return Err(format!("the fresh page has no #{}", region.id()).into());
        };
        region.replace_with_with_node_1(&replacement)?;
    }
    if let Some(id) = focus_key_result
        && let Some(link) =
            document().query_selector(&format!("a.check-in-link[href=\"/kr/{id}#check-in\"]"))?
        && let Ok(link) = link.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = link.focus();
    }
    Ok(())
}

/// The form itself, for whichever key result `key_result_id` holds.
#[component]
fn CheckInForm(
    key_result_id: Signal<String>,
    /// Shown in labels, e.g. "Value (%)".
    unit: Signal<String>,
    min_date: String,
    max_date: String,
    form: NodeRef<html::Form>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let action = ServerAction::<RecordCheckIn>::new();
    let pending = action.pending();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            on_saved.run(());
        }
    });
    // Errors of this form once used in this page; the error of a post
    // without JavaScript comes back in the URL and the page shows it.
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
    // Ids unique in the page; the dialog's one form is filled in per key result.
    let field_id = move |name: &str| format!("check-in-{name}");

    view! {
        <ActionForm action node_ref=form attr:class="check-in-form" attr:data-testid="check-in-form" attr:id="check-in">
            <input type="hidden" name="key_result_id" value=key_result_id />
            <div class="field">
                <label for=field_id("value")>{move || format!("Value ({})", unit.get())}</label>
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
                <select id=field_id("confidence") name="confidence" required data-testid="check-in-confidence">
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
    let message = action
        .value()
        .get_untracked()
        .and_then(Result::err)
        .map(|error: AppError| error.to_string());
    message.map(|message| {
        view! {
            <section class="banner banner-error" role="alert" data-testid="check-in-post-error">
                <strong>"Check-in not saved. "</strong>
                {message}
            </section>
        }
    })
}
