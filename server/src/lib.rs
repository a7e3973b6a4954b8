#![recursion_limit = "256"]
//! The server around the app: the pool, migrations (and the demo seed) at
//! start, and the axum router. No business logic lives here.

use std::sync::LazyLock;
use std::time::Duration;

use app::server::AppState;
use app::server::http::middleware;
use app::server::messages::MessagesConfig;
use app::server::transfer::http as transfer;
use app::{App, shell};
use axum::Router;
use axum::middleware::from_fn_with_state;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use migration::MigratorTrait;
use sea_orm::DatabaseConnection;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

mod serve;
pub use serve::{Limits, serve};

/// The router with the default [`Limits`].
pub fn router(state: AppState) -> Router {
    router_with(state, &Limits::default())
}

/// The app's pages, worked out once per process. While Leptos works out a
/// route list it holds back every resource of the process (a global flag),
/// and a page whose data began to load then never finishes: a second router
/// built while the first serves (tests build many) would stall its pages.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// The router: pages, server functions, static files, behind the sign-in
/// middleware and the request limits.
///
/// The middleware wraps the routed app once, as one stack, rather than each
/// route (`Router::layer`): per route, every layer would box the route
/// again, and each `from_fn` middleware clones what is inside it for every
/// request, so a request cloned and boxed its route's whole stack some 100
/// times (`clone_box`, a fifth of a dashboard request's instructions).
pub fn router_with(state: AppState, limits: &Limits) -> Router {
    let routes = ROUTES.clone();
    let options = state.leptos_options.clone();
    // Every route takes small bodies, but the CSV upload, which has its own limit.
    let small_bodies = Router::new()
        .merge(app::server::http::api_v1::router())
        .merge(transfer::export_router())
        .merge(app::server::http::dashboard_team::router())
        .merge(app::server::messages::unsubscribe::router())
        .leptos_routes_with_context(&state, routes, || {}, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(
            middleware::name_unreadable_requests,
        ))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes));
    let app = small_bodies
        .merge(transfer::upload_router())
        .with_state(state.clone());
    // Outermost first.
    let stack = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &http::Request<axum::body::Body>| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %middleware::loggable_path(request.uri().path()),
                )
            },
        ))
        .layer(from_fn_with_state(
            state.auth.config.secure_cookies(),
            middleware::security_headers,
        ))
        // Outside all but the headers and the trace: a request it sheds
        // costs next to nothing.
        .layer(from_fn_with_state(
            std::sync::Arc::new(tokio::sync::Semaphore::new(middleware::LINK_USES_AT_ONCE)),
            middleware::shed_link_floods,
        ))
        .layer(CompressionLayer::new())
        // Errors under /api/v1, the layers' own included, in the API's shape.
        .layer(axum::middleware::from_fn(
            app::server::http::api_v1::json_errors,
        ))
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site_writes,
        ))
        .layer(from_fn_with_state(
            std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_pages)),
            middleware::pages_in_turn,
        ))
        .layer(from_fn_with_state(state.clone(), middleware::sessions))
        .layer(from_fn_with_state(state, middleware::remembered_pages));
    Router::new().fallback_service(stack.service(app))
}

/// How often each server looks for periodic work that is due.
const JOBS_TICK: Duration = Duration::from_secs(5);

/// The periodic work, for as long as the server runs (housekeeping, and
/// deciding and delivering reminders and digests): each job runs once per
/// period across every server on the database (see [`app::server::jobs`]).
pub async fn run_jobs(db: DatabaseConnection, messages: std::sync::Arc<MessagesConfig>) {
    let mut jobs = app::server::jobs::housekeeping();
    jobs.extend(app::server::messages::jobs(messages));
    app::server::jobs::run(db, jobs, app::server::jobs::this_server(), JOBS_TICK).await;
}

/// Why the database cannot be prepared, even by trying again.
#[derive(Debug, thiserror::Error)]
#[error("the database cannot be used: {0}")]
pub struct Unfixable(pub sea_orm::DbErr);

/// Whether an error may go away by itself (the database is down or
/// restarting) rather than needing someone to act (a bad URL, a schema
/// newer than this code, a failed migration).
fn is_retryable(error: &sea_orm::DbErr) -> bool {
    use sea_orm::DbErr;
    match error {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(runtime) => {
            let text = runtime.to_string().to_lowercase();
            !["invalid", "parse", "unsupported", "relative url", "no such"]
                .iter()
                .any(|word| text.contains(word))
        }
        _ => false,
    }
}

/// How many more times a migration error that is not a connection error is
/// tried before the server gives up.
const UNFIXABLE_AFTER_ATTEMPTS: u32 = 3;

/// Brings the schema up to date and, when `seed_demo` is set and the
/// database has no data yet, loads the demo data. `schema` says where that
/// stands, for `/api/health`. If the database cannot be reached, it keeps
/// trying in the background, so the server still starts (and reports the
/// outage through `/api/health`). An error that retrying cannot fix is
/// returned, so the server can stop with a clear message.
pub async fn prepare_database(
    db: DatabaseConnection,
    seed_demo: bool,
    schema: std::sync::Arc<app::server::SchemaStatus>,
) -> Result<(), Unfixable> {
    use app::server::SchemaState;
    schema.set(SchemaState::Pending);
    let mut outcome = migrate_and_seed(&db, seed_demo).await;
    // Any other error gets a few more tries before it is called unfixable: a
    // process killed while migrating leaves its PostgreSQL backend running
    // until the server notices, and two creators of one table collide
    // ("duplicate key … pg_type_typname_nsp_index") for that moment.
    for attempt in 1..=UNFIXABLE_AFTER_ATTEMPTS {
        match &outcome {
            Err(error) if !is_retryable(error) => {
                tracing::warn!(%error, attempt, "migrating failed; trying again");
                tokio::time::sleep(Duration::from_secs(attempt.into())).await;
                outcome = migrate_and_seed(&db, seed_demo).await;
            }
            _ => break,
        }
    }
    match outcome {
        Ok(()) => {
            schema.set(SchemaState::Ready);
            Ok(())
        }
        Err(error) if is_retryable(&error) => {
            tracing::error!(%error, "database not ready; retrying in the background");
            tokio::spawn(async move {
                let mut delay = Duration::from_secs(1);
                loop {
                    tokio::time::sleep(delay).await;
                    match migrate_and_seed(&db, seed_demo).await {
                        Ok(()) => {
                            schema.set(SchemaState::Ready);
                            break;
                        }
                        Err(error) if is_retryable(&error) => {
                            tracing::warn!(%error, "database still not ready")
                        }
                        Err(error) => {
                            schema.set(SchemaState::Failed);
                            tracing::error!(%error, "the database cannot be used; fix it and restart");
                            break;
                        }
                    }
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            });
            Ok(())
        }
        Err(error) => {
            schema.set(SchemaState::Failed);
            Err(Unfixable(error))
        }
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
        // After the spec's seed, and on every start: a start killed between
        // the two adds it the next time.
        let now = chrono::Utc::now().naive_utc();
        match app::server::commands::alignment::seed_demo_company(db, now).await {
            Ok(true) => tracing::info!("added the demo's company objectives, aligned"),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "could not add the demo's company objectives"),
        }
    }
    Ok(())
}
