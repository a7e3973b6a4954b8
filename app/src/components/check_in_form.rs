//! Recording a check-in. The server renders one form, wherever it is used:
//!
//! - in the dashboard's dialog (`CheckInDialog`), closed: each key result
//!   row has a "Record check-in" link to its key result page's form, which is
//!   what a browser without JavaScript follows. Once the island
//!   `CheckInDialogBehaviour` runs, the link opens the dialog instead, filled
//!   in for that key result;
//! - on the key result page (`CheckInPanel`), where `CheckInPanelBehaviour`
//!   does the same for its form.
//!
//! Without JavaScript the form is a plain POST that the server redirects
//! back. With it, the form saves in the background, shows a pending state
//! and per-field errors, and then refreshes the page's figures in place: it
//! fetches the page again and swaps in its `data-refresh` regions, which are
//! server-rendered HTML with no islands in them.
//!
//! The islands render nothing: they only attach behaviour to the server's
//! markup, so the browser's bundle carries no view code for the form.

use domain::ConfidenceLevel;
use leptos::prelude::*;

use crate::error::AppError;
use crate::server_fns::RecordCheckIn;

/// The attribute that marks a page's server-rendered regions a saved
/// check-in changes; each also has an `id`.
pub const REFRESH_ATTRIBUTE: &str = "data-refresh";

/// Where the form posts: the `record_check_in` server function.
const CHECK_IN_PATH: &str = "/api/check_in";

/// The id of the page's one check-in form (rows link to `#check-in`).
const FORM_ID: &str = "check-in";

/// The id of the dashboard's dialog.
const DIALOG_ID: &str = "check-in-dialog";

/// The dashboard's one check-in form, in a dialog that only the island
/// opens: closed, a browser shows none of it.
#[component]
pub fn CheckInDialog(
    /// Bounds of the date picker: the quarter, and no later than today.
    min_date: String,
    max_date: String,
) -> impl IntoView {
    view! {
        <dialog
            id=DIALOG_ID
            class="check-in-dialog"
            data-testid="check-in-dialog"
            aria-labelledby="check-in-dialog-title"
        >
            <header class="dialog-header">
                <h2 id="check-in-dialog-title" data-testid="check-in-dialog-title"></h2>
                <button type="button" class="link-button" data-testid="check-in-close">
                    "Close"
                </button>
            </header>
            <CheckInForm key_result_id=String::new() unit=String::new() min_date max_date />
        </dialog>
        <p class="visually-hidden" role="status" data-testid="check-in-status"></p>
        <CheckInDialogBehaviour />
    }
}

/// The key result page's check-in form.
#[component]
pub fn CheckInPanel(
    key_result_id: String,
    unit: String,
    min_date: String,
    max_date: String,
) -> impl IntoView {
    view! {
        <CheckInForm key_result_id unit min_date max_date />
        <CheckInPanelBehaviour />
    }
}

/// Once hydrated: a row's "Record check-in" link opens the dialog for its
/// key result, and the form saves in place.
#[island]
fn CheckInDialogBehaviour() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::enhance_dialog());
}

/// Once hydrated: the key result page's form saves in place.
#[island]
fn CheckInPanelBehaviour() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::enhance_panel());
}

/// The form itself. In the dialog, `key_result_id` and `unit` are empty
/// until a row's link fills them in.
#[component]
fn CheckInForm(
    key_result_id: String,
    /// Shown in the value's label, e.g. "Value (%)".
    unit: String,
    min_date: String,
    max_date: String,
) -> impl IntoView {
    view! {
        <form
            method="post"
            action=CHECK_IN_PATH
            class="check-in-form"
            data-testid="check-in-form"
            id=FORM_ID
        >
            <input type="hidden" name="key_result_id" value=key_result_id />
            <div class="field">
                <label for="check-in-value">"Value (" <span data-unit="">{unit}</span> ")"</label>
                <input
                    id="check-in-value"
                    name="value"
                    inputmode="decimal"
                    autocomplete="off"
                    required
                    data-testid="check-in-value"
                />
                <FieldError field="value" />
            </div>
            <div class="field">
                <label for="check-in-confidence">"Confidence"</label>
                <select id="check-in-confidence" name="confidence" required data-testid="check-in-confidence">
                    <option value="">"Choose…"</option>
                    {ConfidenceLevel::ALL
                        .into_iter()
                        .rev()
                        .map(|level| {
                            view! { <option value=level.as_i32().to_string()>{level.label()}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldError field="confidence" />
            </div>
            <div class="field field-wide">
                <label for="check-in-note">"Note (optional, up to 500 characters)"</label>
                <textarea id="check-in-note" name="note" maxlength="500" rows="2" data-testid="check-in-note"></textarea>
                <FieldError field="note" />
            </div>
            <div class="field">
                <label for="check-in-date">"Date"</label>
                <input
                    id="check-in-date"
                    type="date"
                    name="date"
                    min=min_date
                    max=max_date.clone()
                    value=max_date
                    data-testid="check-in-date"
                />
                <FieldError field="date" />
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" data-testid="check-in-submit">
                    "Save check-in"
                </button>
                <p class="form-error" role="alert" data-testid="check-in-error"></p>
            </div>
        </form>
    }
}

/// Where the form shows the error about `field`, once hydrated.
#[component]
fn FieldError(field: &'static str) -> impl IntoView {
    view! { <p class="field-error" role="alert" data-testid="field-error" data-field=field></p> }
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

/// What the islands do in the browser, on the server-rendered markup.
#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Element, Event, HtmlElement, HtmlFormElement, MouseEvent};

    use super::{CHECK_IN_PATH, DIALOG_ID, FORM_ID, REFRESH_ATTRIBUTE};
    use crate::error::AppError;
    use leptos::prelude::{document, window};

    /// The fields the form shows their own errors at (`FieldError`); any
    /// other error shows under the form.
    const FIELDS: [&str; 4] = ["value", "confidence", "note", "date"];

    /// The button's labels, idle and while saving.
    const SAVE: &str = "Save check-in";
    const SAVING: &str = "Saving…";

    /// The dashboard: a row's link opens the dialog for its key result.
    pub fn enhance_dialog() {
        let (Some(dialog), Some(form)) = (
            element_by_id::<web_sys::HtmlDialogElement>(DIALOG_ID),
            element_by_id::<HtmlFormElement>(FORM_ID),
        ) else {
            return;
        };
        let status = document()
            .query_selector("[data-testid=\"check-in-status\"]")
            .ok()
            .flatten();

        let open = {
            let (dialog, form) = (dialog.clone(), form.clone());
            move |event: Event| {
                let Some(link) = event.dyn_ref::<MouseEvent>().and_then(check_in_link) else {
                    return;
                };
                let Some(target) = Target::of(&link) else {
                    return;
                };
                event.prevent_default();
                form.reset();
                show_error(&form, None);
                set_value(&form, "input[name=\"key_result_id\"]", &target.id);
                set_text(&form, "[data-unit]", &target.unit);
                set_text(&dialog, "#check-in-dialog-title", &target.title);
                let _ = dialog.show_modal();
            }
        };
        listen(&window(), "click", open);

        if let Some(close) = dialog
            .query_selector("[data-testid=\"check-in-close\"]")
            .ok()
            .flatten()
        {
            let dialog = dialog.clone();
            listen(&close, "click", move |_: Event| dialog.close());
        }

        on_submit(form.clone(), move || {
            let id = value_of(&form, "input[name=\"key_result_id\"]");
            let title = dialog
                .query_selector("#check-in-dialog-title")
                .ok()
                .flatten()
                .and_then(|title| title.text_content())
                .unwrap_or_default();
            if let Some(status) = &status {
                status.set_text_content(Some(&format!("Check-in saved: {title}")));
            }
            dialog.close();
            refresh_regions(Some(id));
        });
    }

    /// The key result page: its form saves in place.
    pub fn enhance_panel() {
        let Some(form) = element_by_id::<HtmlFormElement>(FORM_ID) else {
            return;
        };
        on_submit(form.clone(), move || {
            form.reset();
            refresh_regions(None);
        });
    }

    /// The key result a row's link is for: the id of its href
    /// (`/kr/<id>#check-in`), its unit, and the title of its row.
    struct Target {
        id: String,
        unit: String,
        title: String,
    }

    impl Target {
        fn of(link: &Element) -> Option<Target> {
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
    }

    /// The `a.check-in-link` a plain left click landed on, if any (modified
    /// clicks keep opening the key result page, in a new tab say).
    fn check_in_link(event: &MouseEvent) -> Option<Element> {
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
            .dyn_into::<Element>()
            .ok()?
            .closest("a.check-in-link")
            .ok()
            .flatten()
    }

    /// Sends `form` in the background when submitted; while it is on its
    /// way the button says so and takes no second click. Then shows the
    /// error, or runs `saved`.
    fn on_submit(form: HtmlFormElement, saved: impl Fn() + 'static) {
        let saved = std::rc::Rc::new(saved);
        let element = form.clone();
        listen(&element, "submit", move |event: Event| {
            event.prevent_default();
            let button = form
                .query_selector("button[type=\"submit\"]")
                .ok()
                .flatten()
                .and_then(|button| button.dyn_into::<web_sys::HtmlButtonElement>().ok());
            if button.as_ref().is_some_and(|button| button.disabled()) {
                return;
            }
            let pending = move |busy: bool| {
                if let Some(button) = &button {
                    button.set_disabled(busy);
                    button.set_text_content(Some(if busy { SAVING } else { SAVE }));
                }
            };
            pending(true);
            let (form, saved) = (form.clone(), saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = post(&form).await;
                pending(false);
                show_error(&form, outcome.as_ref().err());
                if outcome.is_ok() {
                    saved();
                }
            });
        });
    }

    /// Posts the form's fields as the browser would without JavaScript, but
    /// asking for JSON: the server function answers 200, or the error (JSON
    /// of an [`AppError`]) with its status, instead of redirecting back.
    async fn post(form: &HtmlFormElement) -> Result<(), AppError> {
        let unreachable = |_| {
            AppError::ServerFn(leptos::server_fn::error::ServerFnErrorErr::Request(
                "the server could not be reached; check the connection and try again".into(),
            ))
        };
        let fields = web_sys::FormData::new_with_form(form).map_err(unreachable)?;
        let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields)
            .map_err(unreachable)?;
        let headers = web_sys::Headers::new().map_err(unreachable)?;
        headers
            .set("Accept", "application/json")
            .map_err(unreachable)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&body);
        let response: web_sys::Response =
            JsFuture::from(window().fetch_with_str_and_init(CHECK_IN_PATH, &init))
                .await
                .and_then(|response| response.dyn_into())
                .map_err(unreachable)?;
        if response.ok() {
            return Ok(());
        }
        let text = JsFuture::from(response.text().map_err(unreachable)?)
            .await
            .map_err(unreachable)?;
        Err(text
            .as_string()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(AppError::Internal))
    }

    /// Shows `error` at its field, or under the form; clears the others.
    fn show_error(form: &HtmlFormElement, error: Option<&AppError>) {
        let field = error
            .and_then(AppError::field)
            .filter(|field| FIELDS.contains(field));
        for name in FIELDS {
            let message = error
                .filter(|_| field == Some(name))
                .map(ToString::to_string);
            set_text(
                form,
                &format!("[data-field=\"{name}\"]"),
                &message.unwrap_or_default(),
            );
        }
        let other = error.filter(|_| field.is_none()).map(ToString::to_string);
        set_text(form, ".form-error", &other.unwrap_or_default());
    }

    /// Fetches the page again and swaps in its regions marked
    /// `data-refresh`; then gives the focus back to the row's link of
    /// `focus_key_result`. If that fails, the check-in is saved all the
    /// same, and a full load shows it.
    fn refresh_regions(focus_key_result: Option<String>) {
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = swap_regions(focus_key_result).await {
                leptos::logging::warn!("refreshing the page in place failed: {error:?}");
                let _ = window().location().reload();
            }
        });
    }

    async fn swap_regions(focus_key_result: Option<String>) -> Result<(), wasm_bindgen::JsValue> {
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
        let fresh = web_sys::DomParser::new()?
            .parse_from_string(&text, web_sys::SupportedType::TextHtml)?;
        let regions = document().query_selector_all(&format!("[{REFRESH_ATTRIBUTE}]"))?;
        for index in 0..regions.length() {
            let Some(region) = regions
                .item(index)
                .and_then(|node| node.dyn_into::<Element>().ok())
            else {
                continue;
            };
            let Some(replacement) = fresh.get_element_by_id(&region.id()) else {
                return Err(format!("the fresh page has no #{}", region.id()).into());
            };
            region.replace_with_with_node_1(&replacement)?;
        }
        if let Some(id) = focus_key_result
            && let Some(link) = document()
                .query_selector(&format!("a.check-in-link[href=\"/kr/{id}#check-in\"]"))?
            && let Ok(link) = link.dyn_into::<HtmlElement>()
        {
            let _ = link.focus();
        }
        Ok(())
    }

    /// Calls `handler` for each `kind` event on `target`, for the page's
    /// lifetime.
    fn listen(target: &web_sys::EventTarget, kind: &str, handler: impl FnMut(Event) + 'static) {
        let closure = Closure::<dyn FnMut(Event)>::new(handler);
        let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        closure.forget();
    }

    fn element_by_id<T: JsCast>(id: &str) -> Option<T> {
        document().get_element_by_id(id)?.dyn_into().ok()
    }

    fn set_text(root: &Element, selector: &str, text: &str) {
        if let Ok(Some(element)) = root.query_selector(selector) {
            element.set_text_content(Some(text));
        }
    }

    fn set_value(root: &Element, selector: &str, value: &str) {
        if let Ok(Some(element)) = root.query_selector(selector)
            && let Ok(input) = element.dyn_into::<web_sys::HtmlInputElement>()
        {
            input.set_value(value);
        }
    }

    fn value_of(root: &Element, selector: &str) -> String {
        root.query_selector(selector)
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    }
}
