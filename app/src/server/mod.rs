//! Everything that runs only on the server, by role:
//!
//! - `http`: the REST API and the middleware (adapters; `transfer::http`
//!   serves CSV uploads and downloads);
//! - `commands`: one writer per action, behind every way in;
//! - `queries`: the read models the pages and the API show;
//! - `transfer`: the CSV import (an adapter over `commands`) and export;
//! - `auth`, `people`, `tokens`, `limits`: sign-in, sessions and links,
//!   people, API tokens, and the rate limits every server shares;
//! - `messages`: check-in reminders and digests, by email and webhook,
//!   through an outbox;
//! - `db`, `remembered`, `health`, `jobs`: the pool, what PostgreSQL lets
//!   the server remember, the health check, and periodic work run once
//!   whatever the number of servers; and the state every request reaches.

pub mod auth;
pub mod commands;
pub mod db;
pub mod health;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod messages;
pub mod people;
pub mod queries;
pub mod remembered;
pub mod secrets;
pub mod tokens;
pub mod transfer;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

/// The dashboard `query` asks for, as of today, narrowed by its filters: the
/// quarter's remembered read (see [`remembered`]) when there is one. The
/// page's server function and the folded teams' rows both read it here.
pub async fn filtered_dashboard(
    state: &AppState,
    query: &crate::dashboard_query::DashboardQuery,
) -> Result<crate::model::Dashboard, crate::error::AppError> {
    let filters = query.filters()?;
    if let Some(label) = &query.quarter {
        domain::text::check_no_control_characters("quarter", label)?;
    }
    let today = chrono::Utc::now().date_naive();
    let dashboard = state
        .remembered
        .dashboard(&state.db, query.quarter.as_deref(), today)
        .await?
        .ok_or_else(|| {
            crate::error::AppError::NotFound(format!(
                "quarter {:?}",
                query.quarter.clone().unwrap_or_default()
            ))
        })?;
    // A copy of a remembered one, to filter; one read for this request alone
    // is its own.
    let mut dashboard = std::sync::Arc::unwrap_or_clone(dashboard);
    dashboard.filter(&filters);
    Ok(dashboard)
}

/// Shared by the router and, through context, by every server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub auth: Arc<auth::AuthState>,
    /// The sessions and dashboards read lately (remembered on PostgreSQL
    /// only).
    pub remembered: Arc<remembered::Remembered>,
    /// Whether the schema is up to date; `/api/health` says 503 until it is.
    pub schema: Arc<SchemaStatus>,
    /// How reminders and digests go out (no mail unless `SMTP_URL`).
    pub messages: Arc<messages::MessagesConfig>,
}

/// Where the migrations at start stand, and whether the server is
/// stopping: what `/api/health` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    Ready,
    Pending,
    Failed,
    /// Shutting down: the health check fails so a load balancer takes the
    /// server out of rotation, while it finishes what it was sent. Final.
    Stopping,
}

/// The [`SchemaState`], shared by the start-up task and the health check.
#[derive(Debug, Default)]
pub struct SchemaStatus(std::sync::atomic::AtomicU8);

impl SchemaStatus {
    /// Moves to `state`, unless the server is already stopping.
    pub fn set(&self, state: SchemaState) {
        let value = match state {
            SchemaState::Ready => 0,
            SchemaState::Pending => 1,
            SchemaState::Failed => 2,
            SchemaState::Stopping => 3,
        };
        let _ = self.0.fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |now| (now != 3).then_some(value),
        );
    }

    pub fn get(&self) -> SchemaState {
        match self.0.load(std::sync::atomic::Ordering::SeqCst) {
            0 => SchemaState::Ready,
            1 => SchemaState::Pending,
            2 => SchemaState::Failed,
            _ => SchemaState::Stopping,
        }
    }
}

impl AppState {
    /// On PostgreSQL this starts listening for changes (see
    /// [`remembered`]), so it must be called on a Tokio runtime.
    pub fn new(
        leptos_options: LeptosOptions,
        db: DatabaseConnection,
        auth: auth::AuthConfig,
    ) -> AppState {
        AppState::remembering(leptos_options, db, auth, true)
    }

    /// [`AppState::new`], remembering reads between requests only if
    /// `remember` (`DB_REMEMBER_READS`).
    pub fn remembering(
        leptos_options: LeptosOptions,
        db: DatabaseConnection,
        auth: auth::AuthConfig,
        remember: bool,
    ) -> AppState {
        AppState {
            leptos_options,
            remembered: if remember {
                remembered::Remembered::new(&db)
            } else {
                remembered::Remembered::never()
            },
            db,
            auth: Arc::new(auth::AuthState::new(auth)),
            schema: Arc::default(),
            messages: Arc::default(),
        }
    }

    /// The same state, sending messages as `config` says.
    pub fn with_messages(self, config: messages::MessagesConfig) -> AppState {
        AppState {
            messages: Arc::new(config),
            ..self
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
