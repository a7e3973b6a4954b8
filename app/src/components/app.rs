//! The HTML shell and the router.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use super::admin::PeoplePage;
use super::alignment::AlignmentPage;
use super::dashboard::DashboardPage;
use super::key_result_page::KeyResultPage;
use super::notifications::{MessagesAdminPage, NotificationSettingsPage};
use super::okr_forms::{KeyResultFormPage, ObjectiveFormPage};
use super::planning::{QuartersPage, RollOverPage, TeamsPage};
use super::review::ReviewPage;
use super::sign_in::{AcceptInvitePage, NoTeamPage, ResetPasswordPage, SignInPage};
use super::tokens::{ApiReferencePage, TokensPage};
use super::transfer::{ImportHistoryPage, ImportPage, ImportPreviewPage};
use crate::server_fns::auth::get_viewer;
use domain::access::Viewer;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    allow_this_pages_scripts();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <InlineStylesheet />
                <AutoReload options=options.clone() />
                <IslandScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The stylesheet, in the page itself: the first paint then waits for no
/// second request, which on a phone's slow link is a round trip and more
/// (5.8 KB gzipped). It carries the page's nonce, which the page's policy
/// names; `/pkg/runway-okr.css` stays for pages outside Leptos.
#[component]
fn InlineStylesheet() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let css = include_str!("../../../style/main.css");
    #[cfg(not(feature = "ssr"))]
    let css = "";
    view! { <style nonce=leptos::nonce::use_nonce() inner_html=css></style> }
}

/// Sets the page's Content-Security-Policy, naming the nonce Leptos puts on
/// the page's inline scripts: known only here, in the page's render. The
/// middleware's policy, without a nonce, covers every other response.
#[cfg(feature = "ssr")]
fn allow_this_pages_scripts() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = crate::server::http::middleware::content_security_policy(Some(&nonce));
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    let viewer = Resource::new(|| (), |_| get_viewer());

    view! {
        <Title text="RunwayOKR" />
        <Router>
            <div class="page">
                <header class="masthead">
                    <h1 class="brand-line">
                        <a href="/" class="brand">"RunwayOKR"</a>
                    </h1>
                    <p class="tagline">"Quarterly objectives and key results"</p>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            viewer.await.ok().flatten().map(|viewer| view! { <UserMenu viewer /> })
                        })}
                    </Suspense>
                </header>
                <main>
                    <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/") view=DashboardPage ssr=SsrMode::Async />
                <Route path=path!("/kr/:id") view=KeyResultPage ssr=SsrMode::Async />
                <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=AcceptInvitePage ssr=SsrMode::Async />
                <Route path=path!("/reset/:token") view=ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/no-team") view=NoTeamPage ssr=SsrMode::Async />
                <Route path=path!("/admin/people") view=PeoplePage ssr=SsrMode::Async />
                <Route path=path!("/admin/quarters") view=QuartersPage ssr=SsrMode::Async />
                <Route path=path!("/admin/teams") view=TeamsPage ssr=SsrMode::Async />
                <Route path=path!("/objectives/new") view=ObjectiveFormPage ssr=SsrMode::Async />
                <Route path=path!("/objectives/:id/edit") view=ObjectiveFormPage ssr=SsrMode::Async />
                <Route
                    path=path!("/objectives/:objective/key-results/new")
                    view=KeyResultFormPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/kr/:kr/edit") view=KeyResultFormPage ssr=SsrMode::Async />
                <Route path=path!("/quarters/:label/roll-over") view=RollOverPage ssr=SsrMode::Async />
                <Route path=path!("/quarters/:label/review") view=ReviewPage ssr=SsrMode::Async />
                <Route path=path!("/quarters/:label/alignment") view=AlignmentPage ssr=SsrMode::Async />
                <Route path=path!("/import") view=ImportPage ssr=SsrMode::Async />
                <Route path=path!("/import/:id") view=ImportPreviewPage ssr=SsrMode::Async />
                <Route path=path!("/imports") view=ImportHistoryPage ssr=SsrMode::Async />
                <Route path=path!("/settings/tokens") view=TokensPage ssr=SsrMode::Async />
                <Route path=path!("/settings/notifications") view=NotificationSettingsPage ssr=SsrMode::Async />
                <Route path=path!("/admin/messages") view=MessagesAdminPage ssr=SsrMode::Async />
                <Route path=path!("/docs/api") view=ApiReferencePage ssr=SsrMode::Async />
                    </Routes>
                </main>
            </div>
        </Router>
        <HydrationMark />
    }
}

/// What `<HydrationScripts islands=true />` does, with its loader in a cached
/// file (`/islands.js`, from `public/`) instead of 1.7 KB inlined in every
/// page: hints to fetch the bundle early (at low priority), and the module that hydrates the
/// islands once the browser is idle.
#[component]
fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    // Outside the islands, the server renders no hydration markers.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    // As Leptos names them: a build that did not set LEPTOS_OUTPUT_NAME
    // (not cargo-leptos) has wasm-bindgen's `_bg` suffix on the wasm.
    let wasm_suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        ""
    } else {
        "_bg"
    };
    let js = format!("{pkg}.js");
    let wasm = format!("{pkg}{wasm_suffix}.wasm");
    // At low priority: the first paint needs the page and its stylesheet,
    // not the islands, and on a slow link a high-priority wasm download
    // would hold them back.
    view! {
        <link rel="modulepreload" href=js.clone() fetchpriority="low" />
        <link
            rel="preload"
            href=wasm.clone()
            r#as="fetch"
            r#type="application/wasm"
            crossorigin=""
            fetchpriority="low"
        />
        <script type="module" src="/islands.js" data-js=js data-wasm=wasm></script>
    }
}

/// The last island of every page: once it runs, the islands before it have
/// hydrated, so it marks `<html data-hydrated="true">` for the CSS and the
/// browser tests.
#[island]
fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="error-panel">
            <h2>"Page not found"</h2>
            <p>
                <a href="/">"Back to the dashboard"</a>
            </p>
        </section>
    }
}

/// Who is signed in, with the admin's people link and the sign-out buttons:
/// plain POST forms, so they work without JavaScript.
#[component]
fn UserMenu(viewer: Viewer) -> impl IntoView {
    let is_admin = viewer.is_admin();
    view! {
        <nav class="user-menu" aria-label="Account">
            <span class="signed-in-as">{viewer.label()}</span>
            {is_admin
                .then(|| {
                    view! {
                        <a href="/admin/quarters">"Quarters"</a>
                        <a href="/admin/teams">"Teams"</a>
                        <a href="/admin/people">"People"</a>
                        <a href="/admin/messages">"Messages"</a>
                    }
                })}
            <a href="/settings/notifications">"Notifications"</a>
            <a href="/settings/tokens">"Access tokens"</a>
            <form method="post" action="/api/sign_out" class="inline-form">
                <button type="submit" class="secondary">"Sign out"</button>
            </form>
            <form method="post" action="/api/sign_out_everywhere" class="inline-form">
                <button type="submit" class="link-button">
                    "Sign out everywhere"
                </button>
            </form>
        </nav>
    }
}
