//! Server functions: thin wrappers that take the state, call one query and
//! map its error.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{Dashboard, HealthReport};

/// `GET /api/health`: 200 when a real query succeeds, else 503, both as JSON.
#[server(prefix = "/api", endpoint = "health", input = GetUrl)]
pub async fn health() -> Result<HealthReport, AppError> {
    use crate::server;

    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let outcome = match server::db() {
        Ok(db) => server::health::check_database(&db).await,
        Err(_) => Err("no database configured".to_owned()),
    };
    Ok(match outcome {
        Ok(()) => HealthReport {
            status: "ok".into(),
            timestamp,
            database: "connected".into(),
            error: None,
        },
        Err(reason) => {
            tracing::warn!(%reason, "health check: database disconnected");
            crate::error::set_response_status(&AppError::Unavailable);
            HealthReport {
                status: "error".into(),
                timestamp,
                database: "disconnected".into(),
                error: Some(reason),
            }
        }
    })
}

/// The dashboard of a quarter, by label; the current or latest one without.
#[server(prefix = "/api", endpoint = "dashboard", input = GetUrl)]
pub async fn get_dashboard(quarter: Option<String>) -> Result<Dashboard, AppError> {
    use crate::server;

    let outcome = async {
        let db = server::db()?;
        let today = chrono::Utc::now().date_naive();
        server::okrs::dashboard(&db, quarter.as_deref(), today)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("quarter {:?}", quarter.unwrap_or_default())))
    }
    .await;
    if let Err(error) = &outcome {
        crate::error::set_response_status(error);
    }
    outcome
}
