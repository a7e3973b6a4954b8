//! The access tokens page (make, list and revoke personal access tokens for
//! the JSON API) and the API reference page, read from its OpenAPI document.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use super::format_date;
use crate::model::{ApiReference, IssuedTokenView, TokenStatus, TokenView, TokensPage};
use crate::server_fns::tokens::{CreateToken, RevokeToken, get_api_reference, get_tokens};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let page = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| get_tokens(),
    );
    view! {
        <Title text="Access tokens · RunwayOKR" />
        <Transition fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Tokens page create revoke /> }.into_any(),
                    Err(error) => view! { <super::widgets::ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The curl line that records a check-in with `token` on the site at `base`.
fn curl_example(base: &str, token: &str) -> String {
    format!(
        "curl -X POST {base}/api/v1/key-results/KEY_RESULT_ID/check-ins \\\n  -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n  -d '{{\"value\": \"9100000.00\", \"confidence\": \"green\", \"note\": \"From the CRM\"}}'"
    )
}

#[component]
fn IssuedToken(issued: IssuedTokenView, base_url: String) -> impl IntoView {
    let expiry = issued.expires_at.map_or_else(
        || "It does not expire.".to_owned(),
        |at| format!("It expires on {} UTC.", at.format("%b %-d, %Y %H:%M")),
    );
    let example = curl_example(&base_url, &issued.token);
    view! {
        <div class="banner banner-ok" role="status" data-testid="issued-token-banner">
            <p>
                <strong>{format!("Token “{}” created. ", issued.name)}</strong>
                "Copy it now: it is not shown again. "
                {expiry}
            </p>
            <p>
                <code class="issued-link" data-testid="issued-token">{issued.token}</code>
            </p>
            <p>
                "Record a check-in with it (a key result's id is the last part of its page's address, "
                <code>"/kr/…"</code>
                "):"
            </p>
            <pre class="code-block" data-testid="curl-example">{example}</pre>
        </div>
    }
}

fn when(moment: Option<chrono::NaiveDateTime>, none: &'static str) -> String {
    moment.map_or_else(|| none.to_owned(), format_date)
}

#[component]
fn TokenTable(
    tokens: Vec<TokenView>,
    revoke: ServerAction<RevokeToken>,
    show_owner: bool,
    testid: &'static str,
    caption: &'static str,
) -> impl IntoView {
    view! {
        <table class="people-table" data-testid=testid>
            <caption class="visually-hidden">{caption}</caption>
            <thead>
                <tr>
                    {show_owner.then(|| view! { <th scope="col">"Owner"</th> })}
                    <th scope="col">"Name"</th>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>
                {tokens
                    .into_iter()
                    .map(|token| {
                        let active = token.status == TokenStatus::Active;
                        view! {
                            <tr data-testid="token-row">
                                {show_owner.then(|| view! { <td>{token.owner.clone()}</td> })}
                                <td>{token.name.clone()}</td>
                                <td>
                                    <code>{format!("{}…", token.prefix)}</code>
                                </td>
                                <td>{format_date(token.created_at)}</td>
                                <td data-testid="token-last-used">{when(token.last_used_at, "Never")}</td>
                                <td>{when(token.expires_at, "Never")}</td>
                                <td data-testid="token-status">{token.status.label()}</td>
                                <td>
                                    {active
                                        .then(|| {
                                            view! {
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="id" value=token.id.to_string() />
                                                    <button type="submit" class="secondary" data-testid="revoke-token">
                                                        {format!("Revoke {}", token.name)}
                                                    </button>
                                                </ActionForm>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Tokens(
    page: TokensPage,
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    let TokensPage {
        mine,
        others,
        issued,
        base_url,
    } = page;
    let base = base_url.clone();
    let field_error = move |field: &'static str| {
        move || {
            create
                .value()
                .get()
                .and_then(Result::err)
                .filter(|error| error.field() == Some(field))
                .map(|error| error.to_string())
        }
    };
    let has_tokens = !mine.is_empty();
    view! {
        <section class="panel" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"Access tokens"</h2>
            <p class="muted">
                "A personal access token lets a script or another system (your CRM, a booking report) use the "
                <a href="/docs/api">"RunwayOKR API"</a>
                " as you, with your role: it can read every quarter and record check-ins where you may."
            </p>
            {issued.map(|issued| view! { <IssuedToken issued base_url /> })}
            {move || match create.value().get() {
                Some(Ok(issued)) => view! { <IssuedToken issued base_url=base.clone() /> }.into_any(),
                Some(Err(error)) if error.field().is_none() => {
                    view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any()
                }
                _ => ().into_any(),
            }}
            {move || {
                revoke
                    .value()
                    .get()
                    .map(|outcome| match outcome {
                        Ok(name) => {
                            view! { <p class="banner banner-ok" role="status">{format!("Token “{name}” revoked.")}</p> }
                                .into_any()
                        }
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    })
            }}
            {if has_tokens {
                view! { <TokenTable tokens=mine revoke show_owner=false testid="my-tokens" caption="Your tokens" /> }
                    .into_any()
            } else {
                view! { <p data-testid="no-tokens">"You have no tokens yet."</p> }.into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="new-token-heading">
            <h2 id="new-token-heading">"New token"</h2>
            <ActionForm action=create attr:class="check-in-form" attr:data-testid="create-token-form">
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input
                        id="token-name"
                        name="name"
                        maxlength="100"
                        required
                        autocomplete="off"
                        placeholder="CRM sync"
                    />
                    <p class="field-error" role="alert">{field_error("name")}</p>
                </div>
                <div class="field">
                    <label for="token-expiry">"Expires"</label>
                    <select id="token-expiry" name="expires_in_days">
                        <option value="30">"In 30 days"</option>
                        <option value="90" selected>"In 90 days"</option>
                        <option value="365">"In a year"</option>
                        <option value="never">"Never"</option>
                    </select>
                    <p class="field-error" role="alert">{field_error("expires_in_days")}</p>
                </div>
                <div class="field">
                    <label for="token-password">"Your password"</label>
                    <input
                        id="token-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        aria-describedby="token-password-why"
                    />
                    <p id="token-password-why" class="hint">
                        "A token acts as you until it expires or is revoked, so confirm it is you."
                    </p>
                    <p class="field-error" role="alert">{field_error("password")}</p>
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=create.pending() data-testid="create-token">
                        {move || if create.pending().get() { "Creating…" } else { "Create token" }}
                    </button>
                </div>
            </ActionForm>
        </section>
        {others
            .map(|others| {
                view! {
                    <section class="panel" aria-labelledby="others-heading">
                        <h2 id="others-heading">"Everyone else’s tokens"</h2>
                        <p class="muted">"As an admin you can revoke any of them, for instance when someone leaves."</p>
                        <TokenTable tokens=others revoke show_owner=true testid="other-tokens" caption="Everyone else’s tokens" />
                    </section>
                }
            })}
    }
}

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| get_api_reference());
    view! {
        <Title text="API reference · RunwayOKR" />
        <Suspense fallback=|| view! { <p class="loading">"Loading the API reference…"</p> }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(reference) => view! { <Reference reference /> }.into_any(),
                    Err(error) => view! { <super::widgets::ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Paragraphs of a description, with `code` spans kept as text.
fn paragraphs(text: &str) -> impl IntoView + use<> {
    text.split("\n\n")
        .filter(|paragraph| !paragraph.trim().is_empty())
        .map(|paragraph| view! { <p>{paragraph.replace('`', "")}</p> })
        .collect_view()
}

#[component]
fn Reference(reference: ApiReference) -> impl IntoView {
    let ApiReference {
        title,
        version,
        description,
        base_url,
        operations,
        schemas,
    } = reference;
    let example = format!(
        "curl -X POST {base_url}/api/v1/key-results/KEY_RESULT_ID/check-ins \\\n  -H 'Authorization: Bearer rokr_…' -H 'Content-Type: application/json' \\\n  -H 'Idempotency-Key: 5f1c…' -d '{{\"value\": \"9100000.00\", \"confidence\": \"green\"}}'"
    );
    view! {
        <section class="panel api-reference" aria-labelledby="api-heading" data-testid="api-reference">
            <h2 id="api-heading">{format!("{title}, version {version}")}</h2>
            {paragraphs(&description)}
            <p>
                "Make a token on the " <a href="/settings/tokens">"Access tokens"</a>
                " page. The machine-readable document is "
                <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> " (OpenAPI 3.1)."
            </p>
            <pre class="code-block">{example}</pre>
        </section>
        {operations
            .into_iter()
            .map(|operation| {
                let anchor = format!(
                    "{}-{}",
                    operation.method.to_lowercase(),
                    operation.path.replace(['/', '{', '}'], "-"),
                );
                view! {
                    <section class="panel api-operation" id=anchor data-testid="api-operation">
                        <h3>
                            <span class="http-method">{operation.method.clone()}</span>
                            " "
                            <code>{operation.path.clone()}</code>
                        </h3>
                        <p>
                            <strong>{operation.summary.clone()}</strong>
                        </p>
                        {paragraphs(&operation.description)}
                        {(!operation.parameters.is_empty())
                            .then(|| {
                                view! {
                                    <h4>"Parameters"</h4>
                                    <ul>
                                        {operation
                                            .parameters
                                            .iter()
                                            .map(|parameter| {
                                                view! {
                                                    <li>
                                                        <code>{parameter.name.clone()}</code>
                                                        {format!(
                                                            " ({}, {}): {}",
                                                            parameter.location,
                                                            if parameter.required { "required" } else { "optional" },
                                                            parameter.description.replace('`', ""),
                                                        )}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                            })}
                        {operation
                            .request_body
                            .clone()
                            .map(|schema| {
                                view! {
                                    <h4>"Body"</h4>
                                    <p>
                                        "JSON: " <a href=format!("#schema-{schema}")>{schema.clone()}</a>
                                    </p>
                                }
                            })}
                        <h4>"Answers"</h4>
                        <ul>
                            {operation
                                .responses
                                .iter()
                                .map(|(status, description, schema)| {
                                    view! {
                                        <li>
                                            <code>{status.clone()}</code>
                                            {format!(" {description}")}
                                            {schema
                                                .clone()
                                                .map(|schema| {
                                                    view! {
                                                        " → "
                                                        <a href=format!("#schema-{schema}")>{schema.clone()}</a>
                                                    }
                                                })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })
            .collect_view()}
        <section class="panel" aria-labelledby="schemas-heading">
            <h2 id="schemas-heading">"Schemas"</h2>
            {schemas
                .into_iter()
                .map(|(name, json)| {
                    let anchor = format!("schema-{name}");
                    view! {
                        <details id=anchor>
                            <summary>
                                <code>{name}</code>
                            </summary>
                            <pre class="code-block">{json}</pre>
                        </details>
                    }
                })
                .collect_view()}
        </section>
    }
}
