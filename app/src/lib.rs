#![recursion_limit = "256"]
//! RunwayOKR's web app: pages and components (server-rendered HTML; the few
//! interactive islands hydrate in the browser), the server functions they
//! call, and the views they exchange. The rules both sides share live in the
//! `domain` crate; everything that touches the database lives in `server`,
//! compiled only with `ssr`.

pub mod components;
pub mod dashboard_query;
pub mod error;
pub mod model;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod server;

pub use components::app::{App, shell};

/// The browser entry point: pages are server-rendered HTML, and only their
/// islands (`#[island]` components) hydrate.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
