//! `server`: serves RunwayOKR. Configuration comes from the environment (and a
//! `.env` file); see `.env.example`.

use std::io::{IsTerminal, Read};

use app::server::AppState;
use app::server::auth::AuthConfig;
use app::server::db::{DbConfig, connect};
use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use tracing_subscriber::EnvFilter;

/// RunwayOKR's web server. Without a command it serves the app.
#[derive(Debug, Parser)]
#[command(name = "server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates (or updates) a person who can sign in: their team (created if
    /// missing), role and password. The password is asked for on a terminal,
    /// or read from standard input.
    AddUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The team's name.
        #[arg(long)]
        team: String,
        /// admin, lead or member.
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[tokio::main]
async fn main() {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn")),
        )
        .init();

    let cli = Cli::parse();
    let outcome = match cli.command {
        None => run().await,
        Some(Command::AddUser {
            email,
            name,
            team,
            role,
        }) => add_user(&email, &name, &team, &role).await,
    };
    if let Err(error) = outcome {
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
    #[error("{0}")]
    Refused(#[from] app::error::AppError),
    #[error("cannot read the password: {0}")]
    Password(std::io::Error),
}

/// `server add-user`: a way in on a new install.
async fn add_user(email: &str, name: &str, team: &str, role: &str) -> Result<(), StartError> {
    let email = email.trim().to_lowercase();
    let email = email.as_str();
    let role: entity::Role = role.parse().map_err(app::error::AppError::from)?;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))
            .map_err(StartError::Password)?;
        let again = rpassword::prompt_password("Again: ").map_err(StartError::Password)?;
        if first != again {
            return Err(StartError::Config("the two passwords differ".into()));
        }
        first
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(StartError::Password)?;
        text.lines().next().unwrap_or_default().to_owned()
    };
    let db_config = DbConfig::from_env().map_err(|error| StartError::Config(error.to_string()))?;
    let db = connect(&db_config).await?;
    <migration::Migrator as migration::MigratorTrait>::up(&db, None)
        .await
        .map_err(StartError::Database)?;
    let now = chrono::Utc::now().naive_utc();
    let added = app::server::auth::add_user(&db, email, name, team, role, &password, now).await?;
    if added.created_team {
        println!("created team {team:?}");
    }
    println!(
        "{} {email} ({role}, {team}); they can sign in now",
        if added.created_person {
            "added"
        } else {
            "updated"
        }
    );
    let _ = db.close().await;
    Ok(())
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
    tokio::spawn(app::server::auth::warm_up());

    let app = server::router(AppState::new(
        leptos_options,
        db.clone(),
        AuthConfig::from_env(),
    ));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("RunwayOKR listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
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
