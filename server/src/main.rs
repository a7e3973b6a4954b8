//! `server`: serves RunwayOKR. Configuration comes from the environment (and a
//! `.env` file); see `.env.example`.

use app::server::AppState;
use app::server::db::{DbConfig, connect};
use leptos::prelude::get_configuration;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn")),
        )
        .init();

    if let Err(error) = run().await {
        tracing::error!("{error}");
        std::process::exit(1);
    }
}

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot open the database pool: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

async fn run() -> Result<(), StartError> {
    let leptos_options = get_configuration(None)
        .map_err(|error| StartError::Config(error.to_string()))?
        .leptos_options;
    let addr = leptos_options.site_addr;
    let db_config = DbConfig::from_env().map_err(|error| StartError::Config(error.to_string()))?;
    let seed_demo =
        std::env::var("SEED_DEMO").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"));

    tracing::info!(database = %redact(&db_config.url), "opening the database pool");
    let db = connect(&db_config).await?;
    server::prepare_database(db.clone(), seed_demo).await;

    let app = server::router(AppState {
        leptos_options,
        db: db.clone(),
    });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("RunwayOKR listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartError::Serve)?;
    let _ = db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish first.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
