//! `bench-reference`: RunwayOKR's signed-in dashboard written by hand with
//! plain axum and sqlx, for `cargo xtask bench` to measure the app against.
//!
//! It serves `GET /` on 127.0.0.1:`PORT` (or `--port N`) from
//! `DATABASE_URL` (`postgres://…` or `sqlite://…`), a database the app
//! made: the same session cookie, the same quarter, the same rows and about
//! the same markup, with what a careful hand-written page would do and no
//! more. Two statements a request on one pooled connection (the session
//! with its person, then the dashboard), prepared once per connection by
//! sqlx; rows read in place, text borrowed from them; the page written into
//! one `String`. The rules (progress, rollups, pace, how values read) are
//! the `domain` crate's, as the app's are.
//!
//! Not the app: it remembers nothing between requests, renews no session,
//! and serves nothing else.

mod page;
mod store;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;

use store::{Pool, SessionLookup};

/// The app's session cookie (`app::server::auth::SESSION_COOKIE`).
const SESSION_COOKIE: &str = "runway_session";

/// What stops the server from starting.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("{0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

fn main() -> std::process::ExitCode {
    let started = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(StartError::Listen)
        .and_then(|runtime| runtime.block_on(serve()));
    match started {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-reference: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), StartError> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| StartError::Config("set DATABASE_URL (postgres:// or sqlite://)".into()))?;
    let port = port()?;
    let pool = Pool::connect(&url)?;
    let router = Router::new()
        .route("/", get(dashboard))
        .route("/api/health", get(health))
        .with_state(Arc::new(pool));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await?
        .tap_io(|stream| {
            // As the app does: a response is never held back for an ACK.
            let _ = stream.set_nodelay(true);
        });
    axum::serve(listener, router).await?;
    Ok(())
}

/// `--port N`, else `PORT`.
fn port() -> Result<u16, StartError> {
    let mut args = std::env::args().skip(1);
    let given = match (args.next().as_deref(), args.next()) {
        (Some("--port"), Some(port)) => port,
        (None, _) => std::env::var("PORT")
            .map_err(|_| StartError::Config("set PORT or pass --port N".into()))?,
        _ => {
            return Err(StartError::Config(
                "usage: bench-reference [--port N]".into(),
            ));
        }
    };
    given
        .trim()
        .parse()
        .map_err(|_| StartError::Config(format!("{given:?} is not a port")))
}

/// 200 once the database answers: what the bench waits for.
async fn health(State(pool): State<Arc<Pool>>) -> StatusCode {
    match pool.ping().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The signed-in dashboard, as the app's middleware and page give it: no
/// session sends the browser to sign in, a sign-in that is no team's
/// member to `/no-team`.
async fn dashboard(State(pool): State<Arc<Pool>>, headers: HeaderMap) -> Response {
    let Some(token) = session_token(&headers) else {
        return see_other("/sign-in?next=%2F");
    };
    let today = chrono::Utc::now().date_naive();
    let now = chrono::Utc::now().naive_utc();
    match pool.dashboard(&token_hash(token), now, today).await {
        Ok(SessionLookup::SignedOut) => see_other("/sign-in?next=%2F"),
        Ok(SessionLookup::NoTeam) => see_other("/no-team"),
        Ok(SessionLookup::Page(rows)) => {
            match rows.dashboard(today).and_then(|d| page::write(&d)) {
                Ok(page) => html(page),
                Err(error) => server_error(&error),
            }
        }
        Err(error) => server_error(&error),
    }
}

/// The `runway_session` cookie's value, as the app reads it.
fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .and_then(|cookie| cookie.value_raw())
        .filter(|token| !token.is_empty())
}

/// What the `session` table keeps of a cookie's token: its SHA-256, in hex
/// (`app::server::secrets::token_hash`).
fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn see_other(location: &'static str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, HeaderValue::from_static(location))],
    )
        .into_response()
}

fn html(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

fn server_error(error: &store::Error) -> Response {
    eprintln!("bench-reference: GET /: {error}");
    (StatusCode::INTERNAL_SERVER_ERROR, "server error").into_response()
}
