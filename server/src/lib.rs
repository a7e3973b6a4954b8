//! The server around the app: the pool, migrations (and the demo seed) at
//! start, and the axum router. No business logic lives here.

use std::time::Duration;

use app::server::{AppState, middleware};
use app::{App, shell};
use axum::Router;
use axum::middleware::from_fn_with_state;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migration::MigratorTrait;
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// The router for a ready state: pages, server functions, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .leptos_routes_with_context(&state, routes, || {}, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(state.clone(), middleware::sessions))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site_writes,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Brings the schema up to date and, when `seed_demo` is set and the
/// database has no data yet, loads the demo data. If the database cannot be
/// reached, it keeps trying in the background, so the server still starts
/// (and reports the outage through `/api/health`).
pub async fn prepare_database(db: DatabaseConnection, seed_demo: bool) {
    if let Err(error) = migrate_and_seed(&db, seed_demo).await {
        tracing::error!(%error, "database not ready; retrying in the background");
        tokio::spawn(async move {
            let mut delay = Duration::from_secs(1);
            loop {
                tokio::time::sleep(delay).await;
                match migrate_and_seed(&db, seed_demo).await {
                    Ok(()) => break,
                    Err(error) => tracing::warn!(%error, "database still not ready"),
                }
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        });
    }
}

async fn migrate_and_seed(db: &DatabaseConnection, seed_demo: bool) -> Result<(), sea_orm::DbErr> {
    migration::Migrator::up(db, None).await?;
    tracing::info!("database schema is up to date");
    if seed_demo {
        match migration::seed::run_if_empty(db).await? {
            Some(report) => tracing::info!(%report, "loaded the demo data"),
            None => tracing::info!("database already has data; demo seed skipped"),
        }
        match app::server::auth::ensure_demo_sign_ins(db).await {
            Ok(people) if !people.is_empty() => {
                let mut lines = format!(
                    "demo sign-ins (password \"{}\"):",
                    app::server::auth::DEMO_PASSWORD
                );
                for (name, email, role) in people {
                    lines.push_str(&format!("\n  {email:<30} {name} ({role})"));
                }
                // Printed, not logged: it is for the person starting the demo.
                println!("{lines}");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not create the demo sign-ins"),
        }
    }
    Ok(())
}
