//! Everything that runs only on the server: the connection pool, the queries
//! (one module per aggregate) and the state server functions reach for.

pub mod check_ins;
pub mod db;
pub mod health;
pub mod okrs;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Shared by the router and, through context, by every server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
}

/// The pool of the current request's `AppState`.
pub fn db() -> Result<DatabaseConnection, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>()
        .map(|state| state.db)
        .ok_or(crate::error::AppError::Internal)
}
