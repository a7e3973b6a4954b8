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
        .with_ansi(std::io::stdout().is_terminal())
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
        let url = migration::database_url_from_env();
        tracing::error!("{}", hide_secrets(&error.to_string(), &url));
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
    let role: domain::Role = role.parse().map_err(app::error::AppError::from)?;
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
    let limits =
        server::Limits::from_env().map_err(|error| StartError::Config(error.to_string()))?;
    let seed_demo =
        std::env::var("SEED_DEMO").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"));

    tracing::info!(database = %redact(&db_config.url), "opening the database pool");
    let db = connect(&db_config).await?;
    let auth = AuthConfig::from_env();
    let public_url = auth
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let messages = app::server::messages::MessagesConfig::from_env(public_url);
    if messages.mail_enabled() {
        tracing::info!(from = %messages.mail_from, "reminders and digests by email are on");
    } else {
        tracing::info!("SMTP_URL is not set: no reminders or digests by email");
    }
    let state = AppState::remembering(leptos_options, db.clone(), auth, db_config.remember_reads)
        .with_messages(messages);
    let messages = state.messages.clone();
    let schema = state.schema.clone();
    let app = server::router_with(state, &limits);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    // Listening before migrating: `/api/health` answers 503 meanwhile.
    tracing::info!("RunwayOKR listening on http://{addr}");
    let serving = tokio::spawn({
        let limits = limits.clone();
        let schema = schema.clone();
        async move {
            let stop = async move {
                shutdown_signal().await;
                // Out of rotation first: the health check fails while the
                // server goes on answering, until the load balancer has
                // seen it; only then does it stop taking connections.
                schema.set(app::server::SchemaState::Stopping);
                tracing::info!(drain = ?limits.drain, "failing the health check before stopping");
                tokio::time::sleep(limits.drain).await;
            };
            server::serve(listener, app, &limits, stop).await
        }
    });
    server::prepare_database(db.clone(), seed_demo, schema)
        .await
        .map_err(|server::Unfixable(error)| StartError::Database(error))?;
    let housekeeping = tokio::spawn(server::run_jobs(db.clone(), messages));
    let served = serving
        .await
        .map_err(|error| StartError::Serve(std::io::Error::other(error)));
    housekeeping.abort();
    served?.map_err(StartError::Serve)?;
    let _ = db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The user and password part of a database URL (`user:secret` of
/// `postgres://user:secret@host/db`), found even in a URL too malformed to
/// parse, so it can be kept out of every log line.
fn credentials(url: &str) -> Option<&str> {
    let start = url.find("://").map_or(0, |scheme| scheme + 3);
    let at = url.rfind('@')?;
    (at > start).then(|| &url[start..at])
}

/// A database URL as it may be logged: no password.
fn redact(url: &str) -> String {
    hide_secrets(url, url)
}

/// `text` with the database URL's credentials masked wherever they appear.
fn hide_secrets(text: &str, url: &str) -> String {
    match credentials(url) {
        Some(credentials) if !credentials.is_empty() => {
            let user = credentials.split(':').next().unwrap_or_default();
            let masked = if credentials.contains(':') {
                format!("{user}:***")
            } else {
                "***".to_owned()
            };
            text.replace(credentials, &masked)
        }
        _ => text.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact("postgres://runway:s3cret@db:5432/runway"),
            "postgres://runway:***@db:5432/runway"
        );
        // Malformed: no "://", an "@" in the password.
        let url = "postgres//runway:s3c@ret@db/runway";
        assert!(!redact(url).contains("s3c"));
        let error = format!("invalid URL {url}: relative URL without a base");
        assert!(!hide_secrets(&error, url).contains("s3c"));
        assert_eq!(
            redact("sqlite://runway.db?mode=rwc"),
            "sqlite://runway.db?mode=rwc"
        );
    }
}
