//! Everything that runs only on the server: the connection pool, the queries
//! (one module per aggregate) and the state server functions reach for.

pub mod auth;
pub mod check_ins;
pub mod db;
pub mod health;
pub mod middleware;
pub mod okrs;
pub mod people;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Shared by the router and, through context, by every server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub auth: Arc<auth::AuthState>,
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        db: DatabaseConnection,
        auth: auth::AuthConfig,
    ) -> AppState {
        AppState {
            leptos_options,
            db,
            auth: Arc::new(auth::AuthState::new(auth)),
        }
    }
}

/// The current request's `AppState`.
pub fn state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>().ok_or(crate::error::AppError::Internal)
}

/// The pool of the current request's `AppState`.
pub fn db() -> Result<DatabaseConnection, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>()
        .map(|state| state.db)
        .ok_or(crate::error::AppError::Internal)
}
