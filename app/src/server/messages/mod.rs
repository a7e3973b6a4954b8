//! Check-in reminders and weekly digests, by email and chat webhook, sent
//! once and never lost:
//!
//! - `settings`: each person's choices and each team's check-in day,
//!   time zone and webhook;
//! - `decide`: which messages are due now, written to the outbox in the
//!   transaction that decides them, one per person, kind and day;
//! - `compose`: what they say (plain text, accessible HTML, a chat post);
//! - `outbox`: delivery with retries and backoff, and the admin's resend;
//! - `unsubscribe`: one-click links that need no sign-in.
//!
//! Both run as periodic jobs ([`crate::server::jobs`]): one server per
//! period, whatever the number of servers.

pub mod compose;
pub mod decide;
pub mod outbox;
pub mod settings;
pub mod unsubscribe;

use std::sync::Arc;
use std::time::Duration;

use crate::server::jobs::{Job, this_server};

/// How messages go out, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagesConfig {
    /// `SMTP_URL`, such as `smtp://localhost:1025` or
    /// `smtps://user:password@smtp.example.com` (`smtp://…?tls=required`
    /// for STARTTLS). Without it, no email is decided or sent.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: `RunwayOKR <okr@example.com>`.
    pub mail_from: String,
    /// `RUNWAY_PUBLIC_URL`: the base of every link in a message.
    pub public_url: String,
    /// `RUNWAY_MESSAGE_RETRY_SECONDS`: the wait after a first failed try,
    /// doubled after each further one (default 60 s).
    pub retry_base: Duration,
    /// `RUNWAY_MESSAGE_TRIES`: tries before a message is marked failed
    /// (default 5).
    pub tries: u32,
}

pub const DEFAULT_MAIL_FROM: &str = "RunwayOKR <okr@localhost>";

impl Default for MessagesConfig {
    fn default() -> Self {
        MessagesConfig {
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            public_url: "http://127.0.0.1:3000".to_owned(),
            retry_base: Duration::from_secs(60),
            tries: 5,
        }
    }
}

impl MessagesConfig {
    /// From the environment; `public_url` is the sign-in settings' (or,
    /// without one, the address the server listens on).
    pub fn from_env(public_url: String) -> MessagesConfig {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let defaults = MessagesConfig::default();
        MessagesConfig {
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM").unwrap_or(defaults.mail_from),
            public_url: public_url.trim_end_matches('/').to_owned(),
            retry_base: var("RUNWAY_MESSAGE_RETRY_SECONDS")
                .and_then(|seconds| seconds.parse::<f64>().ok())
                .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
                .map_or(defaults.retry_base, Duration::from_secs_f64),
            tries: var("RUNWAY_MESSAGE_TRIES")
                .and_then(|tries| tries.parse().ok())
                .filter(|tries| *tries > 0)
                .unwrap_or(defaults.tries),
        }
    }

    pub fn mail_enabled(&self) -> bool {
        self.smtp_url.is_some()
    }
}

/// How often due messages are decided, and the outbox delivered.
pub const DECIDE_EVERY: Duration = Duration::from_secs(60);
pub const DELIVER_EVERY: Duration = Duration::from_secs(5);

/// The periodic jobs: deciding, delivering, and sweeping old messages.
pub fn jobs(config: Arc<MessagesConfig>) -> Vec<Job> {
    let postman = Arc::new(outbox::Postman::new(&config));
    let deciding = Arc::clone(&config);
    vec![
        Job::new("decide-messages", DECIDE_EVERY, move |db, now| {
            let config = Arc::clone(&deciding);
            async move { decide::decide(&db, &config, now.and_utc()).await }
        }),
        Job::new("deliver-messages", DELIVER_EVERY, move |db, now| {
            let config = Arc::clone(&config);
            let postman = Arc::clone(&postman);
            async move { outbox::deliver_due(&db, &config, &postman, this_server(), now).await }
        }),
        Job::new(
            "sweep-old-messages",
            Duration::from_secs(6 * 60 * 60),
            |db, now| async move { outbox::sweep(&db, now).await },
        ),
    ]
}
